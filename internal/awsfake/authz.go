package awsfake

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/bedrockdoctor/bedrockdoctor/internal/iampolicy"
)

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// identify fills the caller's principal from its credential.
func (c *call) identify() error {
	cred := c.cred
	w := c.s.World
	w.mu.Lock()
	defer w.mu.Unlock()
	var acct *Account
	switch {
	case cred.user != nil:
		u := cred.user
		acct = u.account
		c.callerARN = u.ARN()
		c.principal = iampolicy.Principal{ARN: c.callerARN, UniqueID: u.UniqueID, Account: acct.ID, Tags: copyTags(u.Tags)}
	case cred.root != nil:
		acct = cred.root
		c.callerARN = fmt.Sprintf("arn:%s:iam::%s:root", w.Partition, acct.ID)
		c.principal = iampolicy.Principal{ARN: c.callerARN, UniqueID: acct.ID, Account: acct.ID}
	case cred.session != nil:
		sess := cred.session
		acct = sess.Role.account
		c.callerARN = sess.ARN()
		tags := copyTags(sess.Role.Tags)
		for k, v := range sess.Tags {
			if tags == nil {
				tags = map[string]string{}
			}
			tags[k] = v
		}
		c.principal = iampolicy.Principal{ARN: c.callerARN, RoleARN: sess.Role.ARN(), UniqueID: sess.Role.UniqueID + ":" + sess.Name, Account: acct.ID, Tags: tags}
	default:
		return &apiError{Status: 500, Code: "InternalFailure", Message: "credential without principal"}
	}
	if acct.org != nil {
		c.principal.OrgID = acct.org.ID
	}
	c.entry.Caller = c.callerARN
	if acct.DisabledRegions[c.region] && c.service != "iam" {
		// An opt-in region the account has not enabled does not know its
		// credentials.
		c.regionDisabled = true
		return c.authError("invalid")
	}
	c.vpce = cred.endpoint
	if h := c.r.Header.Get("X-Awsfake-Vpce"); h != "" {
		c.vpce = h
	}
	return nil
}

func copyTags(t map[string]string) map[string]string {
	if t == nil {
		return nil
	}
	out := make(map[string]string, len(t))
	for k, v := range t {
		out[k] = v
	}
	return out
}

// The policies AWS attaches by default at every organization level.
const fullAccess = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`

func parsePolicy(name string, typ iampolicy.PolicyType, doc string) (iampolicy.NamedPolicy, error) {
	p, err := iampolicy.Parse(doc)
	if err != nil {
		return iampolicy.NamedPolicy{}, fmt.Errorf("parse %s %s: %w", typ, name, err)
	}
	return iampolicy.NamedPolicy{Name: name, Type: typ, Policy: p}, nil
}

// orgLevels returns the SCPs or RCPs that apply to an account, one slice per
// level from the root to the account, each with the AWS-managed full-access
// policy AWS attaches and nobody can detach in practice; nil outside an
// organization and for its management account.
func orgLevels(a *Account, rcp bool) ([][]iampolicy.NamedPolicy, error) {
	if a == nil || a.org == nil || a.org.ManagementAccount == a.ID {
		return nil, nil
	}
	typ, full := iampolicy.TypeSCP, "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess"
	if rcp {
		typ, full = iampolicy.TypeRCP, "arn:aws:organizations::aws:policy/resource_control_policy/p-RCPFullAWSAccess"
	}
	var chain []*OU
	for u := a.ou; u != nil; u = u.Parent {
		chain = append([]*OU{u}, chain...)
	}
	var levels [][]iampolicy.NamedPolicy
	add := func(ps []*Policy) error {
		fp, err := parsePolicy(full, typ, fullAccess)
		if err != nil {
			return err
		}
		level := []iampolicy.NamedPolicy{fp}
		for _, p := range ps {
			np, err := parsePolicy(p.ARN, typ, p.Document)
			if err != nil {
				return err
			}
			level = append(level, np)
		}
		levels = append(levels, level)
		return nil
	}
	for _, u := range chain {
		ps := u.SCPs
		if rcp {
			ps = u.RCPs
		}
		if err := add(ps); err != nil {
			return nil, err
		}
	}
	ps := a.SCPs
	if rcp {
		ps = a.RCPs
	}
	if err := add(ps); err != nil {
		return nil, err
	}
	return levels, nil
}

// principalPolicies returns the identity, boundary and session policies of a
// user, role (for a session) or root.
func principalPolicies(cred *credential) (ident []iampolicy.NamedPolicy, boundary *iampolicy.NamedPolicy, session []iampolicy.NamedPolicy, acct *Account, err error) {
	var base *principalBase
	var kind string
	switch {
	case cred.root != nil:
		// The evaluator allows the root user everything in its own account.
		return nil, nil, nil, cred.root, nil
	case cred.user != nil:
		base, kind = &cred.user.principalBase, "user"
	case cred.session != nil:
		base, kind = &cred.session.Role.principalBase, "role"
	}
	acct = base.account
	for _, name := range base.inlineNames() {
		np, err := parsePolicy(kind+"/"+base.Name+"/inline/"+name, iampolicy.TypeIdentity, base.inline[name])
		if err != nil {
			return nil, nil, nil, nil, err
		}
		ident = append(ident, np)
	}
	for _, arn := range base.attached {
		p := acct.world.policyLocked(arn)
		if p == nil {
			continue // a dangling attachment grants nothing
		}
		np, err := parsePolicy(arn, iampolicy.TypeIdentity, p.Document)
		if err != nil {
			return nil, nil, nil, nil, err
		}
		ident = append(ident, np)
	}
	if base.boundary != "" {
		// A boundary naming a missing policy allows nothing.
		np := iampolicy.NamedPolicy{Name: base.boundary, Type: iampolicy.TypeBoundary}
		if p := acct.world.policyLocked(base.boundary); p != nil {
			if np, err = parsePolicy(base.boundary, iampolicy.TypeBoundary, p.Document); err != nil {
				return nil, nil, nil, nil, err
			}
		}
		boundary = &np
	}
	if s := cred.session; s != nil {
		if s.Policy != "" {
			np, err := parsePolicy("session-policy", iampolicy.TypeSession, s.Policy)
			if err != nil {
				return nil, nil, nil, nil, err
			}
			session = append(session, np)
		}
		for _, arn := range s.PolicyARNs {
			np := iampolicy.NamedPolicy{Name: arn, Type: iampolicy.TypeSession}
			if p := acct.world.policyLocked(arn); p != nil {
				if np, err = parsePolicy(arn, iampolicy.TypeSession, p.Document); err != nil {
					return nil, nil, nil, nil, err
				}
			}
			session = append(session, np)
		}
	}
	return ident, boundary, session, acct, nil
}

// policySet builds everything that applies to the caller's request on a
// resource owned by resAcct (nil: no owning account, same-account).
func (c *call) policySet(resAcct *Account, resource []iampolicy.NamedPolicy) (iampolicy.PolicySet, error) {
	w := c.s.World
	w.mu.Lock()
	defer w.mu.Unlock()
	ident, boundary, session, acct, err := principalPolicies(c.cred)
	if err != nil {
		return iampolicy.PolicySet{}, err
	}
	set := iampolicy.PolicySet{Identity: ident, Boundary: boundary, Session: session, Resource: resource}
	if set.SCPs, err = orgLevels(acct, false); err != nil {
		return set, err
	}
	if resAcct == nil {
		resAcct = acct
	}
	if set.RCPs, err = orgLevels(resAcct, true); err != nil {
		return set, err
	}
	if c.vpce != "" {
		if e := w.endpoints[c.vpce]; e != nil && e.Service == c.service {
			np, err := parsePolicy(e.ID, iampolicy.TypeVPCEndpoint, e.Policy)
			if err != nil {
				return set, err
			}
			set.Endpoint = &np
		}
	}
	return set, nil
}

// authorize evaluates one action on one resource for the caller. A scripted
// Allow bypasses it.
func (c *call) authorize(action, resource, resourceAccount string, ctx map[string][]string, set iampolicy.PolicySet) iampolicy.Result {
	res := c.evaluate(action, resource, resourceAccount, ctx, set)
	if c.scriptedAllow {
		return res
	}
	if res.Decision == iampolicy.Allow {
		c.entry.Decision = "allow"
	} else {
		c.entry.Decision = "deny"
	}
	return res
}

// denySuffix returns the reason AWS appends to "User: P is not authorized to
// perform: A on resource: R" (AWS.md §3.8): the explicit deny it found first
// in evaluation order, with the policy ARN where AWS names one, else the
// first policy type that did not allow.
func (c *call) denySuffix(action string, res iampolicy.Result) string {
	w := c.s.World
	w.mu.Lock()
	style := w.Messages
	w.mu.Unlock()
	if style.OmitReason {
		return ""
	}
	for _, t := range res.Types {
		if t.Decision != iampolicy.ExplicitDeny {
			continue
		}
		s := " with an explicit deny in " + article(t.Type) + " " + string(t.Type)
		if style.OmitPolicyARN {
			return s
		}
		switch t.Type {
		case iampolicy.TypeSCP, iampolicy.TypeRCP, iampolicy.TypeBoundary, iampolicy.TypeSession, iampolicy.TypeIdentity:
			for _, m := range t.Matched {
				if m.Effect != "Deny" || !strings.HasPrefix(m.Policy, "arn:") {
					continue
				}
				// The ARN is named only within the caller's organization
				// (or account); an RCP of another organization stays
				// anonymous.
				if t.Type == iampolicy.TypeRCP && (c.principal.OrgID == "" || !strings.Contains(m.Policy, "/"+c.principal.OrgID+"/")) {
					return s
				}
				return s + ": " + m.Policy
			}
		}
		return s
	}
	if len(res.Blocked) == 0 {
		return ""
	}
	t := res.Blocked[0]
	if t == iampolicy.TypeSCP {
		// AWS words implicit SCP denials as explicit ones
		// (IAMUG troubleshoot_access-denied.md).
		return " with an explicit deny in a service control policy"
	}
	return " because no " + string(t) + " allows the " + action + " action"
}

// article is the indefinite article AWS writes before a policy type
// ("an identity-based policy", "a service control policy").
func article(t iampolicy.PolicyType) string {
	if strings.IndexAny(string(t)[:1], "aeiou") == 0 {
		return "an"
	}
	return "a"
}

// deniedMessage is the IAM access-denied grammar.
func deniedMessage(caller, action, resource, suffix string) string {
	return "User: " + caller + " is not authorized to perform: " + action + " on resource: " + resource + suffix
}
