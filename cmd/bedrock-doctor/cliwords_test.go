package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
)

// goNames are the library's Go option names, which the CLI's text output
// must not show.
var goNames = []string{"diagnose.Options", "DiagnosticConfig", "stscreds", "AssumeRoleOptions", "client.With", "(WithRole)"}

func TestCLIText(t *testing.T) {
	const role = "arn:aws:iam::222222222222:role/R"
	tests := []struct {
		name, in string
		want     []string
	}{
		{"needs", "iam:GetRole on " + role + ", through credentials in account 222222222222 (diagnose.Options.DiagnosticConfig)",
			[]string{"(bedrock-doctor check --diagnostic-profile PROFILE)"}},
		{"fix", "run the diagnosis with credentials that may read the role in account 222222222222 (diagnose.Options.DiagnosticConfig) and iam:SimulatePrincipalPolicy",
			[]string{"--diagnostic-profile"}},
		{"conditions", "pass what the trust policy's conditions require in the app's AssumeRole (stscreds AssumeRoleOptions: ExternalID, SourceIdentity, Tags, SerialNumber/TokenCode), or change",
			[]string{"ExternalId", "--external-id"}},
		{"duration", "set the AssumeRole duration (stscreds AssumeRoleOptions.Duration) to 1 hour or less.", []string{"DurationSeconds"}},
		{"session policy", "in the session policy the app passes to AssumeRole (stscreds AssumeRoleOptions.Policy / PolicyARNs), or pass none", []string{"Policy and PolicyArns"}},
		{"mfa", "with the AssumeRole call (stscreds AssumeRoleOptions.SerialNumber and TokenProvider), or", []string{"SerialNumber and TokenCode"}},
		{"with role", `make the client sign with the role: pass client.WithRole("` + role + `") and check that`, []string{"--role-arn " + role}},
		{"bearer", `unset AWS_BEARER_TOKEN_BEDROCK, or use client.WithRole("` + role + `"), which signs with the role's credentials even when the variable is set`,
			[]string{"make the app assume " + role, "--role-arn " + role}},
		{"bearer detail", "AWS_BEARER_TOKEN_BEDROCK is set but ignored: the client signs with the role's credentials (WithRole)", []string{"(--role-arn)"}},
		{"untouched", "Allow bedrock:InvokeModel on the resource", []string{"Allow bedrock:InvokeModel on the resource"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := cliText(tt.in)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("cliText(%q) = %q, want it to contain %q", tt.in, got, w)
				}
			}
			for _, g := range goNames {
				if strings.Contains(got, g) {
					t.Errorf("cliText(%q) = %q still names %q", tt.in, got, g)
				}
			}
		})
	}
}

// TestPrintReportOnce: the text output says each part of the report once,
// in the CLI's words, and leaves the library's report as it was.
func TestPrintReportOnce(t *testing.T) {
	const (
		summary = "the trust policy of arn:aws:iam::222222222222:role/R cannot be read"
		fix     = "run the diagnosis with credentials that may read the role in account 222222222222 (diagnose.Options.DiagnosticConfig)"
		detail  = "no identity-based policy allows bedrock:InvokeModel"
	)
	r := &diagnose.Report{
		Layer:      diagnose.LayerRolePermissions,
		Candidates: []diagnose.Layer{diagnose.LayerOrgPolicy},
		Summary:    summary,
		Fix:        fix,
		FixPolicy:  "{\n  \"Version\": \"2012-10-17\"\n}",
		Principal:  "arn:aws:sts::222222222222:assumed-role/R/s",
		Checks: []diagnose.Check{
			{Name: "source.identity", Layer: diagnose.LayerCredentials, Status: diagnose.StatusPass, Detail: "the base credentials are arn:aws:iam::111111111111:user/app"},
			{Name: "role-permissions.simulate", Layer: diagnose.LayerRolePermissions, Status: diagnose.StatusFail, Detail: detail},
			{Name: "trust-policy.read", Layer: diagnose.LayerTrustPolicy, Status: diagnose.StatusUnknown, Detail: "could not read", Needs: "iam:GetRole (diagnose.Options.DiagnosticConfig)"},
		},
	}
	var b bytes.Buffer
	env{}.printReport(&b, r, "")
	out := b.String()
	for _, once := range []string{summary, detail, "verdict:", "evidence:", "fix:", "fix policy:", "could also be:", "to decide:", "iam:GetRole", `"Version"`, "principal:"} {
		if n := strings.Count(out, once); n != 1 {
			t.Errorf("%q printed %d times, want once:\n%s", once, n, out)
		}
	}
	for _, g := range goNames {
		if strings.Contains(out, g) {
			t.Errorf("output names %q:\n%s", g, out)
		}
	}
	order := []string{"principal:", "checks:", "✓ source.identity", "✗ role-permissions.simulate", "? trust-policy.read", "verdict: role-permissions", "could also be:", "evidence: role-permissions.simulate", "to decide: trust-policy.read", "fix: ", "fix policy:"}
	at := 0
	for _, s := range order {
		i := strings.Index(out[at:], s)
		if i < 0 {
			t.Fatalf("%q missing or out of order:\n%s", s, out)
		}
		at += i + len(s)
	}
	if r.Fix != fix || r.Checks[2].Needs != "iam:GetRole (diagnose.Options.DiagnosticConfig)" {
		t.Errorf("printReport changed the report: fix %q, needs %q", r.Fix, r.Checks[2].Needs)
	}
}

// TestExplainOnce: explain's output for real error texts says the verdict
// and the fix once.
func TestExplainOnce(t *testing.T) {
	for _, text := range []string{
		"operation error Bedrock Runtime: InvokeModel, https response error StatusCode: 403, RequestID: abc, AccessDeniedException: User: arn:aws:sts::222222222222:assumed-role/R/s is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-1::foundation-model/x because no identity-based policy allows the bedrock:InvokeModel action",
		"operation error STS: AssumeRole, https response error StatusCode: 403, RequestID: abc, api error AccessDenied: User: arn:aws:iam::111111111111:user/app is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::222222222222:role/R",
	} {
		r := diagnose.Explain(text)
		var b bytes.Buffer
		env{}.printReport(&b, r, "")
		out := b.String()
		for _, once := range []string{r.Summary, r.Fix, "verdict:", "fix:"} {
			if n := strings.Count(out, once); n != 1 {
				t.Errorf("%q printed %d times, want once:\n%s", once, n, out)
			}
		}
	}
}
