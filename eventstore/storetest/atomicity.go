package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/inps/libretto/eventstore"
)

// appendAll appends as the store allows: in one atomic call, or, on a store
// that cannot append to several streams atomically (eventstore.Atomicity),
// one stream after the other. Tests that are not about atomicity use it.
func appendAll(ctx context.Context, s eventstore.Store, appends ...eventstore.StreamAppend) ([]eventstore.Event, error) {
	if eventstore.MultiStreamAtomic(s) || len(appends) < 2 {
		return s.Append(ctx, appends...)
	}
	var out []eventstore.Event
	for _, a := range appends {
		got, err := s.Append(ctx, a)
		if err != nil {
			return out, err
		}
		out = append(out, got...)
	}
	return out, nil
}

// testNotAtomic is the atomic-append contract of a store that cannot append
// to several streams at once: it says so with ErrNotAtomic and writes
// nothing, whether or not the expectations hold.
func testNotAtomic(t *testing.T, s eventstore.Store) {
	ctx := ctxT(t)
	mustAppend(t, s, one("worker-W", eventstore.NoStream, Event("WorkerRegistered", 0)))
	for _, exp := range []eventstore.ExpectedVersion{eventstore.Exact(1), eventstore.Exact(7)} {
		_, err := s.Append(ctx,
			one("booklet-B", eventstore.NoStream, Event("ServiceRecorded", 1)),
			one("worker-W", exp, Event("ServiceAssigned", 2)),
		)
		if !errors.Is(err, eventstore.ErrNotAtomic) {
			t.Fatalf("worker expected at %s: err = %v, want ErrNotAtomic", exp, err)
		}
	}
	if _, err := s.ReadStream(ctx, "booklet-B", eventstore.ReadOptions{}); !errors.Is(err, eventstore.ErrStreamNotFound) {
		t.Errorf("booklet-B was written: %v", err)
	}
	head, err := s.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if head.Events != 1 {
		t.Errorf("log has %d events, want 1", head.Events)
	}
}
