package diagnose

import (
	"fmt"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"strings"
)

// SchemaVersion is the version of the JSON form of [Report]. It changes only
// when a field is removed or changes meaning; new fields do not bump it.
const SchemaVersion = 1

// Layer names the part of the access chain that denied a call. Its string
// values are stable: they appear in logs, JSON and exit codes.
type Layer string

// The layers, in chain order: when several fail, the first one wins.
const (
	LayerCredentials     Layer = "credentials"
	LayerAssumeRole      Layer = "assume-role"
	LayerSourcePolicy    Layer = "source-policy"
	LayerTrustPolicy     Layer = "trust-policy"
	LayerWrongPrincipal  Layer = "wrong-principal"
	LayerRolePermissions Layer = "role-permissions"
	LayerOrgPolicy       Layer = "org-policy"
	LayerEndpointPolicy  Layer = "endpoint-policy"
	LayerKeyPolicy       Layer = "key-policy" // the KMS key of a custom, copied or imported model or of a guardrail
	LayerModelAccess     Layer = "model-access"
	LayerRegion          Layer = "region"
	LayerModelID         Layer = "model-id"
	LayerUnknown         Layer = "unknown"
	LayerNone            Layer = "none"
)

// chainOrder ranks the layers for the "first failing layer wins" rule.
// assume-role sits with the layers it stands for (source, trust, org).
var chainOrder = map[Layer]int{
	LayerCredentials:     0,
	LayerAssumeRole:      1,
	LayerSourcePolicy:    2,
	LayerTrustPolicy:     3,
	LayerWrongPrincipal:  4,
	LayerRolePermissions: 5,
	LayerOrgPolicy:       6,
	LayerEndpointPolicy:  7,
	LayerKeyPolicy:       8,
	LayerModelAccess:     9,
	LayerRegion:          10,
	LayerModelID:         11,
	LayerUnknown:         12,
	LayerNone:            13,
}

// Layers returns every layer in chain order.
func Layers() []Layer {
	return []Layer{
		LayerCredentials, LayerAssumeRole, LayerSourcePolicy, LayerTrustPolicy,
		LayerWrongPrincipal, LayerRolePermissions, LayerOrgPolicy, LayerEndpointPolicy,
		LayerKeyPolicy, LayerModelAccess, LayerRegion, LayerModelID, LayerUnknown, LayerNone,
	}
}

// Before reports whether l comes before m in chain order.
func (l Layer) Before(m Layer) bool {
	a, ok := chainOrder[l]
	if !ok {
		a = len(chainOrder)
	}
	b, ok := chainOrder[m]
	if !ok {
		b = len(chainOrder)
	}
	return a < b
}

// Valid reports whether l is one of the documented layers.
func (l Layer) Valid() bool {
	_, ok := chainOrder[l]
	return ok
}

// Status is the outcome of one [Check].
type Status string

// The statuses of a check.
const (
	StatusPass    Status = "pass"    // the check ran and found nothing wrong in its layer
	StatusFail    Status = "fail"    // the check ran and found its layer denies
	StatusUnknown Status = "unknown" // the check could not decide; Check.Needs says what would let it
	StatusSkipped Status = "skipped" // the check did not apply or was not needed
)

// Check is one step of the runbook: what was looked at, and what it showed.
type Check struct {
	// Name is a stable identifier such as "trust-policy.evaluate".
	Name string `json:"name"`
	// Layer is the layer this check speaks for.
	Layer Layer `json:"layer"`
	// Status is the outcome.
	Status Status `json:"status"`
	// Detail is the evidence, in words.
	Detail string `json:"detail"`
	// Needs names the permission that would let an unknown check run.
	Needs string `json:"needs,omitempty"`
}

// Report is a diagnosis: the layer that denied, the evidence, and the fix.
// Its JSON form is stable and versioned by SchemaVersion.
//
// Each field has one meaning, whoever wrote the report (Explain, Run, the
// client's middleware, every CLI command). "The denied request" is the
// request AWS refused: the Bedrock call, or the AssumeRole before it when the
// role could not be assumed; for Run, which has no denial, the request of
// the layer it names (the Bedrock call when nothing denies).
type Report struct {
	SchemaVersion int     `json:"schema_version"`
	Layer         Layer   `json:"layer"`
	Candidates    []Layer `json:"candidates,omitempty"` // when the evidence leaves several layers
	// NotAccess reports that the error is not an access problem at all
	// (throttling, a quota, a service fault, a bad request, no network):
	// Layer is then LayerUnknown, and nothing in access needs fixing. It
	// tells "not an access error" from "could not decide" (Layer unknown,
	// NotAccess false) without matching the Summary's text. Set by Explain;
	// the client's middleware leaves such errors untouched.
	NotAccess bool   `json:"not_access,omitempty"`
	Summary   string `json:"summary"`              // one line: what is wrong, in whose account
	Fix       string `json:"fix"`                  // what to change, in words
	FixPolicy string `json:"fix_policy,omitempty"` // the policy JSON to add, where one applies
	// FixPlace says where FixPolicy goes, in the words Fix uses: which
	// policy of which principal, in which account ("the permissions
	// boundary arn:aws:iam::2:policy/B of role arn:aws:iam::2:role/R, in
	// account 2"); several places are separated by "; and ". Empty when
	// there is no FixPolicy.
	FixPlace string `json:"fix_place,omitempty"`
	// Principal is the principal the denied request was evaluated for, as
	// AWS prints it: the source user or role session for an AssumeRole, the
	// role session (or whoever signed) for the Bedrock call.
	Principal string `json:"principal,omitempty"`
	// Action is the denied request's IAM action (sts:AssumeRole,
	// bedrock:InvokeModel, ...).
	Action string `json:"action,omitempty"`
	// Resource is the denied request's resource ARN (the role for an
	// AssumeRole; the model, profile or destination model for Bedrock).
	Resource string `json:"resource,omitempty"`
	// Region is the client's region: where the app sent the call.
	Region string `json:"region,omitempty"`
	// ResourceRegion is the region in Resource's ARN when it has one (a
	// profile's destination region may differ from Region).
	ResourceRegion string `json:"resource_region,omitempty"`
	// SourceAccount is the account of the app's base credentials.
	SourceAccount string `json:"source_account,omitempty"`
	// TargetAccount is the account whose Bedrock the app means to use: the
	// role's account when the app means to use a role, else the account of
	// the principal that called Bedrock.
	TargetAccount string  `json:"target_account,omitempty"`
	RoleARN       string  `json:"role_arn,omitempty"`   // the role the app means to use
	ModelID       string  `json:"model_id,omitempty"`   // the model id as the app passed it
	Operation     string  `json:"operation,omitempty"`  // the SDK operation the app called
	RequestID     string  `json:"request_id,omitempty"` // AWS's request id of the denied call
	Checks        []Check `json:"checks"`
}

// resourceRegion is the region field of an ARN, "" for none or a non-ARN.
func resourceRegion(a string) string {
	p, err := arn.Parse(a)
	if err != nil {
		return ""
	}
	return p.Region
}

// String renders the report as the runbook: the verdict, then one line per
// check marked ✓ (pass), ✗ (fail), ? (unknown) or - (skipped), then the fix.
func (r *Report) String() string {
	if r == nil {
		return "<nil report>"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "diagnosis: %s", r.Layer)
	if r.Summary != "" {
		fmt.Fprintf(&b, ": %s", r.Summary)
	}
	b.WriteByte('\n')
	if len(r.Candidates) > 0 {
		names := make([]string, len(r.Candidates))
		for i, c := range r.Candidates {
			names[i] = string(c)
		}
		fmt.Fprintf(&b, "  candidates: %s\n", strings.Join(names, ", "))
	}
	for _, f := range []struct{ k, v string }{
		{"principal", r.Principal}, {"action", r.Action}, {"resource", r.Resource},
		{"region", r.Region}, {"resource region", r.ResourceRegion}, {"source account", r.SourceAccount}, {"target account", r.TargetAccount},
		{"role", r.RoleARN}, {"model", r.ModelID}, {"operation", r.Operation}, {"request id", r.RequestID},
	} {
		if f.v != "" {
			fmt.Fprintf(&b, "  %s: %s\n", f.k, f.v)
		}
	}
	if len(r.Checks) > 0 {
		b.WriteString("checks:\n")
		for _, c := range r.Checks {
			fmt.Fprintf(&b, "  %s %s [%s] %s", c.Status.mark(), c.Name, c.Layer, c.Detail)
			if c.Needs != "" {
				fmt.Fprintf(&b, " (needs %s)", c.Needs)
			}
			b.WriteByte('\n')
		}
	}
	if r.Fix != "" {
		fmt.Fprintf(&b, "fix: %s\n", r.Fix)
	}
	if r.FixPolicy != "" {
		fmt.Fprintf(&b, "fix policy:\n%s\n", r.FixPolicy)
		if r.FixPlace != "" {
			fmt.Fprintf(&b, "paste into: %s\n", r.FixPlace)
		}
	}
	return b.String()
}

func (s Status) mark() string {
	switch s {
	case StatusPass:
		return "✓"
	case StatusFail:
		return "✗"
	case StatusUnknown:
		return "?"
	default:
		return "-"
	}
}
