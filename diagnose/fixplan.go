package diagnose

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/bedrockdoctor/bedrockdoctor/internal/bedrockid"
	"github.com/bedrockdoctor/bedrockdoctor/internal/iampolicy"
)

// Fixes that work. A fix policy goes where the denying policy is (the
// identity policy, the permissions boundary, the session policy the app
// passes, the trust policy), covers every ARN of the call, and extends the
// statement that almost matched, keeping its Condition: it never grants
// around a restriction. When the call itself does not meet a condition of
// the statement that would allow it (a tag the role lacks, a VPC endpoint
// the app does not go through, a region outside the statement's), the fix
// says so in words and carries no policy. When the diagnosis could not read
// the policies the fix goes into, the fix says so and what to do instead
// when one of their statements already allows the call under a condition.

// placeKind is the kind of policy a fix goes into.
type placeKind int

const (
	placeIdentity placeKind = iota
	placeBoundary
	placeSession
	placeTrust
)

// fixPlace is one policy a fix policy goes into.
type fixPlace struct {
	kind      placeKind
	principal string // the role or user ARN whose policy it is
	policy    string // the boundary's ARN, when known
}

// String names the place as Report.FixPlace does: which policy of which
// principal, in which account.
func (p fixPlace) String() string {
	who := principalNoun(p.principal) + " " + p.principal
	in := ", in account " + accountOf(p.principal)
	switch p.kind {
	case placeSession:
		return "the session policy the app passes to AssumeRole"
	case placeTrust:
		return "the trust policy of role " + p.principal + in
	case placeBoundary:
		b := "the permissions boundary "
		if p.policy != "" {
			b += p.policy + " "
		}
		return b + "of " + who + in
	}
	return "the identity policy of " + who + in
}

// fixPrincipal is the principal a policy names for a source: a session's
// role, else the principal itself.
func fixPrincipal(src string) string {
	if p, ok := sourcePolicyARN(src); ok {
		return p
	}
	return src
}

// principalNoun is "role" or "user" for an IAM ARN.
func principalNoun(a string) string {
	if strings.Contains(a, ":user/") {
		return "user"
	}
	return "role"
}

// placesText joins places for Report.FixPlace.
func placesText(ps []fixPlace) string {
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.String()
	}
	return strings.Join(names, "; and ")
}

// addPlace appends a place once.
func addPlace(ps []fixPlace, p fixPlace) []fixPlace {
	if slices.Contains(ps, p) {
		return ps
	}
	return append(ps, p)
}

// unreadCaveat is what a fix written without reading the policies it goes
// into says to do instead of pasting it.
func unreadCaveat(whose, actions string) string {
	return " (the diagnosis could not read " + whose + ": if one of their statements already allows " + actions +
		" under a Condition, the call does not meet that Condition; meet it rather than adding this policy, which would bypass it)"
}

// grantsIgnoringConditions reports that a statement, its conditions aside,
// covers the action on the resource.
func grantsIgnoringConditions(st iampolicy.Statement, action, resource string) bool {
	if anyMatch(st.Action, action, iampolicy.MatchAction) == (st.NotAction != nil) {
		return false
	}
	switch {
	case st.Resource != nil:
		return anyMatch(st.Resource, resource, iampolicy.MatchResource)
	case st.NotResource != nil:
		return !anyMatch(st.NotResource, resource, iampolicy.MatchResource)
	}
	return true
}

func anyMatch(patterns []string, v string, match func(string, string) bool) bool {
	for _, p := range patterns {
		if match(p, v) {
			return true
		}
	}
	return false
}

// onStatement is one statement alone with its Resource replaced, as a
// policy: to ask whether its conditions hold for a request.
func onStatement(pol *iampolicy.Policy, i int, resource string) *iampolicy.Policy {
	var doc struct {
		Version   string
		Statement []map[string]any
	}
	if json.Unmarshal([]byte(pol.String()), &doc) != nil || i >= len(doc.Statement) {
		return nil
	}
	st := doc.Statement[i]
	delete(st, "NotResource")
	st["Resource"] = resource
	raw, err := json.Marshal(map[string]any{"Version": iampolicy.Version2012, "Statement": []any{st}})
	if err != nil {
		return nil
	}
	p, err := iampolicy.Parse(string(raw))
	if err != nil {
		return nil
	}
	return p
}

// conditionsHold reports whether statement i of pol allows the request on
// its own once its Resource covers it: its conditions hold (or depend on
// keys the diagnosis cannot know, which the real request may meet).
func conditionsHold(pol *iampolicy.Policy, i int, req iampolicy.Request) bool {
	one := onStatement(pol, i, req.Resource)
	if one == nil {
		return false
	}
	res := iampolicy.Evaluate(req, iampolicy.PolicySet{Identity: []iampolicy.NamedPolicy{{Name: "statement", Type: iampolicy.TypeIdentity, Policy: one}}})
	return res.Decision == iampolicy.Allow || res.Undetermined
}

// policiesOfType are the policies of one type in a set.
func policiesOfType(set iampolicy.PolicySet, t iampolicy.PolicyType) []iampolicy.NamedPolicy {
	switch t {
	case iampolicy.TypeIdentity:
		return set.Identity
	case iampolicy.TypeBoundary:
		if set.Boundary != nil {
			return []iampolicy.NamedPolicy{*set.Boundary}
		}
	case iampolicy.TypeSession:
		return set.Session
	}
	return nil
}

func placeKindOf(t iampolicy.PolicyType) (placeKind, bool) {
	switch t {
	case iampolicy.TypeIdentity:
		return placeIdentity, true
	case iampolicy.TypeBoundary:
		return placeBoundary, true
	case iampolicy.TypeSession:
		return placeSession, true
	}
	return 0, false
}

// gate is a statement that would allow a leg but for a condition the call
// does not meet.
type gate struct {
	policy string
	st     iampolicy.Statement
	index  int
	leg    resourceLeg
}

func (g gate) name() string {
	if g.st.Sid != "" {
		return "statement " + jsonQuote(g.st.Sid) + " of " + g.policy
	}
	return fmt.Sprintf("statement %d of %s", g.index, g.policy)
}

// permissionPlan is a fix to permissions: the policy statements and where
// they go, or the conditions the call does not meet.
type permissionPlan struct {
	places []fixPlace
	stmts  []statement
	gates  []gate
	// depends are statements that would allow a leg under conditions on
	// keys the diagnosis cannot know (a VPC endpoint, a source IP).
	depends []gate
	// extends names the statements the fix extends.
	extends []string
}

// planPermissions plans the fix for legs denied by a principal's own
// policies (set: identity, boundary, session), evaluated as principal:
// for each denied leg, the policy types that deny it are the places; a
// statement there that covers the leg but for its conditions is a gate (no
// policy can be added around it); otherwise the statement that grants the
// action under conditions the call meets is extended, its Condition kept.
// Every fix statement also keeps the conditions of any statement at any of
// the places that covers its leg already.
//
// AWS's text is hard evidence: the policy type it names (denied, on the
// resource it names) denies that leg even where the local evaluation
// depends on keys it cannot know. only, when set, limits the places to
// those types (a set that holds only what is known, such as the app's
// session policy).
func (in *inquiry) planPermissions(set iampolicy.PolicySet, principal iampolicy.Principal, who string, legs []resourceLeg, denied textDeny, only ...iampolicy.PolicyType) permissionPlan {
	var plan permissionPlan
	type legPlan struct {
		leg  resourceLeg
		req  iampolicy.Request
		kept []iampolicy.Condition
	}
	var fixable []legPlan
	boundaryARN := ""
	if set.Boundary != nil {
		boundaryARN = set.Boundary.Name
	}
	for _, leg := range legs {
		req := in.legContext(leg).request(principal, leg.action, leg.resource, "", policiesOf(set)...)
		res := iampolicy.Evaluate(req, set)
		if res.Decision == iampolicy.Allow || res.Decision == iampolicy.ExplicitDeny {
			continue
		}
		lp := legPlan{leg: leg, req: req}
		var blocking []iampolicy.PolicyType
		seen := map[iampolicy.PolicyType]bool{}
		for _, tr := range res.Types {
			seen[tr.Type] = true
			named := tr.Type == denied.typ && leg.resource == denied.resource && leg.action == denied.action
			switch {
			case tr.Decision != iampolicy.Allow && (!tr.Undetermined || named):
				blocking = append(blocking, tr.Type)
			case tr.Undetermined:
				// Whether this type allows depends on keys the diagnosis
				// cannot know: say which statement, and on what.
				for _, np := range policiesOfType(set, tr.Type) {
					for i, st := range np.Policy.Statements {
						if st.Effect == "Allow" && len(st.Condition) > 0 && grantsIgnoringConditions(st, leg.action, leg.resource) {
							plan.depends = append(plan.depends, gate{np.Name, st, i, leg})
						}
					}
				}
			}
		}
		if !seen[iampolicy.TypeIdentity] && len(set.Identity) == 0 && (len(only) == 0 || slices.Contains(only, iampolicy.TypeIdentity)) {
			// No identity policy at all allows nothing.
			blocking = append(blocking, iampolicy.TypeIdentity)
		}
		if len(only) > 0 {
			blocking = slices.DeleteFunc(blocking, func(t iampolicy.PolicyType) bool { return !slices.Contains(only, t) })
		}
		fix := false
		for _, t := range blocking {
			kind, ok := placeKindOf(t)
			if !ok {
				continue
			}
			var extend []iampolicy.Condition
			extendName := ""
			gated := false
			for _, np := range policiesOfType(set, t) {
				for i, st := range np.Policy.Statements {
					if st.Effect != "Allow" {
						continue
					}
					if grantsIgnoringConditions(st, leg.action, leg.resource) {
						// This type denies, so the call does not meet the
						// statement's conditions: the call's path is the
						// problem here, not a missing grant.
						plan.gates = append(plan.gates, gate{np.Name, st, i, leg})
						gated = true
						continue
					}
					if extendName == "" && anyMatch(st.Action, leg.action, iampolicy.MatchAction) != (st.NotAction != nil) && conditionsHold(np.Policy, i, req) {
						extend = st.Condition
						extendName = gate{np.Name, st, i, leg}.name()
					}
				}
			}
			if gated {
				continue
			}
			if extendName != "" && !slices.Contains(plan.extends, extendName) {
				plan.extends = append(plan.extends, extendName)
			}
			lp.kept = mergeConditions(lp.kept, extend)
			plan.places = addPlace(plan.places, fixPlace{kind: kind, principal: who, policy: boundaryARN})
			fix = true
		}
		if fix {
			fixable = append(fixable, lp)
		}
	}
	// The fix policy goes into every place: a statement there that covers
	// a leg under conditions (met or not) keeps them in the fix, so that it
	// never grants around them.
	for i := range fixable {
		lp := &fixable[i]
		for _, p := range plan.places {
			t := map[placeKind]iampolicy.PolicyType{placeIdentity: iampolicy.TypeIdentity, placeBoundary: iampolicy.TypeBoundary, placeSession: iampolicy.TypeSession}[p.kind]
			for _, np := range policiesOfType(set, t) {
				for _, st := range np.Policy.Statements {
					if st.Effect == "Allow" && len(st.Condition) > 0 && grantsIgnoringConditions(st, lp.leg.action, lp.leg.resource) {
						lp.kept = mergeConditions(lp.kept, st.Condition)
					}
				}
			}
		}
	}
	slices.SortStableFunc(plan.places, func(a, b fixPlace) int { return int(a.kind) - int(b.kind) })
	legsOf := make([]resourceLeg, len(fixable))
	keptOf := map[string][]iampolicy.Condition{}
	for i, lp := range fixable {
		legsOf[i] = lp.leg
		keptOf[lp.leg.action+" "+lp.leg.resource] = lp.kept
	}
	if len(legsOf) > 0 {
		plan.stmts = legStatementsKept(legsOf, keptOf)
	}
	return plan
}

// textDeny is the request AWS's text says a policy type denied.
type textDeny struct {
	typ              iampolicy.PolicyType
	action, resource string
}

// textDenial reads the denial from the error's text, when it names a
// policy type of the principal's own.
func (in *inquiry) textDenial(r *Report) textDeny {
	var t iampolicy.PolicyType
	switch in.msg.PolicyType {
	case PolicyIdentity:
		t = iampolicy.TypeIdentity
	case PolicyPermissionBoundary:
		t = iampolicy.TypeBoundary
	case PolicySession:
		t = iampolicy.TypeSession
	default:
		return textDeny{}
	}
	return textDeny{t, in.msg.Action, in.msg.Resource}
}

// mergeConditions adds conditions not yet in a list (the same operator on
// the same key with the same values).
func mergeConditions(list, more []iampolicy.Condition) []iampolicy.Condition {
	for _, c := range more {
		dup := false
		for _, k := range list {
			if k.Operator == c.Operator && strings.EqualFold(k.Key, c.Key) && slices.Equal(k.Values, c.Values) {
				dup = true
			}
		}
		if !dup {
			list = append(list, c)
		}
	}
	return list
}

// legStatementsKept writes the grants a call needs the way AWS's inference
// profile guide does (the profile, then its foundation models only through
// that profile, bedrock:InferenceProfileArn), with, per leg, the conditions
// of the statements the fix extends; legs with the same action, profile and
// kept conditions share a statement.
func legStatementsKept(legs []resourceLeg, kept map[string][]iampolicy.Condition) []statement {
	type key struct{ action, profile, conds string }
	var order []key
	grouped := map[key][]string{}
	conds := map[key][]iampolicy.Condition{}
	for _, l := range legs {
		kc := kept[l.action+" "+l.resource]
		ck := ""
		for _, c := range kc {
			ck += c.Operator + " " + c.Key + " " + strings.Join(c.Values, ",") + ";"
		}
		k := key{l.action, l.context["bedrock:InferenceProfileArn"], ck}
		if _, ok := grouped[k]; !ok {
			order = append(order, k)
			conds[k] = kc
		}
		if !slices.Contains(grouped[k], l.resource) {
			grouped[k] = append(grouped[k], l.resource)
		}
	}
	stmts := make([]statement, 0, len(order))
	for _, k := range order {
		st := statement{Effect: "Allow", Action: []string{k.action}, Resource: grouped[k], Kept: conds[k]}
		if k.profile != "" && !keepsKey(conds[k], "bedrock:InferenceProfileArn") {
			st.Condition = map[string]map[string]string{"StringEquals": {"bedrock:InferenceProfileArn": k.profile}}
		}
		stmts = append(stmts, st)
	}
	return stmts
}

func keepsKey(cs []iampolicy.Condition, key string) bool {
	return slices.ContainsFunc(cs, func(c iampolicy.Condition) bool { return strings.EqualFold(c.Key, key) })
}

// fixLegs are the legs a permissions fix must cover: the expansion, the
// denied resource, and, when the profile's destinations could not be read,
// its foundation model in every region through the profile, as AWS
// documents for inference profiles ("arn:aws:bedrock:*::foundation-model/ID"
// conditioned on bedrock:InferenceProfileArn,
// https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-prereq.html),
// with the region-less foundation-model ARN of a global profile spelled out.
func (in *inquiry) fixLegs(r *Report) []resourceLeg {
	legs := in.withDeniedResource(in.expansion(), r)
	in.mu.Lock()
	known := len(in.ev.destinations) > 0
	in.mu.Unlock()
	if known || in.model.Kind != bedrockid.KindInferenceProfile || in.model.BaseModelID == "" || len(legs) == 0 {
		return legs
	}
	profile := legs[0].resource
	var out []resourceLeg
	for _, l := range legs {
		if l.context["bedrock:InferenceProfileArn"] == "" {
			out = append(out, l)
		}
	}
	every := bedrockid.FoundationModelARN(in.partition, "*", in.model.BaseModelID)
	out = append(out, resourceLeg{in.action, every, map[string]string{"aws:RequestedRegion": in.region, "bedrock:InferenceProfileArn": profile}})
	if in.model.GeoPrefix == "global" {
		out = append(out, resourceLeg{in.action, bedrockid.FoundationModelARN(in.partition, "", in.model.BaseModelID),
			map[string]string{"aws:RequestedRegion": "unspecified", "bedrock:InferenceProfileArn": profile}})
	}
	return out
}

// gateAdvice says what a gate's condition asks of the call, and what to do.
func (in *inquiry) gateAdvice(g gate, role string) string {
	var parts []string
	for _, c := range g.st.Condition {
		key := strings.ToLower(c.Key)
		vals := strings.Join(c.Values, ", ")
		switch {
		case strings.HasPrefix(key, "aws:principaltag/") && len(c.Values) == 1 && strings.HasPrefix(c.Operator, "StringEquals") && role != "":
			parts = append(parts, "it requires the principal tag "+c.Key[len("aws:PrincipalTag/"):]+"="+c.Values[0]+": tag role "+role+" with "+c.Key[len("aws:PrincipalTag/"):]+"="+c.Values[0]+" (iam:TagRole) if it is meant to have it")
		case key == "aws:sourcevpce":
			parts = append(parts, "it requires the request to come through VPC endpoint "+vals+" (aws:SourceVpce): send the app's Bedrock Runtime calls through that endpoint")
		case key == "aws:requestedregion":
			parts = append(parts, "it allows only the regions "+vals+" (aws:RequestedRegion), and the call needs "+orElse(g.leg.context["aws:RequestedRegion"], in.region)+" for "+g.leg.resource+
				": call a model or inference profile whose regions it allows, or have the policy's owner add that region to the statement if it is acceptable")
		case key == "bedrock:inferenceprofilearn":
			parts = append(parts, "it allows "+g.leg.resource+" only through the inference profiles "+vals+" (bedrock:InferenceProfileArn): call the model through one of those (bedrock:ListInferenceProfiles lists the profiles of a model)")
		default:
			parts = append(parts, "it requires "+c.Operator+" "+c.Key+" "+vals+", which the call does not meet")
		}
	}
	return g.name() + " allows " + g.leg.action + " on " + g.leg.resource + " only under its Condition: " + strings.Join(parts, "; ")
}

// gatesFix words a plan's gates: the call's path is the problem, and no
// statement is added around a condition there.
func (in *inquiry) gatesFix(gates []gate, role string) string {
	var seen []string
	var lines []string
	for _, g := range gates {
		if slices.Contains(seen, g.name()) {
			continue
		}
		seen = append(seen, g.name())
		lines = append(lines, in.gateAdvice(g, role))
	}
	return strings.Join(lines, "; ") + " (meet the condition rather than grant around it: a statement without it would remove the restriction)"
}

// writeRolePermissionsFix writes the fix for role-permissions (other than an
// explicit deny): where it goes and what it allows, and which conditions the
// call does not meet.
func (in *inquiry) writeRolePermissionsFix(r *Report, who, acct string) {
	r.FixPolicy, r.FixPlace = "", ""
	legs := in.fixLegs(r)
	o := in.assumeOptions()
	in.mu.Lock()
	set, principal, kind := in.ev.roleSet, in.ev.rolePrincipal, in.ev.rolePolicyKind
	in.mu.Unlock()
	if set != nil {
		in.writePlannedFix(r, in.planPermissions(*set, principal, who, legs, in.textDenial(r)), acct)
		return
	}
	// The role's policies could not be read. The places are what AWS's
	// text names and what the checks found; the session policy is the
	// app's own, known without reading.
	var places []fixPlace
	switch in.msg.PolicyType {
	case PolicyIdentity:
		places = append(places, fixPlace{kind: placeIdentity, principal: who})
	case PolicyPermissionBoundary:
		places = append(places, fixPlace{kind: placeBoundary, principal: who})
	}
	switch kind {
	case policyBoundary:
		places = addPlace(places, fixPlace{kind: placeBoundary, principal: who})
	case policySessionGap:
		places = addPlace(places, fixPlace{kind: placeSession, principal: who})
	}
	if in.msg.PolicyType == PolicySession {
		places = addPlace(places, fixPlace{kind: placeSession, principal: who})
	}
	if len(places) == 0 {
		places = append(places, fixPlace{kind: placeIdentity, principal: who})
	}
	if len(places) == 1 && places[0].kind == placeSession && o.Policy != nil {
		if session, err := iampolicy.Parse(*o.Policy); err == nil {
			only := &iampolicy.PolicySet{Session: []iampolicy.NamedPolicy{{Name: "session policy", Type: iampolicy.TypeSession, Policy: session}}}
			in.writePlannedFix(r, in.planPermissions(*only, in.rolePrincipal(in.t.RoleARN, nil), who, legs, in.textDenial(r), iampolicy.TypeSession), acct)
			return
		}
	}
	slices.SortStableFunc(places, func(a, b fixPlace) int { return int(a.kind) - int(b.kind) })
	stmts := legStatementsKept(legs, nil)
	r.FixPolicy = policyJSON(stmts...)
	r.FixPlace = placesText(places)
	r.Fix = "in account " + acct + ", add the fix policy to " + r.FixPlace + ": it allows " + stmtGrants(stmts)
	if places[0].kind != placeSession {
		r.Fix += unreadCaveat("the policies of "+who, in.action+" on these ARNs")
	}
	if slices.ContainsFunc(places, func(p fixPlace) bool { return p.kind == placeBoundary }) {
		r.Fix += "; a permissions boundary limits the role even where its policies allow, so its identity policy must allow these ARNs too"
	}
	if slices.ContainsFunc(places, func(p fixPlace) bool { return p.kind == placeSession }) {
		r.Fix += "; or pass no session policy (stscreds AssumeRoleOptions.Policy): a session can do only what both the role and the session policy allow"
	}
}

// writePlannedFix words a plan: the conditions the call does not meet, the
// fix policy and where it goes, and what depends on keys the diagnosis
// cannot know.
func (in *inquiry) writePlannedFix(r *Report, plan permissionPlan, acct string) {
	var parts []string
	if len(plan.gates) > 0 {
		parts = append(parts, in.gatesFix(plan.gates, in.t.RoleARN))
	}
	if len(plan.stmts) > 0 {
		r.FixPolicy = policyJSON(plan.stmts...)
		r.FixPlace = placesText(plan.places)
		fix := "add the fix policy to " + r.FixPlace + ": it allows " + stmtGrants(plan.stmts)
		if len(plan.extends) > 0 {
			fix += ", extending " + strings.Join(plan.extends, " and ") + " to these ARNs with its Condition kept"
		}
		if slices.ContainsFunc(plan.places, func(p fixPlace) bool { return p.kind == placeBoundary }) {
			fix += " (a permissions boundary limits the role even where its policies allow)"
		}
		if slices.ContainsFunc(plan.places, func(p fixPlace) bool { return p.kind == placeSession }) {
			fix += " (stscreds AssumeRoleOptions.Policy; or pass no session policy: a session can do only what both the role and the session policy allow)"
		}
		if len(parts) > 0 {
			fix = "and " + fix
		}
		parts = append(parts, fix)
	}
	for _, g := range plan.depends {
		note := g.name() + " allows " + g.leg.action + " on " + g.leg.resource + " only under its Condition, which depends on what the diagnosis cannot see (" + conditionKeys(g.st) + "): the call must meet it too"
		if !slices.Contains(parts, note) {
			parts = append(parts, note)
		}
	}
	if len(parts) == 0 {
		// The policies as read allow every leg: what denies is not among
		// them (a session policy passed by ARN, an SCP the reading does
		// not see).
		r.Fix = "in account " + acct + ", the policies read allow " + in.action + " on every ARN of the call; what denies is not among them (a session policy passed by ARN, an organization policy): see the checks"
		return
	}
	r.Fix = "in account " + acct + ", " + strings.Join(parts, "; ")
}

// conditionKeys lists a statement's condition keys.
func conditionKeys(st iampolicy.Statement) string {
	var keys []string
	for _, c := range st.Condition {
		if !slices.Contains(keys, c.Key) {
			keys = append(keys, c.Key)
		}
	}
	return strings.Join(keys, ", ")
}

// stmtResources lists the resources of statements, once each.
// stmtGrants words what a fix policy grants, action by action, so the Fix
// text names every action its policy holds (a prompt's RenderPrompt, an
// async output's s3:PutObject, a guardrail's ApplyGuardrail, ...):
// "A on R1, R2; B on R3".
func stmtGrants(stmts []statement) string {
	var order []string
	on := map[string][]string{}
	for _, st := range stmts {
		for _, a := range st.Action {
			if _, ok := on[a]; !ok {
				order = append(order, a)
			}
			for _, res := range st.Resource {
				if !slices.Contains(on[a], res) {
					on[a] = append(on[a], res)
				}
			}
		}
	}
	parts := make([]string, 0, len(order))
	for _, a := range order {
		parts = append(parts, a+" on "+strings.Join(on[a], ", "))
	}
	return strings.Join(parts, "; ")
}

// writeSourceFix writes the fix for source-policy: the source principal's
// own identity policy (or its boundary, when AWS's text names it) must allow
// the AssumeRole. The diagnosis cannot read those policies, so the fix says
// what to do when a statement already allows it under a condition; when the
// simulator found the allow depends on condition keys, that is the finding.
func (in *inquiry) writeSourceFix(r *Report, src string) {
	r.FixPolicy, r.FixPlace = "", ""
	in.mu.Lock()
	missing, explicit := in.ev.sourceMissing, in.ev.sourceExplicit
	in.mu.Unlock()
	actions := strings.Join(in.assumeActions(), ", ")
	principal := fixPrincipal(src)
	acct := in.ev.source.account
	if explicit || in.msg.Explicit && in.msg.AssumeRole {
		r.Fix = "in account " + acct + ", remove or narrow the Deny statement of " + principal + "'s policies that matches " + actions + " on " + in.t.RoleARN
		if in.msg.PolicyARN != "" {
			r.Fix += " (AWS names " + in.msg.PolicyARN + ")"
		}
		r.Fix += "; an explicit deny cannot be overridden by any allow"
		return
	}
	if len(missing) > 0 {
		r.Fix = "in account " + acct + ", a statement of " + principal + "'s policies allows " + actions + " on " + in.t.RoleARN + " only under a Condition on " + strings.Join(missing, ", ") +
			" (the IAM simulator needed those keys), and the app's AssumeRole does not meet it (STS is called in " + orElse(in.cfg.Region, in.region) + "): meet the condition rather than adding a statement without it, which would remove the restriction"
		return
	}
	place := fixPlace{kind: placeIdentity, principal: principal}
	whose := principal + "'s policies"
	if in.msg.PolicyType == PolicyPermissionBoundary {
		place.kind, whose = placeBoundary, "the permissions boundary of "+principal
	}
	r.FixPolicy = policyJSON(statement{Effect: "Allow", Action: in.assumeActions(), Resource: []string{in.t.RoleARN}})
	r.FixPlace = place.String()
	r.Fix = "add the fix policy to " + r.FixPlace + ": it allows " + actions + " on " + in.t.RoleARN + unreadCaveat(whose, actions+" on the role")
}

// writeTrustFix writes the fix for trust-policy when the principal is not
// trusted: a statement trusting exactly the source principal, with the
// external id the app passes.
func (in *inquiry) writeTrustFix(r *Report, src, acct string) {
	r.FixPolicy, r.FixPlace = "", ""
	role := in.t.RoleARN
	detail := firstFailing(r.Checks, LayerTrustPolicy)
	if strings.Contains(detail, "does not exist") || strings.Contains(detail, "a path differs") {
		r.Fix = "in account " + acct + ", no role answers to " + role + ": pass the role's exact ARN (with its path), or create the role; a trust policy cannot fix a wrong ARN"
		return
	}
	principal := fixPrincipal(src)
	stmt := statement{Effect: "Allow", Principal: principal, Action: in.assumeActions()}
	if o := in.assumeOptions(); o.ExternalID != nil {
		stmt.Condition = map[string]map[string]string{"StringEquals": {"sts:ExternalId": *o.ExternalID}}
	}
	place := fixPlace{kind: placeTrust, principal: role}
	r.FixPolicy = policyJSON(stmt)
	r.FixPlace = place.String()
	r.Fix = "add the fix policy to " + r.FixPlace + ": it trusts " + principal + " for " + strings.Join(in.assumeActions(), ", ")
	if checkStatus(r.Checks, "trust-policy.evaluate") != StatusFail {
		r.Fix += unreadCaveat("the trust policy", "this principal")
	}
}

// writeModelAccessFix writes the fix for model-access by what the evidence
// says is missing: the Anthropic use-case form, a Marketplace subscription
// the invoking principal may not complete, or the model's enablement.
func (in *inquiry) writeModelAccessFix(r *Report, acct string) {
	r.FixPolicy, r.FixPlace = "", ""
	in.mu.Lock()
	problem := in.ev.accessProblem
	set, principal := in.ev.roleSet, in.ev.rolePrincipal
	in.mu.Unlock()
	switch in.msg.Kind {
	case KindUseCaseForm:
		problem = accessUseCase
	case KindMarketplace:
		problem = accessMarketplace
	case KindModelAccessDenied, KindAccountNotAuthorized, KindModelNotAvailable:
		if problem == "" {
			problem = accessEnable
		}
	}
	switch problem {
	case accessUseCase:
		r.Fix = "in account " + acct + ", submit the Anthropic use-case form (Bedrock console, Model access; or PutUseCaseForModelAccess), once per account or in the organization's management account; AWS says to retry up to 15 minutes later"
		return
	case accessMarketplace:
	default:
		r.Fix = "in account " + acct + ", enable the model in " + in.region + " (Bedrock console, Model access, or CreateFoundationModelAgreement for its offer); access is per account and region. If the model is not available to the account there, call a region where it is"
		return
	}
	who := orElse(in.t.RoleARN, in.ev.source.arn)
	if p, ok := sourcePolicyARN(who); ok {
		who = p
	}
	words := strings.Join(marketplaceActions, " and ")
	legs := []resourceLeg{{marketplaceActions[0], "*", map[string]string{"aws:RequestedRegion": in.region}}, {marketplaceActions[1], "*", map[string]string{"aws:RequestedRegion": in.region}}}
	tail := " (only the first use of a Marketplace model in the account needs them); AWS retries the subscription on the next call, a few minutes after the fix"
	if set != nil {
		plan := in.planPermissions(*set, principal, who, legs, textDeny{})
		switch {
		case len(plan.gates) > 0:
			r.Fix = "in account " + acct + ", " + in.gatesFix(plan.gates, in.t.RoleARN)
			return
		case len(plan.stmts) > 0:
			r.FixPolicy = policyJSON(statement{Effect: "Allow", Action: marketplaceActions, Resource: []string{"*"}, Kept: plan.stmts[0].Kept})
			r.FixPlace = placesText(plan.places)
			r.Fix = "in account " + acct + ", add the fix policy to " + r.FixPlace + ": it allows " + words + tail
			return
		}
	}
	place := fixPlace{kind: placeIdentity, principal: who}
	r.FixPolicy = policyJSON(statement{Effect: "Allow", Action: marketplaceActions, Resource: []string{"*"}})
	r.FixPlace = place.String()
	r.Fix = "in account " + acct + ", add the fix policy to " + r.FixPlace + ": it allows " + words + tail +
		unreadCaveat("the policies of "+who, words) + "; a permissions boundary of the role, or a session policy the app passes, must allow them too"
}

// What the model-access evidence says is missing (evidence.accessProblem).
const (
	accessMarketplace = "marketplace" // a subscription the invoking principal may not complete
	accessUseCase     = "use-case"    // the Anthropic use-case form
	accessEnable      = "enable"      // an agreement, an entitlement, the model's availability
)

// regionFix is the fix for a model or profile not offered where the client
// calls it: another region, or a profile the catalog has for this one.
func (in *inquiry) regionFix() string {
	fix := "call a region where the model is offered, or an inference profile that serves " + in.region
	in.mu.Lock()
	ids := in.ev.profileSuggestions
	in.mu.Unlock()
	if len(ids) > 0 {
		return fix + " (the catalog has " + strings.Join(ids, ", ") + " there)"
	}
	return fix + " (bedrock:ListInferenceProfiles in " + in.region + " lists the profiles offered there; a geographic profile serves only the regions of its geography)"
}

// modelIDFix is the fix for an identifier that is wrong for the call: for a
// model without on-demand throughput, the inference profiles the catalog
// has for it; else how to find a valid id. It never makes up a profile id.
func (in *inquiry) modelIDFix() string {
	in.mu.Lock()
	ids := in.ev.profileSuggestions
	in.mu.Unlock()
	switch {
	case len(ids) > 0:
		return "call the model through an inference profile: pass " + strings.Join(ids, " or ") + " (the catalog's profiles of " + in.model.BaseModelID + " in " + in.region + ") instead of " + in.t.ModelID +
			"; the role must then allow the profile ARN and the foundation model in every destination region"
	case in.msg.Kind == KindOnDemandUnsupported || checkStatus(in.checksSnapshot(), "model.resolve") == StatusFail && strings.Contains(firstFailing(in.checksSnapshot(), LayerModelID), "on demand"):
		return "call the model through an inference profile: pass the id of one that contains " + in.model.BaseModelID + " (bedrock:ListInferenceProfiles in " + in.region +
			", or aws bedrock list-inference-profiles, lists them; the diagnosis could not read the catalog) instead of " + in.t.ModelID
	}
	return "pass a valid, active model id (bedrock:ListFoundationModels and bedrock:ListInferenceProfiles in " + in.region + " list the ids offered there); models without on-demand throughput need an inference profile id"
}

// checksSnapshot is a copy of the checks run so far.
func (in *inquiry) checksSnapshot() []Check {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]Check(nil), in.checks...)
}

// afterDenyFix adds, to the fix of an explicit deny, what the role's other
// policies would still deny once the Deny is gone (a boundary without the
// action, say): with the policies read, the whole fix, not its first step.
func (in *inquiry) afterDenyFix(r *Report, who string) {
	in.mu.Lock()
	set, principal := in.ev.roleSet, in.ev.rolePrincipal
	in.mu.Unlock()
	if set == nil {
		return
	}
	plan := in.planPermissions(withoutDenies(*set), principal, who, in.fixLegs(r), textDeny{})
	plan.depends = nil
	if len(plan.gates) == 0 && len(plan.stmts) == 0 {
		return
	}
	var sub Report
	in.writePlannedFix(&sub, plan, "")
	r.FixPolicy, r.FixPlace = sub.FixPolicy, sub.FixPlace
	r.Fix += "; then, " + strings.TrimPrefix(sub.Fix, "in account , ")
}

// withoutDenies is a policy set with every Deny statement of the
// principal's own policies removed.
func withoutDenies(set iampolicy.PolicySet) iampolicy.PolicySet {
	strip := func(nps []iampolicy.NamedPolicy) []iampolicy.NamedPolicy {
		out := make([]iampolicy.NamedPolicy, 0, len(nps))
		for _, np := range nps {
			var doc struct {
				Version   string
				Statement []map[string]any
			}
			if json.Unmarshal([]byte(np.Policy.String()), &doc) != nil {
				out = append(out, np)
				continue
			}
			doc.Statement = slices.DeleteFunc(doc.Statement, func(st map[string]any) bool { return st["Effect"] == "Deny" })
			raw, _ := json.Marshal(doc)
			if p, err := iampolicy.Parse(string(raw)); err == nil && len(doc.Statement) > 0 {
				np.Policy = p
			} else if len(doc.Statement) == 0 {
				continue
			}
			out = append(out, np)
		}
		return out
	}
	out := set
	out.Identity = strip(set.Identity)
	out.Session = strip(set.Session)
	if set.Boundary != nil {
		if b := strip([]iampolicy.NamedPolicy{*set.Boundary}); len(b) == 1 {
			out.Boundary = &b[0]
		} else {
			// A boundary of Deny statements only allows nothing.
			empty := iampolicy.MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotAction":"*","Resource":"*"}]}`)
			out.Boundary = &iampolicy.NamedPolicy{Name: set.Boundary.Name, Type: iampolicy.TypeBoundary, Policy: empty}
		}
	}
	return out
}
