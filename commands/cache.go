package commands

import "sync"

// defaultCacheEntries bounds the folded aggregates kept in memory.
const defaultCacheEntries = 4096

// stateCache keeps folded aggregates (booklets, workers, claims) by stream
// with the version they were folded to, so that deciding on a long stream
// reads only the events after that version. A command checks an entry out
// (take) and gives it back (put) when done: the one goroutine holding an
// aggregate mutates it alone, and a concurrent command on the same stream
// simply folds its own copy from the store. The cache is never trusted for
// correctness: every decision is appended with the expected version it was
// folded to.
type stateCache struct {
	mu      sync.Mutex
	max     int
	entries map[string]any // stream → *domain.Booklet, *domain.Worker or *domain.Claim
}

// versioned is what every cached aggregate answers.
type versioned interface{ Version() int64 }

func newStateCache(max int) *stateCache {
	return &stateCache{max: max, entries: map[string]any{}}
}

// take removes and returns the entry of stream, if any.
func (c *stateCache) take(stream string) (any, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.entries[stream]
	if ok {
		delete(c.entries, stream)
	}
	return v, ok
}

// put stores state unless a newer one is already there; it evicts an
// arbitrary entry when full.
func (c *stateCache) put(stream string, state versioned) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.entries[stream]; ok && old.(versioned).Version() >= state.Version() {
		return
	}
	if _, ok := c.entries[stream]; !ok && len(c.entries) >= c.max {
		for k := range c.entries {
			delete(c.entries, k)
			break
		}
	}
	c.entries[stream] = state
}
