package diagnose

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/bedrock"
	bedrocktypes "github.com/aws/aws-sdk-go-v2/service/bedrock/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/bedrockdoctor/bedrockdoctor/internal/bedrockid"
	"github.com/bedrockdoctor/bedrockdoctor/internal/iampolicy"
)

// sourcePolicyARN is the ARN the IAM simulator takes for the source
// principal: a user as is, a role session as its role (without the role's
// path, which session ARNs drop; see sourceRole).
func sourcePolicyARN(principal string) (string, bool) {
	a, err := arn.Parse(principal)
	if err != nil {
		return "", false
	}
	if a.Service == "iam" && strings.HasPrefix(a.Resource, "user/") {
		return principal, true
	}
	role := roleOfSession(a)
	return role, role != ""
}

// sourceRole returns the role ARN behind a source session, with its path:
// session ARNs drop the path (SSO roles live under /aws-reserved/...), and
// both the simulator and trust policies need the exact ARN. It asks IAM in
// the source account once; exact is false when it had to guess the path.
func (in *inquiry) sourceRole(ctx context.Context, src identity) (roleARN string, exact bool) {
	in.sourceRoleOnce.Do(func() {
		guess, ok := sourcePolicyARN(src.arn)
		if !ok || !strings.Contains(src.arn, ":assumed-role/") {
			return
		}
		in.sourceRoleARN = guess
		out, err := iam.NewFromConfig(in.cfg).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(roleName(guess))})
		if err == nil && out.Role != nil && aws.ToString(out.Role.Arn) != "" {
			in.sourceRoleARN, in.sourceRoleExact = aws.ToString(out.Role.Arn), true
		}
	})
	return in.sourceRoleARN, in.sourceRoleExact
}

// sourceTags are the source principal's tags (aws:PrincipalTag/*), read
// with its own credentials; nil when they could not be read, and then a
// condition on them is unknown.
func (in *inquiry) sourceTags(ctx context.Context, src identity) map[string]string {
	if strings.Contains(src.arn, ":assumed-role/") {
		// A session's tags are its role's, overridden by session tags
		// the diagnosis cannot see: only a role without session tags is
		// certain, so stay unknown unless the session is the role's own.
		return nil
	}
	a, err := arn.Parse(src.arn)
	if err != nil || a.Service != "iam" || !strings.HasPrefix(a.Resource, "user/") {
		return nil
	}
	out, err := iam.NewFromConfig(in.cfg).GetUser(ctx, &iam.GetUserInput{UserName: aws.String(roleName(src.arn))})
	if err != nil || out.User == nil || aws.ToString(out.User.Arn) != src.arn {
		return nil
	}
	return tagMap(out.User.Tags)
}

// tagMap turns IAM tags into a map, never nil.
func tagMap(tags []iamtypes.Tag) map[string]string {
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

// assumeOptions is what the app passes to stscreds, read back.
func (in *inquiry) assumeOptions() stscreds.AssumeRoleOptions {
	var o stscreds.AssumeRoleOptions
	for _, fn := range in.t.AssumeRoleOptions {
		fn(&o)
	}
	return o
}

// assumeActions are the STS actions the app's AssumeRole call needs.
func (in *inquiry) assumeActions() []string {
	o := in.assumeOptions()
	actions := []string{"sts:AssumeRole"}
	if len(o.Tags) > 0 || len(o.TransitiveTagKeys) > 0 {
		actions = append(actions, "sts:TagSession")
	}
	if o.SourceIdentity != nil {
		actions = append(actions, "sts:SetSourceIdentity")
	}
	return actions
}

// checkSourcePolicy asks the IAM simulator, in the source account, whether
// the source principal's own policies allow assuming the role.
func (in *inquiry) checkSourcePolicy(ctx context.Context) {
	if in.t.RoleARN == "" {
		return
	}
	c := Check{Name: "source-policy.simulate", Layer: LayerSourcePolicy}
	in.mu.Lock()
	src, assumed := in.ev.source, in.ev.assumed
	in.mu.Unlock()
	switch {
	case assumed:
		c.Status, c.Detail = StatusPass, "the role was assumed: the source principal's policies allow it"
		in.add(c)
		return
	case src.arn == "":
		c.Status, c.Detail = StatusSkipped, "the source principal is unknown"
		in.add(c)
		return
	}
	policyARN, ok := sourcePolicyARN(src.arn)
	if !ok {
		c.Status, c.Detail = StatusUnknown, "the IAM simulator cannot take "+src.arn+" as a policy source"
		in.add(c)
		return
	}
	if resolved, _ := in.sourceRole(ctx, src); resolved != "" {
		policyARN = resolved
	}
	out, err := iam.NewFromConfig(in.cfg).SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String(policyARN),
		ActionNames:     in.assumeActions(),
		ResourceArns:    []string{in.t.RoleARN},
		// The region STS is called in is known; without it a source
		// policy scoped by region is read as a denial for a missing key.
		ContextEntries: contextEntries(map[string]string{"aws:RequestedRegion": orElse(in.cfg.Region, in.region)}),
	})
	if err != nil {
		c.Status, c.Detail = StatusUnknown, "iam:SimulatePrincipalPolicy failed: "+errText(err)
		c.Needs = "iam:SimulatePrincipalPolicy on " + policyARN + " (in account " + src.account + ")"
		in.add(c)
		return
	}
	roleAcct := accountOf(in.t.RoleARN)
	sameAccount := roleAcct == src.account
	sv := simulationVerdict(out.EvaluationResults, in.assumeActions(), []string{in.t.RoleARN}, nil)
	st, detail, org := sv.status, sv.detail, sv.org && sv.status == StatusFail
	in.setEv(func(e *evidence) {
		// What a fix of the source side must respect: a Deny, or an
		// allow that depends on condition keys.
		e.sourceExplicit = st == StatusFail && sv.explicit
		if st == StatusUnknown {
			e.sourceMissing = sv.missing
		}
	})
	switch {
	case st == StatusUnknown:
		c.Status, c.Detail = StatusUnknown, "the simulation of "+policyARN+"'s policies does not decide: "+detail
	case org:
		in.setEv(func(e *evidence) { e.orgDenied = true })
		c.Layer, c.Status = LayerOrgPolicy, StatusFail
		c.Detail = "a service control policy of the source account's organization denies " + detail
	case st == StatusFail && sameAccount && !strings.Contains(detail, "explicit"):
		// Same account: a trust policy naming the principal itself is
		// enough, so an identity policy without the allow is not proof.
		c.Status, c.Detail = StatusUnknown, policyARN+"'s own policies do not allow "+detail+"; within one account that is enough only if the trust policy names the principal itself"
	case st == StatusFail:
		c.Status, c.Detail = StatusFail, policyARN+"'s own policies do not allow "+detail
	default:
		c.Status, c.Detail = StatusPass, policyARN+"'s own policies allow "+strings.Join(in.assumeActions(), ", ")+" on "+in.t.RoleARN
	}
	in.add(c)
}

// simVerdict is what a simulation says, folded over actions and resources.
type simVerdict struct {
	status   Status
	detail   string // the denied action/resource pairs, with their reasons
	org      bool   // an SCP denied
	explicit bool   // a Deny statement matched
	boundary bool   // the permissions boundary did not allow
	// missing are the context keys the simulator said it lacked for a
	// decision that did not allow: the decision depends on them.
	missing []string
}

// simulationVerdict folds simulator results: fail when any action on any
// resource is denied, with which ones and why. It is unknown when the
// answer does not cover the want results asked for, carries a decision this
// reader does not know, or denies only for lack of context keys the
// diagnosis cannot supply (the real request may carry them).
func simulationVerdict(results []iamtypes.EvaluationResult, actions, resources []string, knownAbsent func(string) bool) simVerdict {
	v := simVerdict{status: StatusPass}
	var denied []string
	odd := false
	// Every action asked about must come back for every resource asked
	// about; results about anything else are not the answer.
	covered := map[string]bool{}
	asked := func(action, resource string) bool {
		return slices.ContainsFunc(actions, func(a string) bool { return strings.EqualFold(a, action) }) &&
			slices.Contains(resources, resource)
	}
	note := func(d iamtypes.PolicyEvaluationDecisionType, pb *iamtypes.PermissionsBoundaryDecisionDetail) {
		if d == iamtypes.PolicyEvaluationDecisionTypeExplicitDeny {
			v.explicit = true
		}
		if pb != nil && !pb.AllowedByPermissionsBoundary {
			v.boundary = true
		}
	}
	known := func(d iamtypes.PolicyEvaluationDecisionType) bool {
		switch d {
		case iamtypes.PolicyEvaluationDecisionTypeAllowed, iamtypes.PolicyEvaluationDecisionTypeExplicitDeny, iamtypes.PolicyEvaluationDecisionTypeImplicitDeny:
			return true
		}
		return false
	}
	for _, r := range results {
		action := aws.ToString(r.EvalActionName)
		if action == "" {
			odd = true
		}
		if r.OrganizationsDecisionDetail != nil && !r.OrganizationsDecisionDetail.AllowedByOrganizations {
			v.org = true
		}
		if len(r.ResourceSpecificResults) == 0 {
			if !asked(action, aws.ToString(r.EvalResourceName)) {
				continue
			}
			if !known(r.EvalDecision) {
				odd = true
				continue
			}
			covered[strings.ToLower(action)+" "+aws.ToString(r.EvalResourceName)] = true
			if r.EvalDecision != iamtypes.PolicyEvaluationDecisionTypeAllowed {
				note(r.EvalDecision, r.PermissionsBoundaryDecisionDetail)
				v.missing = append(v.missing, r.MissingContextValues...)
				denied = append(denied, fmt.Sprintf("%s (%s%s)", action, decisionWords(r.EvalDecision), statementNames(r.MatchedStatements)))
			}
			continue
		}
		for _, rr := range r.ResourceSpecificResults {
			if !asked(action, aws.ToString(rr.EvalResourceName)) {
				continue
			}
			if !known(rr.EvalResourceDecision) {
				odd = true
				continue
			}
			covered[strings.ToLower(action)+" "+aws.ToString(rr.EvalResourceName)] = true
			if rr.EvalResourceDecision != iamtypes.PolicyEvaluationDecisionTypeAllowed {
				note(rr.EvalResourceDecision, rr.PermissionsBoundaryDecisionDetail)
				v.missing = append(v.missing, rr.MissingContextValues...)
				v.missing = append(v.missing, r.MissingContextValues...)
				denied = append(denied, fmt.Sprintf("%s on %s (%s%s)", action, aws.ToString(rr.EvalResourceName), decisionWords(rr.EvalResourceDecision), statementNames(rr.MatchedStatements)))
			}
		}
	}
	for _, a := range actions {
		for _, res := range resources {
			if !covered[strings.ToLower(a)+" "+res] {
				odd = true
			}
		}
	}
	// A key the diagnosis knows the real request lacks is missing from the
	// real request too: the simulator's decision stands.
	if knownAbsent != nil {
		v.missing = slices.DeleteFunc(v.missing, knownAbsent)
	}
	slices.Sort(v.missing)
	v.missing = slices.Compact(v.missing)
	v.detail = strings.Join(denied, "; ")
	switch {
	case len(denied) > 0 && len(v.missing) > 0:
		// A deny for lack of keys is no evidence either way: the real
		// request carries keys the simulation did not (an absent key also
		// makes a negated condition of a Deny match).
		v.status = StatusUnknown
		v.detail += "; the decision depends on " + strings.Join(v.missing, ", ") + ", which the diagnosis cannot know"
	case len(denied) > 0:
		v.status = StatusFail
	case odd:
		v.status = StatusUnknown
		v.detail = "the simulator's answer does not cover what was asked"
	}
	return v
}

// statementNames names the policies whose statements decided a deny, as the
// simulator reports them (for a deny, only the deny statements appear).
func statementNames(stmts []iamtypes.Statement) string {
	var names []string
	for _, st := range stmts {
		if id := aws.ToString(st.SourcePolicyId); id != "" && !slices.Contains(names, id) {
			names = append(names, id)
		}
	}
	if len(names) == 0 {
		return ""
	}
	return " by " + strings.Join(names, ", ")
}

func decisionWords(d iamtypes.PolicyEvaluationDecisionType) string {
	switch d {
	case iamtypes.PolicyEvaluationDecisionTypeExplicitDeny:
		return "explicit deny"
	case iamtypes.PolicyEvaluationDecisionTypeImplicitDeny:
		return "no statement allows it"
	}
	return string(d)
}

// checkTrustPolicy reads the role's trust policy in the target account and
// evaluates it locally against the source principal and the app's AssumeRole
// parameters.
func (in *inquiry) checkTrustPolicy(ctx context.Context) {
	if in.t.RoleARN == "" {
		return
	}
	c := Check{Name: "trust-policy.evaluate", Layer: LayerTrustPolicy}
	in.mu.Lock()
	src, assumed := in.ev.source, in.ev.assumed
	in.mu.Unlock()
	if assumed {
		c.Status, c.Detail = StatusPass, "the role was assumed: its trust policy accepts "+orElse(src.arn, "the source principal")
		in.add(c)
		return
	}
	roleAcct := accountOf(in.t.RoleARN)
	var cfg aws.Config
	switch {
	case in.hasDiag:
		// A NoSuchEntity from credentials in another account says nothing
		// about the role: check where the diagnostic credentials are.
		if acct, err := in.diagAccount(ctx); err != nil || acct != roleAcct {
			c.Status = StatusUnknown
			if err != nil {
				c.Detail = "the diagnostic credentials could not be identified: " + errText(err)
			} else {
				c.Detail = "the diagnostic credentials are in account " + acct + ", not in the role's account " + roleAcct + ": they cannot read its trust policy"
			}
			c.Needs = "iam:GetRole on " + in.t.RoleARN + ", through diagnostic credentials in account " + roleAcct
			in.add(c)
			return
		}
		cfg = in.diag
	case src.account != "" && src.account == roleAcct:
		cfg = in.cfg
	default:
		c.Status = StatusUnknown
		c.Detail = "the trust policy of " + in.t.RoleARN + " can only be read with credentials in account " + roleAcct
		c.Needs = "iam:GetRole on " + in.t.RoleARN + ", through credentials in account " + roleAcct + " (diagnose.Options.DiagnosticConfig)"
		in.add(c)
		return
	}
	name := roleName(in.t.RoleARN)
	out, err := iam.NewFromConfig(cfg).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	if err != nil {
		var nse *iamtypes.NoSuchEntityException
		if errors.As(err, &nse) {
			c.Status, c.Detail = StatusFail, "the role "+in.t.RoleARN+" does not exist"
		} else {
			c.Status, c.Detail = StatusUnknown, "iam:GetRole failed: "+errText(err)
			c.Needs = "iam:GetRole on " + in.t.RoleARN
		}
		in.add(c)
		return
	}
	if out.Role == nil {
		c.Status, c.Detail = StatusUnknown, "iam:GetRole answered without the role"
		in.add(c)
		return
	}
	if got := aws.ToString(out.Role.Arn); got != "" && got != in.t.RoleARN {
		c.Status, c.Detail = StatusFail, "the role's ARN is "+got+", not "+in.t.RoleARN+" (a path differs)"
		in.add(c)
		return
	}
	doc := aws.ToString(out.Role.AssumeRolePolicyDocument)
	pol, err := iampolicy.Parse(doc)
	if err != nil {
		c.Status, c.Detail = StatusUnknown, "the trust policy could not be read: "+err.Error()
		in.add(c)
		return
	}
	if src.arn == "" {
		c.Status, c.Detail = StatusUnknown, "the trust policy was read but the source principal is unknown"
		in.add(c)
		return
	}
	trust := iampolicy.NamedPolicy{Name: "trust policy of " + in.t.RoleARN, Type: iampolicy.TypeTrust, Policy: pol}
	var denied, depends []string
	for _, action := range in.assumeActions() {
		res := iampolicy.Evaluate(in.trustRequest(ctx, src, action, pol), iampolicy.PolicySet{Resource: []iampolicy.NamedPolicy{trust}})
		switch {
		case typeUndetermined(res, iampolicy.TypeTrust):
			depends = append(depends, action+" "+dependsOn(res))
		case typeDecision(res, iampolicy.TypeTrust) != iampolicy.Allow:
			denied = append(denied, action)
		}
	}
	_, exact := in.sourceRole(ctx, src)
	var unmet []string
	if len(denied) > 0 {
		unmet = in.unmetTrustConditions(ctx, src, pol)
	}
	switch {
	case len(depends) > 0 && len(denied) == 0:
		// Whether the trust policy accepts the source turns on a key the
		// diagnosis cannot know (an organization id, a tag it could not
		// read, the network path): no claim either way.
		c.Status = StatusUnknown
		c.Detail = "whether the trust policy of " + in.t.RoleARN + " accepts " + src.arn + " " + strings.Join(depends, "; ")
		c.Needs = "iam:GetUser (or iam:GetRole) on the source principal for its tags; the organization id cannot be read by the diagnosis"
	case len(denied) > 0 && len(unmet) > 0:
		// The principal is trusted; a condition of the statement that
		// trusts it fails for the app's AssumeRole parameters.
		c.Status = StatusFail
		c.Detail = "the trust policy of " + in.t.RoleARN + " trusts " + src.arn + " only under conditions the app's AssumeRole does not meet: " + strings.Join(unmet, "; ")
		in.setEv(func(e *evidence) { e.unmetConditions = unmet })
	case len(denied) > 0 && strings.Contains(src.arn, ":assumed-role/") && !exact:
		// The session's role path is unknown; a trust policy naming the
		// role with its path would not match the guess, so no claim.
		c.Status = StatusUnknown
		c.Detail = "the trust policy of " + in.t.RoleARN + " does not match " + src.arn + " as far as can be told, but the source role's path could not be read"
		c.Needs = "iam:GetRole on the source role (in account " + src.account + ")"
	case len(denied) > 0:
		c.Status = StatusFail
		c.Detail = "the trust policy of " + in.t.RoleARN + " does not allow " + src.arn + " to " + strings.Join(denied, ", ")
	default:
		c.Status = StatusPass
		c.Detail = "the trust policy of " + in.t.RoleARN + " allows " + src.arn
	}
	in.add(c)
}

// diagAccount is the account of the diagnostic credentials, asked once.
func (in *inquiry) diagAccount(ctx context.Context) (string, error) {
	in.diagOnce.Do(func() {
		out, err := sts.NewFromConfig(in.diag).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			in.diagErr = err
			return
		}
		in.diagAcct = aws.ToString(out.Account)
	})
	return in.diagAcct, in.diagErr
}

// unmetTrustConditions tells "the principal is not trusted" from "it is
// trusted, but a condition fails": it evaluates the trust policy again with
// every condition removed and, when that allows, lists the conditions of the
// statements that name the principal, with what the app passed.
func (in *inquiry) unmetTrustConditions(ctx context.Context, src identity, pol *iampolicy.Policy) []string {
	var doc struct {
		Version   string
		Statement []map[string]any
	}
	if json.Unmarshal([]byte(pol.String()), &doc) != nil {
		return nil
	}
	for _, st := range doc.Statement {
		delete(st, "Condition")
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil
	}
	bare, err := iampolicy.Parse(string(raw))
	if err != nil {
		return nil
	}
	req := in.trustRequest(ctx, src, "sts:AssumeRole", pol)
	set := iampolicy.PolicySet{Resource: []iampolicy.NamedPolicy{{Name: "trust", Type: iampolicy.TypeTrust, Policy: bare}}}
	if typeDecision(iampolicy.Evaluate(req, set), iampolicy.TypeTrust) != iampolicy.Allow {
		return nil // not trusted at all: no condition to blame
	}
	var unmet []string
	for _, st := range pol.Statements {
		if st.Effect != "Allow" || len(st.Condition) == 0 {
			continue
		}
		for _, cond := range st.Condition {
			got, ok := req.Context[cond.Key]
			if !ok {
				for k, v := range req.Context {
					if strings.EqualFold(k, cond.Key) {
						got, ok = v, true
					}
				}
			}
			passed := "the app passes none"
			if ok {
				passed = "the app passes " + strings.Join(got, ", ")
			}
			unmet = append(unmet, fmt.Sprintf("%s %s %s (%s)", cond.Operator, cond.Key, strings.Join(cond.Values, ", "), passed))
		}
	}
	return unmet
}

func typeDecision(res iampolicy.Result, typ iampolicy.PolicyType) iampolicy.Decision {
	for _, tr := range res.Types {
		if tr.Type == typ {
			return tr.Decision
		}
	}
	return iampolicy.ImplicitDeny
}

// trustRequest is the AssumeRole request the app makes, as the trust policy
// sees it: an open request, with what the diagnosis knows of it.
func (in *inquiry) trustRequest(ctx context.Context, src identity, action string, pol *iampolicy.Policy) iampolicy.Request {
	o := in.assumeOptions()
	p := iampolicy.Principal{ARN: src.arn, Account: src.account}
	if strings.Contains(src.arn, ":assumed-role/") {
		p.RoleARN, _ = in.sourceRole(ctx, src)
	}
	if id, _, _ := strings.Cut(src.userID, ":"); id != "" {
		p.UniqueID = id
	}
	in.sourceTagsOnce.Do(func() { in.sourceTagsRead = in.sourceTags(ctx, src) })
	p.Tags = in.sourceTagsRead
	k := newKnownContext()
	// STS is called in the base config's region.
	k.set("aws:RequestedRegion", orElse(in.cfg.Region, in.region))
	// What the app passes to AssumeRole is known, and so is what it does
	// not pass.
	k.absent = []string{"sts:externalid", "sts:sourceidentity", "aws:requesttag/", "aws:tagkeys", "sts:transitivetagkeys"}
	if o.ExternalID != nil {
		k.set("sts:ExternalId", *o.ExternalID)
	}
	if o.RoleSessionName != "" {
		k.set("sts:RoleSessionName", o.RoleSessionName)
	}
	if o.SourceIdentity != nil {
		k.set("sts:SourceIdentity", *o.SourceIdentity)
	}
	switch {
	case o.SerialNumber != nil:
		k.set("aws:MultiFactorAuthPresent", "true")
	case strings.Contains(src.arn, ":user/") && !in.baseHasSessionToken(ctx):
		// A request signed with a user's long-term access keys carries no
		// MFA (GetSessionToken credentials may: they have a token).
		k.absent = append(k.absent, "aws:multifactorauthpresent", "aws:multifactorauthage")
	}
	if len(o.Tags) > 0 {
		var tagKeys []string
		for _, tag := range o.Tags {
			key := aws.ToString(tag.Key)
			tagKeys = append(tagKeys, key)
			k.set("aws:RequestTag/"+key, aws.ToString(tag.Value))
		}
		k.set("aws:TagKeys", tagKeys...)
	}
	return k.request(p, action, in.t.RoleARN, accountOf(in.t.RoleARN), pol)
}

// baseHasSessionToken reports base credentials that are temporary (and so
// may carry MFA context), or that could not be read.
func (in *inquiry) baseHasSessionToken(ctx context.Context) bool {
	if in.cfg.Credentials == nil {
		return true
	}
	creds, err := in.cfg.Credentials.Retrieve(ctx)
	return err != nil || creds.SessionToken != ""
}

// typeUndetermined reports that one policy type's verdict depends on keys
// the diagnosis cannot know.
func typeUndetermined(res iampolicy.Result, typ iampolicy.PolicyType) bool {
	for _, tr := range res.Types {
		if tr.Type == typ {
			return tr.Undetermined
		}
	}
	return false
}

// targetAccount is the account whose Bedrock is called.
func (in *inquiry) targetAccount() string {
	if in.t.RoleARN != "" {
		return accountOf(in.t.RoleARN)
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.ev.source.account
}

// checkModel resolves the model in the target region: does it exist here,
// may it be invoked on demand, and where does a profile route.
func (in *inquiry) checkModel(ctx context.Context) {
	if in.t.ModelID == "" {
		return
	}
	c := Check{Name: "model.resolve", Layer: LayerModelID}
	if in.modelErr != nil {
		c.Status, c.Detail = StatusFail, in.modelErr.Error()
		in.setEv(func(e *evidence) { e.modelIDOK = StatusFail })
		in.add(c)
		return
	}
	if in.model.IsARN && in.model.Region != "" && in.model.Region != in.region {
		c.Layer, c.Status = LayerRegion, StatusFail
		c.Detail = "the model ARN is in " + in.model.Region + " but the client calls " + in.region
		in.setEv(func(e *evidence) { e.regionOK = StatusFail })
		in.add(c)
		return
	}
	br := bedrock.NewFromConfig(in.withCreds(in.targetCreds()))
	switch in.model.Kind {
	case bedrockid.KindFoundationModel:
		out, err := br.GetFoundationModel(ctx, &bedrock.GetFoundationModelInput{ModelIdentifier: aws.String(in.t.ModelID)})
		if err != nil {
			in.modelLookupFailed(&c, err, "bedrock:GetFoundationModel")
			if c.Status == StatusFail && c.Layer == LayerModelID {
				in.elsewhere(ctx, &c)
			}
			in.add(c)
			return
		}
		md := out.ModelDetails
		if md == nil {
			c.Status, c.Detail = StatusUnknown, "bedrock:GetFoundationModel answered without the model's details"
			in.add(c)
			return
		}
		onDemand, known := false, len(md.InferenceTypesSupported) > 0
		for _, it := range md.InferenceTypesSupported {
			switch it {
			case bedrocktypes.InferenceTypeOnDemand:
				onDemand = true
			case bedrocktypes.InferenceTypeProvisioned, "INFERENCE_PROFILE":
				// INFERENCE_PROFILE is what AWS lists for models callable
				// only through a profile; the SDK's enum predates it.
			default:
				known = false // a type this reader does not know might allow it
			}
		}
		switch {
		case !onDemand && !known:
			c.Status, c.Detail = StatusUnknown, "bedrock:GetFoundationModel did not say how "+in.t.ModelID+" may be invoked (inference types "+quoteCapped(fmt.Sprint(md.InferenceTypesSupported), 120)+")"
		case !onDemand:
			c.Status = StatusFail
			c.Detail = in.t.ModelID + " cannot be invoked on demand in " + in.region + "; it must be called through an inference profile"
			// Name a profile only when the catalog has it.
			if ids := in.catalogProfiles(ctx, in.model.BaseModelID); len(ids) > 0 {
				c.Detail += " such as " + strings.Join(ids, " or ")
			}
			in.setEv(func(e *evidence) { e.modelIDOK = StatusFail })
		case md.ModelLifecycle != nil && md.ModelLifecycle.Status == bedrocktypes.FoundationModelLifecycleStatusLegacy:
			// Accounts that have not used a Legacy model in the last 15
			// days lose access (AWS.md §6.8); whether this one still has
			// it, no read says.
			c.Status = StatusUnknown
			c.Detail = in.t.ModelID + " exists in " + in.region + " but is LEGACY: accounts that have not used it in the last 15 days lose access, and whether account " + in.targetAccount() + " still has it is not known"
			in.setEv(func(e *evidence) { e.regionOK = StatusPass })
		default:
			c.Status, c.Detail = StatusPass, in.t.ModelID+" is offered on demand in "+in.region
			in.setEv(func(e *evidence) { e.modelIDOK = StatusPass; e.regionOK = StatusPass })
		}
	case bedrockid.KindInferenceProfile, bedrockid.KindApplicationInferenceProfile:
		if p := in.model.GeoPrefix; p != "" && confirmedGeo(p) && !bedrockid.ProfileServesRegion(p, in.region) {
			// The identifier and the client's region decide: a geographic
			// profile is callable only from its geography's regions.
			c.Layer, c.Status = LayerRegion, StatusFail
			c.Detail = "the inference profile prefix " + p + ". does not serve " + in.region + ": a geographic profile can only be called from the regions of its geography"
			in.setEv(func(e *evidence) { e.regionOK = StatusFail })
			break
		}
		out, err := br.GetInferenceProfile(ctx, &bedrock.GetInferenceProfileInput{InferenceProfileIdentifier: aws.String(in.t.ModelID)})
		if err != nil {
			in.modelLookupFailed(&c, err, "bedrock:GetInferenceProfile")
			in.add(c)
			return
		}
		dests, ok := profileDestinations(out.Models)
		if !ok || !validProfileARN(aws.ToString(out.InferenceProfileArn)) {
			// Destinations are what the role must be allowed; ones that
			// are missing or not foundation-model ARNs prove nothing.
			c.Status, c.Detail = StatusUnknown, "bedrock:GetInferenceProfile answered without a usable profile ARN and destination models"
			in.add(c)
			return
		}
		c.Status = StatusPass
		c.Detail = "inference profile " + aws.ToString(out.InferenceProfileArn) + " routes to " + strings.Join(dests, ", ")
		in.setEv(func(e *evidence) {
			e.modelIDOK, e.regionOK = StatusPass, StatusPass
			e.destinations, e.profileARN = dests, aws.ToString(out.InferenceProfileArn)
		})
	case bedrockid.KindProvisionedModel, bedrockid.KindCustomModel, bedrockid.KindCustomModelDeployment, bedrockid.KindImportedModel:
		in.resolveOwnedKind(ctx, &c, br) // modelkinds.go
	case bedrockid.KindPromptRouter, bedrockid.KindDefaultPromptRouter, bedrockid.KindPrompt, bedrockid.KindMarketplaceEndpoint:
		in.resolveRouted(ctx, br, &c) // routed.go
	default:
		c.Status, c.Detail = StatusSkipped, "a "+in.model.Kind.String()+" is not resolved by the checks"
	}
	in.add(c)
}

// catalogProfiles lists the ids of the system-defined inference profiles
// the catalog offers in the client's region for a foundation model
// (bedrock:ListInferenceProfiles), the client's geography first; nil when
// there is none or the catalog could not be read. Suggestions come from
// here only: a profile id is never made up from a prefix and a model id.
func (in *inquiry) catalogProfiles(ctx context.Context, base string) []string {
	if base == "" {
		return nil
	}
	in.catalogOnce.Do(func() {
		br := bedrock.NewFromConfig(in.withCreds(in.targetCreds()))
		p := bedrock.NewListInferenceProfilesPaginator(br, &bedrock.ListInferenceProfilesInput{TypeEquals: bedrocktypes.InferenceProfileTypeSystemDefined})
		for pages := 0; p.HasMorePages() && pages < 10; pages++ {
			page, err := p.NextPage(ctx)
			if err != nil {
				return
			}
			in.catalog = append(in.catalog, page.InferenceProfileSummaries...)
		}
	})
	suffix := ":foundation-model/" + base
	var ids []string
	for _, s := range in.catalog {
		id := aws.ToString(s.InferenceProfileId)
		if id == "" || s.Status != bedrocktypes.InferenceProfileStatusActive {
			continue
		}
		for _, m := range s.Models {
			if strings.HasSuffix(aws.ToString(m.ModelArn), suffix) && !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	geo := bedrockid.ProfilePrefixForRegion(in.region) + "."
	slices.SortStableFunc(ids, func(a, b string) int {
		rank := func(s string) int {
			switch {
			case strings.HasPrefix(s, geo):
				return 0
			case strings.HasPrefix(s, "global."):
				return 1
			}
			return 2
		}
		return rank(a) - rank(b)
	})
	in.setEv(func(e *evidence) { e.profileSuggestions = ids })
	return ids
}

// maxDestinations bounds a profile's destinations: real profiles route to a
// handful of regions (a global one to every commercial region); more is not
// an answer to act on.
const maxDestinations = 64

// profileDestinations reads a profile's destination models: every one a
// foundation-model ARN, at least one, at most maxDestinations.
func profileDestinations(models []bedrocktypes.InferenceProfileModel) ([]string, bool) {
	if len(models) == 0 || len(models) > maxDestinations {
		return nil, false
	}
	dests := make([]string, 0, len(models))
	for _, m := range models {
		a, err := arn.Parse(aws.ToString(m.ModelArn))
		if err != nil || a.Service != "bedrock" || !strings.HasPrefix(a.Resource, "foundation-model/") ||
			(a.Region != "" && bedrockid.PartitionForRegion(a.Region) != a.Partition) || !plausibleRegion(a.Region) {
			return nil, false
		}
		dests = append(dests, aws.ToString(m.ModelArn))
	}
	return dests, true
}

// validProfileARN reports an inference-profile ARN.
func validProfileARN(s string) bool {
	a, err := arn.Parse(s)
	return err == nil && a.Service == "bedrock" && (strings.HasPrefix(a.Resource, "inference-profile/") || strings.HasPrefix(a.Resource, "application-inference-profile/"))
}

// plausibleRegion accepts "" (a global profile's region-less model) and
// region-shaped names (letters, dashes, a trailing number).
func plausibleRegion(r string) bool {
	if r == "" {
		return true
	}
	return isRegion(r)
}

// modelLookupFailed turns a failed Get* into the check's finding.
func (in *inquiry) modelLookupFailed(c *Check, err error, action string) {
	var apiErr smithy.APIError
	code := ""
	if errors.As(err, &apiErr) {
		code = apiErr.ErrorCode()
	}
	switch code {
	case "ResourceNotFoundException", "ValidationException":
		if p := in.model.GeoPrefix; p != "" && confirmedGeo(p) && !bedrockid.ProfileServesRegion(p, in.region) {
			c.Layer, c.Status = LayerRegion, StatusFail
			c.Detail = "the inference profile prefix " + p + ". does not serve " + in.region
			in.setEv(func(e *evidence) { e.regionOK = StatusFail })
			return
		}
		c.Status = StatusFail
		c.Detail = in.t.ModelID + " is not offered in " + in.region + " (" + code + ": " + errText(err) + "): the id is wrong, retired, or the model is not in this region"
		in.setEv(func(e *evidence) { e.modelIDOK = StatusFail })
	default:
		c.Status, c.Detail = StatusUnknown, action+" failed: "+errText(err)
		c.Needs = action
	}
}

// elsewhere looks a foundation model missing from the client's region up in
// every other Bedrock region of the partition (the largest catalogs first,
// the rest only when those do not have it): found anywhere, the finding is
// region. model-id stands only when every region answered that it does not
// know the model; when a lookup could not answer (an SCP denying the
// region, throttling, a fault) and none found it, the check cannot tell the
// two apart and is unknown.
func (in *inquiry) elsewhere(ctx context.Context, c *Check) {
	var regions []string
	for _, r := range bedrockid.Regions(in.partition) {
		if r != in.region {
			regions = append(regions, r)
		}
	}
	if len(regions) == 0 {
		in.notDecidedElsewhere(c, "no other Bedrock region of the partition "+in.partition+" is known")
		return
	}
	const first = 3
	tiers := [][]string{regions[:min(first, len(regions))], regions[min(first, len(regions)):]}
	var failures []string
	for _, tier := range tiers {
		if len(tier) == 0 {
			continue
		}
		found, failed := in.lookupIn(ctx, tier)
		failures = append(failures, failed...)
		if found != "" {
			c.Layer = LayerRegion
			c.Detail = in.t.ModelID + " is offered in " + found + " but not in " + in.region
			in.setEv(func(e *evidence) { e.regionOK, e.modelIDOK = StatusFail, StatusPass })
			return
		}
	}
	if len(failures) > 0 {
		in.notDecidedElsewhere(c, fmt.Sprintf("%d of the lookups in the %d other regions got no answer, e.g. %s", len(failures), len(regions), failures[0]))
		return
	}
	c.Detail += "; no other Bedrock region of the partition offers it either"
}

// notDecidedElsewhere leaves model.resolve undecided between model-id and
// region.
func (in *inquiry) notDecidedElsewhere(c *Check, why string) {
	c.Status = StatusUnknown
	c.Detail = in.t.ModelID + " is not offered in " + in.region + "; whether it is offered in another region (region) or nowhere (model-id) is not known: " + why
	c.Needs = "bedrock:GetFoundationModel in the other Bedrock regions"
	in.setEv(func(e *evidence) { e.modelIDOK = "" })
}

// lookupIn asks each region, concurrently, for the base model: the first
// region that has it, and the lookups that got no answer either way.
func (in *inquiry) lookupIn(ctx context.Context, regions []string) (found string, failures []string) {
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	for _, ref := range regions {
		wg.Go(func() {
			defer func() {
				if v := recover(); v != nil {
					mu.Lock()
					failures = append(failures, fmt.Sprintf("%s: the lookup failed internally (panic: %v)", ref, v))
					mu.Unlock()
				}
			}()
			cfg := in.withCreds(in.targetCreds())
			cfg.Region = ref
			_, err := bedrock.NewFromConfig(cfg).GetFoundationModel(ctx, &bedrock.GetFoundationModelInput{ModelIdentifier: aws.String(in.model.BaseModelID)})
			mu.Lock()
			defer mu.Unlock()
			var apiErr smithy.APIError
			switch {
			case err == nil:
				if found == "" || slices.Index(regions, ref) < slices.Index(regions, found) {
					found = ref
				}
			case errors.As(err, &apiErr) && (apiErr.ErrorCode() == "ResourceNotFoundException" || apiErr.ErrorCode() == "ValidationException"):
				// This region does not know it: evidence for model-id.
			default:
				failures = append(failures, ref+": "+errText(err))
			}
		})
	}
	wg.Wait()
	slices.Sort(failures)
	return found, failures
}

// checkAvailability asks Bedrock whether the target account may use the
// model in the region (agreement, entitlement, authorization, region).
func (in *inquiry) checkAvailability(ctx context.Context) {
	base := in.model.BaseModelID
	if in.modelErr != nil || base == "" {
		return
	}
	c := Check{Name: "model-access.availability", Layer: LayerModelAccess}
	br := bedrock.NewFromConfig(in.withCreds(in.targetCreds()))
	out, err := br.GetFoundationModelAvailability(ctx, &bedrock.GetFoundationModelAvailabilityInput{ModelId: aws.String(base)})
	if err != nil {
		c.Status, c.Detail = StatusUnknown, "bedrock:GetFoundationModelAvailability failed: "+errText(err)
		c.Needs = "bedrock:GetFoundationModelAvailability"
		in.add(c)
		return
	}
	if out.AgreementAvailability == nil && out.AuthorizationStatus == "" && out.EntitlementAvailability == "" && out.RegionAvailability == "" {
		c.Status, c.Detail = StatusUnknown, "bedrock:GetFoundationModelAvailability answered without any availability field"
		in.add(c)
		return
	}
	var problems []string
	problem := ""
	note := func(p string) {
		if problem == "" {
			problem = p
		}
	}
	// Only the documented negative values deny, and only documented
	// positive values clear: a value this reader does not know, or a field
	// left out, proves nothing either way.
	unclear := !knownValue(string(out.AuthorizationStatus), bedrocktypes.AuthorizationStatus("").Values()) ||
		!knownValue(string(out.EntitlementAvailability), bedrocktypes.EntitlementAvailability("").Values()) ||
		!knownValue(string(out.RegionAvailability), bedrocktypes.RegionAvailability("").Values()) ||
		out.AgreementAvailability == nil || !knownValue(string(out.AgreementAvailability.Status), bedrocktypes.AgreementStatus("").Values())
	if a := out.AgreementAvailability; a != nil && (a.Status == bedrocktypes.AgreementStatusPending || a.Status == bedrocktypes.AgreementStatusError) {
		p := "agreement " + string(out.AgreementAvailability.Status)
		if m := aws.ToString(out.AgreementAvailability.ErrorMessage); m != "" {
			p += " (" + m + ")"
		}
		problems = append(problems, p)
		if a.Status == bedrocktypes.AgreementStatusError && strings.Contains(strings.ToLower(aws.ToString(a.ErrorMessage)), "marketplace") {
			note(accessMarketplace)
		}
		note(accessEnable)
	}
	if out.AuthorizationStatus == bedrocktypes.AuthorizationStatusNotAuthorized {
		problems = append(problems, "authorization NOT_AUTHORIZED")
		if strings.HasPrefix(base, "anthropic.") {
			// Anthropic models are authorized by the account's use-case
			// form.
			note(accessUseCase)
		}
		note(accessEnable)
	}
	if out.EntitlementAvailability == bedrocktypes.EntitlementAvailabilityNotAvailable {
		problems = append(problems, "entitlement NOT_AVAILABLE")
		note(accessEnable)
	}
	acct := in.targetAccount()
	switch {
	case out.RegionAvailability == bedrocktypes.RegionAvailabilityNotAvailable:
		c.Layer, c.Status = LayerRegion, StatusFail
		c.Detail = base + " is not available in " + in.region
		in.setEv(func(e *evidence) { e.regionOK = StatusFail })
	case len(problems) > 0:
		c.Status = StatusFail
		c.Detail = base + " is not enabled for account " + acct + " in " + in.region + ": " + strings.Join(problems, ", ")
		in.setEv(func(e *evidence) { e.modelAccess, e.accessProblem = StatusFail, problem })
	case unclear:
		c.Status = StatusUnknown
		c.Detail = fmt.Sprintf("bedrock:GetFoundationModelAvailability answered with values this diagnosis does not know or without some of them (agreement %v, authorization %q, entitlement %q, region %q)",
			out.AgreementAvailability != nil, out.AuthorizationStatus, out.EntitlementAvailability, out.RegionAvailability)
	case out.AgreementAvailability.Status == bedrocktypes.AgreementStatusNotAvailable:
		// Not subscribed yet: a Marketplace model's first invoke subscribes
		// the account, if the invoking principal may (AWS.md §6.7). That is
		// the question, not the missing agreement.
		in.firstUseSubscription(ctx, &c, base, acct)
	default:
		c.Status, c.Detail = StatusPass, base+" is available to account "+acct+" in "+in.region
		in.setEv(func(e *evidence) { e.modelAccess = StatusPass })
	}
	in.add(c)
}

// knownValue reports a value among an SDK enum's documented values.
func knownValue[T ~string](v string, values []T) bool {
	for _, x := range values {
		if string(x) == v {
			return true
		}
	}
	return false
}

// marketplaceActions are what the first invoke of a Marketplace model needs
// to subscribe the account (AWS.md §6.7).
var marketplaceActions = []string{"aws-marketplace:Subscribe", "aws-marketplace:ViewSubscriptions"}

// firstUseSubscription decides a model the account has not subscribed to
// yet: it works on first use when the invoking role may subscribe, and
// fails once the first use could not.
func (in *inquiry) firstUseSubscription(ctx context.Context, c *Check, base, acct string) {
	head := base + " has no agreement in account " + acct + " yet (not subscribed); the first invoke subscribes the account"
	if in.t.RoleARN == "" {
		c.Status, c.Detail = StatusUnknown, head+" if the invoking principal may "+strings.Join(marketplaceActions, " and ")
		return
	}
	out, err := in.iamTarget().SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String(in.t.RoleARN),
		ActionNames:     marketplaceActions,
		ResourceArns:    []string{"*"},
		ContextEntries:  contextEntries(map[string]string{"aws:RequestedRegion": in.region}),
	})
	if err != nil {
		c.Status, c.Detail = StatusUnknown, head+" if the role may "+strings.Join(marketplaceActions, " and ")+"; the simulation failed: "+errText(err)
		c.Needs = "iam:SimulatePrincipalPolicy on " + in.t.RoleARN
		return
	}
	sv := simulationVerdict(out.EvaluationResults, marketplaceActions, []string{"*"}, nil)
	switch sv.status {
	case StatusPass:
		c.Status, c.Detail = StatusPass, head+", and the role may subscribe"
		in.setEv(func(e *evidence) { e.modelAccess = StatusPass })
	case StatusFail:
		c.Status, c.Detail = StatusFail, head+", but the role may not: "+sv.detail
		in.setEv(func(e *evidence) { e.modelAccess, e.accessProblem = StatusFail, accessMarketplace })
	default:
		c.Status, c.Detail = StatusUnknown, head+"; whether the role may subscribe is not known: "+sv.detail
	}
}

// resourceLeg is one authorization Bedrock makes for the call: an action on
// a resource, and the request context it is evaluated with.
type resourceLeg struct {
	action   string
	resource string
	context  map[string]string
}

// expansion lists every authorization the call needs: the model or profile
// in the source region, for a profile each destination's foundation model
// with the profile ARN in context (AWS.md §6.6), and the guardrail the call
// applies (bedrock:ApplyGuardrail, AWS.md §6.4).
func (in *inquiry) expansion() []resourceLeg {
	acct := in.targetAccount()
	in.mu.Lock()
	dests, profileARN := in.ev.destinations, in.ev.profileARN
	in.mu.Unlock()
	src := map[string]string{"aws:RequestedRegion": in.region}
	var legs []resourceLeg
	switch in.model.Kind {
	case bedrockid.KindUnknown:
	case bedrockid.KindProvisionedModel, bedrockid.KindCustomModel, bedrockid.KindCustomModelDeployment, bedrockid.KindImportedModel:
		legs = in.ownedKindLegs(legs, src) // modelkinds.go
	case bedrockid.KindInferenceProfile, bedrockid.KindApplicationInferenceProfile:
		if profileARN == "" {
			profileARN = in.model.ARN(in.partition, in.region, acct)
		}
		legs = append(legs, resourceLeg{in.action, profileARN, src})
		if len(dests) == 0 && in.model.BaseModelID != "" {
			dests = []string{bedrockid.FoundationModelARN(in.partition, in.region, in.model.BaseModelID)}
		}
		for _, d := range dests {
			region := "unspecified" // the region-less global foundation-model ARN
			if a, err := arn.Parse(d); err == nil && a.Region != "" {
				region = a.Region
			}
			legs = append(legs, resourceLeg{in.action, d, map[string]string{"aws:RequestedRegion": region, "bedrock:InferenceProfileArn": profileARN}})
		}
	case bedrockid.KindPromptRouter, bedrockid.KindDefaultPromptRouter, bedrockid.KindPrompt, bedrockid.KindMarketplaceEndpoint:
		legs = append(legs, in.routedLegs(acct, src)...) // routed.go
	default:
		legs = append(legs, resourceLeg{in.action, in.model.ARN(in.partition, in.region, acct), src})
	}
	legs = append(legs, in.asyncLegs()...) // StartAsyncInvoke's output (routed.go)
	if g := in.t.GuardrailID; g != "" {
		guardrailARN := g
		if !strings.HasPrefix(g, "arn:") {
			guardrailARN = fmt.Sprintf("arn:%s:bedrock:%s:%s:guardrail/%s", in.partition, in.region, acct, g)
		}
		legs = append(legs, resourceLeg{"bedrock:ApplyGuardrail", guardrailARN, src})
	}
	return legs
}

// roleVerdict is what one way of checking the role's permissions found.
type roleVerdict struct {
	check      Check
	decided    bool // the check ran to a verdict (pass or fail)
	deniedARNs []string
	org        bool
	kind       rolePolicyKind
	denies     []string // the Deny statements that matched, named
}

// checkRolePermissions asks whether the role's policies allow the action on
// every ARN of the expansion two ways at once: AWS's simulator (which also
// sees SCPs), and a local evaluation of the role's policies where they are
// readable (which names the statements). The simulator's verdict wins; the
// local one decides when the simulator may not run. The app's session policy
// is evaluated locally (the simulator cannot see it).
func (in *inquiry) checkRolePermissions(ctx context.Context) {
	legs := in.expansion()
	if len(legs) == 0 {
		return
	}
	policySource := in.t.RoleARN
	if policySource == "" {
		// The base credentials call Bedrock themselves (AppendDiagnosis):
		// check their own principal, by its exact ARN where known.
		in.mu.Lock()
		src := in.ev.source
		in.mu.Unlock()
		var ok bool
		if policySource, ok = sourcePolicyARN(src.arn); !ok {
			return
		}
		switch {
		case in.call.RoleARN != "" && SessionOfRole(src.arn, in.call.RoleARN):
			policySource = in.call.RoleARN
		case strings.Contains(src.arn, ":assumed-role/"):
			policySource, _ = in.sourceRole(ctx, src)
		}
	}
	client := in.iamTarget()
	var sim, local roleVerdict
	var wg sync.WaitGroup
	wg.Go(func() {
		in.guard("role-permissions.simulate", LayerRolePermissions, func() { sim = in.simulateLegs(ctx, client, policySource, legs) })
	})
	isRole := strings.Contains(policySource, ":role/")
	if isRole {
		wg.Go(func() {
			in.guard("role-permissions.evaluate", LayerRolePermissions, func() { local = in.evaluateLegs(ctx, client, policySource, legs) })
		})
	}
	wg.Wait()

	if in.destinationsUnread() {
		// A pass covers only the ARNs the checks could name: the profile
		// and a stand-in model in the client's region. The destinations
		// the profile really routes to were not read, so a pass proves
		// nothing about them.
		for _, v := range []*roleVerdict{&sim, &local} {
			if v.check.Status == StatusPass {
				v.check.Status, v.decided = StatusUnknown, false
				v.check.Detail += "; but the profile's destination regions could not be read, so the models it routes to were not checked"
				v.check.Needs = "bedrock:GetInferenceProfile on the profile"
			}
		}
	}

	decider := sim
	switch {
	case sim.decided && local.decided && sim.check.Status != local.check.Status && !sim.org:
		// AWS's own simulator and our reading of the same policies
		// disagree: say so, and go with AWS.
		local.check.Status = StatusUnknown
		local.check.Detail = "the local evaluation disagrees with AWS's simulator: " + local.check.Detail
	case !sim.decided && local.decided:
		decider = local
		if local.check.Status == StatusPass && sim.check.Status == StatusUnknown {
			// The local reading clears the role's own policies; only the
			// simulator sees the organization's SCPs, so they stay open.
			sim.check.Layer = LayerOrgPolicy
			sim.check.Detail += " (the role's own policies allow it; SCPs, which only the simulator sees, are not checked)"
		}
	}
	if decider.decided {
		in.setEv(func(e *evidence) {
			switch {
			case decider.org:
				e.orgDenied = true
			case decider.check.Status == StatusFail:
				e.roleAllowed, e.deniedResources = StatusFail, decider.deniedARNs
				kind := decider.kind
				if kind == policyIdentityGap && local.decided && local.check.Status == StatusFail {
					kind = local.kind // the local reading tells a deny or a boundary apart
				}
				if kind != policyIdentityGap {
					e.rolePolicyKind = kind
				}
				e.denyStatements = local.denies
			case e.roleAllowed == "":
				e.roleAllowed = StatusPass
			}
		})
	}
	// A check that panicked was recorded by guard; its verdict is empty.
	if sim.check.Status != "" {
		in.add(sim.check)
	}
	if isRole && local.check.Status != "" {
		in.add(local.check)
	}
	in.checkSessionPolicy(legs)
}

// destinationsUnread reports an inference profile whose destinations the
// checks could not read (model.resolve did not list them).
func (in *inquiry) destinationsUnread() bool {
	switch in.model.Kind {
	case bedrockid.KindInferenceProfile, bedrockid.KindApplicationInferenceProfile:
	default:
		return false
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	return len(in.ev.destinations) == 0
}

// iamTarget is an IAM client acting in the target account: the diagnostic
// credentials when given, else the role's (or the base ones without a role).
func (in *inquiry) iamTarget() *iam.Client {
	if in.hasDiag {
		return iam.NewFromConfig(in.diag)
	}
	return iam.NewFromConfig(in.withCreds(in.targetCreds()))
}

// simulateLegs runs the IAM simulator on each leg, concurrently.
func (in *inquiry) simulateLegs(ctx context.Context, client *iam.Client, policySource string, legs []resourceLeg) roleVerdict {
	v := roleVerdict{check: Check{Name: "role-permissions.simulate", Layer: LayerRolePermissions}}
	// The role's tags, when its policies were read: supplied as
	// aws:PrincipalTag entries, and a tag it lacks is known to be absent.
	tags := in.readRoleTags(ctx, policySource)
	absentTag := func(key string) bool {
		name, ok := strings.CutPrefix(strings.ToLower(key), "aws:principaltag/")
		if !ok || tags == nil {
			return false
		}
		for k := range tags {
			if strings.EqualFold(k, name) {
				return false
			}
		}
		return true
	}
	var (
		wg                 sync.WaitGroup
		mu                 sync.Mutex
		denied, failures   []string
		explicit, boundary bool
	)
	for _, leg := range legs {
		wg.Go(func() {
			defer func() {
				if v := recover(); v != nil {
					mu.Lock()
					failures = append(failures, fmt.Sprintf("the simulation failed internally (panic: %v)", v))
					mu.Unlock()
				}
			}()
			entries := leg.context
			if len(tags) > 0 {
				entries = maps.Clone(leg.context)
				for k, val := range tags {
					entries["aws:PrincipalTag/"+k] = val
				}
			}
			out, err := client.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
				PolicySourceArn: aws.String(policySource),
				ActionNames:     []string{leg.action},
				ResourceArns:    []string{leg.resource},
				ContextEntries:  contextEntries(entries),
			})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failures = append(failures, errText(err))
				return
			}
			sv := simulationVerdict(out.EvaluationResults, []string{leg.action}, []string{leg.resource}, absentTag)
			switch sv.status {
			case StatusFail:
				v.org = v.org || sv.org
				explicit = explicit || sv.explicit
				boundary = boundary || sv.boundary
				denied = append(denied, sv.detail)
				v.deniedARNs = append(v.deniedARNs, leg.resource)
			case StatusUnknown:
				failures = append(failures, leg.resource+": "+sv.detail)
			}
		})
	}
	wg.Wait()
	c := &v.check
	switch {
	case v.org:
		c.Layer, c.Status = LayerOrgPolicy, StatusFail
		c.Detail = "a service control policy denies " + strings.Join(denied, "; ")
	case len(denied) > 0:
		c.Status = StatusFail
		c.Detail = policySource + "'s policies do not allow " + strings.Join(denied, "; ")
		switch {
		case explicit:
			v.kind = policyExplicitDeny
		case boundary:
			v.kind = policyBoundary
		}
	case len(failures) > 0:
		c.Status = StatusUnknown
		c.Detail = "the simulation did not decide every ARN of the call: " + strings.Join(failures, "; ")
		c.Needs = "iam:SimulatePrincipalPolicy on " + policySource
		return v
	default:
		c.Status = StatusPass
		c.Detail = policySource + "'s policies allow " + in.action + " on " + strings.Join(legResources(legs), ", ")
	}
	v.decided = true
	return v
}

func legResources(legs []resourceLeg) []string {
	out := make([]string, len(legs))
	for i, l := range legs {
		out[i] = l.resource
	}
	return out
}

// evaluateLegs reads the role's identity policies and boundary and evaluates
// each leg locally, naming the statements that deny.
func (in *inquiry) evaluateLegs(ctx context.Context, client *iam.Client, roleARN string, legs []resourceLeg) roleVerdict {
	v := roleVerdict{check: Check{Name: "role-permissions.evaluate", Layer: LayerRolePermissions}}
	set, tags, err := in.rolePolicies(ctx, client, roleARN)
	if err != nil {
		v.check.Status = StatusUnknown
		v.check.Detail = "the role's policies could not be read: " + errText(err)
		v.check.Needs = "iam:GetRole, iam:ListRolePolicies, iam:GetRolePolicy, iam:ListAttachedRolePolicies, iam:GetPolicy, iam:GetPolicyVersion on " + roleARN + " and its policies"
		return v
	}
	if o := in.assumeOptions(); o.Policy != nil && in.t.RoleARN != "" {
		if pol, perr := iampolicy.Parse(*o.Policy); perr == nil {
			set.Session = []iampolicy.NamedPolicy{{Name: "session policy", Type: iampolicy.TypeSession, Policy: pol}}
		}
	}
	if !in.sessionTagsKnown(roleARN) {
		tags = nil // the session may carry tags the role does not: unknown
	}
	principal := in.rolePrincipal(roleARN, tags)
	if roleARN == in.t.RoleARN || in.t.RoleARN == "" {
		in.setEv(func(e *evidence) { e.roleSet, e.rolePrincipal = &set, principal })
	}
	var denied, depends []string
	for _, leg := range legs {
		res := iampolicy.Evaluate(in.legContext(leg).request(principal, leg.action, leg.resource, "", policiesOf(set)...), set)
		if res.Undetermined {
			depends = append(depends, leg.action+" on "+leg.resource+" "+dependsOn(res))
			continue
		}
		if res.Decision == iampolicy.Allow {
			continue
		}
		v.deniedARNs = append(v.deniedARNs, leg.resource)
		why := "no statement allows it"
		switch {
		case res.Decision == iampolicy.ExplicitDeny:
			names := statementNamesOf(res.Denies())
			why = "denied by " + strings.Join(names, ", ")
			v.kind = policyExplicitDeny
			for _, n := range names {
				if !slices.Contains(v.denies, n) {
					v.denies = append(v.denies, n)
				}
			}
		case slices.Contains(res.Blocked, iampolicy.TypeBoundary) && !slices.Contains(res.Blocked, iampolicy.TypeIdentity):
			why = "the permissions boundary does not allow it"
			if v.kind == policyIdentityGap {
				v.kind = policyBoundary
			}
		case slices.Contains(res.Blocked, iampolicy.TypeSession) && !slices.Contains(res.Blocked, iampolicy.TypeIdentity):
			why = "the session policy does not allow it"
			if v.kind == policyIdentityGap {
				v.kind = policySessionGap
			}
		}
		denied = append(denied, leg.action+" on "+leg.resource+" ("+why+")")
	}
	switch {
	case len(denied) > 0:
		v.decided = true
		v.check.Status = StatusFail
		v.check.Detail = "read and evaluated " + policyNames(set) + ": they do not allow " + strings.Join(denied, "; ")
	case len(depends) > 0:
		v.check.Status = StatusUnknown
		v.check.Detail = "read and evaluated " + policyNames(set) + ": whether they allow " + strings.Join(depends, "; ")
	default:
		v.decided = true
		v.check.Status = StatusPass
		v.check.Detail = "read and evaluated " + policyNames(set) + ": they allow " + in.action + " on every ARN of the call"
	}
	return v
}

// rolePrincipal is a session of roleARN as its policies see it: the role's
// tags (nil when unread: unknown), overridden by the session tags the app
// passes.
func (in *inquiry) rolePrincipal(roleARN string, tags map[string]string) iampolicy.Principal {
	acct := accountOf(roleARN)
	p := iampolicy.Principal{
		ARN:     fmt.Sprintf("arn:%s:sts::%s:assumed-role/%s/bedrockdoctor", in.partition, acct, roleName(roleARN)),
		RoleARN: roleARN, Account: acct,
	}
	if tags != nil {
		p.Tags = maps.Clone(tags)
		if roleARN == in.t.RoleARN {
			for _, t := range in.assumeOptions().Tags {
				p.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
			}
		}
	}
	return p
}

// sessionTagsKnown reports that a session of roleARN carries exactly the
// role's tags and the ones the app passes: a session the app assumes from an
// IAM user (no transitive tags come along). A session the diagnosis did not
// see begin (the base credentials' own role, an SSO or Pod Identity
// session, a chain) may carry session tags that no read returns.
func (in *inquiry) sessionTagsKnown(roleARN string) bool {
	in.mu.Lock()
	src := in.ev.source.arn
	in.mu.Unlock()
	return roleARN != "" && roleARN == in.t.RoleARN && strings.Contains(src, ":user/")
}

// legContext is what the diagnosis knows of a Bedrock request's context:
// the leg's keys; it carries no request tags.
func (in *inquiry) legContext(leg resourceLeg) knownContext {
	k := newKnownContext()
	for key, val := range leg.context {
		k.set(key, val)
	}
	k.absent = []string{"aws:requesttag/", "aws:tagkeys"}
	if in.model.Kind == bedrockid.KindFoundationModel && leg.context["bedrock:InferenceProfileArn"] == "" {
		// A foundation model called by its own id goes through no
		// inference profile.
		k.absent = append(k.absent, "bedrock:inferenceprofilearn")
	}
	return k
}

func statementNamesOf(refs []iampolicy.StatementRef) []string {
	var out []string
	for _, r := range refs {
		name := fmt.Sprintf("statement %d", r.Index)
		if r.Sid != "" {
			name = "statement " + strconv.Quote(r.Sid)
		}
		out = append(out, name+" of "+r.Policy)
	}
	if len(out) == 0 {
		return []string{"a Deny statement"}
	}
	return out
}

func policyNames(set iampolicy.PolicySet) string {
	var names []string
	for _, p := range set.Identity {
		names = append(names, p.Name)
	}
	if set.Boundary != nil {
		names = append(names, "boundary "+set.Boundary.Name)
	}
	if len(names) == 0 {
		return "the role's policies (none attached)"
	}
	return strings.Join(names, ", ")
}

// checkSessionPolicy evaluates the inline session policy the app passes to
// AssumeRole: the session may do only what it also allows.
func (in *inquiry) checkSessionPolicy(legs []resourceLeg) {
	o := in.assumeOptions()
	if len(o.PolicyARNs) > 0 && o.Policy == nil {
		// Managed session policies limit the session as an inline one
		// does, and neither the simulator nor this diagnosis reads them.
		in.add(Check{Name: "role-permissions.session-policy", Layer: LayerRolePermissions, Status: StatusUnknown,
			Detail: "the app passes managed session policies (AssumeRole PolicyArns), which the diagnosis does not read: the session can do only what they also allow",
			Needs:  "the managed session policies' documents (iam:GetPolicy, iam:GetPolicyVersion)"})
		return
	}
	if o.Policy == nil {
		return
	}
	c := Check{Name: "role-permissions.session-policy", Layer: LayerRolePermissions}
	pol, err := iampolicy.Parse(*o.Policy)
	if err != nil {
		c.Status, c.Detail = StatusFail, "the session policy passed to AssumeRole is malformed: "+err.Error()
		in.setEv(func(e *evidence) { e.roleAllowed = StatusFail })
		in.add(c)
		return
	}
	session := []iampolicy.NamedPolicy{{Name: "session policy", Type: iampolicy.TypeSession, Policy: pol}}
	var denied, depends []string
	principal := in.rolePrincipal(in.t.RoleARN, nil)
	for _, leg := range legs {
		res := iampolicy.Evaluate(in.legContext(leg).request(principal, leg.action, leg.resource, "", pol), iampolicy.PolicySet{Session: session})
		switch {
		case typeUndetermined(res, iampolicy.TypeSession):
			depends = append(depends, leg.resource+" "+dependsOn(res))
		case typeDecision(res, iampolicy.TypeSession) != iampolicy.Allow:
			denied = append(denied, leg.resource)
		}
	}
	if len(denied) == 0 && len(depends) > 0 {
		c.Status, c.Detail = StatusUnknown, "whether the session policy the app passes allows "+in.action+" on "+strings.Join(depends, "; ")
		in.add(c)
		return
	}
	if len(denied) > 0 {
		c.Status = StatusFail
		c.Detail = "the session policy the app passes to AssumeRole does not allow " + in.action + " on " + strings.Join(denied, ", ")
		in.setEv(func(e *evidence) { e.roleAllowed, e.rolePolicyKind = StatusFail, policySessionGap })
	} else {
		c.Status, c.Detail = StatusPass, "the session policy allows "+in.action+" on every ARN of the call"
	}
	in.add(c)
}

// contextEntries turns a leg's context into simulator entries, in a fixed
// order. Every key here is a string key (aws:RequestedRegion,
// bedrock:InferenceProfileArn).
func contextEntries(m map[string]string) []iamtypes.ContextEntry {
	keys := slices.Sorted(maps.Keys(m))
	entries := make([]iamtypes.ContextEntry, 0, len(keys))
	for _, k := range keys {
		entries = append(entries, iamtypes.ContextEntry{ContextKeyName: aws.String(k), ContextKeyType: iamtypes.ContextKeyTypeEnumString, ContextKeyValues: []string{m[k]}})
	}
	return entries
}

func (in *inquiry) setEv(f func(*evidence)) {
	in.mu.Lock()
	f(&in.ev)
	in.mu.Unlock()
}

func accountOf(a string) string {
	p, err := arn.Parse(a)
	if err != nil {
		return ""
	}
	return p.AccountID
}

func roleName(roleARN string) string {
	return roleARN[strings.LastIndex(roleARN, "/")+1:]
}

func orElse(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// errText is an error's text for a check's detail: the AWS message where
// there is one, sanitised and capped.
func errText(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return withoutSecrets(sanitize(apiErr.ErrorCode()+": "+apiErr.ErrorMessage(), 512))
	}
	return withoutSecrets(sanitize(err.Error(), 512))
}

// withoutSecrets keeps credentials out of a check's detail: the SDK quotes
// a credential_process's output when it cannot parse it, secret key and
// session token included.
func withoutSecrets(s string) string {
	if i := strings.Index(s, "process output"); i >= 0 {
		s = s[:i] + "process output (withheld: it may hold credentials)"
	}
	return secretPattern.ReplaceAllStringFunc(s, func(m string) string {
		if looksSecret([]byte(m)) {
			return "[withheld]"
		}
		return m
	})
}

// statusOf says whether an identity call's error is a finding (AWS's answer
// denies, or the credential chain has nothing usable) or leaves the check
// undecided (throttling, service faults, malformed answers, network, budget).
func statusOf(err error) Status {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch code := apiErr.ErrorCode(); {
		case accessCodes[code], code == "ValidationError", code == "MalformedPolicyDocument", code == "PackedPolicyTooLarge":
			return StatusFail
		}
		return StatusUnknown
	}
	var deserErr *smithy.DeserializationError
	if errors.As(err, &deserErr) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || isNetworkError(err) || unreadableAnswer(err) {
		return StatusUnknown
	}
	// No API answer at all: the credential chain itself had nothing usable.
	return StatusFail
}

// credentialSource names where the base credentials come from, as the SDK
// records it.
func credentialSource(ctx context.Context, cfg aws.Config) string {
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return ""
	}
	return creds.Source
}
