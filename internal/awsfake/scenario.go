package awsfake

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"time"

	"github.com/bedrockdoctor/bedrockdoctor/internal/iampolicy"
)

// ErrScenario is wrapped by every error LoadScenario returns for a bad file.
var ErrScenario = errors.New("invalid scenario")

// Scenario is a world loaded from a JSON file, with the access keys it
// issued to the users the file names.
type Scenario struct {
	Name        string
	Description string
	// Title (one line: what is wrong) and FixedBy (who fixes it, where)
	// come from a demo file's wrapper; empty for a bare scenario.
	Title, FixedBy string
	World          *World
	// Target is what the app in the scenario does: who it is, the role it
	// assumes and the model it calls.
	Target ScenarioTarget
	// App is how the app builds its client around the target.
	App ScenarioApp
	// Expect is the outcome the scenario's author states, e.g.
	// {"layer": "trust-policy"}; the fake never reads it.
	Expect map[string]string
	keys   map[string]Credentials
	tokens map[string]string
}

// ScenarioTarget is the app's side of a scenario.
type ScenarioTarget struct {
	// Principal is "ACCOUNT/USER", the user whose access key the app uses.
	Principal string `json:"principal"`
	RoleARN   string `json:"roleArn"`
	ModelID   string `json:"modelId"`
	Region    string `json:"region"`
	Operation string `json:"operation"`

	// OutputS3URI is StartAsyncInvoke's output location (s3://BUCKET/PREFIX).
	OutputS3URI string `json:"outputS3Uri,omitempty"`
}

// ScenarioApp is how a scenario's app builds its client: by default it
// assumes the target's role with its base credentials and nothing else.
type ScenarioApp struct {
	// ForgetsRole: the app never assumes the role (it calls Bedrock with
	// its base credentials, the role ARN only configured for a diagnosis).
	ForgetsRole bool `json:"forgetsRole"`
	// DeletedKey: the app's access key is one the world never issued.
	DeletedKey bool `json:"deletedKey"`
	// ExternalID is the external id the app passes to AssumeRole.
	ExternalID string `json:"externalId"`
	// DiagnosticUser, "ACCOUNT/USER", is a read-only auditor in the
	// role's account whose credentials a diagnosis may use.
	DiagnosticUser string `json:"diagnosticUser"`
}

// Users returns the "ACCOUNT/USER" names of every user the file declares,
// sorted: the keys of Credentials.
func (s *Scenario) Users() []string { return sortedKeys(s.keys) }

// BearerToken returns the Bedrock API key issued to "ACCOUNT/USER" (a user
// with "bearerToken": true).
func (s *Scenario) BearerToken(principal string) (string, bool) {
	t, ok := s.tokens[principal]
	return t, ok
}

// Credentials returns the access key issued to "ACCOUNT/USER".
func (s *Scenario) Credentials(principal string) (Credentials, bool) {
	c, ok := s.keys[principal]
	return c, ok
}

// The file format. Policies are JSON objects, written as in IAM.
type scenarioFile struct {
	Name          string            `json:"name"`
	Description   string            `json:"description"`
	Partition     string            `json:"partition"`
	Models        []scenarioModel   `json:"models"`
	Profiles      []scenarioProfile `json:"profiles"`
	Organizations []scenarioOrg     `json:"organizations"`
	Accounts      []scenarioAccount `json:"accounts"`
	Endpoints     []scenarioVPCE    `json:"endpoints"`
	Routes        map[string]string `json:"routes"`
	Messages      *scenarioMessages `json:"messages"`
	Target        ScenarioTarget    `json:"target"`
	App           *ScenarioApp      `json:"app"`
	Expect        map[string]string `json:"expect"`

	// DefaultPromptRouters are AWS's default prompt routers (routed.go).
	DefaultPromptRouters []DefaultRouter `json:"defaultPromptRouters"`
}

// demoFile is the wrapper of the CLI demo's scenarios
// (cmd/bedrock-doctor/scenarios): a bare scenario under "world", with what
// the demo shows about it.
type demoFile struct {
	Title   string          `json:"title"`
	FixedBy string          `json:"fixedBy"`
	App     *ScenarioApp    `json:"app"`
	World   json.RawMessage `json:"world"`
}

// scenarioMessages is the access-denied wording (World.Messages).
type scenarioMessages struct {
	OmitReason    bool `json:"omitReason"`
	OmitPolicyARN bool `json:"omitPolicyArn"`
}

type scenarioModel struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Provider    string   `json:"provider"`
	Regions     []string `json:"regions"`
	OnDemand    bool     `json:"onDemand"`
	Legacy      bool     `json:"legacy"`
	Marketplace bool     `json:"marketplace"`
}

type scenarioProfile struct {
	ID           string   `json:"id"`
	Model        string   `json:"model"`
	Sources      []string `json:"sources"`
	Destinations []string `json:"destinations"`
}

type scenarioPolicy struct {
	ID     string          `json:"id"`
	Policy json.RawMessage `json:"policy"`
}

type scenarioOU struct {
	ID       string           `json:"id"`
	Name     string           `json:"name"`
	SCPs     []scenarioPolicy `json:"scps"`
	RCPs     []scenarioPolicy `json:"rcps"`
	Accounts []string         `json:"accounts"`
	OUs      []scenarioOU     `json:"ous"`
}

type scenarioOrg struct {
	ID         string           `json:"id"`
	Management string           `json:"management"`
	SCPs       []scenarioPolicy `json:"scps"`
	RCPs       []scenarioPolicy `json:"rcps"`
	Accounts   []string         `json:"accounts"`
	OUs        []scenarioOU     `json:"ous"`
}

type scenarioPrincipal struct {
	Name        string                     `json:"name"`
	Path        string                     `json:"path"`
	Trust       json.RawMessage            `json:"trust"`
	Inline      map[string]json.RawMessage `json:"inline"`
	Attached    []string                   `json:"attached"`
	Boundary    string                     `json:"boundary"`
	MaxSession  int                        `json:"maxSessionSeconds"`
	Tags        map[string]string          `json:"tags"`
	Description string                     `json:"description"`
	// BearerToken issues the user a Bedrock API key too
	// (Scenario.BearerToken).
	BearerToken bool `json:"bearerToken"`
}

type scenarioBedrock struct {
	Region              string            `json:"region"`
	Access              map[string]string `json:"access"`
	Guardrails          []Guardrail       `json:"guardrails"`
	ApplicationProfiles []struct {
		ID      string   `json:"id"`
		Name    string   `json:"name"`
		Model   string   `json:"model"`
		Regions []string `json:"regions"`
	} `json:"applicationProfiles"`

	// Prompt routers, prompts and Marketplace endpoints (routed.go).
	PromptRouters        []PromptRouter        `json:"promptRouters"`
	Prompts              []Prompt              `json:"prompts"`
	MarketplaceEndpoints []MarketplaceEndpoint `json:"marketplaceEndpoints"`

	scenarioModelKinds // provisioned, custom, deployed and imported models (modelkinds.go)
}

type scenarioAccount struct {
	ID              string              `json:"id"`
	SCPs            []scenarioPolicy    `json:"scps"`
	RCPs            []scenarioPolicy    `json:"rcps"`
	ManagedPolicies []scenarioPolicy    `json:"managedPolicies"`
	Users           []scenarioPrincipal `json:"users"`
	Roles           []scenarioPrincipal `json:"roles"`
	Bedrock         []scenarioBedrock   `json:"bedrock"`
	UseCaseForm     string              `json:"useCaseForm"`
	DisabledRegions []string            `json:"disabledRegions"`
	KMSKeys         []scenarioKey       `json:"kmsKeys"` // modelkinds.go
}

type scenarioVPCE struct {
	ID      string          `json:"id"`
	Service string          `json:"service"`
	Policy  json.RawMessage `json:"policy"`
	// Users are "ACCOUNT/USER" whose keys (and the sessions they assume)
	// go through the endpoint.
	Users []string `json:"users"`
}

var accessStates = map[string]AccessState{
	"authorized":          AccessAuthorized,
	"needs-subscription":  AccessNeedsSubscription,
	"subscription-failed": AccessSubscriptionFailed,
	"agreement-pending":   AccessAgreementPending,
	"use-case-missing":    AccessUseCaseMissing,
	"not-available":       AccessNotAvailable,
}

// LoadScenario reads a JSON scenario from fsys and builds its world. Every
// policy must parse; unknown fields are errors. Errors wrap ErrScenario.
func LoadScenario(fsys fs.FS, path string) (*Scenario, error) {
	data, err := fs.ReadFile(fsys, path)
	if err != nil {
		return nil, fmt.Errorf("load scenario %s: %w", path, err)
	}
	s, err := ParseScenario(data)
	if err != nil {
		return nil, fmt.Errorf("load scenario %s: %w", path, err)
	}
	return s, nil
}

// ParseScenario builds a scenario from its JSON text: a bare scenario, or
// a demo file that wraps one under "world" with "title", "fixedBy" and
// "app".
func ParseScenario(data []byte) (*Scenario, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("decode: %v: %w", err, ErrScenario)
	}
	var s *Scenario
	if _, wrapped := top["world"]; !wrapped {
		var err error
		if s, err = parseBare(data); err != nil {
			return nil, err
		}
	} else {
		var d demoFile
		if err := strictDecode(data, &d); err != nil {
			return nil, err
		}
		var err error
		if s, err = parseBare(d.World); err != nil {
			return nil, fmt.Errorf("world: %w", err)
		}
		if d.App != nil {
			if s.App != (ScenarioApp{}) {
				return nil, fmt.Errorf("app given twice, in the file and in its world: %w", ErrScenario)
			}
			s.App = *d.App
		}
		s.Title, s.FixedBy = d.Title, d.FixedBy
	}
	if u := s.App.DiagnosticUser; u != "" {
		if _, ok := s.keys[u]; !ok {
			return nil, fmt.Errorf("app.diagnosticUser %q is not a user of the world: %w", u, ErrScenario)
		}
	}
	return s, nil
}

func strictDecode(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("decode: %v: %w", err, ErrScenario)
	}
	return nil
}

// parseBare builds a bare scenario.
func parseBare(data []byte) (*Scenario, error) {
	var f scenarioFile
	if err := strictDecode(data, &f); err != nil {
		return nil, err
	}
	b := &builder{w: NewWorld(), keys: map[string]Credentials{}, tokens: map[string]string{}}
	if f.Partition != "" {
		b.w.Partition = f.Partition
	}
	b.build(&f)
	if b.err != nil {
		return nil, b.err
	}
	// The target's role is the one the app means to use: a Bedrock call
	// signed by anyone else is a wrong principal in the ground truth.
	b.w.SetAppRole(f.Target.RoleARN)
	s := &Scenario{Name: f.Name, Description: f.Description, World: b.w, Target: f.Target, Expect: f.Expect, keys: b.keys, tokens: b.tokens}
	if f.App != nil {
		s.App = *f.App
	}
	return s, nil
}

// builder records the first error so the build reads as a list of steps.
type builder struct {
	w      *World
	keys   map[string]Credentials
	tokens map[string]string
	err    error
}

func (b *builder) fail(format string, args ...any) {
	if b.err == nil {
		b.err = fmt.Errorf(format+": %w", append(args, ErrScenario)...)
	}
}

// doc validates a policy and returns its text.
func (b *builder) doc(where string, raw json.RawMessage) string {
	if len(raw) == 0 {
		b.fail("%s: missing policy", where)
		return ""
	}
	if _, err := iampolicy.Parse(string(raw)); err != nil {
		b.fail("%s: %v", where, err)
	}
	return string(raw)
}

func (b *builder) ou(u *OU, o scenarioOU, where string) {
	child := u.OU(o.ID, o.Name)
	b.level(child, o.SCPs, o.RCPs, where+"/"+o.ID)
	for _, a := range o.Accounts {
		b.w.Account(a).In(child)
	}
	for _, c := range o.OUs {
		b.ou(child, c, where+"/"+o.ID)
	}
}

func (b *builder) level(u *OU, scps, rcps []scenarioPolicy, where string) {
	for _, p := range scps {
		u.SCP(p.ID, b.doc(where+" scp "+p.ID, p.Policy))
	}
	for _, p := range rcps {
		u.RCP(p.ID, b.doc(where+" rcp "+p.ID, p.Policy))
	}
}

func (b *builder) build(f *scenarioFile) {
	w := b.w
	for _, m := range f.Models {
		if m.ID == "" || len(m.Regions) == 0 {
			b.fail("model %q: id and regions are required", m.ID)
		}
		w.Model(FoundationModel(m))
	}
	for _, p := range f.Profiles {
		if p.ID == "" || p.Model == "" || len(p.Sources) == 0 {
			b.fail("profile %q: id, model and sources are required", p.ID)
		}
		w.Profile(SystemProfile{ID: p.ID, ModelID: p.Model, Sources: p.Sources, Destinations: p.Destinations})
	}
	for _, r := range f.DefaultPromptRouters {
		w.DefaultPromptRouter(r)
	}
	for _, o := range f.Organizations {
		org := w.Organization(o.ID, o.Management)
		b.level(org.Root, o.SCPs, o.RCPs, "organization "+o.ID)
		for _, a := range o.Accounts {
			w.Account(a).InOrg(org)
		}
		for _, u := range o.OUs {
			b.ou(org.Root, u, "organization "+o.ID)
		}
	}
	for _, fa := range f.Accounts {
		b.account(fa)
	}
	for _, e := range f.Endpoints {
		w.VPCEndpoint(e.ID, e.Service, b.doc("endpoint "+e.ID, e.Policy))
		for _, u := range e.Users {
			c, ok := b.keys[u]
			if !ok {
				b.fail("endpoint %s: unknown user %q", e.ID, u)
				continue
			}
			w.RouteThroughEndpoint(c.AccessKeyID, e.ID)
		}
	}
	for p, r := range f.Routes {
		w.Route(p, r)
	}
	if m := f.Messages; m != nil {
		w.Messages = MessageStyle{OmitReason: m.OmitReason, OmitPolicyARN: m.OmitPolicyARN}
	}
}

func (b *builder) account(fa scenarioAccount) {
	if len(fa.ID) != 12 {
		b.fail("account %q: id must be 12 digits", fa.ID)
		return
	}
	a := b.w.Account(fa.ID)
	where := "account " + fa.ID
	for _, p := range fa.SCPs {
		a.SCP(p.ID, b.doc(where+" scp "+p.ID, p.Policy))
	}
	for _, p := range fa.RCPs {
		a.RCP(p.ID, b.doc(where+" rcp "+p.ID, p.Policy))
	}
	a.UseCaseForm = fa.UseCaseForm
	for _, r := range fa.DisabledRegions {
		a.DisabledRegions[r] = true
	}
	b.kmsKeys(a, fa.KMSKeys, where) // modelkinds.go
	for _, p := range fa.ManagedPolicies {
		a.ManagedPolicy(p.ID, b.doc(where+" policy "+p.ID, p.Policy))
	}
	for _, su := range fa.Users {
		u := a.User(su.Name)
		if su.Path != "" {
			u.Path = su.Path
		}
		for _, n := range sortedKeys(su.Inline) {
			u.Inline(n, b.doc(where+" user "+su.Name+" inline "+n, su.Inline[n]))
		}
		u.Attach(su.Attached...)
		u.Boundary(su.Boundary)
		u.Tags = su.Tags
		b.keys[fa.ID+"/"+su.Name] = u.AccessKey()
		if su.BearerToken {
			b.tokens[fa.ID+"/"+su.Name] = u.BearerToken()
		}
	}
	for _, sr := range fa.Roles {
		r := a.Role(sr.Name, b.doc(where+" role "+sr.Name+" trust", sr.Trust))
		if sr.Path != "" {
			r.WithPath(sr.Path)
		}
		for _, n := range sortedKeys(sr.Inline) {
			r.Inline(n, b.doc(where+" role "+sr.Name+" inline "+n, sr.Inline[n]))
		}
		r.Attach(sr.Attached...)
		r.Boundary(sr.Boundary)
		if sr.MaxSession != 0 {
			if sr.MaxSession < 3600 || sr.MaxSession > 43200 {
				b.fail("%s role %s: maxSessionSeconds must be 3600..43200", where, sr.Name)
			}
			r.MaxSession(time.Duration(sr.MaxSession) * time.Second)
		}
		r.Tags, r.Description = sr.Tags, sr.Description
	}
	for _, sb := range fa.Bedrock {
		br := a.Bedrock(sb.Region)
		for _, m := range sortedKeys(sb.Access) {
			st, ok := accessStates[sb.Access[m]]
			if !ok {
				b.fail("%s bedrock %s: unknown access state %q", where, sb.Region, sb.Access[m])
				continue
			}
			br.Access(m, st)
		}
		for _, g := range sb.Guardrails {
			br.Guardrail(g.ID, g.Name, g.Version)
		}
		for _, p := range sb.ApplicationProfiles {
			br.ApplicationProfile(p.ID, p.Name, p.Model, p.Regions...)
		}
		b.routedKinds(br, sb)
		b.modelKinds(br, sb, where) // modelkinds.go
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
