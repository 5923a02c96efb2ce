package diagnose

import (
	"container/list"
	"context"
	"sync"
	"time"
)

// reportCache is a bounded LRU of finished diagnoses with a time to live:
// every Diagnoser's own (get, put with the Diagnoser's CacheTTL), and the
// in-process Cache (NewMemoryCache), whose leases live in the same lock.
type reportCache struct {
	mu     sync.Mutex
	ttl    time.Duration
	size   int
	ll     *list.List
	items  map[string]*list.Element
	leases map[string]time.Time // key → end of its claim
	now    func() time.Time
}

var _ Cache = (*reportCache)(nil)

type cacheEntry struct {
	key     string
	report  *Report
	expires time.Time
}

func newReportCache(size int, ttl time.Duration) *reportCache {
	return &reportCache{ttl: ttl, size: size, ll: list.New(), items: make(map[string]*list.Element), now: time.Now}
}

func (c *reportCache) get(key string) (*Report, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		return nil, false
	}
	e := el.Value.(*cacheEntry)
	if c.now().After(e.expires) {
		c.ll.Remove(el)
		delete(c.items, key)
		return nil, false
	}
	c.ll.MoveToFront(el)
	return e.report, true
}

func (c *reportCache) put(key string, r *Report) { c.putTTL(key, r, c.ttl) }

func (c *reportCache) putTTL(key string, r *Report, ttl time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.leases, key)
	if el, ok := c.items[key]; ok {
		e := el.Value.(*cacheEntry)
		e.report, e.expires = r, c.now().Add(ttl)
		c.ll.MoveToFront(el)
		return
	}
	c.items[key] = c.ll.PushFront(&cacheEntry{key: key, report: r, expires: c.now().Add(ttl)})
	for c.ll.Len() > c.size {
		last := c.ll.Back()
		c.ll.Remove(last)
		delete(c.items, last.Value.(*cacheEntry).key)
	}
}

func (c *reportCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ll.Len()
}

// Get implements Cache.
func (c *reportCache) Get(ctx context.Context, key string) (*Report, bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	r, ok := c.get(key)
	return r, ok, nil
}

// Claim implements Cache.
func (c *reportCache) Claim(ctx context.Context, key string, lease time.Duration) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if end, ok := c.leases[key]; ok && now.Before(end) {
		return false, nil
	}
	if c.leases == nil {
		c.leases = map[string]time.Time{}
	}
	for k, end := range c.leases {
		// Expired leases go, so a map of claims stays as small as the
		// diagnoses in flight.
		if !now.Before(end) {
			delete(c.leases, k)
		}
	}
	c.leases[key] = now.Add(lease)
	return true, nil
}

// Publish implements Cache.
func (c *reportCache) Publish(ctx context.Context, key string, r *Report, ttl time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.putTTL(key, r, ttl)
	return nil
}
