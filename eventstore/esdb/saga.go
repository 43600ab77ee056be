package esdb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"
	"golang.org/x/sync/errgroup"

	"github.com/inps/libretto/eventstore"
)

// EventStoreDB appends to one stream per call. An Append to several streams
// therefore runs as a saga, written down first in a saga-<id> stream that
// the store hides from readers (as it hides system events):
//
//  0. check: every expectation is checked against the streams' heads, so
//     a stale one fails the append before anything is written;
//  1. reserve: the appends that carry Compensations go first, each with its
//     expected version;
//  2. pivot: then the append that Decides (else the first other one), with
//     its expected version: if it or a reservation fails, the stored
//     reservations are followed by their compensations, the saga is aborted
//     and the caller gets ErrConcurrency, as on a conflict;
//  3. forward: then the rest, which can no longer change the outcome: an
//     append whose stream moved meanwhile is appended with Any.
//
// A crash in between leaves the saga open; SagaRecovery finishes it after a
// grace period: forward when the pivot is stored, else back. The port's
// Atomicity says what readers may see; docs/esdb.md discusses the cost.
//
// The store knows no domain type: what undoes a reservation is the caller's
// data (StreamAppend.Compensations), stored as given.

// sagaPrefix names the saga log streams. The store keeps them to itself:
// callers may not append to them and readers of the log do not see them.
const sagaPrefix = "saga-"

// Saga log event types.
const (
	TypeSagaStarted   = "SagaStarted"
	TypeSagaCompleted = "SagaCompleted"
	TypeSagaAborted   = "SagaAborted"
)

const (
	stepReserve = "reserve"
	stepPivot   = "pivot"
	stepForward = "forward"

	// sagaPivotDeadline is how long after a saga started its reservations
	// and pivot may still be appended; DefaultSagaGrace must exceed it, so
	// that recovery never undoes a saga that can still decide.
	sagaPivotDeadline = 30 * time.Second
	// DefaultSagaGrace is how old an open saga must be before SagaRecovery
	// finishes it.
	DefaultSagaGrace = 2 * time.Minute
	// sagaGenerations bounds how often one set of event ids (a caller's
	// retries of one request) is re-planned after aborted sagas.
	sagaGenerations = 64
)

var sagaNamespace = uuid.MustParse("0b6f7f3e-8d7c-5a2e-9c61-3f1e2d4a5b6c")

// sagaEvent is an eventstore.EventData as the saga log keeps it.
type sagaEvent struct {
	ID            uuid.UUID        `json:"id"`
	Type          string           `json:"type"`
	SchemaVersion int              `json:"schema_version"`
	Data          json.RawMessage  `json:"data"`
	OccurredAt    time.Time        `json:"occurred_at"`
	Actor         eventstore.Actor `json:"actor"`
	CorrelationID uuid.UUID        `json:"correlation_id"`
	CausationID   uuid.UUID        `json:"causation_id"`
}

func (e sagaEvent) data() eventstore.EventData {
	return eventstore.EventData{
		ID: e.ID, Type: e.Type, SchemaVersion: e.SchemaVersion, Data: e.Data, OccurredAt: e.OccurredAt,
		Actor: e.Actor, CorrelationID: e.CorrelationID, CausationID: e.CausationID,
	}
}

// sagaStep is one stream's append.
type sagaStep struct {
	Kind          string      `json:"kind"`
	Stream        string      `json:"stream"`
	Expected      int64       `json:"expected"`
	Events        []sagaEvent `json:"events"`
	Compensations []sagaEvent `json:"compensations,omitempty"`
	Index         int         `json:"index"` // position in the caller's appends
}

// sagaPlan is the payload of SagaStarted.
type sagaPlan struct {
	SagaID string     `json:"saga_id"`
	Steps  []sagaStep `json:"steps"`
}

// sagaEnd is the payload of SagaCompleted and SagaAborted.
type sagaEnd struct {
	SagaID    string `json:"saga_id"`
	Reason    string `json:"reason,omitempty"`
	Recovered bool   `json:"recovered,omitempty"`
}

func (st sagaStep) append(expected eventstore.ExpectedVersion) eventstore.StreamAppend {
	return eventstore.StreamAppend{Stream: st.Stream, Expected: expected, Events: datas(st.Events)}
}

func datas(events []sagaEvent) []eventstore.EventData {
	out := make([]eventstore.EventData, len(events))
	for i, e := range events {
		out[i] = e.data()
	}
	return out
}

// planSaga orders appends into steps; appends without events (checks) are
// not steps. Generation g > 0 gives every event and compensation a fresh id
// derived from its own, because the ids of an aborted saga are spent (its
// reservations and their compensations hold them).
func planSaga(appends []eventstore.StreamAppend, g int) sagaPlan {
	remap := map[uuid.UUID]uuid.UUID{}
	idOf := func(id uuid.UUID) uuid.UUID {
		if g == 0 {
			return id
		}
		n := uuid.NewSHA1(sagaNamespace, fmt.Appendf(nil, "%s/%d", id, g))
		remap[id] = n
		return n
	}
	convert := func(events []eventstore.EventData) []sagaEvent {
		out := make([]sagaEvent, len(events))
		for i, e := range events {
			out[i] = sagaEvent{
				ID: idOf(e.ID), Type: e.Type, SchemaVersion: e.SchemaVersion, Data: json.RawMessage(e.Data), OccurredAt: e.OccurredAt,
				Actor: e.Actor, CorrelationID: e.CorrelationID, CausationID: e.CausationID,
			}
		}
		return out
	}
	var first uuid.UUID
	var steps []sagaStep
	pivot := -1
	for i, a := range appends {
		if len(a.Events) == 0 {
			continue
		}
		if first == uuid.Nil {
			first = a.Events[0].ID
		}
		st := sagaStep{Kind: stepForward, Stream: a.Stream, Expected: int64(a.Expected), Index: i, Events: convert(a.Events)}
		if len(a.Compensations) > 0 {
			st.Kind, st.Compensations = stepReserve, convert(a.Compensations)
		}
		if a.Decides && st.Kind == stepForward {
			pivot = len(steps)
		}
		steps = append(steps, st)
	}
	for i := range steps {
		for _, events := range [][]sagaEvent{steps[i].Events, steps[i].Compensations} {
			for j := range events {
				if n, ok := remap[events[j].CausationID]; ok {
					events[j].CausationID = n
				}
			}
		}
	}
	if pivot < 0 {
		pivot = slices.IndexFunc(steps, func(st sagaStep) bool { return st.Kind == stepForward })
	}
	if pivot >= 0 {
		steps[pivot].Kind = stepPivot
	}
	rank := map[string]int{stepReserve: 0, stepPivot: 1, stepForward: 2}
	slices.SortStableFunc(steps, func(a, b sagaStep) int { return rank[a.Kind] - rank[b.Kind] })
	id := uuid.NewSHA1(sagaNamespace, fmt.Appendf(nil, "%s/saga/%d", first, g))
	return sagaPlan{SagaID: id.String(), Steps: steps}
}

// sagaLogEvent is an event of the saga log, with an id derived from the
// saga's so that writing it again is a no-op.
func sagaLogEvent(sagaID, typ string, payload any, like sagaEvent) (eventstore.EventData, error) {
	raw, err := json.Marshal(payload)
	if err != nil {
		return eventstore.EventData{}, err
	}
	return eventstore.EventData{
		ID:            uuid.NewSHA1(sagaNamespace, []byte(sagaID+"/"+typ)),
		Type:          typ,
		SchemaVersion: 1,
		Data:          raw,
		OccurredAt:    like.OccurredAt,
		Actor:         like.Actor,
		CorrelationID: like.CorrelationID,
	}, nil
}

// anyEvent is some event of the plan, whose envelope the saga log borrows.
func (p sagaPlan) anyEvent() sagaEvent {
	for _, st := range p.Steps {
		if len(st.Events) > 0 {
			return st.Events[0]
		}
	}
	return sagaEvent{}
}

// appendSeveral appends to several streams (see the top of this file).
func (s *Store) appendSeveral(ctx context.Context, appends []eventstore.StreamAppend) ([]eventstore.Event, error) {
	var writes []eventstore.StreamAppend
	for _, a := range appends {
		if len(a.Events) > 0 {
			writes = append(writes, a)
		}
	}
	if len(writes) <= 1 {
		// One write and checks: no saga, nothing to undo.
		return s.checkThenAppend(ctx, appends, writes)
	}
	for g := 0; g < sagaGenerations; g++ {
		plan := planSaga(appends, g)
		log := sagaPrefix + plan.SagaID
		prior, err := s.ReadStream(ctx, log, eventstore.ReadOptions{})
		switch {
		case errors.Is(err, eventstore.ErrStreamNotFound):
		case err != nil:
			return nil, fmt.Errorf("eventstore/esdb: saga %s: %w", plan.SagaID, err)
		case len(prior) > 0 && prior[len(prior)-1].Type == TypeSagaAborted:
			continue // these ids are spent: plan again with fresh ones
		case len(prior) > 0 && prior[len(prior)-1].Type == TypeSagaCompleted:
			return s.sagaStored(ctx, plan) // the same append again: a no-op
		default:
			return nil, fmt.Errorf("%w: saga %s is still open", eventstore.ErrConcurrency, plan.SagaID)
		}
		if err := s.check(ctx, appends); err != nil {
			return nil, err
		}
		started, err := sagaLogEvent(plan.SagaID, TypeSagaStarted, plan, plan.anyEvent())
		if err != nil {
			return nil, err
		}
		start := s.now()
		if _, err := s.appendOne(ctx, eventstore.StreamAppend{Stream: log, Expected: eventstore.NoStream, Events: []eventstore.EventData{started}}); err != nil {
			return nil, fmt.Errorf("eventstore/esdb: saga %s: start: %w", plan.SagaID, err)
		}
		return s.executeSaga(ctx, plan, start)
	}
	return nil, fmt.Errorf("%w: %d aborted sagas for one append", eventstore.ErrConcurrency, sagaGenerations)
}

// checkThenAppend checks every expectation, then appends the one write
// there is (if any). A repeat of that write returns its stored events
// whatever the checked streams did since, as an atomic store would.
func (s *Store) checkThenAppend(ctx context.Context, appends, writes []eventstore.StreamAppend) ([]eventstore.Event, error) {
	if len(writes) == 1 {
		tail, err := s.tail(ctx, writes[0].Stream, max(len(writes[0].Events), anyWindow))
		if err != nil {
			return nil, err
		}
		if stored, err := s.repeat(ctx, writes[0], tail, lastVersion(tail)); stored != nil || err != nil {
			return stored, err
		}
	}
	if err := s.check(ctx, appends); err != nil {
		return nil, err
	}
	if len(writes) == 0 {
		return []eventstore.Event{}, nil
	}
	return s.appendStep(ctx, writes[0])
}

// check reads the head of every stream with an expectation and fails with
// ErrConcurrency when one does not hold. The reads run in parallel.
func (s *Store) check(ctx context.Context, appends []eventstore.StreamAppend) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for _, a := range appends {
		if a.Expected == eventstore.Any {
			continue
		}
		g.Go(func() error {
			tail, err := s.tail(gctx, a.Stream, 1)
			if err != nil {
				return err
			}
			if current := lastVersion(tail); !a.Expected.Check(current) {
				return fmt.Errorf("%w: stream %s is at version %d, expected %s", eventstore.ErrConcurrency, a.Stream, current, a.Expected)
			}
			return nil
		})
	}
	return g.Wait()
}

// appendStep appends one step of a saga; tests inject faults here.
func (s *Store) appendStep(ctx context.Context, a eventstore.StreamAppend) ([]eventstore.Event, error) {
	if s.fault != nil {
		if err := s.fault(a.Stream); err != nil {
			return nil, err
		}
	}
	return s.appendOne(ctx, a)
}

func (s *Store) executeSaga(ctx context.Context, plan sagaPlan, start time.Time) ([]eventstore.Event, error) {
	stored := make([][]eventstore.Event, len(plan.Steps))
	for i, st := range plan.Steps {
		if st.Kind != stepForward && s.now().Sub(start) > sagaPivotDeadline {
			return nil, s.abortSaga(ctx, plan, stored, fmt.Errorf("%w: saga %s took too long to decide", eventstore.ErrConcurrency, plan.SagaID))
		}
		got, err := s.appendStep(ctx, st.append(eventstore.ExpectedVersion(st.Expected)))
		if err != nil && st.Kind == stepForward && errors.Is(err, eventstore.ErrConcurrency) {
			// The outcome was decided at the pivot; this stream moved
			// meanwhile, so append on top of it.
			got, err = s.appendStep(ctx, st.append(eventstore.Any))
		}
		switch {
		case err == nil:
			stored[i] = got
		case st.Kind != stepForward && (errors.Is(err, eventstore.ErrConcurrency) || errors.Is(err, eventstore.ErrDuplicateEvent)):
			return nil, s.abortSaga(ctx, plan, stored, err)
		default:
			// The outcome is unknown (the server may have stored it):
			// leave the saga open for recovery to finish either way.
			return nil, fmt.Errorf("eventstore/esdb: saga %s: %s: %w", plan.SagaID, st.Stream, err)
		}
	}
	if err := s.closeSaga(ctx, plan, TypeSagaCompleted, sagaEnd{SagaID: plan.SagaID}); err != nil {
		return nil, err
	}
	return inCallerOrder(plan, stored), nil
}

// closeSaga writes the saga's last event. A conflict means another node
// (recovery) closed it first.
func (s *Store) closeSaga(ctx context.Context, plan sagaPlan, typ string, end sagaEnd) error {
	e, err := sagaLogEvent(plan.SagaID, typ, end, plan.anyEvent())
	if err != nil {
		return err
	}
	_, err = s.appendOne(ctx, eventstore.StreamAppend{Stream: sagaPrefix + plan.SagaID, Expected: eventstore.Exact(1), Events: []eventstore.EventData{e}})
	if err != nil && !errors.Is(err, eventstore.ErrConcurrency) {
		return fmt.Errorf("eventstore/esdb: saga %s: %s: %w", plan.SagaID, typ, err)
	}
	return nil
}

// inCallerOrder flattens the stored events in the order of the caller's
// appends, as an atomic Append returns them.
func inCallerOrder(plan sagaPlan, stored [][]eventstore.Event) []eventstore.Event {
	type indexed struct {
		index  int
		events []eventstore.Event
	}
	byIndex := make([]indexed, len(plan.Steps))
	for i, st := range plan.Steps {
		byIndex[i] = indexed{st.Index, stored[i]}
	}
	slices.SortFunc(byIndex, func(a, b indexed) int { return a.index - b.index })
	out := []eventstore.Event{}
	for _, x := range byIndex {
		out = append(out, x.events...)
	}
	return out
}

// abortSaga compensates the stored reservations, closes the saga and
// returns cause (or why the compensation failed: recovery retries it).
func (s *Store) abortSaga(ctx context.Context, plan sagaPlan, stored [][]eventstore.Event, cause error) error {
	for i, st := range plan.Steps {
		if st.Kind != stepReserve || stored[i] == nil {
			continue
		}
		if err := s.compensate(ctx, st); err != nil {
			return fmt.Errorf("eventstore/esdb: saga %s: compensating %s after %v: %w", plan.SagaID, st.Stream, cause, err)
		}
	}
	if err := s.closeSaga(ctx, plan, TypeSagaAborted, sagaEnd{SagaID: plan.SagaID, Reason: cause.Error()}); err != nil {
		return fmt.Errorf("%w (after %v)", err, cause)
	}
	return cause
}

// compensate appends the compensations of a stored reservation that its
// stream does not hold yet.
func (s *Store) compensate(ctx context.Context, st sagaStep) error {
	events, err := s.missing(ctx, st.Stream, datas(st.Compensations))
	if err != nil || len(events) == 0 {
		return err
	}
	_, err = s.appendOne(ctx, eventstore.StreamAppend{Stream: st.Stream, Expected: eventstore.Any, Events: events})
	return err
}

// missing returns the events of events that stream does not hold yet.
func (s *Store) missing(ctx context.Context, stream string, events []eventstore.EventData) ([]eventstore.EventData, error) {
	held, err := s.held(ctx, stream)
	if err != nil {
		return nil, err
	}
	var out []eventstore.EventData
	for _, e := range events {
		if _, ok := held[e.ID]; !ok {
			out = append(out, e)
		}
	}
	return out, nil
}

// held indexes a stream's events by id.
func (s *Store) held(ctx context.Context, stream string) (map[uuid.UUID]eventstore.Event, error) {
	events, err := s.ReadStream(ctx, stream, eventstore.ReadOptions{})
	if err != nil && !errors.Is(err, eventstore.ErrStreamNotFound) {
		return nil, err
	}
	held := make(map[uuid.UUID]eventstore.Event, len(events))
	for _, e := range events {
		held[e.ID] = e
	}
	return held, nil
}

// stepStored reports whether every event of a step is in its stream.
func (s *Store) stepStored(ctx context.Context, st sagaStep) ([]eventstore.Event, bool, error) {
	held, err := s.held(ctx, st.Stream)
	if err != nil {
		return nil, false, err
	}
	out := make([]eventstore.Event, 0, len(st.Events))
	for _, e := range st.Events {
		got, ok := held[e.ID]
		if !ok {
			return nil, false, nil
		}
		out = append(out, got)
	}
	return out, true, nil
}

// sagaStored returns the events a completed saga stored.
func (s *Store) sagaStored(ctx context.Context, plan sagaPlan) ([]eventstore.Event, error) {
	stored := make([][]eventstore.Event, len(plan.Steps))
	for i, st := range plan.Steps {
		got, ok, err := s.stepStored(ctx, st)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("eventstore/esdb: saga %s completed but %s lacks its events", plan.SagaID, st.Stream)
		}
		stored[i] = got
	}
	return inCallerOrder(plan, stored), nil
}

// SagaRecovery finishes sagas left open by a crash. The application runs
// it at start-up and then periodically (every minute, say).
type SagaRecovery struct {
	s     *Store
	grace time.Duration
	after eventstore.Cursor   // log read up to here
	open  map[string]openSaga // saga log stream → its plan
}

type openSaga struct {
	plan    sagaPlan
	started time.Time
}

// NewSagaRecovery returns a recovery that finishes sagas older than grace
// (DefaultSagaGrace when zero or less; never less than twice the 30 s in
// which a saga may still decide).
func (s *Store) NewSagaRecovery(grace time.Duration) *SagaRecovery {
	if grace <= 0 {
		grace = DefaultSagaGrace
	}
	grace = max(grace, 2*sagaPivotDeadline)
	return &SagaRecovery{s: s, grace: grace, open: map[string]openSaga{}}
}

// SagaOutcome counts what one recovery run did.
type SagaOutcome struct {
	Open       int // sagas still open and younger than the grace period
	RolledFwd  int // pivot stored: the remaining steps were appended
	RolledBack int // pivot not stored: reservations compensated
}

// Run reads the log since the last run and finishes every saga that has
// been open for longer than the grace period at now.
func (r *SagaRecovery) Run(ctx context.Context, now time.Time) (SagaOutcome, error) {
	var out SagaOutcome
	prefix := r.s.ns + sagaPrefix
	err := r.s.scanAll(ctx, r.after, func(rec *esdb.RecordedEvent) (bool, error) {
		r.after = cursorOf(rec.Position)
		if !strings.HasPrefix(rec.StreamID, prefix) || strings.HasPrefix(rec.EventType, "$") {
			return true, nil
		}
		e, err := r.s.decode(rec)
		if err != nil {
			return false, err
		}
		switch e.Type {
		case TypeSagaStarted:
			var p sagaPlan
			if err := json.Unmarshal(e.Data, &p); err != nil {
				return false, fmt.Errorf("eventstore/esdb: saga recovery: %s: %w", e.Stream, err)
			}
			r.open[e.Stream] = openSaga{plan: p, started: e.RecordedAt}
		case TypeSagaCompleted, TypeSagaAborted:
			delete(r.open, e.Stream)
		}
		return true, nil
	})
	if err != nil {
		return out, fmt.Errorf("eventstore/esdb: saga recovery: %w", err)
	}
	for stream, o := range r.open {
		if now.Sub(o.started) < r.grace {
			out.Open++
			continue
		}
		forward, err := r.s.finishSaga(ctx, o.plan)
		if err != nil {
			return out, err
		}
		if forward {
			out.RolledFwd++
		} else {
			out.RolledBack++
		}
		delete(r.open, stream)
	}
	return out, nil
}

// finishSaga completes an open saga forward when its pivot is stored, else
// compensates its stored reservations; it reports which.
func (s *Store) finishSaga(ctx context.Context, plan sagaPlan) (forward bool, err error) {
	// Without a pivot (only reservations) the saga decided nothing yet.
	pivotStored := false
	for _, st := range plan.Steps {
		if st.Kind == stepPivot {
			if _, pivotStored, err = s.stepStored(ctx, st); err != nil {
				return false, err
			}
		}
	}
	if pivotStored {
		for _, st := range plan.Steps {
			if st.Kind != stepForward {
				continue
			}
			a := st.append(eventstore.Any)
			if a.Events, err = s.missing(ctx, st.Stream, a.Events); err != nil {
				return false, err
			}
			if len(a.Events) == 0 {
				continue
			}
			if _, err := s.appendOne(ctx, a); err != nil {
				return false, fmt.Errorf("eventstore/esdb: saga %s: roll %s forward: %w", plan.SagaID, st.Stream, err)
			}
		}
		return true, s.closeSaga(ctx, plan, TypeSagaCompleted, sagaEnd{SagaID: plan.SagaID, Recovered: true})
	}
	for _, st := range plan.Steps {
		if st.Kind != stepReserve {
			continue
		}
		held, err := s.held(ctx, st.Stream)
		if err != nil {
			return false, err
		}
		if !slices.ContainsFunc(st.Events, func(e sagaEvent) bool { _, ok := held[e.ID]; return ok }) {
			continue // never reserved: nothing to undo
		}
		if err := s.compensate(ctx, st); err != nil {
			return false, fmt.Errorf("eventstore/esdb: saga %s: roll %s back: %w", plan.SagaID, st.Stream, err)
		}
	}
	return false, s.closeSaga(ctx, plan, TypeSagaAborted, sagaEnd{SagaID: plan.SagaID, Reason: "left open by a crash", Recovered: true})
}
