package esdb

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/inps/libretto/eventstore"
	"github.com/inps/libretto/eventstore/esdb/esdbtest"
)

// The saga's own tests: the contract suite (TestContractDouble) checks what
// every store promises; these check how EventStoreDB keeps it, with faults
// injected into the saga's steps.

// sagaFixture is a store on a fresh double whose saga steps go through
// fault, and a worker stream at version 1.
type sagaFixture struct {
	t  *testing.T
	s  *Store
	mu sync.Mutex
	// steps lists the streams of the saga steps in the order sent.
	steps []string
	fail  func(stream string) error
}

func newSagaFixture(t *testing.T) *sagaFixture {
	t.Helper()
	f := &sagaFixture{t: t, s: open(t, esdbtest.Start(t).URL())}
	f.s.fault = func(stream string) error {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.steps = append(f.steps, stream)
		if f.fail != nil {
			return f.fail(stream)
		}
		return nil
	}
	if _, err := f.s.Append(ctxT(t), one("worker-W", eventstore.NoStream, event("WorkerRegistered"))); err != nil {
		t.Fatal(err)
	}
	return f
}

// failOnce makes the first step on a stream with prefix fail with err.
func (f *sagaFixture) failOnce(prefix string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	done := false
	f.fail = func(stream string) error {
		if done || !strings.HasPrefix(stream, prefix) {
			return nil
		}
		done = true
		return err
	}
}

// service is the appends of a command recording a service: a reservation
// on the worker (with its compensation), the booklet that decides, placed
// after a claim, and a new locator.
func service() []eventstore.StreamAppend {
	booked := event("WorkerServiceBooked")
	released := event("WorkerServiceReleased")
	released.CausationID = booked.ID
	return []eventstore.StreamAppend{
		{Stream: "claim-C", Expected: eventstore.Any, Events: []eventstore.EventData{event("PriorServiceInserted")}},
		{Stream: "booklet-B", Expected: eventstore.Any, Events: []eventstore.EventData{event("ServiceRecorded")}, Decides: true},
		{Stream: "worker-W", Expected: eventstore.Exact(1), Events: []eventstore.EventData{booked}, Compensations: []eventstore.EventData{released}},
		one("service-S", eventstore.NoStream, event("ServiceLocated")),
	}
}

// types is the event types of a stream.
func (f *sagaFixture) types(stream string) []string {
	f.t.Helper()
	events, err := f.s.ReadStream(ctxT(f.t), stream, eventstore.ReadOptions{})
	if err != nil && !errors.Is(err, eventstore.ErrStreamNotFound) {
		f.t.Fatal(err)
	}
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.Type
	}
	return out
}

// sagaEnds counts the hidden saga log's completed, aborted and open sagas.
func (f *sagaFixture) sagaEnds() (completed, aborted, open int) {
	f.t.Helper()
	last := map[string]string{}
	err := f.s.scanAll(ctxT(f.t), eventstore.Cursor{}, func(r *esdb.RecordedEvent) (bool, error) {
		if strings.HasPrefix(r.StreamID, sagaPrefix) {
			last[r.StreamID] = r.EventType
		}
		return true, nil
	})
	if err != nil {
		f.t.Fatal(err)
	}
	for _, typ := range last {
		switch typ {
		case TypeSagaCompleted:
			completed++
		case TypeSagaAborted:
			aborted++
		default:
			open++
		}
	}
	return
}

func (f *sagaFixture) verify() {
	f.t.Helper()
	rep, err := f.s.Verify(ctxT(f.t), nil)
	if err != nil || len(rep.Broken) > 0 {
		f.t.Errorf("verify: %+v, %v", rep.Broken, err)
	}
}

func TestSagaReservesThenDecidesThenForwards(t *testing.T) {
	t.Parallel()
	f := newSagaFixture(t)
	appends := service()
	got, err := f.s.Append(ctxT(t), appends...)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"worker-W", "booklet-B", "claim-C", "service-S"}; fmt.Sprint(f.steps) != fmt.Sprint(want) {
		t.Errorf("steps %v, want %v", f.steps, want)
	}
	var order []string
	for _, e := range got {
		order = append(order, e.Stream)
	}
	if want := []string{"claim-C", "booklet-B", "worker-W", "service-S"}; fmt.Sprint(order) != fmt.Sprint(want) {
		t.Errorf("returned %v, want the caller's order %v", order, want)
	}
	if completed, aborted, open := f.sagaEnds(); completed != 1 || aborted+open != 0 {
		t.Errorf("sagas: %d completed, %d aborted, %d open", completed, aborted, open)
	}
	head, err := f.s.Head(ctxT(t))
	if err != nil || head.Events != 5 {
		t.Errorf("head counts %d events (%v), want 5: the saga log is hidden", head.Events, err)
	}
	again, err := f.s.Append(ctxT(t), appends...)
	if err != nil || len(again) != 4 || again[1].ID != got[1].ID || again[1].Position != got[1].Position {
		t.Errorf("repeat = %v, %v; want the stored events", again, err)
	}
	if head2, _ := f.s.Head(ctxT(t)); head2.Events != 5 {
		t.Errorf("a repeat wrote %d events", head2.Events-5)
	}
	f.verify()
}

func TestSagaConflictOnThePivotCompensatesTheReservation(t *testing.T) {
	t.Parallel()
	f := newSagaFixture(t)
	f.failOnce("booklet-", fmt.Errorf("%w: injected", eventstore.ErrConcurrency))
	appends := service()
	if _, err := f.s.Append(ctxT(t), appends...); !errors.Is(err, eventstore.ErrConcurrency) {
		t.Fatalf("err = %v, want ErrConcurrency", err)
	}
	if got := f.types("worker-W"); fmt.Sprint(got) != "[WorkerRegistered WorkerServiceBooked WorkerServiceReleased]" {
		t.Fatalf("worker-W holds %v, want the reservation undone", got)
	}
	for _, stream := range []string{"booklet-B", "claim-C", "service-S"} {
		if got := f.types(stream); len(got) != 0 {
			t.Errorf("%s written: %v", stream, got)
		}
	}
	// The caller reads the worker again and retries with the same event
	// ids (an idempotency key): they are spent, so the saga re-plans with
	// ids derived from them.
	appends[2].Expected = eventstore.Exact(3)
	got, err := f.s.Append(ctxT(t), appends...)
	if err != nil {
		t.Fatal(err)
	}
	if got[2].ID == appends[2].Events[0].ID {
		t.Error("the second saga reused a spent id")
	}
	if got := f.types("worker-W"); len(got) != 4 {
		t.Errorf("worker-W holds %v", got)
	}
	if completed, aborted, open := f.sagaEnds(); completed != 1 || aborted != 1 || open != 0 {
		t.Errorf("sagas: %d completed, %d aborted, %d open; want 1, 1, 0", completed, aborted, open)
	}
	// And a third time: the completed second generation answers.
	again, err := f.s.Append(ctxT(t), appends...)
	if err != nil || again[2].ID != got[2].ID {
		t.Errorf("repeat = %v, %v", again, err)
	}
	f.verify()
}

func TestSagaStaleExpectationWritesNothing(t *testing.T) {
	t.Parallel()
	f := newSagaFixture(t)
	appends := service()
	appends[1].Expected = eventstore.Exact(3) // the booklet moved since the caller read it
	if _, err := f.s.Append(ctxT(t), appends...); !errors.Is(err, eventstore.ErrConcurrency) {
		t.Fatalf("err = %v, want ErrConcurrency", err)
	}
	if len(f.steps) != 0 {
		t.Errorf("steps sent: %v", f.steps)
	}
	if completed, aborted, open := f.sagaEnds(); completed+aborted+open != 0 {
		t.Error("a saga was logged")
	}
}

func TestSagaRecoveryUndoesAReservationLeftByACrash(t *testing.T) {
	t.Parallel()
	f := newSagaFixture(t)
	f.failOnce("booklet-", errors.New("connection reset by peer"))
	if _, err := f.s.Append(ctxT(t), service()...); err == nil || errors.Is(err, eventstore.ErrConcurrency) {
		t.Fatalf("err = %v, want the lost connection", err)
	}
	if got := f.types("worker-W"); len(got) != 2 {
		t.Fatalf("the crash should leave the reservation: %v", got)
	}
	rec := f.s.NewSagaRecovery(0)
	out, err := rec.Run(ctxT(t), time.Now())
	if err != nil || out != (SagaOutcome{Open: 1}) {
		t.Fatalf("within the grace period: %+v, %v", out, err)
	}
	out, err = rec.Run(ctxT(t), time.Now().Add(DefaultSagaGrace+time.Second))
	if err != nil || out != (SagaOutcome{RolledBack: 1}) {
		t.Fatalf("after the grace period: %+v, %v", out, err)
	}
	if got := f.types("worker-W"); fmt.Sprint(got) != "[WorkerRegistered WorkerServiceBooked WorkerServiceReleased]" {
		t.Fatalf("worker-W holds %v", got)
	}
	if _, aborted, open := f.sagaEnds(); aborted != 1 || open != 0 {
		t.Errorf("sagas: %d aborted, %d open", aborted, open)
	}
	// Running it again finds nothing to do.
	if out, err := rec.Run(ctxT(t), time.Now().Add(time.Hour)); err != nil || out != (SagaOutcome{}) {
		t.Errorf("second run: %+v, %v", out, err)
	}
	f.verify()
}

func TestSagaRecoveryRollsForwardWhenThePivotIsStored(t *testing.T) {
	t.Parallel()
	f := newSagaFixture(t)
	f.failOnce("service-", errors.New("connection reset by peer"))
	if _, err := f.s.Append(ctxT(t), service()...); err == nil {
		t.Fatal("the append succeeded without its locator")
	}
	if got := f.types("service-S"); len(got) != 0 {
		t.Fatalf("locator written: %v", got)
	}
	out, err := f.s.NewSagaRecovery(0).Run(ctxT(t), time.Now().Add(DefaultSagaGrace+time.Second))
	if err != nil || out != (SagaOutcome{RolledFwd: 1}) {
		t.Fatalf("recovery: %+v, %v", out, err)
	}
	if got := f.types("service-S"); len(got) != 1 {
		t.Fatalf("locator not written by recovery: %v", got)
	}
	if got := f.types("worker-W"); len(got) != 2 {
		t.Errorf("worker-W holds %v, want the reservation kept", got)
	}
	if completed, _, open := f.sagaEnds(); completed != 1 || open != 0 {
		t.Errorf("sagas: %d completed, %d open", completed, open)
	}
	f.verify()
}

func TestSagaLogIsTheStores(t *testing.T) {
	t.Parallel()
	f := newSagaFixture(t)
	ctx := ctxT(t)
	sub, err := f.s.Subscribe(ctx, eventstore.Cursor{})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if _, err := f.s.Append(ctx, service()...); err != nil {
		t.Fatal(err)
	}
	all, err := f.s.ReadAll(ctx, eventstore.Cursor{}, 100)
	if err != nil || len(all) != 5 {
		t.Fatalf("read all: %d events, %v", len(all), err)
	}
	got := collectN(ctx, t, sub, 5)
	for _, e := range append(all, got...) {
		if strings.HasPrefix(e.Stream, sagaPrefix) {
			t.Errorf("a reader saw %s %s", e.Stream, e.Type)
		}
	}
	_, err = f.s.Append(ctx, one(sagaPrefix+uuid.NewString(), eventstore.Any, event("E")))
	if err == nil {
		t.Error("a caller appended to the saga log")
	}
}

func collectN(ctx context.Context, t *testing.T, sub eventstore.Subscription, n int) []eventstore.Event {
	t.Helper()
	var out []eventstore.Event
	for len(out) < n {
		short, cancel := context.WithTimeout(ctx, 5*time.Second)
		got, err := sub.Next(short, n-len(out))
		cancel()
		if err != nil {
			t.Fatalf("after %d events: %v", len(out), err)
		}
		out = append(out, got...)
	}
	return out
}
