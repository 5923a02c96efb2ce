package awsfake

import (
	"sort"
	"strings"

	"github.com/bedrockdoctor/bedrockdoctor/internal/bedrockid"
	"github.com/bedrockdoctor/bedrockdoctor/internal/iampolicy"
)

// The ground truth is what the world itself says about a request: every
// layer that would deny it on its own, not only the first one AWS's text
// names. Tests compare a diagnosis with it; the fake's answers never read
// it. The names are the diagnosis' layer strings, written out because
// awsfake must not import diagnose.
const (
	truthCredentials     = "credentials"
	truthSourcePolicy    = "source-policy"
	truthTrustPolicy     = "trust-policy"
	truthWrongPrincipal  = "wrong-principal"
	truthRolePermissions = "role-permissions"
	truthOrgPolicy       = "org-policy"
	truthEndpointPolicy  = "endpoint-policy"
	truthModelAccess     = "model-access"
	truthRegion          = "region"
	truthModelID         = "model-id"
)

// truthSet collects layers without duplicates; its list is sorted so that
// two runs of the same world print the same truth.
type truthSet map[string]bool

func (t truthSet) add(layers ...string) {
	for _, l := range layers {
		t[l] = true
	}
}

func (t truthSet) list() []string {
	if len(t) == 0 {
		return nil
	}
	out := make([]string, 0, len(t))
	for l := range t {
		out = append(out, l)
	}
	sort.Strings(out)
	return out
}

// addBlocked maps every policy type that blocked res to its layer. For
// sts:AssumeRole the caller's own policies are the source side; for every
// other request they are the permissions of whoever signed it.
func (t truthSet) addBlocked(res iampolicy.Result, assume bool) {
	for _, typ := range res.Blocked {
		switch typ {
		case iampolicy.TypeSCP, iampolicy.TypeRCP:
			t.add(truthOrgPolicy)
		case iampolicy.TypeVPCEndpoint:
			t.add(truthEndpointPolicy)
		case iampolicy.TypeTrust:
			t.add(truthTrustPolicy)
		case iampolicy.TypeResource:
			if assume {
				t.add(truthTrustPolicy)
			} else {
				t.add(truthRolePermissions)
			}
		default: // identity, boundary, session
			if assume {
				t.add(truthSourcePolicy)
			} else {
				t.add(truthRolePermissions)
			}
		}
	}
}

// evaluate is authorize without its side effect on the log entry: the
// decision the world's policies make, with the same request context.
func (c *call) evaluate(action, resource, resourceAccount string, ctx map[string][]string, set iampolicy.PolicySet) iampolicy.Result {
	if c.scriptedAllow {
		return iampolicy.Result{Decision: iampolicy.Allow}
	}
	if ctx == nil {
		ctx = map[string][]string{}
	}
	if _, ok := ctx["aws:RequestedRegion"]; !ok && c.region != "" {
		ctx["aws:RequestedRegion"] = []string{c.region}
	}
	if c.vpce != "" {
		w := c.s.World
		w.mu.Lock()
		e := w.endpoints[c.vpce]
		w.mu.Unlock()
		if e != nil && e.Service == c.service {
			ctx["aws:SourceVpce"] = []string{c.vpce}
		}
	}
	if c.cred != nil && c.cred.session != nil && c.cred.session.MFAPresent {
		ctx["aws:MultiFactorAuthPresent"] = []string{"true"}
	}
	return iampolicy.Evaluate(iampolicy.Request{Principal: c.principal, Action: action, Resource: resource, ResourceAccount: resourceAccount, Context: ctx}, set)
}

// authTruth is the truth of a request its credentials could not
// authenticate: a Bedrock API key refused before the operation (what
// bearer.go recorded), an opt-in region the account has not enabled, else
// the credentials themselves.
func (c *call) authTruth() []string {
	if c.bearerTruth != nil {
		return c.bearerTruth
	}
	if c.regionDisabled {
		return []string{truthRegion}
	}
	return []string{truthCredentials}
}

// assumeTruth records every layer that denies an sts:AssumeRole (and the
// sts:TagSession / sts:SetSourceIdentity it implies) on its own. role is
// nil when the ARN names no role: then the trust side denies, and the
// source side is judged without a trust policy.
func (c *call) assumeTruth(roleARN string, role *Role, trust *iampolicy.NamedPolicy, ctx map[string][]string, tagged, sourceIdentity bool) {
	t := truthSet{}
	var resAcct *Account
	resAcctID := ""
	if role != nil {
		resAcct, resAcctID = role.account, role.account.ID
	} else {
		// No policy can make a missing role assumable.
		t.add(truthTrustPolicy)
		if parts := strings.SplitN(roleARN, ":", 6); len(parts) == 6 {
			resAcctID = parts[4]
			w := c.s.World
			w.mu.Lock()
			resAcct = w.accounts[resAcctID]
			w.mu.Unlock()
		}
	}
	if c.scriptedAllow {
		c.entry.Truth = t.list()
		return
	}
	var resource []iampolicy.NamedPolicy
	if trust != nil {
		resource = []iampolicy.NamedPolicy{*trust}
	}
	set, err := c.policySet(resAcct, resource)
	if err != nil {
		return
	}
	actions := []string{"sts:AssumeRole"}
	if tagged {
		actions = append(actions, "sts:TagSession")
	}
	if sourceIdentity {
		actions = append(actions, "sts:SetSourceIdentity")
	}
	for _, a := range actions {
		ctxCopy := make(map[string][]string, len(ctx))
		for k, v := range ctx {
			ctxCopy[k] = v
		}
		t.addBlocked(c.evaluate(a, roleARN, resAcctID, ctxCopy, set), true)
	}
	c.entry.Truth = t.list()
}

// invokeTruth records every layer that denies a model invocation on its
// own: IAM on the requested resource and on the routed destination model
// (with bedrock:InferenceProfileArn), the model-access state, and whether
// the identifier is valid in the region. It reads the world and changes
// nothing (a Marketplace subscription is started by the invocation itself,
// not here).
func (c *call) invokeTruth(id bedrockid.ID, t *target, profileARN string, dests []string, action string, set iampolicy.PolicySet) {
	if c.scriptedAllow {
		return
	}
	w := c.s.World
	region, account := c.region, c.principal.Account
	ts := truthSet{}
	ts.addBlocked(c.evaluate(action, t.resource, account, map[string][]string{"aws:RequestedRegion": {region}}, set), false)
	if profileARN != "" && t.model != nil && len(dests) > 0 && t.dest != "" {
		ctx := map[string][]string{"aws:RequestedRegion": {t.destRgn}, "bedrock:InferenceProfileArn": {profileARN}}
		ts.addBlocked(c.evaluate(action, t.dest, account, ctx, set), false)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if t.model != nil {
		if a := w.accounts[account]; a != nil {
			switch a.bedrockLocked(region).access[t.model.ID] {
			case AccessSubscriptionFailed, AccessAgreementPending, AccessUseCaseMissing, AccessNotAvailable:
				ts.add(truthModelAccess)
			}
		}
	}
	switch {
	case t.model == nil:
		if p := w.profiles[id.ResourceID]; id.Kind == bedrockid.KindInferenceProfile && p != nil && !p.callableFrom(region) {
			ts.add(truthRegion)
		} else {
			ts.add(truthModelID)
		}
	case id.Kind == bedrockid.KindFoundationModel:
		if !t.model.offeredIn(region) || (id.Region != "" && id.Region != region) {
			ts.add(truthRegion)
		}
		if !t.model.OnDemand {
			ts.add(truthModelID)
		}
	case len(dests) == 0:
		p := w.profiles[id.ResourceID]
		switch {
		case id.Kind == bedrockid.KindInferenceProfile && p != nil && !p.callableFrom(region):
			ts.add(truthRegion) // the profile's prefix does not serve this region
		case id.Kind == bedrockid.KindApplicationInferenceProfile && id.Region != region:
			ts.add(truthRegion)
		default:
			ts.add(truthModelID)
		}
	}
	if t.model != nil && t.model.Legacy {
		ts.add(truthModelID)
	}
	if len(ts) > 0 && w.appRole != "" && c.principal.RoleARN != w.appRole {
		// Someone other than the role the app means to use signed: that is
		// the fault, and the signer's own permissions are not the role's.
		delete(ts, truthRolePermissions)
		ts.add(truthWrongPrincipal)
	}
	c.entry.Truth = ts.list()
}

// SetAppRole names the role the app means to use (the role ARN with its
// path). A Bedrock Runtime request signed by anyone else that is denied then
// has wrong-principal in its truth, in place of the signer's own
// permissions. A scenario sets it from its target's roleArn.
func (w *World) SetAppRole(roleARN string) {
	w.mu.Lock()
	w.appRole = roleARN
	w.mu.Unlock()
}

// AppCall returns the log entry of the app's own call, whose Truth is the
// ground truth a diagnosis of it is judged by: the last Bedrock Runtime
// request, or, when none reached Bedrock Runtime, the first sts:AssumeRole
// (the app's role assumption failed). A diagnosis never calls Bedrock
// Runtime and starts only after the app's call failed, so those entries are
// the app's. ok is false when the log holds neither.
func (s *Server) AppCall() (entry LogEntry, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.log) - 1; i >= 0; i-- {
		if s.log[i].Service == "bedrock-runtime" {
			return s.log[i], true
		}
	}
	for _, e := range s.log {
		if e.Service == "sts" && e.Action == "AssumeRole" {
			return e, true
		}
	}
	return LogEntry{}, false
}
