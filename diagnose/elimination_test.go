package diagnose_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"

	"github.com/bedrockdoctor/bedrockdoctor/client"
	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
)

// TestAssumeRoleByElimination: a cross-account AssumeRole refusal carries no
// reason. When the source user's own side is proven to allow (the simulator
// sees its policies, boundary and SCPs) and the trust policy cannot be read,
// the refusal is the role's side: trust-policy, said to be found by
// elimination. Without the proof it stays assume-role.
func TestAssumeRoleByElimination(t *testing.T) {
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "")
	otherAccount := policy(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::333333333333:root"},"Action":"sts:AssumeRole"}`)
	needsExternalID := policy(`{"Effect":"Allow","Principal":{"AWS":"` + appARN + `"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"partner-42"}}}`)
	for _, tc := range []struct {
		name       string
		trust      string
		simulate   bool // the app user may simulate its own policies
		externalID string
		want       diagnose.Layer
	}{
		{"trust names another account, source proven", otherAccount, true, "", diagnose.LayerTrustPolicy},
		{"external id mismatch, source proven", needsExternalID, true, "partner-24", diagnose.LayerTrustPolicy},
		{"trust names another account, source not provable", otherAccount, false, "", diagnose.LayerAssumeRole},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sp := healthy()
			sp.trust = tc.trust
			if tc.simulate {
				sp.sourcePolicy = policy(allowAssume, simulateSelf)
			}
			wd := build(t, sp, tierSome)
			var opts []func(*stscreds.AssumeRoleOptions)
			if tc.externalID != "" {
				opts = append(opts, func(o *stscreds.AssumeRoleOptions) { o.ExternalID = aws.String(tc.externalID) })
			}
			c := client.NewFromConfig(wd.srv.Config(wd.region, wd.appKey), client.WithRole(roleARN, opts...),
				client.WithDiagnosis(func(o *diagnose.Options) { o.RateLimit = -1; o.Budget = 5 * time.Second }))
			err := runOp(context.Background(), c, "Converse", haiku)
			var derr *diagnose.Error
			if !errors.As(err, &derr) {
				t.Fatalf("want a diagnosed error, got %v", err)
			}
			r := derr.Report
			if r.Layer != tc.want {
				t.Fatalf("layer = %s, want %s:\n%s", r.Layer, tc.want, r)
			}
			if tc.want == diagnose.LayerTrustPolicy {
				if !strings.Contains(r.Summary, "by elimination") || !strings.Contains(r.Fix, "iam:GetRole") {
					t.Errorf("the report does not say it was found by elimination and how to confirm:\n%s", r)
				}
			}
		})
	}
}
