// Package localaws starts the examples' offline world: a fake, multi-account
// AWS on loopback (internal/awsfake) with an app in account 111111111111
// and a Bedrock role in account 222222222222. It exists only so that the
// examples run without an AWS account (flag -local); the examples' code is
// the same online.
package localaws

import (
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/bedrockdoctor/bedrockdoctor/internal/awsfake"
)

// Env is a running local world.
type Env struct {
	// Config holds the app's base credentials, pointed at the fake.
	Config aws.Config
	// RoleARN is the role in the Bedrock account.
	RoleARN string
	// ExternalID is the external id the role's trust policy requires, if
	// any.
	ExternalID string
	// ModelID is the model (or inference profile) the app calls.
	ModelID string

	srv *awsfake.Server
}

// Close stops the fake.
func (e *Env) Close() { e.srv.Close() }

const (
	roleARN    = "arn:aws:iam::222222222222:role/BedrockInvoker"
	externalID = "example-external-id"
	sonnet     = "anthropic.claude-sonnet-4-5-20250929-v1:0"
	usSonnet   = "us." + sonnet
)

const (
	appPolicy = `{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::222222222222:role/BedrockInvoker"},
 {"Effect":"Allow","Action":"iam:SimulatePrincipalPolicy","Resource":"arn:aws:iam::111111111111:user/app"}]}`

	trust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/app"},"Action":"sts:AssumeRole"}]}`

	// trustExternalID is the confused-deputy guard for a third party.
	trustExternalID = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/app"},"Action":"sts:AssumeRole",
 "Condition":{"StringEquals":{"sts:ExternalId":"example-external-id"}}}]}`

	// invokeAll allows the model in every region a us. profile routes to.
	invokeAll = `{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":["bedrock:InvokeModel","bedrock:InvokeModelWithResponseStream"],
  "Resource":["arn:aws:bedrock:*::foundation-model/*","arn:aws:bedrock:*:222222222222:inference-profile/*"]},
 {"Effect":"Allow","Action":["bedrock:Get*","bedrock:List*","iam:GetRole","iam:ListRolePolicies","iam:GetRolePolicy","iam:ListAttachedRolePolicies","iam:GetPolicy","iam:GetPolicyVersion","iam:SimulatePrincipalPolicy"],"Resource":"*"}]}`

	// invokeOneRegion forgets that a us. profile also routes to us-east-2
	// and us-west-2.
	invokeOneRegion = `{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":["bedrock:InvokeModel","bedrock:InvokeModelWithResponseStream"],
  "Resource":["arn:aws:bedrock:us-east-1::foundation-model/*","arn:aws:bedrock:us-east-1:222222222222:inference-profile/*"]},
 {"Effect":"Allow","Action":["bedrock:Get*","bedrock:List*","iam:GetRole","iam:ListRolePolicies","iam:GetRolePolicy","iam:ListAttachedRolePolicies","iam:GetPolicy","iam:GetPolicyVersion","iam:SimulatePrincipalPolicy"],"Resource":"*"}]}`

	// regionDeny is an "approved regions only" SCP that forgets
	// cross-Region inference.
	regionDeny = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotAction":["iam:*","sts:*","organizations:*"],"Resource":"*",
 "Condition":{"StringNotEquals":{"aws:RequestedRegion":["us-east-1","us-west-2"]}}}]}`
)

// DestinationRegionDenied is a world whose role allows the model in
// us-east-1 only while the us. profile routes the call to us-east-2: the
// diagnosis names role-permissions.
func DestinationRegionDenied() *Env {
	return start(func(w *awsfake.World, tgt *awsfake.Account) {
		tgt.Role("BedrockInvoker", trust).Inline("invoke", invokeOneRegion)
	})
}

// RegionDenySCP is a world whose organization denies us-east-2 while the us.
// profile routes the call there: the diagnosis names org-policy. The role
// requires ExternalID.
func RegionDenySCP() *Env {
	return startExternal(func(w *awsfake.World, tgt *awsfake.Account) {
		tgt.Role("BedrockInvoker", trustExternalID).Inline("invoke", invokeAll)
		tgt.SCP("p-approvedregions", regionDeny)
	})
}

func startExternal(build func(w *awsfake.World, tgt *awsfake.Account)) *Env {
	e := start(build)
	e.ExternalID = externalID
	return e
}

func start(build func(w *awsfake.World, tgt *awsfake.Account)) *Env {
	w := awsfake.NewWorld()
	w.Model(awsfake.FoundationModel{ID: sonnet, Provider: "Anthropic", Regions: []string{"us-east-1", "us-east-2", "us-west-2"}})
	w.Profile(awsfake.SystemProfile{ID: usSonnet, ModelID: sonnet, Sources: []string{"us-east-1", "us-east-2", "us-west-2"}})
	org := w.Organization("o-example1", "999999999999")
	src := w.Account("111111111111").InOrg(org)
	tgt := w.Account("222222222222").InOrg(org)
	app := src.User("app").Inline("assume", appPolicy)
	build(w, tgt)
	srv := awsfake.NewServer(w)
	// Route every cross-Region call to us-east-2, where the world denies.
	srv.SetRouter(func(_, _ string, _ []string) string { return "us-east-2" })
	return &Env{
		Config:  srv.Config("us-east-1", app.AccessKey()),
		RoleARN: roleARN,
		ModelID: usSonnet,
		srv:     srv,
	}
}
