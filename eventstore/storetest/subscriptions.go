package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/inps/libretto/eventstore"
)

// RunSubscriptions runs the contract of several subscriptions on one store
// — every projector holds one, and a store may share reads between them:
// each must still deliver the whole log, exactly once, in the log's order,
// whatever the others do and wherever they started.
func RunSubscriptions(t *testing.T, newStore NewStore) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, s eventstore.Store)
	}{
		{"subscriptions at one cursor with concurrent writers each deliver every event once, in order", testSubscriptionsTogether},
		{"a subscription far behind the others delivers the whole log", testSubscriptionFarBehind},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, newStore(t))
		})
	}
}

// drain reads exactly n events from sub, asking for at most max at a time.
// It may run in a goroutine of its own: it reports instead of failing.
func drain(ctx context.Context, sub eventstore.Subscription, n, max int) ([]eventstore.Event, error) {
	var out []eventstore.Event
	for len(out) < n {
		batch, err := sub.Next(ctx, max)
		if err != nil {
			return out, fmt.Errorf("after %d of %d events: %w", len(out), n, err)
		}
		if len(batch) == 0 || len(batch) > max {
			return out, fmt.Errorf("after %d of %d events: next returned %d events, asked for at most %d", len(out), n, len(batch), max)
		}
		out = append(out, batch...)
	}
	if len(out) > n {
		return out, fmt.Errorf("%d events delivered, want %d", len(out), n)
	}
	return out, nil
}

// checkDelivery checks that got is want, and that no event came twice.
func checkDelivery(t *testing.T, what string, got, want []eventstore.Event) {
	t.Helper()
	seen := make(map[uuid.UUID]bool, len(got))
	for _, e := range got {
		if seen[e.ID] {
			t.Fatalf("%s: event %s delivered twice", what, e.ID)
		}
		seen[e.ID] = true
	}
	sameEvents(t, what, got, want)
}

func testSubscriptionsTogether(t *testing.T, s eventstore.Store) {
	ctx := ctxT(t)
	const writers, appends = 16, 10
	total := writers * appends * 2
	// Batch sizes differ, as projectors' do, so that subscriptions drift
	// apart and meet again at other cursors.
	maxes := []int{1000, 64, 7, 1}
	subs := make([]eventstore.Subscription, len(maxes))
	for i := range subs {
		sub, err := s.Subscribe(ctx, eventstore.Cursor{})
		if err != nil {
			t.Fatal(err)
		}
		defer sub.Close()
		subs[i] = sub
	}

	got := make([][]eventstore.Event, len(subs))
	errs := make([]error, len(subs))
	var readers sync.WaitGroup
	for i, sub := range subs {
		readers.Go(func() { got[i], errs[i] = drain(ctx, sub, total, maxes[i]) })
	}
	writeConcurrently(ctx, t, s, writers, appends)()
	readers.Wait()

	log, err := s.ReadAll(ctx, eventstore.Cursor{}, total+10)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != total {
		t.Fatalf("the log holds %d events, want %d", len(log), total)
	}
	for i := range subs {
		if errs[i] != nil {
			t.Fatalf("subscription %d (batches of %d): %v", i, maxes[i], errs[i])
		}
		checkDelivery(t, fmt.Sprintf("subscription %d (batches of %d)", i, maxes[i]), got[i], log)
	}
	// A solo subscription, opened when the others are done, agrees.
	solo, err := s.Subscribe(ctx, eventstore.Cursor{})
	if err != nil {
		t.Fatal(err)
	}
	defer solo.Close()
	alone, err := drain(ctx, solo, total, 100)
	if err != nil {
		t.Fatal(err)
	}
	checkDelivery(t, "a later subscription", alone, log)
}

// testSubscriptionFarBehind writes more events than a store would sensibly
// keep at hand for its subscriptions, lets one subscription read them all,
// then starts others from the beginning and from the middle.
func testSubscriptionFarBehind(t *testing.T, s eventstore.Store) {
	ctx := ctxT(t)
	const appends, each = 12, 1000
	total := appends * each
	for i := range appends {
		mustAppend(t, s, one(fmt.Sprintf("bulk-%d", i), eventstore.NoStream, Events("Bulk", each)...))
	}
	log, err := s.ReadAll(ctx, eventstore.Cursor{}, total)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != total {
		t.Fatalf("the log holds %d events, want %d", len(log), total)
	}

	ahead, err := s.Subscribe(ctx, eventstore.Cursor{})
	if err != nil {
		t.Fatal(err)
	}
	defer ahead.Close()
	got, err := drain(ctx, ahead, total, 1000)
	if err != nil {
		t.Fatal(err)
	}
	checkDelivery(t, "the first subscription", got, log)

	middle := total / 3
	for _, tc := range []struct {
		name string
		from int // index in log of the event the subscription starts after; -1 for the beginning
		max  int
	}{
		{"from the beginning", -1, 1000},
		{"from the beginning, in small batches", -1, 333},
		{"from the middle", middle, 500},
	} {
		from := eventstore.Cursor{}
		if tc.from >= 0 {
			from = log[tc.from].Cursor
		}
		sub, err := s.Subscribe(ctx, from)
		if err != nil {
			t.Fatal(err)
		}
		want := log[tc.from+1:]
		got, err := drain(ctx, sub, len(want), tc.max)
		sub.Close()
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		checkDelivery(t, tc.name, got, want)
	}

	// Written after all that, one more event reaches every open subscription.
	behind, err := s.Subscribe(ctx, eventstore.Cursor{})
	if err != nil {
		t.Fatal(err)
	}
	defer behind.Close()
	last := mustAppend(t, s, one("late", eventstore.NoStream, Event("Late", 0)))
	got, err = drain(ctx, ahead, 1, 10)
	if err != nil {
		t.Fatal(err)
	}
	checkDelivery(t, "the first subscription, live", got, last)
	got, err = drain(ctx, behind, total+1, 1000)
	if err != nil {
		t.Fatal(err)
	}
	checkDelivery(t, "a subscription from the beginning, with the late event", got, append(log[:total:total], last...))
}
