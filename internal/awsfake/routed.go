package awsfake

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/bedrockdoctor/bedrockdoctor/internal/bedrockid"
)

// The model kinds beyond foundation models and inference profiles that this
// file serves: prompt routers (AWS's default ones and an account's own),
// prompts from Prompt management, and Bedrock Marketplace model endpoints.
// Their authorization is in routedruntime.go, their control-plane reads
// (GetPromptRouter, bedrock-agent's GetPrompt, GetMarketplaceModelEndpoint)
// in routedcp.go.

// routedKinds holds them: the default routers, offered in every account, and
// per "account/region" what an account created.
type routedKinds struct {
	defaultRouters map[string]*DefaultRouter
	byRegion       map[string]*routedRegion
}

type routedRegion struct {
	routers   map[string]*PromptRouter
	prompts   map[string]*Prompt
	endpoints map[string]*MarketplaceEndpoint
}

// routedRegionLocked returns an account's kinds in a region, created on
// first use; the world's lock is held.
func (w *World) routedRegionLocked(account, region string) *routedRegion {
	if w.routed.byRegion == nil {
		w.routed.byRegion = map[string]*routedRegion{}
	}
	k := account + "/" + region
	rk := w.routed.byRegion[k]
	if rk == nil {
		rk = &routedRegion{routers: map[string]*PromptRouter{}, prompts: map[string]*Prompt{}, endpoints: map[string]*MarketplaceEndpoint{}}
		w.routed.byRegion[k] = rk
	}
	return rk
}

// DefaultRouter is one of AWS's default prompt routers
// (https://docs.aws.amazon.com/bedrock/latest/userguide/prompt-routing.html):
// every account has it, as arn:PARTITION:bedrock:REGION:ACCOUNT:default-prompt-router/ID
// (ID like "anthropic.claude:1"), and it routes each request to one of its
// models within one model family.
type DefaultRouter struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Models are the identifiers it routes between: system inference
	// profile ids ("us.anthropic...") or foundation-model ids, as
	// GetPromptRouter lists them (API_PromptRouterTargetModel.html allows
	// both). Fallback is the one it uses when it cannot predict; it is
	// the first of Models when empty.
	Models   []string `json:"models"`
	Fallback string   `json:"fallback"`
	// Regions offer the router.
	Regions []string `json:"regions"`
}

// DefaultPromptRouter adds a default prompt router to every account.
func (w *World) DefaultPromptRouter(r DefaultRouter) *World {
	w.mu.Lock()
	defer w.mu.Unlock()
	if r.Fallback == "" && len(r.Models) > 0 {
		r.Fallback = r.Models[0]
	}
	if r.Name == "" {
		r.Name = r.ID
	}
	if w.routed.defaultRouters == nil {
		w.routed.defaultRouters = map[string]*DefaultRouter{}
	}
	w.routed.defaultRouters[r.ID] = &r
	return w
}

func (r *DefaultRouter) offeredIn(region string) bool { return slices.Contains(r.Regions, region) }

// PromptRouter is a prompt router an account created (CreatePromptRouter).
type PromptRouter struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Models are the foundation-model or inference-profile identifiers (ids
	// or ARNs) it routes between; Fallback is one of them (the first when
	// empty).
	Models   []string `json:"models"`
	Fallback string   `json:"fallback"`
	created  time.Time
}

// PromptRouter adds a custom prompt router and returns its ARN.
func (b *Bedrock) PromptRouter(r PromptRouter) string {
	w := b.account.world
	if r.Fallback == "" && len(r.Models) > 0 {
		r.Fallback = r.Models[0]
	}
	if r.Name == "" {
		r.Name = r.ID
	}
	r.created = time.Now().UTC()
	w.mu.Lock()
	w.routedRegionLocked(b.account.ID, b.Region).routers[r.ID] = &r
	w.mu.Unlock()
	return fmt.Sprintf("arn:%s:bedrock:%s:%s:prompt-router/%s", w.Partition, b.Region, b.account.ID, r.ID)
}

// Prompt is a prompt of Prompt management (bedrock-agent CreatePrompt):
// its default variant names the model Converse runs it on.
type Prompt struct {
	ID   string `json:"id"` // ten alphanumerics
	Name string `json:"name"`
	// ModelID is the default variant's model: a foundation-model id or
	// an inference profile id or ARN.
	ModelID string `json:"modelId"`
	// Versions are the published versions ("1", "2"); the draft always
	// exists.
	Versions []string `json:"versions"`
	created  time.Time
}

func (p *Prompt) hasVersion(v string) bool {
	if v == "" || v == "DRAFT" {
		return true
	}
	for _, x := range p.Versions {
		if x == v {
			return true
		}
	}
	return false
}

// Prompt adds a prompt and returns its ARN (arn:...:prompt/ID; a version's
// is that with ":VERSION").
func (b *Bedrock) Prompt(p Prompt) string {
	w := b.account.world
	if p.Name == "" {
		p.Name = p.ID
	}
	p.created = time.Now().UTC()
	w.mu.Lock()
	w.routedRegionLocked(b.account.ID, b.Region).prompts[p.ID] = &p
	w.mu.Unlock()
	return fmt.Sprintf("arn:%s:bedrock:%s:%s:prompt/%s", w.Partition, b.Region, b.account.ID, p.ID)
}

// MarketplaceEndpoint is a Bedrock Marketplace model deployed on a
// SageMaker endpoint of the account and registered with Bedrock.
type MarketplaceEndpoint struct {
	Name string `json:"name"`
	// ModelSource is the Marketplace model it serves
	// (arn:aws:sagemaker:REGION:aws:hub-content/SageMakerPublicHub/Model/...).
	ModelSource string `json:"modelSource"`
	created     time.Time
}

// MarketplaceEndpoint adds a registered Marketplace model endpoint and
// returns its SageMaker endpoint ARN, the modelId Bedrock Runtime takes.
func (b *Bedrock) MarketplaceEndpoint(e MarketplaceEndpoint) string {
	w := b.account.world
	e.created = time.Now().UTC()
	w.mu.Lock()
	w.routedRegionLocked(b.account.ID, b.Region).endpoints[e.Name] = &e
	w.mu.Unlock()
	return fmt.Sprintf("arn:%s:sagemaker:%s:%s:endpoint/%s", w.Partition, b.Region, b.account.ID, e.Name)
}

// routerView is a prompt router as the caller sees it in region: the
// router's ARN, its type ("default" or "custom"), its models as ARNs in the
// caller's account and region, and its fallback among them. ok is false
// when there is no such router there.
type routerView struct {
	arn, typ, name string
	models         []string // ARNs, fallback first
	fallback       string
	created        time.Time
}

// routerLocked resolves a router identifier (ARN) for the caller's account
// in region. The world's lock is held.
func (w *World) routerLocked(id bedrockid.ID, account, region string) (routerView, bool) {
	if id.Account != account || id.Region != region {
		return routerView{}, false
	}
	var v routerView
	var models []string
	switch id.Kind {
	case bedrockid.KindDefaultPromptRouter:
		r := w.routed.defaultRouters[id.ResourceID]
		if r == nil || !r.offeredIn(region) {
			return routerView{}, false
		}
		v = routerView{arn: id.Raw, typ: "default", name: r.Name, created: epoch}
		models = append([]string{r.Fallback}, r.Models...)
	case bedrockid.KindPromptRouter:
		r := w.routedRegionLocked(account, region).routers[id.ResourceID]
		if r == nil {
			return routerView{}, false
		}
		v = routerView{arn: id.Raw, typ: "custom", name: r.Name, created: r.created}
		models = append([]string{r.Fallback}, r.Models...)
	default:
		return routerView{}, false
	}
	seen := map[string]bool{}
	for _, m := range models {
		a := w.modelARNLocked(m, account, region)
		if a == "" || seen[a] {
			continue
		}
		seen[a] = true
		v.models = append(v.models, a)
	}
	if len(v.models) > 0 {
		v.fallback = v.models[0]
	}
	return v, true
}

// modelARNLocked is the ARN AWS shows for a router's or prompt's model
// identifier in the caller's account and region: a foundation-model ARN,
// or an inference-profile ARN; "" for one it cannot parse.
func (w *World) modelARNLocked(ident, account, region string) string {
	id, err := bedrockid.Parse(ident)
	if err != nil {
		return ""
	}
	switch id.Kind {
	case bedrockid.KindFoundationModel, bedrockid.KindInferenceProfile, bedrockid.KindApplicationInferenceProfile:
		return id.ARN(w.Partition, region, account)
	}
	return ""
}

// promptLocked resolves a prompt ARN (with or without a version) for the
// caller's account in region.
func (w *World) promptLocked(id bedrockid.ID, account, region string) (*Prompt, string, bool) {
	if id.Kind != bedrockid.KindPrompt || id.Account != account || id.Region != region {
		return nil, "", false
	}
	pid, version, _ := strings.Cut(id.ResourceID, ":")
	p := w.routedRegionLocked(account, region).prompts[pid]
	if p == nil || !p.hasVersion(version) {
		return nil, "", false
	}
	return p, version, true
}

// endpointLocked resolves a Marketplace endpoint ARN for the caller's
// account in region.
func (w *World) endpointLocked(id bedrockid.ID, account, region string) (*MarketplaceEndpoint, bool) {
	if id.Kind != bedrockid.KindMarketplaceEndpoint || id.Account != account || id.Region != region {
		return nil, false
	}
	e := w.routedRegionLocked(account, region).endpoints[id.ResourceID]
	return e, e != nil
}

// offeredElsewhereLocked reports that the identifier names a resource that
// exists in another region than the caller's (the ground truth's region
// rather than model-id).
func (w *World) offeredElsewhereLocked(id bedrockid.ID, account, region string) bool {
	switch id.Kind {
	case bedrockid.KindDefaultPromptRouter:
		r := w.routed.defaultRouters[id.ResourceID]
		return r != nil && id.Account == account && (id.Region != region || !r.offeredIn(region)) && len(r.Regions) > 0
	case bedrockid.KindPromptRouter, bedrockid.KindPrompt, bedrockid.KindMarketplaceEndpoint:
		if id.Region == region || id.Account != account {
			return false
		}
		rk := w.routed.byRegion[account+"/"+id.Region]
		if rk == nil {
			return false
		}
		pid, _, _ := strings.Cut(id.ResourceID, ":")
		return rk.routers[id.ResourceID] != nil || rk.prompts[pid] != nil || rk.endpoints[id.ResourceID] != nil
	}
	return false
}

// routedKinds adds a scenario's prompt routers, prompts and Marketplace
// endpoints of one account and region.
func (b *builder) routedKinds(br *Bedrock, sb scenarioBedrock) {
	for _, r := range sb.PromptRouters {
		if r.ID == "" || len(r.Models) == 0 {
			b.fail("bedrock %s: prompt router %q: id and models are required", sb.Region, r.ID)
		}
		br.PromptRouter(r)
	}
	for _, p := range sb.Prompts {
		if p.ID == "" || p.ModelID == "" {
			b.fail("bedrock %s: prompt %q: id and modelId are required", sb.Region, p.ID)
		}
		br.Prompt(p)
	}
	for _, e := range sb.MarketplaceEndpoints {
		if e.Name == "" {
			b.fail("bedrock %s: marketplace endpoint: name is required", sb.Region)
		}
		br.MarketplaceEndpoint(e)
	}
}
