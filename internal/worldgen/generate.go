package worldgen

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
)

// The scenario document, in awsfake's LoadScenario format (only the parts
// worlds use).
type scenarioDoc struct {
	Name          string            `json:"name"`
	Description   string            `json:"description"`
	Messages      *messages         `json:"messages,omitempty"`
	Models        []model           `json:"models"`
	Profiles      []profile         `json:"profiles"`
	Organizations []orgDoc          `json:"organizations,omitempty"`
	Accounts      []*accountDoc     `json:"accounts"`
	Endpoints     []endpointDoc     `json:"endpoints,omitempty"`
	Routes        map[string]string `json:"routes,omitempty"`
	Target        targetDoc         `json:"target"`
	// DefaultPromptRouters are AWS's default prompt routers (kinds.go).
	DefaultPromptRouters []routerDoc `json:"defaultPromptRouters,omitempty"`
}

type messages struct {
	OmitReason    bool `json:"omitReason,omitempty"`
	OmitPolicyARN bool `json:"omitPolicyArn,omitempty"`
}

type policyDoc struct {
	ID     string          `json:"id"`
	Policy json.RawMessage `json:"policy"`
}

type ouDoc struct {
	ID       string      `json:"id"`
	Name     string      `json:"name"`
	SCPs     []policyDoc `json:"scps,omitempty"`
	RCPs     []policyDoc `json:"rcps,omitempty"`
	Accounts []string    `json:"accounts,omitempty"`
	OUs      []ouDoc     `json:"ous,omitempty"`
}

type orgDoc struct {
	ID         string      `json:"id"`
	Management string      `json:"management"`
	SCPs       []policyDoc `json:"scps,omitempty"`
	RCPs       []policyDoc `json:"rcps,omitempty"`
	Accounts   []string    `json:"accounts,omitempty"`
	OUs        []ouDoc     `json:"ous,omitempty"`
}

type principalDoc struct {
	Name        string                     `json:"name"`
	Path        string                     `json:"path,omitempty"`
	Trust       json.RawMessage            `json:"trust,omitempty"`
	Inline      map[string]json.RawMessage `json:"inline,omitempty"`
	Boundary    string                     `json:"boundary,omitempty"`
	Tags        map[string]string          `json:"tags,omitempty"`
	BearerToken bool                       `json:"bearerToken,omitempty"`
}

type bedrockDoc struct {
	Region string            `json:"region"`
	Access map[string]string `json:"access,omitempty"`
	// The kinds of kinds.go.
	Guardrails             []guardrailDoc   `json:"guardrails,omitempty"`
	CustomModels           []customModelDoc `json:"customModels,omitempty"`
	ProvisionedModels      []resourceDoc    `json:"provisionedModels,omitempty"`
	CustomModelDeployments []resourceDoc    `json:"customModelDeployments,omitempty"`
	ImportedModels         []resourceDoc    `json:"importedModels,omitempty"`
	PromptRouters          []routerDoc      `json:"promptRouters,omitempty"`
	Prompts                []promptDoc      `json:"prompts,omitempty"`
	MarketplaceEndpoints   []marketplaceDoc `json:"marketplaceEndpoints,omitempty"`
}

type accountDoc struct {
	ID              string          `json:"id"`
	SCPs            []policyDoc     `json:"scps,omitempty"`
	RCPs            []policyDoc     `json:"rcps,omitempty"`
	ManagedPolicies []policyDoc     `json:"managedPolicies,omitempty"`
	Users           []*principalDoc `json:"users,omitempty"`
	Roles           []*principalDoc `json:"roles,omitempty"`
	Bedrock         []bedrockDoc    `json:"bedrock,omitempty"`
	UseCaseForm     string          `json:"useCaseForm,omitempty"`
	KMSKeys         []kmsKeyDoc     `json:"kmsKeys,omitempty"`
}

type endpointDoc struct {
	ID      string          `json:"id"`
	Service string          `json:"service"`
	Policy  json.RawMessage `json:"policy"`
	Users   []string        `json:"users"`
}

type targetDoc struct {
	Principal string `json:"principal"`
	RoleARN   string `json:"roleArn"`
	ModelID   string `json:"modelId"`
	Region    string `json:"region"`
	Operation string `json:"operation"`
	// OutputS3URI is StartAsyncInvoke's output location.
	OutputS3URI string `json:"outputS3Uri,omitempty"`
}

// stmt is one policy statement; doc writes a policy of them.
type stmt map[string]any

func doc(stmts ...stmt) json.RawMessage {
	b, err := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": stmts})
	if err != nil {
		panic(err) // maps of strings and slices always marshal
	}
	return b
}

// node is an organization level under construction; levels of an
// account's path get its SCPs and RCPs.
type node struct {
	id, name string
	scps     []policyDoc
	rcps     []policyDoc
	accounts []string
	children []*node
}

type org struct {
	id, mgmt string
	root     *node
	path     map[string][]*node // account → root … its OU
}

func (o *org) doc() orgDoc {
	d := orgDoc{ID: o.id, Management: o.mgmt, SCPs: o.root.scps, RCPs: o.root.rcps, Accounts: o.root.accounts}
	for _, c := range o.root.children {
		d.OUs = append(d.OUs, c.ouDoc())
	}
	return d
}

func (n *node) ouDoc() ouDoc {
	d := ouDoc{ID: n.id, Name: n.name, SCPs: n.scps, RCPs: n.rcps, Accounts: n.accounts}
	for _, c := range n.children {
		d.OUs = append(d.OUs, c.ouDoc())
	}
	return d
}

// gen is one generation in progress.
type gen struct {
	r        *rand.Rand
	features []string
	problems []string
	accounts map[string]*accountDoc
	order    []string
	orgs     []*org
	orgOf    map[string]*org
	npol     int
}

func (g *gen) f() float64 { return g.r.Float64() }

// chance is true with probability p.
func (g *gen) chance(p float64) bool { return g.r.Float64() < p }

func pick[T any](g *gen, xs ...T) T { return xs[g.r.IntN(len(xs))] }

func (g *gen) feature(format string, args ...any) {
	g.features = append(g.features, fmt.Sprintf(format, args...))
}

// problem records a choice meant as a defect (also a feature).
func (g *gen) problem(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	g.features = append(g.features, s)
	g.problems = append(g.problems, s)
}

func (g *gen) digits(n int) string {
	var b strings.Builder
	b.WriteByte(byte('1' + g.r.IntN(9)))
	for b.Len() < n {
		b.WriteByte(byte('0' + g.r.IntN(10)))
	}
	return b.String()
}

func (g *gen) alnum(n int) string {
	const set = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = set[g.r.IntN(len(set))]
	}
	return string(b)
}

func (g *gen) account(id string) *accountDoc {
	if a, ok := g.accounts[id]; ok {
		return a
	}
	a := &accountDoc{ID: id}
	g.accounts[id] = a
	g.order = append(g.order, id)
	return a
}

func (g *gen) policyID() string {
	g.npol++
	return fmt.Sprintf("p-%s%d", g.alnum(6), g.npol)
}

// newOrg makes an organization with a workloads OU and a prod OU under it.
func (g *gen) newOrg() *org {
	o := &org{id: "o-" + g.alnum(10), mgmt: g.digits(12), root: &node{id: "root"}, path: map[string][]*node{}}
	rootID := g.alnum(4)
	work := &node{id: "ou-" + rootID + "-" + g.alnum(8), name: "Workloads"}
	prod := &node{id: "ou-" + rootID + "-" + g.alnum(8), name: "Prod"}
	work.children = []*node{prod}
	o.root.children = []*node{work}
	g.orgs = append(g.orgs, o)
	return o
}

// place puts an account at a random level of an organization.
func (g *gen) place(o *org, acct string) {
	work := o.root.children[0]
	prod := work.children[0]
	var path []*node
	switch p := g.f(); {
	case p < 0.2:
		o.root.accounts = append(o.root.accounts, acct)
		path = []*node{o.root}
	case p < 0.55:
		work.accounts = append(work.accounts, acct)
		path = []*node{o.root, work}
	default:
		prod.accounts = append(prod.accounts, acct)
		path = []*node{o.root, work, prod}
	}
	o.path[acct] = path
	g.orgOf[acct] = o
}

// attach puts an SCP (rcp false) or RCP at a random level of the account's
// path: the root, an OU, or the account itself. It returns the level's name.
func (g *gen) attach(acct string, rcp bool, policy json.RawMessage) string {
	o := g.orgOf[acct]
	path := o.path[acct]
	p := policyDoc{ID: g.policyID(), Policy: policy}
	i := g.r.IntN(len(path) + 1)
	if i == len(path) {
		a := g.account(acct)
		if rcp {
			a.RCPs = append(a.RCPs, p)
		} else {
			a.SCPs = append(a.SCPs, p)
		}
		return "account"
	}
	n := path[i]
	if rcp {
		n.rcps = append(n.rcps, p)
	} else {
		n.scps = append(n.scps, p)
	}
	if i == 0 {
		return "root"
	}
	return "ou"
}

// KindShare is the share of worlds whose app calls one of the kinds of
// kinds.go (a provisioned, deployed, imported or copied model and its KMS
// key, a guardrail with a key, a prompt router, a prompt, a Marketplace
// endpoint, StartAsyncInvoke, a Bedrock API key) rather than a foundation
// model or a system inference profile. The kinds draw from their own
// random stream, so a world that does not use them is the same at every
// share (diagnose/randomworld_test.go's -kinds flag sets it).
var KindShare = 0.3

var invokeActions = []string{"bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"}

// Generate returns the world of a seed.
func Generate(seed int64) World {
	g := &gen{r: rand.New(rand.NewPCG(uint64(seed), 0x62646f63746f72)), accounts: map[string]*accountDoc{}, orgOf: map[string]*org{}}
	sc := scenarioDoc{Name: fmt.Sprintf("random-world-%d", seed), Models: catalog, Profiles: profiles}
	app := App{Credentials: "issued"}

	// Accounts and names.
	src, tgt, other := g.digits(12), g.digits(12), g.digits(12)
	if g.chance(0.1) {
		tgt = src
		g.feature("same-account")
	}
	srcA := g.account(src)
	tgtA := g.account(tgt)
	userName := pick(g, "app", "svc-chatbot", "genai-backend", "ci-runner")
	userPath := pick(g, "/", "/", "/", "/apps/")
	userARN := "arn:aws:iam::" + src + ":user" + userPath + userName
	roleName := pick(g, "BedrockAccess", "BedrockInvoker", "genai-app", "LLMGatewayRole")
	rolePath := pick(g, "/", "/", "/", "/service-role/", "/apps/genai/")
	roleARN := "arn:aws:iam::" + tgt + ":role" + rolePath + roleName
	app.Principal, app.RoleARN = src+"/"+userName, roleARN
	if g.chance(0.02) {
		if rolePath != "/" {
			app.RoleARN = "arn:aws:iam::" + tgt + ":role/" + roleName
			g.problem("role-arn:path-missing")
		} else {
			app.RoleARN = roleARN + "-old"
			g.problem("role-arn:no-such-role")
		}
	}
	user := &principalDoc{Name: userName, Path: userPath, Inline: map[string]json.RawMessage{}}
	srcA.Users = append(srcA.Users, user)
	role := &principalDoc{Name: roleName, Path: rolePath, Inline: map[string]json.RawMessage{}}
	tgtA.Roles = append(tgtA.Roles, role)

	// Organizations.
	var tgtOrg, srcOrg *org
	if g.chance(0.8) {
		tgtOrg = g.newOrg()
		g.place(tgtOrg, tgt)
		g.feature("target-in-org")
	}
	switch p := g.f(); {
	case tgt == src:
		srcOrg = tgtOrg
	case p < 0.3 && tgtOrg != nil:
		srcOrg = tgtOrg
		g.place(srcOrg, src)
		g.feature("source-in-target-org")
	case p < 0.55:
		srcOrg = g.newOrg()
		g.place(srcOrg, src)
		g.feature("source-in-own-org")
	}

	// The app's model, region and operation: a foundation model or an
	// inference profile, or (kinds.go) one of the other kinds.
	// The kinds draw from their own stream, after the model is chosen as
	// before: a world that does not use them is the world its seed gave
	// before they existed, and one that does differs from it in the
	// model and what follows from it.
	nf, np := len(g.features), len(g.problems)
	g.chooseModel(&app, &sc)
	var kinds *kindPlan
	if kr := rand.New(rand.NewPCG(uint64(seed), 0x6b696e6473)); kr.Float64() < KindShare {
		g.features, g.problems, sc.Routes = g.features[:nf], g.problems[:np], nil
		main := g.r
		g.r = kr
		kinds = g.chooseKind(&app, &sc, tgtA, other, roleARN, app.RoleARN)
		g.r = main
	}

	// The source user's tags, its policy, and the source organization's
	// SCP on sts:AssumeRole.
	if g.chance(0.5) {
		user.Tags = map[string]string{"team": pick(g, "ml", "ml", "web")}
	}
	g.sourcePolicy(user, app, tgt, src)
	if srcOrg != nil && g.chance(0.2) {
		g.sourceSCP(src, tgt, other)
	}

	// The trust policy.
	g.trustPolicy(role, &app, user, userARN, src, other, srcOrg)

	// The role's permissions, boundary and the session policy.
	roleTagged := g.chance(0.6)
	if roleTagged {
		role.Tags = map[string]string{"project": "genai"}
	}
	vpce := "vpce-0" + g.alnum(16)
	throughVPCE := false
	gated := g.rolePolicy(role, &app, tgt, vpce, roleTagged)
	g.kindPolicy(role, kinds)
	if gated == "vpce" {
		throughVPCE = g.chance(0.6)
		if !throughVPCE {
			g.problem("role:source-vpce-gated app-not-through-endpoint")
		}
	} else if g.chance(0.12) {
		throughVPCE = true
	}
	if g.chance(0.5) {
		role.Inline["marketplace"] = doc(stmt{"Effect": "Allow", "Action": []string{"aws-marketplace:Subscribe", "aws-marketplace:ViewSubscriptions", "aws-marketplace:Unsubscribe"}, "Resource": "*"})
		g.feature("role:marketplace-permissions")
	}
	g.boundary(role, tgtA)
	g.sessionPolicy(&app)

	// Organization policies over the target account.
	if tgtOrg != nil {
		g.targetOrgPolicies(tgt, tgtOrg, roleTagged)
	}

	// VPC endpoints the app's traffic crosses.
	if throughVPCE {
		g.runtimeEndpoint(&sc, vpce, app, tgt)
	} else if g.chance(0.05) {
		g.stsEndpoint(&sc, app, tgt, other)
	}

	// Model access in the target account.
	g.modelAccess(tgtA, app)

	// Diagnostic permissions, app setup and faults.
	g.appSetup(&app, user)
	g.tier(&app, user, role, tgtA, userARN, roleARN)
	g.faults(&app)
	if g.chance(0.05) {
		sc.Messages = &messages{OmitReason: true}
		g.feature("messages:omit-reason")
	} else if g.chance(0.05) {
		sc.Messages = &messages{OmitPolicyARN: true}
		g.feature("messages:omit-policy-arn")
	}

	for _, o := range g.orgs {
		sc.Organizations = append(sc.Organizations, o.doc())
	}
	for _, id := range g.order {
		sc.Accounts = append(sc.Accounts, g.accounts[id])
	}
	sc.Target = targetDoc{Principal: app.Principal, RoleARN: app.RoleARN, ModelID: app.ModelID, Region: app.Region, Operation: app.Operation, OutputS3URI: app.OutputS3URI}
	if app.RoleARN != roleARN {
		// The scenario's target is the role the app means to use, which
		// is the existing one: the typo is the app's.
		sc.Target.RoleARN = roleARN
	}
	sc.Description = strings.Join(g.features, "; ")
	b, err := json.MarshalIndent(sc, "", " ")
	if err != nil {
		panic(err)
	}
	return World{Seed: seed, Scenario: b, App: app, Features: g.features, Problems: g.problems}
}

func (g *gen) chooseModel(app *App, sc *scenarioDoc) {
	app.Operation = "Converse"
	if g.chance(0.4) {
		app.Operation = "InvokeModel"
	}
	switch p := g.f(); {
	case p < 0.43:
		m := modelByID(pick(g, haiku, haiku, haiku, nova, nova, llama, llama))
		if g.chance(0.03) {
			m = modelByID(titan)
		}
		app.ModelID = m.ID
		app.Region = pick(g, m.Regions...)
		if g.chance(0.1) {
			app.Region = pick(g, regions...)
		}
		g.feature("model:on-demand %s in %s", m.ID, app.Region)
		if !slices.Contains(m.Regions, app.Region) {
			g.problem("model:not-offered-in-region")
		}
		if m.Legacy {
			g.problem("model:legacy")
		}
		if g.chance(0.1) {
			app.ModelID = "arn:aws:bedrock:" + app.Region + "::foundation-model/" + m.ID
			g.feature("model:as-arn")
		}
	case p < 0.48:
		m := modelByID(sonnet4)
		app.ModelID, app.Region = m.ID, pick(g, m.Regions...)
		g.problem("model:needs-profile %s", m.ID)
	case p < 0.97:
		pr, _ := profileByID(pick(g, "us."+sonnet4, "us."+sonnet4, "us."+sonnet4, "global."+sonnet4, "global."+sonnet4, "eu."+sonnet4, "us."+nova, "us."+haiku))
		app.ModelID = pr.ID
		app.Region = pick(g, pr.Sources...)
		if g.chance(0.08) {
			app.Region = pick(g, regions...)
		}
		g.feature("model:profile %s in %s", pr.ID, app.Region)
		if !slices.Contains(pr.Sources, app.Region) {
			g.problem("model:profile-prefix-not-serving-region")
		}
		if !strings.HasPrefix(pr.ID, "global.") && g.chance(0.5) {
			dest := pick(g, pr.Sources...)
			sc.Routes = map[string]string{pr.ID: dest}
			g.feature("route:%s", dest)
		}
		if g.chance(0.08) {
			app.ModelID = "arn:aws:bedrock:" + app.Region + ":" + "ACCOUNT" + ":inference-profile/" + pr.ID
		}
	default:
		app.ModelID = pick(g, "anthropic.claude-3-haiku-20240307-v2:0", "anthropic.claude-3-5-haiku", "amazon.nova-lite")
		app.Region = pick(g, "us-east-1", "us-west-2")
		g.problem("model:unknown-id")
	}
}

func (g *gen) sourcePolicy(user *principalDoc, app App, tgt, src string) {
	res := app.RoleARN
	if g.chance(0.3) {
		res = "arn:aws:iam::" + tgt + ":role/*"
	}
	allow := stmt{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": res}
	switch p := g.f(); {
	case p < 0.84:
		user.Inline["assume-bedrock-role"] = doc(allow)
		g.feature("source:allow")
	case p < 0.89:
		user.Inline["app"] = doc(stmt{"Effect": "Allow", "Action": []string{"s3:GetObject", "s3:ListBucket"}, "Resource": "*"})
		g.problem("source:missing")
	case p < 0.93:
		user.Inline["assume-bedrock-role"] = doc(allow,
			stmt{"Sid": "NoCrossAccountRoles", "Effect": "Deny", "Action": "sts:AssumeRole", "NotResource": "arn:aws:iam::" + src + ":role/*"})
		if tgt != src {
			g.problem("source:explicit-deny cross-account")
		} else {
			g.feature("source:explicit-deny cross-account (same account)")
		}
	default:
		r := app.Region
		ok := g.chance(0.6)
		if !ok {
			r = pick(g, "us-east-1", "eu-west-1", "us-west-2")
		}
		allow["Condition"] = map[string]any{"StringEquals": map[string]any{"aws:RequestedRegion": r}}
		user.Inline["assume-bedrock-role"] = doc(allow)
		if r == app.Region {
			g.feature("source:allow under aws:RequestedRegion (holds)")
		} else {
			g.problem("source:allow under aws:RequestedRegion (does not hold)")
		}
	}
}

func (g *gen) sourceSCP(src, tgt, other string) {
	var pol json.RawMessage
	label := ""
	switch p := g.f(); {
	case p < 0.5:
		pol = doc(stmt{"Effect": "Deny", "Action": "sts:AssumeRole", "NotResource": []string{"arn:aws:iam::" + tgt + ":role/*", "arn:aws:iam::" + src + ":role/*"}})
		label = "scp:source assume only to target (holds)"
	case p < 0.85:
		pol = doc(stmt{"Effect": "Deny", "Action": "sts:AssumeRole", "NotResource": []string{"arn:aws:iam::" + other + ":role/*", "arn:aws:iam::" + src + ":role/*"}})
		label = "scp:source assume only to another account"
		if tgt == src {
			label += " (same account)"
		}
	default:
		pol = doc(stmt{"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": "*", "Condition": map[string]any{"StringNotEquals": map[string]any{"aws:PrincipalTag/team": "ml"}}})
		label = "scp:source assume only for team=ml"
	}
	level := g.attach(src, false, pol)
	if strings.HasSuffix(label, "(holds)") || strings.HasSuffix(label, "(same account)") {
		g.feature("%s at %s", label, level)
	} else {
		g.problem("%s at %s", label, level)
	}
}

func (g *gen) trustPolicy(role *principalDoc, app *App, user *principalDoc, userARN, src, other string, srcOrg *org) {
	actions := any("sts:AssumeRole")
	if g.chance(0.3) {
		actions = []string{"sts:AssumeRole", "sts:TagSession"}
	}
	s := stmt{"Effect": "Allow", "Action": actions}
	cond := map[string]any{}
	switch p := g.f(); {
	case p < 0.52:
		s["Principal"] = map[string]any{"AWS": userARN}
		g.feature("trust:user")
	case p < 0.82:
		s["Principal"] = map[string]any{"AWS": "arn:aws:iam::" + src + ":root"}
		g.feature("trust:account-root")
	case p < 0.85:
		s["Principal"] = map[string]any{"AWS": "arn:aws:iam::" + other + ":root"}
		g.problem("trust:other-account")
	case p < 0.97:
		s["Principal"] = "*"
		orgID := "o-" + g.alnum(10)
		if srcOrg != nil && g.chance(0.65) {
			orgID = srcOrg.id
			g.feature("trust:principal-org-id (matches)")
		} else {
			g.problem("trust:principal-org-id (does not match)")
		}
		cond["StringEquals"] = map[string]any{"aws:PrincipalOrgID": orgID}
	default:
		s["Principal"] = map[string]any{"AWS": "arn:aws:iam::" + src + ":user/" + pick(g, "deploy-bot", "old-app")}
		g.problem("trust:another-user")
	}
	switch p := g.f(); {
	case p < 0.80:
	case p < 0.89:
		want := g.alnum(12)
		addCond(cond, "StringEquals", "sts:ExternalId", want)
		switch q := g.f(); {
		case q < 0.55:
			app.ExternalID = want
			g.feature("trust:external-id (passed)")
		case q < 0.8:
			app.ExternalID = g.alnum(12)
			g.problem("trust:external-id (wrong one passed)")
		default:
			g.problem("trust:external-id (none passed)")
		}
	case p < 0.95:
		addCond(cond, "StringEquals", "aws:PrincipalTag/team", "ml")
		if user.Tags["team"] == "ml" {
			g.feature("trust:principal-tag team=ml (user has it)")
		} else {
			g.problem("trust:principal-tag team=ml (user lacks it)")
		}
	default:
		addCond(cond, "Bool", "aws:MultiFactorAuthPresent", "true")
		app.MFA = g.chance(0.5)
		if app.MFA {
			g.feature("trust:mfa (passed)")
		} else {
			g.problem("trust:mfa (not passed)")
		}
	}
	if len(cond) > 0 {
		s["Condition"] = cond
	}
	role.Trust = doc(s)
}

func addCond(cond map[string]any, op, key, value string) {
	m, _ := cond[op].(map[string]any)
	if m == nil {
		m = map[string]any{}
		cond[op] = m
	}
	m[key] = value
}

// rolePolicy writes the role's Bedrock permissions; it returns "vpce" when
// they depend on the app's VPC endpoint.
func (g *gen) rolePolicy(role *principalDoc, app *App, tgt, vpce string, roleTagged bool) string {
	all := any([]string{"arn:aws:bedrock:*::foundation-model/*", "arn:aws:bedrock:*:" + tgt + ":inference-profile/*"})
	if g.chance(0.3) {
		all = "*"
	}
	allow := stmt{"Sid": "InvokeModels", "Effect": "Allow", "Action": invokeActions, "Resource": all}
	gated := ""
	switch p := g.f(); {
	case p < 0.66:
		role.Inline["bedrock"] = doc(allow)
		g.feature("role:allow-all")
	case p < 0.71:
		allow["Resource"] = []string{"arn:aws:bedrock:us-east-1::foundation-model/*", "arn:aws:bedrock:us-east-1:" + tgt + ":inference-profile/*"}
		role.Inline["bedrock"] = doc(allow)
		g.problem("role:only-us-east-1")
	case p < 0.75:
		role.Inline["app"] = doc(stmt{"Effect": "Allow", "Action": []string{"s3:GetObject", "logs:PutLogEvents"}, "Resource": "*"})
		g.problem("role:no-bedrock")
	case p < 0.79:
		res := pick(g, "arn:aws:bedrock:*::foundation-model/anthropic.*", "*")
		role.Inline["bedrock"] = doc(allow, stmt{"Sid": "NoAnthropic", "Effect": "Deny", "Action": "bedrock:Invoke*", "Resource": res})
		g.problem("role:explicit-deny %s", res)
	case p < 0.84:
		allow["Condition"] = map[string]any{"StringEquals": map[string]any{"aws:SourceVpce": vpce}}
		role.Inline["bedrock"] = doc(allow)
		g.feature("role:source-vpce-gated")
		gated = "vpce"
	case p < 0.89:
		allow["Condition"] = map[string]any{"StringEquals": map[string]any{"aws:PrincipalTag/project": "genai"}}
		role.Inline["bedrock"] = doc(allow)
		if roleTagged {
			g.feature("role:principal-tag-gated (role tagged)")
		} else {
			g.problem("role:principal-tag-gated (role not tagged)")
		}
	case p < 0.95:
		rs := []string{pick(g, "us-east-1", "us-west-2", "eu-central-1")}
		if g.chance(0.6) {
			rs = append(rs, app.Region)
		}
		if g.chance(0.4) {
			rs = append(rs, pick(g, regions...))
		}
		slices.Sort(rs)
		rs = slices.Compact(rs)
		allow["Condition"] = map[string]any{"StringEquals": map[string]any{"aws:RequestedRegion": rs}}
		role.Inline["bedrock"] = doc(allow)
		g.feature("role:requested-region-gated %v", rs)
	default:
		pat := "arn:aws:bedrock:*:" + tgt + ":inference-profile/*"
		if g.chance(0.3) {
			pat = "arn:aws:bedrock:*:" + tgt + ":inference-profile/us.*"
		}
		role.Inline["bedrock"] = doc(
			stmt{"Sid": "Profiles", "Effect": "Allow", "Action": invokeActions, "Resource": "arn:aws:bedrock:*:" + tgt + ":inference-profile/*"},
			stmt{"Sid": "ModelsThroughProfiles", "Effect": "Allow", "Action": invokeActions, "Resource": "arn:aws:bedrock:*::foundation-model/*",
				"Condition": map[string]any{"StringLike": map[string]any{"bedrock:InferenceProfileArn": pat}}})
		g.feature("role:models-only-through-profiles %s", pat)
	}
	return gated
}

func (g *gen) boundary(role *principalDoc, tgtA *accountDoc) {
	reads := []string{"bedrock:Get*", "bedrock:List*", "iam:Get*", "iam:List*", "iam:Simulate*", "sts:*"}
	switch p := g.f(); {
	case p < 0.80:
		return
	case p < 0.94:
		tgtA.ManagedPolicies = append(tgtA.ManagedPolicies, policyDoc{ID: "DeveloperBoundary", Policy: doc(stmt{"Effect": "Allow", "Action": append([]string{"bedrock:*", "aws-marketplace:*", "s3:*", "logs:*"}, reads...), "Resource": "*"})})
		g.feature("boundary:allows")
	default:
		tgtA.ManagedPolicies = append(tgtA.ManagedPolicies, policyDoc{ID: "DeveloperBoundary", Policy: doc(stmt{"Effect": "Allow", "Action": append([]string{"s3:*", "logs:*"}, reads...), "Resource": "*"})})
		g.problem("boundary:lacks-bedrock-invoke")
	}
	role.Boundary = "arn:aws:iam::" + tgtA.ID + ":policy/DeveloperBoundary"
}

func (g *gen) sessionPolicy(app *App) {
	switch p := g.f(); {
	case p < 0.85:
	case p < 0.95:
		app.SessionPolicy = string(doc(stmt{"Effect": "Allow", "Action": []string{"bedrock:*", "iam:Get*", "iam:List*", "iam:Simulate*", "aws-marketplace:*"}, "Resource": "*"}))
		g.feature("session-policy:allows")
	default:
		app.SessionPolicy = string(doc(stmt{"Effect": "Allow", "Action": []string{"s3:GetObject", "bedrock:Get*", "bedrock:List*", "iam:Get*", "iam:List*", "iam:Simulate*"}, "Resource": "*"}))
		g.problem("session-policy:lacks-bedrock-invoke")
	}
}

func (g *gen) targetOrgPolicies(tgt string, o *org, roleTagged bool) {
	if g.chance(0.14) {
		allowed := pick(g, []string{"us-east-1", "us-east-2"}, []string{"us-east-1", "us-west-2"}, []string{"eu-central-1", "eu-west-1"}, []string{"us-east-1", "us-east-2", "us-west-2"})
		s := stmt{"Sid": "DenyOutsideRegions", "Effect": "Deny", "Resource": "*",
			"Condition": map[string]any{"StringNotEquals": map[string]any{"aws:RequestedRegion": allowed}}}
		if g.chance(0.5) {
			s["NotAction"] = []string{"iam:*", "sts:*", "organizations:*", "support:*", "cloudfront:*"}
		} else {
			s["Action"] = "*"
		}
		level := g.attach(tgt, false, doc(s))
		g.feature("scp:region-deny outside %v at %s", allowed, level)
	}
	if g.chance(0.06) {
		res := pick(g, "*", "arn:aws:bedrock:*::foundation-model/anthropic.*")
		level := g.attach(tgt, false, doc(stmt{"Effect": "Deny", "Action": pick[any](g, "bedrock:*", []string{"bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"}), "Resource": res}))
		g.problem("scp:deny-bedrock %s at %s", res, level)
	}
	if g.chance(0.06) {
		level := g.attach(tgt, false, doc(stmt{"Effect": "Deny", "Action": "bedrock:Invoke*", "Resource": "*",
			"Condition": map[string]any{"StringNotEquals": map[string]any{"aws:PrincipalTag/project": "genai"}}}))
		if roleTagged {
			g.feature("scp:deny-untagged at %s (role tagged)", level)
		} else {
			g.problem("scp:deny-untagged at %s (role not tagged)", level)
		}
	}
	if g.chance(0.05) {
		level := g.attach(tgt, true, doc(stmt{"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole", "Resource": "*",
			"Condition": map[string]any{"StringNotEqualsIfExists": map[string]any{"aws:PrincipalOrgID": o.id}, "BoolIfExists": map[string]any{"aws:PrincipalIsAWSService": "false"}}}))
		g.feature("rcp:assume-only-from-org at %s", level)
	}
}

func (g *gen) runtimeEndpoint(sc *scenarioDoc, vpce string, app App, tgt string) {
	all := stmt{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}
	var pol json.RawMessage
	switch p := g.f(); {
	case p < 0.6:
		pol = doc(all)
		g.feature("endpoint:runtime allow-all")
	case p < 0.8:
		pol = doc(all, stmt{"Effect": "Deny", "Principal": "*", "Action": "bedrock:Invoke*", "Resource": "arn:aws:bedrock:*::foundation-model/anthropic.*"})
		g.problem("endpoint:runtime deny-anthropic")
	default:
		pol = doc(stmt{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*", "Condition": map[string]any{"StringEquals": map[string]any{"aws:PrincipalAccount": tgt}}})
		g.feature("endpoint:runtime only-target-account")
	}
	sc.Endpoints = append(sc.Endpoints, endpointDoc{ID: vpce, Service: "bedrock-runtime", Policy: pol, Users: []string{app.Principal}})
}

func (g *gen) stsEndpoint(sc *scenarioDoc, app App, tgt, other string) {
	acct := tgt
	if g.chance(0.5) {
		acct = other
		g.problem("endpoint:sts assume only to another account")
	} else {
		g.feature("endpoint:sts assume only to target")
	}
	pol := doc(stmt{"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::" + acct + ":role/*"},
		stmt{"Effect": "Allow", "Principal": "*", "Action": "sts:GetCallerIdentity", "Resource": "*"})
	sc.Endpoints = append(sc.Endpoints, endpointDoc{ID: "vpce-0" + g.alnum(16), Service: "sts", Policy: pol, Users: []string{app.Principal}})
}

func (g *gen) modelAccess(tgtA *accountDoc, app App) {
	m := app.ModelID
	if i := strings.LastIndex(m, "/"); i >= 0 {
		m = m[i+1:]
	}
	if p, ok := profileByID(m); ok {
		m = p.Model
	}
	fm := modelByID(m)
	anthropic := strings.HasPrefix(m, "anthropic.")
	if anthropic {
		tgtA.UseCaseForm = `{"companyName":"Example Corp","intendedUsers":"internal"}`
	}
	if fm.ID == "" {
		return
	}
	state := "authorized"
	switch p := g.f(); {
	case p < 0.86:
	case p < 0.89 && fm.Marketplace:
		state = "needs-subscription"
	case p < 0.92 && fm.Marketplace:
		state = "subscription-failed"
	case p < 0.95 && anthropic:
		state = "use-case-missing"
		tgtA.UseCaseForm = ""
	case p < 0.98:
		state = "not-available"
	default:
		state = "agreement-pending"
	}
	if state == "authorized" {
		if g.chance(0.3) {
			tgtA.Bedrock = append(tgtA.Bedrock, bedrockDoc{Region: app.Region, Access: map[string]string{m: "authorized"}})
		}
		return
	}
	region := app.Region
	if g.chance(0.1) {
		region = pick(g, regions...)
	}
	tgtA.Bedrock = append(tgtA.Bedrock, bedrockDoc{Region: region, Access: map[string]string{m: state}})
	if region == app.Region && state != "needs-subscription" {
		g.problem("model-access:%s", state)
	} else {
		g.feature("model-access:%s in %s", state, region)
	}
}

func (g *gen) appSetup(app *App, user *principalDoc) {
	switch p := g.f(); {
	case app.APIKey != nil:
		// The app's Bedrock Runtime client holds a Bedrock API key: no
		// SigV4, no role.
	case p < 0.92:
		app.ApplyRole = true
	case p < 0.95:
		app.BearerToken = true
		user.BearerToken = true
		g.problem("app:bearer-token (role not used)")
	default:
		g.problem("app:role-not-applied")
	}
	switch p := g.f(); {
	case p < 0.02:
		app.Credentials = "unissued"
		g.problem("credentials:unissued-key")
	case p < 0.035:
		app.Credentials = "wrong-secret"
		g.problem("credentials:wrong-secret")
	}
	if strings.Contains(app.ModelID, ":ACCOUNT:") {
		// A profile ARN names the account that calls it: the role's, or
		// the user's when the role is not applied.
		acct := strings.SplitN(app.RoleARN, ":", 6)[4]
		if !app.ApplyRole {
			acct = strings.SplitN(app.Principal, "/", 2)[0]
		}
		app.ModelID = strings.Replace(app.ModelID, ":ACCOUNT:", ":"+acct+":", 1)
		g.feature("model:profile-as-arn")
	}
}

var (
	readBedrock = []string{"bedrock:GetFoundationModel", "bedrock:ListFoundationModels", "bedrock:GetInferenceProfile", "bedrock:ListInferenceProfiles",
		"bedrock:GetFoundationModelAvailability", "bedrock:GetUseCaseForModelAccess",
		// The kinds' own reads (kinds.go).
		"bedrock:GetProvisionedModelThroughput", "bedrock:GetCustomModel", "bedrock:GetCustomModelDeployment", "bedrock:GetImportedModel",
		"bedrock:GetGuardrail", "bedrock:GetPromptRouter", "bedrock:GetPrompt", "bedrock:GetMarketplaceModelEndpoint"}
	readKeys         = []string{"kms:DescribeKey", "kms:GetKeyPolicy", "kms:ListGrants"}
	readRolePolicies = []string{"iam:GetRole", "iam:ListRolePolicies", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies"}
)

func (g *gen) tier(app *App, user, role *principalDoc, tgtA *accountDoc, userARN, roleARN string) {
	switch p := g.f(); {
	case p < 0.2:
		app.Tier = TierNone
	case p < 0.45:
		app.Tier = TierSome
	case p < 0.65:
		app.Tier = TierRead
	default:
		app.Tier = TierFull
	}
	g.feature("tier:%s", app.Tier)
	bedrockReads := stmt{"Effect": "Allow", "Action": readBedrock, "Resource": "*"}
	ownPolicies := []stmt{
		{"Effect": "Allow", "Action": readRolePolicies, "Resource": roleARN},
		{"Effect": "Allow", "Action": []string{"iam:GetPolicy", "iam:GetPolicyVersion"}, "Resource": "arn:aws:iam::" + tgtA.ID + ":policy/*"},
		{"Effect": "Allow", "Action": readKeys, "Resource": "*"},
	}
	simulate := stmt{"Effect": "Allow", "Action": []string{"iam:SimulatePrincipalPolicy", "iam:GetRole"}, "Resource": roleARN}
	switch app.Tier {
	case TierSome:
		role.Inline["diagnostics"] = doc(bedrockReads)
	case TierRead:
		role.Inline["diagnostics"] = doc(append([]stmt{bedrockReads}, ownPolicies...)...)
	case TierFull:
		role.Inline["diagnostics"] = doc(append([]stmt{bedrockReads, simulate}, ownPolicies...)...)
		user.Inline["diagnostics"] = doc(stmt{"Effect": "Allow", "Action": []string{"iam:SimulatePrincipalPolicy", "iam:GetUser"}, "Resource": userARN})
		auditor := &principalDoc{Name: "bedrock-auditor", Inline: map[string]json.RawMessage{
			"audit": doc(append([]stmt{bedrockReads, simulate}, ownPolicies...)...)}}
		tgtA.Users = append(tgtA.Users, auditor)
		app.Auditor = tgtA.ID + "/" + auditor.Name
	}
}

// Diagnostic calls that faults may hit: never the app's Bedrock Runtime
// call.
var faultTargets = [][2]string{
	{"iam", "SimulatePrincipalPolicy"}, {"iam", "GetRole"}, {"iam", "ListRolePolicies"}, {"iam", "GetRolePolicy"},
	{"iam", "ListAttachedRolePolicies"}, {"iam", "GetPolicyVersion"}, {"iam", "*"},
	{"bedrock", "GetFoundationModelAvailability"}, {"bedrock", "GetFoundationModel"}, {"bedrock", "GetInferenceProfile"},
	{"bedrock", "ListInferenceProfiles"}, {"bedrock", "GetUseCaseForModelAccess"}, {"bedrock", "*"},
	{"sts", "GetCallerIdentity"},
}

var faultKinds = []string{"throttle", "500", "hang", "malformed", "drop"}

func (g *gen) faults(app *App) {
	if g.chance(0.25) {
		for n := 1 + g.r.IntN(2); n > 0; n-- {
			t := pick(g, faultTargets...)
			f := Fault{Service: t[0], Action: t[1], Kind: pick(g, faultKinds...)}
			if g.chance(0.4) {
				f.Times = 1
			}
			app.Faults = append(app.Faults, f)
			g.feature("fault:%s:%s %s", f.Service, f.Action, f.Kind)
		}
	}
	if app.ApplyRole && g.chance(0.03) {
		f := Fault{Service: "sts", Action: "AssumeRole", Kind: pick(g, "throttle", "500", "malformed", "drop"), Times: 1}
		app.Faults = append(app.Faults, f)
		g.feature("fault:app-assume-role %s", f.Kind)
	}
}
