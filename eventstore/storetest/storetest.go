// Package storetest is the contract suite every eventstore.Store
// implementation runs: the memory store in its unit tests, PostgreSQL (and
// later EventStoreDB) against a real server.
//
// It imports only eventstore and the standard library's testing helpers.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/inps/libretto/eventstore"
)

// NewStore returns an empty store for one test. It registers its own cleanup.
type NewStore func(t *testing.T) eventstore.Store

// Run runs the whole contract suite against stores made by newStore.
func Run(t *testing.T, newStore NewStore) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, s eventstore.Store)
	}{
		{"appended events read back with their full envelope", testRoundTrip},
		{"expected versions are enforced", testExpectedVersions},
		{"racing appenders: exactly one wins each version", testRacingAppenders},
		{"atomic two-stream append writes nothing when one expectation fails", testAtomicFailure},
		{"atomic two-stream append writes both streams", testAtomicSuccess},
		{"racing reservations: a loser's are never stored, or undone", testReservationsUndone},
		{"a stream appended with no events is only checked", testCheckOnly},
		{"repeating an append is a no-op returning the stored events", testDuplicateRepeat},
		{"an append reusing some stored event ids is refused", testDuplicatePartial},
		{"invalid appends are refused", testInvalid},
		{"unknown stream is not found", testStreamNotFound},
		{"read stream from a version", testReadStreamFrom},
		{"read stream until an instant", testReadStreamUntil},
		{"read all in batches equals one read", testReadAllBatches},
		{"long stream keeps its chain", testLongStream},
		{"verify reports a clean log", testVerifyClean},
		{"cursor of a position and head", testCursorAndHead},
		{"subscription catches up then goes live", testSubscribeLive},
		{"subscription from a cursor skips what came before", testSubscribeFrom},
		{"concurrent writers and a subscriber: every event exactly once, in order", testConcurrentWritersSubscriber},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, newStore(t))
		})
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

var occurred = time.Date(2026, 3, 14, 9, 26, 53, 589793238, time.FixedZone("CET", 3600))

// Event returns a new event of type typ whose data is {"n": n}. An odd n's
// actor acted for another person (a delegation), so every read's round trip
// of the envelope covers on_behalf_of.
func Event(typ string, n int) eventstore.EventData {
	actor := eventstore.Actor{ID: "RSSMRA80A01H501U", Role: "citizen"}
	if n%2 == 1 {
		actor.OnBehalfOf = "VRDLGU80A01H501U"
	}
	return eventstore.EventData{
		ID:            uuid.New(),
		Type:          typ,
		SchemaVersion: 1,
		Data:          fmt.Appendf(nil, `{"n": %d, "s": "caffè"}`, n),
		OccurredAt:    occurred.Add(time.Duration(n) * time.Second),
		Actor:         actor,
		CorrelationID: uuid.New(),
		CausationID:   uuid.New(),
	}
}

// Events returns n new events.
func Events(typ string, n int) []eventstore.EventData {
	out := make([]eventstore.EventData, n)
	for i := range out {
		out[i] = Event(typ, i)
	}
	return out
}

func mustAppend(t *testing.T, s eventstore.Store, appends ...eventstore.StreamAppend) []eventstore.Event {
	t.Helper()
	got, err := s.Append(ctxT(t), appends...)
	if err != nil {
		t.Fatalf("append: %v", err)
	}
	return got
}

func one(stream string, exp eventstore.ExpectedVersion, events ...eventstore.EventData) eventstore.StreamAppend {
	return eventstore.StreamAppend{Stream: stream, Expected: exp, Events: events}
}

// sameEvent reports how a differs from b, or "" when they are equal.
func sameEvent(a, b eventstore.Event) string {
	switch {
	case a.ID != b.ID:
		return fmt.Sprintf("id %s != %s", a.ID, b.ID)
	case a.Type != b.Type || a.SchemaVersion != b.SchemaVersion:
		return fmt.Sprintf("type %s/%d != %s/%d", a.Type, a.SchemaVersion, b.Type, b.SchemaVersion)
	case !bytes.Equal(a.Data, b.Data):
		return fmt.Sprintf("data %s != %s", a.Data, b.Data)
	case !a.OccurredAt.Equal(b.OccurredAt):
		return fmt.Sprintf("occurred %s != %s", a.OccurredAt, b.OccurredAt)
	case !a.RecordedAt.Equal(b.RecordedAt):
		return fmt.Sprintf("recorded %s != %s", a.RecordedAt, b.RecordedAt)
	case a.Actor != b.Actor:
		return fmt.Sprintf("actor %v != %v", a.Actor, b.Actor)
	case a.CorrelationID != b.CorrelationID || a.CausationID != b.CausationID:
		return "correlation or causation differs"
	case a.Stream != b.Stream || a.Version != b.Version:
		return fmt.Sprintf("%s@%d != %s@%d", a.Stream, a.Version, b.Stream, b.Version)
	case a.Position != b.Position || a.Cursor != b.Cursor:
		return fmt.Sprintf("position %d %v != %d %v", a.Position, a.Cursor, b.Position, b.Cursor)
	case !bytes.Equal(a.Hash, b.Hash):
		return "hash differs"
	}
	return ""
}

func sameEvents(t *testing.T, what string, got, want []eventstore.Event) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d events, want %d", what, len(got), len(want))
	}
	for i := range got {
		if d := sameEvent(got[i], want[i]); d != "" {
			t.Fatalf("%s: event %d: %s", what, i, d)
		}
	}
}

func testRoundTrip(t *testing.T, s eventstore.Store) {
	ctx := ctxT(t)
	in := []eventstore.EventData{Event("BookletOpened", 1), Event("DepositRecorded", 2)}
	in[1].CausationID = uuid.Nil
	in[1].Data = []byte(`{"b":  [1, 2,   3], "a": {"z": null}}`) // stored byte for byte
	before := time.Now().Add(-time.Second)
	got := mustAppend(t, s, one("booklet-A", eventstore.NoStream, in...))
	if len(got) != 2 {
		t.Fatalf("append returned %d events, want 2", len(got))
	}
	for i, e := range got {
		if e.ID != in[i].ID || e.Type != in[i].Type || e.SchemaVersion != 1 || !bytes.Equal(e.Data, in[i].Data) ||
			e.Actor != in[i].Actor || e.CorrelationID != in[i].CorrelationID || e.CausationID != in[i].CausationID {
			t.Errorf("event %d envelope changed: %+v", i, e)
		}
		if !e.OccurredAt.Equal(in[i].OccurredAt.Truncate(time.Microsecond)) {
			t.Errorf("event %d occurred at %s, want %s to the microsecond", i, e.OccurredAt, in[i].OccurredAt)
		}
		if e.Stream != "booklet-A" || e.Version != int64(i+1) {
			t.Errorf("event %d is %s@%d", i, e.Stream, e.Version)
		}
		if e.Position <= 0 || e.RecordedAt.Before(before) || e.RecordedAt.After(time.Now().Add(time.Second)) {
			t.Errorf("event %d position %d recorded at %s", i, e.Position, e.RecordedAt)
		}
		if len(e.Hash) != 32 {
			t.Errorf("event %d hash has %d bytes", i, len(e.Hash))
		}
	}
	if got[1].Position <= got[0].Position || !got[0].Cursor.Less(got[1].Cursor) {
		t.Errorf("positions/cursors not increasing: %d %v, %d %v", got[0].Position, got[0].Cursor, got[1].Position, got[1].Cursor)
	}
	if broken := eventstore.VerifyStream(got); len(broken) > 0 {
		t.Errorf("returned events do not chain: %+v", broken)
	}
	read, err := s.ReadStream(ctx, "booklet-A", eventstore.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sameEvents(t, "read stream", read, got)
	sameEvents(t, "read all", readAllOnce(t, s, eventstore.Cursor{}, 10, len(got)), got)
}

// readAllOnce reads the log after from with limit until it holds want
// events. A store may show committed events to ReadAll a little later than
// to ReadStream (PostgreSQL waits for older transactions to finish), never
// in another order.
func readAllOnce(t *testing.T, s eventstore.Store, from eventstore.Cursor, limit, want int) []eventstore.Event {
	t.Helper()
	ctx := ctxT(t)
	for {
		got, err := s.ReadAll(ctx, from, limit)
		if err != nil {
			t.Fatalf("read all: %v", err)
		}
		if len(got) >= want {
			return got
		}
		select {
		case <-ctx.Done():
			t.Fatalf("read all: %d events, want %d", len(got), want)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func testExpectedVersions(t *testing.T, s eventstore.Store) {
	ctx := ctxT(t)
	mustAppend(t, s, one("s-2", eventstore.NoStream, Events("E", 2)...))
	tests := []struct {
		name   string
		stream string
		exp    eventstore.ExpectedVersion
		ok     bool
	}{
		{"any on a new stream", "new-any", eventstore.Any, true},
		{"any on an existing stream", "s-2", eventstore.Any, true},
		{"no stream on a new stream", "new-nostream", eventstore.NoStream, true},
		{"no stream on an existing stream is refused", "s-2", eventstore.NoStream, false},
		{"stream exists on a new stream is refused", "new-exists", eventstore.StreamExists, false},
		{"stream exists on an existing stream", "s-2", eventstore.StreamExists, true},
		{"exact on a new stream is refused", "new-exact", eventstore.Exact(1), false},
		{"wrong exact version is refused", "s-2", eventstore.Exact(1), false},
		{"version ahead is refused", "s-2", eventstore.Exact(99), false},
	}
	for _, tc := range tests {
		_, err := s.Append(ctx, one(tc.stream, tc.exp, Event("E", 0)))
		if tc.ok && err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
		if !tc.ok && !errors.Is(err, eventstore.ErrConcurrency) {
			t.Errorf("%s: err = %v, want ErrConcurrency", tc.name, err)
		}
	}
	// s-2 got two events above (any, stream exists): exact 4 holds now.
	got := mustAppend(t, s, one("s-2", eventstore.Exact(4), Event("E", 5)))
	if got[0].Version != 5 {
		t.Errorf("exact append got version %d, want 5", got[0].Version)
	}
	for _, name := range []string{"new-exists", "new-exact"} {
		if _, err := s.ReadStream(ctx, name, eventstore.ReadOptions{}); !errors.Is(err, eventstore.ErrStreamNotFound) {
			t.Errorf("refused append created stream %s: %v", name, err)
		}
	}
}

func testRacingAppenders(t *testing.T, s eventstore.Store) {
	ctx := ctxT(t)
	const racers, rounds = 8, 5
	for round := range rounds {
		exp := eventstore.ExpectedVersion(round) // NoStream (0) then Exact(1..)
		var wins, conflicts int
		var mu sync.Mutex
		var wg sync.WaitGroup
		for range racers {
			wg.Go(func() {
				_, err := s.Append(ctx, one("race", exp, Event("E", round)))
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					wins++
				case errors.Is(err, eventstore.ErrConcurrency):
					conflicts++
				default:
					t.Errorf("round %d: unexpected error %v", round, err)
				}
			})
		}
		wg.Wait()
		if wins != 1 || conflicts != racers-1 {
			t.Fatalf("round %d: %d wins, %d conflicts; want 1 and %d", round, wins, conflicts, racers-1)
		}
	}
	events, err := s.ReadStream(ctx, "race", eventstore.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != rounds {
		t.Fatalf("stream has %d events, want %d", len(events), rounds)
	}
	if broken := eventstore.VerifyStream(events); len(broken) > 0 {
		t.Errorf("raced stream does not chain: %+v", broken)
	}
}

func testAtomicFailure(t *testing.T, s eventstore.Store) {
	ctx := ctxT(t)
	mustAppend(t, s, one("worker-W", eventstore.NoStream, Event("WorkerRegistered", 0)))
	head, err := s.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Append(ctx,
		one("booklet-B", eventstore.NoStream, Event("ServiceRecorded", 1)),
		one("worker-W", eventstore.Exact(7), Event("ServiceAssigned", 2)),
	)
	if !errors.Is(err, eventstore.ErrConcurrency) {
		t.Fatalf("err = %v, want ErrConcurrency", err)
	}
	if _, err := s.ReadStream(ctx, "booklet-B", eventstore.ReadOptions{}); !errors.Is(err, eventstore.ErrStreamNotFound) {
		t.Errorf("booklet-B was written: %v", err)
	}
	w, err := s.ReadStream(ctx, "worker-W", eventstore.ReadOptions{})
	if err != nil || len(w) != 1 {
		t.Errorf("worker-W has %d events (%v), want 1", len(w), err)
	}
	after, err := s.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after.Events != head.Events {
		t.Errorf("log grew from %d to %d events", head.Events, after.Events)
	}
}

func testCheckOnly(t *testing.T, s eventstore.Store) {
	ctx := ctxT(t)
	mustAppend(t, s, one("worker-W", eventstore.NoStream, Event("WorkerRegistered", 0)))
	stale := []eventstore.ExpectedVersion{eventstore.NoStream, eventstore.Exact(2)}
	for _, exp := range stale {
		_, err := s.Append(ctx,
			one("booklet-B", eventstore.NoStream, Event("ServiceRecorded", 1)),
			eventstore.StreamAppend{Stream: "worker-W", Expected: exp},
		)
		if !errors.Is(err, eventstore.ErrConcurrency) {
			t.Fatalf("checking worker-W at %s: err = %v, want ErrConcurrency", exp, err)
		}
	}
	if _, err := s.ReadStream(ctx, "booklet-B", eventstore.ReadOptions{}); !errors.Is(err, eventstore.ErrStreamNotFound) {
		t.Errorf("booklet-B was written although its check failed: %v", err)
	}
	got := mustAppend(t, s,
		one("booklet-B", eventstore.NoStream, Event("ServiceRecorded", 1)),
		eventstore.StreamAppend{Stream: "worker-W", Expected: eventstore.Exact(1)},
		eventstore.StreamAppend{Stream: "claim-C", Expected: eventstore.NoStream},
	)
	if len(got) != 1 || got[0].Stream != "booklet-B" {
		t.Fatalf("append returned %+v, want the booklet's event only", got)
	}
	w, err := s.ReadStream(ctx, "worker-W", eventstore.ReadOptions{})
	if err != nil || len(w) != 1 {
		t.Errorf("worker-W has %d events (%v), want 1", len(w), err)
	}
	if _, err := s.ReadStream(ctx, "claim-C", eventstore.ReadOptions{}); !errors.Is(err, eventstore.ErrStreamNotFound) {
		t.Errorf("a checked stream was created: %v", err)
	}
	if got, err := s.Append(ctx, eventstore.StreamAppend{Stream: "worker-W", Expected: eventstore.Exact(1)}); err != nil || len(got) != 0 {
		t.Errorf("a check alone = %v, %v; want nothing and no error", got, err)
	}
}

func testAtomicSuccess(t *testing.T, s eventstore.Store) {
	ctx := ctxT(t)
	mustAppend(t, s, one("worker-W", eventstore.NoStream, Event("WorkerRegistered", 0)))
	got := mustAppend(t, s,
		one("booklet-B", eventstore.NoStream, Event("ServiceRecorded", 1), Event("VouchersReserved", 2)),
		one("worker-W", eventstore.Exact(1), Event("ServiceAssigned", 3)),
	)
	if len(got) != 3 || got[0].Stream != "booklet-B" || got[1].Version != 2 || got[2].Stream != "worker-W" || got[2].Version != 2 {
		t.Fatalf("append returned %+v", got)
	}
	for _, stream := range []string{"booklet-B", "worker-W"} {
		events, err := s.ReadStream(ctx, stream, eventstore.ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if broken := eventstore.VerifyStream(events); len(broken) > 0 {
			t.Errorf("%s does not chain: %+v", stream, broken)
		}
	}
}

func testDuplicateRepeat(t *testing.T, s eventstore.Store) {
	ctx := ctxT(t)
	appends := []eventstore.StreamAppend{
		one("booklet-D", eventstore.NoStream, Event("A", 1), Event("B", 2)),
		one("worker-D", eventstore.NoStream, Event("C", 3)),
	}
	first := mustAppend(t, s, appends...)
	again, err := s.Append(ctx, appends...)
	if err != nil {
		t.Fatalf("repeat: %v", err)
	}
	sameEvents(t, "repeat", again, first)
	head, err := s.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if head.Events != 3 {
		t.Errorf("log has %d events after a repeat, want 3", head.Events)
	}
}

func testDuplicatePartial(t *testing.T, s eventstore.Store) {
	ctx := ctxT(t)
	a := Event("A", 1)
	mustAppend(t, s, one("booklet-P", eventstore.NoStream, a))
	tests := []struct {
		name    string
		across  bool
		appends []eventstore.StreamAppend
	}{
		{"a stored id with a new one", false, []eventstore.StreamAppend{one("booklet-P", eventstore.Any, a, Event("B", 2))}},
		{"a stored id in another stream", true, []eventstore.StreamAppend{one("booklet-Q", eventstore.Any, Event("B", 2)), one("worker-Q", eventstore.Any, a)}},
		{"one id twice in one append", false, func() []eventstore.StreamAppend {
			b := Event("B", 2)
			return []eventstore.StreamAppend{one("booklet-R", eventstore.Any, b, b)}
		}()},
	}
	for _, tc := range tests {
		if tc.across && !eventstore.MultiStreamAtomic(s) {
			continue // no index of ids across streams (EventStoreDB, docs/esdb.md)
		}
		_, err := s.Append(ctx, tc.appends...)
		if !errors.Is(err, eventstore.ErrDuplicateEvent) {
			t.Errorf("%s: err = %v, want ErrDuplicateEvent", tc.name, err)
		}
	}
	head, err := s.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if head.Events != 1 {
		t.Errorf("log has %d events, want 1", head.Events)
	}
}

func testInvalid(t *testing.T, s eventstore.Store) {
	ctx := ctxT(t)
	bad := Event("E", 0)
	bad.Data = []byte(`{"n":`)
	noID := Event("E", 0)
	noID.ID = uuid.Nil
	tests := []struct {
		name    string
		appends []eventstore.StreamAppend
	}{
		{"data that is not JSON", []eventstore.StreamAppend{one("s", eventstore.Any, bad)}},
		{"an event without id", []eventstore.StreamAppend{one("s", eventstore.Any, noID)}},
		{"an empty stream name", []eventstore.StreamAppend{one("", eventstore.Any, Event("E", 0))}},
		{"one stream twice", []eventstore.StreamAppend{one("s", eventstore.Any, Event("E", 0)), one("s", eventstore.Any, Event("E", 1))}},
	}
	for _, tc := range tests {
		if _, err := s.Append(ctx, tc.appends...); err == nil {
			t.Errorf("%s was accepted", tc.name)
		}
	}
	head, err := s.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if head.Events != 0 {
		t.Errorf("log has %d events, want 0", head.Events)
	}
}

func testStreamNotFound(t *testing.T, s eventstore.Store) {
	mustAppend(t, s, one("other", eventstore.NoStream, Event("E", 0)))
	_, err := s.ReadStream(ctxT(t), "missing", eventstore.ReadOptions{})
	if !errors.Is(err, eventstore.ErrStreamNotFound) {
		t.Errorf("err = %v, want ErrStreamNotFound", err)
	}
}

func testReadStreamFrom(t *testing.T, s eventstore.Store) {
	all := mustAppend(t, s, one("s", eventstore.NoStream, Events("E", 10)...))
	for _, from := range []int64{0, 1, 4, 10} {
		got, err := s.ReadStream(ctxT(t), "s", eventstore.ReadOptions{From: from})
		if err != nil {
			t.Fatal(err)
		}
		sameEvents(t, fmt.Sprintf("from %d", from), got, all[max(from, 1)-1:])
	}
	got, err := s.ReadStream(ctxT(t), "s", eventstore.ReadOptions{From: 11})
	if err != nil || len(got) != 0 {
		t.Errorf("from past the end: %d events, %v; want none and no error", len(got), err)
	}
}

func testReadStreamUntil(t *testing.T, s eventstore.Store) {
	ctx := ctxT(t)
	first := mustAppend(t, s, one("s", eventstore.NoStream, Event("E", 1), Event("E", 2)))
	// Wait until the clock has passed the first append's instant, so the
	// second is recorded strictly later.
	for !time.Now().After(first[0].RecordedAt.Add(time.Millisecond)) {
		time.Sleep(time.Millisecond)
	}
	second := mustAppend(t, s, one("s", eventstore.Exact(2), Event("E", 3)))
	if !second[0].RecordedAt.After(first[0].RecordedAt) {
		t.Fatalf("second append recorded at %s, not after %s", second[0].RecordedAt, first[0].RecordedAt)
	}
	got, err := s.ReadStream(ctx, "s", eventstore.ReadOptions{Until: first[0].RecordedAt})
	if err != nil {
		t.Fatal(err)
	}
	sameEvents(t, "until first", got, first)
	got, err = s.ReadStream(ctx, "s", eventstore.ReadOptions{Until: second[0].RecordedAt})
	if err != nil {
		t.Fatal(err)
	}
	sameEvents(t, "until second", got, append(first, second...))
	got, err = s.ReadStream(ctx, "s", eventstore.ReadOptions{Until: first[0].RecordedAt.Add(-time.Hour)})
	if err != nil || len(got) != 0 {
		t.Errorf("until before the stream: %d events, %v; want none", len(got), err)
	}
}

func testReadAllBatches(t *testing.T, s eventstore.Store) {
	ctx := ctxT(t)
	var want []eventstore.Event
	for i := range 5 {
		want = append(want, mustAppend(t, s,
			one(fmt.Sprintf("a-%d", i), eventstore.NoStream, Events("E", 3)...),
			one(fmt.Sprintf("b-%d", i), eventstore.NoStream, Events("E", 2)...))...)
	}
	readAllOnce(t, s, eventstore.Cursor{}, 1000, len(want))
	var got []eventstore.Event
	var c eventstore.Cursor
	for {
		batch, err := s.ReadAll(ctx, c, 7)
		if err != nil {
			t.Fatal(err)
		}
		if len(batch) > 7 {
			t.Fatalf("batch of %d events, limit 7", len(batch))
		}
		if len(batch) == 0 {
			break
		}
		got = append(got, batch...)
		c = batch[len(batch)-1].Cursor
	}
	sameEvents(t, "batched read all", got, want)
	whole, err := s.ReadAll(ctx, eventstore.Cursor{}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	sameEvents(t, "whole read all", whole, want)
	if rest, err := s.ReadAll(ctx, want[len(want)-1].Cursor, 1000); err != nil || len(rest) != 0 {
		t.Errorf("read all after the last event: %d events, %v", len(rest), err)
	}
}

func testLongStream(t *testing.T, s eventstore.Store) {
	ctx := ctxT(t)
	const total, batch = 5000, 250
	for v := 0; v < total; v += batch {
		mustAppend(t, s, one("long", eventstore.ExpectedVersion(v), Events("E", batch)...))
	}
	events, err := s.ReadStream(ctx, "long", eventstore.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != total {
		t.Fatalf("%d events, want %d", len(events), total)
	}
	if broken := eventstore.VerifyStream(events); len(broken) > 0 {
		t.Fatalf("long stream does not chain: %d broken, first %+v", len(broken), broken[0])
	}
	rep, err := s.Verify(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.EventsChecked != total || len(rep.Broken) != 0 {
		t.Errorf("verify: %+v", rep)
	}
}

func testVerifyClean(t *testing.T, s eventstore.Store) {
	ctx := ctxT(t)
	for i := range 3 {
		mustAppend(t, s, one(fmt.Sprintf("s-%d", i), eventstore.NoStream, Events("E", i+1)...))
	}
	var calls, last int
	rep, err := s.Verify(ctx, func(n int) { calls++; last = n })
	if err != nil {
		t.Fatal(err)
	}
	if rep.StreamsChecked != 3 || rep.EventsChecked != 6 || len(rep.Broken) != 0 {
		t.Errorf("verify: %+v", rep)
	}
	if calls == 0 || last != 6 {
		t.Errorf("progress called %d times, last with %d; want at least once, last with 6", calls, last)
	}
}

func testCursorAndHead(t *testing.T, s eventstore.Store) {
	ctx := ctxT(t)
	head, err := s.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if head != (eventstore.Head{}) {
		t.Errorf("empty log head = %+v, want zero", head)
	}
	var all []eventstore.Event
	for i := range 3 {
		all = append(all, mustAppend(t, s, one(fmt.Sprintf("s-%d", i), eventstore.NoStream, Events("E", 2)...))...)
	}
	for _, e := range all {
		c, err := s.CursorOf(ctx, e.Position)
		if err != nil {
			t.Fatal(err)
		}
		if c != e.Cursor {
			t.Errorf("cursor of %d = %v, want %v", e.Position, c, e.Cursor)
		}
	}
	if c, err := s.CursorOf(ctx, 0); err != nil || !c.IsZero() {
		t.Errorf("cursor of 0 = %v, %v; want zero", c, err)
	}
	if _, err := s.CursorOf(ctx, all[len(all)-1].Position+100); !errors.Is(err, eventstore.ErrEventNotFound) {
		t.Errorf("cursor of a missing position: %v, want ErrEventNotFound", err)
	}
	head, err = s.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	last := all[len(all)-1]
	if head.Events != 6 || head.Position != last.Position || head.Cursor != last.Cursor || !head.RecordedAt.Equal(last.RecordedAt) {
		t.Errorf("head = %+v, want the last event %d %v", head, last.Position, last.Cursor)
	}
}

func testSubscribeLive(t *testing.T, s eventstore.Store) {
	ctx := ctxT(t)
	before := mustAppend(t, s, one("s", eventstore.NoStream, Events("E", 3)...))
	sub, err := s.Subscribe(ctx, eventstore.Cursor{})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	got := collect(t, sub, 3)
	sameEvents(t, "catch-up", got, before)

	type result struct {
		events []eventstore.Event
		err    error
	}
	done := make(chan result, 1)
	go func() {
		events, err := sub.Next(ctx, 10)
		done <- result{events, err}
	}()
	later := mustAppend(t, s, one("s", eventstore.Exact(3), Event("E", 4)))
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	sameEvents(t, "live", r.events, later)
}

func testSubscribeFrom(t *testing.T, s eventstore.Store) {
	ctx := ctxT(t)
	first := mustAppend(t, s, one("s", eventstore.NoStream, Events("E", 4)...))
	second := mustAppend(t, s, one("t", eventstore.NoStream, Events("E", 2)...))
	sub, err := s.Subscribe(ctx, first[len(first)-1].Cursor)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	sameEvents(t, "after the first append", collect(t, sub, 2), second)
}

// collect reads exactly n events from sub.
func collect(t *testing.T, sub eventstore.Subscription, n int) []eventstore.Event {
	t.Helper()
	ctx := ctxT(t)
	var out []eventstore.Event
	for len(out) < n {
		batch, err := sub.Next(ctx, n-len(out))
		if err != nil {
			t.Fatalf("after %d of %d events: %v", len(out), n, err)
		}
		if len(batch) == 0 || len(batch) > n-len(out) {
			t.Fatalf("next returned %d events, asked for at most %d", len(batch), n-len(out))
		}
		out = append(out, batch...)
	}
	return out
}

// writeConcurrently starts writers goroutines, each making appends
// two-event appends, and returns the function that waits for them. Each
// append touches the writer's own stream and one of four shared streams, so
// transactions both interleave and contend.
func writeConcurrently(ctx context.Context, t *testing.T, s eventstore.Store, writers, appends int) (wait func()) {
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			own := fmt.Sprintf("writer-%d", w)
			for i := range appends {
				shared := fmt.Sprintf("shared-%d", (w+i)%4)
				_, err := s.Append(ctx,
					one(own, eventstore.ExpectedVersion(i), Event("Own", i)),
					one(shared, eventstore.Any, Event("Shared", i)),
				)
				if err != nil {
					t.Errorf("writer %d append %d: %v", w, i, err)
					return
				}
			}
		})
	}
	return wg.Wait
}

func testConcurrentWritersSubscriber(t *testing.T, s eventstore.Store) {
	ctx := ctxT(t)
	const writers, appends = 32, 15
	sub, err := s.Subscribe(ctx, eventstore.Cursor{})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()

	wait := writeConcurrently(ctx, t, s, writers, appends)
	total := writers * appends * 2
	got := collect(t, sub, total)
	wait()

	seen := make(map[uuid.UUID]bool, total)
	versions := map[string]int64{}
	for i, e := range got {
		if seen[e.ID] {
			t.Fatalf("event %s delivered twice", e.ID)
		}
		seen[e.ID] = true
		if i > 0 && !got[i-1].Cursor.Less(e.Cursor) {
			t.Fatalf("cursor %v delivered after %v", e.Cursor, got[i-1].Cursor)
		}
		if e.Version != versions[e.Stream]+1 {
			t.Fatalf("%s version %d delivered after %d", e.Stream, e.Version, versions[e.Stream])
		}
		versions[e.Stream] = e.Version
	}
	// Nothing more is delivered: a short wait for a further event times out.
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if extra, err := sub.Next(short, 10); len(extra) > 0 {
		t.Fatalf("%d extra events delivered (%v)", len(extra), err)
	}
	all, err := s.ReadAll(ctx, eventstore.Cursor{}, total+10)
	if err != nil {
		t.Fatal(err)
	}
	sameEvents(t, "read all after the subscription", all, got)
}
