package iampolicy

import (
	"slices"
	"sort"
	"strconv"
	"strings"
)

// view is one way of settling statements whose applicability depends on
// unknown keys (only an open request has any).
type view uint8

const (
	// viewClosed takes unknown keys as absent, as AWS itself would for a
	// request without them: the Decision and the explanation.
	viewClosed view = iota
	// viewPermissive applies every undecided Allow and no undecided Deny.
	viewPermissive
	// viewRestrictive applies every undecided Deny and no undecided Allow.
	viewRestrictive
	nViews
)

// agg is what the statements of one type add up to in one view.
type agg struct {
	allow bool // an Allow applied (for levels: every level had one)
	deny  bool // a Deny applied
	grant grant
}

func (a *agg) merge(b agg) {
	a.allow = a.allow || b.allow
	a.deny = a.deny || b.deny
	if b.grant > a.grant {
		a.grant = b.grant
	}
}

func (a agg) decision() Decision {
	switch {
	case a.deny:
		return ExplicitDeny
	case a.allow:
		return Allow
	}
	return ImplicitDeny
}

// verdict is one policy type's evaluation.
type verdict struct {
	tr      TypeResult
	present bool
	a       [nViews]agg
	// keys are the unknown keys of the statements whose applicability they
	// left undecided.
	keys []string
}

// ok reports whether the type does not stop the request on its own in view
// k. An absent type never does.
func (v *verdict) ok(k view) bool { return !v.present || v.a[k].decision() == Allow }

// The positions of the policy types in Result.Types and Result.Blocked.
const (
	iSCP = iota
	iRCP
	iEndpoint
	iResource
	iIdentity
	iBoundary
	iSession
	nTypes
)

// shape is what about the request decides which types must allow.
type shape struct {
	cross bool // caller and resource in different accounts
	// explicit: the resource-based policy must itself allow (a role trust
	// policy, a KMS key policy).
	explicit bool
	root     bool
}

// outcome is the decision of one view.
type outcome struct {
	types    [nTypes]Decision
	decision Decision
	blocked  []PolicyType
}

// decide combines the types' verdicts in view k as AWS's evaluation logic
// does (reference_policies_evaluation-logic.html).
func decide(all *[nTypes]*verdict, k view, sh shape) outcome {
	var o outcome
	for i, v := range all {
		o.types[i] = v.a[k].decision()
	}
	// need[i] marks types whose implicit deny stops the request.
	var need [nTypes]bool
	need[iSCP] = !all[iSCP].ok(k)
	need[iRCP] = !all[iRCP].ok(k)
	need[iEndpoint] = !all[iEndpoint].ok(k)
	// The root user is allowed everything in its own account, and
	// boundaries and session policies cannot be attached to it; SCPs and
	// explicit denies still apply to it.
	idOK := o.types[iIdentity] == Allow || sh.root
	callerSide := func() {
		need[iIdentity] = !idOK
		need[iBoundary] = !all[iBoundary].ok(k)
		need[iSession] = !all[iSession].ok(k)
	}
	res := all[iResource]
	resAllows := res.present && o.types[iResource] == Allow
	switch {
	case sh.cross:
		// Both accounts must allow: the resource policy in the resource's
		// account and the caller's own policies
		// (reference_policies_evaluation-logic-cross-account.html).
		need[iResource] = !resAllows
		callerSide()
	case sh.explicit && !resAllows:
		// A role trust policy must explicitly allow; an identity-policy
		// allow alone never lets anyone assume a role. The same holds for
		// a KMS key policy: "Without permission from the key policy, IAM
		// policies that allow permissions have no effect"
		// (https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html).
		need[iResource] = true
	case resAllows:
		switch res.a[k].grant {
		case grantDirect:
		case grantRole:
			need[iBoundary] = !all[iBoundary].ok(k)
			need[iSession] = !all[iSession].ok(k)
		default:
			// The account is named: it delegates to its identity
			// policies (for a KMS key, the key policy statement that
			// "enables IAM policies").
			callerSide()
		}
	default:
		callerSide()
	}
	o.decision = Allow
	for i, v := range all {
		if v.present && o.types[i] == ExplicitDeny {
			o.decision = ExplicitDeny
		}
	}
	for i, v := range all {
		if (v.present && o.types[i] == ExplicitDeny) || need[i] {
			o.blocked = append(o.blocked, v.tr.Type)
			if o.decision == Allow {
				o.decision = ImplicitDeny
			}
		}
	}
	return o
}

// Evaluate decides req against set as AWS documents it
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html)
// and explains the decision. It evaluates every policy, so the result lists
// every type that denies, not only the first. The package documentation
// gives the order and the rules.
//
// For an open request (Request.Open) it also says whether the decision
// depends on condition keys it does not know: it settles the statements
// those keys leave undecided the most permissive way and the most
// restrictive way, and the request is undetermined if the two disagree on
// whether it is allowed.
func Evaluate(req Request, set PolicySet) Result {
	e := newEnv(&req)
	e.hasBoundary = set.Boundary != nil
	trust := isTrustAction(req.Action, req.Resource)
	for i := range set.Resource {
		if set.Resource[i].Type == TypeTrust {
			trust = true
		}
	}
	resType := TypeResource
	if trust {
		resType = TypeTrust
	}
	sh := shape{
		// A service principal belongs to no account, so it is never a
		// caller from another account
		// (reference_policies_elements_principal.html#principal-services).
		cross:    req.ResourceAccount != "" && req.ResourceAccount != req.Principal.Account && !e.isServicePrincipal,
		explicit: trust || isKMSKeyRequest(req.Action, req.Resource),
		root:     e.isRoot,
	}

	scp := e.levels(set.SCPs, TypeSCP, false)
	// RCPFullAWSAccess is attached to every level of an organization with
	// RCPs enabled and cannot be detached, so RCPs only ever deny explicitly
	// (orgs_manage_policies_rcps_evaluation.html); levels given here without
	// it are evaluated as AWS would, with it.
	rcp := e.levels(set.RCPs, TypeRCP, true)
	ep := e.one(set.Endpoint, TypeVPCEndpoint)
	res := e.group(set.Resource, resType)
	id := e.group(set.Identity, TypeIdentity)
	id.present = true
	bnd := e.one(set.Boundary, TypeBoundary)
	var ses verdict
	if len(set.Session) > 0 {
		ses = e.group(set.Session, TypeSession)
	}
	all := [nTypes]*verdict{&scp, &rcp, &ep, &res, &id, &bnd, &ses}

	closed := decide(&all, viewClosed, sh)
	r := Result{Decision: closed.decision, Blocked: closed.blocked, Types: make([]TypeResult, 0, len(all))}
	var perm, rest outcome
	undecided := false
	for _, v := range all {
		undecided = undecided || v.a[viewPermissive] != v.a[viewRestrictive]
	}
	if undecided {
		perm, rest = decide(&all, viewPermissive, sh), decide(&all, viewRestrictive, sh)
	}
	for i, v := range all {
		if !v.present {
			continue
		}
		v.tr.Decision = closed.types[i]
		v.tr.Undetermined = undecided && (perm.types[i] == Allow) != (rest.types[i] == Allow)
		r.Types = append(r.Types, v.tr)
	}
	if undecided && (perm.decision == Allow) != (rest.decision == Allow) {
		r.Undetermined = true
		r.DependsOn = dependsOn(&all)
	}
	r.Missing = e.missing
	if strings.EqualFold(req.Action, "sts:GetCallerIdentity") {
		// "No permissions are required to perform this operation": even an
		// explicit deny does not block it (STS API reference,
		// API_GetCallerIdentity.html). The per-type verdicts stay, as the
		// explanation of what the policies say.
		r.Decision, r.Blocked = Allow, nil
		r.Undetermined, r.DependsOn = false, nil
	}
	return r
}

// dependsOn lists the unknown keys of the types whose undecided statements
// change what the type adds up to, sorted, one spelling per key.
func dependsOn(all *[nTypes]*verdict) []string {
	var keys []string
	for _, v := range all {
		if v.a[viewPermissive] == v.a[viewRestrictive] {
			continue
		}
	next:
		for _, k := range v.keys {
			for _, have := range keys {
				if strings.EqualFold(have, k) {
					continue next
				}
			}
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// group evaluates the policies of one type.
func (e *env) group(pols []NamedPolicy, typ PolicyType) verdict {
	v := verdict{tr: TypeResult{Type: typ}, present: len(pols) > 0}
	for i := range pols {
		a := e.policy(&pols[i], &v)
		for k := range a {
			v.a[k].merge(a[k])
		}
	}
	return v
}

// one evaluates a single optional policy (boundary, endpoint).
func (e *env) one(np *NamedPolicy, typ PolicyType) verdict {
	v := verdict{tr: TypeResult{Type: typ}, present: np != nil}
	if np != nil {
		v.a = e.policy(np, &v)
	}
	return v
}

// levels evaluates SCPs or RCPs: every level must allow
// (orgs_manage_policies_scps_evaluation.html).
func (e *env) levels(lv [][]NamedPolicy, typ PolicyType, implicitAllow bool) verdict {
	v := verdict{tr: TypeResult{Type: typ}, present: lv != nil}
	for k := range v.a {
		v.a[k].allow = true
	}
	for _, level := range lv {
		var la [nViews]agg
		for i := range level {
			a := e.policy(&level[i], &v)
			for k := range a {
				la[k].merge(a[k])
			}
		}
		for k := range v.a {
			v.a[k].deny = v.a[k].deny || la[k].deny
			v.a[k].allow = v.a[k].allow && (la[k].allow || implicitAllow)
		}
	}
	return v
}

// policy applies one policy's statements, recording the statements that
// applied (closed view) and the unknown keys of undecided ones in v, and
// returns what they add up to in each view.
func (e *env) policy(np *NamedPolicy, v *verdict) [nViews]agg {
	var a [nViews]agg
	if np.Policy == nil {
		return a
	}
	typ := v.tr.Type
	for i := range np.Policy.Statements {
		s := &np.Policy.Statements[i]
		ok, unknown, g := s.applies(e, typ)
		if ok {
			v.tr.Matched = append(v.tr.Matched, StatementRef{
				Policy: np.Name, Type: typ, Index: i, Sid: s.Sid, Effect: s.Effect,
			})
		}
		deny := s.Effect == "Deny"
		for k := range a {
			applied := ok
			if unknown && view(k) != viewClosed {
				// An undecided Allow applies in the permissive view, an
				// undecided Deny in the restrictive one.
				applied = deny == (view(k) == viewRestrictive)
			}
			if !applied {
				continue
			}
			if deny {
				a[k].deny = true
				continue
			}
			a[k].allow = true
			if g > a[k].grant {
				a[k].grant = g
			}
		}
		if unknown {
			for _, key := range e.touched {
				if !slices.Contains(v.keys, key) {
					v.keys = append(v.keys, key)
				}
			}
		}
	}
	return a
}

// namesPrincipals reports whether statements of the type carry a Principal
// or NotPrincipal element: resource-based policies (a trust policy, a key
// policy), VPC endpoint policies and RCPs.
func namesPrincipals(typ PolicyType) bool {
	switch typ {
	case TypeResource, TypeTrust, TypeVPCEndpoint, TypeRCP:
		return true
	}
	return false
}

// applies reports whether the statement applies to the request (ok, with
// unknown keys taken as absent), whether that depends on unknown keys
// (unknown; the keys are then in e.touched), and, for policies with a
// Principal element, how it names the caller.
//
// Unknown is three-valued logic: the statement's elements AND together, so
// one that is known not to match makes the statement known not to apply
// whatever the others depend on.
func (s *Statement) applies(e *env, typ PolicyType) (ok, unknown bool, g grant) {
	req := e.req
	e.touched = e.touched[:0]
	m := false
	for i := range s.actions {
		if s.actions[i].match(req.Action, true, nil) {
			m = true
			break
		}
	}
	if m == (s.NotAction != nil) {
		return false, false, grantNone
	}
	// resOK is the closed outcome of the resource element; resUnknown
	// whether it depends on unknown policy variables.
	resOK, resUnknown := true, false
	switch {
	case s.Resource != nil:
		resOK = false
		for i := range s.resources {
			mark := e.touches
			hit := s.resources[i].match(req.Resource, e)
			if e.touches > mark {
				resUnknown = true
				resOK = resOK || hit
				continue
			}
			if hit {
				// A known match settles the element.
				resOK, resUnknown = true, false
				e.touched = e.touched[:0]
				break
			}
		}
		if !resOK && !resUnknown {
			return false, false, grantNone
		}
	case s.NotResource != nil:
		// An entry whose policy variable has no value matches no resource
		// (reference_policies_variables.html, "Policy variables with no
		// value"), so it excludes nothing from a NotResource.
		for i := range s.resources {
			mark := e.touches
			hit := s.resources[i].match(req.Resource, e)
			if e.touches > mark {
				resUnknown = true
				resOK = resOK && !hit
				continue
			}
			if hit {
				return false, false, grantNone
			}
		}
	}
	g = grantRole
	if namesPrincipals(typ) {
		switch {
		case s.Principal != nil:
			if g = s.Principal.match(e); g == grantNone {
				return false, false, grantNone
			}
		case s.NotPrincipal != nil:
			if s.NotPrincipal.covers(e) {
				return false, false, grantNone
			}
		case typ == TypeResource || typ == TypeTrust:
			// "You must use the Principal element in resource-based
			// policies" (reference_policies_elements_principal.html): AWS
			// stores no resource or trust statement without one, so such
			// a statement names nobody.
			return false, false, grantNone
		}
	}
	ok = resOK
	condFalse := false
	condUnknown := false
	for i := range s.Condition {
		c, missing, unk := s.Condition[i].eval3(e)
		if missing && resOK {
			e.addMissing(s.Condition[i].Key)
		}
		switch {
		case unk:
			condUnknown = true
		case !c:
			condFalse = true
		}
		ok = ok && c
	}
	if condFalse {
		return ok, false, g
	}
	return ok, resUnknown || condUnknown, g
}

// isKMSKeyRequest reports whether the request acts on a KMS key, whose key
// policy must allow it: "Every KMS key must have exactly one key policy" and
// "Unless the key policy explicitly allows it, you cannot use IAM policies to
// allow access to a KMS key"
// (https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html).
// Requests on aliases and on "*" (kms:CreateKey, kms:ListKeys) are governed
// by IAM policies alone.
func isKMSKeyRequest(action, resource string) bool {
	return len(action) > 4 && strings.EqualFold(action[:4], "kms:") &&
		arnField(resource, 2) == "kms" && strings.HasPrefix(arnField(resource, 5), "key/")
}

// isTrustAction reports whether the request is one a role's trust policy
// governs: assuming the role, and the session tags and source identity
// passed with it (id_roles_create_for-user.html, id_session-tags.html).
func isTrustAction(action, resource string) bool {
	if !strings.Contains(resource, ":role/") {
		return false
	}
	for _, a := range [...]string{"sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity", "sts:TagSession", "sts:SetSourceIdentity"} {
		if strings.EqualFold(action, a) {
			return true
		}
	}
	return false
}

// String returns the decision in the words of AWS's evaluation logic
// documentation: "allow", "explicit deny", "implicit deny".
func (d Decision) String() string {
	switch d {
	case Allow:
		return "allow"
	case ExplicitDeny:
		return "explicit deny"
	case ImplicitDeny:
		return "implicit deny"
	}
	return "Decision(" + strconv.Itoa(int(d)) + ")"
}

// Denies returns the Deny statements that applied, in the order of Types:
// the statements an access-denied message with "explicit deny" points at.
func (r Result) Denies() []StatementRef {
	var out []StatementRef
	for _, t := range r.Types {
		for _, m := range t.Matched {
			if m.Effect == "Deny" {
				out = append(out, m)
			}
		}
	}
	return out
}
