package commands

import (
	"context"
	"sync"
	"time"
)

// defaultCacheEntries bounds the folded aggregates kept in memory.
const defaultCacheEntries = 4096

// cacheWait is how long a command waits for another command of this process
// to give back an aggregate it holds before folding its own copy.
const cacheWait = 250 * time.Millisecond

// stateCache keeps folded aggregates (booklets, workers, claims) by stream
// with the version they were folded to, so that deciding on a long stream
// reads only the events after that version.
//
// A command checks an entry out (take) and gives it back (put) when done: the
// one goroutine holding an aggregate mutates it alone. A second command on
// the same stream waits for it (up to cacheWait), which also serialises the
// commands of this process on a hot stream instead of letting them collide
// in the store; past the wait it folds its own copy from the store. The
// cache is never trusted for correctness: every decision is appended with
// the expected version it was folded to.
type stateCache struct {
	mu      sync.Mutex
	max     int
	entries map[string]any           // stream → *domain.Booklet, *domain.Worker or *domain.Claim
	busy    map[string]chan struct{} // stream → closed when its holder gives it back
}

// versioned is what every cached aggregate answers.
type versioned interface{ Version() int64 }

func newStateCache(max int) *stateCache {
	return &stateCache{max: max, entries: map[string]any{}, busy: map[string]chan struct{}{}}
}

// take checks stream out: it returns the cached aggregate, if any, and a
// token to give back with put. A nil token means the stream stayed busy
// past the wait; the caller folds its own copy.
func (c *stateCache) take(ctx context.Context, stream string) (state any, token chan struct{}) {
	var timeout <-chan time.Time
	for {
		c.mu.Lock()
		held, busy := c.busy[stream]
		if !busy {
			state = c.entries[stream]
			delete(c.entries, stream)
			token = make(chan struct{})
			c.busy[stream] = token
			c.mu.Unlock()
			return state, token
		}
		c.mu.Unlock()
		if timeout == nil {
			t := time.NewTimer(cacheWait)
			defer t.Stop()
			timeout = t.C
		}
		select {
		case <-held:
		case <-timeout:
			return nil, nil
		case <-ctx.Done():
			return nil, nil
		}
	}
}

// put gives state back: it is kept unless a newer one is already there (an
// arbitrary entry is evicted when full), and the stream is free again if
// token is the one take handed out.
func (c *stateCache) put(stream string, state versioned, token chan struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if token != nil && c.busy[stream] == token {
		delete(c.busy, stream)
		close(token)
	}
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
