package postgres

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/inps/libretto/eventstore"
)

// consecutive returns n events with consecutive cursors after c, as one read would.
func consecutive(c eventstore.Cursor, n int) []eventstore.Event {
	out := make([]eventstore.Event, n)
	for i := range out {
		c = eventstore.Cursor{Major: c.Major + 1, Minor: c.Minor + 1}
		out[i] = eventstore.Event{Position: int64(c.Minor), Cursor: c}
	}
	return out
}

func positions(events []eventstore.Event) []int64 {
	out := make([]int64, len(events))
	for i, e := range events {
		out[i] = e.Position
	}
	return out
}

func TestTailMemo(t *testing.T) {
	t.Run("reads joined end to end answer across their boundary", func(t *testing.T) {
		tl := newTail(nil)
		first := consecutive(eventstore.Cursor{}, 3)
		second := consecutive(first[2].Cursor, 3)
		tl.remember(eventstore.Cursor{}, first)
		tl.remember(first[2].Cursor, second)
		got := tl.memo(first[0].Cursor, 10)
		if want := []int64{2, 3, 4, 5, 6}; !slices.Equal(positions(got), want) {
			t.Errorf("memo after 1 = %v, want %v", positions(got), want)
		}
		if got := tl.memo(first[0].Cursor, 2); !slices.Equal(positions(got), []int64{2, 3}) {
			t.Errorf("memo after 1, max 2 = %v, want [2 3]", positions(got))
		}
		if got := tl.memo(second[2].Cursor, 10); len(got) != 0 {
			t.Errorf("memo after the last event = %v, want nothing", positions(got))
		}
	})
	t.Run("a read overlapping what is remembered adds only what is new", func(t *testing.T) {
		tl := newTail(nil)
		all := consecutive(eventstore.Cursor{}, 6)
		tl.remember(eventstore.Cursor{}, all[:4])
		tl.remember(all[1].Cursor, all[2:])
		if tl.next != 6 {
			t.Errorf("%d events remembered, want 6", tl.next)
		}
		if got := tl.memo(eventstore.Cursor{}, 10); !slices.Equal(positions(got), positions(all)) {
			t.Errorf("memo = %v, want %v", positions(got), positions(all))
		}
	})
	t.Run("beyond its size it forgets the oldest events", func(t *testing.T) {
		tl := newTail(nil)
		all := consecutive(eventstore.Cursor{}, tailEvents+100)
		for i := 0; i < len(all); i += 1000 {
			from := eventstore.Cursor{}
			if i > 0 {
				from = all[i-1].Cursor
			}
			tl.remember(from, all[i:min(i+1000, len(all))])
		}
		if len(tl.after) != tailEvents || len(tl.ring) != tailEvents {
			t.Fatalf("%d keys over %d entries, want %d", len(tl.after), len(tl.ring), tailEvents)
		}
		if got := tl.memo(eventstore.Cursor{}, 10); len(got) != 0 {
			t.Errorf("the first event is still remembered")
		}
		if got := tl.memo(all[98].Cursor, 10); len(got) != 0 {
			t.Errorf("the 100th event is still remembered")
		}
		got := tl.memo(all[99].Cursor, len(all))
		if len(got) != tailEvents || got[0].Position != 101 || got[len(got)-1].Position != int64(len(all)) {
			t.Errorf("memo after 100 = %d events from %d, want the last %d", len(got), got[0].Position, tailEvents)
		}
	})
	t.Run("each caller gets a slice of its own", func(t *testing.T) {
		tl := newTail(nil)
		tl.remember(eventstore.Cursor{}, consecutive(eventstore.Cursor{}, 2))
		got := tl.memo(eventstore.Cursor{}, 2)
		got[0].Position = 99
		if again := tl.memo(eventstore.Cursor{}, 2); again[0].Position != 1 {
			t.Errorf("a caller's change reached the memo: %v", positions(again))
		}
		r := &tailRead{events: consecutive(eventstore.Cursor{}, 2)}
		mine := r.result(5)
		mine[1].Position = 99
		if r.events[1].Position != 2 {
			t.Errorf("a caller's change reached the shared read")
		}
	})
}

// TestJoinerReadsAgainWhenTheSharedReadFails: a subscription waiting on
// another's read must not inherit its failure (the other's context may
// simply have ended); it reads for itself.
func TestJoinerReadsAgainWhenTheSharedReadFails(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, _ := newInternalStore(t)
	appended, err := s.Append(ctx, eventstore.StreamAppend{Stream: "s", Events: []eventstore.EventData{{
		ID: [16]byte{1}, Type: "E", SchemaVersion: 1, Data: []byte(`{}`), OccurredAt: time.Now()}}})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := s.Subscribe(ctx, eventstore.Cursor{})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	time.Sleep(100 * time.Millisecond) // the listener's first broadcast is behind us

	tl := sub.(*subscription).tail
	_, failing, lead := tl.begin(eventstore.Cursor{}, 10, 0)
	if !lead {
		t.Fatal("the first read at the cursor is not led")
	}
	type result struct {
		events []eventstore.Event
		err    error
	}
	done := make(chan result, 1)
	go func() {
		events, err := sub.Next(ctx, 10)
		done <- result{events, err}
	}()
	select {
	case r := <-done:
		t.Fatalf("Next returned %d events (%v) without waiting for the read in flight", len(r.events), r.err)
	case <-time.After(200 * time.Millisecond):
	}
	tl.mu.Lock()
	failing.err = context.Canceled
	delete(tl.reads, eventstore.Cursor{})
	tl.mu.Unlock()
	close(failing.done)

	r := <-done
	if r.err != nil || len(r.events) != 1 || r.events[0].ID != appended[0].ID {
		t.Fatalf("Next = %d events, %v; want the appended event", len(r.events), r.err)
	}
}
