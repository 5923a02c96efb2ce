package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
	"github.com/bedrockdoctor/bedrockdoctor/internal/awsfake"
)

// TestReportFieldsMeanOneThing: on every demo world, the in-call report
// (demo) and the on-demand one (check) give each field the one meaning the
// Report documents: principal, action and resource of the denied request,
// the client's region, the resource's region, the role's account as target.
func TestReportFieldsMeanOneThing(t *testing.T) {
	r := runCLI(t, nil, "", "demo", "--json")
	var results []demoResult
	if err := json.Unmarshal([]byte(r.stdout), &results); err != nil {
		t.Fatalf("demo --json: %v\n%s", err, r.stderr)
	}
	all, err := builtinScenarios()
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range results {
		s, ok := findScenario(all, res.Scenario)
		if !ok || res.Report == nil {
			t.Errorf("%s: no scenario or report", res.Scenario)
			continue
		}
		t.Run(res.Scenario, func(t *testing.T) {
			assertFields(t, "demo", s, res.Report)
			if s.app.ForgetsRole || s.app.DiagnosticUser != "" {
				// check assumes the role itself and has no auditor flag
				// of this kind: its world differs from the app's.
				return
			}
			sc := world(t, s.name)
			keys := awsfake.Credentials{AccessKeyID: "AKIA" + "TESTNOTISSUED000", SecretAccessKey: "not-issued"}
			if !s.app.DeletedKey {
				keys = appKeys(t, sc)
			}
			env := fakeEnv(t, sc, keys)
			env = append(env, "AWS_REGION="+s.target.Region)
			args := []string{"check", "--json", "--role-arn", s.target.RoleARN, "--model", s.target.ModelID, "--region", s.target.Region, "--operation", "converse"}
			if s.target.Operation == "StartAsyncInvoke" {
				args[len(args)-1] = "async"
				args = append(args, "--output-s3-uri", s.target.OutputS3URI)
			}
			if s.app.ExternalID != "" {
				args = append(args, "--external-id", s.app.ExternalID)
			}
			cr := reportOf(t, runCLI(t, env, "", args...))
			assertFields(t, "check", s, &cr)
			if cr.Layer == res.Report.Layer && cr.Action != res.Report.Action {
				t.Errorf("same layer %s, but action %q (check) vs %q (demo)", cr.Layer, cr.Action, res.Report.Action)
			}
		})
	}
}

func assertFields(t *testing.T, who string, s scenario, r *diagnose.Report) {
	t.Helper()
	if r.Region != s.target.Region {
		t.Errorf("%s: region = %q, want the client's %q", who, r.Region, s.target.Region)
	}
	if role, err := arn.Parse(s.target.RoleARN); err == nil && r.TargetAccount != role.AccountID {
		t.Errorf("%s: target account = %q, want the role's %q", who, r.TargetAccount, role.AccountID)
	}
	if want := regionOf(r.Resource); r.ResourceRegion != want {
		t.Errorf("%s: resource region = %q, want %q (from %s)", who, r.ResourceRegion, want, r.Resource)
	}
	switch r.Layer {
	case diagnose.LayerSourcePolicy, diagnose.LayerTrustPolicy, diagnose.LayerAssumeRole, diagnose.LayerCredentials:
		if !strings.HasPrefix(r.Action, "sts:") {
			t.Errorf("%s: layer %s, action = %q, want the AssumeRole", who, r.Layer, r.Action)
		}
		if r.Action != "" && r.Resource != "" && r.Resource != s.target.RoleARN {
			t.Errorf("%s: resource = %q, want the role %s", who, r.Resource, s.target.RoleARN)
		}
		if r.Principal != "" && !strings.HasSuffix(r.Principal, ":user/app") {
			t.Errorf("%s: principal = %q, want the source user", who, r.Principal)
		}
	case diagnose.LayerKeyPolicy:
		// The denied request is the use of the model's KMS key.
		if !strings.HasPrefix(r.Action, "kms:") && !strings.HasPrefix(r.Action, "bedrock:") {
			t.Errorf("%s: layer key-policy, action = %q, want the key's or the model's", who, r.Action)
		}
	case diagnose.LayerWrongPrincipal:
		if !strings.HasPrefix(r.Action, "bedrock:") || r.Principal == "" {
			t.Errorf("%s: wrong-principal with action %q and principal %q", who, r.Action, r.Principal)
		}
	default:
		if !callActions[r.Action] {
			t.Errorf("%s: layer %s, action = %q, want bedrock:InvokeModel or another action the call is authorized as", who, r.Layer, r.Action)
		}
		name := s.target.RoleARN[strings.LastIndex(s.target.RoleARN, "/")+1:]
		if r.Principal != "" && !strings.Contains(r.Principal, ":assumed-role/"+name+"/") {
			t.Errorf("%s: principal = %q, want a session of %s", who, r.Principal, s.target.RoleARN)
		}
	}
}

// callActions are the actions a Converse call (or StartAsyncInvoke) is
// authorized as: InvokeModel on the model, and for the kinds that route
// elsewhere the leg AWS names (diagnose/routed.go: RenderPrompt on a
// prompt, sagemaker:InvokeEndpoint on a Marketplace endpoint, s3:PutObject
// on an async output; keys.go: kms:Decrypt on a model's key).
var callActions = map[string]bool{"bedrock:InvokeModel": true, "bedrock:RenderPrompt": true, "sagemaker:InvokeEndpoint": true, "s3:PutObject": true, "kms:Decrypt": true}

func regionOf(a string) string {
	p, err := arn.Parse(a)
	if err != nil {
		return ""
	}
	return p.Region
}
