package awsfake

import (
	"strings"

	"github.com/bedrockdoctor/bedrockdoctor/internal/bedrockid"
	"github.com/bedrockdoctor/bedrockdoctor/internal/iampolicy"
)

// How Bedrock Runtime authorizes the kinds of routed.go, as this fake models
// it. Every call is authorized first on the ARN passed as modelId
// (API_runtime_InvokeModel.html: "This operation requires permission for
// the bedrock:InvokeModel action"; AWS.md §10), then:
//
//   - a prompt router (default or custom): the model the router picks for
//     this request, as if it were called directly (a profile: its ARN and
//     the destination foundation model), each with the router's ARN in
//     bedrock:PromptRouterArn (the condition key "filters access by the
//     specified prompt router", service authorization reference). AWS's CDK
//     grants bedrock:InvokeModel on the router and on every model it routes
//     to (aws-cdk aws-bedrock-alpha prompt-router.ts grantInvoke); which
//     leg AWS checks first is UNCONFIRMED.
//   - a prompt of Prompt management: bedrock:RenderPrompt on the prompt ARN
//     as passed ("bedrock:RenderPrompt – required to run inference with a
//     prompt", inference-prereq.html; prompt-management-prereq.html), then
//     the model its default variant names, as if called directly (UNCONFIRMED
//     that Bedrock authorizes this leg with the caller's identity).
//   - a Bedrock Marketplace endpoint: the action on
//     arn:...:marketplace/model-endpoint/all-access, then
//     sagemaker:InvokeEndpoint (InvokeEndpointWithResponseStream for a
//     stream) on the endpoint for the caller, called via Bedrock
//     (aws:CalledVia = bedrock.amazonaws.com), as AWS's example policy in
//     "Set up Amazon Bedrock Marketplace" grants them.
//
// A denial names the leg's action and resource in the IAM grammar; the exact
// texts for these legs are UNCONFIRMED (no public report quotes one). An
// identifier that names nothing in the caller's account and region gets
// "The provided model identifier is invalid." like an unknown model.

// authLeg is one authorization of a call.
type authLeg struct {
	action, resource string
	ctx              map[string][]string
}

// calledViaBedrock is the request context of an action Bedrock makes on the
// caller's behalf with the caller's identity (forward access sessions:
// aws:CalledVia, aws:CalledViaFirst, aws:CalledViaLast; IAM User Guide,
// reference_policies_condition-keys.html).
func calledViaBedrock(region string) map[string][]string {
	return map[string][]string{
		"aws:RequestedRegion": {region},
		"aws:CalledVia":       {"bedrock.amazonaws.com"},
		"aws:CalledViaFirst":  {"bedrock.amazonaws.com"},
		"aws:CalledViaLast":   {"bedrock.amazonaws.com"},
	}
}

// routedCall is what invokeRouted resolved for one call.
type routedCall struct {
	legs   []authLeg
	model  *FoundationModel // the model that answers; nil when none resolved
	valid  bool             // the identifier names something callable here
	region bool             // not valid because it is in (or offered in) another region
}

// invokeRouted authorizes and validates a call whose modelId is a prompt
// router, a prompt or a Marketplace endpoint; handled is false for any
// other kind, which invoke itself serves.
func (c *call) invokeRouted(id bedrockid.ID, operation string) (t *target, handled bool, err error) {
	switch id.Kind {
	case bedrockid.KindPromptRouter, bedrockid.KindDefaultPromptRouter, bedrockid.KindPrompt, bedrockid.KindMarketplaceEndpoint:
	default:
		return nil, false, nil
	}
	action := bedrockid.ActionFor(operation)
	kc := c.resolveRouted(id, operation, action)
	set, err := c.policySet(nil, nil)
	if err != nil {
		return nil, true, err
	}
	c.routedTruth(kc, set, nil)
	for _, l := range kc.legs {
		if res := c.authorize(l.action, l.resource, c.principal.Account, cloneCtx(l.ctx), set); res.Decision != iampolicy.Allow {
			return nil, true, &apiError{Status: 403, Code: "AccessDeniedException", Message: deniedMessage(c.callerARN, l.action, l.resource, c.denySuffix(l.action, res)), Resource: l.resource}
		}
	}
	if !kc.valid {
		return nil, true, validation(msgInvalidModel)
	}
	if kc.model != nil {
		w := c.s.World
		w.mu.Lock()
		acct := w.accounts[c.principal.Account]
		w.mu.Unlock()
		if acct != nil {
			if err := c.modelAccess(acct, c.region, kc.model, set); err != nil {
				return nil, true, err
			}
		}
		if kc.model.Legacy {
			return nil, true, &apiError{Status: 404, Code: "ResourceNotFoundException", Message: msgLegacy}
		}
	}
	if g := c.r.Header.Get("X-Amzn-Bedrock-Guardrailidentifier"); g != "" {
		if err := c.guardrail(g); err != nil {
			return nil, true, err
		}
	}
	m := kc.model
	if m == nil {
		m = &FoundationModel{ID: id.ResourceID}
	}
	return &target{id: id, model: m, resource: id.Raw}, true, nil
}

func cloneCtx(m map[string][]string) map[string][]string {
	out := make(map[string][]string, len(m)+2)
	for k, v := range m {
		out[k] = v
	}
	return out
}

// resolveRouted lists the legs of a call on one of this file's kinds, the
// model that answers and whether the identifier is callable here.
func (c *call) resolveRouted(id bedrockid.ID, operation, action string) routedCall {
	w := c.s.World
	region, account, part := c.region, c.principal.Account, w.Partition
	src := map[string][]string{"aws:RequestedRegion": {region}}
	kc := routedCall{legs: []authLeg{{action, id.Raw, src}}}
	w.mu.Lock()
	elsewhere := w.offeredElsewhereLocked(id, account, region)
	w.mu.Unlock()
	switch id.Kind {
	case bedrockid.KindPromptRouter, bedrockid.KindDefaultPromptRouter:
		w.mu.Lock()
		rv, ok := w.routerLocked(id, account, region)
		w.mu.Unlock()
		if !ok || len(rv.models) == 0 {
			kc.region = elsewhere
			return kc
		}
		// The router picks one model per request; the server's router (or
		// a scenario's route for the router's ARN) chooses which, by
		// default the fallback.
		pick := c.s.route(id.Raw, rv.fallback, rv.models)
		if !containsString(rv.models, pick) {
			pick = rv.fallback // a test's router chose a region for profiles
		}
		extra := map[string][]string{"bedrock:PromptRouterArn": {id.Raw}}
		legs, m, ok := c.directLegs(pick, action, extra)
		kc.legs = append(kc.legs, legs...)
		kc.model, kc.valid = m, ok
	case bedrockid.KindPrompt:
		w.mu.Lock()
		p, _, ok := w.promptLocked(id, account, region)
		w.mu.Unlock()
		kc.legs = append(kc.legs, authLeg{"bedrock:RenderPrompt", id.Raw, src})
		if !ok {
			kc.region = elsewhere
			return kc
		}
		switch operation {
		case "Converse", "ConverseStream", "InvokeModel", "InvokeModelWithResponseStream":
		default:
			// Prompt management prompts run through these four only
			// (prompt-management-test.html).
			return kc
		}
		legs, m, ok := c.directLegs(p.ModelID, action, nil)
		kc.legs = append(kc.legs, legs...)
		kc.model, kc.valid = m, ok
	case bedrockid.KindMarketplaceEndpoint:
		kc.legs[0].resource = bedrockid.MarketplaceEndpointARN(part, region, account)
		w.mu.Lock()
		e, ok := w.endpointLocked(id, account, region)
		w.mu.Unlock()
		if !ok {
			kc.region = elsewhere
			return kc
		}
		invoke := "sagemaker:InvokeEndpoint"
		if strings.HasSuffix(action, "WithResponseStream") {
			invoke = "sagemaker:InvokeEndpointWithResponseStream"
		}
		kc.legs = append(kc.legs, authLeg{invoke, id.Raw, calledViaBedrock(region)})
		kc.model, kc.valid = &FoundationModel{ID: e.Name, OnDemand: true, Regions: []string{region}}, true
	}
	return kc
}

// directLegs are the legs of calling a foundation model or an inference
// profile directly (AWS.md §6.6), each with extra in its context, and the
// model; ok is false when the identifier is not callable on demand here.
func (c *call) directLegs(ident, action string, extra map[string][]string) ([]authLeg, *FoundationModel, bool) {
	w := c.s.World
	region, account, part := c.region, c.principal.Account, w.Partition
	id, err := bedrockid.Parse(ident)
	if err != nil {
		return nil, nil, false
	}
	with := func(m map[string][]string) map[string][]string {
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	w.mu.Lock()
	m := w.models[id.BaseModelID]
	var p *SystemProfile
	if id.Kind == bedrockid.KindInferenceProfile {
		p = w.profiles[id.ResourceID]
	}
	w.mu.Unlock()
	switch id.Kind {
	case bedrockid.KindFoundationModel:
		l := authLeg{action, id.ARN(part, region, account), with(map[string][]string{"aws:RequestedRegion": {region}})}
		ok := m != nil && m.offeredIn(region) && m.OnDemand && (id.Region == "" || id.Region == region)
		return []authLeg{l}, m, ok
	case bedrockid.KindInferenceProfile:
		profileARN := id.ARN(part, region, account)
		legs := []authLeg{{action, profileARN, with(map[string][]string{"aws:RequestedRegion": {region}})}}
		if p == nil || m == nil || !p.callableFrom(region) {
			return legs, m, false
		}
		dests := p.Destinations
		if p.global() {
			dests = []string{"unspecified"}
		}
		dest := c.s.route(id.ResourceID, region, dests)
		fmRegion := dest
		if dest == "unspecified" {
			fmRegion = ""
		}
		legs = append(legs, authLeg{action, bedrockid.FoundationModelARN(part, fmRegion, m.ID),
			with(map[string][]string{"aws:RequestedRegion": {dest}, "bedrock:InferenceProfileArn": {profileARN}})})
		return legs, m, true
	}
	return nil, nil, false
}

// routedTruth records the ground truth of a call on one of this file's
// kinds: every authLeg that would deny on its own, the answering model's
// access state, and the identifier's validity. more are further legs of
// the call (an async invocation's output location).
func (c *call) routedTruth(kc routedCall, set iampolicy.PolicySet, more []authLeg) {
	if c.scriptedAllow {
		return
	}
	ts := truthSet{}
	for _, l := range append(kc.legs, more...) {
		ts.addBlocked(c.evaluate(l.action, l.resource, c.principal.Account, cloneCtx(l.ctx), set), false)
	}
	w := c.s.World
	w.mu.Lock()
	defer w.mu.Unlock()
	if kc.model != nil {
		if a := w.accounts[c.principal.Account]; a != nil {
			switch a.bedrockLocked(c.region).access[kc.model.ID] {
			case AccessSubscriptionFailed, AccessAgreementPending, AccessUseCaseMissing, AccessNotAvailable:
				ts.add(truthModelAccess)
			}
		}
		if kc.model.Legacy {
			ts.add(truthModelID)
		}
	}
	if !kc.valid {
		if kc.region {
			ts.add(truthRegion)
		} else {
			ts.add(truthModelID)
		}
	}
	c.entry.Truth = c.routedSignerTruthLocked(ts)
}

// routedSignerTruthLocked replaces the signer's own permissions by
// wrong-principal when someone other than the app's role signed a denied
// request (as invokeTruth does). The world's lock is held.
func (c *call) routedSignerTruthLocked(ts truthSet) []string {
	if len(ts) > 0 && c.s.World.appRole != "" && c.principal.RoleARN != c.s.World.appRole {
		delete(ts, truthRolePermissions)
		ts.add(truthWrongPrincipal)
	}
	return ts.list()
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
