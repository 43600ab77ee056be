package postgres

import (
	"sync"

	"github.com/inps/libretto/eventstore"
)

// recentEvents bounds the cursors of its own appends a Store remembers.
const recentEvents = 8192

// recent remembers the cursors of the events this Store appended last, so
// that CursorOf answers a client reading its own write (?min_position right
// after a command) without asking PostgreSQL. A cursor never changes once
// its transaction committed, so a remembered one is always right.
type recent struct {
	mu   sync.Mutex
	xid  map[int64]uint64 // position → transaction id
	ring []int64          // positions, oldest first once full
	next int
}

// add remembers the cursors of committed events.
func (r *recent) add(events []*eventstore.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.xid == nil {
		r.xid = make(map[int64]uint64, recentEvents)
		r.ring = make([]int64, 0, recentEvents)
	}
	for _, e := range events {
		if len(r.ring) < recentEvents {
			r.ring = append(r.ring, e.Position)
		} else {
			delete(r.xid, r.ring[r.next])
			r.ring[r.next] = e.Position
			r.next = (r.next + 1) % recentEvents
		}
		r.xid[e.Position] = e.Cursor.Major
	}
}

// cursorOf returns the cursor of position if it is remembered.
func (r *recent) cursorOf(position int64) (eventstore.Cursor, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	xid, ok := r.xid[position]
	return eventstore.Cursor{Major: xid, Minor: uint64(position)}, ok
}
