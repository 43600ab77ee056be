package postgres_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/inps/libretto/eventstore"
	"github.com/inps/libretto/eventstore/postgres"
	"github.com/inps/libretto/eventstore/storetest"
)

// TestGroupCommitFailsAlone sends many appends at once, every other one with
// an expectation that cannot hold: those fail, the rest are stored.
func TestGroupCommitFailsAlone(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := postgres.New(newPool(t, 4), postgres.WithGroupCommit(2))
	const n = 40
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			exp := eventstore.NoStream
			if i%2 == 1 {
				exp = eventstore.Exact(3) // the stream is new: refused
			}
			_, errs[i] = s.Append(ctx,
				eventstore.StreamAppend{Stream: fmt.Sprintf("booklet-%d", i), Expected: exp, Events: storetest.Events("E", 2)},
				eventstore.StreamAppend{Stream: "worker-shared", Expected: eventstore.Any, Events: storetest.Events("E", 1)})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if i%2 == 0 && err != nil {
			t.Errorf("append %d: %v", i, err)
		}
		if i%2 == 1 && !errors.Is(err, eventstore.ErrConcurrency) {
			t.Errorf("append %d: err = %v, want ErrConcurrency", i, err)
		}
	}
	worker, err := s.ReadStream(ctx, "worker-shared", eventstore.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(worker) != n/2 {
		t.Errorf("worker-shared has %d events, want %d", len(worker), n/2)
	}
	rep, err := s.Verify(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Broken) > 0 || rep.EventsChecked != n/2*3 {
		t.Errorf("verify: %+v", rep)
	}
}

// TestGroupCommitTwins sends the same append twice at once, as a client
// retrying too early would: it is stored once and both get its events.
func TestGroupCommitTwins(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := postgres.New(newPool(t, 4), postgres.WithGroupCommit(2))
	for round := range 10 {
		a := eventstore.StreamAppend{Stream: fmt.Sprintf("claim-%d", round), Expected: eventstore.NoStream, Events: storetest.Events("E", 2)}
		var got [2][]eventstore.Event
		var errs [2]error
		var wg sync.WaitGroup
		for i := range 2 {
			wg.Go(func() { got[i], errs[i] = s.Append(ctx, a) })
		}
		wg.Wait()
		if errs[0] != nil || errs[1] != nil {
			t.Fatalf("round %d: %v, %v", round, errs[0], errs[1])
		}
		if got[0][0].Position != got[1][0].Position || got[0][1].Position != got[1][1].Position {
			t.Fatalf("round %d: twins stored at %d,%d and %d,%d", round, got[0][0].Position, got[0][1].Position, got[1][0].Position, got[1][1].Position)
		}
	}
	head, err := s.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if head.Events != 20 {
		t.Errorf("log has %d events, want 20", head.Events)
	}
}
