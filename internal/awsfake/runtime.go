package awsfake

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/aws/smithy-go/eventstream"
	"github.com/bedrockdoctor/bedrockdoctor/internal/bedrockid"
	"github.com/bedrockdoctor/bedrockdoctor/internal/iampolicy"
)

type route struct {
	method, service, action string
	parts                   []string // literal segments; "{}" is a label
	h                       handler
}

var routes = []route{
	{"POST", "bedrock-runtime", "InvokeModel", []string{"model", "{}", "invoke"}, rtInvokeModel},
	{"POST", "bedrock-runtime", "InvokeModelWithResponseStream", []string{"model", "{}", "invoke-with-response-stream"}, rtInvokeModelStream},
	{"POST", "bedrock-runtime", "Converse", []string{"model", "{}", "converse"}, rtConverse},
	{"POST", "bedrock-runtime", "ConverseStream", []string{"model", "{}", "converse-stream"}, rtConverseStream},
	{"POST", "bedrock-runtime", "CountTokens", []string{"model", "{}", "count-tokens"}, rtCountTokens},
	{"POST", "bedrock-runtime", "ApplyGuardrail", []string{"guardrail", "{}", "version", "{}", "apply"}, rtApplyGuardrail},
	{"GET", "bedrock", "ListFoundationModels", []string{"foundation-models"}, cpListFoundationModels},
	{"GET", "bedrock", "GetFoundationModel", []string{"foundation-models", "{}"}, cpGetFoundationModel},
	{"GET", "bedrock", "GetFoundationModelAvailability", []string{"foundation-model-availability", "{}"}, cpGetFoundationModelAvailability},
	{"GET", "bedrock", "GetUseCaseForModelAccess", []string{"use-case-for-model-access"}, cpGetUseCaseForModelAccess},
	{"GET", "bedrock", "ListInferenceProfiles", []string{"inference-profiles"}, cpListInferenceProfiles},
	{"GET", "bedrock", "GetInferenceProfile", []string{"inference-profiles", "{}"}, cpGetInferenceProfile},
	{"GET", "bedrock", "GetGuardrail", []string{"guardrails", "{}"}, cpGetGuardrail},
}

// routeREST routes on the escaped path: an ARN label arrives with %2F for
// its slashes (AWS.md §5.1).
func routeREST(method, escapedPath string) (service, action string, params []string, h handler, ok bool) {
	segs := strings.Split(strings.Trim(escapedPath, "/"), "/")
	for _, rt := range routes {
		if len(rt.parts) != len(segs) {
			continue
		}
		var ps []string
		match := true
		for i, p := range rt.parts {
			if p == "{}" {
				v, err := url.PathUnescape(segs[i])
				if err != nil || v == "" {
					match = false
					break
				}
				ps = append(ps, v)
				continue
			}
			if p != segs[i] {
				match = false
				break
			}
		}
		if !match {
			continue
		}
		if rt.method != method {
			return rt.service, rt.action, nil, nil, false
		}
		return rt.service, rt.action, ps, rt.h, true
	}
	if len(segs) > 0 && (segs[0] == "model" || segs[0] == "guardrail") {
		return "bedrock-runtime", "", nil, nil, false
	}
	return "bedrock", "", nil, nil, false
}

// Bedrock Runtime texts (AWS.md §6.6, §6.8).
const (
	msgInvalidModel = "The provided model identifier is invalid."
	msgLegacy       = "Access denied. This Model is marked by provider as Legacy and you have not been actively using the model in the last 15 days. Please upgrade to an active model on Amazon Bedrock"
	msgUseCase      = "Model use case details have not been submitted for this account. Fill out the Anthropic use case details form before using the model. If you have already filled out the form, try again in 15 minutes."
	msgMarketplace  = "Model access is denied due to IAM user or service role is not authorized to perform the required AWS Marketplace actions (aws-marketplace:ViewSubscriptions, aws-marketplace:Subscribe) to enable access to this model. Refer to the Amazon Bedrock documentation for further details. Your AWS Marketplace subscription for this model cannot be completed at this time. If you recently fixed this issue, try again after 5 minutes."
	msgNoAccess     = "You don't have access to the model with the specified model ID."
	// UNCONFIRMED exact text (AWS.md §6.8 "not available for this account").
	msgNotAvailable = "Model access is denied because this model is not available for this account."
)

func onDemandMessage(id string) string {
	return "Invocation of model ID " + id + " with on-demand throughput isn\u2019t supported. Retry your request with the ID or ARN of an inference profile that contains this model."
}

func validation(msg string) error {
	return &apiError{Status: 400, Code: "ValidationException", Message: msg}
}

// target is a resolved invocation.
type target struct {
	id       bedrockid.ID
	model    *FoundationModel
	resource string // requested resource ARN
	dest     string // destination FM ARN for profiles
	destRgn  string // destination region, "unspecified" for global
}

// invoke authorizes and validates one model invocation in the order of
// AWS.md §6.6: IAM on the requested resource, IAM on the routed destination
// model, model access, then model/region validity.
func (c *call) invoke(modelID, operation string) (*target, error) {
	w := c.s.World
	action := bedrockid.ActionFor(operation)
	id, err := bedrockid.Parse(modelID)
	if err != nil {
		c.entry.Truth = []string{truthModelID}
		return nil, validation(msgInvalidModel)
	}
	if t, ok, err := c.invokeRouted(id, operation); ok { // routedruntime.go
		return t, err
	}
	if t, ok, err := c.invokeModelKind(id, operation); ok { // modelkinds.go
		return t, err
	}
	region, account, part := c.region, c.principal.Account, w.Partition
	t := &target{id: id}
	var profileARN string
	var dests []string
	w.mu.Lock()
	acct := w.accounts[account]
	switch id.Kind {
	case bedrockid.KindFoundationModel:
		t.resource = id.ARN(part, region, account)
		t.model = w.models[id.BaseModelID]
	case bedrockid.KindInferenceProfile:
		t.resource = id.ARN(part, region, account)
		profileARN = t.resource
		t.model = w.models[id.BaseModelID]
		if p := w.profiles[id.ResourceID]; p != nil && p.callableFrom(region) {
			if p.global() {
				dests = []string{"unspecified"}
			} else {
				dests = p.Destinations
			}
		}
	case bedrockid.KindApplicationInferenceProfile:
		t.resource = id.Raw
		profileARN = t.resource
		if id.Account == account && id.Region == region {
			if ap := acct.bedrockLocked(region).appProfiles[id.ResourceID]; ap != nil {
				for _, m := range ap.Models {
					mid, err := bedrockid.Parse(m)
					if err == nil {
						t.model = w.models[mid.BaseModelID]
						dests = append(dests, mid.Region)
					}
				}
			}
		}
	default:
		t.resource = id.Raw
	}
	w.mu.Unlock()

	set, err := c.policySet(nil, nil)
	if err != nil {
		return nil, err
	}
	deny := func(resource string, res iampolicy.Result) error {
		return &apiError{Status: 403, Code: "AccessDeniedException", Message: deniedMessage(c.callerARN, action, resource, c.denySuffix(action, res)), Resource: resource}
	}
	if profileARN != "" && t.model != nil && len(dests) > 0 {
		// The destination is chosen once, before any check, so that the
		// ground truth judges the same leg the answer does.
		t.destRgn = c.s.route(id.ResourceID, region, dests)
		fmRegion := t.destRgn
		if t.destRgn == "unspecified" {
			fmRegion = ""
		}
		t.dest = bedrockid.FoundationModelARN(part, fmRegion, t.model.ID)
	}
	c.invokeTruth(id, t, profileARN, dests, action, set)
	if res := c.authorize(action, t.resource, account, map[string][]string{"aws:RequestedRegion": {region}}, set); res.Decision != iampolicy.Allow {
		return nil, deny(t.resource, res)
	}
	if t.dest != "" {
		ctx := map[string][]string{"aws:RequestedRegion": {t.destRgn}, "bedrock:InferenceProfileArn": {profileARN}}
		if res := c.authorize(action, t.dest, account, ctx, set); res.Decision != iampolicy.Allow {
			return nil, deny(t.dest, res)
		}
	}
	if t.model != nil {
		if err := c.modelAccess(acct, region, t.model, set); err != nil {
			return nil, err
		}
	}
	switch {
	case t.model == nil:
		return nil, validation(msgInvalidModel)
	case id.Kind == bedrockid.KindFoundationModel:
		if !t.model.offeredIn(region) || (id.Region != "" && id.Region != region) {
			return nil, validation(msgInvalidModel)
		}
		if !t.model.OnDemand {
			return nil, validation(onDemandMessage(t.model.ID))
		}
	case len(dests) == 0:
		return nil, validation(msgInvalidModel)
	}
	if t.model.Legacy {
		return nil, &apiError{Status: 404, Code: "ResourceNotFoundException", Message: msgLegacy}
	}
	if g := c.r.Header.Get("X-Amzn-Bedrock-Guardrailidentifier"); g != "" {
		if err := c.guardrail(g); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// modelAccess applies the account's model-access state (AWS.md §6.7): a
// Marketplace model's first call succeeds and starts the subscription,
// which fails when the caller may not subscribe, denying later calls.
func (c *call) modelAccess(acct *Account, region string, m *FoundationModel, set iampolicy.PolicySet) error {
	w := c.s.World
	w.mu.Lock()
	b := acct.bedrockLocked(region)
	state := b.access[m.ID]
	w.mu.Unlock()
	switch state {
	case AccessNeedsSubscription:
		ok := c.scriptedAllow
		if !ok {
			sub := iampolicy.Evaluate(iampolicy.Request{Principal: c.principal, Action: "aws-marketplace:Subscribe", Resource: "*", Context: map[string][]string{"aws:RequestedRegion": {region}}}, set)
			view := iampolicy.Evaluate(iampolicy.Request{Principal: c.principal, Action: "aws-marketplace:ViewSubscriptions", Resource: "*", Context: map[string][]string{"aws:RequestedRegion": {region}}}, set)
			ok = sub.Decision == iampolicy.Allow && view.Decision == iampolicy.Allow
		}
		next := AccessSubscriptionFailed
		if ok {
			next = AccessAuthorized
		}
		w.mu.Lock()
		b.access[m.ID] = next
		w.mu.Unlock()
		return nil
	case AccessSubscriptionFailed:
		return &apiError{Status: 403, Code: "AccessDeniedException", Message: msgMarketplace}
	case AccessAgreementPending:
		return &apiError{Status: 403, Code: "AccessDeniedException", Message: msgNoAccess}
	case AccessUseCaseMissing:
		return &apiError{Status: 404, Code: "ResourceNotFoundException", Message: msgUseCase}
	case AccessNotAvailable:
		return &apiError{Status: 403, Code: "AccessDeniedException", Message: msgNotAvailable}
	}
	return nil
}

// guardrail authorizes bedrock:ApplyGuardrail on a guardrail of the caller's
// account in the request region.
func (c *call) guardrail(idOrARN string) error {
	w := c.s.World
	gid := idOrARN
	if i := strings.LastIndex(idOrARN, "/"); strings.HasPrefix(idOrARN, "arn:") && i >= 0 {
		gid = idOrARN[i+1:]
	}
	arn := "arn:" + w.Partition + ":bedrock:" + c.region + ":" + c.principal.Account + ":guardrail/" + gid
	set, err := c.policySet(nil, nil)
	if err != nil {
		return err
	}
	if res := c.authorize("bedrock:ApplyGuardrail", arn, c.principal.Account, nil, set); res.Decision != iampolicy.Allow {
		c.addLegTruth(authLeg{action: "bedrock:ApplyGuardrail", resource: arn}, set)
		return &apiError{Status: 403, Code: "AccessDeniedException", Message: deniedMessage(c.callerARN, "bedrock:ApplyGuardrail", arn, c.denySuffix("bedrock:ApplyGuardrail", res)), Resource: arn}
	}
	w.mu.Lock()
	var g *Guardrail
	if a := w.accounts[c.principal.Account]; a != nil {
		g = a.bedrockLocked(c.region).guardrails[gid]
	}
	w.mu.Unlock()
	if g == nil {
		return &apiError{Status: 404, Code: "ResourceNotFoundException", Message: "The guardrail identifier or version provided is invalid."}
	}
	return c.guardrailKey(g.KMSKey, set) // modelkinds.go
}

const replyText = "Hello from awsfake."

// modelReply is a minimal plausible body in the provider's native format.
func modelReply(m *FoundationModel, inputTokens int) []byte {
	var v any
	if strings.HasPrefix(m.ID, "anthropic.") {
		v = map[string]any{"id": "msg_awsfake", "type": "message", "role": "assistant", "model": m.ID,
			"content": []any{map[string]any{"type": "text", "text": replyText}}, "stop_reason": "end_turn",
			"usage": map[string]int{"input_tokens": inputTokens, "output_tokens": 4}}
	} else {
		v = map[string]any{"results": []any{map[string]any{"outputText": replyText, "completionReason": "FINISH", "tokenCount": 4}}, "inputTextTokenCount": inputTokens}
	}
	b, _ := json.Marshal(v)
	return b
}

func countTokens(b []byte) int { return max(1, len(bytes.Fields(b))) }

func rtInvokeModel(c *call) error {
	t, err := c.invoke(c.params[0], "InvokeModel")
	if err != nil {
		return err
	}
	body := modelReply(t.model, countTokens(c.body))
	c.wrote, c.entry.Status = true, 200
	c.header()
	h := c.w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amzn-Bedrock-Input-Token-Count", strconv.Itoa(countTokens(c.body)))
	h.Set("X-Amzn-Bedrock-Output-Token-Count", "4")
	c.w.WriteHeader(200)
	_, _ = c.w.Write(body)
	return nil
}

type converseInput struct {
	Messages []struct {
		Role    string            `json:"role"`
		Content []json.RawMessage `json:"content"`
	} `json:"messages"`
	GuardrailConfig *struct {
		GuardrailIdentifier string `json:"guardrailIdentifier"`
		GuardrailVersion    string `json:"guardrailVersion"`
	} `json:"guardrailConfig"`
}

// converseInput validates a Converse body and returns its token count and
// the guardrail it names ("" for none).
func (c *call) converseInput() (int, string, error) {
	var in converseInput
	if err := decodeJSON(c.body, &in); err != nil {
		return 0, "", &apiError{Status: 400, Code: "SerializationException", Message: err.Error()}
	}
	if len(in.Messages) == 0 {
		return 0, "", validation("A conversation must start with a user message. Try again with a conversation that starts with a user message.")
	}
	g := ""
	if in.GuardrailConfig != nil {
		g = in.GuardrailConfig.GuardrailIdentifier
	}
	return countTokens(c.body), g, nil
}

func rtConverse(c *call) error {
	n, guardrail, err := c.converseInput()
	if err != nil {
		return err
	}
	if _, err := c.invoke(c.params[0], "Converse"); err != nil {
		return err
	}
	if guardrail != "" {
		if err := c.guardrail(guardrail); err != nil {
			return err
		}
	}
	return c.writeJSON(200, map[string]any{
		"output":     map[string]any{"message": map[string]any{"role": "assistant", "content": []any{map[string]string{"text": replyText}}}},
		"stopReason": "end_turn",
		"usage":      map[string]int{"inputTokens": n, "outputTokens": 4, "totalTokens": n + 4},
		"metrics":    map[string]int{"latencyMs": 1},
	})
}

// stream writes event-stream frames (AWS.md §6.2).
type stream struct {
	c    *call
	enc  *eventstream.Encoder
	buf  bytes.Buffer
	sent int
	done bool
}

func (c *call) startStream(extra map[string]string) *stream {
	c.wrote, c.entry.Status = true, 200
	c.header()
	h := c.w.Header()
	h.Set("Content-Type", "application/vnd.amazon.eventstream")
	// A stream's connection is not reused: a client that closes a finished
	// stream late must not close the next request's connection.
	h.Set("Connection", "close")
	for k, v := range extra {
		h.Set(k, v)
	}
	c.w.WriteHeader(200)
	return &stream{c: c, enc: eventstream.NewEncoder()}
}

// event writes one event; after the first, an injected in-stream exception
// replaces the rest of the stream. It reports whether the stream goes on.
func (s *stream) event(eventType string, payload any) bool {
	if s.done {
		return false
	}
	var hs eventstream.Headers
	hs.Set(":message-type", eventstream.StringValue("event"))
	hs.Set(":event-type", eventstream.StringValue(eventType))
	hs.Set(":content-type", eventstream.StringValue("application/json"))
	if f := s.c.streamFault; f != nil && s.sent > 0 {
		hs = nil
		hs.Set(":message-type", eventstream.StringValue("exception"))
		hs.Set(":exception-type", eventstream.StringValue(f.StreamException))
		hs.Set(":content-type", eventstream.StringValue("application/json"))
		payload = map[string]string{"message": f.Message}
		s.done = true
		s.c.entry.ErrorCode = f.StreamException
	}
	s.sent++
	b, _ := json.Marshal(payload)
	s.buf.Reset()
	if err := s.enc.Encode(&s.buf, eventstream.Message{Headers: hs, Payload: b}); err != nil {
		return false
	}
	_, _ = s.c.w.Write(s.buf.Bytes())
	if f, ok := s.c.w.(http.Flusher); ok {
		f.Flush()
	}
	return !s.done
}

func rtConverseStream(c *call) error {
	n, guardrail, err := c.converseInput()
	if err != nil {
		return err
	}
	if _, err := c.invoke(c.params[0], "ConverseStream"); err != nil {
		return err
	}
	if guardrail != "" {
		if err := c.guardrail(guardrail); err != nil {
			return err
		}
	}
	s := c.startStream(nil)
	_ = s.event("messageStart", map[string]string{"role": "assistant"}) &&
		s.event("contentBlockDelta", map[string]any{"contentBlockIndex": 0, "delta": map[string]string{"text": replyText}}) &&
		s.event("contentBlockStop", map[string]any{"contentBlockIndex": 0}) &&
		s.event("messageStop", map[string]string{"stopReason": "end_turn"}) &&
		s.event("metadata", map[string]any{"usage": map[string]int{"inputTokens": n, "outputTokens": 4, "totalTokens": n + 4}, "metrics": map[string]int{"latencyMs": 1}})
	return nil
}

func rtInvokeModelStream(c *call) error {
	t, err := c.invoke(c.params[0], "InvokeModelWithResponseStream")
	if err != nil {
		return err
	}
	s := c.startStream(map[string]string{"X-Amzn-Bedrock-Content-Type": "application/json"})
	reply := modelReply(t.model, countTokens(c.body))
	half := len(reply) / 2
	if s.event("chunk", map[string]string{"bytes": base64.StdEncoding.EncodeToString(reply[:half])}) {
		s.event("chunk", map[string]string{"bytes": base64.StdEncoding.EncodeToString(reply[half:])})
	}
	return nil
}

func rtCountTokens(c *call) error {
	var in struct {
		Input struct {
			InvokeModel *struct {
				Body []byte `json:"body"`
			} `json:"invokeModel"`
			Converse json.RawMessage `json:"converse"`
		} `json:"input"`
	}
	if err := decodeJSON(c.body, &in); err != nil {
		return &apiError{Status: 400, Code: "SerializationException", Message: err.Error()}
	}
	id, err := bedrockid.Parse(c.params[0])
	if err == nil && id.Kind != bedrockid.KindFoundationModel {
		// Profiles are rejected by CountTokens (AWS.md §6.4).
		return validation("The provided model doesn't support counting tokens.")
	}
	if _, err := c.invoke(c.params[0], "CountTokens"); err != nil {
		return err
	}
	n := 0
	switch {
	case in.Input.InvokeModel != nil:
		n = countTokens(in.Input.InvokeModel.Body)
	case in.Input.Converse != nil:
		n = countTokens(in.Input.Converse)
	default:
		return validation("1 validation error detected: Value null at 'input' failed to satisfy constraint: Member must not be null")
	}
	return c.writeJSON(200, map[string]int{"inputTokens": n})
}

func rtApplyGuardrail(c *call) error {
	var in struct {
		Source  string            `json:"source"`
		Content []json.RawMessage `json:"content"`
	}
	if err := decodeJSON(c.body, &in); err != nil {
		return &apiError{Status: 400, Code: "SerializationException", Message: err.Error()}
	}
	if in.Source != "INPUT" && in.Source != "OUTPUT" {
		return validation("1 validation error detected: Value '" + in.Source + "' at 'source' failed to satisfy constraint: Member must satisfy enum value set: [INPUT, OUTPUT]")
	}
	if err := c.guardrail(c.params[0]); err != nil {
		return err
	}
	return c.writeJSON(200, map[string]any{"action": "NONE", "outputs": []any{}, "assessments": []any{},
		"usage": map[string]int{"topicPolicyUnits": 0, "contentPolicyUnits": 1, "wordPolicyUnits": 0, "sensitiveInformationPolicyUnits": 0, "sensitiveInformationPolicyFreeUnits": 0, "contextualGroundingPolicyUnits": 0}})
}
