package api

import (
	"context"
	"sync"
	"time"

	"github.com/inps/libretto/eventstore"
)

// headRefresh is how stale the remembered head of the log may be before a
// wait that looks hopeless reads it again: one store read per interval at
// most, whoever asks.
const headRefresh = 100 * time.Millisecond

// logHead remembers the head of the global log, so that a ?min_position
// wait for a position the log cannot reach within the wait is answered at
// once instead of holding a goroutine (and polling the store) for the
// whole bound: SPEC §8, anonymous callers must not be able to pin the
// server with ?min_position=9999999999.
type logHead struct {
	store eventstore.Store
	now   func() time.Time

	mu     sync.Mutex
	pos    int64
	readAt time.Time
}

// beyond reports whether position n lies more than slack positions past
// the head of the log, which it reads again first when its memory is older
// than headRefresh. It also gives the head it compared with. When the head
// cannot be read it answers false: the wait then decides.
func (h *logHead) beyond(ctx context.Context, n, slack int64) (bool, int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if n-slack <= h.pos {
		return false, h.pos
	}
	if now := h.now(); now.Sub(h.readAt) >= headRefresh {
		head, err := h.store.Head(ctx)
		if err != nil {
			return false, h.pos
		}
		h.pos, h.readAt = max(h.pos, head.Position), now
	}
	return n-slack > h.pos, h.pos
}
