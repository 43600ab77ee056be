package postgres

import (
	"context"
	"testing"

	"github.com/inps/libretto/eventstore"
	"github.com/inps/libretto/eventstore/storetest"
)

func TestRecentCursors(t *testing.T) {
	t.Run("a store answers the cursors of its own appends as PostgreSQL does", func(t *testing.T) {
		ctx := context.Background()
		s, pool := newInternalStore(t)
		other := New(pool) // remembers nothing: asks PostgreSQL
		stored, err := s.Append(ctx, eventstore.StreamAppend{Stream: "a", Expected: eventstore.NoStream, Events: storetest.Events("Happened", 3)},
			eventstore.StreamAppend{Stream: "b", Expected: eventstore.NoStream, Events: storetest.Events("Happened", 2)})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range stored {
			if _, ok := s.recent.cursorOf(e.Position); !ok {
				t.Errorf("position %d is not remembered", e.Position)
			}
			mine, err := s.CursorOf(ctx, e.Position)
			if err != nil {
				t.Fatal(err)
			}
			theirs, err := other.CursorOf(ctx, e.Position)
			if err != nil {
				t.Fatal(err)
			}
			if mine != theirs || mine != e.Cursor {
				t.Errorf("position %d: remembered %v, PostgreSQL %v, appended %v", e.Position, mine, theirs, e.Cursor)
			}
		}
	})
	t.Run("beyond its size it forgets the oldest", func(t *testing.T) {
		var r recent
		events := make([]*eventstore.Event, recentEvents+10)
		for i := range events {
			events[i] = &eventstore.Event{Position: int64(i + 1), Cursor: eventstore.Cursor{Major: uint64(1000 + i), Minor: uint64(i + 1)}}
		}
		r.add(events[:100])
		r.add(events[100:])
		if len(r.xid) != recentEvents {
			t.Errorf("%d remembered, want %d", len(r.xid), recentEvents)
		}
		if _, ok := r.cursorOf(10); ok {
			t.Errorf("the 10th of %d is still remembered", len(events))
		}
		if c, ok := r.cursorOf(11); !ok || c.Major != 1010 {
			t.Errorf("the 11th: %v %v", c, ok)
		}
		if c, ok := r.cursorOf(int64(len(events))); !ok || c.Major != uint64(1000+len(events)-1) {
			t.Errorf("the last: %v %v", c, ok)
		}
	})
}
