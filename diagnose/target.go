package diagnose

import (
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
)

// Target is what a diagnosis is about: the role the app assumes and the
// Bedrock call it makes.
type Target struct {
	// RoleARN is the role to assume; empty means the base credentials call
	// Bedrock themselves.
	RoleARN string
	// AssumeRoleOptions are the stscreds options the app uses (external id,
	// session name, tags, ...), so the checks assume the role as the app does.
	AssumeRoleOptions []func(*stscreds.AssumeRoleOptions)
	// ModelID is the model id, inference profile id or ARN passed to Bedrock.
	ModelID string
	// Region is the Bedrock region; empty means cfg.Region.
	Region string
	// Operation is the SDK operation name, e.g. "Converse"; empty means
	// "InvokeModel".
	Operation string
	// GuardrailID and GuardrailVersion name the guardrail the call applies,
	// if any.
	GuardrailID, GuardrailVersion string
	// OutputS3URI is StartAsyncInvoke's output location (s3://BUCKET/PREFIX):
	// Bedrock writes there with the caller's s3:PutObject.
	OutputS3URI string
}

// Options configure how the diagnosis runs.
type Options struct {
	// Budget bounds a whole diagnosis; default 3 s.
	Budget time.Duration
	// CacheTTL is how long a diagnosis is reused for the same key; default 5 min.
	CacheTTL time.Duration
	// CacheSize bounds the number of cached diagnoses; default 1024.
	CacheSize int
	// RateLimit caps diagnostic AWS calls per second, process-wide; 0 means
	// the default (20/s), a negative value means no limit.
	RateLimit float64
	// OnReport, when set, makes the diagnosis asynchronous: the caller gets
	// the original error at once and OnReport receives the report later,
	// on another goroutine. It receives every report, also one served from
	// the cache (the caller's error then carries it too).
	OnReport func(*Report)
	// Logger receives the library's few log lines; default: discard.
	Logger *slog.Logger
	// Redact masks account ids and ARNs in Error().
	Redact bool
	// DiagnosticConfig, when set, supplies other credentials for the checks
	// (e.g. a read-only auditor role); by default the app's own are used.
	DiagnosticConfig *aws.Config
	// RoleARN is the role the app means to use; AppendDiagnosis cannot see
	// it otherwise.
	RoleARN string
	// Cache, when set, shares reports beyond this process: one process of
	// the fleet diagnoses a denial (it claims the key for Budget/2) while
	// the others wait for its report, and all reuse it for CacheTTL (see
	// Cache; the module github.com/bedrockdoctor/bedrockdoctor/cache/redis
	// is one on Redis or Valkey). The process keeps its own LRU in front
	// of it. A store that is down, slow or returns garbage is never worse
	// than none: the process diagnoses locally within Budget.
	Cache Cache
	// CacheTimeout bounds each call to Cache; default Budget/10, between
	// 10 ms and 250 ms. A call that takes longer counts as a failed store.
	CacheTimeout time.Duration
	// Jitter, when set, delays each local diagnosis (one made without a
	// Cache, or when the Cache fails) by a random time of at most Jitter
	// (and Budget/2), so that a fleet without a shared store spreads the
	// diagnostic calls of a denial it sees everywhere at once rather than
	// bursting against the account's IAM, STS and Bedrock rates. The
	// caller waits that much longer for its verdict, and the fleet still
	// makes one diagnosis per process.
	Jitter time.Duration
}

// Defaults for Options.
const (
	DefaultBudget    = 3 * time.Second
	DefaultCacheTTL  = 5 * time.Minute
	DefaultCacheSize = 1024
	DefaultRateLimit = 20
)

// WithDefaults returns a copy of o with every zero field set to its default.
func (o Options) WithDefaults() Options {
	if o.Budget <= 0 {
		o.Budget = DefaultBudget
	}
	if o.CacheTTL <= 0 {
		o.CacheTTL = DefaultCacheTTL
	}
	if o.CacheSize <= 0 {
		o.CacheSize = DefaultCacheSize
	}
	if o.RateLimit == 0 {
		o.RateLimit = DefaultRateLimit
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}
