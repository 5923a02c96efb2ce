package diagnose

import (
	"context"
	"testing"
	"time"
)

func TestReportCache(t *testing.T) {
	now := time.Unix(1000, 0)
	c := newReportCache(2, time.Minute)
	c.now = func() time.Time { return now }
	a, b, d := &Report{Summary: "a"}, &Report{Summary: "b"}, &Report{Summary: "d"}
	c.put("a", a)
	c.put("b", b)
	if r, ok := c.get("a"); !ok || r != a {
		t.Fatalf("get a = %v %v", r, ok)
	}
	c.put("d", d) // evicts b, the least recently used
	if _, ok := c.get("b"); ok {
		t.Errorf("b not evicted")
	}
	if c.len() != 2 {
		t.Errorf("len = %d", c.len())
	}
	now = now.Add(2 * time.Minute)
	if _, ok := c.get("a"); ok {
		t.Errorf("a not expired")
	}
}

func TestLimiter(t *testing.T) {
	l := &limiter{rate: 1000, burst: 2, tokens: 2, last: time.Now()}
	ctx := context.Background()
	start := time.Now()
	for range 4 {
		if err := l.wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// Two tokens of burst, then two more at 1 ms each: a few ms, never an
	// unbounded wait. The bound is loose on purpose (shared machines).
	if time.Since(start) > 2*time.Second {
		t.Errorf("limiter waited %s", time.Since(start))
	}
	slow := &limiter{rate: 0.001, burst: 1, tokens: 0, last: time.Now()}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := slow.wait(cctx); err == nil {
		t.Errorf("wait on a done context returned nil")
	}
	first, second := sharedLimiter(5), sharedLimiter(5)
	if sharedLimiter(-1) != nil || first != second {
		t.Errorf("sharedLimiter identity wrong")
	}
}
