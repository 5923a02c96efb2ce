package diagnose_test

import (
	"context"
	"errors"
	"slices"
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
// the refusal is the role's side: the trust policy, or an RCP of the role's
// organization or an STS VPC endpoint policy, which STS answers the same
// way and no read-only check sees. The report narrows the candidates to
// those three and says it was found by elimination; naming trust-policy
// outright would be wrong whenever it is one of the other two.
func TestAssumeRoleByElimination(t *testing.T) {
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "")
	otherAccount := policy(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::333333333333:root"},"Action":"sts:AssumeRole"}`)
	needsExternalID := policy(`{"Effect":"Allow","Principal":{"AWS":"` + appARN + `"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"partner-42"}}}`)
	for _, tc := range []struct {
		name       string
		trust      string
		simulate   bool // the app user may simulate its own policies
		externalID string
		eliminated bool
	}{
		{"trust names another account, source proven", otherAccount, true, "", true},
		{"external id mismatch, source proven", needsExternalID, true, "partner-24", true},
		{"trust names another account, source not provable", otherAccount, false, "", false},
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
			if r.Layer != diagnose.LayerAssumeRole {
				t.Fatalf("layer = %s, want assume-role:\n%s", r.Layer, r)
			}
			if !tc.eliminated {
				if !slices.Contains(r.Candidates, diagnose.LayerSourcePolicy) {
					t.Errorf("candidates %v drop source-policy without proof", r.Candidates)
				}
				return
			}
			if want := []diagnose.Layer{diagnose.LayerTrustPolicy, diagnose.LayerOrgPolicy, diagnose.LayerEndpointPolicy}; !slices.Equal(r.Candidates, want) {
				t.Errorf("candidates = %v, want %v", r.Candidates, want)
			}
			if !strings.Contains(r.Summary, "by elimination") || !strings.Contains(r.Fix, "iam:GetRole") {
				t.Errorf("the report does not say it was found by elimination and how to confirm:\n%s", r)
			}
		})
	}
}
