package diagnose_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
	"github.com/bedrockdoctor/bedrockdoctor/internal/awsfake"
)

// TestFixesKeepRestrictions: a fix goes where the denying policy is, covers
// every ARN of the call, extends the statement that almost matched with its
// Condition, and says in words what the call's own path lacks instead of
// granting around a condition. Where a case has a fix policy, it is pasted
// where the report says and the call then succeeds on every route.
func TestFixesKeepRestrictions(t *testing.T) {
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "")
	noBedrock := policy(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}`)
	invoke := `"Action":["bedrock:InvokeModel","bedrock:InvokeModelWithResponseStream"]`
	s3Only := policy(`{"Effect":"Allow","Action":["s3:*","iam:Get*","iam:List*","bedrock:Get*","bedrock:List*"],"Resource":"*"}`)
	for _, tc := range []struct {
		name  string
		spec  func(*spec)
		tier  tier
		kind  modelKind
		retry bool // a Marketplace subscription is tried again after the fix, as AWS does
		// What the report must say: substrings of the fix policy, of
		// where it goes, and of the fix's words; noPolicy when the fix is
		// words only.
		policyHas, placeHas, fixHas []string
		noPolicy                    bool
	}{
		{
			name: "destinations unread: the model in every region, through the profile",
			spec: func(sp *spec) { sp.rolePolicy = noBedrock }, tier: tierNone, kind: kindProfile,
			policyHas: []string{`"arn:aws:bedrock:*::foundation-model/` + sonnet + `"`, `"bedrock:InferenceProfileArn": "arn:aws:bedrock:us-east-1:` + tgtAcct + `:inference-profile/` + usSonnet + `"`},
			placeHas:  []string{"the identity policy of role " + roleARN + ", in account " + tgtAcct},
			fixHas:    []string{"the diagnosis could not read"},
		},
		{
			name: "the boundary lacks the action: the fix goes to the boundary",
			spec: func(sp *spec) { sp.boundary = s3Only }, tier: tierRead, kind: kindFM,
			policyHas: []string{`"arn:aws:bedrock:us-east-1::foundation-model/` + haiku + `"`},
			placeHas:  []string{"the permissions boundary arn:aws:iam::" + tgtAcct + ":policy/BedrockBoundary of role " + roleARN},
		},
		{
			name: "the statement that almost matched is extended, its Condition kept",
			spec: func(sp *spec) {
				sp.rolePolicy = policy(`{"Sid":"West",` + `"Effect":"Allow",` + invoke + `,"Resource":"arn:aws:bedrock:us-west-2::foundation-model/*","Condition":{"StringEquals":{"aws:PrincipalTag/project":"genai"}}}`)
				sp.roleTags = map[string]string{"project": "genai"}
			},
			tier: tierRead, kind: kindFM,
			policyHas: []string{`"aws:PrincipalTag/project": "genai"`, `"arn:aws:bedrock:us-east-1::foundation-model/` + haiku + `"`},
			fixHas:    []string{`extending statement "West"`},
		},
		{
			name: "a tag the role lacks: the fix says to tag it, no policy",
			spec: func(sp *spec) {
				sp.rolePolicy = policy(`{"Effect":"Allow",` + invoke + `,"Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/project":"genai"}}}`)
			},
			tier: tierRead, kind: kindFM, noPolicy: true,
			fixHas: []string{"tag role " + roleARN + " with project=genai"},
		},
		{
			name: "not through the required VPC endpoint: the fix says so, no policy",
			spec: func(sp *spec) {
				sp.rolePolicy = policy(`{"Effect":"Allow",` + invoke + `,"Resource":"*","Condition":{"StringEquals":{"aws:SourceVpce":"vpce-0fedcba987"}}}`)
			},
			tier: tierRead, kind: kindFM, noPolicy: true,
			fixHas: []string{"VPC endpoint vpce-0fedcba987", "rather than grant around it"},
		},
		{
			name: "the use-case form is missing: the fix is the form",
			spec: func(sp *spec) { sp.access = awsfake.AccessUseCaseMissing }, tier: tierFull, kind: kindFM, noPolicy: true,
			fixHas: []string{"submit the Anthropic use-case form"},
		},
		{
			name: "a Marketplace subscription the boundary would still block goes to the boundary too",
			spec: func(sp *spec) {
				sp.access = awsfake.AccessSubscriptionFailed
				sp.boundary = policy(`{"Effect":"Allow","Action":["bedrock:*","iam:Get*","iam:List*"],"Resource":"*"}`)
			},
			tier: tierRead, kind: kindFM, retry: true,
			policyHas: []string{`"aws-marketplace:Subscribe"`, `"aws-marketplace:ViewSubscriptions"`},
			placeHas:  []string{"the identity policy of role " + roleARN, "the permissions boundary arn:aws:iam::" + tgtAcct + ":policy/BedrockBoundary of role " + roleARN},
			fixHas:    []string{"aws-marketplace:Subscribe and aws-marketplace:ViewSubscriptions"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sp := healthy()
			tc.spec(&sp)
			wd := build(t, sp, tc.tier)
			model := wd.modelIDs[tc.kind]
			err := wd.call(t, sp, tc.tier, "Converse", model)
			var derr *diagnose.Error
			if !errors.As(err, &derr) {
				t.Fatalf("want a diagnosed error, got %v", err)
			}
			r := derr.Report
			t.Logf("fix: %s\nplace: %s\n%s", r.Fix, r.FixPlace, r.FixPolicy)
			for _, s := range tc.policyHas {
				if !strings.Contains(r.FixPolicy, s) {
					t.Errorf("the fix policy lacks %s:\n%s", s, r)
				}
			}
			for _, s := range tc.placeHas {
				if !strings.Contains(r.FixPlace, s) || !strings.Contains(r.Fix, s) {
					t.Errorf("the fix does not say it goes into %s:\n%s", s, r)
				}
			}
			for _, s := range tc.fixHas {
				if !strings.Contains(r.Fix, s) {
					t.Errorf("the fix does not say %q:\n%s", s, r)
				}
			}
			if tc.noPolicy {
				if r.FixPolicy != "" || r.FixPlace != "" {
					t.Errorf("want words only, got a fix policy:\n%s", r)
				}
				return
			}
			if strings.Contains(r.FixPolicy, "aws-marketplace:Unsubscribe") {
				t.Errorf("the fix policy grants an action the denial does not name:\n%s", r.FixPolicy)
			}
			// Paste it where it says, then call on every route.
			if strings.Contains(r.FixPlace, "the identity policy of role") {
				sp.rolePolicy = mergeStatements(t, sp.rolePolicy, r.FixPolicy)
			}
			if strings.Contains(r.FixPlace, "the permissions boundary") {
				sp.boundary = mergeStatements(t, sp.boundary, r.FixPolicy)
			}
			if tc.retry {
				sp.access = awsfake.AccessNeedsSubscription
			}
			routes := []string{""}
			if tc.kind == kindProfile {
				routes = []string{"us-east-1", "us-east-2", "us-west-2"}
			}
			for _, dest := range routes {
				sp.routeTo = dest
				fixed := build(t, sp, tc.tier)
				for range 2 { // a Marketplace model's first call starts the subscription the next depends on
					if err := fixed.call(t, sp, tc.tier, "Converse", model); err != nil {
						t.Fatalf("after pasting the fix where it says (route %q) the call still fails: %v\n%s", dest, err, r)
					}
				}
			}
		})
	}
}
