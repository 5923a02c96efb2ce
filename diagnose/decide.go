package diagnose

import (
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/bedrockdoctor/bedrockdoctor/internal/bedrockid"
)

// checkOrder is the runbook order of the checks in a report.
var checkOrder = map[string]int{
	CheckMessageParse:                 0,
	"client.setup":                    1,
	"client.bearer-token":             2,
	"credentials.source":              3,
	"assume-role.call":                4,
	"source-policy.simulate":          5,
	"trust-policy.evaluate":           6,
	"principal.match":                 7,
	"role-permissions.simulate":       8,
	"role-permissions.evaluate":       9,
	"role-permissions.session-policy": 10,
	"model.resolve":                   11,
	"model-access.availability":       12,
	"endpoint-policy.path":            13,
}

// decide names the layer from the checks and the error's reading: the first
// failing layer in chain order, except that a layer the error text proves
// is kept (the report explains this error), and an undecided assume-role
// failure stays assume-role with its candidates.
//
// decide runs after collect has returned, so it reads the evidence without
// the lock; the helpers it calls take the lock themselves.
func (in *inquiry) decide() *Report {
	in.mu.Lock()
	checks := append([]Check(nil), in.checks...)
	in.mu.Unlock()
	r := &Report{SchemaVersion: SchemaVersion, Layer: LayerUnknown}
	if in.seed != nil {
		cp := *in.seed
		r = &cp
		r.Checks = append([]Check(nil), in.seed.Checks...)
		r.Candidates = append([]Layer(nil), in.seed.Candidates...)
	}
	r.Checks = append(r.Checks, checks...)
	if in.seed == nil {
		// Run makes no Bedrock Runtime call: the app's network path is
		// not on its own path.
		r.Checks = append(r.Checks, Check{Name: "endpoint-policy.path", Layer: LayerEndpointPolicy, Status: StatusSkipped,
			Detail: "a VPC endpoint policy on the app's network path cannot be read by the checks; a denied call names it, and bedrock-doctor check --probe tests the path"})
	}
	sort.SliceStable(r.Checks, func(i, j int) bool { return rank(r.Checks[i].Name) < rank(r.Checks[j].Name) })
	in.fillFacts(r)

	// When the text leaves several layers, only those can explain this
	// error: a check failing elsewhere (say, model access under an IAM
	// denial) is evidence of a second problem, not of this one.
	var allowed []Layer
	if in.seed != nil && len(in.seed.Candidates) > 0 {
		allowed = in.seed.Candidates
		if in.seed.Layer == LayerAssumeRole {
			allowed = append(allowed[:len(allowed):len(allowed)], LayerAssumeRole)
		}
	}
	failing := LayerNone
	for _, c := range r.Checks {
		if c.Status != StatusFail || c.Name == CheckMessageParse || !c.Layer.Before(failing) {
			continue
		}
		if allowed != nil && !slices.Contains(allowed, c.Layer) {
			continue
		}
		failing = c.Layer
	}
	// A refused AssumeRole is explained by its own answer first; one that
	// got no answer (throttling, a fault, no network) proves nothing.
	assumeStatus := checkStatus(r.Checks, "assume-role.call")
	if in.ev.assumeErr != nil && assumeStatus == StatusFail {
		failing = in.assumeLayer(failing, r.Checks)
	}

	seedLayer := LayerUnknown
	if in.seed != nil {
		seedLayer = in.seed.Layer
	}
	switch {
	case in.seed != nil && seedLayer != LayerUnknown && seedLayer != LayerAssumeRole && seedLayer != LayerNone:
		// The AWS text itself names the layer: hard evidence. Checks that
		// found more stay visible as failing checks.
		r.Layer = seedLayer
	case failing != LayerNone:
		r.Layer = failing
		if failing != LayerAssumeRole {
			r.Candidates = nil
		}
	case seedLayer == LayerAssumeRole:
		r.Layer = LayerAssumeRole
	case in.seed != nil:
		// The text did not decide and no check found a failure.
		r.Layer = LayerUnknown
	case len(undecided(r.Checks)) > 0:
		// Run: nothing failed, but a check that could have failed did not
		// run to a verdict. "none" would be a claim the evidence does not
		// support.
		r.Layer = LayerUnknown
		r.Candidates = undecided(r.Checks)
	default:
		r.Layer = LayerNone
	}
	switch {
	case r.Layer == LayerAssumeRole && in.ev.byElimination:
		r.Candidates = []Layer{LayerTrustPolicy, LayerOrgPolicy, LayerEndpointPolicy}
	case r.Layer == LayerAssumeRole && len(r.Candidates) == 0 && !in.assumeTextDecides():
		r.Candidates = assumeCandidates(r.Checks)
	}
	in.fillRequest(r)
	in.explainLayer(r)
	return r
}

func rank(name string) int {
	if n, ok := checkOrder[name]; ok {
		return n
	}
	return len(checkOrder)
}

// assumeLayer narrows a failed AssumeRole: its own answer (credentials,
// duration, region), then the checks of each side.
func (in *inquiry) assumeLayer(failing Layer, checks []Check) Layer {
	if failing == LayerCredentials {
		return failing
	}
	reading := Explain(in.ev.assumeErr.Error())
	switch reading.Layer {
	case LayerCredentials, LayerRegion:
		return reading.Layer
	}
	switch {
	case in.ev.orgDenied:
		return LayerOrgPolicy
	case checkStatus(checks, "source-policy.simulate") == StatusFail:
		return LayerSourcePolicy
	case checkStatus(checks, "trust-policy.evaluate") == StatusFail:
		return LayerTrustPolicy
	case reading.Layer == LayerSourcePolicy || reading.Layer == LayerTrustPolicy || reading.Layer == LayerOrgPolicy:
		return reading.Layer
	case in.sourceSideProven(checks) && checkStatus(checks, "trust-policy.evaluate") != StatusPass:
		// AWS requires both sides of a cross-account AssumeRole; the
		// source's is proven to allow, so the refusal is not the source
		// policy. It is the role's trust policy, unless a resource control
		// policy of the role's organization or a VPC endpoint policy on
		// the app's path to STS denies: STS's answer is the same for all
		// three, and no read-only check sees the last two.
		in.ev.byElimination = true
	}
	return LayerAssumeRole
}

// sourcePrincipal is the principal a trust policy names for a source: a
// session's role, else the principal itself; "" for an unreadable ARN.
func sourcePrincipal(src string) string {
	p, _ := sourcePolicyARN(src)
	return p
}

// sourceSideProven reports that the source principal's side of a refused
// AssumeRole is proven to allow: the simulator (identity policies, boundary
// and the source organization's SCPs) allows every action the app's call
// needs, across accounts (within one account the trust policy alone may
// grant), for an IAM user (a role session may carry a session policy the
// simulator cannot see).
func (in *inquiry) sourceSideProven(checks []Check) bool {
	src := in.ev.source
	return checkStatus(checks, "source-policy.simulate") == StatusPass && !in.ev.assumed &&
		strings.Contains(src.arn, ":user/") && src.account != "" && src.account != accountOf(in.t.RoleARN)
}

// assumeTextDecides reports that STS's own answer to the AssumeRole says
// what is wrong with the request itself (a session duration over a limit, a
// malformed parameter), so no side refused and none is a candidate.
func (in *inquiry) assumeTextDecides() bool {
	m := in.msg
	if in.ev.assumeErr != nil {
		m = ParseMessage(in.ev.assumeErr.Error())
	}
	switch m.Kind {
	case KindRoleChainingDuration, KindMaxSessionDuration, KindAssumeRoleInvalid:
		return true
	}
	return false
}

// undecided lists, in chain order, the layers that a check could not run to
// a verdict on and no other check decided (the simulator and the local
// evaluation are two ways to the same verdict on the role).
func undecided(checks []Check) []Layer {
	decided := map[Layer]bool{}
	for _, c := range checks {
		// The session policy's pass clears one policy of the role, not the
		// role: it decides nothing on its own.
		if c.Status == StatusFail || c.Status == StatusPass && c.Name != "role-permissions.session-policy" {
			decided[c.Layer] = true
		}
	}
	for _, c := range checks {
		// An unread session policy limits the role whatever its own
		// policies allow: the layer stays open unless a check failed it.
		if c.Name == "role-permissions.session-policy" && c.Status == StatusUnknown && !hasFailing(checks, c.Layer) {
			decided[c.Layer] = false
		}
	}
	var ls []Layer
	for _, c := range checks {
		if c.Status == StatusUnknown && !decided[c.Layer] && c.Layer.Valid() && c.Layer != LayerUnknown && c.Layer != LayerNone {
			ls = appendLayer(ls, c.Layer)
			if c.Layer == LayerModelID {
				// model.resolve tells a wrong id from a model offered
				// elsewhere: undecided, it leaves both.
				ls = appendLayer(ls, LayerRegion)
			}
		}
	}
	slices.SortStableFunc(ls, func(a, b Layer) int {
		switch {
		case a.Before(b):
			return -1
		case b.Before(a):
			return 1
		}
		return 0
	})
	return ls
}

// hasFailing reports a failing check of the layer.
func hasFailing(checks []Check, l Layer) bool {
	return slices.ContainsFunc(checks, func(c Check) bool { return c.Layer == l && c.Status == StatusFail })
}

// assumeCandidates lists the sides a failed AssumeRole could not be pinned
// on: those whose check did not pass.
func assumeCandidates(checks []Check) []Layer {
	var c []Layer
	if checkStatus(checks, "source-policy.simulate") != StatusPass {
		c = append(c, LayerSourcePolicy)
	}
	if checkStatus(checks, "trust-policy.evaluate") != StatusPass {
		c = append(c, LayerTrustPolicy)
	}
	return append(c, LayerOrgPolicy)
}

// checkStatus is the status of the named check, "" when it did not run.
func checkStatus(checks []Check, name string) Status {
	for _, c := range checks {
		if c.Name == name {
			return c.Status
		}
	}
	return ""
}

// fillFacts sets the report's identities from the evidence.
func (in *inquiry) fillFacts(r *Report) {
	if r.SourceAccount == "" {
		r.SourceAccount = in.ev.source.account
	}
	if r.RoleARN == "" {
		r.RoleARN = in.t.RoleARN
	}
	if r.TargetAccount == "" {
		if in.t.RoleARN != "" {
			r.TargetAccount = accountOf(in.t.RoleARN)
		} else {
			r.TargetAccount = in.ev.source.account
		}
	}
	if r.ModelID == "" {
		r.ModelID = in.t.ModelID
	}
	if r.Operation == "" {
		r.Operation = in.t.Operation
	}
	if r.Region == "" {
		r.Region = in.region
	}
}

// fillRequest names the denied request where the error's text did not: the
// AssumeRole when the role could not be assumed, else the Bedrock call (see
// Report). It runs once the layer is decided.
func (in *inquiry) fillRequest(r *Report) {
	assumeSide := strings.HasPrefix(r.Action, "sts:")
	if r.Action == "" && r.Resource == "" {
		switch r.Layer {
		case LayerCredentials, LayerAssumeRole, LayerSourcePolicy, LayerTrustPolicy:
			assumeSide = in.t.RoleARN != ""
		default:
			assumeSide = in.t.RoleARN != "" && !in.ev.assumed && in.ev.assumeErr != nil
		}
	}
	switch {
	case assumeSide:
		if r.Action == "" {
			r.Action = "sts:AssumeRole"
		}
		if r.Resource == "" {
			r.Resource = in.t.RoleARN
		}
		if r.Principal == "" {
			r.Principal = in.ev.source.arn
		}
	default:
		if r.Action == "" {
			r.Action = in.deniedAction() // routed.go: the denied leg's own action
		}
		if r.Resource == "" {
			if len(in.ev.deniedResources) > 0 {
				r.Resource = in.ev.deniedResources[0]
			} else if in.modelErr == nil && in.model.Kind != bedrockid.KindUnknown {
				r.Resource = in.model.ARN(in.partition, in.region, r.TargetAccount)
			}
		}
		if r.Principal == "" {
			r.Principal = in.sessionARN()
		}
	}
	r.ResourceRegion = resourceRegion(r.Resource)
}

// sessionARN is the principal that calls Bedrock: the role's session, by
// the name the AssumeRole options give it, or the base principal without a
// role; "" when not known.
func (in *inquiry) sessionARN() string {
	if in.t.RoleARN == "" {
		return in.ev.source.arn
	}
	name := in.assumeOptions().RoleSessionName
	if name == "" {
		return ""
	}
	a, err := arn.Parse(in.t.RoleARN)
	if err != nil {
		return ""
	}
	return "arn:" + a.Partition + ":sts::" + a.AccountID + ":assumed-role/" + roleName(in.t.RoleARN) + "/" + name
}

// explainLayer writes the summary and the fix for the decided layer, unless
// the error's reading already wrote them for the same layer.
//
// When the error's reading named the same layer, its summary stays (it
// describes this very error); the fix is the inquiry's where the checks know
// more than the text (every ARN of the expansion, the real source principal),
// and the reading's otherwise.
func (in *inquiry) explainLayer(r *Report) {
	if in.seed != nil && in.seed.Layer == r.Layer && r.Summary != "" && r.Fix != "" && !in.ev.byElimination {
		if r.Layer == LayerTrustPolicy && in.seed.Action != "" && !slices.Contains(in.assumeActions(), in.seed.Action) {
			// A web-identity or SAML refusal is about a role the checks did
			// not look at: the text's own reading is the one to keep.
			return
		}
		switch r.Layer {
		case LayerRolePermissions, LayerSourcePolicy, LayerTrustPolicy, LayerModelAccess, LayerKeyPolicy:
			summary := r.Summary
			in.writeLayer(r)
			r.Summary = summary
		case LayerOrgPolicy:
			if note := in.routingNote(); note != "" {
				r.Fix += " " + note
			}
		case LayerRegion:
			r.Fix = in.regionFix()
		case LayerModelID:
			if in.msg.Kind == KindOnDemandUnsupported && !isOwnedKind(in.model.Kind) { // modelkinds.go
				// The checks know the catalog: name only profiles it has.
				r.Fix = in.modelIDFix()
			}
		}
		return
	}
	in.writeLayer(r)
}

// writeLayer writes the summary and the fix for the decided layer from the
// evidence.
func (in *inquiry) writeLayer(r *Report) {
	src := orElse(in.ev.source.arn, "the source principal")
	role := in.t.RoleARN
	acct := r.TargetAccount
	detail := firstFailing(r.Checks, r.Layer)
	switch r.Layer {
	case LayerNone:
		r.Summary = "nothing denies: every check that could run passed"
		if n := countStatus(r.Checks, StatusUnknown); n > 0 {
			r.Summary += "; some checks could not run (see needs)"
		}
		r.Fix = ""
	case LayerCredentials:
		r.Summary = "the base credentials do not work: " + detail
		r.Fix = "give the app valid credentials in the source account (check AWS_PROFILE, AWS_ACCESS_KEY_ID, SSO login, the instance or pod role, and the clock); root credentials cannot assume roles"
	case LayerAssumeRole:
		if hop := in.ev.hopRole; hop != "" {
			r.Summary = "the base credentials are a role chain of the app's AWS profile, and its AssumeRole of " + hop + " was refused before the app's own role " + orElse(role, "") + " could be assumed; STS does not say which side refused"
			r.Fix = hopFix(hop)
			r.Candidates = []Layer{LayerSourcePolicy, LayerTrustPolicy, LayerOrgPolicy}
			break
		}
		if in.assumeTextDecides() && in.ev.assumeErr != nil {
			// STS said what is wrong with the request (a duration over a
			// limit, a malformed parameter): that is the finding, not a
			// side that refused.
			reading := Explain(in.ev.assumeErr.Error())
			r.Summary, r.Fix = reading.Summary, reading.Fix
			break
		}
		if in.ev.byElimination {
			r.Summary = src + " may not assume " + role + ", and the refusal is on the role's side (found by elimination: " + src + "'s own policies and its organization's SCPs allow " +
				strings.Join(in.assumeActions(), ", ") + " on the role): the role's trust policy does not accept " + src + ", or a resource control policy of the role's organization or a VPC endpoint policy on the app's path to STS denies it"
			r.Fix = "in account " + acct + ", make the trust policy of " + role + " trust " + orElse(sourcePrincipal(src), src) + " for " + strings.Join(in.assumeActions(), ", ") +
				" (with the conditions the app meets); to confirm first, read the trust policy (iam:GetRole on the role in account " + acct + ", e.g. bedrock-doctor check --diagnostic-profile with read-only credentials there). If it already does, the refusal is a resource control policy of the role's organization or an STS VPC endpoint policy"
			break
		}
		r.Summary = src + " could not assume " + role + ", and the checks that could tell which side refuses could not run"
		r.Fix = "run the diagnosis with credentials that may read the role in account " + acct + " (diagnose.Options.DiagnosticConfig) and iam:SimulatePrincipalPolicy in the source account, or check both sides by hand: the source principal's policy must allow sts:AssumeRole on the role, and the role's trust policy must trust the source principal"
	case LayerSourcePolicy:
		r.Summary = src + "'s own policies in account " + in.ev.source.account + " do not allow sts:AssumeRole on " + role
		in.writeSourceFix(r, src)
	case LayerTrustPolicy:
		r.Summary = "the trust policy of " + role + " in account " + acct + " does not accept " + src
		if strings.Contains(detail, "does not exist") || strings.Contains(detail, "condition") {
			r.Summary += ": " + detail
		}

		in.writeTrustFix(r, src, acct)

		if len(in.ev.unmetConditions) > 0 {
			r.Summary = "the trust policy of " + role + " in account " + acct + " trusts " + src + " only under conditions the app's AssumeRole does not meet"
			r.Fix = "pass what the trust policy's conditions require in the app's AssumeRole (stscreds AssumeRoleOptions: ExternalID, SourceIdentity, Tags, SerialNumber/TokenCode), or change the conditions in account " + acct + ": " + strings.Join(in.ev.unmetConditions, "; ")
			if strings.Contains(strings.ToLower(strings.Join(in.ev.unmetConditions, " ")), "aws:principaltag/") {
				r.Fix += "; a condition on aws:PrincipalTag is met by a tag on " + fixPrincipal(src) + " itself (its owner tags it), not by anything the app passes"
			}
			r.FixPolicy, r.FixPlace = "", ""
		}
	case LayerWrongPrincipal:
		// Written by checkPrincipal, which has the call's facts.
	case LayerRolePermissions:
		r.Summary = orElse(role, src) + " in account " + acct + " may not " + orElse(r.Action, in.action) + " on every ARN the call needs"
		if len(in.ev.deniedResources) > 0 {
			r.Summary += ": denied on " + strings.Join(in.ev.deniedResources, ", ")
		} else {
			r.Summary += ": " + detail
		}
		legs := in.withDeniedResource(in.expansion(), r)
		var resources []string
		for _, l := range legs {
			resources = append(resources, l.resource)
		}
		grant := in.action + " on " + strings.Join(resources, ", ")
		who := orElse(role, src)
		if p, ok := sourcePolicyARN(who); ok {
			who = p
		}
		kind := in.ev.rolePolicyKind
		if kind == policyIdentityGap && in.msg.Explicit && !in.msg.AssumeRole {
			// AWS's text says a Deny matched: no allow can fix it.
			kind = policyExplicitDeny
		}
		switch kind {
		case policyExplicitDeny:
			denied := grant
			if len(in.ev.deniedResources) > 0 {
				denied = in.action + " on " + strings.Join(in.ev.deniedResources, ", ")
			}
			stmt := "the Deny statement"
			if len(in.ev.denyStatements) > 0 {
				stmt += " (" + strings.Join(in.ev.denyStatements, ", ") + ")"
			}
			r.Fix = "in account " + acct + ", remove or narrow " + stmt + " so that it no longer matches " + denied + " for " + who
			if in.msg.PolicyARN != "" {
				r.Fix += " (AWS names " + in.msg.PolicyARN + ")"
			}
			r.Fix += "; an explicit deny cannot be overridden by any allow"
			r.FixPolicy, r.FixPlace = "", ""
			in.afterDenyFix(r, who)
		default:
			in.writeRolePermissionsFix(r, who, acct)
		}
		if in.model.Kind == bedrockid.KindApplicationInferenceProfile && len(in.ev.destinations) == 0 && r.FixPolicy != "" {
			r.Fix += "; also allow it on the foundation models the application inference profile routes to, in each of their regions (bedrock:GetInferenceProfile lists them; the diagnosis could not read it)"
		}
	case LayerOrgPolicy:
		r.Summary = "an organization policy (SCP or RCP) denies: " + strings.TrimPrefix(detail, "a service control policy denies ")
		r.Fix = "ask the organization's administrators to allow " + in.action + " for the regions the call routes to."
		if note := in.routingNote(); note != "" {
			r.Fix += " " + note
		}
	case LayerKeyPolicy:
		in.writeKeyPolicy(r) // keys.go
	case LayerModelAccess:
		r.Summary = detail
		in.writeModelAccessFix(r, acct)
	case LayerRegion:
		r.Summary = "the model is not offered where the client calls it: " + detail
		r.Fix = in.regionFix()
	case LayerModelID:
		if in.writeOwnedModelID(r) { // modelkinds.go
			break
		}
		r.Summary = "the model identifier is wrong for this call: " + detail
		r.Fix = in.modelIDFix()
	case LayerUnknown:
		if r.Summary == "" {
			r.Summary = "the evidence does not decide; see the checks that could not run"
		}
	}
}

func firstFailing(checks []Check, l Layer) string {
	for _, c := range checks {
		if c.Status == StatusFail && c.Layer == l && c.Name != CheckMessageParse {
			return c.Detail
		}
	}
	for _, c := range checks {
		if c.Status == StatusFail && c.Layer == l {
			return c.Detail
		}
	}
	return "see the checks"
}

func countStatus(checks []Check, s Status) int {
	n := 0
	for _, c := range checks {
		if c.Status == s {
			n++
		}
	}
	return n
}

func regionsOf(arns []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, a := range arns {
		p, err := arn.Parse(a)
		if err != nil {
			continue
		}
		reg := p.Region
		if reg == "" {
			reg = "unspecified"
		}
		if !seen[reg] {
			seen[reg] = true
			out = append(out, reg)
		}
	}
	return out
}

// withDeniedResource adds the resource the denial names when the expansion
// lacks it (the checks could not see the profile's destinations): the fix
// must cover at least what AWS refused.
func (in *inquiry) withDeniedResource(legs []resourceLeg, r *Report) []resourceLeg {
	if r.Resource == "" || r.Resource == "*" {
		return legs
	}
	action := r.Action
	if action == "" || !strings.HasPrefix(action, "bedrock:") && !hasLegAction(legs, action) { // routed.go
		action = in.action
	}
	for _, l := range legs {
		if l.resource == r.Resource && l.action == action {
			return legs
		}
	}
	ctx := map[string]string{}
	if strings.Contains(r.Resource, ":foundation-model/") && len(legs) > 0 {
		if p := legs[0].resource; strings.Contains(p, "inference-profile/") {
			ctx["bedrock:InferenceProfileArn"] = p
		}
	}
	return append(legs, resourceLeg{action, r.Resource, ctx})
}

// routingNote explains, for a cross-region inference profile, which regions
// an organization's region-deny policy must allow.
func (in *inquiry) routingNote() string {
	switch in.model.Kind {
	case bedrockid.KindInferenceProfile, bedrockid.KindApplicationInferenceProfile:
	default:
		return ""
	}
	regions := regionsOf(in.ev.destinations)
	if len(regions) == 0 {
		return "A region-deny SCP must allow every destination region of the inference profile (\"unspecified\" for a global profile)."
	}
	return "The inference profile routes to " + strings.Join(regions, ", ") + ": a region-deny SCP must allow every one of them (aws:RequestedRegion \"unspecified\" for the region-less global leg)."
}
