package diagnose

import (
	"container/list"
	"sync"
	"time"
)

// reportCache is a bounded LRU of finished diagnoses with a time to live.
type reportCache struct {
	mu    sync.Mutex
	ttl   time.Duration
	size  int
	ll    *list.List
	items map[string]*list.Element
	now   func() time.Time
}

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

func (c *reportCache) put(key string, r *Report) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		e := el.Value.(*cacheEntry)
		e.report, e.expires = r, c.now().Add(c.ttl)
		c.ll.MoveToFront(el)
		return
	}
	c.items[key] = c.ll.PushFront(&cacheEntry{key: key, report: r, expires: c.now().Add(c.ttl)})
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
