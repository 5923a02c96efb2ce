package diagnose_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"

	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
)

// TestRunMatrix runs the on-demand diagnosis (no denial to read) with full
// diagnostic permissions on each scenario. Layers only a denied call can
// show (the principal that signed it, a VPC endpoint on its path) are
// invisible to Run: there it must say none, not invent a layer.
func TestRunMatrix(t *testing.T) {
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "")
	want := map[string]diagnose.Layer{
		"healthy":                             diagnose.LayerNone,
		"healthy/app-assumes-the-role-itself": diagnose.LayerNone,
		"role-permissions/app-assumes-the-role-itself": diagnose.LayerRolePermissions,
		"credentials/invalid-key":                      diagnose.LayerCredentials,
		"source-policy/no-assume-allow":                diagnose.LayerSourcePolicy,
		"trust-policy/wrong-account":                   diagnose.LayerTrustPolicy,
		"trust-policy/external-id":                     diagnose.LayerTrustPolicy,
		"wrong-principal/user-signs":                   diagnose.LayerNone,
		"role-permissions/no-bedrock":                  diagnose.LayerRolePermissions,
		"role-permissions/destination-region":          diagnose.LayerRolePermissions,
		"role-permissions/explicit-deny":               diagnose.LayerRolePermissions,
		"role-permissions/boundary":                    diagnose.LayerRolePermissions,
		"role-permissions/session-policy":              diagnose.LayerRolePermissions,
		"org-policy/region-deny-scp":                   diagnose.LayerOrgPolicy,
		"endpoint-policy/deny-bedrock":                 diagnose.LayerNone,
		"model-access/marketplace":                     diagnose.LayerModelAccess,
		"model-access/use-case-form":                   diagnose.LayerModelAccess,
		"model-access/not-available":                   diagnose.LayerModelAccess,
		"model-id/on-demand-unsupported":               diagnose.LayerModelID,
		"model-id/typo":                                diagnose.LayerModelID,
		"region/model-not-offered":                     diagnose.LayerRegion,
	}
	for _, sc := range scenarios() {
		for _, kind := range sc.kinds {
			t.Run(fmt.Sprintf("%s/%s", sc.name, kind), func(t *testing.T) {
				t.Parallel()
				sp := sc.spec()
				wd := build(t, sp, tierFull)
				model := wd.modelIDs[kind]
				if sp.model != "" {
					model = sp.model
				}
				auditor := wd.srv.Config(wd.region, wd.auditor)
				d := diagnose.NewDiagnoser(wd.srv.Config(wd.region, wd.appKey), diagnose.Options{DiagnosticConfig: &auditor, RateLimit: -1})
				target := diagnose.Target{RoleARN: roleARN, ModelID: model, Operation: "Converse"}
				if sp.externalID != "" {
					target.AssumeRoleOptions = append(target.AssumeRoleOptions, func(o *stscreds.AssumeRoleOptions) { o.ExternalID = aws.String(sp.externalID) })
				}
				if sp.sessionPol != "" {
					target.AssumeRoleOptions = append(target.AssumeRoleOptions, func(o *stscreds.AssumeRoleOptions) { o.Policy = aws.String(sp.sessionPol) })
				}
				r, err := d.Run(context.Background(), target)
				if err != nil {
					t.Fatalf("Run: %v", err)
				}
				w, ok := want[sc.name]
				if !ok {
					t.Fatalf("no expectation for %s", sc.name)
				}
				if r.Layer != w {
					t.Errorf("layer = %s, want %s\n%s", r.Layer, w, r)
				}
				assertReadOnly(t, wd.srv, "")
			})
		}
	}
}

func TestRunInvalidTarget(t *testing.T) {
	cfg := aws.Config{Region: "us-east-1"}
	for name, tg := range map[string]diagnose.Target{
		"bad role ARN":      {RoleARN: "arn:aws:s3:::bucket", ModelID: haiku},
		"no model":          {RoleARN: roleARN},
		"unknown operation": {RoleARN: roleARN, ModelID: haiku, Operation: "DeleteEverything"},
	} {
		if _, err := diagnose.Run(context.Background(), cfg, tg); !errors.Is(err, diagnose.ErrInvalidTarget) {
			t.Errorf("%s: err = %v, want ErrInvalidTarget", name, err)
		}
	}
	if _, err := diagnose.Run(context.Background(), aws.Config{}, diagnose.Target{ModelID: haiku}); !errors.Is(err, diagnose.ErrInvalidTarget) {
		t.Errorf("no region: err = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := diagnose.Run(ctx, cfg, diagnose.Target{ModelID: haiku}); !errors.Is(err, context.Canceled) {
		t.Errorf("done ctx: err = %v", err)
	}
}

// TestLocalEvaluation: the role may read its own policies but not simulate;
// Run decides role-permissions from the local evaluation, and names the
// statement of an explicit deny.
func TestLocalEvaluation(t *testing.T) {
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "")
	for _, sc := range scenarios() {
		if sc.want != diagnose.LayerRolePermissions {
			continue
		}
		for _, kind := range sc.kinds {
			t.Run(sc.name+"/"+string(kind), func(t *testing.T) {
				t.Parallel()
				sp := sc.spec()
				wd := build(t, sp, tierRead)
				target := diagnose.Target{RoleARN: roleARN, ModelID: wd.modelIDs[kind], Operation: "Converse"}
				if sp.sessionPol != "" {
					target.AssumeRoleOptions = append(target.AssumeRoleOptions, func(o *stscreds.AssumeRoleOptions) { o.Policy = aws.String(sp.sessionPol) })
				}
				r, err := diagnose.NewDiagnoser(wd.srv.Config(wd.region, wd.appKey), diagnose.Options{RateLimit: -1}).Run(context.Background(), target)
				if err != nil {
					t.Fatal(err)
				}
				if r.Layer != diagnose.LayerRolePermissions {
					t.Errorf("layer = %s, want role-permissions\n%s", r.Layer, r)
				}
				var local *diagnose.Check
				for i := range r.Checks {
					if r.Checks[i].Name == "role-permissions.evaluate" {
						local = &r.Checks[i]
					}
				}
				if sp.ownStscreds {
					return // Run assumes the role itself here; same as the plain case
				}
				if sp.sessionPol != "" {
					return // the role's own policies allow: the session policy check decides
				}
				if local == nil || local.Status != diagnose.StatusFail {
					t.Fatalf("the local evaluation did not decide:\n%s", r)
				}
				if sc.name == "role-permissions/explicit-deny" && !strings.Contains(local.Detail, `"NoClaude"`) {
					t.Errorf("the deny statement is not named: %s", local.Detail)
				}
			})
		}
	}
}
