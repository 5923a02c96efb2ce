package diagnose

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestMemoryCacheLease(t *testing.T) {
	now := time.Unix(1000, 0)
	c := newReportCache(4, time.Minute)
	c.now = func() time.Time { return now }
	ctx := context.Background()
	var _ Cache = NewMemoryCache(0)

	if won, err := c.Claim(ctx, "k", time.Second); !won || err != nil {
		t.Fatalf("first claim = %v, %v", won, err)
	}
	if won, _ := c.Claim(ctx, "k", time.Second); won {
		t.Errorf("a live lease was claimed twice")
	}
	if won, _ := c.Claim(ctx, "other", time.Second); !won {
		t.Errorf("leases are per key")
	}
	// The holder dies: its lease ends on its own.
	now = now.Add(time.Second)
	if won, _ := c.Claim(ctx, "k", time.Second); !won {
		t.Errorf("an expired lease still holds the key")
	}
	r := &Report{SchemaVersion: SchemaVersion, Layer: LayerRolePermissions}
	if err := c.Publish(ctx, "k", r, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if got, ok, err := c.Get(ctx, "k"); !ok || err != nil || got != r {
		t.Errorf("Get after Publish = %v %v %v", got, ok, err)
	}
	if won, _ := c.Claim(ctx, "k", time.Second); !won {
		t.Errorf("Publish did not end the lease")
	}
	now = now.Add(11 * time.Second)
	if _, ok, _ := c.Get(ctx, "k"); ok {
		t.Errorf("Publish's TTL not applied")
	}
	done, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := c.Get(done, "k"); err == nil {
		t.Errorf("Get on a done context did not fail")
	}
	if len(c.leases) > 2 {
		t.Errorf("expired leases pile up: %v", c.leases)
	}
}

func TestStoreKeyHidesIdentities(t *testing.T) {
	key := strings.Join([]string{"arn:aws:sts::222222222222:assumed-role/R/s", "arn:aws:iam::222222222222:role/R", "bedrock:InvokeModel"}, "\x00")
	k := storeKey(key)
	if len(k) != 64 || strings.Contains(k, "2222") || strings.Contains(k, "arn") {
		t.Errorf("store key %q", k)
	}
	if storeKey(key) != k || storeKey(key+"x") == k {
		t.Errorf("store key not a function of the key")
	}
}

func TestFromStoreRejects(t *testing.T) {
	seed := &Report{Principal: "arn:aws:sts::222222222222:assumed-role/R/s", RoleARN: "arn:aws:iam::222222222222:role/R", Action: "bedrock:InvokeModel"}
	good := func() *Report {
		return &Report{SchemaVersion: SchemaVersion, Layer: LayerRolePermissions, Candidates: []Layer{LayerOrgPolicy},
			Checks: []Check{{Name: "role-permissions.simulate", Layer: LayerRolePermissions, Status: StatusFail}}}
	}
	tests := map[string]func(r *Report){
		"foreign schema version": func(r *Report) { r.SchemaVersion = SchemaVersion + 1 },
		"no schema version":      func(r *Report) { r.SchemaVersion = 0 },
		"unknown layer":          func(r *Report) { r.Layer = "everything-is-fine" },
		"empty layer":            func(r *Report) { r.Layer = "" },
		"unknown candidate":      func(r *Report) { r.Candidates = []Layer{"x"} },
		"unknown check layer":    func(r *Report) { r.Checks[0].Layer = "x" },
		"unknown check status":   func(r *Report) { r.Checks[0].Status = "maybe" },
	}
	for name, poison := range tests {
		t.Run(name, func(t *testing.T) {
			r := good()
			poison(r)
			if fromStore(r, seed, false) != nil {
				t.Errorf("accepted")
			}
		})
	}
	if fromStore(nil, seed, false) != nil || fromStore(good(), seed, false) == nil {
		t.Errorf("nil accepted or a good report refused")
	}
	r := good()
	r.Checks = nil
	if got := fromStore(r, seed, false); got == nil || got.Checks == nil {
		t.Errorf("null checks not normalized: %+v", got)
	}
}

func TestForStoreRedacts(t *testing.T) {
	r := &Report{SchemaVersion: SchemaVersion, Layer: LayerRolePermissions,
		Summary:   "no identity-based policy of arn:aws:sts::222222222222:assumed-role/BedrockAccess/s (account 222222222222) allows bedrock:InvokeModel",
		Principal: "arn:aws:sts::222222222222:assumed-role/BedrockAccess/s", RoleARN: "arn:aws:iam::222222222222:role/BedrockAccess",
		SourceAccount: "111111111111", TargetAccount: "222222222222", Action: "bedrock:InvokeModel",
		Resource: "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0", ModelID: "anthropic.claude-3-haiku-20240307-v1:0",
		Checks: []Check{{Name: "role-permissions.simulate", Layer: LayerRolePermissions, Status: StatusFail, Detail: "arn:aws:iam::222222222222:role/BedrockAccess's policies do not allow it"}}}
	plain, ok := forStore(r, false)
	if !ok || plain != r {
		t.Fatalf("without Redact the report is stored as it is")
	}
	stored, ok := forStore(r, true)
	if !ok {
		t.Fatal("refused")
	}
	b, _ := json.Marshal(stored)
	for _, s := range []string{"111111111111", "222222222222", "BedrockAccess"} {
		if strings.Contains(string(b), s) {
			t.Errorf("stored report holds %s in clear: %s", s, b)
		}
	}
	if r.RoleARN != "arn:aws:iam::222222222222:role/BedrockAccess" {
		t.Errorf("forStore changed the caller's report")
	}
	if stored.Layer != LayerRolePermissions || stored.ModelID != r.ModelID {
		t.Errorf("redaction lost what carries no identity: %+v", stored)
	}
	// The reader puts back what its own denial says.
	seed := &Report{Principal: r.Principal, RoleARN: r.RoleARN, TargetAccount: r.TargetAccount, Action: r.Action, Resource: r.Resource}
	back := fromStore(stored, seed, true)
	if back == nil || back.Principal != r.Principal || back.RoleARN != r.RoleARN || back.TargetAccount != r.TargetAccount {
		t.Errorf("restored = %+v", back)
	}
}

func TestLooksSecret(t *testing.T) {
	secrets := []string{
		"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		"IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQDExampleSessionToken0123456789",
		"ABSKQmVkcm9ja0FQSUtleS1leGFtcGxlOmV4YW1wbGU=",
	}
	for _, s := range secrets {
		if !looksSecret([]byte(`{"summary":"` + s + `"}`)) {
			t.Errorf("%s not seen as a secret", s)
		}
		r := &Report{SchemaVersion: SchemaVersion, Layer: LayerUnknown, Checks: []Check{{Name: "x", Layer: LayerUnknown, Status: StatusUnknown, Detail: "token " + s}}}
		if _, ok := forStore(r, false); ok {
			t.Errorf("a report holding %s would be stored", s)
		}
	}
	// No real report looks like one: every golden report of the corpus.
	files, _ := filepath.Glob("testdata/messages/golden/*.json")
	if len(files) == 0 {
		t.Skip("no golden reports")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if looksSecret(b) {
			t.Errorf("%s looks like it holds a secret", f)
		}
	}
}

func TestJitterBounded(t *testing.T) {
	d := &Diagnoser{opts: Options{Budget: 200 * time.Millisecond, Jitter: time.Hour}.WithDefaults()}
	start := time.Now()
	d.jitter(context.Background())
	if took := time.Since(start); took > 100*time.Millisecond+time.Second {
		t.Errorf("jitter of an hour with a 200 ms budget waited %s", took)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	d.opts.Budget = time.Hour
	start = time.Now()
	d.jitter(ctx)
	if time.Since(start) > time.Second {
		t.Errorf("jitter outlived its context")
	}
}
