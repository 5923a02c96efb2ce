// Package worldgen generates realistic random multi-account AWS worlds for
// testing the diagnosis: a source account whose user assumes a role in a
// target account to call Bedrock, with the policies, organizations, VPC
// endpoints, model-access states, models and regions real setups have, each
// right or wrong with a probability, so that most worlds have zero to two
// problems and some have several that interact.
//
// A world is a scenario document in awsfake's LoadScenario format plus the
// app's setup a scenario file cannot hold (how the client applies the role,
// what it passes to AssumeRole, how much the diagnosis may read, which
// diagnostic calls misbehave). The generator states no expected verdict:
// the fake's ground truth (awsfake.LogEntry.Truth) judges the diagnosis.
// Generate is deterministic: a seed is a reproducible world.
package worldgen

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/bedrockdoctor/bedrockdoctor/internal/awsfake"
)

// Tier is how much the diagnosing principals may read (the tiers of
// diagnose/scenario_test.go).
type Tier string

// The tiers, from nothing to everything.
const (
	// TierNone: no diagnostic permission at all.
	TierNone Tier = "none"
	// TierSome: the role may read Bedrock's catalog and model access.
	TierSome Tier = "some"
	// TierRead: TierSome, and the role may read its own IAM policies.
	TierRead Tier = "read"
	// TierFull: TierSome, IAM simulation for the source user and the role,
	// and an auditor in the target account used as DiagnosticConfig.
	TierFull Tier = "full"
)

// Tiers lists the tiers in order.
var Tiers = []Tier{TierNone, TierSome, TierRead, TierFull}

// World is one generated world.
type World struct {
	Seed int64 `json:"seed"`
	// Scenario is the world as an awsfake scenario document; its target
	// names the app's principal, role, model, region and operation.
	Scenario json.RawMessage `json:"scenario"`
	// App is the app's setup beyond the scenario file.
	App App `json:"app"`
	// Features labels every choice the generator made ("trust:external-id
	// mismatch", "scp:region-deny root"), and Problems the subset it meant
	// as a defect. Both are for reading a failure and grouping failures;
	// neither is an expected verdict (interactions decide that, and the
	// fake's ground truth states it).
	Features []string `json:"features"`
	Problems []string `json:"problems"`
}

// App is how the app calls Bedrock in a world.
type App struct {
	// Principal is "ACCOUNT/USER", the user whose access key the app holds.
	Principal string `json:"principal"`
	// RoleARN is the role the app means to use.
	RoleARN string `json:"roleArn"`
	// ApplyRole: the client assumes RoleARN (client.WithRole). False: the
	// app forgot it; the client keeps the SDK's own credentials
	// (client.AppendDiagnosis with diagnose.Options.RoleARN) and the base
	// user signs the Bedrock call.
	ApplyRole bool `json:"applyRole"`
	// ExternalID is passed to AssumeRole when not empty.
	ExternalID string `json:"externalId,omitempty"`
	// SessionPolicy is passed to AssumeRole when not empty.
	SessionPolicy string `json:"sessionPolicy,omitempty"`
	// MFA passes SerialNumber and a TokenCode to AssumeRole.
	MFA bool `json:"mfa,omitempty"`
	// Credentials is what the app's access key is: "issued" (the key the
	// scenario issued), "unissued" (a key AWS never issued) or
	// "wrong-secret" (the issued id with another secret).
	Credentials string `json:"credentials"`
	// BearerToken: the app's Bedrock Runtime client authenticates with its
	// user's Bedrock API key (a TLS server is needed); ApplyRole is false.
	BearerToken bool `json:"bearerToken,omitempty"`
	// APIKey: the app's Bedrock Runtime client authenticates with a
	// Bedrock API key the test issues (a TLS server is needed); ApplyRole
	// is false.
	APIKey *APIKey `json:"apiKey,omitempty"`
	// Operation is "Converse", "InvokeModel" or "StartAsyncInvoke".
	Operation string `json:"operation"`
	ModelID   string `json:"modelId"`
	Region    string `json:"region"`
	// GuardrailID and GuardrailVersion name the guardrail the call
	// applies, if any.
	GuardrailID      string `json:"guardrailId,omitempty"`
	GuardrailVersion string `json:"guardrailVersion,omitempty"`
	// OutputS3URI is StartAsyncInvoke's output location.
	OutputS3URI string `json:"outputS3Uri,omitempty"`
	// Tier is what the diagnosis may read; Auditor ("ACCOUNT/USER") is the
	// DiagnosticConfig's user, "" for none.
	Tier    Tier   `json:"tier"`
	Auditor string `json:"auditor,omitempty"`
	// Faults are injected before the app's call. They hit diagnostic calls
	// only, except an sts:AssumeRole fault (Times 1), which is the app's
	// own role assumption failing for a reason that is not access.
	Faults []Fault `json:"faults,omitempty"`
}

// Fault is a misbehaviour of one API (Action "*": every action of the
// service).
type Fault struct {
	Service string `json:"service"`
	Action  string `json:"action"`
	// Kind is "throttle", "500", "hang", "malformed" or "drop".
	Kind  string `json:"kind"`
	Times int    `json:"times,omitempty"` // 0: every request
}

// AppFault reports whether the fault hits the app's own call (its role
// assumption) rather than only the diagnosis.
func (f Fault) AppFault() bool { return f.Service == "sts" && f.Action == "AssumeRole" }

// Awsfake returns the fault for Server.InjectFault; a hang lasts hang.
func (f Fault) Awsfake(hang time.Duration) awsfake.Fault {
	query := f.Service == "sts" || f.Service == "iam"
	var out awsfake.Fault
	switch f.Kind {
	case "throttle":
		if query {
			out = awsfake.Fault{Status: http.StatusBadRequest, Code: "Throttling", Message: "Rate exceeded"}
		} else {
			out = awsfake.Fault{Status: http.StatusTooManyRequests, Code: "ThrottlingException", Message: "Too many requests, please wait before trying again."}
		}
	case "500":
		if query {
			out = awsfake.Fault{Status: http.StatusInternalServerError, Code: "InternalFailure", Message: "An internal error occurred."}
		} else {
			out = awsfake.Fault{Status: http.StatusInternalServerError, Code: "InternalServerException", Message: "Internal server error"}
		}
	case "hang":
		out = awsfake.Fault{Latency: hang}
	case "malformed":
		out = awsfake.Fault{Malformed: true}
	case "drop":
		out = awsfake.Fault{Drop: true}
	}
	out.Times = f.Times
	return out
}

// Load builds the world's scenario.
func (w World) Load() (*awsfake.Scenario, error) { return awsfake.ParseScenario(w.Scenario) }

// String is the whole world, scenario and app setup, as indented JSON: what
// a failing test prints to reproduce it.
func (w World) String() string {
	b, err := json.MarshalIndent(w, "", "  ")
	if err != nil {
		return fmt.Sprintf("world %d: %v", w.Seed, err)
	}
	return string(b)
}

// The regions worlds use.
var regions = []string{"us-east-1", "us-east-2", "us-west-2", "eu-central-1", "eu-west-1", "ap-northeast-1"}

// The catalog: real model and profile ids and where they are offered.
const (
	haiku   = "anthropic.claude-3-haiku-20240307-v1:0"
	sonnet4 = "anthropic.claude-sonnet-4-20250514-v1:0"
	nova    = "amazon.nova-lite-v1:0"
	llama   = "meta.llama3-70b-instruct-v1:0"
	titan   = "amazon.titan-text-express-v1"
)

type model struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Provider    string   `json:"provider"`
	Regions     []string `json:"regions"`
	OnDemand    bool     `json:"onDemand"`
	Legacy      bool     `json:"legacy,omitempty"`
	Marketplace bool     `json:"marketplace,omitempty"`
}

type profile struct {
	ID           string   `json:"id"`
	Model        string   `json:"model"`
	Sources      []string `json:"sources"`
	Destinations []string `json:"destinations,omitempty"`
}

var catalog = []model{
	{ID: haiku, Name: "Claude 3 Haiku", Provider: "Anthropic", Regions: []string{"us-east-1", "us-west-2", "eu-central-1", "ap-northeast-1"}, OnDemand: true, Marketplace: true},
	{ID: sonnet4, Name: "Claude Sonnet 4", Provider: "Anthropic", Regions: []string{"us-east-1", "us-east-2", "us-west-2", "eu-central-1", "eu-west-1", "ap-northeast-1"}, Marketplace: true},
	// A profile's destinations are regions that offer its model: the
	// fake routes there without asking.
	{ID: nova, Name: "Nova Lite", Provider: "Amazon", Regions: []string{"us-east-1", "us-east-2", "us-west-2"}, OnDemand: true},
	{ID: llama, Name: "Llama 3 70B Instruct", Provider: "Meta", Regions: []string{"us-east-1", "us-west-2"}, OnDemand: true, Marketplace: true},
	{ID: titan, Name: "Titan Text G1 - Express", Provider: "Amazon", Regions: []string{"us-east-1", "us-west-2"}, OnDemand: true, Legacy: true},
	{ID: reel, Name: "Nova Reel", Provider: "Amazon", Regions: []string{"us-east-1"}, OnDemand: true},
}

var profiles = []profile{
	{ID: "us." + sonnet4, Model: sonnet4, Sources: []string{"us-east-1", "us-east-2", "us-west-2"}},
	{ID: "eu." + sonnet4, Model: sonnet4, Sources: []string{"eu-central-1", "eu-west-1"}},
	{ID: "global." + sonnet4, Model: sonnet4, Sources: []string{"us-east-1", "us-east-2", "us-west-2", "eu-central-1", "eu-west-1", "ap-northeast-1"}},
	{ID: "us." + nova, Model: nova, Sources: []string{"us-east-1", "us-east-2", "us-west-2"}},
	{ID: "us." + haiku, Model: haiku, Sources: []string{"us-east-1", "us-west-2"}},
}

func modelByID(id string) model {
	for _, m := range catalog {
		if m.ID == id {
			return m
		}
	}
	return model{}
}

func profileByID(id string) (profile, bool) {
	for _, p := range profiles {
		if p.ID == id {
			return p, true
		}
	}
	return profile{}, false
}

// Destinations returns the regions a call to the app's model may be routed
// to when it is a regional system inference profile callable from the
// app's region, else nil. AWS picks one per request, so a layer that
// denies any of them breaks some of the app's calls.
func (a App) Destinations() []string {
	id := a.ModelID
	if i := strings.LastIndex(id, "/"); strings.HasPrefix(id, "arn:") && i >= 0 {
		id = id[i+1:]
	}
	p, ok := profileByID(id)
	if !ok || strings.HasPrefix(p.ID, "global.") || !slices.Contains(p.Sources, a.Region) {
		return nil
	}
	if len(p.Destinations) > 0 {
		return p.Destinations
	}
	return p.Sources
}
