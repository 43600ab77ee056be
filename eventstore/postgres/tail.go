package postgres

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/inps/libretto/eventstore"
)

// tailEvents bounds the memo of the log's tail: about 2 MiB of envelopes
// plus their data.
const tailEvents = 8192

// tail lets the subscriptions of one Store share their reads. Every
// projector holds a subscription of its own, and without it each committed
// batch would be read (horizon statement and ReadAll) once per subscription.
//
// Sharing is safe because a non-empty ReadAll after cursor c is final: it
// reads in (xid, position) order below the horizon, under which no event can
// ever appear again, so the events it returns are, for ever, the events that
// directly follow c and each other. Any subscription positioned at c or at
// one of those events may take the rest as its own answer. The tail keeps
//
//   - a memo of the last tailEvents events read, each keyed by the cursor it
//     directly follows, so that a subscription finds its next events by
//     walking from its cursor; and
//   - the latest read at each cursor, so that subscriptions woken by the same
//     notification at the same cursor issue one read and share it.
//
// Each subscription gets a slice of its own, but the events' Data and Hash
// bytes are shared between subscriptions: consumers read them, never write
// them (projections decode Data; none writes to it).
//
// An empty answer is never memoized: it holds only until the next
// notification. A subscription may reuse one only under the same wake
// channel it would wait on, as if it had read itself (see begin).
type tail struct {
	store *Store

	mu    sync.Mutex
	ring  []tailEntry                  // grows to tailEvents, then wraps
	next  uint64                       // how many events were ever remembered
	after map[eventstore.Cursor]uint64 // predecessor cursor → index of its event in ring (mod tailEvents)
	reads map[eventstore.Cursor]*tailRead
	seq   uint64 // of the last read started
	// paceUntil is when the next read may start: pace after the start of
	// the last read that reached the head of the log (see pace).
	paceUntil time.Time

	queries atomic.Int64 // reads issued, for tests
}

type tailEntry struct {
	after eventstore.Cursor // the cursor event directly follows
	event eventstore.Event
}

// tailRead is one ReadAll (and, when it finds nothing, the pending check) at
// a cursor, shared by every subscription that joins it.
type tailRead struct {
	seq  uint64
	wake <-chan struct{} // taken before the read started
	done chan struct{}   // closed when the fields below are set

	events []eventstore.Event // never handed out: each caller gets a copy
	held   bool
	err    error
}

func newTail(s *Store) *tail {
	return &tail{store: s, after: map[eventstore.Cursor]uint64{}, reads: map[eventstore.Cursor]*tailRead{}}
}

// begin is a subscription's first step at cursor c: it returns up to max
// memoized events after c; else a read to wait for (lead false) or to run
// (lead true, by calling run). The read's wake channel is the one to wait on
// if it finds nothing: it is taken before the read starts, so a notification
// arriving during the read is never missed.
//
// A read started by another subscription is joined only if it was started
// under the current wake channel — no notification has come since, so the
// read sees all that one of our own would have been told about — and is newer
// than seen, the last read the subscription used: after a timer ran out
// (held-back events, or the fallback poll) it must read anew.
func (t *tail) begin(c eventstore.Cursor, max int, seen uint64) (events []eventstore.Event, r *tailRead, lead bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	wake := t.store.wakeChan()
	if events := t.memo(c, max); len(events) > 0 {
		return events, nil, false
	}
	if r := t.reads[c]; r != nil && r.wake == wake && r.seq > seen {
		return nil, r, false
	}
	for k, r := range t.reads {
		if r.wake != wake {
			delete(t.reads, k) // a notification came since: useless to anyone
		}
	}
	t.seq++
	r = &tailRead{seq: t.seq, wake: wake, done: make(chan struct{})}
	t.reads[c] = r
	return nil, r, true
}

// run performs r at cursor c with the leader's ctx and limit and publishes
// its result. If it fails, those who joined it read again themselves.
//
// A read waits first until the store's pace has passed since the last read
// that reached the head: a live subscription then reads what a few
// notifications announced at once instead of one group commit at a time
// (see WithReadPace). Subscriptions that join the read wait with it. A read
// that fills its limit (catching up) sets no pace for the next.
func (t *tail) run(ctx context.Context, r *tailRead, c eventstore.Cursor, limit int) {
	t.mu.Lock()
	wait := time.Until(t.paceUntil)
	t.mu.Unlock()
	if wait > 0 {
		timer := time.NewTimer(wait)
		select {
		case <-timer.C:
		case <-ctx.Done():
		}
		timer.Stop()
	}
	started := time.Now()
	t.queries.Add(1)
	events, err := t.store.ReadAll(ctx, c, limit)
	var held bool
	if err == nil && len(events) == 0 {
		held, err = t.store.pending(ctx, c)
	}
	for i := range events {
		// Shared by every copy handed out: an append must not reach into
		// spare capacity another subscriber's event also sees.
		events[i].Data = slices.Clip(events[i].Data)
		events[i].Hash = slices.Clip(events[i].Hash)
	}
	t.mu.Lock()
	if err == nil && len(events) < limit {
		t.paceUntil = started.Add(t.store.pace)
	}
	r.events, r.held, r.err = events, held, err
	if err == nil && len(events) > 0 {
		t.remember(c, events)
	}
	if (err != nil || len(events) > 0) && t.reads[c] == r {
		delete(t.reads, c) // the memo answers from now on
	}
	t.mu.Unlock()
	close(r.done)
}

// memo returns up to max memoized events directly after c, as a new slice.
func (t *tail) memo(c eventstore.Cursor, max int) []eventstore.Event {
	var out []eventstore.Event
	for len(out) < max {
		i, ok := t.after[c]
		if !ok {
			break
		}
		e := t.ring[i%tailEvents].event
		out = append(out, e)
		c = e.Cursor
	}
	return out
}

// remember memoizes events, the final answer of a read after c, evicting
// the oldest events beyond tailEvents.
func (t *tail) remember(c eventstore.Cursor, events []eventstore.Event) {
	for _, e := range events {
		if _, ok := t.after[c]; !ok {
			entry := tailEntry{after: c, event: e}
			if len(t.ring) < tailEvents {
				t.ring = append(t.ring, entry)
			} else {
				slot := &t.ring[t.next%tailEvents]
				if t.after[slot.after] == t.next-tailEvents {
					delete(t.after, slot.after)
				}
				*slot = entry
			}
			t.after[c] = t.next
			t.next++
		}
		c = e.Cursor
	}
}

// result is what a subscription takes from a finished read: at most max of
// its events, in a slice of its own.
func (r *tailRead) result(max int) []eventstore.Event {
	return slices.Clone(r.events[:min(len(r.events), max)])
}
