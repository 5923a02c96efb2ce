package awsfake

import (
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/bedrockdoctor/bedrockdoctor/internal/iampolicy"
)

var iamOps = map[string]handler{
	"GetRole":                  iamGetRole,
	"GetUser":                  iamGetUser,
	"ListRolePolicies":         iamListRolePolicies,
	"GetRolePolicy":            iamGetRolePolicy,
	"ListAttachedRolePolicies": iamListAttachedRolePolicies,
	"ListUserPolicies":         iamListUserPolicies,
	"GetUserPolicy":            iamGetUserPolicy,
	"ListAttachedUserPolicies": iamListAttachedUserPolicies,
	"GetPolicy":                iamGetPolicy,
	"GetPolicyVersion":         iamGetPolicyVersion,
	"SimulatePrincipalPolicy":  iamSimulatePrincipalPolicy,
	"SimulateCustomPolicy":     iamSimulateCustomPolicy,
}

// encodeDoc percent-encodes a policy document the way IAM returns it
// (AWS.md §4.2): everything outside RFC 3986 unreserved characters, so that
// both QueryUnescape and PathUnescape round-trip.
func encodeDoc(doc string) string {
	var b strings.Builder
	for i := 0; i < len(doc); i++ {
		ch := doc[i]
		if ch >= 'A' && ch <= 'Z' || ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '.' || ch == '_' || ch == '~' {
			b.WriteByte(ch)
			continue
		}
		b.WriteString("%" + strings.ToUpper(strconv.FormatUint(uint64(ch)>>4, 16)+strconv.FormatUint(uint64(ch)&15, 16)))
	}
	return b.String()
}

func isoTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// iamAuthorize checks the IAM action on a resource of the caller's account.
// IAM's denial names a role as "role NAME" ("... iam:GetRole on resource:
// role cdk-... because no identity-based policy allows the iam:GetRole
// action", https://github.com/aws/aws-cdk/issues/27067), a user likewise as
// "user NAME" (by analogy, UNCONFIRMED), anything else by ARN.
func (c *call) iamAuthorize(resourceARN, named string) error {
	set, err := c.policySet(nil, nil)
	if err != nil {
		return err
	}
	action := "iam:" + c.action
	res := c.authorize(action, resourceARN, c.principal.Account, map[string][]string{"aws:RequestedRegion": {"us-east-1"}}, set)
	if res.Decision == iampolicy.Allow {
		return nil
	}
	return &apiError{Status: 403, Code: "AccessDenied", Message: deniedMessage(c.callerARN, action, named, c.denySuffix(action, res)), Resource: resourceARN}
}

func (c *call) callerAccount() *Account {
	w := c.s.World
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.accounts[c.principal.Account]
}

func noSuchEntity(msg string) error {
	return &apiError{Status: 404, Code: "NoSuchEntity", Message: msg}
}

func (c *call) role() (*Role, error) {
	name := c.form.Get("RoleName")
	a := c.callerAccount()
	// IAM authorizes on the role's ARN, path included (an SSO role lives
	// under /aws-reserved/...); a missing role is checked on the bare name.
	arn := "arn:" + c.s.World.Partition + ":iam::" + a.ID + ":role/" + name
	c.s.World.mu.Lock()
	if r := a.roles[name]; r != nil {
		arn = "arn:" + c.s.World.Partition + ":iam::" + a.ID + ":role" + r.Path + name
	}
	c.s.World.mu.Unlock()
	if err := c.iamAuthorize(arn, "role "+name); err != nil {
		return nil, err
	}
	c.s.World.mu.Lock()
	defer c.s.World.mu.Unlock()
	r := a.roles[name]
	if r == nil {
		return nil, noSuchEntity("The role with name " + name + " cannot be found.")
	}
	snap := *r
	snap.principalBase = r.snapshot()
	return &snap, nil
}

func (c *call) user() (*User, error) {
	name := c.form.Get("UserName")
	a := c.callerAccount()
	if name == "" {
		// Without UserName, GetUser describes the calling user.
		if c.cred.user == nil {
			return nil, validationError("Must specify userName when calling with non-User credentials")
		}
		name = c.cred.user.Name
	}
	arn := "arn:" + c.s.World.Partition + ":iam::" + a.ID + ":user/" + name
	if err := c.iamAuthorize(arn, "user "+name); err != nil {
		return nil, err
	}
	c.s.World.mu.Lock()
	defer c.s.World.mu.Unlock()
	u := a.users[name]
	if u == nil {
		return nil, noSuchEntity("The user with name " + name + " cannot be found.")
	}
	return &User{u.snapshot()}, nil
}

func tagsXML(tags map[string]string) string {
	if len(tags) == 0 {
		return ""
	}
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	s := "<Tags>"
	for _, k := range keys {
		s += "<member>" + el("Key", k) + "<Value>" + x(tags[k]) + "</Value></member>"
	}
	return s + "</Tags>"
}

func iamGetRole(c *call) error {
	r, err := c.role()
	if err != nil {
		return err
	}
	inner := "<Role>" + el("Path", r.Path) + el("RoleName", r.Name) + el("RoleId", r.UniqueID) + el("Arn", r.ARN()) +
		el("CreateDate", isoTime(r.created)) + el("AssumeRolePolicyDocument", encodeDoc(r.Trust)) + el("Description", r.Description) +
		el("MaxSessionDuration", strconv.Itoa(int(r.MaxSessionDuration/time.Second)))
	if r.boundary != "" {
		inner += "<PermissionsBoundary>" + el("PermissionsBoundaryType", "PermissionsBoundaryPolicy") + el("PermissionsBoundaryArn", r.boundary) + "</PermissionsBoundary>"
	}
	inner += tagsXML(r.Tags) + "<RoleLastUsed/></Role>"
	return c.writeQuery(inner)
}

func iamGetUser(c *call) error {
	u, err := c.user()
	if err != nil {
		return err
	}
	inner := "<User>" + el("Path", u.Path) + el("UserName", u.Name) + el("UserId", u.UniqueID) + el("Arn", u.ARN()) + el("CreateDate", isoTime(u.created))
	if u.boundary != "" {
		inner += "<PermissionsBoundary>" + el("PermissionsBoundaryType", "PermissionsBoundaryPolicy") + el("PermissionsBoundaryArn", u.boundary) + "</PermissionsBoundary>"
	}
	return c.writeQuery(inner + tagsXML(u.Tags) + "</User>")
}

// page cuts items per Marker/MaxItems and returns the IsTruncated/Marker
// tail; the marker is omitted on the last page (AWS.md §4.4).
func (c *call) page(n int) (start, end int, tail string, err error) {
	max := 100
	if m := c.form.Get("MaxItems"); m != "" {
		v, convErr := strconv.Atoi(m)
		if convErr != nil || v < 1 || v > 1000 {
			return 0, 0, "", validationError("1 validation error detected: Value '" + m + "' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000")
		}
		max = v
	}
	if m := c.form.Get("Marker"); m != "" {
		v, convErr := strconv.Atoi(m)
		if convErr != nil || v < 0 || v > n {
			return 0, 0, "", &apiError{Status: 400, Code: "InvalidInput", Message: "Invalid Marker."}
		}
		start = v
	}
	end = min(start+max, n)
	if end < n {
		return start, end, "<IsTruncated>true</IsTruncated><Marker>" + strconv.Itoa(end) + "</Marker>", nil
	}
	return start, end, "<IsTruncated>false</IsTruncated>", nil
}

func (c *call) listNames(names []string) error {
	start, end, tail, err := c.page(len(names))
	if err != nil {
		return err
	}
	s := "<PolicyNames>"
	for _, n := range names[start:end] {
		s += "<member>" + x(n) + "</member>"
	}
	return c.writeQuery(s + "</PolicyNames>" + tail)
}

func (c *call) listAttached(arns []string) error {
	start, end, tail, err := c.page(len(arns))
	if err != nil {
		return err
	}
	s := "<AttachedPolicies>"
	for _, a := range arns[start:end] {
		s += "<member>" + el("PolicyName", a[strings.LastIndex(a, "/")+1:]) + el("PolicyArn", a) + "</member>"
	}
	return c.writeQuery(s + "</AttachedPolicies>" + tail)
}

func iamListRolePolicies(c *call) error {
	r, err := c.role()
	if err != nil {
		return err
	}
	return c.listNames(r.inlineNames())
}

func iamListUserPolicies(c *call) error {
	u, err := c.user()
	if err != nil {
		return err
	}
	return c.listNames(u.inlineNames())
}

func iamListAttachedRolePolicies(c *call) error {
	r, err := c.role()
	if err != nil {
		return err
	}
	return c.listAttached(r.attached)
}

func iamListAttachedUserPolicies(c *call) error {
	u, err := c.user()
	if err != nil {
		return err
	}
	return c.listAttached(u.attached)
}

func iamGetRolePolicy(c *call) error {
	r, err := c.role()
	if err != nil {
		return err
	}
	name := c.form.Get("PolicyName")
	doc, ok := r.inline[name]
	if !ok {
		return noSuchEntity("The role policy with name " + name + " cannot be found.")
	}
	return c.writeQuery(el("RoleName", r.Name) + el("PolicyName", name) + el("PolicyDocument", encodeDoc(doc)))
}

func iamGetUserPolicy(c *call) error {
	u, err := c.user()
	if err != nil {
		return err
	}
	name := c.form.Get("PolicyName")
	doc, ok := u.inline[name]
	if !ok {
		return noSuchEntity("The user policy with name " + name + " cannot be found.")
	}
	return c.writeQuery(el("UserName", u.Name) + el("PolicyName", name) + el("PolicyDocument", encodeDoc(doc)))
}

// policyByARN finds a managed policy of any account (AWS managed policies
// live in the pseudo-account "aws").
func (w *World) policyByARN(arn string) *Policy {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.policyLocked(arn)
}

func (w *World) policyLocked(arn string) *Policy {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 {
		return nil
	}
	if a := w.accounts[parts[4]]; a != nil {
		return a.policies[arn]
	}
	return nil
}

func (c *call) managedPolicy() (*Policy, error) {
	arn := c.form.Get("PolicyArn")
	if err := c.iamAuthorize(arn, arn); err != nil {
		return nil, err
	}
	p := c.s.World.policyByARN(arn)
	if p == nil {
		return nil, noSuchEntity("Policy " + arn + " does not exist or is not attachable.")
	}
	return p, nil
}

func iamGetPolicy(c *call) error {
	p, err := c.managedPolicy()
	if err != nil {
		return err
	}
	return c.writeQuery("<Policy>" + el("PolicyName", p.Name) + el("PolicyId", "ANPA"+strings.ToUpper(encodeDoc(p.Name))[:min(len(p.Name), 17)]) + el("Arn", p.ARN) +
		el("Path", p.Path) + el("DefaultVersionId", "v1") + "<AttachmentCount>1</AttachmentCount><PermissionsBoundaryUsageCount>0</PermissionsBoundaryUsageCount><IsAttachable>true</IsAttachable>" +
		el("CreateDate", isoTime(p.created)) + el("UpdateDate", isoTime(p.created)) + "</Policy>")
}

func iamGetPolicyVersion(c *call) error {
	p, err := c.managedPolicy()
	if err != nil {
		return err
	}
	if v := c.form.Get("VersionId"); v != "v1" {
		return noSuchEntity("Policy " + p.ARN + " version " + v + " does not exist or is not attachable.")
	}
	return c.writeQuery("<PolicyVersion>" + el("Document", encodeDoc(p.Document)) + el("VersionId", "v1") + "<IsDefaultVersion>true</IsDefaultVersion>" + el("CreateDate", isoTime(p.created)) + "</PolicyVersion>")
}

// contextEntries reads ContextEntries.member.N.{ContextKeyName, ContextKeyValues.member.M}.
func contextEntries(f url.Values) map[string][]string {
	ctx := map[string][]string{}
	for i := 1; ; i++ {
		p := "ContextEntries.member." + strconv.Itoa(i)
		name, ok := f[p+".ContextKeyName"]
		if !ok {
			return ctx
		}
		ctx[name[0]] = formList(f, p+".ContextKeyValues")
	}
}

func decisionString(d iampolicy.Decision) string {
	switch d {
	case iampolicy.Allow:
		return "allowed"
	case iampolicy.ExplicitDeny:
		return "explicitDeny"
	}
	return "implicitDeny"
}

func typeDecision(res iampolicy.Result, t iampolicy.PolicyType) (iampolicy.Decision, bool) {
	for _, tr := range res.Types {
		if tr.Type == t {
			return tr.Decision, true
		}
	}
	return 0, false
}

// simulate evaluates every action on every resource and writes the
// SimulatePolicyResponse shape (AWS.md §4.3).
func (c *call) simulate(p iampolicy.Principal, set iampolicy.PolicySet, sourceType string) error {
	actions := formList(c.form, "ActionNames")
	if len(actions) == 0 {
		return validationError("1 validation error detected: Value null at 'actionNames' failed to satisfy constraint: Member must not be null")
	}
	resources := formList(c.form, "ResourceArns")
	if len(resources) == 0 {
		resources = []string{"*"}
	}
	for _, pol := range formList(c.form, "PolicyInputList") {
		np, err := iampolicy.Parse(pol)
		if err != nil {
			return &apiError{Status: 400, Code: "MalformedPolicyDocument", Message: "The policy is not in the valid JSON format."}
		}
		set.Identity = append(set.Identity, iampolicy.NamedPolicy{Name: "PolicyInputList." + strconv.Itoa(len(set.Identity)+1), Type: iampolicy.TypeIdentity, Policy: np})
	}
	for _, pol := range formList(c.form, "PermissionsBoundaryPolicyInputList") {
		np, err := iampolicy.Parse(pol)
		if err != nil {
			return &apiError{Status: 400, Code: "MalformedPolicyDocument", Message: "The policy is not in the valid JSON format."}
		}
		set.Boundary = &iampolicy.NamedPolicy{Name: "PermissionsBoundaryPolicyInputList.1", Type: iampolicy.TypeBoundary, Policy: np}
	}
	if rp := c.form.Get("ResourcePolicy"); rp != "" {
		np, err := iampolicy.Parse(rp)
		if err != nil {
			return &apiError{Status: 400, Code: "MalformedPolicyDocument", Message: "The policy is not in the valid JSON format."}
		}
		set.Resource = []iampolicy.NamedPolicy{{Name: "ResourcePolicy", Type: iampolicy.TypeResource, Policy: np}}
	}
	ctx := contextEntries(c.form)
	start, end, tail, err := c.page(len(actions))
	if err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("<EvaluationResults>")
	for _, action := range actions[start:end] {
		agg := iampolicy.Allow
		var per strings.Builder
		var missing []string
		orgAllowed := true
		for _, r := range resources {
			rctx := map[string][]string{}
			for k, v := range ctx {
				rctx[k] = v
			}
			res := iampolicy.Evaluate(iampolicy.Request{Principal: p, Action: action, Resource: r, Context: rctx}, set)
			if len(set.Resource) == 0 {
				res = identitySide(res)
			}
			switch {
			case res.Decision == iampolicy.ExplicitDeny:
				agg = iampolicy.ExplicitDeny
			case res.Decision == iampolicy.ImplicitDeny && agg == iampolicy.Allow:
				agg = iampolicy.ImplicitDeny
			}
			if d, ok := typeDecision(res, iampolicy.TypeSCP); ok && d != iampolicy.Allow {
				orgAllowed = false
			}
			missing = append(missing, res.Missing...)
			per.WriteString("<member>" + el("EvalResourceName", r) + el("EvalResourceDecision", decisionString(res.Decision)) + matchedXML(res, sourceType))
			if len(res.Missing) > 0 {
				per.WriteString("<MissingContextValues>")
				for _, m := range res.Missing {
					per.WriteString("<member>" + x(m) + "</member>")
				}
				per.WriteString("</MissingContextValues>")
			}
			if set.Boundary != nil {
				d, _ := typeDecision(res, iampolicy.TypeBoundary)
				per.WriteString("<PermissionsBoundaryDecisionDetail><AllowedByPermissionsBoundary>" + strconv.FormatBool(d == iampolicy.Allow) + "</AllowedByPermissionsBoundary></PermissionsBoundaryDecisionDetail>")
			}
			per.WriteString("</member>")
		}
		name := "*"
		if len(resources) == 1 {
			name = resources[0]
		}
		b.WriteString("<member>" + el("EvalActionName", action) + el("EvalResourceName", name) + el("EvalDecision", decisionString(agg)))
		if set.SCPs != nil {
			b.WriteString("<OrganizationsDecisionDetail><AllowedByOrganizations>" + strconv.FormatBool(orgAllowed) + "</AllowedByOrganizations></OrganizationsDecisionDetail>")
		}
		missing = dedupe(missing)
		if len(resources) == 1 && resources[0] == "*" && len(missing) > 0 {
			b.WriteString("<MissingContextValues>")
			for _, m := range missing {
				b.WriteString("<member>" + x(m) + "</member>")
			}
			b.WriteString("</MissingContextValues>")
		}
		if !(len(resources) == 1 && resources[0] == "*") {
			b.WriteString("<ResourceSpecificResults>" + per.String() + "</ResourceSpecificResults>")
		}
		b.WriteString("</member>")
	}
	b.WriteString("</EvaluationResults>" + tail)
	return c.writeQuery(b.String())
}

// matchedXML lists the identity and resource statements that applied: for
// a deny only the deny statements, never SCP ones (AWS.md §4.3).
func matchedXML(res iampolicy.Result, sourceType string) string {
	var s string
	for _, t := range res.Types {
		if t.Type != iampolicy.TypeIdentity && t.Type != iampolicy.TypeResource {
			continue
		}
		for _, m := range t.Matched {
			if res.Decision == iampolicy.ExplicitDeny && m.Effect != "Deny" {
				continue
			}
			typ := sourceType
			switch {
			case strings.HasPrefix(m.Policy, "arn:aws:iam::aws:"):
				typ = "aws-managed"
			case strings.HasPrefix(m.Policy, "arn:"):
				typ = "user-managed"
			case t.Type == iampolicy.TypeResource:
				typ = "resource"
			}
			// IAM names a policy by its name (inline or managed) or its
			// input position ("PolicyInputList.1").
			id := m.Policy
			if i := strings.LastIndex(id, "/"); i >= 0 {
				id = id[i+1:]
			}
			s += "<member>" + el("SourcePolicyId", id) + el("SourcePolicyType", typ) + "</member>"
		}
	}
	if s == "" {
		return ""
	}
	return "<MatchedStatements>" + s + "</MatchedStatements>"
}

func iamSimulatePrincipalPolicy(c *call) error {
	src := c.form.Get("PolicySourceArn")
	if err := c.iamAuthorize(src, src); err != nil {
		return err
	}
	w := c.s.World
	var cred *credential
	var p iampolicy.Principal
	sourceType := "user"
	if r := w.roleByARN(src); r != nil && r.account.ID == c.principal.Account {
		cred = &credential{session: &Session{Role: r, Name: "simulation"}}
		p = iampolicy.Principal{ARN: r.ARN(), RoleARN: r.ARN(), UniqueID: r.UniqueID, Account: r.account.ID, Tags: copyTags(r.Tags)}
		sourceType = "role"
	} else if u := w.userByARN(src); u != nil && u.account.ID == c.principal.Account {
		cred = &credential{user: u}
		p = iampolicy.Principal{ARN: u.ARN(), UniqueID: u.UniqueID, Account: u.account.ID, Tags: copyTags(u.Tags)}
	} else {
		return &apiError{Status: 400, Code: "InvalidInput", Message: "Invalid Entity Arn: " + src + " does not clearly define entity type and name."}
	}
	w.mu.Lock()
	ident, boundary, _, acct, err := principalPolicies(cred)
	var scps [][]iampolicy.NamedPolicy
	if err == nil {
		scps, err = orgLevels(acct, false)
	}
	w.mu.Unlock()
	if err != nil {
		return err
	}
	if acct.org != nil {
		p.OrgID = acct.org.ID
	}
	return c.simulate(p, iampolicy.PolicySet{Identity: ident, Boundary: boundary, SCPs: scps}, sourceType)
}

func iamSimulateCustomPolicy(c *call) error {
	if err := c.iamAuthorize("*", "*"); err != nil {
		return err
	}
	if len(formList(c.form, "PolicyInputList")) == 0 {
		return validationError("1 validation error detected: Value null at 'policyInputList' failed to satisfy constraint: Member must not be null")
	}
	caller := c.form.Get("CallerArn")
	p := iampolicy.Principal{ARN: caller, Account: c.principal.Account}
	if caller == "" {
		p.ARN = "arn:" + c.s.World.Partition + ":iam::" + c.principal.Account + ":user/simulated"
	}
	return c.simulate(p, iampolicy.PolicySet{}, "user")
}

// userByARN finds a user by its full ARN (path included).
func (w *World) userByARN(arn string) *User {
	w.mu.Lock()
	defer w.mu.Unlock()
	a, name := w.iamEntity(arn, "user/")
	if a == nil || a.users[name] == nil || a.users[name].ARN() != arn {
		return nil
	}
	return a.users[name]
}

// identitySide is the simulator's view of a request on a role: "Simulation
// of resource-based policies isn't supported for IAM roles" (SDK doc of
// SimulatePrincipalPolicy.ResourcePolicy, AWS.md §3.9), so a trust policy
// that was not supplied does not decide; the caller's own policies do: every
// caller-side type present must allow.
func identitySide(res iampolicy.Result) iampolicy.Result {
	if res.Decision == iampolicy.ExplicitDeny {
		return res
	}
	res.Decision, res.Blocked = iampolicy.Allow, nil
	for _, tr := range res.Types {
		switch tr.Type {
		case iampolicy.TypeTrust, iampolicy.TypeResource:
			continue
		}
		if tr.Decision != iampolicy.Allow {
			res.Decision = iampolicy.ImplicitDeny
			res.Blocked = append(res.Blocked, tr.Type)
		}
	}
	return res
}

func dedupe(ss []string) []string {
	seen := map[string]bool{}
	out := ss[:0]
	for _, v := range ss {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
