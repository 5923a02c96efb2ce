package diagnose_test

import (
	"context"
	"testing"
	"time"

	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
	"github.com/bedrockdoctor/bedrockdoctor/internal/awsfake"
)

// TestSourceRoleWithPath: the app runs as a role session whose role has a
// path (as SSO permission-set roles do, under /aws-reserved/...). Session
// ARNs drop the path, so the checks must look it up before simulating or
// matching the trust policy, and never blame the trust policy on a guess.
func TestSourceRoleWithPath(t *testing.T) {
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "")
	const ssoPath = "/aws-reserved/sso.amazonaws.com/"
	const ssoName = "AWSReservedSSO_Developer_0123456789abcdef"
	ssoARN := "arn:aws:iam::" + srcAcct + ":role" + ssoPath + ssoName
	for _, tc := range []struct {
		name       string
		trustsRole string // the principal the target role trusts
		readSelf   bool   // the SSO role may read itself (iam:GetRole) and simulate
		want       diagnose.Layer
	}{
		{"trusted by its full ARN", ssoARN, true, diagnose.LayerNone},
		{"another role trusted", "arn:aws:iam::" + srcAcct + ":role/SomeoneElse", true, diagnose.LayerTrustPolicy},
		// Without iam:GetRole the path is a guess: no trust-policy claim.
		{"another role trusted, path unreadable", "arn:aws:iam::" + srcAcct + ":role/SomeoneElse", false, diagnose.LayerAssumeRole},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := awsfake.NewWorld()
			w.Model(awsfake.FoundationModel{ID: haiku, Provider: "Anthropic", Regions: []string{"us-east-1"}, OnDemand: true})
			src := w.Account(srcAcct)
			ssoPolicy := policy(allowAssume)
			if tc.readSelf {
				ssoPolicy = policy(allowAssume, `{"Effect":"Allow","Action":["iam:GetRole","iam:SimulatePrincipalPolicy"],"Resource":"`+ssoARN+`"}`)
			}
			sso := src.Role(ssoName, policy(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+srcAcct+`:root"},"Action":"sts:AssumeRole"}`)).WithPath(ssoPath).Inline("dev", ssoPolicy)
			tgt := w.Account(tgtAcct)
			tgt.Role(roleName, policy(`{"Effect":"Allow","Principal":{"AWS":"`+tc.trustsRole+`"},"Action":"sts:AssumeRole"}`)).Inline("bedrock", policy(allowInvokeAll, readBedrock))
			auditor := tgt.User("auditor").Inline("read", policy(simulateRole, readBedrock)).AccessKey()
			session := w.Assume(sso, "alice@example.com", time.Hour)
			srv := awsfake.NewServer(w)
			t.Cleanup(srv.Close)
			a := srv.Config("us-east-1", auditor)
			d := diagnose.NewDiagnoser(srv.Config("us-east-1", session), diagnose.Options{DiagnosticConfig: &a, RateLimit: -1})
			r, err := d.Run(context.Background(), diagnose.Target{RoleARN: roleARN, ModelID: haiku})
			if err != nil {
				t.Fatal(err)
			}
			if r.Layer != tc.want {
				t.Errorf("layer = %s, want %s\n%s", r.Layer, tc.want, r)
			}
		})
	}
}
