// Package redis shares bedrockdoctor's diagnoses across a fleet through
// Redis or Valkey: a [diagnose.Cache] on a go-redis client.
//
// When a role's policy changes under a fleet, every process sees the same
// denial within seconds. With this cache, one process claims the denial's
// key and diagnoses it while the others wait for its report, and every
// process reuses that report for Options.CacheTTL: the diagnostic calls of
// one denial no longer grow with the fleet.
//
//	rdb := goredis.NewClient(&goredis.Options{Addr: "cache:6379", ContextTimeoutEnabled: true})
//	c := client.NewFromConfig(cfg, client.WithRole(roleARN),
//		client.WithDiagnosis(func(o *diagnose.Options) { o.Cache = redis.New(rdb) }))
//
// # What is stored
//
// Two keys per denial, under a namespace (Options.Prefix) and a hash tag so
// that Redis Cluster keeps them in one slot: PREFIX:{DIGEST}:report, the
// report as its versioned JSON (diagnose.Report, SchemaVersion), with the
// TTL the Diagnoser gives; and PREFIX:{DIGEST}:lease, the claim of the
// process diagnosing, which expires on its own if that process dies.
// DIGEST is the Diagnoser's SHA-256 of what the denial is about: no ARN or
// account id is in a key, and with diagnose.Options.Redact none is in a
// report either. A report never holds a secret.
//
// # Failures
//
// Every call honours its context's deadline (the Diagnoser gives each a
// tenth of its budget) even when the client's own timeouts are longer. An
// entry that is not a report (garbage, an oversized value, another
// SchemaVersion) reads as a miss and is overwritten by the next report. A
// store that is down, slow or full makes the Diagnoser diagnose locally,
// as it does without a store.
//
// # Why go-redis
//
// github.com/redis/go-redis/v9 is the client most Go services that run
// Redis or Valkey already hold (the same client speaks to both, and to
// Cluster, Sentinel and Ring through goredis.UniversalClient), so the
// adapter takes the app's client rather than opening connections of its
// own, and brings two small dependencies. valkey-go is faster under heavy
// pipelining, which a cache read once per denial does not need, and would
// make most apps run a second client.
package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
)

// Options configure a Cache.
type Options struct {
	// Prefix namespaces the keys; default "bedrockdoctor".
	Prefix string
	// MaxReportBytes caps a report's JSON: a larger one is neither
	// written nor read; default 256 KiB.
	MaxReportBytes int
}

// Defaults for Options.
const (
	DefaultPrefix         = "bedrockdoctor"
	DefaultMaxReportBytes = 256 << 10
)

// Cache is a diagnose.Cache on Redis or Valkey. It is safe for concurrent
// use; build one per client and share it across the process.
type Cache struct {
	rdb  goredis.UniversalClient
	opts Options
}

var _ diagnose.Cache = (*Cache)(nil)

// New returns a Cache on rdb. It does no I/O. rdb stays the caller's to
// configure and close; ContextTimeoutEnabled lets it free its connection as
// soon as a deadline passes (the Cache returns at the deadline either way).
func New(rdb goredis.UniversalClient, optFns ...func(*Options)) *Cache {
	var o Options
	for _, fn := range optFns {
		fn(&o)
	}
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if o.MaxReportBytes <= 0 {
		o.MaxReportBytes = DefaultMaxReportBytes
	}
	return &Cache{rdb: rdb, opts: o}
}

func (c *Cache) reportKey(key string) string { return c.opts.Prefix + ":{" + key + "}:report" }
func (c *Cache) leaseKey(key string) string  { return c.opts.Prefix + ":{" + key + "}:lease" }

// Get implements diagnose.Cache.
func (c *Cache) Get(ctx context.Context, key string) (*diagnose.Report, bool, error) {
	var b []byte
	err := within(ctx, func() error {
		var err error
		b, err = c.rdb.Get(ctx, c.reportKey(key)).Bytes()
		return err
	})
	if errors.Is(err, goredis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("redis cache: get: %w", err)
	}
	if len(b) > c.opts.MaxReportBytes {
		return nil, false, nil
	}
	var r diagnose.Report
	if err := json.Unmarshal(b, &r); err != nil || r.SchemaVersion != diagnose.SchemaVersion {
		// Garbage or another version's entry: a miss; the next report
		// overwrites it.
		return nil, false, nil
	}
	return &r, true, nil
}

// Claim implements diagnose.Cache: SET NX with the lease as its expiry.
func (c *Cache) Claim(ctx context.Context, key string, lease time.Duration) (bool, error) {
	var won bool
	err := within(ctx, func() error {
		var err error
		won, err = c.rdb.SetNX(ctx, c.leaseKey(key), token(), max(lease, time.Millisecond)).Result()
		return err
	})
	if err != nil {
		return false, fmt.Errorf("redis cache: claim: %w", err)
	}
	return won, nil
}

// Publish implements diagnose.Cache: the report and the end of the lease
// in one transaction.
func (c *Cache) Publish(ctx context.Context, key string, r *diagnose.Report, ttl time.Duration) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("redis cache: publish: %w", err)
	}
	if len(b) > c.opts.MaxReportBytes {
		return fmt.Errorf("redis cache: publish: report of %d bytes over the %d-byte limit", len(b), c.opts.MaxReportBytes)
	}
	err = within(ctx, func() error {
		_, err := c.rdb.TxPipelined(ctx, func(p goredis.Pipeliner) error {
			p.Set(ctx, c.reportKey(key), b, max(ttl, time.Second))
			p.Del(ctx, c.leaseKey(key))
			return nil
		})
		return err
	})
	if err != nil {
		return fmt.Errorf("redis cache: publish: %w", err)
	}
	return nil
}

// within runs fn and returns its error, or ctx's as soon as ctx ends: a
// client whose own timeouts outlast the deadline (ContextTimeoutEnabled
// unset) finishes fn in the background, bounded by those timeouts.
func within(ctx context.Context, fn func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if _, ok := ctx.Deadline(); !ok {
		return fn()
	}
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// token names a claim's holder, for whoever reads the store.
func token() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
