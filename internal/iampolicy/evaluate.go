package iampolicy

import (
	"strconv"
	"strings"
)

// verdict is one policy type's evaluation.
type verdict struct {
	tr      TypeResult
	present bool
	allow   bool // an Allow applied (for levels: every level had one)
	deny    bool // a Deny applied
	grant   grant
}

func (v *verdict) decide() {
	switch {
	case v.deny:
		v.tr.Decision = ExplicitDeny
	case v.allow:
		v.tr.Decision = Allow
	default:
		v.tr.Decision = ImplicitDeny
	}
}

// ok reports whether the type does not stop the request on its own. An
// absent type never does.
func (v *verdict) ok() bool { return !v.present || v.tr.Decision == Allow }

// Evaluate decides req against set as AWS documents it
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html)
// and explains the decision. It evaluates every policy, so the result lists
// every type that denies, not only the first. The package documentation
// gives the order and the rules.
func Evaluate(req Request, set PolicySet) Result {
	e := newEnv(&req)
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
	cross := req.ResourceAccount != "" && req.ResourceAccount != req.Principal.Account

	scp := e.levels(set.SCPs, TypeSCP, false, false)
	// RCPFullAWSAccess is attached to every level of an organization with
	// RCPs enabled and cannot be detached, so RCPs only ever deny explicitly
	// (orgs_manage_policies_rcps_evaluation.html); levels given here without
	// it are evaluated as AWS would, with it.
	rcp := e.levels(set.RCPs, TypeRCP, true, true)
	ep := e.one(set.Endpoint, TypeVPCEndpoint, true)
	res := e.group(set.Resource, resType, true)
	id := e.group(set.Identity, TypeIdentity, false)
	id.present = true
	bnd := e.one(set.Boundary, TypeBoundary, false)
	var ses verdict
	if len(set.Session) > 0 {
		ses = e.group(set.Session, TypeSession, false)
	}
	all := [...]*verdict{&scp, &rcp, &ep, &res, &id, &bnd, &ses}

	// need[i] marks types whose implicit deny stops the request.
	var need [len(all)]bool
	const (
		iSCP = iota
		iRCP
		iEndpoint
		iResource
		iIdentity
		iBoundary
		iSession
	)
	need[iSCP] = !scp.ok()
	need[iRCP] = !rcp.ok()
	need[iEndpoint] = !ep.ok()
	// The root user is allowed everything in its own account, and
	// boundaries and session policies cannot be attached to it; SCPs and
	// explicit denies still apply to it.
	idOK := id.tr.Decision == Allow || e.isRoot
	callerSide := func() {
		need[iIdentity] = !idOK
		need[iBoundary] = !bnd.ok()
		need[iSession] = !ses.ok()
	}
	resAllows := res.present && res.tr.Decision == Allow
	switch {
	case cross:
		// Both accounts must allow: the resource policy in the resource's
		// account and the caller's own policies
		// (reference_policies_evaluation-logic-cross-account.html).
		need[iResource] = !resAllows
		callerSide()
	case trust && !resAllows:
		// A role trust policy must explicitly allow; an identity-policy
		// allow alone never lets anyone assume a role.
		need[iResource] = true
	case resAllows:
		switch res.grant {
		case grantDirect:
		case grantRole:
			need[iBoundary] = !bnd.ok()
			need[iSession] = !ses.ok()
		default:
			callerSide()
		}
	default:
		callerSide()
	}

	r := Result{Decision: Allow, Types: make([]TypeResult, 0, len(all))}
	for _, v := range all {
		if !v.present {
			continue
		}
		r.Types = append(r.Types, v.tr)
		if v.tr.Decision == ExplicitDeny {
			r.Decision = ExplicitDeny
		}
	}
	for i, v := range all {
		if v.tr.Decision == ExplicitDeny || need[i] {
			r.Blocked = append(r.Blocked, v.tr.Type)
			if r.Decision == Allow {
				r.Decision = ImplicitDeny
			}
		}
	}
	r.Missing = e.missing
	if strings.EqualFold(req.Action, "sts:GetCallerIdentity") {
		// "No permissions are required to perform this operation": even an
		// explicit deny does not block it (STS API reference,
		// API_GetCallerIdentity.html). The per-type verdicts stay, as the
		// explanation of what the policies say.
		r.Decision, r.Blocked = Allow, nil
	}
	return r
}

// group evaluates the policies of one type.
func (e *env) group(pols []NamedPolicy, typ PolicyType, principal bool) verdict {
	v := verdict{tr: TypeResult{Type: typ}, present: len(pols) > 0}
	for i := range pols {
		allow, deny := e.policy(&pols[i], typ, principal, &v)
		v.allow = v.allow || allow
		v.deny = v.deny || deny
	}
	v.decide()
	return v
}

// one evaluates a single optional policy (boundary, endpoint).
func (e *env) one(np *NamedPolicy, typ PolicyType, principal bool) verdict {
	v := verdict{tr: TypeResult{Type: typ}, present: np != nil}
	if np != nil {
		v.allow, v.deny = e.policy(np, typ, principal, &v)
	}
	v.decide()
	return v
}

// levels evaluates SCPs or RCPs: every level must allow
// (orgs_manage_policies_scps_evaluation.html).
func (e *env) levels(lv [][]NamedPolicy, typ PolicyType, principal, implicitAllow bool) verdict {
	v := verdict{tr: TypeResult{Type: typ}, present: lv != nil, allow: true}
	for _, level := range lv {
		levelAllow := false
		for i := range level {
			allow, deny := e.policy(&level[i], typ, principal, &v)
			levelAllow = levelAllow || allow
			v.deny = v.deny || deny
		}
		v.allow = v.allow && (levelAllow || implicitAllow)
	}
	v.decide()
	return v
}

// policy applies one policy's statements, recording matches and the
// strongest grant in v, and reports whether an Allow and a Deny applied.
func (e *env) policy(np *NamedPolicy, typ PolicyType, principal bool, v *verdict) (allow, deny bool) {
	if np.Policy == nil {
		return false, false
	}
	for i := range np.Policy.Statements {
		s := &np.Policy.Statements[i]
		ok, g := s.applies(e, principal)
		if !ok {
			continue
		}
		v.tr.Matched = append(v.tr.Matched, StatementRef{
			Policy: np.Name, Type: typ, Index: i, Sid: s.Sid, Effect: s.Effect,
		})
		if s.Effect == "Deny" {
			deny = true
			continue
		}
		allow = true
		if g > v.grant {
			v.grant = g
		}
	}
	return allow, deny
}

// applies reports whether the statement applies to the request and, for
// policies with a Principal element, how it names the caller.
func (s *Statement) applies(e *env, principal bool) (bool, grant) {
	req := e.req
	m := false
	for i := range s.actions {
		if s.actions[i].match(req.Action, true, nil) {
			m = true
			break
		}
	}
	if m == (s.NotAction != nil) {
		return false, grantNone
	}
	switch {
	case s.Resource != nil:
		m = false
		for i := range s.resources {
			if s.resources[i].match(req.Resource, e) {
				m = true
				break
			}
		}
		if !m {
			return false, grantNone
		}
	case s.NotResource != nil:
		// An entry whose policy variable has no value matches no resource
		// (reference_policies_variables.html, "Policy variables with no
		// value"), so it excludes nothing from a NotResource.
		for i := range s.resources {
			if s.resources[i].match(req.Resource, e) {
				return false, grantNone
			}
		}
	}
	g := grantRole
	if principal {
		switch {
		case s.Principal != nil:
			if g = s.Principal.match(e); g == grantNone {
				return false, grantNone
			}
		case s.NotPrincipal != nil:
			if s.NotPrincipal.covers(e) {
				return false, grantNone
			}
		}
	}
	ok := true
	for i := range s.Condition {
		c, missing := s.Condition[i].eval(e)
		if missing {
			e.addMissing(s.Condition[i].Key)
		}
		ok = ok && c
	}
	return ok, g
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
