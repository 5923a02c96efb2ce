package redis

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
	"github.com/bedrockdoctor/bedrockdoctor/internal/awsfake"
	"github.com/bedrockdoctor/bedrockdoctor/internal/fleet"
)

var prefixes atomic.Int64

// newCache returns a Cache on addr with a prefix of its own, so that no
// test (and no fleet run) sees another's keys.
func newCache(t testing.TB, addr string) (*Cache, string) {
	prefix := fmt.Sprintf("bdtest%d", prefixes.Add(1))
	return New(client(t, addr), func(o *Options) { o.Prefix = prefix }), prefix
}

func report(layer diagnose.Layer) *diagnose.Report {
	return &diagnose.Report{SchemaVersion: diagnose.SchemaVersion, Layer: layer, Summary: "s",
		Checks: []diagnose.Check{{Name: "role-permissions.simulate", Layer: layer, Status: diagnose.StatusFail, Detail: "d"}}}
}

func TestContract(t *testing.T) {
	addr := redisAddr(t)
	c, prefix := newCache(t, addr)
	rdb := client(t, addr)
	ctx := context.Background()
	key := strings.Repeat("ab", 32)

	if _, ok, err := c.Get(ctx, key); ok || err != nil {
		t.Fatalf("Get on an empty store = %v, %v", ok, err)
	}
	if won, err := c.Claim(ctx, key, 5*time.Second); !won || err != nil {
		t.Fatalf("first Claim = %v, %v", won, err)
	}
	if won, err := c.Claim(ctx, key, 5*time.Second); won || err != nil {
		t.Fatalf("second Claim = %v, %v: a live lease was taken twice", won, err)
	}
	if err := c.Publish(ctx, key, report(diagnose.LayerRolePermissions), time.Minute); err != nil {
		t.Fatal(err)
	}
	got, ok, err := c.Get(ctx, key)
	if !ok || err != nil || got.Layer != diagnose.LayerRolePermissions || len(got.Checks) != 1 {
		t.Fatalf("Get after Publish = %+v, %v, %v", got, ok, err)
	}
	if won, _ := c.Claim(ctx, key, 5*time.Second); !won {
		t.Errorf("Publish did not end the lease")
	}
	ttl := rdb.TTL(ctx, prefix+":{"+key+"}:report").Val()
	if ttl <= 50*time.Second || ttl > time.Minute {
		t.Errorf("report TTL = %s, want the minute Publish gave", ttl)
	}
	for _, k := range rdb.Keys(ctx, prefix+":*").Val() {
		if !strings.HasPrefix(k, prefix+":{"+key+"}:") {
			t.Errorf("key %q outside the namespace and hash tag", k)
		}
	}
}

func TestLeaseExpires(t *testing.T) {
	c, _ := newCache(t, redisAddr(t))
	ctx := context.Background()
	key := strings.Repeat("cd", 32)
	if won, _ := c.Claim(ctx, key, 200*time.Millisecond); !won {
		t.Fatal("first claim lost")
	}
	// The holder dies here: nobody publishes.
	if won, _ := c.Claim(ctx, key, 200*time.Millisecond); won {
		t.Fatal("lease not held")
	}
	time.Sleep(300 * time.Millisecond)
	if won, err := c.Claim(ctx, key, 200*time.Millisecond); !won || err != nil {
		t.Errorf("the dead holder's lease did not expire: %v, %v", won, err)
	}
}

func TestGarbageReadsAsMiss(t *testing.T) {
	addr := redisAddr(t)
	c, prefix := newCache(t, addr)
	rdb := client(t, addr)
	ctx := context.Background()
	tests := map[string]string{
		"not json":        "\x00\xffnot json at all",
		"wrong shape":     `{"schema_version":"one","layer":7}`,
		"foreign version": `{"schema_version":99,"layer":"none","checks":[]}`,
		"no version":      `{"layer":"none","checks":[]}`,
		"oversized":       `{"schema_version":1,"layer":"none","summary":"` + strings.Repeat("x", DefaultMaxReportBytes) + `","checks":[]}`,
	}
	for name, value := range tests {
		t.Run(name, func(t *testing.T) {
			key := fmt.Sprintf("%064x", len(name))
			rdb.Set(ctx, prefix+":{"+key+"}:report", value, time.Minute)
			if r, ok, err := c.Get(ctx, key); ok || err != nil {
				t.Errorf("Get = %+v, %v, %v; want a miss", r, ok, err)
			}
		})
	}
	big := report(diagnose.LayerNone)
	big.Summary = strings.Repeat("x", DefaultMaxReportBytes)
	if err := c.Publish(ctx, strings.Repeat("ef", 32), big, time.Minute); err == nil {
		t.Errorf("an oversized report was written")
	}
}

func TestDeadlineHonoured(t *testing.T) {
	addr := redisAddr(t)
	p := newProxy(t, addr)
	// A client whose own timeouts are long and that ignores deadlines:
	// the Cache still returns at the deadline.
	rdb := goredis.NewClient(&goredis.Options{Addr: p.addr(), ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second, MaxRetries: -1})
	t.Cleanup(func() { _ = rdb.Close() })
	c := New(rdb)
	p.setStall(true)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, _, err := c.Get(ctx, strings.Repeat("01", 32))
	if err == nil || time.Since(start) > time.Second {
		t.Errorf("Get on a stalled store: %v after %s", err, time.Since(start))
	}
	p.setStall(false)
}

// fleetRun runs a storm of n processes, each with its own client to addr
// and the same namespace.
func fleetRun(t testing.TB, n int, addr string, cfg fleet.Config) fleet.Result {
	t.Helper()
	prefix := fmt.Sprintf("bdfleet%d", prefixes.Add(1))
	opts := cfg.Options
	cfg.N = n
	cfg.Options = func(i int, o *diagnose.Options) {
		rdb := goredis.NewClient(&goredis.Options{Addr: addr, ContextTimeoutEnabled: true, PoolSize: 4, MaxRetries: -1})
		t.Cleanup(func() { _ = rdb.Close() })
		// A running process's pool is connected before the denial.
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		_ = rdb.Ping(ctx).Err()
		cancel()
		o.Cache = New(rdb, func(o *Options) { o.Prefix = prefix })
		if opts != nil {
			opts(i, o)
		}
	}
	res, err := fleet.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestFleetDiagnosesOnce: with the adapter, the fleet's diagnostic calls
// for one denial do not grow with the fleet, and every process gets the
// decided verdict.
func TestFleetDiagnosesOnce(t *testing.T) {
	addr := redisAddr(t)
	// A healthy store on a loaded machine (-race, shared CI) may take more
	// than the default 250 ms: a timeout would rightly send that process
	// to diagnose locally, which is not what this test is about.
	patient := fleet.Config{Options: func(_ int, o *diagnose.Options) { o.CacheTimeout = 2 * time.Second; o.Budget = 6 * time.Second }}
	one := fleetRun(t, 1, addr, patient)
	if one.Decided != 1 {
		t.Fatalf("one process alone: %v", one)
	}
	many := fleetRun(t, 50, addr, patient)
	if many.Calls != one.Calls || many.Decided != 50 || many.Throttled != 0 {
		t.Errorf("50 processes: %v; one process made %d calls", many, one.Calls)
	}
}

// budget is the fleet tests' diagnosis budget.
const budget = 3 * time.Second

func withBudget(_ int, o *diagnose.Options) { o.Budget = budget }

// TestStoreFailures: down, slow and full stores leave every process its
// local diagnosis, decided within the budget.
func TestStoreFailures(t *testing.T) {
	addr := redisAddr(t)
	tests := map[string]func(t *testing.T) string{
		"down": func(t *testing.T) string {
			p := newProxy(t, addr)
			p.kill()
			return p.addr()
		},
		"slow": func(t *testing.T) string {
			p := newProxy(t, addr)
			p.setStall(true)
			return p.addr()
		},
		"full": func(t *testing.T) string {
			rdb := client(t, addr)
			ctx := context.Background()
			rdb.ConfigSet(ctx, "maxmemory-policy", "noeviction")
			rdb.ConfigSet(ctx, "maxmemory", "1")
			t.Cleanup(func() { rdb.ConfigSet(ctx, "maxmemory", "0") })
			return addr
		},
	}
	for name, store := range tests {
		t.Run(name, func(t *testing.T) {
			res := fleetRun(t, 3, store(t), fleet.Config{Options: withBudget})
			if res.Decided != 3 || res.Max > budget {
				t.Errorf("%v: want every process decided locally within %s", res, budget)
			}
		})
	}
}

// TestStoreFailsMidDiagnosis: the store answers the claim, then dies while
// the claimant diagnoses; every process still gets a decided verdict within
// its budget.
func TestStoreFailsMidDiagnosis(t *testing.T) {
	addr := redisAddr(t)
	p := newProxy(t, addr)
	watch := client(t, addr)
	res := fleetRun(t, 5, p.addr(), fleet.Config{Options: withBudget, Server: func(s *awsfake.Server) {
		// The diagnosis's simulation is slow; the store dies as soon as a
		// lease is taken.
		s.InjectFault("iam", "SimulatePrincipalPolicy", awsfake.Fault{Latency: 400 * time.Millisecond})
		go func() {
			for range 500 {
				if keys := watch.Keys(context.Background(), "bdfleet*:lease").Val(); len(keys) > 0 {
					p.kill()
					return
				}
				time.Sleep(2 * time.Millisecond)
			}
		}()
	}})
	if res.Decided != 5 || res.Max > budget {
		t.Errorf("%v: want every process decided within %s", res, budget)
	}
}

// ghostCache claims every key once for a process that then dies: the lease
// stays in Redis until it expires.
type ghostCache struct {
	diagnose.Cache
	mu    sync.Mutex
	ghost map[string]bool
}

func (g *ghostCache) Claim(ctx context.Context, key string, lease time.Duration) (bool, error) {
	g.mu.Lock()
	if !g.ghost[key] {
		g.ghost[key] = true
		_, _ = g.Cache.Claim(ctx, key, lease) // the dead process's claim
	}
	g.mu.Unlock()
	return g.Cache.Claim(ctx, key, lease)
}

// TestClaimantDies: a process claims the denial and dies; when its lease
// expires one of the others diagnoses, and all get the decided verdict.
func TestClaimantDies(t *testing.T) {
	addr := redisAddr(t)
	g := &ghostCache{ghost: map[string]bool{}}
	var once sync.Once
	res := fleetRun(t, 5, addr, fleet.Config{Options: func(i int, o *diagnose.Options) {
		o.Budget = budget
		o.CacheTimeout = budget / 4
		once.Do(func() { g.Cache = o.Cache })
		o.Cache = g
	}})
	if res.Decided != 5 {
		t.Errorf("%v: want every process decided after the lease", res)
	}
	if res.P50 < budget/2-50*time.Millisecond || res.Max > budget {
		t.Errorf("%v: want the verdict after the lease (%s) and within the budget", res, budget/2)
	}
	if res.Calls != 7 {
		t.Errorf("%d diagnostic calls after the lease: want one diagnosis", res.Calls)
	}
}

// TestStoreHoldsNoIdentity: with Redact, neither keys nor values hold an
// account id or an IAM/STS name, and no secret is ever written.
func TestStoreHoldsNoIdentity(t *testing.T) {
	addr := redisAddr(t)
	rdb := client(t, addr)
	var secrets []string
	prefix := fmt.Sprintf("bdfleet%d", prefixes.Load()+1)
	res := fleetRun(t, 3, addr, fleet.Config{
		Options: func(_ int, o *diagnose.Options) { o.Redact = true },
		Server:  func(s *awsfake.Server) { secrets = s.World.IssuedSecrets() },
	})
	if res.Decided != 3 {
		t.Fatalf("%v", res)
	}
	ctx := context.Background()
	keys := rdb.Keys(ctx, prefix+":*").Val()
	if len(keys) == 0 {
		t.Fatalf("nothing stored under %s", prefix)
	}
	account := regexp.MustCompile(`\b[0-9]{12}\b`)
	for _, k := range keys {
		v, _ := rdb.Get(ctx, k).Result()
		for _, s := range []string{k, v} {
			if account.MatchString(s) || strings.Contains(s, "role/BedrockAccess") || strings.Contains(s, "user/app") {
				t.Errorf("the store holds an identity in clear: %s = %.300s", k, v)
			}
			for _, secret := range secrets {
				if strings.Contains(s, secret) {
					t.Errorf("a secret the fake issued was written to the store")
				}
			}
		}
	}
}

// BenchmarkFleetStorm is the diagnose package's fleet benchmark with the
// adapter on a real redis-server: each process has its own client.
// Run: go test ./cache/redis -run '^$' -bench FleetStorm -benchtime 1x
func BenchmarkFleetStorm(b *testing.B) {
	addr := redisAddr(b)
	for _, n := range []int{1, 10, 100, 500} {
		b.Run(fmt.Sprintf("store=redis/N=%d", n), func(b *testing.B) {
			for b.Loop() {
				fleet.Report(b, fleetRun(b, n, addr, fleet.Config{}))
			}
		})
	}
}
