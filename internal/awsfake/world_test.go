package awsfake

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Test accounts and ids.
const (
	srcAcct  = "111111111111"
	tgtAcct  = "222222222222"
	mgmtAcct = "999999999999"
	haiku    = "anthropic.claude-3-haiku-20240307-v1:0"
	sonnet   = "anthropic.claude-sonnet-4-5-20250929-v1:0"
	nova     = "amazon.nova-lite-v1:0"
	usSonnet = "us." + sonnet
	glSonnet = "global." + sonnet
	roleARN  = "arn:aws:iam::" + tgtAcct + ":role/BedrockInvoker"
	appARN   = "arn:aws:iam::" + srcAcct + ":user/app"
)

const trustSource = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`

const allowAssume = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"],"Resource":"arn:aws:iam::222222222222:role/BedrockInvoker"}]}`

// invokePolicy follows AWS's cross-Region inference examples: the profile
// in the source region and the model in every region, scoped to profiles.
const invokePolicy = `{"Version":"2012-10-17","Statement":[
 {"Sid":"Direct","Effect":"Allow","Action":["bedrock:InvokeModel","bedrock:InvokeModelWithResponseStream","bedrock:CountTokens"],
  "Resource":["arn:aws:bedrock:*::foundation-model/*","arn:aws:bedrock:*:222222222222:inference-profile/*","arn:aws:bedrock:*:222222222222:application-inference-profile/*"]},
 {"Sid":"Guardrails","Effect":"Allow","Action":"bedrock:ApplyGuardrail","Resource":"arn:aws:bedrock:*:222222222222:guardrail/*"},
 {"Sid":"Reads","Effect":"Allow","Action":["bedrock:Get*","bedrock:List*","iam:Get*","iam:List*","iam:Simulate*"],"Resource":"*"}]}`

// fixture is the world most tests share: an app user in a source account
// that assumes a role in a target account, both in one organization.
type fixture struct {
	w      *World
	s      *Server
	org    *Organization
	prod   *OU
	src    *Account
	tgt    *Account
	app    *User
	role   *Role
	appKey Credentials
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "")
	f := &fixture{w: NewWorld()}
	w := f.w
	w.Model(FoundationModel{ID: haiku, Provider: "Anthropic", Regions: []string{"us-east-1", "us-east-2", "us-west-2", "eu-west-1"}, OnDemand: true})
	w.Model(FoundationModel{ID: sonnet, Provider: "Anthropic", Regions: []string{"us-east-1", "us-east-2", "us-west-2", "eu-west-1"}})
	w.Model(FoundationModel{ID: nova, Provider: "Amazon", Regions: []string{"us-east-1"}, OnDemand: true})
	w.Profile(SystemProfile{ID: usSonnet, ModelID: sonnet, Sources: []string{"us-east-1", "us-east-2", "us-west-2"}})
	w.Profile(SystemProfile{ID: glSonnet, ModelID: sonnet, Sources: []string{"us-east-1", "eu-west-1"}})
	f.org = w.Organization("o-abcd1234", mgmtAcct)
	f.prod = f.org.OU("ou-prod", "Prod")
	f.src = w.Account(srcAcct).In(f.prod)
	f.tgt = w.Account(tgtAcct).In(f.prod)
	f.app = f.src.User("app").Inline("assume", allowAssume)
	f.appKey = f.app.AccessKey()
	f.role = f.tgt.Role("BedrockInvoker", trustSource).Inline("invoke", invokePolicy)
	f.tgt.Bedrock("us-east-1").Guardrail("gr1abc", "default", "1")
	f.s = NewServer(w)
	t.Cleanup(f.s.Close)
	return f
}

// cfg returns a config for credentials.
func (f *fixture) cfg(c Credentials) aws.Config { return f.s.Config("us-east-1", c) }

// roleCfg returns the app's config with the role's credentials, as the
// drop-in client builds it.
func (f *fixture) roleCfg(optFns ...func(*stscreds.AssumeRoleOptions)) aws.Config {
	base := f.cfg(f.appKey)
	cfg := base.Copy()
	cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(base), roleARN, optFns...))
	return cfg
}

// session assumes the role directly and returns its credentials.
func (f *fixture) session(t testing.TB) Credentials {
	t.Helper()
	out, err := sts.NewFromConfig(f.cfg(f.appKey)).AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("test")})
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	return Credentials{AccessKeyID: *out.Credentials.AccessKeyId, SecretAccessKey: *out.Credentials.SecretAccessKey, SessionToken: *out.Credentials.SessionToken, Expires: *out.Credentials.Expiration}
}

var _ = time.Second
