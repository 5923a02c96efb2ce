package diagnose

import (
	"context"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go/middleware"
)

// limiter is a token bucket over the diagnosis' own AWS calls. Limiters are
// process-wide, one per configured rate, so every client of a process shares
// the cap its options name.
type limiter struct {
	mu     sync.Mutex
	rate   float64 // tokens per second
	burst  float64
	tokens float64
	last   time.Time
}

var (
	limitersMu sync.Mutex
	limiters   = map[float64]*limiter{}
)

// sharedLimiter returns the process-wide limiter for rate calls per second;
// nil for no limit (rate < 0).
func sharedLimiter(rate float64) *limiter {
	if rate < 0 {
		return nil
	}
	limitersMu.Lock()
	defer limitersMu.Unlock()
	l, ok := limiters[rate]
	if !ok {
		burst := max(rate, 1)
		l = &limiter{rate: rate, burst: burst, tokens: burst, last: time.Now()}
		limiters[rate] = l
	}
	return l
}

// wait takes a token, waiting until one is free or ctx ends.
func (l *limiter) wait(ctx context.Context) error {
	for {
		l.mu.Lock()
		now := time.Now()
		l.tokens = min(l.burst, l.tokens+now.Sub(l.last).Seconds()*l.rate)
		l.last = now
		if l.tokens >= 1 {
			l.tokens--
			l.mu.Unlock()
			return nil
		}
		delay := time.Duration((1 - l.tokens) / l.rate * float64(time.Second))
		l.mu.Unlock()
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// limitMiddleware holds each diagnostic operation until the limiter grants
// it; outside the retry loop, so retries are not counted twice.
type limitMiddleware struct{ l *limiter }

func (m limitMiddleware) ID() string { return "bedrockdoctor.DiagnosisRateLimit" }

func (m limitMiddleware) HandleInitialize(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (
	middleware.InitializeOutput, middleware.Metadata, error,
) {
	if err := m.l.wait(ctx); err != nil {
		return middleware.InitializeOutput{}, middleware.Metadata{}, err
	}
	return next.HandleInitialize(ctx, in)
}

// limited returns a copy of cfg whose clients pass through l.
func limited(cfg aws.Config, l *limiter) aws.Config {
	c := cfg.Copy()
	if l == nil {
		return c
	}
	c.APIOptions = append(c.APIOptions[:len(c.APIOptions):len(c.APIOptions)], func(s *middleware.Stack) error {
		if _, ok := s.Initialize.Get("bedrockdoctor.DiagnosisRateLimit"); ok {
			return nil
		}
		return s.Initialize.Add(limitMiddleware{l}, middleware.After)
	})
	return c
}
