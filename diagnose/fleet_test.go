package diagnose_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"

	"github.com/bedrockdoctor/bedrockdoctor/client"
	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
	"github.com/bedrockdoctor/bedrockdoctor/internal/fleet"
)

// fleetBudget is the budget of the fleet tests' processes: generous for
// -race on a shared machine, and the lease is half of it.
const fleetBudget = 4 * time.Second

// fleetClient is one process of a fleet: its own client, Diagnoser, local
// cache and (no) rate limit, sharing c.
func fleetClient(wd *world, c diagnose.Cache, opts ...func(*diagnose.Options)) *bedrockruntime.Client {
	set := func(o *diagnose.Options) {
		o.RateLimit = -1
		o.Budget = fleetBudget
		o.Cache = c
	}
	return client.NewFromConfig(wd.srv.Config(wd.region, wd.appKey), client.WithRole(roleARN),
		client.WithDiagnosis(append([]func(*diagnose.Options){set}, opts...)...))
}

// checkCalls counts the diagnosis' own reads: IAM, the Bedrock control
// plane and STS other than the apps' AssumeRole (every process assumes the
// role for its own Bedrock calls).
func checkCalls(wd *world) int {
	n := 0
	for _, e := range wd.srv.Log() {
		if e.Service == "iam" || e.Service == "bedrock" || e.Service == "sts" && e.Action != "AssumeRole" {
			n++
		}
	}
	return n
}

// decided reports whether err carries role-permissions proven by AWS (the
// simulation failed), not only read from the text.
func decided(err error) (*diagnose.Report, bool) {
	var derr *diagnose.Error
	if !errors.As(err, &derr) {
		return nil, false
	}
	return derr.Report, fleet.Decided(derr.Report)
}

func TestFleetDiagnosesOnce(t *testing.T) {
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "")
	one := build(t, noBedrock(), tierFull)
	if _, ok := decided(runOp(context.Background(), fleetClient(one, nil), "InvokeModel", haiku)); !ok {
		t.Fatal("one process alone does not decide")
	}
	perDiagnosis := checkCalls(one)

	wd := build(t, noBedrock(), tierFull)
	store := diagnose.NewMemoryCache(0)
	const processes = 20
	var wg sync.WaitGroup
	errs := make([]error, processes)
	for i := range processes {
		c := fleetClient(wd, store)
		wg.Go(func() { errs[i] = runOp(context.Background(), c, "InvokeModel", haiku) })
	}
	wg.Wait()
	for i, err := range errs {
		if r, ok := decided(err); !ok {
			t.Errorf("process %d was not given the decided verdict:\n%v", i, r)
		}
	}
	if got := checkCalls(wd); got != perDiagnosis {
		t.Errorf("%d processes made %d diagnostic calls; one diagnosis makes %d", processes, got, perDiagnosis)
	}
}

// faultyStore is a Cache that misbehaves as a store can.
type faultyStore struct {
	inner diagnose.Cache
	mu    sync.Mutex
	get   func(ctx context.Context, key string) (*diagnose.Report, bool, error)
	claim func(ctx context.Context, key string, lease time.Duration) (bool, error)
	pub   func(ctx context.Context, key string, r *diagnose.Report, ttl time.Duration) error
	// published holds every report Publish received, as JSON.
	published []string
}

func newFaultyStore() *faultyStore { return &faultyStore{inner: diagnose.NewMemoryCache(0)} }

func (s *faultyStore) Get(ctx context.Context, key string) (*diagnose.Report, bool, error) {
	if s.get != nil {
		return s.get(ctx, key)
	}
	return s.inner.Get(ctx, key)
}

func (s *faultyStore) Claim(ctx context.Context, key string, lease time.Duration) (bool, error) {
	if s.claim != nil {
		return s.claim(ctx, key, lease)
	}
	return s.inner.Claim(ctx, key, lease)
}

func (s *faultyStore) Publish(ctx context.Context, key string, r *diagnose.Report, ttl time.Duration) error {
	b, _ := json.Marshal(r)
	s.mu.Lock()
	s.published = append(s.published, string(b))
	s.mu.Unlock()
	if s.pub != nil {
		return s.pub(ctx, key, r, ttl)
	}
	return s.inner.Publish(ctx, key, r, ttl)
}

var errStoreDown = errors.New("dial tcp 127.0.0.1:6379: connect: connection refused")

// blocked waits for ctx, as a store that does not answer.
func blocked(ctx context.Context) error {
	<-ctx.Done()
	return ctx.Err()
}

// TestFleetStoreFailures: whatever the store does, the process gets the
// decided verdict within its budget, as without a store.
func TestFleetStoreFailures(t *testing.T) {
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "")
	poisoned := func(mut func(*diagnose.Report)) func(context.Context, string) (*diagnose.Report, bool, error) {
		return func(context.Context, string) (*diagnose.Report, bool, error) {
			r := &diagnose.Report{SchemaVersion: diagnose.SchemaVersion, Layer: diagnose.LayerNone, Summary: "nothing denies", Checks: []diagnose.Check{}}
			mut(r)
			return r, true, nil
		}
	}
	tests := map[string]func(s *faultyStore){
		"down": func(s *faultyStore) {
			s.get = func(context.Context, string) (*diagnose.Report, bool, error) { return nil, false, errStoreDown }
		},
		"slow": func(s *faultyStore) {
			s.get = func(ctx context.Context, _ string) (*diagnose.Report, bool, error) { return nil, false, blocked(ctx) }
		},
		"full": func(s *faultyStore) {
			oom := errors.New("OOM command not allowed when used memory > 'maxmemory'")
			s.claim = func(context.Context, string, time.Duration) (bool, error) { return false, oom }
			s.pub = func(context.Context, string, *diagnose.Report, time.Duration) error { return oom }
		},
		"garbage layer": func(s *faultyStore) {
			s.get = poisoned(func(r *diagnose.Report) { r.Layer = "all-good" })
		},
		"foreign version": func(s *faultyStore) {
			s.get = poisoned(func(r *diagnose.Report) { r.SchemaVersion = 99 })
		},
		"fails mid-diagnosis": func(s *faultyStore) {
			// Get and Claim answer; the store is gone by Publish.
			s.pub = func(context.Context, string, *diagnose.Report, time.Duration) error { return errStoreDown }
		},
		"hangs mid-diagnosis": func(s *faultyStore) {
			s.pub = func(ctx context.Context, _ string, _ *diagnose.Report, _ time.Duration) error { return blocked(ctx) }
		},
	}
	for name, fault := range tests {
		t.Run(name, func(t *testing.T) {
			wd := build(t, noBedrock(), tierFull)
			s := newFaultyStore()
			fault(s)
			start := time.Now()
			err := runOp(context.Background(), fleetClient(wd, s), "InvokeModel", haiku)
			took := time.Since(start)
			if r, ok := decided(err); !ok {
				t.Errorf("not decided locally:\n%v", r)
			}
			if took > fleetBudget {
				t.Errorf("the denied call took %s, over the %s budget", took, fleetBudget)
			}
		})
	}
}

// TestFleetStoreFailsMidDiagnosisThenLeaseExpires: the claimant's publish
// is lost; the next process waits out the lease, then diagnoses itself.
func TestFleetStoreFailsMidDiagnosisThenLeaseExpires(t *testing.T) {
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "")
	wd := build(t, noBedrock(), tierFull)
	s := newFaultyStore()
	var publishes atomic.Int32
	s.pub = func(ctx context.Context, key string, r *diagnose.Report, ttl time.Duration) error {
		if publishes.Add(1) == 1 {
			return errStoreDown // the store is gone when the first report is ready
		}
		return s.inner.Publish(ctx, key, r, ttl)
	}
	if _, ok := decided(runOp(context.Background(), fleetClient(wd, s), "InvokeModel", haiku)); !ok {
		t.Fatal("the claimant was not decided")
	}
	start := time.Now()
	err := runOp(context.Background(), fleetClient(wd, s), "InvokeModel", haiku)
	if r, ok := decided(err); !ok {
		t.Errorf("the second process was not decided:\n%v", r)
	}
	if took := time.Since(start); took > fleetBudget {
		t.Errorf("took %s", took)
	}
	if len(s.published) != 2 {
		t.Errorf("%d publishes, want the lost one and the second process's", len(s.published))
	}
}

// TestFleetClaimantDies: a process claims the key and dies before it
// publishes; the others wait for its lease to end, then one diagnoses.
func TestFleetClaimantDies(t *testing.T) {
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "")
	wd := build(t, noBedrock(), tierFull)
	s := newFaultyStore()
	var ghost sync.Once
	s.claim = func(ctx context.Context, key string, lease time.Duration) (bool, error) {
		// The first claim is the dead process's: it holds the lease.
		ghost.Do(func() { _, _ = s.inner.Claim(ctx, key, lease) })
		return s.inner.Claim(ctx, key, lease)
	}
	const processes = 5
	var wg sync.WaitGroup
	errs := make([]error, processes)
	took := make([]time.Duration, processes)
	for i := range processes {
		c := fleetClient(wd, s)
		wg.Go(func() {
			start := time.Now()
			errs[i] = runOp(context.Background(), c, "InvokeModel", haiku)
			took[i] = time.Since(start)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if r, ok := decided(err); !ok {
			t.Errorf("process %d not decided after the lease expired:\n%v", i, r)
		}
		if took[i] < fleetBudget/2-50*time.Millisecond || took[i] > fleetBudget {
			t.Errorf("process %d took %s: want the lease (%s) and less than the budget", i, took[i], fleetBudget/2)
		}
	}
	if len(s.published) != 1 {
		t.Errorf("%d reports published after the lease; want one diagnosis", len(s.published))
	}
}

// TestFleetRedactedStore: with Redact, the store holds no account id and
// no ARN, and a process reading it still gets its own denial's facts.
func TestFleetRedactedStore(t *testing.T) {
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "")
	wd := build(t, noBedrock(), tierFull)
	s := newFaultyStore()
	redact := func(o *diagnose.Options) { o.Redact = true }
	first := runOp(context.Background(), fleetClient(wd, s, redact), "InvokeModel", haiku)
	second := runOp(context.Background(), fleetClient(wd, s, redact), "InvokeModel", haiku)
	if len(s.published) != 1 {
		t.Fatalf("%d reports published, want 1", len(s.published))
	}
	// Redact's own reach: account ids and the names in IAM and STS ARNs.
	for _, secret := range []string{srcAcct, tgtAcct, "role/" + roleName, "assumed-role/" + roleName, "user/app"} {
		if strings.Contains(s.published[0], secret) {
			t.Errorf("the store holds %q in clear: %s", secret, s.published[0])
		}
	}
	for _, secret := range wd.w.IssuedSecrets() {
		if strings.Contains(s.published[0], secret) {
			t.Errorf("a secret the fake issued was written to the store")
		}
	}
	for i, err := range []error{first, second} {
		r, ok := decided(err)
		if !ok || r.RoleARN != roleARN || r.TargetAccount != tgtAcct || !strings.Contains(r.Principal, tgtAcct) {
			t.Errorf("process %d: %v", i, r)
		}
	}
}

// TestFleetNoSecretWritten: whatever the store is given holds none of the
// secrets the fake issued.
func TestFleetNoSecretWritten(t *testing.T) {
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "")
	for _, sp := range []spec{noBedrock(), healthy()} {
		wd := build(t, sp, tierFull)
		s := newFaultyStore()
		_ = runOp(context.Background(), fleetClient(wd, s), "InvokeModel", haiku)
		all := strings.Join(s.published, "\n")
		for _, secret := range wd.w.IssuedSecrets() {
			if strings.Contains(all, secret) {
				t.Fatalf("a secret the fake issued was written to the store")
			}
		}
	}
}

// BenchmarkFleetStorm: N processes (each its own Diagnoser, cache and rate
// limit) see one denial at once against an AWS that throttles each
// account's STS, IAM and Bedrock control-plane calls (awsfake.DefaultQuotas).
// Without a store, with jitter, and with an in-process shared store (the
// Redis adapter's benchmark, in cache/redis, adds the real store).
// Run: go test ./diagnose -run '^$' -bench FleetStorm -benchtime 1x
func BenchmarkFleetStorm(b *testing.B) {
	b.Setenv("AWS_BEARER_TOKEN_BEDROCK", "")
	modes := []struct {
		name string
		opts func() func(int, *diagnose.Options)
	}{
		{"store=none", func() func(int, *diagnose.Options) { return nil }},
		{"store=none,jitter=1.5s", func() func(int, *diagnose.Options) {
			return func(_ int, o *diagnose.Options) { o.Jitter = 1500 * time.Millisecond }
		}},
		{"store=memory", func() func(int, *diagnose.Options) {
			c := diagnose.NewMemoryCache(0)
			return func(_ int, o *diagnose.Options) { o.Cache = c }
		}},
	}
	for _, m := range modes {
		for _, n := range []int{1, 10, 100, 500} {
			b.Run(fmt.Sprintf("%s/N=%d", m.name, n), func(b *testing.B) {
				for b.Loop() {
					res, err := fleet.Run(context.Background(), fleet.Config{N: n, Options: m.opts()})
					if err != nil {
						b.Fatal(err)
					}
					fleet.Report(b, res)
				}
			})
		}
	}
}
