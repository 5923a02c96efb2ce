package oracle

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
)

// The accounts of the generated world: the caller's, the target's (a role
// or bucket in another account of the same organization), and a stranger.
const (
	acctA = "111111111111"
	acctB = "222222222222"
	acctC = "333333333333"
	orgID = "o-abc123"
	vpce  = "vpce-1a2b3c4d"
)

var (
	regions = []string{"us-east-1", "us-west-2", "eu-west-1"}
	models  = []string{
		"anthropic.claude-3-haiku-20240307-v1:0",
		"anthropic.claude-sonnet-4-20250514-v1:0",
		"amazon.titan-text-express-v1",
		"meta.llama3-8b-instruct-v1:0",
	}
	// actionPatterns are the Action/NotAction values statements draw from:
	// exact names, service wildcards, mid-name wildcards, ? and case variants.
	actionPatterns = []string{
		"*", "bedrock:*", "bedrock:InvokeModel", "bedrock:InvokeModel*",
		"bedrock:Invoke*", "bedrock:invokemodel", "bedrock:InvokeModelWithResponseStream",
		"bedrock:InvokeModel?ithResponseStream", "bedrock:ApplyGuardrail", "bedrock:List*",
		"bedrock:ListFoundationModels", "bedrock:Get*", "sts:AssumeRole", "sts:*",
		"STS:assumerole", "s3:GetObject", "s3:Get*", "s3:*", "iam:*", "ec2:*",
	}
	// resourcePatterns are the Resource/NotResource values of identity-like
	// policies. Resource ARNs are matched case-sensitively by AWS and
	// case-insensitively by the oracle, so no pattern here differs from a
	// request ARN only by case. A variable before the fifth colon is not
	// substituted (reference_policies_variables.html#policy-vars-resourceelement).
	resourcePatterns = []string{
		"*",
		"arn:aws:bedrock:*::foundation-model/*",
		"arn:aws:bedrock:us-east-1::foundation-model/*",
		"arn:aws:bedrock:*::foundation-model/anthropic.*",
		"arn:aws:bedrock:us-?est-2::foundation-model/*",
		"arn:aws:bedrock:::foundation-model/*",
		"arn:aws:bedrock:*::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
		"arn:aws:bedrock:*:" + acctA + ":inference-profile/*",
		"arn:aws:bedrock:*:*:inference-profile/us.*",
		"arn:aws:bedrock:*:*:inference-profile/global.*",
		"arn:aws:bedrock:us-east-1:" + acctA + ":*",
		"arn:aws:bedrock:*:*:application-inference-profile/*",
		"arn:aws:bedrock:*:" + acctA + ":guardrail/*",
		"arn:aws:bedrock:${aws:RequestedRegion}::foundation-model/*",
		"arn:aws:iam::*:role/Target",
		"arn:aws:iam::" + acctB + ":role/*",
		"arn:aws:s3:::bucket-a/*",
		"arn:aws:s3:::bucket-a/${aws:PrincipalTag/team}/*",
		"arn:aws:s3:::bucket-a/${aws:username}/*",
		"arn:aws:s3:::bucket-a/${aws:PrincipalTag/team, 'reports'}/*",
		"arn:aws:s3:::*",
		"arn:aws:bedrock:us-east-1:*",
		"arn:aws:bedrock:*",
		"arn:aws:bedrock:us-east-1:*:foundation-model/*",
		"arn:aws:bedrock:us-????-?::foundation-model/*",
		"arn:aws:bedrock:*::foundation-model/*-v1:?",
	}
)

// cond is one condition operator, key and values a statement may carry.
// typed values are written as JSON booleans or numbers, as policies often
// do, instead of strings.
type cond struct {
	op     string
	key    string
	values []string
	typed  bool
}

// conditions covers the operators and keys of the issue: string, ARN, Bool
// and Null operators, IfExists, ForAnyValue/ForAllValues, keys that are
// always present, present only sometimes, and derived from the principal.
var conditions = []cond{
	{"StringEquals", "aws:RequestedRegion", []string{"us-east-1"}, false},
	{"StringEquals", "aws:RequestedRegion", []string{"us-east-1", "us-west-2"}, false},
	{"StringNotEquals", "aws:RequestedRegion", []string{"us-east-1", "us-west-2", "unspecified"}, false},
	{"StringNotEquals", "aws:RequestedRegion", []string{"us-east-1"}, false},
	{"StringLike", "aws:RequestedRegion", []string{"us-*"}, false},
	{"StringEquals", "aws:PrincipalTag/team", []string{"ml"}, false},
	{"StringNotEquals", "aws:PrincipalTag/team", []string{"ml"}, false},
	{"StringEqualsIgnoreCase", "aws:PrincipalTag/team", []string{"ML"}, false},
	{"StringEquals", "aws:PrincipalTag/team", []string{"${aws:PrincipalTag/env}"}, false},
	{"StringLike", "bedrock:InferenceProfileArn", []string{"arn:aws:bedrock:*:*:inference-profile/global.*"}, false},
	{"StringLike", "bedrock:InferenceProfileArn", []string{"arn:aws:bedrock:*:*:inference-profile/us.*"}, false},
	{"ArnLike", "bedrock:InferenceProfileArn", []string{"arn:aws:bedrock:us-east-1:" + acctA + ":inference-profile/*"}, false},
	{"ArnEquals", "bedrock:InferenceProfileArn", []string{"arn:aws:bedrock:us-east-1:" + acctA + ":inference-profile/us.anthropic.claude-3-haiku-20240307-v1:0"}, false},
	{"Null", "bedrock:InferenceProfileArn", []string{"true"}, false},
	{"Null", "bedrock:InferenceProfileArn", []string{"false"}, false},
	{"ArnLike", "aws:PrincipalArn", []string{"arn:aws:iam::" + acctA + ":role/*"}, false},
	{"ArnNotLike", "aws:PrincipalArn", []string{"arn:aws:iam::" + acctA + ":role/team/*"}, false},
	{"ArnEquals", "aws:PrincipalArn", []string{"arn:aws:iam::" + acctA + ":role/App"}, false},
	{"ArnLike", "aws:PrincipalArn", []string{"arn:aws:iam::*:user/${aws:username}"}, false},
	{"StringEquals", "aws:PrincipalAccount", []string{"${aws:PrincipalAccount}"}, false},
	{"StringLike", "aws:PrincipalArn", []string{"arn:aws:iam::*:role/App"}, false},
	{"StringEquals", "aws:PrincipalAccount", []string{acctA}, false},
	{"StringNotEquals", "aws:PrincipalAccount", []string{acctA, acctB}, false},
	{"StringEquals", "aws:PrincipalOrgID", []string{orgID}, false},
	{"StringNotEqualsIfExists", "aws:PrincipalOrgID", []string{orgID}, false},
	{"Null", "aws:PrincipalOrgID", []string{"true"}, false},
	{"StringLike", "aws:userid", []string{"AROA*:s1"}, false},
	{"StringEquals", "aws:username", []string{"alice"}, false},
	{"Bool", "aws:MultiFactorAuthPresent", []string{"true"}, false},
	{"BoolIfExists", "aws:MultiFactorAuthPresent", []string{"false"}, false},
	{"Bool", "aws:SecureTransport", []string{"false"}, false},
	{"StringEqualsIfExists", "aws:SourceVpce", []string{vpce}, false},
	{"StringNotEqualsIfExists", "aws:SourceVpce", []string{vpce}, false},
	{"StringEquals", "aws:SourceVpce", []string{vpce}, false},
	{"ForAnyValue:StringEquals", "aws:CalledVia", []string{"cloudformation.amazonaws.com"}, false},
	{"ForAllValues:StringEquals", "aws:CalledVia", []string{"cloudformation.amazonaws.com"}, false},
	{"ForAnyValue:StringLike", "aws:CalledVia", []string{"*.amazonaws.com"}, false},
	{"StringEquals", "sts:ExternalId", []string{"ext-42"}, false},
	{"StringLike", "sts:RoleSessionName", []string{"s*"}, false},
	{"IpAddress", "aws:SourceIp", []string{"203.0.113.0/24"}, false},
	{"NotIpAddress", "aws:SourceIp", []string{"203.0.113.0/24", "2001:db8::/32"}, false},
	{"IpAddress", "aws:SourceIp", []string{"2001:db8::/32"}, false},
	{"DateGreaterThan", "aws:CurrentTime", []string{"2026-01-01T00:00:00Z"}, false},
	{"DateLessThan", "aws:CurrentTime", []string{"2026-06-30T00:00:00Z"}, false},
	{"DateLessThanEquals", "aws:EpochTime", []string{"1795784400"}, false},
	{"NumericLessThan", "aws:MultiFactorAuthAge", []string{"3600"}, false},
	{"NumericGreaterThanIfExists", "aws:MultiFactorAuthAge", []string{"3600"}, false},
	{"NumericLessThanEquals", "aws:MultiFactorAuthAge", []string{"3600"}, true},
	{"Bool", "aws:MultiFactorAuthPresent", []string{"true"}, true},
	{"Bool", "aws:SecureTransport", []string{"false"}, true},
	{"StringNotLike", "aws:PrincipalArn", []string{"arn:aws:iam::*:role/team/*"}, false},
	{"ArnNotEquals", "bedrock:InferenceProfileArn", []string{"arn:aws:bedrock:us-east-1:" + acctA + ":inference-profile/global.anthropic.claude-3-haiku-20240307-v1:0"}, false},
	{"StringLikeIfExists", "bedrock:InferenceProfileArn", []string{"*:inference-profile/global.*"}, false},
	{"ForAllValues:StringLike", "aws:CalledVia", []string{"*.amazonaws.com"}, false},
	{"ForAnyValue:StringNotEquals", "aws:CalledVia", []string{"cloudformation.amazonaws.com"}, false},
	// A variable that may not resolve stays out of negated operators: the
	// oracle departs from AWS there (known_differences.json).
	{"StringNotEquals", "aws:PrincipalTag/team", []string{"${aws:PrincipalAccount}"}, false},
	{"StringEquals", "AWS:requestedregion", []string{"us-east-1"}, false},
	{"StringEqualsIgnoreCase", "aws:RequestedRegion", []string{"US-EAST-1"}, false},
	{"StringLike", "aws:PrincipalTag/team", []string{"m?"}, false},
	{"StringLike", "aws:userid", []string{"${aws:username}*", "AROA*"}, false},
	{"StringEquals", "aws:PrincipalOrgID", []string{"${aws:PrincipalOrgID}"}, false},
	{"ArnLike", "aws:PrincipalArn", []string{"arn:aws:iam::111111111111:*"}, false},
	{"Null", "aws:PrincipalTag/team", []string{"false"}, false},
	{"ForAllValues:StringEquals", "aws:CalledVia", []string{"cloudformation.amazonaws.com", "athena.amazonaws.com"}, false},
	{"StringEquals", "aws:PrincipalTag/team", []string{""}, false},
	{"StringLike", "aws:SourceVpce", []string{"vpce-*"}, false},
}

// principalKinds are the callers: role sessions (with and without a role
// path), IAM users, a federated user (GetFederationToken, which always has a
// session policy), and a session from another account.
type principalKind struct {
	arn, roleARN, uniqueID, account string
}

var principalKinds = []principalKind{
	{"arn:aws:sts::" + acctA + ":assumed-role/App/s1", "arn:aws:iam::" + acctA + ":role/App", "AROAAPPEXAMPLE12345", acctA},
	{"arn:aws:sts::" + acctA + ":assumed-role/App/build-42", "arn:aws:iam::" + acctA + ":role/team/App", "AROAAPPEXAMPLE67890", acctA},
	{"arn:aws:iam::" + acctA + ":user/alice", "", "AIDAALICEEXAMPLE1234", acctA},
	{"arn:aws:iam::" + acctA + ":user/dev/bob", "", "AIDABOBEXAMPLE567890", acctA},
	{"arn:aws:sts::" + acctA + ":federated-user/carol", "", "", acctA},
	{"arn:aws:sts::" + acctC + ":assumed-role/Caller/s1", "arn:aws:iam::" + acctC + ":role/Caller", "AROACALLEREXAMPLE123", acctC},
}

// Generate returns n random cases drawn deterministically from seed: the
// same seed always gives the same cases. Every case is one a real caller
// could face: a role session or user of an organization calling Bedrock,
// STS or S3, with identity policies and, at random, a permissions boundary,
// session policies, SCP levels, RCP levels, a resource or trust policy and
// a VPC endpoint policy.
func Generate(seed uint64, n int) []Case {
	g := &gen{r: rand.New(rand.NewPCG(seed, 0x6f7261636c65))}
	cases := make([]Case, n)
	for i := range cases {
		cases[i] = g.oneCase()
		cases[i].Name = fmt.Sprintf("gen/%d/%05d", seed, i)
	}
	return cases
}

type gen struct {
	r *rand.Rand
}

func (g *gen) chance(p float64) bool { return g.r.Float64() < p }

func pick[T any](g *gen, xs []T) T { return xs[g.r.IntN(len(xs))] }

func (g *gen) oneCase() Case {
	var c Case
	pk := pick(g, principalKinds)
	if g.chance(0.15) {
		pk = principalKinds[len(principalKinds)-1]
	} else if pk.account != acctA {
		pk = principalKinds[0]
	}
	p := Principal{ARN: pk.arn, RoleARN: pk.roleARN, UniqueID: pk.uniqueID, Account: pk.account}
	inOrg := g.chance(0.75)
	if inOrg {
		p.OrgID = orgID
	}
	switch g.r.IntN(4) {
	case 0:
		p.Tags = map[string]string{"team": "ml"}
	case 1:
		p.Tags = map[string]string{"team": "web"}
	case 2:
		p.Tags = map[string]string{"team": "ml", "env": "ml"}
	}
	c.Request.Principal = p
	ctx := map[string][]string{}
	c.Request.Context = ctx

	kind := g.r.IntN(10)
	region := pick(g, regions)
	model := pick(g, models)
	switch kind {
	case 0, 1, 2: // on-demand or routed foundation model in a region
		c.Request.Action = pick(g, []string{"bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"})
		c.Request.Resource = "arn:aws:bedrock:" + region + "::foundation-model/" + model
		ctx["aws:RequestedRegion"] = []string{region}
		if g.chance(0.4) {
			ctx["bedrock:InferenceProfileArn"] = []string{"arn:aws:bedrock:us-east-1:" + acctA + ":inference-profile/" + pick(g, []string{"us.", "global.", "eu."}) + model}
		}
	case 3: // the region-less leg of a global inference profile
		c.Request.Action = "bedrock:InvokeModel"
		c.Request.Resource = "arn:aws:bedrock:::foundation-model/" + model
		ctx["aws:RequestedRegion"] = []string{"unspecified"}
		ctx["bedrock:InferenceProfileArn"] = []string{"arn:aws:bedrock:us-east-1:" + acctA + ":inference-profile/global." + model}
	case 4, 5: // a system or application inference profile
		c.Request.Action = pick(g, []string{"bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"})
		owner := acctA
		if g.chance(0.2) {
			owner = acctB
			c.Request.ResourceAccount = acctB
		} else {
			c.Request.ResourceAccount = acctA
		}
		if g.chance(0.7) {
			c.Request.Resource = "arn:aws:bedrock:" + region + ":" + owner + ":inference-profile/" + pick(g, []string{"us.", "global.", "eu."}) + model
		} else {
			c.Request.Resource = "arn:aws:bedrock:" + region + ":" + owner + ":application-inference-profile/a1b2c3d4e5f6"
		}
		ctx["aws:RequestedRegion"] = []string{region}
	case 6: // a guardrail, or an action without a resource
		if g.chance(0.5) {
			c.Request.Action = "bedrock:ApplyGuardrail"
			c.Request.Resource = "arn:aws:bedrock:" + region + ":" + acctA + ":guardrail/gr1a2b3c4d5e"
			c.Request.ResourceAccount = acctA
		} else {
			c.Request.Action = "bedrock:ListFoundationModels"
			c.Request.Resource = "*"
		}
		ctx["aws:RequestedRegion"] = []string{region}
	case 7, 8: // assuming a role: the trust policy is the resource policy
		c.Request.Action = "sts:AssumeRole"
		owner := pick(g, []string{acctA, acctB, acctB})
		c.Request.Resource = "arn:aws:iam::" + owner + ":role/" + pick(g, []string{"Target", "ops/Target"})
		c.Request.ResourceAccount = owner
		ctx["aws:RequestedRegion"] = []string{"us-east-1"}
		if g.chance(0.5) {
			ctx["sts:ExternalId"] = []string{pick(g, []string{"ext-42", "ext-41"})}
		}
		if g.chance(0.5) {
			ctx["sts:RoleSessionName"] = []string{pick(g, []string{"s1", "deploy"})}
		}
	default: // an S3 object, in the caller's account or another
		c.Request.Action = "s3:GetObject"
		c.Request.Resource = "arn:aws:s3:::bucket-a/" + pick(g, []string{"ml/data.csv", "alice/notes.txt", "reports/q1.csv"})
		c.Request.ResourceAccount = pick(g, []string{acctA, acctB})
		ctx["aws:RequestedRegion"] = []string{region}
	}
	if g.chance(0.5) {
		ctx["aws:MultiFactorAuthPresent"] = []string{pick(g, []string{"true", "false"})}
	}
	if g.chance(0.3) {
		ctx["aws:SecureTransport"] = []string{"true"}
	}
	if g.chance(0.2) {
		ctx["aws:CalledVia"] = pick(g, [][]string{{"cloudformation.amazonaws.com"}, {"athena.amazonaws.com", "cloudformation.amazonaws.com"}})
	}
	if g.chance(0.6) {
		ctx["aws:SourceIp"] = []string{pick(g, []string{"203.0.113.7", "198.51.100.9", "2001:db8::1"})}
	}
	if g.chance(0.5) {
		ctx["aws:CurrentTime"] = []string{pick(g, []string{"2026-11-27T13:00:00Z", "2026-03-01T08:30:00Z"})}
		ctx["aws:EpochTime"] = []string{pick(g, []string{"1795784400", "1795870800"})}
	}
	if v := ctx["aws:MultiFactorAuthPresent"]; len(v) == 1 && v[0] == "true" && g.chance(0.7) {
		ctx["aws:MultiFactorAuthAge"] = []string{pick(g, []string{"120", "3600", "7200"})}
	}

	pol := &c.Policies
	for i := range g.r.IntN(3) + boolInt(g.chance(0.7)) {
		pol.Identity = append(pol.Identity, g.named(fmt.Sprintf("identity-%d", i), "", g.identityDoc(c.Request, 1+g.r.IntN(3))))
	}
	if strings.HasPrefix(c.Request.Action, "bedrock:InvokeModel") && g.chance(0.3) {
		name, doc := g.crisTemplate(model)
		pol.Identity = append(pol.Identity, g.named(name, "", doc))
	}
	if g.chance(0.25) {
		d := g.named("boundary", "", g.identityDoc(c.Request, 1+g.r.IntN(2)))
		pol.Boundary = &d
	}
	federated := strings.Contains(p.ARN, ":federated-user/")
	if federated || strings.Contains(p.ARN, ":assumed-role/") && g.chance(0.2) {
		for i := range 1 + boolInt(g.chance(0.3)) {
			pol.Session = append(pol.Session, g.named(fmt.Sprintf("session-%d", i), "", g.identityDoc(c.Request, 1+g.r.IntN(2))))
		}
	}
	if inOrg {
		for l := range 1 + g.r.IntN(3) {
			pol.SCPs = append(pol.SCPs, g.scpLevel(c.Request, l))
		}
	}
	if c.Request.ResourceAccount != "" && g.chance(0.3) {
		for l := range 1 + g.r.IntN(2) {
			pol.RCPs = append(pol.RCPs, g.rcpLevel(c.Request, l))
		}
	}
	switch c.Request.Action {
	case "sts:AssumeRole":
		pol.Resource = []NamedDoc{g.named("trust:"+c.Request.Resource, "role trust policy", g.resourceDoc(c.Request, pol, true))}
	case "s3:GetObject":
		if g.chance(0.6) {
			pol.Resource = []NamedDoc{g.named("bucket-a", "resource-based policy", g.resourceDoc(c.Request, pol, false))}
		}
	}
	if g.chance(0.15) {
		ctx["aws:SourceVpce"] = []string{vpce}
		d := g.named(vpce, "", g.endpointDoc(c.Request))
		pol.Endpoint = &d
	}
	return c
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (g *gen) named(name, typ string, doc map[string]any) NamedDoc {
	raw, err := json.Marshal(doc)
	if err != nil {
		// Documents are built from strings, slices and maps only.
		panic("oracle: generated policy does not marshal: " + err.Error())
	}
	return NamedDoc{Name: name, Type: typ, Document: raw}
}

func policy(statements ...map[string]any) map[string]any {
	return map[string]any{"Version": "2012-10-17", "Statement": statements}
}

// actions returns an Action (or, rarely, NotAction) element, biased towards
// patterns that cover the request so that allows and denies actually bite.
func (g *gen) actions(req Request, st map[string]any, allowNot bool) {
	var v []string
	if g.chance(0.6) {
		v = append(v, g.coveringAction(req.Action))
	}
	for len(v) == 0 || g.chance(0.3) {
		v = append(v, pick(g, actionPatterns))
	}
	key := "Action"
	if allowNot && g.chance(0.12) {
		key = "NotAction"
	}
	st[key] = oneOrList(g, v)
}

func (g *gen) coveringAction(action string) string {
	service, name, _ := strings.Cut(action, ":")
	return pick(g, []string{action, service + ":*", "*", service + ":" + name[:len(name)/2] + "*", strings.ToLower(action)})
}

func (g *gen) resources(req Request, st map[string]any, allowNot bool) {
	var v []string
	if g.chance(0.5) && req.Resource != "*" {
		v = append(v, req.Resource)
	}
	for len(v) == 0 || g.chance(0.3) {
		v = append(v, pick(g, resourcePatterns))
	}
	key := "Resource"
	if allowNot && g.chance(0.12) {
		key = "NotResource"
		// A NotResource entry whose variable does not resolve is a known
		// difference (known_differences.json), and one with fewer than six
		// ARN segments is never applied by the oracle (its short-ARN
		// mismatch is not invertible) while AWS documents no short ARNs:
		// keep only full, resolvable entries.
		v = slices.DeleteFunc(v, func(p string) bool {
			return strings.Contains(p, "${aws:username}") || strings.Contains(p, "${aws:PrincipalTag/") ||
				p != "*" && strings.Count(p, ":") < 5
		})
		if len(v) == 0 {
			v = append(v, "arn:aws:s3:::*")
		}
	}
	st[key] = oneOrList(g, v)
}

func oneOrList(g *gen, v []string) any {
	if len(v) == 1 && g.chance(0.5) {
		return v[0]
	}
	return v
}

func (g *gen) condition(st map[string]any, p float64) {
	if !g.chance(p) {
		return
	}
	block := map[string]any{}
	for range 1 + boolInt(g.chance(0.3)) {
		c := pick(g, conditions)
		ops, ok := block[c.op].(map[string]any)
		if !ok {
			ops = map[string]any{}
			block[c.op] = ops
		}
		if _, dup := ops[c.key]; dup {
			continue
		}
		if c.typed {
			vs := make([]any, len(c.values))
			for i, v := range c.values {
				switch v {
				case "true":
					vs[i] = true
				case "false":
					vs[i] = false
				default:
					vs[i] = json.Number(v)
				}
			}
			ops[c.key] = vs
			if len(vs) == 1 && g.chance(0.5) {
				ops[c.key] = vs[0]
			}
			continue
		}
		ops[c.key] = oneOrList(g, c.values)
	}
	st["Condition"] = block
}

func (g *gen) effect(pAllow float64) string {
	if g.chance(pAllow) {
		return "Allow"
	}
	return "Deny"
}

// identityDoc is an identity-based policy, boundary or session policy.
func (g *gen) identityDoc(req Request, n int) map[string]any {
	var sts []map[string]any
	for i := range n {
		st := map[string]any{"Effect": g.effect(0.85)}
		if g.chance(0.3) {
			st["Sid"] = fmt.Sprintf("S%d", i)
		}
		g.actions(req, st, true)
		g.resources(req, st, true)
		g.condition(st, 0.45)
		sts = append(sts, st)
	}
	return policy(sts...)
}

var fullAWSAccess = policy(map[string]any{"Effect": "Allow", "Action": "*", "Resource": "*"})

// scpLevel is the SCPs attached at one level: usually FullAWSAccess, often
// with a deny guardrail or replaced by an allow list.
func (g *gen) scpLevel(req Request, l int) []NamedDoc {
	var level []NamedDoc
	if g.chance(0.85) {
		level = append(level, g.named(fmt.Sprintf("scp-%d/FullAWSAccess", l), "", fullAWSAccess))
	} else {
		st := map[string]any{"Effect": "Allow"}
		g.actions(req, st, false)
		g.resources(req, st, false)
		g.condition(st, 0.2)
		level = append(level, g.named(fmt.Sprintf("scp-%d/allow-list", l), "", policy(st)))
	}
	if g.chance(0.15) {
		name, doc := g.scpTemplate()
		level = append(level, g.named(fmt.Sprintf("scp-%d/%s", l, name), "", doc))
	} else if g.chance(0.3) {
		st := map[string]any{"Effect": "Deny"}
		g.actions(req, st, true)
		g.resources(req, st, true)
		g.condition(st, 0.8)
		level = append(level, g.named(fmt.Sprintf("scp-%d/guardrail", l), "", policy(st)))
	}
	return level
}

// rcpFullAWSAccess is attached by AWS at every level and cannot be
// detached; listing it keeps the case faithful to what ListPolicies shows.
var rcpFullAWSAccess = policy(map[string]any{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"})

func (g *gen) rcpLevel(req Request, l int) []NamedDoc {
	level := []NamedDoc{g.named(fmt.Sprintf("rcp-%d/RCPFullAWSAccess", l), "", rcpFullAWSAccess)}
	if g.chance(0.7) {
		st := map[string]any{"Effect": "Deny", "Principal": "*"}
		st["Action"] = oneOrList(g, []string{pick(g, []string{"sts:*", "s3:*", "s3:GetObject", "sts:AssumeRole", "s3:Get*"})})
		g.resources(req, st, false)
		g.condition(st, 0.85)
		level = append(level, g.named(fmt.Sprintf("rcp-%d/guardrail", l), "", policy(st)))
	}
	return level
}

// principalElement returns a Principal element naming the caller in one of
// the forms AWS accepts, or someone else. Two forms are left out where the
// oracle is known to depart from AWS's documentation
// (known_differences.json): the session ARN when session policies apply,
// and "*" when a permissions boundary applies.
func (g *gen) principalElement(req Request, pol *Policies) any {
	p := req.Principal
	forms := []any{
		map[string]any{"AWS": "arn:aws:iam::" + p.Account + ":root"},
		map[string]any{"AWS": p.Account},
		map[string]any{"AWS": "arn:aws:iam::" + acctC + ":root"},
	}
	if pol.Boundary == nil {
		forms = append(forms, "*")
	}
	if pol.Session == nil {
		forms = append(forms, map[string]any{"AWS": p.ARN})
	}
	forms = append(forms,
		map[string]any{"AWS": []string{"arn:aws:iam::" + acctB + ":root", "arn:aws:iam::" + p.Account + ":root"}},
		map[string]any{"Service": "ec2.amazonaws.com"},
		map[string]any{"AWS": "arn:aws:iam::" + acctB + ":root"},
	)
	if pol.Boundary == nil {
		forms = append(forms, map[string]any{"AWS": "*"})
	}
	if p.RoleARN != "" {
		forms = append(forms, map[string]any{"AWS": p.RoleARN}, map[string]any{"AWS": p.RoleARN})
	}
	return pick(g, forms)
}

// resourceDoc is a role trust policy (no Resource element) or a bucket
// policy.
func (g *gen) resourceDoc(req Request, pol *Policies, trust bool) map[string]any {
	var sts []map[string]any
	for range 1 + boolInt(g.chance(0.4)) {
		st := map[string]any{"Effect": g.effect(0.8), "Principal": g.principalElement(req, pol)}
		if trust {
			st["Action"] = pick(g, []any{"sts:AssumeRole", []string{"sts:AssumeRole", "sts:TagSession"}, "sts:*"})
		} else {
			g.actions(req, st, false)
			st["Resource"] = pick(g, []any{req.Resource, "arn:aws:s3:::bucket-a/*", "arn:aws:s3:::bucket-a/ml/*"})
		}
		g.condition(st, 0.4)
		sts = append(sts, st)
	}
	return policy(sts...)
}

// endpointDoc is a VPC endpoint policy: Principal "*" and a scope.
func (g *gen) endpointDoc(req Request) map[string]any {
	st := map[string]any{"Effect": "Allow", "Principal": "*"}
	g.actions(req, st, false)
	g.resources(req, st, false)
	g.condition(st, 0.3)
	sts := []map[string]any{st}
	if g.chance(0.3) {
		d := map[string]any{"Effect": "Deny", "Principal": "*"}
		g.actions(req, d, false)
		g.resources(req, d, false)
		g.condition(d, 0.6)
		sts = append(sts, d)
	}
	return policy(sts...)
}

// crisTemplate returns the identity policy AWS documents for cross-Region
// inference with one model: the geographic form (profile, source-Region
// model, destination-Region models scoped by bedrock:InferenceProfileArn;
// geographic-cross-region-inference.html) or the global form (three grants
// keyed on aws:RequestedRegion, the last one "unspecified";
// global-cross-region-inference.html).
func (g *gen) crisTemplate(model string) (string, map[string]any) {
	actions := []string{"bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"}
	if g.chance(0.5) {
		profile := "arn:aws:bedrock:us-east-1:" + acctA + ":inference-profile/us." + model
		return "aws-doc/cris-geographic", policy(
			map[string]any{"Sid": "Profile", "Effect": "Allow", "Action": actions, "Resource": profile},
			map[string]any{"Sid": "Models", "Effect": "Allow", "Action": actions,
				"Resource": []string{
					"arn:aws:bedrock:us-east-1::foundation-model/" + model,
					"arn:aws:bedrock:us-east-2::foundation-model/" + model,
					"arn:aws:bedrock:us-west-2::foundation-model/" + model,
				},
				"Condition": map[string]any{"StringEquals": map[string]any{"bedrock:InferenceProfileArn": profile}}},
		)
	}
	profile := "arn:aws:bedrock:us-east-1:" + acctA + ":inference-profile/global." + model
	return "aws-doc/cris-global", policy(
		map[string]any{"Sid": "Profile", "Effect": "Allow", "Action": actions, "Resource": profile,
			"Condition": map[string]any{"StringEquals": map[string]any{"aws:RequestedRegion": "us-east-1"}}},
		map[string]any{"Sid": "RegionalModel", "Effect": "Allow", "Action": actions,
			"Resource": "arn:aws:bedrock:us-east-1::foundation-model/" + model,
			"Condition": map[string]any{
				"StringEquals": map[string]any{"aws:RequestedRegion": "us-east-1"},
				"StringLike":   map[string]any{"bedrock:InferenceProfileArn": profile},
			}},
		map[string]any{"Sid": "GlobalModel", "Effect": "Allow", "Action": actions,
			"Resource": "arn:aws:bedrock:::foundation-model/" + model,
			"Condition": map[string]any{
				"StringEquals": map[string]any{"aws:RequestedRegion": "unspecified"},
				"StringLike":   map[string]any{"bedrock:InferenceProfileArn": profile},
			}},
	)
}

// scpTemplate returns an SCP of the shapes AWS documents around Bedrock:
// a Region deny that exempts global services with NotAction (with or
// without "unspecified", which decides whether global cross-Region
// inference survives), or the SCP that disables global inference profiles
// (global-cross-region-inference.html).
func (g *gen) scpTemplate() (string, map[string]any) {
	switch g.r.IntN(3) {
	case 0:
		return "region-deny", policy(map[string]any{"Sid": "DenyOutsideRegions", "Effect": "Deny",
			"NotAction": []string{"iam:*", "sts:*", "organizations:*", "support:*"}, "Resource": "*",
			"Condition": map[string]any{"StringNotEquals": map[string]any{"aws:RequestedRegion": []string{"us-east-1", "us-west-2"}}}})
	case 1:
		return "region-deny-unspecified", policy(map[string]any{"Sid": "DenyOutsideRegions", "Effect": "Deny",
			"NotAction": []string{"iam:*", "sts:*", "organizations:*", "support:*"}, "Resource": "*",
			"Condition": map[string]any{"StringNotEquals": map[string]any{"aws:RequestedRegion": []string{"us-east-1", "us-west-2", "unspecified"}}}})
	default:
		return "deny-global-cris", policy(map[string]any{"Sid": "DenyGlobalInference", "Effect": "Deny",
			"Action": "bedrock:*", "Resource": "*",
			"Condition": map[string]any{
				"StringEquals": map[string]any{"aws:RequestedRegion": "unspecified"},
				"ArnLike":      map[string]any{"bedrock:InferenceProfileArn": "arn:aws:bedrock:*:*:inference-profile/global.*"},
			}})
	}
}
