package awsfake

import (
	"sync"
	"time"
)

// Quota is the token bucket of one API family in one account: Rate tokens
// per second refill it up to Burst, and each request takes one. A request
// that finds the bucket empty is throttled, as AWS throttles it: STS and IAM
// answer 400 Throttling "Rate exceeded", Bedrock 429 ThrottlingException.
type Quota struct {
	// Rate is the sustained rate, in requests per second.
	Rate float64
	// Burst is the bucket's size; 0 means Rate (and at least 1).
	Burst float64
	// PerRegion gives the account one bucket per Region (STS, the Bedrock
	// control plane); otherwise one bucket serves every Region (IAM, a
	// global service).
	PerRegion bool
}

// API families, as LogEntry.Service names them.
const (
	FamilySTS            = "sts"
	FamilyIAM            = "iam"
	FamilyBedrock        = "bedrock" // the control plane
	FamilyBedrockRuntime = "bedrock-runtime"
)

// DefaultQuotas returns the quotas SetThrottling applies by default, per
// account of the caller (for a cross-account AssumeRole, the account making
// the request):
//
//   - sts: 600 requests per second per account per Region, shared by
//     AssumeRole, GetCallerIdentity, GetSessionToken and the other STS
//     operations called with AWS credentials; a cross-account AssumeRole
//     uses only the caller's account's quota. Published: "STS request
//     quotas", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html.
//     The burst is not published; the fake uses one second of the rate.
//   - iam: AWS does not publish IAM's API rates. It says they are token
//     buckets whose size and refill rate depend on the API
//     (https://aws.amazon.com/blogs/security/how-to-monitor-and-query-iam-resources-at-scale-part-2/),
//     that every caller in the account draws on them, that they cannot be
//     raised, and names SimulatePrincipalPolicy bursts as a cause of
//     throttling (https://repost.aws/knowledge-center/iam-sts-throttling-error).
//     The fake's 20 per second with a burst of 40, one bucket per account
//     (IAM is global), is an assumption, not a figure from AWS.
//   - bedrock (control plane: GetFoundationModel, GetInferenceProfile,
//     GetFoundationModelAvailability, ...): no public figure was found
//     (https://docs.aws.amazon.com/general/latest/gr/bedrock.html lists the
//     Bedrock quotas; the account's own values are in Service Quotas). The
//     fake's 10 per second with a burst of 20 per account per Region is an
//     assumption.
//   - bedrock-runtime: not throttled by family; Bedrock meters inference
//     per model in tokens per minute, which the fake does not model.
//
// Pass a modified copy to SetThrottling to measure against other values.
func DefaultQuotas() map[string]Quota {
	return map[string]Quota{
		FamilySTS:     {Rate: 600, Burst: 600, PerRegion: true},
		FamilyIAM:     {Rate: 20, Burst: 40},
		FamilyBedrock: {Rate: 10, Burst: 20, PerRegion: true},
	}
}

// throttle holds the server's buckets; the zero value throttles nothing.
type throttle struct {
	mu      sync.Mutex
	quotas  map[string]Quota
	buckets map[bucketKey]*bucket
	now     func() time.Time
}

type bucketKey struct{ family, account, region string }

type bucket struct {
	tokens float64
	last   time.Time
}

// SetThrottling makes the server throttle each account's requests by API
// family (FamilySTS, FamilyIAM, FamilyBedrock, FamilyBedrockRuntime) with
// quotas; a family without a quota is never throttled, and nil turns
// throttling off. Every bucket starts full. Throttled requests are logged
// with Decision "throttled".
func (s *Server) SetThrottling(quotas map[string]Quota) {
	s.throttle.mu.Lock()
	defer s.throttle.mu.Unlock()
	s.throttle.quotas = nil
	if len(quotas) > 0 {
		s.throttle.quotas = make(map[string]Quota, len(quotas))
		for f, q := range quotas {
			if q.Burst <= 0 {
				q.Burst = max(q.Rate, 1)
			}
			s.throttle.quotas[f] = q
		}
	}
	s.throttle.buckets = map[bucketKey]*bucket{}
	if s.throttle.now == nil {
		s.throttle.now = time.Now
	}
}

// take spends one token of account's bucket for family in region; false
// when the bucket is empty.
func (t *throttle) take(family, account, region string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	q, ok := t.quotas[family]
	if !ok || account == "" {
		return true
	}
	k := bucketKey{family: family, account: account}
	if q.PerRegion {
		k.region = region
	}
	now := t.now()
	b := t.buckets[k]
	if b == nil {
		b = &bucket{tokens: q.Burst, last: now}
		t.buckets[k] = b
	}
	b.tokens = min(q.Burst, b.tokens+now.Sub(b.last).Seconds()*q.Rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// checkThrottle answers an authenticated request whose account has spent
// its family's tokens with the service's throttling error.
func (c *call) checkThrottle() error {
	if c.s.throttle.take(c.service, c.principal.Account, c.region) {
		return nil
	}
	c.entry.Decision = "throttled"
	if c.proto == protoQuery {
		return &apiError{Status: 400, Code: "Throttling", Message: "Rate exceeded"}
	}
	return &apiError{Status: 429, Code: "ThrottlingException", Message: "Too many requests, please wait before trying again."}
}
