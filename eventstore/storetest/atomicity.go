package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/inps/libretto/eventstore"
)

// testReservationsUndone is the multi-stream contract where the stores
// differ (eventstore.Atomicity). Racing appends each reserve on a stream of
// their own (with compensations), decide on one shared stream at the same
// expected version and create a stream of their own: exactly one wins. A
// loser writes nothing to the shared stream or to the stream it creates; its
// reservation is not stored on an atomic store, and on one that is not it is
// either not stored or followed by exactly its compensation.
func testReservationsUndone(t *testing.T, s eventstore.Store) {
	ctx := ctxT(t)
	mustAppend(t, s, one("booklet-S", eventstore.NoStream, Event("Opened", 0)))
	const racers = 8
	reserves := make([]eventstore.EventData, racers)
	undos := make([]eventstore.EventData, racers)
	errs := make([]error, racers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range racers {
		reserves[i] = Event("Reserved", i)
		undos[i] = Event("Released", i)
		undos[i].CausationID = reserves[i].ID
		appends := []eventstore.StreamAppend{
			{Stream: fmt.Sprintf("worker-%d", i), Expected: eventstore.NoStream, Events: []eventstore.EventData{reserves[i]}, Compensations: []eventstore.EventData{undos[i]}},
			{Stream: "booklet-S", Expected: eventstore.Exact(1), Events: []eventstore.EventData{Event("Decided", i)}, Decides: true},
			one(fmt.Sprintf("locator-%d", i), eventstore.NoStream, Event("Located", i)),
		}
		wg.Go(func() {
			<-start
			_, errs[i] = s.Append(ctx, appends...)
		})
	}
	close(start)
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner < 0:
			winner = i
		case err == nil:
			t.Fatalf("racers %d and %d both won", winner, i)
		case !errors.Is(err, eventstore.ErrConcurrency):
			t.Fatalf("racer %d: %v, want ErrConcurrency", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no racer won")
	}
	if b, err := s.ReadStream(ctx, "booklet-S", eventstore.ReadOptions{}); err != nil || len(b) != 2 {
		t.Fatalf("booklet-S has %d events (%v), want 2", len(b), err)
	}
	undone := 0
	for i := range racers {
		w, err := s.ReadStream(ctx, fmt.Sprintf("worker-%d", i), eventstore.ReadOptions{})
		if err != nil && !errors.Is(err, eventstore.ErrStreamNotFound) {
			t.Fatal(err)
		}
		ids := make([]uuid.UUID, len(w))
		for j, e := range w {
			ids[j] = e.ID
		}
		_, located := s.ReadStream(ctx, fmt.Sprintf("locator-%d", i), eventstore.ReadOptions{})
		switch {
		case i == winner:
			if len(ids) != 1 || ids[0] != reserves[i].ID || located != nil {
				t.Errorf("winner: worker holds %v, locator: %v", ids, located)
			}
		case !errors.Is(located, eventstore.ErrStreamNotFound):
			t.Errorf("loser %d created its locator: %v", i, located)
		case len(ids) == 0:
		case eventstore.MultiStreamAtomic(s):
			t.Errorf("loser %d left %v on an atomic store", i, ids)
		case len(ids) != 2 || ids[0] != reserves[i].ID || ids[1] != undos[i].ID || w[1].CausationID != reserves[i].ID:
			t.Errorf("loser %d left %v, want its reservation and its compensation", i, ids)
		default:
			undone++
		}
	}
	t.Logf("%d of %d losers were undone by their compensation", undone, racers-1)
	rep, err := s.Verify(ctx, nil)
	if err != nil || len(rep.Broken) > 0 {
		t.Errorf("verify: %+v, %v", rep.Broken, err)
	}
}
