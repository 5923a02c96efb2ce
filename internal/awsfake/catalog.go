package awsfake

import (
	"fmt"
	"time"
)

// FoundationModel is one entry of the Bedrock model catalog, shared by every
// account of the world.
type FoundationModel struct {
	ID       string // anthropic.claude-3-haiku-20240307-v1:0
	Name     string
	Provider string // "Anthropic", "Amazon", ...
	// Regions offer the model. With OnDemand false the model can be invoked
	// there only through an inference profile (inferenceTypesSupported
	// INFERENCE_PROFILE, AWS.md §6.6).
	Regions  []string
	OnDemand bool
	// Legacy marks lifecycle LEGACY: accounts that have not used it in the
	// last 15 days get ResourceNotFoundException (AWS.md §6.8).
	Legacy bool
	// Marketplace marks third-party models sold through AWS Marketplace,
	// whose first use starts a subscription (AWS.md §6.7).
	Marketplace bool
}

func (m *FoundationModel) offeredIn(region string) bool {
	for _, r := range m.Regions {
		if r == region {
			return true
		}
	}
	return false
}

// Model adds a foundation model to the catalog.
func (w *World) Model(m FoundationModel) *World {
	w.mu.Lock()
	defer w.mu.Unlock()
	if m.Name == "" {
		m.Name = m.ID
	}
	w.models[m.ID] = &m
	return w
}

// SystemProfile is a system-defined cross-Region inference profile.
type SystemProfile struct {
	ID      string // us.anthropic..., global.anthropic...
	Name    string
	ModelID string
	// Sources are the regions the profile can be called from; Destinations
	// the regions it routes to. A global profile routes to the region-less
	// foundation-model ARN (AWS.md §6.6).
	Sources      []string
	Destinations []string
}

func (p *SystemProfile) global() bool { return len(p.ID) > 7 && p.ID[:7] == "global." }

func (p *SystemProfile) callableFrom(region string) bool {
	for _, r := range p.Sources {
		if r == region {
			return true
		}
	}
	return false
}

// Profile adds a system-defined inference profile. With no Destinations they
// are the Sources.
func (w *World) Profile(p SystemProfile) *World {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(p.Destinations) == 0 {
		p.Destinations = p.Sources
	}
	if p.Name == "" {
		p.Name = p.ID
	}
	w.profiles[p.ID] = &p
	return w
}

// AccessState is the model-access state of one model in one account and
// region (AWS.md §6.7, §6.8).
type AccessState int

// The states.
const (
	// AccessAuthorized: the model can be invoked.
	AccessAuthorized AccessState = iota
	// AccessNeedsSubscription: a Marketplace model never used in the
	// account. The first invoke starts the subscription and succeeds; when
	// the caller may not aws-marketplace:Subscribe and
	// aws-marketplace:ViewSubscriptions the subscription fails and later
	// calls are denied (AccessSubscriptionFailed).
	AccessNeedsSubscription
	// AccessSubscriptionFailed: calls are denied with the Marketplace text.
	AccessSubscriptionFailed
	// AccessAgreementPending: the offer agreement is not in place.
	AccessAgreementPending
	// AccessUseCaseMissing: Anthropic's first-time-use form was not
	// submitted (ResourceNotFoundException 404).
	AccessUseCaseMissing
	// AccessNotAvailable: the model is not available to this account.
	AccessNotAvailable
)

// Bedrock is the Bedrock state of one account in one region.
type Bedrock struct {
	Region      string
	account     *Account
	access      map[string]AccessState
	appProfiles map[string]*AppProfile
	guardrails  map[string]*Guardrail
}

// AppProfile is an application inference profile.
type AppProfile struct {
	ID   string // opaque id
	Name string
	// Models are the foundation-model ARNs it routes to (one per region).
	Models  []string
	created time.Time
}

// Guardrail is a Bedrock guardrail.
type Guardrail struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Version string `json:"version"`
	// KMSKey is the customer managed key that encrypts it, "" for an AWS
	// owned key (guardrails-permissions-kms.html).
	KMSKey  string `json:"kmsKey"`
	created time.Time
}

// Bedrock returns the account's Bedrock state in a region.
func (a *Account) Bedrock(region string) *Bedrock {
	a.world.mu.Lock()
	defer a.world.mu.Unlock()
	return a.bedrockLocked(region)
}

func (a *Account) bedrockLocked(region string) *Bedrock {
	b, ok := a.bedrock[region]
	if !ok {
		b = &Bedrock{Region: region, account: a, access: map[string]AccessState{}, appProfiles: map[string]*AppProfile{}, guardrails: map[string]*Guardrail{}}
		a.bedrock[region] = b
	}
	return b
}

// Access sets a model's access state in this account and region.
func (b *Bedrock) Access(modelID string, s AccessState) *Bedrock {
	b.account.world.mu.Lock()
	defer b.account.world.mu.Unlock()
	b.access[modelID] = s
	return b
}

// ApplicationProfile adds an application inference profile that routes to
// the foundation model in the given regions, and returns its ARN.
func (b *Bedrock) ApplicationProfile(id, name, modelID string, regions ...string) string {
	w := b.account.world
	if len(regions) == 0 {
		regions = []string{b.Region}
	}
	p := &AppProfile{ID: id, Name: name, created: time.Now().UTC()}
	for _, r := range regions {
		p.Models = append(p.Models, fmt.Sprintf("arn:%s:bedrock:%s::foundation-model/%s", w.Partition, r, modelID))
	}
	w.mu.Lock()
	b.appProfiles[id] = p
	w.mu.Unlock()
	return fmt.Sprintf("arn:%s:bedrock:%s:%s:application-inference-profile/%s", w.Partition, b.Region, b.account.ID, id)
}

// Guardrail adds a guardrail and returns its ARN.
func (b *Bedrock) Guardrail(id, name, version string) string {
	w := b.account.world
	w.mu.Lock()
	b.guardrails[id] = &Guardrail{ID: id, Name: name, Version: version, created: time.Now().UTC()}
	w.mu.Unlock()
	return fmt.Sprintf("arn:%s:bedrock:%s:%s:guardrail/%s", w.Partition, b.Region, b.account.ID, id)
}
