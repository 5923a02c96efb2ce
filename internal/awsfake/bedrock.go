package awsfake

import (
	"encoding/base64"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/bedrockdoctor/bedrockdoctor/internal/bedrockid"
	"github.com/bedrockdoctor/bedrockdoctor/internal/iampolicy"
)

// cpAuthorize checks a Bedrock control-plane action.
func (c *call) cpAuthorize(resource string) error {
	set, err := c.policySet(nil, nil)
	if err != nil {
		return err
	}
	action := "bedrock:" + c.action
	if res := c.authorize(action, resource, c.principal.Account, nil, set); res.Decision != iampolicy.Allow {
		return &apiError{Status: 403, Code: "AccessDeniedException", Message: deniedMessage(c.callerARN, action, resource, c.denySuffix(action, res)), Resource: resource}
	}
	return nil
}

// epoch is the creation time the fake reports for catalog entries.
var epoch = time.Date(2024, 9, 30, 0, 0, 0, 0, time.UTC)

func (c *call) modelSummary(m *FoundationModel) map[string]any {
	types := []string{"INFERENCE_PROFILE"}
	if m.OnDemand {
		types = []string{"ON_DEMAND"}
	}
	status := "ACTIVE"
	lc := map[string]any{"status": status}
	if m.Legacy {
		lc["status"] = "LEGACY"
		lc["legacyTime"] = epoch.Format(time.RFC3339)
	}
	return map[string]any{
		"modelArn":                   bedrockid.FoundationModelARN(c.s.World.Partition, c.region, m.ID),
		"modelId":                    m.ID,
		"modelName":                  m.Name,
		"providerName":               m.Provider,
		"inputModalities":            []string{"TEXT"},
		"outputModalities":           []string{"TEXT"},
		"responseStreamingSupported": true,
		"customizationsSupported":    []string{},
		"inferenceTypesSupported":    types,
		"modelLifecycle":             lc,
	}
}

func (c *call) catalogModel(idOrARN string) *FoundationModel {
	id, err := bedrockid.Parse(idOrARN)
	if err != nil || id.Kind != bedrockid.KindFoundationModel {
		return nil
	}
	w := c.s.World
	w.mu.Lock()
	defer w.mu.Unlock()
	m := w.models[id.BaseModelID]
	if m == nil || !m.offeredIn(c.region) {
		return nil
	}
	return m
}

func cpListFoundationModels(c *call) error {
	if err := c.cpAuthorize("*"); err != nil {
		return err
	}
	q := c.r.URL.Query()
	w := c.s.World
	w.mu.Lock()
	ids := make([]string, 0, len(w.models))
	for id, m := range w.models {
		if m.offeredIn(c.region) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	var out []map[string]any
	for _, id := range ids {
		m := w.models[id]
		if p := q.Get("byProvider"); p != "" && !strings.EqualFold(p, m.Provider) {
			continue
		}
		s := c.modelSummary(m)
		if it := q.Get("byInferenceType"); it != "" && s["inferenceTypesSupported"].([]string)[0] != it {
			continue
		}
		out = append(out, s)
	}
	w.mu.Unlock()
	return c.writeJSON(200, map[string]any{"modelSummaries": out})
}

func cpGetFoundationModel(c *call) error {
	id := c.params[0]
	arn := id
	if !strings.HasPrefix(id, "arn:") {
		arn = bedrockid.FoundationModelARN(c.s.World.Partition, c.region, id)
	}
	if err := c.cpAuthorize(arn); err != nil {
		return err
	}
	m := c.catalogModel(id)
	if m == nil {
		return &apiError{Status: 404, Code: "ResourceNotFoundException", Message: "Could not resolve the foundation model from the provided model identifier."}
	}
	return c.writeJSON(200, map[string]any{"modelDetails": c.modelSummary(m)})
}

func cpGetFoundationModelAvailability(c *call) error {
	if err := c.cpAuthorize("*"); err != nil {
		return err
	}
	m := c.catalogModel(c.params[0])
	w := c.s.World
	regionAvail := "AVAILABLE"
	if m == nil {
		w.mu.Lock()
		id, err := bedrockid.Parse(c.params[0])
		if err == nil {
			m = w.models[id.BaseModelID]
		}
		w.mu.Unlock()
		if m == nil {
			return &apiError{Status: 404, Code: "ResourceNotFoundException", Message: "Could not resolve the foundation model from the provided model identifier."}
		}
		regionAvail = "NOT_AVAILABLE"
	}
	w.mu.Lock()
	state := w.accounts[c.principal.Account].bedrockLocked(c.region).access[m.ID]
	w.mu.Unlock()
	agreement := map[string]any{"status": "AVAILABLE"}
	auth, ent := "AUTHORIZED", "AVAILABLE"
	switch state {
	case AccessNeedsSubscription:
		agreement["status"] = "NOT_AVAILABLE"
	case AccessSubscriptionFailed:
		agreement = map[string]any{"status": "ERROR", "errorMessage": msgMarketplace}
	case AccessAgreementPending:
		agreement["status"] = "PENDING"
	case AccessUseCaseMissing:
		auth = "NOT_AUTHORIZED"
	case AccessNotAvailable:
		ent = "NOT_AVAILABLE"
	}
	return c.writeJSON(200, map[string]any{"modelId": m.ID, "agreementAvailability": agreement, "authorizationStatus": auth,
		"entitlementAvailability": ent, "regionAvailability": regionAvail})
}

func cpGetUseCaseForModelAccess(c *call) error {
	if err := c.cpAuthorize("*"); err != nil {
		return err
	}
	w := c.s.World
	w.mu.Lock()
	form := w.accounts[c.principal.Account].UseCaseForm
	w.mu.Unlock()
	if form == "" {
		// What AWS answers without a form is UNCONFIRMED (AWS.md §7); 404 is
		// the expected reading.
		return &apiError{Status: 404, Code: "ResourceNotFoundException", Message: "No use case form found for this account."}
	}
	return c.writeJSON(200, map[string]string{"formData": base64.StdEncoding.EncodeToString([]byte(form))})
}

// profileView is one inference profile as the caller sees it.
func (c *call) profiles() []map[string]any {
	w := c.s.World
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []map[string]any
	ids := make([]string, 0, len(w.profiles))
	for id := range w.profiles {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		p := w.profiles[id]
		if !p.callableFrom(c.region) {
			continue
		}
		var models []map[string]string
		if p.global() {
			models = append(models, map[string]string{"modelArn": bedrockid.FoundationModelARN(w.Partition, "", p.ModelID)})
		}
		for _, d := range p.Destinations {
			models = append(models, map[string]string{"modelArn": bedrockid.FoundationModelARN(w.Partition, d, p.ModelID)})
		}
		out = append(out, map[string]any{"inferenceProfileArn": bedrockid.InferenceProfileARN(w.Partition, c.region, c.principal.Account, p.ID),
			"inferenceProfileId": p.ID, "inferenceProfileName": p.Name, "models": models, "status": "ACTIVE", "type": "SYSTEM_DEFINED",
			"createdAt": epoch.Format(time.RFC3339), "updatedAt": epoch.Format(time.RFC3339), "description": "Routes requests to " + p.ModelID})
	}
	b := w.accounts[c.principal.Account].bedrockLocked(c.region)
	aids := make([]string, 0, len(b.appProfiles))
	for id := range b.appProfiles {
		aids = append(aids, id)
	}
	sort.Strings(aids)
	for _, id := range aids {
		ap := b.appProfiles[id]
		var models []map[string]string
		for _, m := range ap.Models {
			models = append(models, map[string]string{"modelArn": m})
		}
		out = append(out, map[string]any{"inferenceProfileArn": "arn:" + w.Partition + ":bedrock:" + c.region + ":" + c.principal.Account + ":application-inference-profile/" + id,
			"inferenceProfileId": id, "inferenceProfileName": ap.Name, "models": models, "status": "ACTIVE", "type": "APPLICATION",
			"createdAt": ap.created.Format(time.RFC3339), "updatedAt": ap.created.Format(time.RFC3339)})
	}
	return out
}

func cpListInferenceProfiles(c *call) error {
	if err := c.cpAuthorize("*"); err != nil {
		return err
	}
	q := c.r.URL.Query()
	all := c.profiles()
	if t := q.Get("type"); t != "" {
		var keep []map[string]any
		for _, p := range all {
			if p["type"] == t {
				keep = append(keep, p)
			}
		}
		all = keep
	}
	maxResults := 1000
	if m := q.Get("maxResults"); m != "" {
		v, err := strconv.Atoi(m)
		if err != nil || v < 1 || v > 1000 {
			return validation("1 validation error detected: Value '" + m + "' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 1000")
		}
		maxResults = v
	}
	start := 0
	if tok := q.Get("nextToken"); tok != "" {
		v, err := strconv.Atoi(tok)
		if err != nil || v < 0 || v > len(all) {
			return validation("The provided pagination token is invalid.")
		}
		start = v
	}
	end := min(start+maxResults, len(all))
	out := map[string]any{"inferenceProfileSummaries": all[start:end]}
	if end < len(all) {
		out["nextToken"] = strconv.Itoa(end)
	}
	return c.writeJSON(200, out)
}

func cpGetInferenceProfile(c *call) error {
	ident := c.params[0]
	for _, p := range c.profiles() {
		if p["inferenceProfileId"] == ident || p["inferenceProfileArn"] == ident {
			if err := c.cpAuthorize(p["inferenceProfileArn"].(string)); err != nil {
				return err
			}
			return c.writeJSON(200, p)
		}
	}
	arn := ident
	if !strings.HasPrefix(ident, "arn:") {
		arn = bedrockid.InferenceProfileARN(c.s.World.Partition, c.region, c.principal.Account, ident)
	}
	if err := c.cpAuthorize(arn); err != nil {
		return err
	}
	return &apiError{Status: 404, Code: "ResourceNotFoundException", Message: "The specified inference profile " + ident + " was not found."}
}

func cpGetGuardrail(c *call) error {
	gid := c.params[0]
	if i := strings.LastIndex(gid, "/"); strings.HasPrefix(gid, "arn:") && i >= 0 {
		gid = gid[i+1:]
	}
	w := c.s.World
	arn := "arn:" + w.Partition + ":bedrock:" + c.region + ":" + c.principal.Account + ":guardrail/" + gid
	if err := c.cpAuthorize(arn); err != nil {
		return err
	}
	w.mu.Lock()
	g := w.accounts[c.principal.Account].bedrockLocked(c.region).guardrails[gid]
	w.mu.Unlock()
	if g == nil {
		return &apiError{Status: 404, Code: "ResourceNotFoundException", Message: "The guardrail " + gid + " was not found."}
	}
	ts := g.created.Format(time.RFC3339)
	out := map[string]any{"guardrailId": g.ID, "guardrailArn": arn, "name": g.Name, "version": g.Version, "status": "READY",
		"createdAt": ts, "updatedAt": ts, "blockedInputMessaging": "Sorry, the model cannot answer this question.", "blockedOutputsMessaging": "Sorry, the model cannot answer this question."}
	if g.KMSKey != "" {
		out["kmsKeyArn"] = g.KMSKey
	}
	return c.writeJSON(200, out)
}
