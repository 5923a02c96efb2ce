package diagnose_test

import (
	"context"
	"testing"
	"time"
)

// BenchmarkDiagnosisDepth measures how many round trips of wall time a
// diagnosis adds after a denial, with 20 ms of latency on every AWS call and
// the role's credentials already cached, and how many calls it makes.
// Target: the verdict within 3 round trips. Run:
// go test ./diagnose -run '^$' -bench DiagnosisDepth -benchtime 5x
func BenchmarkDiagnosisDepth(b *testing.B) {
	b.Setenv("AWS_BEARER_TOKEN_BEDROCK", "")
	const rtt = 20 * time.Millisecond
	for _, bc := range []struct {
		name  string
		model string
		tier  tier
	}{
		{"foundation-model/simulate", haiku, tierFull},
		{"system-profile/simulate", usSonnet, tierFull},
		// The role may also read its own policies: the local evaluation
		// reads them (three calls deep) while the model resolves.
		{"system-profile/read-policies", usSonnet, tierRead},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var added time.Duration
			var calls, n int
			for b.Loop() {
				b.StopTimer()
				wd := build(b, noBedrock(), bc.tier)
				diagClient, plainClient := newStormClient(wd, true), newStormClient(wd, false)
				// Warm both: the role assumed and cached (a different
				// model, so the diagnosis cache does not answer).
				_ = runOp(context.Background(), diagClient, "Converse", "amazon.nova-micro-v1:0")
				_ = runOp(context.Background(), plainClient, "Converse", "amazon.nova-micro-v1:0")
				for _, svc := range []string{"sts", "iam", "bedrock", "bedrock-runtime"} {
					wd.srv.InjectFault(svc, "*", faultLatency(rtt))
				}
				start := time.Now()
				_ = runOp(context.Background(), plainClient, "InvokeModel", bc.model)
				plain := time.Since(start)
				before := diagnosticCalls(wd)
				b.StartTimer()
				start = time.Now()
				_ = runOp(context.Background(), diagClient, "InvokeModel", bc.model)
				withDiag := time.Since(start)
				b.StopTimer()
				added += withDiag - plain
				calls += diagnosticCalls(wd) - before
				n++
				b.StartTimer()
			}
			b.ReportMetric(float64(added)/float64(n)/float64(rtt), "round-trips")
			b.ReportMetric(float64(calls)/float64(n), "calls")
		})
	}
}
