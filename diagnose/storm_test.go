package diagnose_test

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"

	"github.com/bedrockdoctor/bedrockdoctor/client"
	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
	"github.com/bedrockdoctor/bedrockdoctor/internal/awsfake"
)

func noBedrock() spec {
	s := healthy()
	s.rolePolicy = policy(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}`)
	return s
}

// diagnosticCalls counts the requests that were not the app's own Bedrock
// calls.
func diagnosticCalls(wd *world) int {
	n := 0
	for _, e := range wd.srv.Log() {
		if e.Service != "bedrock-runtime" {
			n++
		}
	}
	return n
}

func newStormClient(wd *world, diagnosis bool) *bedrockruntime.Client {
	opts := []func(*client.Options){client.WithRole(roleARN)}
	if diagnosis {
		opts = append(opts, client.WithDiagnosis(func(o *diagnose.Options) { o.RateLimit = -1; o.Budget = 10 * time.Second }))
	} else {
		opts = append(opts, client.WithoutDiagnosis())
	}
	return client.NewFromConfig(wd.srv.Config(wd.region, wd.appKey), opts...)
}

// TestStormSharesOneDiagnosis: many concurrent denied calls cause the
// diagnostic calls of one diagnosis, not one per call.
func TestStormSharesOneDiagnosis(t *testing.T) {
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "")
	one := build(t, noBedrock(), tierFull)
	if err := runOp(context.Background(), newStormClient(one, true), "InvokeModel", haiku); err == nil {
		t.Fatal("want a denial")
	}
	perDiagnosis := diagnosticCalls(one)

	wd := build(t, noBedrock(), tierFull)
	c := newStormClient(wd, true)
	const goroutines, calls = 200, 10
	var wg sync.WaitGroup
	var mu sync.Mutex
	layers := map[diagnose.Layer]int{}
	for range goroutines {
		wg.Go(func() {
			for range calls {
				err := runOp(context.Background(), c, "InvokeModel", haiku)
				var derr *diagnose.Error
				l := diagnose.Layer("(none)")
				if errors.As(err, &derr) {
					l = derr.Layer()
				}
				mu.Lock()
				layers[l]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if layers[diagnose.LayerRolePermissions] != goroutines*calls {
		t.Errorf("layers = %v, want every call role-permissions", layers)
	}
	if got := diagnosticCalls(wd); got != perDiagnosis {
		t.Errorf("%d denied calls made %d diagnostic calls; one diagnosis makes %d", goroutines*calls, got, perDiagnosis)
	}
}

// TestCancelledCallerStopsWaiting: a caller whose context ends gets its
// error at once with what the text says, while the shared diagnosis runs on.
func TestCancelledCallerStopsWaiting(t *testing.T) {
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "")
	wd := build(t, noBedrock(), tierFull)
	wd.srv.InjectFault("iam", "SimulatePrincipalPolicy", awsfake.Fault{Latency: 2 * time.Second})
	c := newStormClient(wd, true)
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := runOp(ctx, c, "InvokeModel", haiku)
	elapsed := time.Since(start)
	var derr *diagnose.Error
	if !errors.As(err, &derr) {
		t.Fatalf("want the text's diagnosis, got %v", err)
	}
	if derr.Layer() != diagnose.LayerRolePermissions {
		t.Errorf("layer = %s", derr.Layer())
	}
	// Loose bound: the caller returned near its own deadline, not after the
	// 2 s the slow simulation takes.
	if elapsed > 1900*time.Millisecond {
		t.Errorf("caller waited %s after its context ended", elapsed)
	}
}

// BenchmarkDeniedStorm: 1,000 goroutines × 10 denied calls on one client.
// Reports the diagnostic AWS calls made, the heap growth, and the p50/p99
// latency a denied call gains from the diagnosis (vs WithoutDiagnosis).
// Run: go test ./diagnose -run '^$' -bench DeniedStorm -benchtime 1x
func BenchmarkDeniedStorm(b *testing.B) {
	b.Setenv("AWS_BEARER_TOKEN_BEDROCK", "")
	const goroutines, calls = 1000, 10
	storm := func(c *bedrockruntime.Client) []time.Duration {
		lat := make([]time.Duration, 0, goroutines*calls)
		var mu sync.Mutex
		var wg sync.WaitGroup
		for range goroutines {
			wg.Go(func() {
				for range calls {
					start := time.Now()
					_ = runOp(context.Background(), c, "InvokeModel", haiku)
					d := time.Since(start)
					mu.Lock()
					lat = append(lat, d)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		slices.Sort(lat)
		return lat
	}
	pct := func(l []time.Duration, p float64) time.Duration { return l[int(float64(len(l)-1)*p)] }
	for b.Loop() {
		b.StopTimer()
		plainWorld := build(b, noBedrock(), tierFull)
		plain := storm(newStormClient(plainWorld, false))
		wd := build(b, noBedrock(), tierFull)
		c := newStormClient(wd, true)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		b.StartTimer()
		diag := storm(c)
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(diagnosticCalls(wd)), "diag-calls")
		b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/1024, "heap-growth-KiB")
		b.ReportMetric(float64(pct(diag, 0.5)-pct(plain, 0.5))/float64(time.Microsecond), "added-p50-µs")
		b.ReportMetric(float64(pct(diag, 0.99)-pct(plain, 0.99))/float64(time.Microsecond), "added-p99-µs")
		b.StartTimer()
	}
}

// TestNoGoroutineOutlivesBudget: a diagnosis stuck on a hanging AWS call is
// cut at its budget, and leaves no goroutine of ours behind (goleak-style,
// from the stacks of every goroutine).
func TestNoGoroutineOutlivesBudget(t *testing.T) {
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "")
	wd := build(t, noBedrock(), tierFull)
	wd.srv.InjectFault("iam", "SimulatePrincipalPolicy", awsfake.Fault{Latency: 30 * time.Second})
	const budget = 500 * time.Millisecond
	c := client.NewFromConfig(wd.srv.Config(wd.region, wd.appKey), client.WithRole(roleARN),
		client.WithDiagnosis(func(o *diagnose.Options) { o.Budget = budget; o.RateLimit = -1 }))
	start := time.Now()
	err := runOp(context.Background(), c, "InvokeModel", haiku)
	if took := time.Since(start); took > budget+2*time.Second {
		t.Errorf("the denied call took %s with a %s budget", took, budget)
	}
	var derr *diagnose.Error
	if !errors.As(err, &derr) || derr.Layer() != diagnose.LayerRolePermissions {
		t.Fatalf("want role-permissions from the text, got %v", err)
	}
	unknown := false
	for _, ch := range derr.Report.Checks {
		if ch.Name == "role-permissions.simulate" && ch.Status == diagnose.StatusUnknown {
			unknown = true
		}
	}
	if !unknown {
		t.Errorf("the hanging simulation should be an unknown check:\n%s", derr.Report)
	}
	deadline := time.Now().Add(3 * time.Second)
	for {
		left := ourGoroutines()
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d diagnosis goroutines outlived the budget:\n%s", len(left), left[0])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ourGoroutines returns the stacks of goroutines running diagnosis code.
func ourGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "bedrockdoctor/diagnose.(*Diagnoser)") || strings.Contains(g, "bedrockdoctor/diagnose.(*inquiry)") {
			out = append(out, g)
		}
	}
	return out
}

func faultLatency(d time.Duration) awsfake.Fault { return awsfake.Fault{Latency: d} }

// TestAsyncOnReport: with OnReport the caller gets its error at once (with
// what the text says), and the full report arrives later.
func TestAsyncOnReport(t *testing.T) {
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "")
	wd := build(t, noBedrock(), tierFull)
	reports := make(chan *diagnose.Report, 1)
	c := client.NewFromConfig(wd.srv.Config(wd.region, wd.appKey), client.WithRole(roleARN),
		client.WithDiagnosis(func(o *diagnose.Options) {
			o.RateLimit = -1
			o.OnReport = func(r *diagnose.Report) { reports <- r }
		}))
	err := runOp(context.Background(), c, "InvokeModel", haiku)
	var derr *diagnose.Error
	if !errors.As(err, &derr) || derr.Layer() != diagnose.LayerRolePermissions {
		t.Fatalf("want the text's diagnosis at once, got %v", err)
	}
	for _, ch := range derr.Report.Checks {
		if ch.Name == "role-permissions.simulate" {
			t.Errorf("the immediate report already holds the checks: it waited")
		}
	}
	select {
	case r := <-reports:
		found := false
		for _, ch := range r.Checks {
			found = found || ch.Name == "role-permissions.simulate"
		}
		if r.Layer != diagnose.LayerRolePermissions || !found {
			t.Errorf("async report:\n%s", r)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("OnReport was never called")
	}
}

// TestRedactedError: with Redact, Error() carries no account id or ARN,
// while the wrapped error and the report stay exact.
func TestRedactedError(t *testing.T) {
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "")
	wd := build(t, noBedrock(), tierFull)
	c := client.NewFromConfig(wd.srv.Config(wd.region, wd.appKey), client.WithRole(roleARN),
		client.WithDiagnosis(func(o *diagnose.Options) { o.Redact = true; o.RateLimit = -1 }))
	err := runOp(context.Background(), c, "InvokeModel", haiku)
	var derr *diagnose.Error
	if !errors.As(err, &derr) {
		t.Fatalf("no diagnosis: %v", err)
	}
	for _, acct := range []string{srcAcct, tgtAcct} {
		if strings.Contains(derr.Error(), acct) {
			t.Errorf("Error() shows account %s: %s", acct, derr.Error())
		}
	}
	if !strings.Contains(derr.Unwrap().Error(), tgtAcct) || derr.Report.RoleARN != roleARN {
		t.Errorf("redaction reached the original error or the report")
	}
}
