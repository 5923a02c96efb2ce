package main

import (
	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
	"github.com/bedrockdoctor/bedrockdoctor/internal/awsfake"
)

// The demo's accounts and models. The app runs in the source account and
// assumes a role in the target account, which owns Bedrock access.
const (
	srcAccount   = "111111111111"
	tgtAccount   = "222222222222"
	otherAccount = "333333333333"
	mgmtAccount  = "999999999999"
	demoRole     = "arn:aws:iam::" + tgtAccount + ":role/BedrockInvoker"
	haiku        = "anthropic.claude-3-haiku-20240307-v1:0"
	sonnet       = "anthropic.claude-sonnet-4-5-20250929-v1:0"
	usSonnet     = "us." + sonnet
	nova         = "amazon.nova-lite-v1:0"
)

// Policies as users really write them. The app user may assume the role and
// simulate its own policies (so the diagnosis can check the source side).
const (
	appPolicy = `{"Version":"2012-10-17","Statement":[
 {"Sid":"AssumeBedrockRole","Effect":"Allow","Action":["sts:AssumeRole","sts:TagSession"],"Resource":"arn:aws:iam::222222222222:role/BedrockInvoker"},
 {"Sid":"SelfCheck","Effect":"Allow","Action":"iam:SimulatePrincipalPolicy","Resource":"arn:aws:iam::111111111111:user/app"}]}`

	appPolicyNoAssume = `{"Version":"2012-10-17","Statement":[
 {"Sid":"SelfCheck","Effect":"Allow","Action":"iam:SimulatePrincipalPolicy","Resource":"arn:aws:iam::111111111111:user/app"}]}`

	trustApp = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/app"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`

	trustOtherAccount = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::333333333333:root"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`

	// invokeAll follows AWS's cross-Region inference policy examples: the
	// profile in the source region and the foundation model in every
	// region it may route to.
	invokeAll = `{"Version":"2012-10-17","Statement":[
 {"Sid":"Invoke","Effect":"Allow","Action":["bedrock:InvokeModel","bedrock:InvokeModelWithResponseStream","bedrock:CountTokens"],
  "Resource":["arn:aws:bedrock:*::foundation-model/*","arn:aws:bedrock:*:222222222222:inference-profile/*"]},
 {"Sid":"Diagnose","Effect":"Allow","Action":["bedrock:Get*","bedrock:List*","iam:GetRole","iam:SimulatePrincipalPolicy"],"Resource":"*"}]}`

	// invokeOneRegion scopes the foundation model to us-east-1: the
	// classic mistake with a us. profile, which also routes to us-east-2
	// and us-west-2.
	invokeOneRegion = `{"Version":"2012-10-17","Statement":[
 {"Sid":"Invoke","Effect":"Allow","Action":["bedrock:InvokeModel","bedrock:InvokeModelWithResponseStream"],
  "Resource":["arn:aws:bedrock:us-east-1::foundation-model/*","arn:aws:bedrock:us-east-1:222222222222:inference-profile/*"]},
 {"Sid":"Diagnose","Effect":"Allow","Action":["bedrock:Get*","bedrock:List*","iam:GetRole","iam:SimulatePrincipalPolicy"],"Resource":"*"}]}`

	// auditorPolicy lets the diagnosis read the target account.
	auditorPolicy = `{"Version":"2012-10-17","Statement":[
 {"Sid":"ReadOnly","Effect":"Allow","Action":["iam:GetRole","iam:ListRolePolicies","iam:GetRolePolicy","iam:ListAttachedRolePolicies","iam:GetPolicy","iam:GetPolicyVersion","iam:SimulatePrincipalPolicy","bedrock:Get*","bedrock:List*"],"Resource":"*"}]}`

	// regionDenySCP is the common "approved regions only" guardrail; it
	// exempts the global services but forgets cross-Region inference.
	regionDenySCP = `{"Version":"2012-10-17","Statement":[{"Sid":"ApprovedRegionsOnly","Effect":"Deny",
 "NotAction":["iam:*","sts:*","organizations:*","support:*"],"Resource":"*",
 "Condition":{"StringNotEquals":{"aws:RequestedRegion":["us-east-1","us-west-2"]}}}]}`
)

// scenario is one demo world: a setup with exactly one thing wrong (or
// none), the call the app makes, and the layer a correct diagnosis names.
type scenario struct {
	name   string         // stable id, the demo's argument
	title  string         // one line: what is wrong
	who    string         // who fixes it, where
	expect diagnose.Layer // written by hand, never computed
	region string
	model  string
	// build makes the world; it starts from the healthy one.
	build func(d *demoWorld)
	// route picks the destination region of cross-Region inference.
	route awsfake.Router
	// forgetRole: the app builds its client from the base credentials
	// and never assumes the role (it uses AppendDiagnosis with RoleARN).
	forgetRole bool
	// badKeys: the app's access key was never issued (or was deleted).
	badKeys bool
	// auditor: the diagnosis reads the target account through a read-only
	// auditor user there (diagnose.Options.DiagnosticConfig), because the
	// app's own credentials cannot read a role it failed to assume.
	auditor bool
}

// demoWorld is the healthy world scenarios start from.
type demoWorld struct {
	w        *awsfake.World
	org      *awsfake.Organization
	src, tgt *awsfake.Account
	app      *awsfake.User
	role     *awsfake.Role
	auditor  *awsfake.User // read-only, in the target account
}

func newDemoWorld() *demoWorld {
	d := &demoWorld{w: awsfake.NewWorld()}
	w := d.w
	w.Model(awsfake.FoundationModel{ID: haiku, Name: "Claude 3 Haiku", Provider: "Anthropic", Regions: []string{"us-east-1", "us-east-2", "us-west-2", "eu-west-1"}, OnDemand: true, Marketplace: true})
	w.Model(awsfake.FoundationModel{ID: sonnet, Name: "Claude Sonnet 4.5", Provider: "Anthropic", Regions: []string{"us-east-1", "us-east-2", "us-west-2"}})
	w.Model(awsfake.FoundationModel{ID: nova, Name: "Nova Lite", Provider: "Amazon", Regions: []string{"us-east-1"}, OnDemand: true})
	w.Profile(awsfake.SystemProfile{ID: usSonnet, Name: "US Claude Sonnet 4.5", ModelID: sonnet, Sources: []string{"us-east-1", "us-east-2", "us-west-2"}})
	d.org = w.Organization("o-demo1234", mgmtAccount)
	prod := d.org.OU("ou-prod", "Prod")
	d.src = w.Account(srcAccount).In(prod)
	d.tgt = w.Account(tgtAccount).In(prod)
	w.Account(otherAccount)
	d.app = d.src.User("app").Inline("bedrock-access", appPolicy)
	d.role = d.tgt.Role("BedrockInvoker", trustApp).Inline("invoke", invokeAll)
	d.auditor = d.tgt.User("bedrockdoctor-auditor").Inline("read-only", auditorPolicy)
	return d
}

// routeTo sends every cross-Region inference call to region.
func routeTo(region string) awsfake.Router {
	return func(_, _ string, _ []string) string { return region }
}

// scenarios are the demo's worlds, one per layer, in chain order.
var scenarios = []scenario{
	{
		name: "healthy", title: "everything is in place",
		who:    "nobody",
		expect: diagnose.LayerNone, region: "us-east-1", model: haiku,
		build: func(*demoWorld) {},
	},
	{
		name: "credentials", title: "the app's access key was deleted",
		who:    "the app's environment in the source account: new access keys",
		expect: diagnose.LayerCredentials, region: "us-east-1", model: haiku,
		build: func(*demoWorld) {}, badKeys: true,
	},
	{
		name: "source-policy", title: "the app user may not call sts:AssumeRole on the role",
		who:    "source account IAM: the app user's policy",
		expect: diagnose.LayerSourcePolicy, region: "us-east-1", model: haiku,
		build: func(d *demoWorld) { d.app.Inline("bedrock-access", appPolicyNoAssume) },
	},
	{
		name: "trust-policy", title: "the role's trust policy trusts another account",
		who:    "target account IAM: the role's trust policy",
		expect: diagnose.LayerTrustPolicy, region: "us-east-1", model: haiku,
		build:   func(d *demoWorld) { d.role.Trust = trustOtherAccount },
		auditor: true,
	},
	{
		name: "wrong-principal", title: "the app never assumes the role: its own user calls Bedrock",
		who:    "the app's configuration: build the client with the role",
		expect: diagnose.LayerWrongPrincipal, region: "us-east-1", model: haiku,
		build: func(*demoWorld) {}, forgetRole: true,
	},
	{
		name: "role-permissions", title: "the role allows the model in us-east-1 only; the us. profile routed to us-east-2",
		who:    "target account IAM: the role's policy must allow every destination region",
		expect: diagnose.LayerRolePermissions, region: "us-east-1", model: usSonnet,
		build: func(d *demoWorld) { d.role.Inline("invoke", invokeOneRegion) },
		route: routeTo("us-east-2"),
	},
	{
		name: "org-policy", title: "an SCP denies regions outside us-east-1 and us-west-2; the us. profile routed to us-east-2",
		who:    "the organization's administrators: the SCP must exempt cross-Region inference",
		expect: diagnose.LayerOrgPolicy, region: "us-east-1", model: usSonnet,
		build: func(d *demoWorld) { d.tgt.SCP("p-regions", regionDenySCP) },
		route: routeTo("us-east-2"),
	},
	{
		name: "model-access", title: "the model's Marketplace subscription failed in the target account",
		who:    "target account Bedrock admin: model access",
		expect: diagnose.LayerModelAccess, region: "us-east-1", model: haiku,
		build: func(d *demoWorld) {
			d.tgt.Bedrock("us-east-1").Access(haiku, awsfake.AccessSubscriptionFailed)
		},
	},
	{
		name: "region", title: "Nova Lite is not offered in us-west-2",
		who:    "the app's configuration: region or model",
		expect: diagnose.LayerRegion, region: "us-west-2", model: nova,
		build: func(*demoWorld) {},
	},
	{
		name: "model-id", title: "Claude Sonnet 4.5 needs an inference profile id, not the bare model id",
		who:    "the app's configuration: the model id",
		expect: diagnose.LayerModelID, region: "us-east-1", model: sonnet,
		build: func(*demoWorld) {},
	},
}
