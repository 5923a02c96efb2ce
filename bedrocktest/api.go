package bedrocktest

// This file is the contract between bedrocktest and the tests that use it:
// every exported type and constructor. The package is pre-1.0 (see
// CHANGELOG.md): names may still change in a minor release, each change
// listed there.

import (
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/bedrockdoctor/bedrockdoctor/internal/awsfake"
)

// World is a local multi-account AWS: accounts in organizations with their
// SCPs and RCPs, IAM users and roles with their policies, the Bedrock model
// catalog with each account's model access, cross-Region inference
// profiles and VPC endpoints. Build it with NewWorld and its methods, or
// load a scenario file with LoadWorld; a Server serves it. Its methods may
// be called while it is served: the next request sees the change.
type World struct {
	w  *awsfake.World
	sc *awsfake.Scenario // nil for a world built in Go

	mu   sync.Mutex
	keys map[string]awsfake.Credentials // user ARN → its access key
	user map[string]*awsfake.User       // users built in Go, by ARN
}

// NewWorld returns an empty world in the aws partition.
func NewWorld() *World {
	return &World{w: awsfake.NewWorld(), keys: map[string]awsfake.Credentials{}, user: map[string]*awsfake.User{}}
}

// LoadWorld reads a scenario file: a bare world (the format of
// internal/awsfake/testdata/scenarios) or a demo file that wraps one under
// "world" (cmd/bedrock-doctor/scenarios). Every policy must parse and
// unknown fields are errors. App describes the file's app.
func LoadWorld(path string) (*World, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("bedrocktest: %w", err)
	}
	w, err := ParseWorld(data)
	if err != nil {
		return nil, fmt.Errorf("bedrocktest: %s: %w", path, err)
	}
	return w, nil
}

// ParseWorld is LoadWorld for a file's contents.
func ParseWorld(data []byte) (*World, error) {
	sc, err := awsfake.ParseScenario(data)
	if err != nil {
		return nil, err
	}
	return &World{w: sc.World, sc: sc, keys: map[string]awsfake.Credentials{}, user: map[string]*awsfake.User{}}, nil
}

// Organization is an AWS Organizations organization: SCPs and RCPs
// attached at its root apply to every account in it.
type Organization struct {
	w *World
	o *awsfake.Organization
}

// OU is an organizational unit: SCPs and RCPs attached to it apply to every
// account below it.
type OU struct {
	w *World
	u *awsfake.OU
}

// Account is one AWS account of the world.
type Account struct {
	w *World
	a *awsfake.Account
}

// User is an IAM user. Its access key is issued on first use (Server.Config)
// and is the same for the life of the world.
type User struct {
	w *World
	u *awsfake.User
}

// Role is an IAM role.
type Role struct {
	w *World
	r *awsfake.Role
}

// Model is a foundation model of the Bedrock catalog, shared by every
// account.
type Model struct {
	ID       string // e.g. anthropic.claude-3-haiku-20240307-v1:0
	Name     string // defaults to ID
	Provider string // "Anthropic", "Amazon", ...
	// Regions offer the model. Unless OnDemand, it can be invoked there
	// only through an inference profile, as AWS answers for newer models.
	Regions  []string
	OnDemand bool
	// Legacy: accounts that have not used the model lately are refused it.
	Legacy bool
	// Marketplace: a third-party model whose first invocation in an account
	// subscribes the account through AWS Marketplace, when the caller may.
	Marketplace bool
}

// Profile is a system-defined cross-Region inference profile, such as
// us.anthropic.claude-sonnet-4-5-20250929-v1:0.
type Profile struct {
	ID    string
	Model string // the foundation model id it routes to
	// Sources are the regions it can be called from; Destinations the
	// regions it routes to (default: Sources). A call touches the profile
	// and the model in the destination region that serves it (World.Route).
	Sources, Destinations []string
}

// AccessState is a model's access state in one account and region.
type AccessState string

// The access states, as scenario files spell them.
const (
	AccessAuthorized         AccessState = "authorized"          // the model can be invoked (the default)
	AccessNeedsSubscription  AccessState = "needs-subscription"  // a Marketplace model never used: the first invocation subscribes, if the caller may
	AccessSubscriptionFailed AccessState = "subscription-failed" // invocations are denied with the Marketplace text
	AccessAgreementPending   AccessState = "agreement-pending"   // the offer's agreement is not in place
	AccessUseCaseMissing     AccessState = "use-case-missing"    // Anthropic's first-time-use form was not submitted
	AccessNotAvailable       AccessState = "not-available"       // the model is not available to the account
)

// App is the app a scenario file describes: who it is, the role it
// assumes and the call it makes. It is zero for a world built in Go.
type App struct {
	Principal string // ARN of the user whose access key the app uses
	RoleARN   string // the role it assumes
	ModelID   string // the model or inference profile it calls
	Region    string
	Operation string // e.g. "Converse"
	// ExternalID is the external id the app passes to AssumeRole.
	ExternalID string
	// Auditor is the ARN of a read-only user in the role's account whose
	// credentials a diagnosis may use; "" when the file names none.
	Auditor string
	// Expect is the layer the file's author says a diagnosis must name
	// ("none", "role-permissions", ...).
	Expect string
}

// Server serves a World on loopback over real HTTP (HTTP/1.1 and HTTP/2),
// as STS, IAM, the Bedrock control plane and Bedrock Runtime, so the AWS
// SDK's own clients (in any language) talk to it as to AWS. Like
// httptest.Server, the caller owns it and must Close it (Start does it
// through t.Cleanup).
type Server struct {
	// URL is the endpoint of every service, e.g. http://127.0.0.1:40123.
	URL   string
	World *World
	srv   *awsfake.Server
}

// NewServer starts a plain-HTTP server for w on 127.0.0.1.
func NewServer(w *World) *Server {
	s := awsfake.NewServer(w.w)
	return &Server{URL: s.URL, World: w, srv: s}
}

// NewTLSServer starts an HTTPS server for w on 127.0.0.1, with a test
// certificate that the configs it hands out trust. The SDK sends a Bedrock
// API key only over HTTPS: BearerConfig needs this server.
func NewTLSServer(w *World) *Server {
	s := awsfake.NewTLSServer(w.w)
	return &Server{URL: s.URL, World: w, srv: s}
}

// Start is NewServer for a test: the server closes when t ends.
func Start(t testing.TB, w *World) *Server {
	t.Helper()
	s := NewServer(w)
	t.Cleanup(s.Close)
	return s
}

// StartFile loads a scenario file (LoadWorld) and starts a server for it
// that closes when t ends; a file that does not load fails t.
func StartFile(t testing.TB, path string) *Server {
	t.Helper()
	w, err := LoadWorld(path)
	if err != nil {
		t.Fatal(err)
	}
	return Start(t, w)
}

// LogEntry is one request the server answered, with what it decided.
type LogEntry struct {
	Time        time.Time
	Service     string // "sts", "iam", "bedrock", "bedrock-runtime"
	Action      string // the operation, e.g. "AssumeRole", "Converse"
	Region      string
	Caller      string // the caller's ARN, "" when unauthenticated
	AccessKeyID string
	Status      int    // HTTP status; 0 when the connection was dropped
	ErrorCode   string // e.g. "AccessDeniedException", "" on success
	// Decision is "allow", "deny", "scripted", "fault", or "" when no
	// authorization ran.
	Decision  string
	Resource  string // the resource a denial named
	RequestID string
	Attempt   string // the SDK's amz-sdk-request header, e.g. "attempt=1; max=1"
	Proto     string // "HTTP/1.1" or "HTTP/2.0"
	// Truth is the ground truth of an authentication failure, an
	// sts:AssumeRole or a Bedrock Runtime invocation: every layer that
	// would deny it on its own, by the diagnosis' layer names
	// ("trust-policy", "role-permissions", "org-policy", ...), sorted; nil
	// when nothing denies it or when the answer was scripted or faulted.
	Truth []string
}

// Respond is a scripted answer (Server.Script), given regardless of the
// world's policies.
type Respond struct {
	// Status, Code and Message make the operation fail with that error, in
	// the service's own error shape (e.g. 429 ThrottlingException).
	Status  int
	Code    string
	Message string
	// Allow, with Status 0, lets the request through as if every policy
	// allowed it.
	Allow bool
	// Body, with Status 0, answers 200 with exactly these bytes (XML for
	// STS and IAM, JSON for Bedrock): a well-formed but odd answer.
	Body string
	// Times is how many requests it answers; 0 means every one.
	Times int
}

// Fault is a transport-level misbehaviour (Server.InjectFault).
type Fault struct {
	Latency time.Duration // added before answering
	// Status, Code and Message answer that error (e.g. 503
	// ServiceUnavailableException).
	Status  int
	Code    string
	Message string
	// Malformed answers 200 with a body the SDK cannot parse.
	Malformed bool
	// Drop closes the connection (resets the HTTP/2 stream) unanswered.
	Drop bool
	// StreamException lets a streaming call start, then sends this
	// in-stream exception ("throttlingException", "modelStreamErrorException",
	// ...) with Message after the first event.
	StreamException string
	Times           int // how many requests it hits; 0 means every one
}
