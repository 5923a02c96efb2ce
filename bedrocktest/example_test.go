package bedrocktest_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/bedrockdoctor/bedrockdoctor/bedrocktest"
	"github.com/bedrockdoctor/bedrockdoctor/client"
	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
)

const (
	app      = "arn:aws:iam::111111111111:user/app"
	roleARN  = "arn:aws:iam::222222222222:role/BedrockInvoker"
	haiku    = "anthropic.claude-3-haiku-20240307-v1:0"
	sonnet   = "anthropic.claude-sonnet-4-5-20250929-v1:0"
	usSonnet = "us." + sonnet

	assumePolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::222222222222:role/BedrockInvoker"}]}`
	trustApp     = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/app"},"Action":"sts:AssumeRole"}]}`
	// invokeEast allows every model in us-east-1, and the reads a
	// diagnosis makes.
	invokeEast = `{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":["bedrock:InvokeModel","bedrock:InvokeModelWithResponseStream"],"Resource":["arn:aws:bedrock:us-east-1::foundation-model/*","arn:aws:bedrock:us-east-1:222222222222:inference-profile/*"]},
 {"Effect":"Allow","Action":["bedrock:Get*","bedrock:List*","iam:GetRole","iam:ListRolePolicies","iam:GetRolePolicy","iam:ListAttachedRolePolicies","iam:GetPolicy","iam:GetPolicyVersion","iam:SimulatePrincipalPolicy"],"Resource":"*"}]}`
	allowAll = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
)

// newWorld is the world of most examples: user app in 111111111111 may
// assume BedrockInvoker in 222222222222, which may invoke any model in
// us-east-1 only.
func newWorld() *bedrocktest.World {
	w := bedrocktest.NewWorld()
	w.Model(bedrocktest.Model{ID: haiku, Provider: "Anthropic", Regions: []string{"us-east-1", "us-west-2"}, OnDemand: true})
	w.Account("111111111111").User("app").Inline("assume", assumePolicy)
	w.Account("222222222222").Role("BedrockInvoker", trustApp).Inline("invoke", invokeEast)
	return w
}

// hello makes one short Converse call.
func hello(cfg aws.Config, model string) (*bedrockruntime.ConverseOutput, error) {
	return bedrockruntime.NewFromConfig(cfg).Converse(context.Background(), &bedrockruntime.ConverseInput{
		ModelId:  aws.String(model),
		Messages: []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "Hello"}}}},
	})
}

// code returns an error's AWS error code, or "ok".
func code(err error) string {
	var ae smithy.APIError
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &ae):
		return ae.ErrorCode()
	}
	return err.Error()
}

// An app's test of its error handling: the role it assumes may not call the
// model in us-west-2, and the app's error says which layer denied it.
func Example() {
	w := newWorld()
	srv := bedrocktest.NewServer(w)
	defer srv.Close()

	cfg := srv.Config(app, "us-west-2") // what config.LoadDefaultConfig gives the app
	br := client.NewFromConfig(cfg, client.WithRole(roleARN))
	_, err := br.Converse(context.Background(), &bedrockruntime.ConverseInput{
		ModelId:  aws.String(haiku),
		Messages: []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "Hello"}}}},
	})
	var denied *diagnose.Error
	if errors.As(err, &denied) {
		fmt.Println(denied.Layer())
	}
	// Output:
	// role-permissions
}

func ExampleNewWorld() {
	w := bedrocktest.NewWorld()
	w.Model(bedrocktest.Model{ID: haiku, Provider: "Anthropic", Regions: []string{"us-east-1"}, OnDemand: true})
	user := w.Account("111111111111").User("app").Inline("invoke", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"bedrock:InvokeModel","Resource":"*"}]}`)

	srv := bedrocktest.NewServer(w)
	defer srv.Close()
	out, err := hello(srv.Config(user.ARN(), "us-east-1"), haiku)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(out.StopReason)
	// Output:
	// end_turn
}

func ExampleLoadWorld() {
	w, err := bedrocktest.LoadWorld("../internal/awsfake/testdata/scenarios/trust-wrong-account.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	a := w.App()
	fmt.Println(a.Principal)
	fmt.Println(a.RoleARN)
	fmt.Println(a.ModelID, a.Region)
	fmt.Println("expect", a.Expect)
	// Output:
	// arn:aws:iam::111111111111:user/app
	// arn:aws:iam::222222222222:role/BedrockInvoker
	// us.anthropic.claude-sonnet-4-5-20250929-v1:0 us-east-1
	// expect trust-policy
}

func ExampleParseWorld() {
	w, err := bedrocktest.ParseWorld([]byte(`{
  "name": "tiny",
  "models": [{"id": "amazon.nova-lite-v1:0", "provider": "Amazon", "regions": ["us-east-1"], "onDemand": true}],
  "accounts": [{"id": "111111111111", "users": [{"name": "app"}]}],
  "target": {"principal": "111111111111/app", "roleArn": "arn:aws:iam::111111111111:role/none", "modelId": "amazon.nova-lite-v1:0", "region": "us-east-1"}
}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	srv := bedrocktest.NewServer(w)
	defer srv.Close()
	// The user has no policy: Bedrock refuses it.
	_, err = hello(srv.Config(w.App().Principal, ""), "amazon.nova-lite-v1:0")
	fmt.Println(code(err))
	// Output:
	// AccessDeniedException
}

func ExampleWorld() {
	w := newWorld()
	srv := bedrocktest.NewServer(w)
	defer srv.Close()
	// The world may change while it is served: the next request sees it.
	w.Account("111111111111").User("reader")
	id, err := sts.NewFromConfig(srv.Config("arn:aws:iam::111111111111:user/reader", "")).GetCallerIdentity(context.Background(), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(*id.Arn)
	// Output:
	// arn:aws:iam::111111111111:user/reader
}

func ExampleWorld_Account() {
	w := bedrocktest.NewWorld()
	a := w.Account("111111111111")
	fmt.Println(a.User("app").ARN())
	// Output:
	// arn:aws:iam::111111111111:user/app
}

// An "approved regions" SCP at the organization's root denies us-west-2.
func ExampleWorld_Organization() {
	w := newWorld()
	w.Organization("o-example1", "999999999999").
		SCP("p-regions", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotAction":["iam:*","sts:*"],"Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":"us-east-1"}}}]}`).
		Account("111111111111")
	srv := bedrocktest.NewServer(w)
	defer srv.Close()
	// The app user may not call Bedrock in us-west-2, whatever IAM says.
	w.Account("111111111111").User("admin").Inline("all", allowAll)
	_, err := hello(srv.Config("arn:aws:iam::111111111111:user/admin", "us-west-2"), haiku)
	fmt.Println(code(err))
	fmt.Println(srv.Log()[0].Truth)
	// Output:
	// AccessDeniedException
	// [org-policy]
}

func ExampleWorld_Model() {
	w := bedrocktest.NewWorld()
	// Claude Sonnet 4.5 is callable only through an inference profile.
	w.Model(bedrocktest.Model{ID: sonnet, Provider: "Anthropic", Regions: []string{"us-east-1"}})
	w.Account("111111111111").User("admin").Inline("all", allowAll)
	srv := bedrocktest.NewServer(w)
	defer srv.Close()
	_, err := hello(srv.Config("arn:aws:iam::111111111111:user/admin", "us-east-1"), sonnet)
	fmt.Println(code(err))
	// Output:
	// ValidationException
}

func ExampleWorld_Profile() {
	w := bedrocktest.NewWorld()
	w.Model(bedrocktest.Model{ID: sonnet, Provider: "Anthropic", Regions: []string{"us-east-1", "us-east-2", "us-west-2"}})
	w.Profile(bedrocktest.Profile{ID: usSonnet, Model: sonnet, Sources: []string{"us-east-1", "us-east-2", "us-west-2"}})
	w.Account("111111111111").User("admin").Inline("all", allowAll)
	srv := bedrocktest.NewServer(w)
	defer srv.Close()
	_, err := hello(srv.Config("arn:aws:iam::111111111111:user/admin", "us-east-1"), usSonnet)
	fmt.Println(code(err))
	// Output:
	// ok
}

// The us. profile routes to us-east-2, where the role may not invoke the
// model: the denial names the destination region's model.
func ExampleWorld_Route() {
	w := newWorld()
	w.Model(bedrocktest.Model{ID: sonnet, Provider: "Anthropic", Regions: []string{"us-east-1", "us-east-2", "us-west-2"}})
	w.Profile(bedrocktest.Profile{ID: usSonnet, Model: sonnet, Sources: []string{"us-east-1", "us-east-2", "us-west-2"}})
	w.Route(usSonnet, "us-east-2")
	srv := bedrocktest.NewServer(w)
	defer srv.Close()
	_, err := hello(srv.Config(roleARN, "us-east-1"), usSonnet)
	fmt.Println(code(err))
	for _, e := range srv.Log() {
		fmt.Println(e.Resource, e.Truth)
	}
	// Output:
	// AccessDeniedException
	// arn:aws:bedrock:us-east-2::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0 [role-permissions]
}

// The app's network reaches Bedrock Runtime through a VPC endpoint whose
// policy allows Nova models only.
func ExampleWorld_VPCEndpoint() {
	w := newWorld()
	w.VPCEndpoint("vpce-0abc", "bedrock-runtime", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"bedrock:*","Resource":"arn:aws:bedrock:*::foundation-model/amazon.nova-*"}]}`)
	w.Account("111111111111").User("ci").Inline("all", allowAll).ThroughEndpoint("vpce-0abc")
	srv := bedrocktest.NewServer(w)
	defer srv.Close()
	_, err := hello(srv.Config("arn:aws:iam::111111111111:user/ci", "us-east-1"), haiku)
	fmt.Println(code(err))
	fmt.Println(srv.Log()[0].Truth)
	// Output:
	// AccessDeniedException
	// [endpoint-policy]
}

func ExampleWorld_App() {
	w, err := bedrocktest.LoadWorld("../cmd/bedrock-doctor/scenarios/04-trust-policy.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	a := w.App()
	fmt.Println(a.Principal, "assumes", a.RoleARN)
	fmt.Println("auditor:", a.Auditor)
	fmt.Println("expect:", a.Expect)
	// Output:
	// arn:aws:iam::111111111111:user/app assumes arn:aws:iam::222222222222:role/BedrockInvoker
	// auditor: arn:aws:iam::222222222222:user/bedrockdoctor-auditor
	// expect: trust-policy
}

func ExampleOrganization() {
	w := newWorld()
	org := w.Organization("o-example1", "999999999999")
	org.Account("111111111111")
	org.Account("222222222222")
	srv := bedrocktest.NewServer(w)
	defer srv.Close()
	_, err := hello(srv.Config(roleARN, "us-east-1"), haiku)
	fmt.Println(code(err))
	// Output:
	// ok
}

func ExampleOrganization_SCP() {
	w := newWorld()
	w.Organization("o-example1", "999999999999").
		SCP("p-nobedrock", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"bedrock:*","Resource":"*"}]}`).
		Account("222222222222")
	srv := bedrocktest.NewServer(w)
	defer srv.Close()
	_, err := hello(srv.Config(roleARN, "us-east-1"), haiku)
	fmt.Println(code(err), srv.Log()[0].Truth)
	// Output:
	// AccessDeniedException [org-policy]
}

// A resource control policy at the root keeps the organization's roles
// from being assumed by anyone outside it.
func ExampleOrganization_RCP() {
	w := newWorld()
	w.Organization("o-example1", "999999999999").
		RCP("p-inside", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"sts:AssumeRole","Resource":"*","Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"o-example1"}}}]}`).
		Account("222222222222")
	srv := bedrocktest.NewServer(w)
	defer srv.Close()
	// 111111111111 is in no organization.
	_, err := sts.NewFromConfig(srv.Config(app, "us-east-1")).AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("app")})
	fmt.Println(code(err), srv.Log()[0].Truth)
	// Output:
	// AccessDenied [org-policy]
}

func ExampleOrganization_OU() {
	w := newWorld()
	org := w.Organization("o-example1", "999999999999")
	org.OU("ou-prod", "Prod").Account("222222222222")
	org.OU("ou-sandbox", "Sandbox").
		SCP("p-nobedrock", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"bedrock:*","Resource":"*"}]}`)
	srv := bedrocktest.NewServer(w)
	defer srv.Close()
	// The Sandbox SCP does not apply to an account in Prod.
	_, err := hello(srv.Config(roleARN, "us-east-1"), haiku)
	fmt.Println(code(err))
	// Output:
	// ok
}

func ExampleOrganization_Account() {
	w := newWorld()
	org := w.Organization("o-example1", "999999999999").
		SCP("p-nobedrock", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"bedrock:*","Resource":"*"}]}`)
	srv := bedrocktest.NewServer(w)
	defer srv.Close()
	_, err := hello(srv.Config(roleARN, "us-east-1"), haiku)
	fmt.Println("outside:", code(err))
	org.Account("222222222222")
	_, err = hello(srv.Config(roleARN, "us-east-1"), haiku)
	fmt.Println("inside:", code(err))
	// Output:
	// outside: ok
	// inside: AccessDeniedException
}

func ExampleOU() {
	w := newWorld()
	prod := w.Organization("o-example1", "999999999999").OU("ou-prod", "Prod")
	prod.Account("111111111111")
	prod.Account("222222222222")
	srv := bedrocktest.NewServer(w)
	defer srv.Close()
	_, err := hello(srv.Config(roleARN, "us-east-1"), haiku)
	fmt.Println(code(err))
	// Output:
	// ok
}

func ExampleOU_SCP() {
	w := newWorld()
	w.Organization("o-example1", "999999999999").OU("ou-prod", "Prod").
		SCP("p-nobedrock", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"bedrock:InvokeModel","Resource":"*"}]}`).
		Account("222222222222")
	srv := bedrocktest.NewServer(w)
	defer srv.Close()
	_, err := hello(srv.Config(roleARN, "us-east-1"), haiku)
	fmt.Println(code(err), srv.Log()[0].Truth)
	// Output:
	// AccessDeniedException [org-policy]
}

func ExampleOU_RCP() {
	w := newWorld()
	w.Organization("o-example1", "999999999999").OU("ou-prod", "Prod").
		RCP("p-inside", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"sts:AssumeRole","Resource":"*","Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"o-example1"}}}]}`).
		Account("222222222222")
	srv := bedrocktest.NewServer(w)
	defer srv.Close()
	_, err := sts.NewFromConfig(srv.Config(app, "us-east-1")).AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("app")})
	fmt.Println(code(err))
	// Output:
	// AccessDenied
}

// SCPs at every level on the way down apply: here the one on the nested
// unit.
func ExampleOU_OU() {
	w := newWorld()
	w.Organization("o-example1", "999999999999").OU("ou-workloads", "Workloads").OU("ou-ml", "ML").
		SCP("p-nobedrock", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"bedrock:*","Resource":"*"}]}`).
		Account("222222222222")
	srv := bedrocktest.NewServer(w)
	defer srv.Close()
	_, err := hello(srv.Config(roleARN, "us-east-1"), haiku)
	fmt.Println(code(err))
	// Output:
	// AccessDeniedException
}

func ExampleOU_Account() {
	w := newWorld()
	ou := w.Organization("o-example1", "999999999999").OU("ou-prod", "Prod")
	a := ou.Account("222222222222")
	fmt.Println(a.Role("Other", trustApp).ARN())
	// Output:
	// arn:aws:iam::222222222222:role/Other
}

func ExampleAccount() {
	w := bedrocktest.NewWorld()
	src := w.Account("111111111111")
	tgt := w.Account("222222222222")
	fmt.Println(src.User("app").ARN())
	fmt.Println(tgt.Role("BedrockInvoker", trustApp).ARN())
	// Output:
	// arn:aws:iam::111111111111:user/app
	// arn:aws:iam::222222222222:role/BedrockInvoker
}

func ExampleAccount_SCP() {
	w := newWorld()
	w.Organization("o-example1", "999999999999").Account("222222222222").
		SCP("p-nohaiku", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"bedrock:InvokeModel","Resource":"arn:aws:bedrock:*::foundation-model/anthropic.claude-3-haiku*"}]}`)
	srv := bedrocktest.NewServer(w)
	defer srv.Close()
	_, err := hello(srv.Config(roleARN, "us-east-1"), haiku)
	fmt.Println(code(err), srv.Log()[0].Truth)
	// Output:
	// AccessDeniedException [org-policy]
}

func ExampleAccount_RCP() {
	w := newWorld()
	w.Organization("o-example1", "999999999999").Account("222222222222").
		RCP("p-inside", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"sts:AssumeRole","Resource":"*","Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"o-example1"}}}]}`)
	srv := bedrocktest.NewServer(w)
	defer srv.Close()
	_, err := sts.NewFromConfig(srv.Config(app, "us-east-1")).AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("app")})
	fmt.Println(code(err))
	// Output:
	// AccessDenied
}

func ExampleAccount_ManagedPolicy() {
	w := bedrocktest.NewWorld()
	a := w.Account("222222222222")
	arn := a.ManagedPolicy("BedrockInvoke", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"bedrock:InvokeModel","Resource":"*"}]}`)
	a.Role("BedrockInvoker", trustApp).Attach(arn)
	fmt.Println(arn)
	// Output:
	// arn:aws:iam::222222222222:policy/BedrockInvoke
}

func ExampleAccount_User() {
	w := bedrocktest.NewWorld()
	u := w.Account("111111111111").User("app").Inline("assume", assumePolicy)
	srv := bedrocktest.NewServer(w)
	defer srv.Close()
	id, err := sts.NewFromConfig(srv.Config(u.ARN(), "us-east-1")).GetCallerIdentity(context.Background(), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(*id.Account, *id.Arn)
	// Output:
	// 111111111111 arn:aws:iam::111111111111:user/app
}

func ExampleAccount_Role() {
	w := newWorld()
	// A second role trusts another account only.
	w.Account("222222222222").Role("Partner", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::333333333333:root"},"Action":"sts:AssumeRole"}]}`)
	srv := bedrocktest.NewServer(w)
	defer srv.Close()
	w.Account("111111111111").User("ops").Inline("assume-any", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)
	_, err := sts.NewFromConfig(srv.Config("arn:aws:iam::111111111111:user/ops", "us-east-1")).AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::222222222222:role/Partner"), RoleSessionName: aws.String("app")})
	fmt.Println(code(err), srv.Log()[0].Truth)
	// Output:
	// AccessDenied [trust-policy]
}

// The Anthropic first-time-use form was never submitted in the role's
// account: AWS answers 404.
func ExampleAccount_ModelAccess() {
	w := newWorld()
	w.Account("222222222222").ModelAccess("us-east-1", haiku, bedrocktest.AccessUseCaseMissing)
	srv := bedrocktest.NewServer(w)
	defer srv.Close()
	_, err := hello(srv.Config(roleARN, "us-east-1"), haiku)
	fmt.Println(code(err), srv.Log()[0].Truth)
	// Output:
	// ResourceNotFoundException [model-access]
}

func ExampleAccessState() {
	w := newWorld()
	w.Account("222222222222").ModelAccess("us-east-1", haiku, bedrocktest.AccessSubscriptionFailed)
	srv := bedrocktest.NewServer(w)
	defer srv.Close()
	_, err := hello(srv.Config(roleARN, "us-east-1"), haiku)
	fmt.Println(code(err))
	// Output:
	// AccessDeniedException
}

func ExampleUser() {
	w := newWorld()
	srv := bedrocktest.NewServer(w)
	defer srv.Close()
	// The user itself has no Bedrock permission.
	_, err := hello(srv.Config(app, "us-east-1"), haiku)
	fmt.Println(code(err))
	// Output:
	// AccessDeniedException
}

func ExampleUser_ARN() {
	w := bedrocktest.NewWorld()
	fmt.Println(w.Account("111111111111").User("ci").ARN())
	// Output:
	// arn:aws:iam::111111111111:user/ci
}

func ExampleUser_Inline() {
	w := newWorld()
	w.Account("111111111111").User("ci").Inline("invoke", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"bedrock:InvokeModel","Resource":"*"}]}`)
	srv := bedrocktest.NewServer(w)
	defer srv.Close()
	_, err := hello(srv.Config("arn:aws:iam::111111111111:user/ci", "us-east-1"), haiku)
	fmt.Println(code(err))
	// Output:
	// ok
}

func ExampleUser_Attach() {
	w := newWorld()
	a := w.Account("111111111111")
	p := a.ManagedPolicy("Invoke", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"bedrock:InvokeModel","Resource":"*"}]}`)
	a.User("dev").Attach(p)
	srv := bedrocktest.NewServer(w)
	defer srv.Close()
	_, err := hello(srv.Config("arn:aws:iam::111111111111:user/dev", "us-east-1"), haiku)
	fmt.Println(code(err))
	// Output:
	// ok
}

// The boundary allows STS only: the user's own Allow of everything does not
// reach Bedrock.
func ExampleUser_Boundary() {
	w := newWorld()
	a := w.Account("111111111111")
	b := a.ManagedPolicy("StsOnly", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:*","Resource":"*"}]}`)
	a.User("dev").Inline("all", allowAll).Boundary(b)
	srv := bedrocktest.NewServer(w)
	defer srv.Close()
	_, err := hello(srv.Config("arn:aws:iam::111111111111:user/dev", "us-east-1"), haiku)
	fmt.Println(code(err))
	// Output:
	// AccessDeniedException
}

// The user's network reaches STS through a VPC endpoint whose policy
// refuses role assumption.
func ExampleUser_ThroughEndpoint() {
	w := bedrocktest.NewWorld()
	w.VPCEndpoint("vpce-0abc", "sts", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"sts:AssumeRole","Resource":"*"}]}`)
	w.Account("111111111111").User("app").Inline("assume", assumePolicy).ThroughEndpoint("vpce-0abc")
	w.Account("222222222222").Role("BedrockInvoker", trustApp)
	srv := bedrocktest.NewServer(w)
	defer srv.Close()
	_, err := sts.NewFromConfig(srv.Config(app, "us-east-1")).AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("app")})
	fmt.Println(code(err), srv.Log()[0].Truth)
	// Output:
	// AccessDenied [endpoint-policy]
}

func ExampleRole() {
	w := newWorld()
	srv := bedrocktest.NewServer(w)
	defer srv.Close()
	// A config for a role holds a session of it, as if assumed.
	id, err := sts.NewFromConfig(srv.Config(roleARN, "us-east-1")).GetCallerIdentity(context.Background(), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(*id.Arn)
	// Output:
	// arn:aws:sts::222222222222:assumed-role/BedrockInvoker/bedrocktest
}

func ExampleRole_ARN() {
	w := bedrocktest.NewWorld()
	fmt.Println(w.Account("222222222222").Role("BedrockInvoker", trustApp).ARN())
	// Output:
	// arn:aws:iam::222222222222:role/BedrockInvoker
}

func ExampleRole_Inline() {
	w := newWorld()
	w.Account("222222222222").Role("Reader", trustApp).Inline("read", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"bedrock:List*","Resource":"*"}]}`)
	srv := bedrocktest.NewServer(w)
	defer srv.Close()
	_, err := hello(srv.Config("arn:aws:iam::222222222222:role/Reader", "us-east-1"), haiku)
	fmt.Println(code(err), srv.Log()[0].Truth)
	// Output:
	// AccessDeniedException [role-permissions]
}

func ExampleRole_Attach() {
	w := newWorld()
	a := w.Account("222222222222")
	p := a.ManagedPolicy("Invoke", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"bedrock:InvokeModel","Resource":"*"}]}`)
	a.Role("Worker", trustApp).Attach(p)
	srv := bedrocktest.NewServer(w)
	defer srv.Close()
	_, err := hello(srv.Config("arn:aws:iam::222222222222:role/Worker", "us-west-2"), haiku)
	fmt.Println(code(err))
	// Output:
	// ok
}

func ExampleRole_Boundary() {
	w := newWorld()
	a := w.Account("222222222222")
	b := a.ManagedPolicy("NoBedrock", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)
	a.Role("Bounded", trustApp).Inline("all", allowAll).Boundary(b)
	srv := bedrocktest.NewServer(w)
	defer srv.Close()
	_, err := hello(srv.Config("arn:aws:iam::222222222222:role/Bounded", "us-east-1"), haiku)
	fmt.Println(code(err), srv.Log()[0].Truth)
	// Output:
	// AccessDeniedException [role-permissions]
}

func ExampleModel() {
	w := bedrocktest.NewWorld()
	w.Model(bedrocktest.Model{ID: "amazon.nova-lite-v1:0", Provider: "Amazon", Regions: []string{"us-east-1"}, OnDemand: true})
	w.Account("111111111111").User("admin").Inline("all", allowAll)
	srv := bedrocktest.NewServer(w)
	defer srv.Close()
	// Not offered in us-west-2.
	_, err := hello(srv.Config("arn:aws:iam::111111111111:user/admin", "us-west-2"), "amazon.nova-lite-v1:0")
	fmt.Println(code(err), srv.Log()[0].Truth)
	// Output:
	// ValidationException [region]
}

func ExampleProfile() {
	p := bedrocktest.Profile{ID: usSonnet, Model: sonnet, Sources: []string{"us-east-1", "us-east-2", "us-west-2"}}
	w := bedrocktest.NewWorld()
	w.Model(bedrocktest.Model{ID: sonnet, Provider: "Anthropic", Regions: p.Sources}).Profile(p)
	fmt.Println(p.ID)
	// Output:
	// us.anthropic.claude-sonnet-4-5-20250929-v1:0
}

func ExampleApp() {
	w, err := bedrocktest.LoadWorld("../cmd/bedrock-doctor/scenarios/07-role-permissions.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	srv := bedrocktest.NewServer(w)
	defer srv.Close()
	a := w.App()
	br := client.NewFromConfig(srv.Config(a.Principal, a.Region), client.WithRole(a.RoleARN))
	_, err = br.Converse(context.Background(), &bedrockruntime.ConverseInput{
		ModelId:  aws.String(a.ModelID),
		Messages: []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "Hello"}}}},
	})
	var denied *diagnose.Error
	if errors.As(err, &denied) {
		fmt.Println("diagnosed", denied.Layer(), "expected", a.Expect)
	}
	// Output:
	// diagnosed role-permissions expected role-permissions
}

func ExampleServer() {
	w := newWorld()
	srv := bedrocktest.NewServer(w)
	defer srv.Close()
	// Another process or SDK reaches it through its URL, e.g. as
	// AWS_ENDPOINT_URL.
	cfg := srv.Config(app, "us-east-1")
	fmt.Println(*cfg.BaseEndpoint == srv.URL)
	// Output:
	// true
}

func ExampleNewServer() {
	srv := bedrocktest.NewServer(newWorld())
	defer srv.Close()
	out, err := hello(srv.Config(roleARN, "us-east-1"), haiku)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(out.StopReason)
	// Output:
	// end_turn
}

func ExampleNewTLSServer() {
	srv := bedrocktest.NewTLSServer(newWorld())
	defer srv.Close()
	_, err := hello(srv.Config(roleARN, "us-east-1"), haiku)
	fmt.Println(code(err), srv.Log()[0].Proto)
	// Output:
	// ok HTTP/2.0
}

// stand-in for a test's *testing.T, so that the examples of the
// testing.TB helpers run; in a test, pass t.
type exampleT struct {
	testing.TB
	cleanups []func()
}

func (t *exampleT) Helper()               {}
func (t *exampleT) Cleanup(f func())      { t.cleanups = append(t.cleanups, f) }
func (t *exampleT) Fatal(args ...any)     { panic(fmt.Sprint(args...)) }
func (t *exampleT) Errorf(string, ...any) {}

// runTest runs body as a test would, then its cleanups.
func runTest(body func(t testing.TB)) {
	t := &exampleT{}
	body(t)
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
}

// In a test: the server closes when the test ends.
func ExampleStart() {
	runTest(func(t testing.TB) { // func TestSummarize(t *testing.T) {
		srv := bedrocktest.Start(t, newWorld())
		_, err := hello(srv.Config(roleARN, "us-west-2"), haiku)
		fmt.Println(code(err))
	})
	// Output:
	// AccessDeniedException
}

// A test of the app's handling of a denial, on a demo world.
func ExampleStartFile() {
	runTest(func(t testing.TB) { // func TestDenied(t *testing.T) {
		srv := bedrocktest.StartFile(t, "../cmd/bedrock-doctor/scenarios/08-org-policy.json")
		a := srv.World.App()
		br := client.NewFromConfig(srv.Config(a.Principal, a.Region), client.WithRole(a.RoleARN))
		_, err := br.Converse(context.Background(), &bedrockruntime.ConverseInput{
			ModelId:  aws.String(a.ModelID),
			Messages: []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "Hello"}}}},
		})
		var denied *diagnose.Error
		if !errors.As(err, &denied) || denied.Layer() != diagnose.LayerOrgPolicy {
			t.Errorf("got %v, want an org-policy diagnosis", err)
		}
		fmt.Println(denied.Layer())
	})
	// Output:
	// org-policy
}

func ExampleServer_Close() {
	srv := bedrocktest.NewServer(newWorld())
	cfg := srv.Config(roleARN, "us-east-1")
	srv.Close()
	_, err := hello(cfg, haiku)
	fmt.Println(err != nil)
	// Output:
	// true
}

func ExampleServer_Config() {
	srv := bedrocktest.NewServer(newWorld())
	defer srv.Close()
	cfg := srv.Config(app, "us-east-1")
	creds, _ := cfg.Credentials.Retrieve(context.Background())
	fmt.Println(cfg.Region, creds.AccessKeyID[:4])
	// Output:
	// us-east-1 AKIA
}

func ExampleServer_BearerConfig() {
	t := os.Getenv("AWS_BEARER_TOKEN_BEDROCK")
	os.Unsetenv("AWS_BEARER_TOKEN_BEDROCK") // the SDK would send this one instead
	defer os.Setenv("AWS_BEARER_TOKEN_BEDROCK", t)

	w := newWorld()
	// The key's user may invoke in us-west-2 only.
	w.Account("111111111111").User("keyholder").Inline("invoke", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"bedrock:InvokeModel","Resource":"arn:aws:bedrock:us-west-2::foundation-model/*"}]}`)
	srv := bedrocktest.NewTLSServer(w)
	defer srv.Close()
	for _, region := range []string{"us-west-2", "us-east-1"} {
		_, err := hello(srv.BearerConfig("arn:aws:iam::111111111111:user/keyholder", region), haiku)
		fmt.Println(region, code(err))
	}
	// Output:
	// us-west-2 ok
	// us-east-1 AccessDeniedException
}

func ExampleServer_Log() {
	srv := bedrocktest.NewServer(newWorld())
	defer srv.Close()
	br := client.NewFromConfig(srv.Config(app, "us-east-1"),
		client.WithRole(roleARN, func(o *stscreds.AssumeRoleOptions) { o.RoleSessionName = "app" }))
	_, _ = br.Converse(context.Background(), &bedrockruntime.ConverseInput{
		ModelId:  aws.String(haiku),
		Messages: []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "Hello"}}}},
	})
	for _, e := range srv.Log() {
		fmt.Println(e.Service, e.Action, e.Status, e.Decision, e.Caller)
	}
	// Output:
	// sts AssumeRole 200 allow arn:aws:iam::111111111111:user/app
	// bedrock-runtime Converse 200 allow arn:aws:sts::222222222222:assumed-role/BedrockInvoker/app
}

func ExampleServer_ResetLog() {
	srv := bedrocktest.NewServer(newWorld())
	defer srv.Close()
	_, _ = hello(srv.Config(roleARN, "us-east-1"), haiku)
	srv.ResetLog()
	fmt.Println(len(srv.Log()))
	// Output:
	// 0
}

// Throttling, whatever the policies say: a test of the app's retries.
func ExampleServer_Script() {
	srv := bedrocktest.NewServer(newWorld())
	defer srv.Close()
	srv.Script("bedrock-runtime", "Converse", bedrocktest.Respond{Status: 429, Code: "ThrottlingException", Message: "Too many requests, please wait before trying again.", Times: 1})
	cfg := srv.Config(roleARN, "us-east-1")
	cfg.Retryer = nil // the SDK's standard retryer
	cfg.RetryMaxAttempts = 2
	_, err := hello(cfg, haiku)
	fmt.Println(code(err))
	for _, e := range srv.Log() {
		fmt.Println(e.Attempt, e.Status, e.Decision)
	}
	// Output:
	// ok
	// attempt=1; max=2 429 scripted
	// attempt=2; max=2 200 allow
}

func ExampleServer_InjectFault() {
	srv := bedrocktest.NewServer(newWorld())
	defer srv.Close()
	srv.InjectFault("bedrock-runtime", "*", bedrocktest.Fault{Status: 503, Code: "ServiceUnavailableException", Message: "Bedrock is unable to process your request."})
	_, err := hello(srv.Config(roleARN, "us-east-1"), haiku)
	var unavailable *types.ServiceUnavailableException
	fmt.Println(errors.As(err, &unavailable))
	// Output:
	// true
}

func ExampleServer_ClearScripts() {
	srv := bedrocktest.NewServer(newWorld())
	defer srv.Close()
	srv.InjectFault("bedrock-runtime", "*", bedrocktest.Fault{Drop: true})
	srv.ClearScripts()
	_, err := hello(srv.Config(roleARN, "us-east-1"), haiku)
	fmt.Println(code(err))
	// Output:
	// ok
}

func ExampleLogEntry() {
	srv := bedrocktest.NewServer(newWorld())
	defer srv.Close()
	_, _ = hello(srv.Config(roleARN, "us-west-2"), haiku)
	e := srv.Log()[0]
	fmt.Println(e.Service, e.Action, e.Region, e.Status, e.ErrorCode)
	fmt.Println(e.Resource)
	fmt.Println(e.Truth)
	// Output:
	// bedrock-runtime Converse us-west-2 403 AccessDeniedException
	// arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-3-haiku-20240307-v1:0
	// [role-permissions]
}

// A canned Allow: the request goes through whatever the policies say.
func ExampleRespond() {
	srv := bedrocktest.NewServer(newWorld())
	defer srv.Close()
	srv.Script("bedrock-runtime", "Converse", bedrocktest.Respond{Allow: true})
	_, err := hello(srv.Config(app, "us-east-1"), haiku) // the user has no Bedrock grant
	fmt.Println(code(err))
	// Output:
	// ok
}

// A stream that breaks after its first event.
func ExampleFault() {
	srv := bedrocktest.NewServer(newWorld())
	defer srv.Close()
	srv.InjectFault("bedrock-runtime", "ConverseStream", bedrocktest.Fault{StreamException: "modelStreamErrorException", Message: "the model stopped"})
	out, err := bedrockruntime.NewFromConfig(srv.Config(roleARN, "us-east-1")).ConverseStream(context.Background(), &bedrockruntime.ConverseStreamInput{
		ModelId:  aws.String(haiku),
		Messages: []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "Hello"}}}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	stream := out.GetStream()
	for range stream.Events() {
	}
	var broken *types.ModelStreamErrorException
	fmt.Println(errors.As(stream.Err(), &broken))
	_ = stream.Close()
	// Output:
	// true
}
