package diagnose

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math/rand/v2"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
)

// Cache is where finished reports are shared beyond one Diagnoser: a store
// every process of a fleet reaches (the module
// github.com/bedrockdoctor/bedrockdoctor/cache/redis is one), so that a
// denial seen by the whole fleet at once is diagnosed by one process while
// the others wait for its report, and reused by all of them for CacheTTL.
// NewMemoryCache is the in-process implementation.
//
// Keys are opaque: a fixed-length hex digest of what the diagnosis is
// about (principal, role, action, resource, operation, model, region and
// the text's reading), never an ARN or an account id in clear. Every method
// is called with a context whose deadline is short (Options.CacheTimeout:
// by default Budget/10, at most 250 ms); an error, a timeout or garbage is
// never worse than no store: the Diagnoser then diagnoses locally within
// its Budget, as without one.
type Cache interface {
	// Get returns the report published under key; ok is false when there
	// is none or the entry cannot be read as a report (the Diagnoser also
	// ignores a report of another SchemaVersion or with unknown layers).
	Get(ctx context.Context, key string) (r *Report, ok bool, err error)
	// Claim takes key's lease for one diagnosis: won is true when the
	// caller holds it and should diagnose, false while another holder's
	// lease runs. A lease ends with Publish or after lease, whichever
	// comes first, so a process that dies while diagnosing holds the key
	// for lease at most.
	Claim(ctx context.Context, key string, lease time.Duration) (won bool, err error)
	// Publish stores r under key for ttl and ends key's lease. r is the
	// report as JSON stores it (SchemaVersion set); it holds no secret,
	// and with Options.Redact no account id or ARN.
	Publish(ctx context.Context, key string, r *Report, ttl time.Duration) error
}

// NewMemoryCache returns the in-process Cache: an LRU of at most size
// reports with per-entry TTLs and in-process leases. Every Diagnoser keeps
// one of its own (CacheSize); pass one to several clients' Options.Cache to
// share reports between the clients of one process.
func NewMemoryCache(size int) Cache {
	if size <= 0 {
		size = DefaultCacheSize
	}
	return newReportCache(size, DefaultCacheTTL)
}

// storeKeyPrefix versions the keys: a change of what a key means changes it.
const storeKeyPrefix = "bedrockdoctor/diagnose/v1\x00"

// storeKey is the Cache key for a Diagnoser's key: the SHA-256, hex, of the
// key with its principal (the first field) read as the fleet shares it.
func storeKey(key string) string {
	if p, rest, ok := strings.Cut(key, "\x00"); ok {
		key = fleetPrincipal(p) + "\x00" + rest
	}
	sum := sha256.Sum256([]byte(storeKeyPrefix + key))
	return hex.EncodeToString(sum[:])
}

// fleetPrincipal is the principal without its session name: every process
// of a fleet assumes the role under a session name of its own (the SDK's
// default is a timestamp), and the role's verdict is the same for all.
func fleetPrincipal(p string) string {
	a, err := arn.Parse(p)
	if err != nil || a.Service != "sts" || !strings.HasPrefix(a.Resource, "assumed-role/") {
		return p
	}
	parts := strings.SplitN(a.Resource, "/", 3)
	if len(parts) < 3 {
		return p
	}
	a.Resource = parts[0] + "/" + parts[1]
	return a.String()
}

// Waiting for another process's report: the first read after pollFirst,
// then 1.5 times longer each time up to pollMax, each ±20%, so that a
// fleet of waiters does not load the store (500 waiters: a few thousand
// reads a second at first, then 2,500).
const (
	pollFirst = 20 * time.Millisecond
	pollMax   = 200 * time.Millisecond
)

// storeTimeout bounds one Cache call: Options.CacheTimeout, by default a
// tenth of the budget, between 10 ms and 250 ms, so that a slow store
// leaves the local diagnosis most of it.
func (d *Diagnoser) storeTimeout() time.Duration {
	if d.opts.CacheTimeout > 0 {
		return min(d.opts.CacheTimeout, d.opts.Budget/2)
	}
	return min(max(d.opts.Budget/10, 10*time.Millisecond), 250*time.Millisecond)
}

// lease is how long a claim holds a key: half the budget, so that when the
// claimant dies another process still has half a budget to diagnose.
func (d *Diagnoser) lease() time.Duration { return d.opts.Budget / 2 }

// fleetTurn is what the fleet says about one shared inquiry.
type fleetTurn struct {
	d   *Diagnoser
	key string // the Cache key; "" without a usable store
	// report, when set, ends the inquiry: the fleet's report (fromFleet)
	// or, when the budget ran out while another process diagnosed, the
	// text's reading (not cached).
	report    *Report
	fromFleet bool
	claimed   bool // this process diagnoses for the fleet and publishes
}

// joinFleet decides who diagnoses key: with a store, the report another
// process published, or this process when it wins the claim or the store
// fails; without one (or when it fails), this process after a random delay
// of at most Options.Jitter.
func (d *Diagnoser) joinFleet(ctx context.Context, key string, seed *Report) fleetTurn {
	t := fleetTurn{d: d}
	c := d.opts.Cache
	if c == nil {
		d.jitter(ctx)
		return t
	}
	skey := storeKey(key)
	// fleetReport reads the published report, if there is a usable one.
	fleetReport := func() (bool, error) {
		r, ok, err := d.storeGet(ctx, c, skey)
		if err != nil || !ok {
			return false, err
		}
		// A poisoned or foreign entry is ignored: diagnose, and publish
		// over it.
		t.report = fromStore(r, seed, d.opts.Redact)
		t.fromFleet = t.report != nil
		return t.fromFleet, nil
	}
	delay := pollFirst
	var held time.Time // when another holder's lease was first seen
	for {
		if found, err := fleetReport(); err != nil {
			d.storeFailed("get", err)
			d.jitter(ctx)
			return t
		} else if found {
			return t
		}
		// While the holder's lease surely runs, only read.
		if held.IsZero() || time.Since(held) >= d.lease() {
			won, err := d.storeClaim(ctx, c, skey)
			if err != nil {
				d.storeFailed("claim", err)
				d.jitter(ctx)
				return t
			}
			if won {
				// The report may have been published between the read
				// and the claim (publishing ends the lease): read again.
				if found, _ := fleetReport(); found {
					return t
				}
				t.key, t.claimed = skey, true
				return t
			}
			if held.IsZero() {
				held = time.Now()
			}
		}
		// Another process diagnoses: wait for its report, or for its
		// lease to end if it died.
		if !sleep(ctx, delay+time.Duration((rand.Float64()-0.5)*0.4*float64(delay))) {
			t.report = seed
			return t
		}
		delay = min(delay*3/2, pollMax)
	}
}

func (d *Diagnoser) storeGet(ctx context.Context, c Cache, key string) (*Report, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, d.storeTimeout())
	defer cancel()
	return c.Get(ctx, key)
}

func (d *Diagnoser) storeClaim(ctx context.Context, c Cache, key string) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, d.storeTimeout())
	defer cancel()
	return c.Claim(ctx, key, d.lease())
}

func (d *Diagnoser) storeFailed(op string, err error) {
	d.opts.Logger.Warn("bedrockdoctor: diagnosis cache unavailable; diagnosing locally", "op", op, "error", err.Error())
}

// inquiryContext is the budget left for the checks: when this process
// publishes for the fleet, the store's time is kept out of it, so that the
// report is published within Budget.
func (t fleetTurn) inquiryContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if !t.claimed {
		return context.WithCancel(ctx)
	}
	dl, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	return context.WithDeadline(ctx, dl.Add(-t.d.storeTimeout()))
}

// publish gives the fleet this process's report when it claimed the key.
func (t fleetTurn) publish(ctx context.Context, r *Report) {
	if !t.claimed || r == nil {
		return
	}
	stored, ok := forStore(r, t.d.opts.Redact)
	if !ok {
		t.d.opts.Logger.Warn("bedrockdoctor: report not shared: it looks like it holds a secret")
		return
	}
	ctx, cancel := context.WithTimeout(ctx, t.d.storeTimeout())
	defer cancel()
	if err := t.d.opts.Cache.Publish(ctx, t.key, stored, t.d.opts.CacheTTL); err != nil {
		t.d.storeFailed("publish", err)
	}
}

// jitter waits a random time of at most Options.Jitter (and half the
// budget) before a local diagnosis, so that a fleet without a shared store
// spreads its diagnoses rather than bursting.
func (d *Diagnoser) jitter(ctx context.Context) {
	j := min(d.opts.Jitter, d.opts.Budget/2)
	if j <= 0 {
		return
	}
	sleep(ctx, rand.N(j))
}

// sleep waits d or until ctx ends; false when ctx ended.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// forStore returns the copy of r a store keeps: its JSON form, with account
// ids and ARNs masked when redact is set; ok is false when the JSON looks
// like it holds a secret (a report never should), and then nothing is
// stored.
func forStore(r *Report, redact bool) (*Report, bool) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, false
	}
	if looksSecret(b) {
		return nil, false
	}
	if !redact {
		return r, true
	}
	var cp Report
	if err := json.Unmarshal([]byte(Redact(string(b))), &cp); err != nil {
		return nil, false
	}
	return &cp, true
}

// secretPattern matches what AWS secrets look like: a secret access key (40
// characters of base64), a session token (hundreds), a Bedrock API key
// ("ABSK" then base64). Identifiers in reports (ARNs, model ids, request
// ids, policy JSON) are broken by ':', '.', '-', quotes or spaces long
// before 40 characters.
var secretPattern = regexp.MustCompile(`[A-Za-z0-9+/]{40,}|ABSK[A-Za-z0-9+/=]{16,}`)

func looksSecret(b []byte) bool {
	for _, m := range secretPattern.FindAll(b, -1) {
		var upper, lower, digit bool
		for _, c := range m {
			switch {
			case c >= 'A' && c <= 'Z':
				upper = true
			case c >= 'a' && c <= 'z':
				lower = true
			case c >= '0' && c <= '9':
				digit = true
			}
		}
		if upper && lower && digit {
			return true
		}
	}
	return false
}

// fromStore returns the report a store gave, fit for this denial, or nil
// when it is not one this version writes: another SchemaVersion, a layer
// or status it does not know. The report was written by another process,
// whose role session has another name: this process's own session is put
// in its place. With redact, the store holds masked ARNs: the facts of the
// denied request, which this process knows exactly (they make the key),
// are put back.
func fromStore(r, seed *Report, redact bool) *Report {
	if r == nil || r.SchemaVersion != SchemaVersion || !r.Layer.Valid() {
		return nil
	}
	for _, l := range r.Candidates {
		if !l.Valid() {
			return nil
		}
	}
	for _, c := range r.Checks {
		if !c.Layer.Valid() {
			return nil
		}
		switch c.Status {
		case StatusPass, StatusFail, StatusUnknown, StatusSkipped:
		default:
			return nil
		}
	}
	cp := *r
	if !redact && r.Principal != "" && seed.Principal != "" && r.Principal != seed.Principal {
		if b, err := json.Marshal(r); err == nil {
			var own Report
			if json.Unmarshal([]byte(strings.ReplaceAll(string(b), r.Principal, seed.Principal)), &own) == nil {
				cp = own
			}
		}
	}
	if cp.Checks == nil {
		cp.Checks = []Check{}
	}
	if seed.Principal != "" {
		cp.Principal = seed.Principal
	}
	if redact {
		for _, f := range []struct {
			dst *string
			src string
		}{
			{&cp.Principal, seed.Principal}, {&cp.Action, seed.Action}, {&cp.Resource, seed.Resource},
			{&cp.Region, seed.Region}, {&cp.ResourceRegion, seed.ResourceRegion},
			{&cp.SourceAccount, seed.SourceAccount}, {&cp.TargetAccount, seed.TargetAccount},
			{&cp.RoleARN, seed.RoleARN}, {&cp.ModelID, seed.ModelID}, {&cp.Operation, seed.Operation},
		} {
			if f.src != "" {
				*f.dst = f.src
			}
		}
	}
	return &cp
}
