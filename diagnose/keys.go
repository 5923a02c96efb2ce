package diagnose

import (
	"context"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/bedrock"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/bedrockdoctor/bedrockdoctor/internal/iampolicy"
)

// The key-policy layer: the customer managed KMS key that encrypts the
// model behind the call (a custom model, a copy of a shared one, an
// imported model) or the call's guardrail refuses the caller.
//
// Bedrock decrypts with the caller's own permissions: the key policy must
// allow the invoking role kms:Decrypt (Amazon Nova's
// "PermissionsModelInvocation" statement grants kms:Decrypt and
// kms:GenerateDataKey through kms:ViaService bedrock.REGION.amazonaws.com,
// nova/latest/userguide/customize-fine-tune-encrypt.html; Bedrock's
// encryption-custom-job.html and import-model-using-cmk.html; for
// guardrails "PermissionsForGuardrailsUsers", guardrails-permissions-kms.html).
// An identity policy alone never grants use of a key: the key policy must
// allow, directly or by naming the account (whose IAM policies then
// decide), and a caller in another account needs both
// (kms/latest/developerguide/key-policies.html, key-policy-default.html,
// key-policy-modifying-external-accounts.html); a grant allows too
// (grants.html). The checks read what they may: bedrock:GetCustomModel,
// GetImportedModel or GetGuardrail for the key ARN, then kms:DescribeKey,
// kms:GetKeyPolicy (only with credentials of the key's own account,
// API_GetKeyPolicy.html: "Cross-account use: No") and kms:ListGrants, and
// evaluate the key policy with internal/iampolicy. Bedrock's exact answer
// when a key refuses is UNCONFIRMED: other services pass KMS's own text
// through ("... is not authorized to perform: kms:Decrypt on resource: KEY
// because no resource-based policy allows the kms:Decrypt action",
// https://github.com/4dn-dcic/tibanna/issues/402; KMS's grammar,
// https://github.com/jbrt/ec2cryptomatic/issues/26).

// keySide says which part of the key's access refuses.
type keySide int

const (
	keySideKeyPolicy keySide = iota // the key policy does not allow the caller (nor its account)
	keySideIdentity                 // the key policy leaves it to IAM, and the caller's own policies do not allow
	keySideExplicit                 // a Deny statement matches
	keySideState                    // the key is disabled or being deleted
)

// keyFinding is what a key check found, for the fix.
type keyFinding struct {
	keyARN, keyAcct string
	what            string // the encrypted resource, in words
	principal       string // the role (or user) that calls
	callerAcct      string
	side            keySide
	denies          []string // the Deny statements that matched, named
	state           string
}

// kmsActions are what a caller of an encrypted model needs on its key, as
// AWS's PermissionsModelInvocation statement grants them.
var kmsActions = []string{"kms:Decrypt", "kms:GenerateDataKey"}

// checkKeys checks the key of the call's model and the key of its
// guardrail, each where there is one.
func (in *inquiry) checkKeys(ctx context.Context) {
	if in.t.ModelID != "" && isOwnedKind(in.model.Kind) && in.modelErr == nil {
		in.guard("key-policy.evaluate", LayerKeyPolicy, func() { in.checkModelKey(ctx) })
	}
	if in.t.GuardrailID != "" {
		in.guard("key-policy.guardrail", LayerKeyPolicy, func() { in.checkGuardrailKey(ctx) })
	}
}

// checkModelKey checks the key of the model behind the call, once
// model.resolve has found it.
func (in *inquiry) checkModelKey(ctx context.Context) {
	in.mu.Lock()
	ev := in.ev.mkinds
	in.mu.Unlock()
	c := Check{Name: "key-policy.evaluate", Layer: LayerKeyPolicy}
	switch {
	case ev.foreign:
		// No key question: no policy opens another account's model.
		return
	case checkStatus(in.checksSnapshot(), "model.resolve") == StatusFail:
		// The identifier itself is the finding (model-id).
		return
	case ev.keyKnown && ev.keyARN == "":
		c.Status, c.Detail = StatusPass, orElse(ev.keyFor, in.model.Raw)+" is encrypted with an AWS owned key: no key policy of a customer managed key to meet"
		in.add(c)
		return
	case !ev.keyKnown:
		c.Status = StatusUnknown
		c.Detail = "which KMS key encrypts the model behind " + in.model.Raw + " is not known: a customer managed key would have to allow the role kms:Decrypt"
		c.Needs = orElse(ev.keyNeeds, "bedrock:GetCustomModel or bedrock:GetImportedModel on the model behind "+in.model.Raw)
		in.add(c)
		return
	}
	f := in.evaluateKey(ctx, &c, ev.keyARN, ev.keyFor)
	in.add(c)
	if f != nil {
		in.setEv(func(e *evidence) { e.mkinds.key = f })
	}
}

// checkGuardrailKey checks the key of the call's guardrail
// (bedrock:GetGuardrail names it).
func (in *inquiry) checkGuardrailKey(ctx context.Context) {
	c := Check{Name: "key-policy.guardrail", Layer: LayerKeyPolicy}
	if in.targetCreds() == nil {
		return
	}
	br := bedrock.NewFromConfig(in.withCreds(in.targetCreds()))
	input := &bedrock.GetGuardrailInput{GuardrailIdentifier: aws.String(in.t.GuardrailID)}
	if v := in.t.GuardrailVersion; v != "" && !strings.EqualFold(v, "DRAFT") {
		input.GuardrailVersion = aws.String(v)
	}
	out, err := br.GetGuardrail(ctx, input)
	if err != nil {
		c.Status = StatusUnknown
		c.Detail = "which KMS key encrypts the guardrail " + in.t.GuardrailID + " is not known: bedrock:GetGuardrail failed: " + errText(err)
		c.Needs = "bedrock:GetGuardrail on " + in.t.GuardrailID
		in.add(c)
		return
	}
	what := "the guardrail " + orElse(aws.ToString(out.GuardrailArn), in.t.GuardrailID)
	key := aws.ToString(out.KmsKeyArn)
	if key == "" {
		c.Status, c.Detail = StatusPass, what+" is encrypted with an AWS owned key: no key policy of a customer managed key to meet"
		in.add(c)
		return
	}
	f := in.evaluateKey(ctx, &c, key, what)
	in.add(c)
	if f != nil {
		in.setEv(func(e *evidence) { e.mkinds.guardrailKey = f })
	}
}

// keyCaller is the principal whose kms:Decrypt Bedrock asks for: the
// role's session, or the base principal when there is no role.
func (in *inquiry) keyCaller() (who string, p iampolicy.Principal, ok bool) {
	if in.t.RoleARN != "" {
		return in.t.RoleARN, in.rolePrincipal(in.t.RoleARN, nil), true
	}
	in.mu.Lock()
	src := in.ev.source
	in.mu.Unlock()
	if a, err := arn.Parse(src.arn); err == nil && a.Service == "iam" && strings.HasPrefix(a.Resource, "user/") {
		return src.arn, iampolicy.Principal{ARN: src.arn, Account: a.AccountID}, true
	}
	return "", iampolicy.Principal{}, false
}

// keyContext is what the diagnosis knows of the kms:Decrypt Bedrock makes:
// through Bedrock in the client's region, by the caller's account.
func (in *inquiry) keyContext(callerAcct string) knownContext {
	k := newKnownContext()
	k.set("kms:ViaService", "bedrock."+in.region+".amazonaws.com")
	k.set("kms:CallerAccount", callerAcct)
	k.set("aws:RequestedRegion", in.region)
	k.absent = []string{"aws:requesttag/", "aws:tagkeys"}
	return k
}

// keyRead is what the KMS reads of one key returned.
type keyRead struct {
	meta      *kmstypes.KeyMetadata
	policy    *iampolicy.Policy
	policyErr string
	grants    []kmstypes.GrantListEntry
	grantsOK  bool
	grantsErr string
}

// readKey reads a key's metadata, policy and grants with the role's (or
// base) credentials, then with the diagnostic credentials: GetKeyPolicy
// works only in the key's own account.
func (in *inquiry) readKey(ctx context.Context, keyARN, keyRegion string) keyRead {
	var r keyRead
	var cfgs []aws.Config
	if creds := in.targetCreds(); creds != nil {
		cfgs = append(cfgs, in.withCreds(creds))
	}
	if in.hasDiag {
		cfgs = append(cfgs, in.diag.Copy())
	}
	for _, cfg := range cfgs {
		if keyRegion != "" {
			cfg.Region = keyRegion
		}
		k := kms.NewFromConfig(cfg)
		if r.meta == nil {
			if out, err := k.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(keyARN)}); err == nil && out.KeyMetadata != nil {
				r.meta = out.KeyMetadata
			}
		}
		if r.policy == nil {
			out, err := k.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String(keyARN), PolicyName: aws.String("default")})
			switch {
			case err != nil:
				r.policyErr = errText(err)
			default:
				pol, perr := iampolicy.Parse(aws.ToString(out.Policy))
				if perr != nil {
					r.policyErr = "the key policy does not parse: " + perr.Error()
				} else {
					r.policy = pol
				}
			}
		}
		if !r.grantsOK {
			r.grants, r.grantsOK, r.grantsErr = listGrants(ctx, k, keyARN)
		}
	}
	return r
}

// listGrants reads every grant of a key (a few pages at most).
func listGrants(ctx context.Context, k *kms.Client, keyARN string) ([]kmstypes.GrantListEntry, bool, string) {
	var grants []kmstypes.GrantListEntry
	p := kms.NewListGrantsPaginator(k, &kms.ListGrantsInput{KeyId: aws.String(keyARN)})
	for pages := 0; p.HasMorePages(); pages++ {
		if pages == 10 {
			return nil, false, "more than 10 pages of grants"
		}
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, false, errText(err)
		}
		grants = append(grants, out.Grants...)
	}
	return grants, true, ""
}

// evaluateKey decides whether the key lets the caller decrypt through
// Bedrock, fills the check, and returns the finding for the fix (nil when
// the key allows or nothing is known).
func (in *inquiry) evaluateKey(ctx context.Context, c *Check, keyARN, what string) *keyFinding {
	who, principal, ok := in.keyCaller()
	ka, err := arn.Parse(keyARN)
	if !ok || err != nil || ka.Service != "kms" {
		c.Status, c.Detail = StatusUnknown, what+" is encrypted with "+keyARN+", and whose kms:Decrypt to check is not known"
		return nil
	}
	f := &keyFinding{keyARN: keyARN, keyAcct: ka.AccountID, what: what, principal: who, callerAcct: principal.Account}
	cross := ka.AccountID != principal.Account
	head := what + " is encrypted with the customer managed key " + keyARN
	if cross {
		head += " of account " + ka.AccountID
	}
	kr := in.readKey(ctx, keyARN, ka.Region)
	if m := kr.meta; m != nil {
		switch {
		case m.KeyManager == kmstypes.KeyManagerTypeAws:
			c.Status, c.Detail = StatusPass, head+", an AWS managed key: its policy lets the account's principals use it through Bedrock"
			return nil
		case m.KeyState != "" && m.KeyState != kmstypes.KeyStateEnabled:
			c.Status, c.Detail = StatusFail, head+", which is "+string(m.KeyState)+": no one can decrypt with it"
			f.side, f.state = keySideState, string(m.KeyState)
			return f
		}
	}

	// The caller's own side: its policies read (with the session policy
	// the app passes), else AWS's simulator.
	var set *iampolicy.PolicySet
	if in.t.RoleARN != "" {
		if s, tags, err := in.rolePolicies(ctx, in.iamTarget(), in.t.RoleARN); err == nil {
			if o := in.assumeOptions(); o.Policy != nil {
				if pol, perr := iampolicy.Parse(*o.Policy); perr == nil {
					s.Session = []iampolicy.NamedPolicy{{Name: "session policy", Type: iampolicy.TypeSession, Policy: pol}}
				}
			}
			set = &s
			principal = in.rolePrincipal(in.t.RoleARN, tags)
		}
	}
	known := in.keyContext(principal.Account)
	sim := in.simulateKey(ctx, who, keyARN, known)
	defer in.scpsOpen(c, sim)
	identity := in.keyIdentitySide(set, principal, who, keyARN, ka.AccountID, known, sim)
	if sim.org {
		c.Layer, c.Status = LayerOrgPolicy, StatusFail
		c.Detail = head + "; a service control policy denies " + sim.detail
		return nil
	}

	if kr.policy == nil {
		needs := "kms:GetKeyPolicy on " + keyARN
		if cross {
			needs += " with credentials of account " + ka.AccountID + " (GetKeyPolicy does not work across accounts: diagnose.Options.DiagnosticConfig, or bedrock-doctor check --diagnostic-profile)"
		}
		if cross && identity.status == StatusFail && kr.grantsOK && !grantAllows(kr.grants, in.t.RoleARN, who) {
			// Across accounts the caller's own policies must allow too,
			// whatever the key policy says.
			c.Status = StatusFail
			c.Detail = head + ": a caller of another account needs its own identity policy to allow kms:Decrypt on the key as well, and " + identity.detail
			f.side = keySideIdentity
			return f
		}
		c.Status = StatusUnknown
		c.Detail = head + "; its key policy could not be read (" + kr.policyErr + "), so whether it lets " + who + " decrypt is not known"
		if identity.status == StatusFail {
			c.Detail += "; " + identity.detail
		}
		c.Needs = needs
		return nil
	}

	// Evaluate the key policy with the caller's policies; when those were
	// not read, once as if they allowed and once as if they did not: if
	// both agree the key policy decides alone, else the simulator's
	// verdict on the caller's side does.
	kp := iampolicy.NamedPolicy{Name: "key policy of " + keyARN, Type: iampolicy.TypeResource, Policy: kr.policy}
	eval := func(s iampolicy.PolicySet) iampolicy.Result {
		s.Resource = []iampolicy.NamedPolicy{kp}
		return iampolicy.Evaluate(known.request(principal, "kms:Decrypt", keyARN, ka.AccountID, policiesOf(s)...), s)
	}
	var res iampolicy.Result
	if set != nil {
		res = eval(*set)
	} else {
		allowAll := iampolicy.MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}`)
		withID := eval(iampolicy.PolicySet{Identity: []iampolicy.NamedPolicy{{Name: "(the role's policies, assumed to allow)", Type: iampolicy.TypeIdentity, Policy: allowAll}}})
		without := eval(iampolicy.PolicySet{})
		switch {
		case withID.Undetermined || without.Undetermined:
			res = withID
			if !res.Undetermined {
				res = without
			}
		case (withID.Decision == iampolicy.Allow) == (without.Decision == iampolicy.Allow):
			res = withID
		default:
			// The key policy leaves it to the caller's own policies.
			switch identity.status {
			case StatusPass:
				res = withID
			case StatusFail:
				res = without
			default:
				c.Status = StatusUnknown
				c.Detail = head + "; its key policy leaves kms:Decrypt to " + who + "'s own policies, which could not be read or simulated (" + identity.detail + ")"
				c.Needs = "iam:GetRolePolicy/iam:ListAttachedRolePolicies or iam:SimulatePrincipalPolicy on " + who
				return nil
			}
		}
	}
	switch {
	case res.Undetermined:
		c.Status, c.Detail = StatusUnknown, head+"; whether its key policy lets "+who+" decrypt "+dependsOn(res)
		return nil
	case res.Decision == iampolicy.Allow:
		c.Status, c.Detail = StatusPass, head+", whose key policy lets "+who+" decrypt through Bedrock"
		return nil
	case res.Decision == iampolicy.ExplicitDeny:
		f.side, f.denies = keySideExplicit, statementNamesOf(res.Denies())
		c.Status, c.Detail = StatusFail, head+", and a Deny statement refuses "+who+" kms:Decrypt: "+strings.Join(f.denies, ", ")
		return f
	}
	if slices.Contains(res.Blocked, iampolicy.TypeResource) {
		f.side = keySideKeyPolicy
	} else {
		f.side = keySideIdentity
	}
	// A grant allows what the key policy does not.
	if !kr.grantsOK {
		c.Status = StatusUnknown
		c.Detail = head + "; " + keyDenial(f, who) + ", but a grant of the key could still allow it, and the grants could not be read (" + kr.grantsErr + ")"
		c.Needs = "kms:ListGrants on " + keyARN
		return nil
	}
	if grantAllows(kr.grants, in.t.RoleARN, who) {
		c.Status, c.Detail = StatusPass, head+"; a grant of the key lets "+who+" decrypt"
		return nil
	}
	c.Status, c.Detail = StatusFail, head+"; "+keyDenial(f, who)+", and no grant of the key allows it"
	return f
}

// keyDenial words which side refuses.
func keyDenial(f *keyFinding, who string) string {
	if f.side == keySideIdentity {
		if f.keyAcct != f.callerAcct {
			return "the key policy lets account " + f.callerAcct + " in, but " + who + "'s own policies do not allow kms:Decrypt on the key"
		}
		return "the key policy leaves it to account " + f.keyAcct + "'s IAM policies, and " + who + "'s do not allow kms:Decrypt on the key"
	}
	return "its key policy does not allow " + who + " (nor its account) kms:Decrypt"
}

// grantAllows reports a grant of Decrypt to the role or the principal.
func grantAllows(grants []kmstypes.GrantListEntry, roleARN, who string) bool {
	for _, g := range grants {
		grantee := aws.ToString(g.GranteePrincipal)
		if grantee == "" || grantee != roleARN && grantee != who {
			continue
		}
		for _, op := range g.Operations {
			if op == kmstypes.GrantOperationDecrypt {
				return true
			}
		}
	}
	return false
}

// identityVerdict is the caller's own side of a kms:Decrypt.
type identityVerdict struct {
	status Status
	detail string
	org    bool // an SCP denies (the simulator saw it)
}

// keyIdentitySide judges the caller's own policies on kms:Decrypt: from
// the policies read, as if the key policy named the account (which is when
// they count), else from AWS's simulator's verdict (sim).
func (in *inquiry) keyIdentitySide(set *iampolicy.PolicySet, principal iampolicy.Principal, who, keyARN, keyAcct string, known knownContext, sim identityVerdict) identityVerdict {
	if set == nil {
		return sim
	}
	s := *set
	root := iampolicy.MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:` + in.partition + `:iam::` + principal.Account + `:root"},"Action":"kms:*","Resource":"*"}]}`)
	s.Resource = []iampolicy.NamedPolicy{{Name: "(a key policy naming the account)", Type: iampolicy.TypeResource, Policy: root}}
	res := iampolicy.Evaluate(known.request(principal, "kms:Decrypt", keyARN, keyAcct, policiesOf(s)...), s)
	switch {
	case res.Undetermined:
		return identityVerdict{StatusUnknown, who + "'s own policies on kms:Decrypt " + dependsOn(res), false}
	case res.Decision == iampolicy.Allow:
		return identityVerdict{StatusPass, who + "'s own policies allow kms:Decrypt on " + keyARN, false}
	}
	return identityVerdict{StatusFail, who + "'s own policies (" + policyNames(*set) + ") do not allow kms:Decrypt on " + keyARN, false}
}

// simulateKey asks AWS's simulator whether the role's policies, boundary
// and its organization's SCPs allow kms:Decrypt on the key (the simulator
// alone sees SCPs).
func (in *inquiry) simulateKey(ctx context.Context, who, keyARN string, known knownContext) identityVerdict {
	if in.t.RoleARN == "" {
		return identityVerdict{StatusUnknown, "the caller's own policies were not read", false}
	}
	entries := map[string]string{}
	for key, v := range known.keys {
		if len(v) == 1 {
			entries[key] = v[0]
		}
	}
	out, err := in.iamTarget().SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String(in.t.RoleARN),
		ActionNames:     []string{"kms:Decrypt"},
		ResourceArns:    []string{keyARN},
		ContextEntries:  contextEntries(entries),
	})
	if err != nil {
		return identityVerdict{StatusUnknown, "iam:SimulatePrincipalPolicy failed: " + errText(err), false}
	}
	sv := simulationVerdict(out.EvaluationResults, []string{"kms:Decrypt"}, []string{keyARN}, nil)
	switch sv.status {
	case StatusPass:
		return identityVerdict{StatusPass, who + "'s own policies allow kms:Decrypt on " + keyARN, false}
	case StatusFail:
		return identityVerdict{StatusFail, who + "'s own policies do not allow " + sv.detail, sv.org}
	}
	return identityVerdict{StatusUnknown, "the simulation does not decide: " + sv.detail, false}
}

// scpsOpen records, beside a key check that passed on the key policy and
// the role's own policies, that its organization's SCPs on kms:Decrypt were
// not checked: only the simulator sees them, and it could not run.
func (in *inquiry) scpsOpen(c *Check, sim identityVerdict) {
	if c.Status != StatusPass || sim.status != StatusUnknown || in.t.RoleARN == "" {
		return
	}
	in.add(Check{Name: c.Name, Layer: LayerOrgPolicy, Status: StatusUnknown,
		Detail: "whether a service control policy denies kms:Decrypt on the key is not known (the key policy and the role's own policies allow it; only the simulator sees SCPs): " + sim.detail,
		Needs:  "iam:SimulatePrincipalPolicy on " + in.t.RoleARN})
}

// writeKeyPolicy writes the summary and the fix of a key-policy verdict:
// the key's owner changes the key policy (with the role's own policy too
// across accounts), or the role's account its identity policy where the
// key policy leaves it to IAM.
func (in *inquiry) writeKeyPolicy(r *Report) {
	in.mu.Lock()
	f := in.ev.mkinds.key
	if f == nil {
		f = in.ev.mkinds.guardrailKey
	}
	in.mu.Unlock()
	if f == nil {
		// No check decided it: the error's text did; keep its words, or
		// say what is known.
		if r.Summary == "" {
			r.Summary = "the KMS key of the model or guardrail refuses the caller: " + firstFailing(r.Checks, LayerKeyPolicy)
		}
		if r.Fix == "" {
			r.Fix = "the key's owner allows the role kms:Decrypt in the key policy (and, for a key of another account, the role's own policy allows it too)"
		}
		return
	}
	r.Summary = f.what + " is encrypted with the KMS key " + f.keyARN + ", which refuses " + f.principal + ": " + keyDenial(f, f.principal)
	if r.Resource == "" || strings.HasPrefix(r.Action, "bedrock:") {
		r.Action, r.Resource = "kms:Decrypt", f.keyARN
		r.ResourceRegion = resourceRegion(f.keyARN)
	}
	via := "bedrock." + in.region + ".amazonaws.com"
	identityStmt := statement{Effect: "Allow", Action: kmsActions, Resource: []string{f.keyARN},
		Condition: map[string]map[string]string{"StringEquals": {"kms:ViaService": via}}}
	switch f.side {
	case keySideState:
		r.Summary = f.what + " is encrypted with the KMS key " + f.keyARN + ", which is " + f.state
		r.Fix = "the key's owner (account " + f.keyAcct + ") enables the key (kms:EnableKey) or cancels its deletion; a model encrypted with a key no one can use cannot be invoked"
		r.FixPolicy, r.FixPlace = "", ""
	case keySideExplicit:
		r.Summary = f.what + " is encrypted with the KMS key " + f.keyARN + ", and a Deny statement refuses " + f.principal + " kms:Decrypt"
		r.Fix = "remove or narrow the Deny statement (" + strings.Join(f.denies, ", ") + ") so it no longer matches kms:Decrypt by " + f.principal + " through Bedrock; an explicit deny cannot be overridden by any allow"
		r.FixPolicy, r.FixPlace = "", ""
	case keySideIdentity:
		r.Fix = "in account " + f.callerAcct + ", allow kms:Decrypt (and kms:GenerateDataKey, as AWS's PermissionsModelInvocation statement does) on " + f.keyARN + " in " + f.principal + "'s identity policy"
		if f.keyAcct != f.callerAcct {
			r.Fix += "; the key policy of account " + f.keyAcct + " already lets account " + f.callerAcct + " in, and a key of another account needs both"
		} else {
			r.Fix += "; the key policy leaves the decision to the account's IAM policies"
		}
		r.FixPolicy = policyJSON(identityStmt)
		r.FixPlace = "an identity policy of " + f.principal + ", in account " + f.callerAcct
	default:
		keyStmt := statement{Effect: "Allow", Principal: f.principal, Action: kmsActions, Resource: []string{"*"},
			Condition: map[string]map[string]string{"StringEquals": {"kms:ViaService": via}}}
		r.Fix = "the key's owner (account " + f.keyAcct + ") adds to the key policy of " + f.keyARN + " a statement that lets " + f.principal + " use kms:Decrypt (and kms:GenerateDataKey) through Bedrock, as AWS's PermissionsModelInvocation statement does"
		r.FixPolicy = policyJSON(keyStmt)
		r.FixPlace = "the key policy of " + f.keyARN + ", in account " + f.keyAcct
		if f.keyAcct != f.callerAcct {
			r.Fix += "; a key of another account needs the role's own identity policy in account " + f.callerAcct + " to allow kms:Decrypt on " + f.keyARN + " too"
			r.FixPolicy = policyJSON(keyStmt, identityStmt)
			r.FixPlace += " (the first statement); and an identity policy of " + f.principal + ", in account " + f.callerAcct + " (the second)"
		}
	}
}

// keyText is Explain's reading of a denial of a KMS action on a key (the
// text Bedrock passes through when a model's or guardrail's key refuses the
// caller): key-policy, unless an organization or endpoint policy is named.
// It reports whether it decided.
func (e *explainer) keyText() bool {
	m := e.m
	if !strings.HasPrefix(strings.ToLower(m.Action), "kms:") || !e.resourceOK || e.resource.Service != "kms" || !strings.HasPrefix(e.resource.Resource, "key/") {
		return false
	}
	switch m.PolicyType {
	case PolicySCP, PolicyRCP, PolicyVPCEndpoint:
		return false
	}
	who := valueOr(m.Principal, "the caller")
	caller := ""
	if e.principalOK {
		caller = e.principal.AccountID
	}
	role := who
	if e.principalOK {
		if r := e.sessionRole(); r != "" {
			role = r
		}
	}
	keyAcct := e.resource.AccountID
	cross := caller != "" && caller != keyAcct
	what := m.Action + " on " + m.Resource
	switch {
	case m.Explicit:
		e.set(LayerKeyPolicy, nil, "a Deny statement ("+policyName(m)+") refuses "+who+" "+what+": the KMS key that encrypts the model or guardrail cannot be used",
			"Remove or narrow the Deny for "+m.Action+" on the key in the "+policyName(m)+e.policyRef()+"; an explicit deny cannot be overridden by any allow.")
	case m.PolicyType == PolicyIdentity || m.PolicyType == PolicyPermissionBoundary || m.PolicyType == PolicySession:
		summary := "the KMS key " + m.Resource + " that encrypts the model or guardrail refuses " + who + ": the key policy leaves it to IAM, and the caller's " + policyName(m) + " does not allow " + m.Action
		if cross {
			summary = "the KMS key " + m.Resource + " of account " + keyAcct + " that encrypts the model or guardrail refuses " + who + ": a key of another account needs the caller's own " + policyName(m) + " to allow " + m.Action + " too"
		}
		e.r.FixPolicy = policyJSON(statement{Effect: "Allow", Action: []string{m.Action}, Resource: []string{m.Resource}})
		e.r.FixPlace = "the " + policyName(m) + " of " + role + valueIf(caller != "", ", in account "+caller)
		e.set(LayerKeyPolicy, nil, summary, "Allow "+m.Action+" on "+m.Resource+" in "+role+"'s "+policyName(m)+".")
	case m.PolicyType != PolicyResource:
		// No policy type named: the key policy, an SCP or RCP, an
		// endpoint policy or the caller's own policy answer alike.
		e.set(LayerUnknown, []Layer{LayerKeyPolicy, LayerRolePermissions, LayerOrgPolicy, LayerEndpointPolicy},
			"the KMS key "+m.Resource+" that encrypts the model or guardrail refuses "+who+" "+m.Action+", and the text does not say by which policy",
			"Run the checks (bedrock-doctor check) to read the key policy and the caller's policies; the text alone does not name the layer.")
	default:
		summary := "the KMS key " + m.Resource + " that encrypts the model or guardrail refuses " + who + ": its key policy (nor a grant) does not allow " + m.Action
		fix := "The key's owner (account " + keyAcct + ") adds to the key policy a statement that lets " + role + " use " + m.Action + " (kms:Decrypt and kms:GenerateDataKey, through kms:ViaService bedrock.REGION.amazonaws.com, as AWS's PermissionsModelInvocation statement does)."
		if cross {
			fix += " A key of another account also needs the caller's own identity policy in account " + caller + " to allow it."
		}
		e.r.FixPolicy = policyJSON(statement{Effect: "Allow", Principal: role, Action: kmsActions, Resource: []string{"*"}})
		e.r.FixPlace = "the key policy of " + m.Resource + ", in account " + keyAcct
		e.set(LayerKeyPolicy, nil, summary, fix)
	}
	return true
}

// valueIf is s when cond holds, else "".
func valueIf(cond bool, s string) string {
	if cond {
		return s
	}
	return ""
}
