package iampolicy

import "strings"

// grant is how directly a resource-based policy named the caller. It decides
// which implicit denies still limit a same-account grant
// (reference_policies_evaluation-logic.html, "Resource-based policies and
// implicit denies").
type grant uint8

const (
	grantNone grant = iota
	// grantAccount: the account ("123456789012" or its root ARN); the
	// account delegates to its identity policies, which must also allow.
	grantAccount
	// grantRole: the role ARN (or "*"; a statement of a policy type
	// without Principal elements, such as an identity policy, applies at
	// this level too): not limited by identity policies, still limited by
	// implicit denies in permissions boundaries and session policies.
	grantRole
	// grantDirect: the exact session or user ARN (or a service): limited by
	// nothing but explicit denies, SCPs and RCPs.
	grantDirect
)

// match reports how the principal element names the caller; grantNone if it
// does not. A wildcard inside a principal ARN is not a wildcard
// (reference_policies_elements_principal.html: "You cannot use a wildcard to
// match part of a principal name or ARN"), so values compare exactly.
func (ps *Principals) match(e *env) grant {
	if ps.All {
		return grantRole
	}
	p := &e.req.Principal
	best := grantNone
	up := func(g grant) {
		if g > best {
			best = g
		}
	}
	for _, v := range ps.AWS {
		switch {
		case v == "*":
			up(grantRole)
		case p.ARN != "" && v == p.ARN:
			if e.isRoot {
				up(grantAccount)
			} else {
				up(grantDirect)
			}
		case p.RoleARN != "" && v == p.RoleARN:
			up(grantRole)
		case e.isAccount(v):
			up(grantAccount)
		case e.isUniqueID(v):
			// A trust policy whose role or user was deleted and recreated
			// shows the old unique id; it matches only that exact id.
			if e.isSession {
				up(grantRole)
			} else {
				up(grantDirect)
			}
		}
	}
	for _, list := range [][]string{ps.Service, ps.Federated} {
		for _, v := range list {
			if p.ARN != "" && strings.EqualFold(v, p.ARN) {
				up(grantDirect)
			}
		}
	}
	for _, v := range ps.CanonicalUser {
		if p.UniqueID != "" && v == p.UniqueID {
			up(grantDirect)
		}
	}
	return best
}

// isAccount reports whether v names the caller's account: the bare id or
// arn:<partition>:iam::<id>:root of the caller's partition.
func (e *env) isAccount(v string) bool {
	acct := e.req.Principal.Account
	if acct == "" {
		return false
	}
	if v == acct {
		return true
	}
	return strings.HasPrefix(v, "arn:") && arnField(v, 2) == "iam" && arnField(v, 5) == "root" &&
		arnField(v, 4) == acct && arnField(v, 3) == "" &&
		(e.partition == "" || arnField(v, 1) == e.partition)
}

// isUniqueID reports whether v is the caller's unique id (AROA.../AIDA...),
// ignoring the ":session" suffix a session's user id carries.
func (e *env) isUniqueID(v string) bool {
	id := e.req.Principal.UniqueID
	if i := strings.IndexByte(id, ':'); i >= 0 {
		id = id[:i]
	}
	return id != "" && v == id
}

// covers reports whether a NotPrincipal element excludes the caller. AWS
// evaluates NotPrincipal against every identity in the caller's chain, so a
// session is excluded only if its account, its role and the session itself
// are all listed; a user only if the account and the user are
// (reference_policies_elements_notprincipal.html).
//
// An IAM user or role with a permissions boundary is never excluded: "The
// NotPrincipal element with a Deny effect will always deny any IAM principal
// that has a permissions boundary policy attached, regardless of the values
// specified in the NotPrincipal element"
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html,
// repeated in the key points of reference_policies_elements_notprincipal.html).
func (ps *Principals) covers(e *env) bool {
	if e.hasBoundary && !e.isRoot && !e.isServicePrincipal {
		return false
	}
	if ps.All {
		return true
	}
	p := &e.req.Principal
	listed := func(pred func(string) bool) bool {
		for _, v := range ps.AWS {
			if v == "*" || pred(v) {
				return true
			}
		}
		return false
	}
	if e.isServicePrincipal {
		for _, v := range ps.Service {
			if strings.EqualFold(v, p.ARN) {
				return true
			}
		}
		return false
	}
	if !listed(e.isAccount) {
		return false
	}
	if e.isRoot {
		return true
	}
	if p.RoleARN != "" && !listed(func(v string) bool { return v == p.RoleARN || e.isUniqueID(v) }) {
		return false
	}
	return listed(func(v string) bool { return v == p.ARN || (!e.isSession && e.isUniqueID(v)) })
}
