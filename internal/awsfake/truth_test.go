package awsfake

import (
	"context"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
)

// TestTruth: the ground truth of the app's call lists every layer that
// denies it on its own, including those AWS's text does not name because
// an earlier check already failed.
func TestTruth(t *testing.T) {
	const onlyEast = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"bedrock:InvokeModel","Resource":["arn:aws:bedrock:us-east-1::foundation-model/*","arn:aws:bedrock:*:222222222222:inference-profile/*"]}]}`
	const noBedrock = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	const regionDeny = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":["us-east-1","us-east-2"]}}}]}`
	const denyAssume = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"sts:AssumeRole","Resource":"*"}]}`
	tests := []struct {
		name  string
		setup func(f *fixture)
		cfg   func(f *fixture) aws.Config // default: the role's config
		model string
		want  []string
		call  string // the AppCall entry's action, default Converse
	}{
		{name: "healthy", model: haiku},
		{name: "source and trust both refuse", model: haiku, call: "AssumeRole",
			setup: func(f *fixture) {
				f.app.RemoveInline("assume").Inline("other", noBedrock)
				f.role.SetTrust(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::333333333333:root"},"Action":"sts:AssumeRole"}]}`)
			},
			want: []string{"source-policy", "trust-policy"}},
		{name: "missing role", model: haiku, call: "AssumeRole",
			setup: func(f *fixture) { f.tgt.roles = map[string]*Role{} },
			want:  []string{"trust-policy"}},
		{name: "SCP on the source account", model: haiku, call: "AssumeRole",
			setup: func(f *fixture) { f.src.SCP("p-noassume", denyAssume) },
			want:  []string{"org-policy"}},
		{name: "bad access key", model: haiku,
			cfg: func(f *fixture) aws.Config {
				return f.cfg(Credentials{AccessKeyID: "AKIANOTISSUED0000000", SecretAccessKey: "x"})
			},
			want: []string{"credentials"}},
		{name: "three layers, the text names one", model: usSonnet,
			setup: func(f *fixture) {
				f.role.RemoveInline("invoke").Inline("none", noBedrock)
				f.tgt.SCP("p-regions", regionDeny)
				f.tgt.Bedrock("us-east-1").Access(sonnet, AccessUseCaseMissing)
				f.s.SetRouter(func(string, string, []string) string { return "us-west-2" })
			},
			want: []string{"model-access", "org-policy", "role-permissions"}},
		{name: "destination leg only", model: usSonnet,
			setup: func(f *fixture) {
				f.role.RemoveInline("invoke").Inline("east", onlyEast)
				f.s.SetRouter(func(string, string, []string) string { return "us-west-2" })
			},
			want: []string{"role-permissions"}},
		{name: "global profile under a region deny", model: glSonnet,
			setup: func(f *fixture) { f.tgt.SCP("p-regions", regionDeny) },
			want:  []string{"org-policy"}},
		{name: "model not offered in the region", model: nova,
			cfg: func(f *fixture) aws.Config {
				c := f.roleCfg()
				c.Region = "us-west-2"
				return c
			},
			want: []string{"region"}},
		{name: "on-demand unsupported", model: sonnet, want: []string{"model-id"}},
		{name: "unknown id", model: "anthropic.claude-9-v1:0", want: []string{"model-id"}},
		{name: "profile prefix does not serve the region", model: "eu." + sonnet,
			setup: func(f *fixture) {
				f.w.Profile(SystemProfile{ID: "eu." + sonnet, ModelID: sonnet, Sources: []string{"eu-west-1", "eu-central-1"}})
			},
			want: []string{"region"}},
		{name: "subscription failed and legacy", model: haiku,
			setup: func(f *fixture) {
				f.w.models[haiku].Legacy = true
				f.tgt.Bedrock("us-east-1").Access(haiku, AccessSubscriptionFailed)
			},
			want: []string{"model-access", "model-id"}},
		{name: "needs subscription: the first call succeeds", model: haiku,
			setup: func(f *fixture) { f.tgt.Bedrock("us-east-1").Access(haiku, AccessNeedsSubscription) }},
		{name: "endpoint policy", model: haiku,
			setup: func(f *fixture) {
				f.w.VPCEndpoint("vpce-1", "bedrock-runtime", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},{"Effect":"Deny","Principal":"*","Action":"bedrock:*","Resource":"*"}]}`)
				f.w.RouteThroughEndpoint(f.appKey.AccessKeyID, "vpce-1")
			},
			want: []string{"endpoint-policy"}},
		{name: "the user signs instead of the role", model: haiku,
			setup: func(f *fixture) { f.w.SetAppRole(roleARN) },
			cfg:   func(f *fixture) aws.Config { return f.cfg(f.appKey) },
			want:  []string{"wrong-principal"}},
		{name: "the role signs as intended", model: haiku,
			setup: func(f *fixture) { f.w.SetAppRole(roleARN); f.role.RemoveInline("invoke").Inline("none", noBedrock) },
			want:  []string{"role-permissions"}},
		{name: "scripted answers carry no truth", model: haiku,
			setup: func(f *fixture) {
				f.s.Script("bedrock-runtime", "Converse", Respond{Status: 403, Code: "AccessDeniedException", Message: "scripted"})
			}},
		{name: "faults carry no truth", model: haiku, call: "AssumeRole",
			setup: func(f *fixture) {
				f.s.InjectFault("sts", "AssumeRole", Fault{Status: 500, Code: "InternalFailure", Message: "boom"})
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			if tt.setup != nil {
				tt.setup(f)
			}
			cfg := f.roleCfg()
			if tt.cfg != nil {
				cfg = tt.cfg(f)
			}
			_, err := converse(cfg, tt.model)
			e, ok := f.s.AppCall()
			if !ok {
				t.Fatalf("no app call in the log (call error %v)", err)
			}
			if want := tt.call; want == "" && e.Action != "Converse" || want != "" && e.Action != want {
				t.Errorf("AppCall = %s:%s, want %s", e.Service, e.Action, tt.call)
			}
			if !slices.Equal(e.Truth, tt.want) {
				t.Errorf("truth = %q, want %q (call error %v)", e.Truth, tt.want, err)
			}
			if (err == nil) != (len(tt.want) == 0) && tt.name != "scripted answers carry no truth" && tt.name != "faults carry no truth" {
				t.Errorf("call error %v with truth %q", err, e.Truth)
			}
		})
	}
}

// TestTruthAssumeRoleTags: the session tags the app passes need
// sts:TagSession, judged on both sides like sts:AssumeRole.
func TestTruthAssumeRoleTags(t *testing.T) {
	f := newFixture(t)
	f.role.SetTrust(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole"}]}`)
	_, err := sts.NewFromConfig(f.cfg(f.appKey)).AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s1"), Tags: nil,
	})
	if err != nil {
		t.Fatalf("untagged AssumeRole: %v", err)
	}
	f.s.ResetLog()
	_, err = sts.NewFromConfig(f.cfg(f.appKey)).AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s2"), Tags: []ststypes.Tag{{Key: aws.String("team"), Value: aws.String("ml")}},
	})
	e, _ := f.s.AppCall()
	if err == nil || !slices.Equal(e.Truth, []string{"trust-policy"}) {
		t.Errorf("tagged AssumeRole: err %v, truth %q; want a denial with truth [trust-policy]", err, e.Truth)
	}
}

// TestScenarioExtensions: bearer tokens, the message style and the app's
// role come from the scenario file.
func TestScenarioExtensions(t *testing.T) {
	sc, err := ParseScenario([]byte(`{
	 "messages": {"omitReason": true},
	 "accounts": [{"id": "111111111111", "users": [{"name": "app", "bearerToken": true}, {"name": "other"}]}],
	 "target": {"principal": "111111111111/app", "roleArn": "arn:aws:iam::222222222222:role/R"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if tok, ok := sc.BearerToken("111111111111/app"); !ok || len(tok) < 10 {
		t.Errorf("no bearer token for app")
	}
	if _, ok := sc.BearerToken("111111111111/other"); ok {
		t.Errorf("a bearer token for a user that asked for none")
	}
	if !sc.World.Messages.OmitReason || sc.World.Messages.OmitPolicyARN {
		t.Errorf("messages = %+v", sc.World.Messages)
	}
	if sc.World.appRole != "arn:aws:iam::222222222222:role/R" {
		t.Errorf("app role = %q", sc.World.appRole)
	}
	secrets := sc.World.IssuedSecrets()
	tok, _ := sc.BearerToken("111111111111/app")
	if !slices.Contains(secrets, tok) {
		t.Errorf("the bearer token is not among the issued secrets")
	}
}
