package iampolicy

// This file is the contract between iampolicy and its two users
// (internal/awsfake and diagnose). Names here are fixed; add, don't rename.

import "errors"

// Decision is the three-valued outcome of IAM evaluation. The zero value is
// ImplicitDeny: nothing allowed it.
type Decision int

// The decisions.
const (
	ImplicitDeny Decision = iota // no applicable Allow
	Allow
	ExplicitDeny // a matching Deny statement
)

// PolicyType names the kind of policy, in the words AWS uses in its
// access-denied messages ("no identity-based policy allows", "explicit deny
// in a service control policy").
type PolicyType string

// The policy types.
const (
	TypeIdentity    PolicyType = "identity-based policy"
	TypeResource    PolicyType = "resource-based policy"
	TypeTrust       PolicyType = "role trust policy" // resource-based policy of a role, for sts:AssumeRole*
	TypeBoundary    PolicyType = "permissions boundary"
	TypeSession     PolicyType = "session policy"
	TypeSCP         PolicyType = "service control policy"
	TypeRCP         PolicyType = "resource control policy"
	TypeVPCEndpoint PolicyType = "VPC endpoint policy"
)

// NamedPolicy is a parsed policy with where it came from.
type NamedPolicy struct {
	// Name identifies the policy in explanations: a managed policy ARN, an
	// SCP ARN, "role/<name>/inline/<policy>", "trust:<role ARN>", ...
	Name   string
	Type   PolicyType
	Policy *Policy
}

// Principal is who makes the request.
type Principal struct {
	// ARN is the caller as STS GetCallerIdentity names it: a user ARN, an
	// assumed-role session ARN (arn:aws:sts::A:assumed-role/R/S), or the
	// account root (arn:aws:iam::A:root).
	ARN string
	// RoleARN is the role behind an assumed-role session, with its path
	// (arn:aws:iam::A:role/path/R); empty for users and root. It is the
	// value of aws:PrincipalArn for a session.
	RoleARN string
	// UniqueID is the principal's unique id (AIDA.../AROA...), matched by
	// trust policies whose principal was replaced by a unique id.
	UniqueID string
	// Account is the principal's 12-digit account id.
	Account string
	// OrgID is the principal's organization id (o-...), empty if none.
	OrgID string
	// Tags are the principal's tags (aws:PrincipalTag/*), session tags
	// overriding the role's.
	Tags map[string]string
}

// Request is one authorization question.
type Request struct {
	Principal Principal
	// Action is "service:Name", e.g. "bedrock:InvokeModel".
	Action string
	// Resource is the resource ARN, or "*" for actions without one.
	Resource string
	// ResourceAccount is the account that owns the resource; empty means
	// the resource has no owning account (e.g. a foundation model), which
	// is evaluated as same-account.
	ResourceAccount string
	// Context holds the request's condition keys, looked up
	// case-insensitively. Global keys derivable from Principal
	// (aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalOrgID,
	// aws:PrincipalTag/*, aws:PrincipalType, aws:PrincipalIsAWSService,
	// aws:username, aws:userid) are filled in by Evaluate when absent. A nil
	// slice means the key is absent; an empty non-nil slice, present with no
	// values.
	Context map[string][]string
	// Open marks a request whose context is incomplete (a diagnosis, not AWS
	// itself): a condition key absent from Context, and not derivable from a
	// Principal field that is set, is unknown rather than absent. A key
	// present in Context with a nil slice is known to be absent.
	Open bool
}

// PolicySet is every policy that applies to one request, grouped by type.
type PolicySet struct {
	// Identity holds the caller's identity-based policies (user, groups, or
	// the role behind a session).
	Identity []NamedPolicy
	// Boundary is the caller's permissions boundary; nil means none.
	Boundary *NamedPolicy
	// Session holds session policies; nil means the session has none (an
	// empty non-nil slice is not possible from STS and is treated as none).
	Session []NamedPolicy
	// SCPs are the caller organization's SCPs, one slice per level from the
	// root through each OU to the account. Every level must allow. nil means
	// the caller is not in an organization (or is its management account).
	SCPs [][]NamedPolicy
	// RCPs are the resource organization's RCPs, per level like SCPs. nil
	// means none apply.
	RCPs [][]NamedPolicy
	// Resource holds resource-based policies of the resource (for
	// sts:AssumeRole, the role's trust policy, Type TypeTrust).
	Resource []NamedPolicy
	// Endpoint is the VPC endpoint policy the request went through; nil
	// means not through an endpoint.
	Endpoint *NamedPolicy
}

// StatementRef identifies a statement that matched the request.
type StatementRef struct {
	Policy string     // NamedPolicy.Name
	Type   PolicyType // NamedPolicy.Type
	Index  int        // position in the policy's Statement list
	Sid    string
	Effect string // "Allow" or "Deny"
}

// TypeResult is one policy type's own verdict on the request.
type TypeResult struct {
	Type     PolicyType
	Decision Decision
	// Matched lists every statement of this type that applied.
	Matched []StatementRef
	// Undetermined: for an Open request, this type's own verdict depends on unknown keys.
	Undetermined bool
}

// Result is the decision and its explanation. Every policy is evaluated (no
// short-circuit), so Blocked lists every type that would deny on its own.
type Result struct {
	Decision Decision
	// Types holds the verdict of each policy type present in the set, in a
	// fixed order: SCP, RCP, endpoint, resource, identity, boundary, session.
	Types []TypeResult
	// Blocked lists the types that denied (explicitly or implicitly), in the
	// order AWS evaluates them.
	Blocked []PolicyType
	// Missing lists condition keys that were absent from the context but
	// referenced by a statement that could otherwise have applied.
	Missing []string
	// Undetermined: for an Open request, whether the request is allowed depends
	// on condition keys that are unknown; DependsOn lists them (sorted, unique).
	// Decision is then the outcome with those conditions not matching (as for
	// a closed request).
	Undetermined bool
	DependsOn    []string
}

// ErrMalformed is wrapped by every parse error.
var ErrMalformed = errors.New("malformed policy")

// The functions of the contract (implemented in policy.go, pattern.go and
// evaluate.go):
//
//	func Parse(doc string) (*Policy, error)        // JSON or URL-encoded JSON; errors wrap ErrMalformed and name the JSON path
//	func MustParse(doc string) *Policy             // for tests and fixtures
//	func Evaluate(req Request, set PolicySet) Result
//	func MatchAction(pattern, action string) bool  // case-insensitive, * and ?
//	func MatchResource(pattern, arn string) bool   // per ARN segment, * and ?
//	func (p *Policy) String() string               // canonical JSON
