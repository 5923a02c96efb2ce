package diagnose_test

import (
	"context"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
)

// TestPassOnlyWhereChecked: a pass covers only the ARNs the checks could
// name. With the profile's destinations unread, or managed session policies
// the diagnosis does not read, the role's layer stays open: never none.
func TestPassOnlyWhereChecked(t *testing.T) {
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "")
	// The role allows the profile and the model in us-east-1 only; the us.
	// profile also routes to us-east-2 and us-west-2. It may simulate
	// itself but not read Bedrock's catalog, so the destinations are unread.
	usEast1Only := policy(`{"Effect":"Allow","Action":"bedrock:InvokeModel","Resource":["arn:aws:bedrock:*:`+tgtAcct+`:inference-profile/*","arn:aws:bedrock:us-east-1::foundation-model/*"]}`, simulateRole)
	for _, tc := range []struct {
		name  string
		role  string
		model string
		opts  []func(*stscreds.AssumeRoleOptions)
	}{
		{"profile destinations unread", usEast1Only, usSonnet, nil},
		{"managed session policy unread", policy(allowInvokeAll, simulateRole), haiku,
			[]func(*stscreds.AssumeRoleOptions){func(o *stscreds.AssumeRoleOptions) {
				o.PolicyARNs = []types.PolicyDescriptorType{{Arn: aws.String("arn:aws:iam::" + tgtAcct + ":policy/Narrow")}}
			}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sp := healthy()
			sp.rolePolicy = tc.role
			wd := build(t, sp, tierNone)
			r, err := diagnose.NewDiagnoser(wd.srv.Config(wd.region, wd.appKey), diagnose.Options{RateLimit: -1}).
				Run(context.Background(), diagnose.Target{RoleARN: roleARN, ModelID: tc.model, Operation: "Converse", AssumeRoleOptions: tc.opts})
			if err != nil {
				t.Fatal(err)
			}
			if r.Layer == diagnose.LayerNone {
				t.Fatalf("Run said none on a partial check:\n%s", r)
			}
			if r.Layer == diagnose.LayerUnknown && !slices.Contains(r.Candidates, diagnose.LayerRolePermissions) {
				t.Errorf("candidates %v lack role-permissions:\n%s", r.Candidates, r)
			}
		})
	}
}

// TestKMSTextWithoutPolicyType: a kms:Decrypt denial that names no policy
// may be the key policy, an SCP, an RCP, an endpoint or the caller's own
// policy: the text alone names none of them.
func TestKMSTextWithoutPolicyType(t *testing.T) {
	r := diagnose.Explain("User: arn:aws:sts::222222222222:assumed-role/R/s is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:us-east-1:444444444444:key/1234abcd-12ab-34cd-56ef-1234567890ab")
	if r.Layer != diagnose.LayerUnknown || !slices.Contains(r.Candidates, diagnose.LayerKeyPolicy) || !slices.Contains(r.Candidates, diagnose.LayerOrgPolicy) {
		t.Errorf("layer %s candidates %v, want unknown with key-policy and org-policy among the candidates", r.Layer, r.Candidates)
	}
}
