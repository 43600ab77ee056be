package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/eventstore"
)

// A command touching several aggregates appends to all of them atomically.
// EventStoreDB cannot (eventstore.ErrNotAtomic), so on such a store the
// append runs as a saga, written down first in a saga-<id> stream:
//
//  1. reserve: appends whose every event has a compensating event
//     (WorkerServiceBooked → WorkerServiceReleased, RefundReserved →
//     RefundReservationReleased) go first, each with its expected version,
//     so the worker's yearly cap is taken before anything else is written;
//  2. pivot: then the one append that decides (the booklet's when there is
//     one), with its expected version: if it or a reservation fails, the
//     stored reservations are compensated, the saga is aborted and the
//     command retries from scratch, as it does on a conflict;
//  3. forward: then the rest (claim, worker releases, locators), which can
//     no longer change the decision: on a conflict they are appended with
//     expected version Any.
//
// A crash in between leaves the saga open; SagaRecovery finishes it after a
// grace period: forward when the pivot is stored, else back (reservations
// released). docs/esdb.md discusses the trade-off.

// Saga stream event types. They are the commands' bookkeeping, not domain
// events: projections ignore them.
const (
	TypeSagaStarted   = "SagaStarted"
	TypeSagaCompleted = "SagaCompleted"
	TypeSagaAborted   = "SagaAborted"
)

// SagaStream names the saga log stream of id.
func SagaStream(id string) string { return "saga-" + id }

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
	// sagaGenerations bounds how often one set of event ids (one
	// idempotency key) is re-planned after aborted sagas.
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

// sagaStep is one stream's append.
type sagaStep struct {
	Kind     string      `json:"kind"`
	Stream   string      `json:"stream"`
	Expected int64       `json:"expected"`
	Events   []sagaEvent `json:"events"`
	Index    int         `json:"index"` // position in the command's appends
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

func (s sagaStep) append(expected eventstore.ExpectedVersion) eventstore.StreamAppend {
	events := make([]eventstore.EventData, len(s.Events))
	for i, e := range s.Events {
		events[i] = eventstore.EventData{
			ID: e.ID, Type: e.Type, SchemaVersion: e.SchemaVersion, Data: e.Data, OccurredAt: e.OccurredAt,
			Actor: e.Actor, CorrelationID: e.CorrelationID, CausationID: e.CausationID,
		}
	}
	return eventstore.StreamAppend{Stream: s.Stream, Expected: expected, Events: events}
}

// appendAtomically appends a command's streams: in one atomic Append when
// the store can, else as a saga.
func (h *Handler) appendAtomically(ctx context.Context, appends []eventstore.StreamAppend) ([]eventstore.Event, error) {
	if len(appends) < 2 || eventstore.MultiStreamAtomic(h.store) {
		return h.store.Append(ctx, appends...)
	}
	return h.runSaga(ctx, appends, time.Now)
}

// compensation is the event that undoes a reserving event, or false.
func compensation(e sagaEvent) (domain.Event, bool) {
	switch e.Type {
	case domain.TypeWorkerServiceBooked:
		var b domain.WorkerServiceBooked
		if json.Unmarshal(e.Data, &b) != nil {
			return nil, false
		}
		return domain.WorkerServiceReleased{ServiceID: b.ServiceID}, true
	case domain.TypeRefundReserved:
		var r domain.RefundReserved
		if json.Unmarshal(e.Data, &r) != nil {
			return nil, false
		}
		return domain.RefundReservationReleased{RefundID: r.RefundID, AmountCents: r.AmountCents}, true
	}
	return nil, false
}

// planSaga orders a command's appends into steps. Generation g > 0 gives
// every event a fresh id derived from its own, because the ids of an
// aborted saga are spent (its reservations and their releases hold them).
func planSaga(appends []eventstore.StreamAppend, g int) sagaPlan {
	remap := map[uuid.UUID]uuid.UUID{}
	idOf := func(id uuid.UUID) uuid.UUID {
		if g == 0 {
			return id
		}
		if n, ok := remap[id]; ok {
			return n
		}
		n := uuid.NewSHA1(sagaNamespace, fmt.Appendf(nil, "%s/%d", id, g))
		remap[id] = n
		return n
	}
	var first uuid.UUID
	steps := make([]sagaStep, 0, len(appends))
	for i, a := range appends {
		st := sagaStep{Kind: stepForward, Stream: a.Stream, Expected: int64(a.Expected), Index: i}
		reserve := len(a.Events) > 0
		for _, e := range a.Events {
			if first == uuid.Nil {
				first = e.ID
			}
			se := sagaEvent{
				ID: idOf(e.ID), Type: e.Type, SchemaVersion: e.SchemaVersion, Data: json.RawMessage(e.Data), OccurredAt: e.OccurredAt,
				Actor: e.Actor, CorrelationID: e.CorrelationID, CausationID: e.CausationID,
			}
			if _, ok := compensation(se); !ok {
				reserve = false
			}
			st.Events = append(st.Events, se)
		}
		if reserve {
			st.Kind = stepReserve
		}
		steps = append(steps, st)
	}
	for i := range steps {
		for j := range steps[i].Events {
			if n, ok := remap[steps[i].Events[j].CausationID]; ok {
				steps[i].Events[j].CausationID = n
			}
		}
	}
	// The pivot is the booklet's append when there is one (its rules are
	// the ones a command is about), else the first that is not a
	// reservation.
	pivot := -1
	for i, st := range steps {
		if st.Kind == stepForward && strings.HasPrefix(st.Stream, "booklet-") {
			pivot = i
			break
		}
	}
	if pivot < 0 {
		pivot = slices.IndexFunc(steps, func(st sagaStep) bool { return st.Kind == stepForward })
	}
	if pivot >= 0 {
		steps[pivot].Kind = stepPivot
	}
	rank := func(st sagaStep) int {
		switch {
		case st.Kind == stepReserve:
			return 0
		case st.Kind == stepPivot:
			return 1
		case strings.HasPrefix(st.Stream, "service-") || strings.HasPrefix(st.Stream, "refund-"):
			return 3 // locators last: until they exist the entity cannot be named
		default:
			return 2
		}
	}
	slices.SortStableFunc(steps, func(a, b sagaStep) int { return rank(a) - rank(b) })
	id := uuid.NewSHA1(sagaNamespace, fmt.Appendf(nil, "%s/saga/%d", first, g))
	if first == uuid.Nil {
		id = uuid.New()
	}
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

// runSaga appends appends as a saga (see the top of this file).
func (h *Handler) runSaga(ctx context.Context, appends []eventstore.StreamAppend, now func() time.Time) ([]eventstore.Event, error) {
	for g := 0; g < sagaGenerations; g++ {
		plan := planSaga(appends, g)
		log := SagaStream(plan.SagaID)
		prior, err := h.store.ReadStream(ctx, log, eventstore.ReadOptions{})
		switch {
		case errors.Is(err, eventstore.ErrStreamNotFound):
		case err != nil:
			return nil, fmt.Errorf("commands: saga %s: %w", plan.SagaID, err)
		case len(prior) > 0 && prior[len(prior)-1].Type == TypeSagaAborted:
			continue // these ids are spent: plan again with fresh ones
		case len(prior) > 0 && prior[len(prior)-1].Type == TypeSagaCompleted:
			return h.sagaStored(ctx, plan) // the same command again: a no-op
		default:
			return nil, fmt.Errorf("%w: saga %s is still open", eventstore.ErrConcurrency, plan.SagaID)
		}
		started, err := sagaLogEvent(plan.SagaID, TypeSagaStarted, plan, plan.anyEvent())
		if err != nil {
			return nil, err
		}
		start := now()
		if _, err := h.store.Append(ctx, eventstore.StreamAppend{Stream: log, Expected: eventstore.NoStream, Events: []eventstore.EventData{started}}); err != nil {
			return nil, fmt.Errorf("commands: saga %s: start: %w", plan.SagaID, err)
		}
		return h.executeSaga(ctx, plan, start, now)
	}
	return nil, fmt.Errorf("%w: %d aborted sagas for one command", eventstore.ErrConcurrency, sagaGenerations)
}

func (h *Handler) executeSaga(ctx context.Context, plan sagaPlan, start time.Time, now func() time.Time) ([]eventstore.Event, error) {
	stored := make([][]eventstore.Event, len(plan.Steps))
	for i, st := range plan.Steps {
		if st.Kind != stepForward && now().Sub(start) > sagaPivotDeadline {
			return nil, h.abortSaga(ctx, plan, stored, fmt.Errorf("%w: saga %s took too long to decide", eventstore.ErrConcurrency, plan.SagaID))
		}
		got, err := h.store.Append(ctx, st.append(eventstore.ExpectedVersion(st.Expected)))
		if err != nil && st.Kind == stepForward && errors.Is(err, eventstore.ErrConcurrency) {
			// The decision was taken at the pivot; this stream moved
			// meanwhile (a locator cannot), so append on top of it.
			got, err = h.store.Append(ctx, st.append(eventstore.Any))
		}
		switch {
		case err == nil:
			stored[i] = got
		case st.Kind != stepForward && (errors.Is(err, eventstore.ErrConcurrency) || errors.Is(err, eventstore.ErrDuplicateEvent)):
			return nil, h.abortSaga(ctx, plan, stored, err)
		default:
			// The outcome is unknown (the server may have stored it):
			// leave the saga open for recovery to finish either way.
			return nil, fmt.Errorf("commands: saga %s: %s: %w", plan.SagaID, st.Stream, err)
		}
	}
	done, err := sagaLogEvent(plan.SagaID, TypeSagaCompleted, sagaEnd{SagaID: plan.SagaID}, plan.anyEvent())
	if err != nil {
		return nil, err
	}
	if _, err := h.store.Append(ctx, eventstore.StreamAppend{Stream: SagaStream(plan.SagaID), Expected: eventstore.Exact(1), Events: []eventstore.EventData{done}}); err != nil && !errors.Is(err, eventstore.ErrConcurrency) {
		return nil, fmt.Errorf("commands: saga %s: complete: %w", plan.SagaID, err)
	}
	return inCommandOrder(plan, stored), nil
}

// inCommandOrder flattens the stored events in the order of the command's
// appends, as an atomic Append returns them.
func inCommandOrder(plan sagaPlan, stored [][]eventstore.Event) []eventstore.Event {
	byIndex := make([][]eventstore.Event, len(plan.Steps))
	for i, st := range plan.Steps {
		byIndex[st.Index] = stored[i]
	}
	var out []eventstore.Event
	for _, events := range byIndex {
		out = append(out, events...)
	}
	return out
}

// abortSaga compensates the stored reservations, closes the saga and
// returns cause (or why the compensation failed: recovery retries it).
func (h *Handler) abortSaga(ctx context.Context, plan sagaPlan, stored [][]eventstore.Event, cause error) error {
	for i, st := range plan.Steps {
		if st.Kind != stepReserve || stored[i] == nil {
			continue
		}
		if err := h.compensate(ctx, plan.SagaID, st); err != nil {
			return fmt.Errorf("commands: saga %s: compensating %s after %v: %w", plan.SagaID, st.Stream, cause, err)
		}
	}
	end, err := sagaLogEvent(plan.SagaID, TypeSagaAborted, sagaEnd{SagaID: plan.SagaID, Reason: cause.Error()}, plan.anyEvent())
	if err != nil {
		return err
	}
	if _, err := h.store.Append(ctx, eventstore.StreamAppend{Stream: SagaStream(plan.SagaID), Expected: eventstore.Exact(1), Events: []eventstore.EventData{end}}); err != nil && !errors.Is(err, eventstore.ErrConcurrency) {
		return fmt.Errorf("commands: saga %s: abort after %v: %w", plan.SagaID, cause, err)
	}
	return cause
}

// compensate appends the compensating events of a stored reservation
// step; each names the event it undoes as its cause.
func (h *Handler) compensate(ctx context.Context, sagaID string, st sagaStep) error {
	events := make([]eventstore.EventData, 0, len(st.Events))
	for _, e := range st.Events {
		undo, ok := compensation(e)
		if !ok {
			continue
		}
		raw, err := json.Marshal(undo)
		if err != nil {
			return err
		}
		events = append(events, eventstore.EventData{
			ID:            uuid.NewSHA1(sagaNamespace, []byte(sagaID+"/undo/"+e.ID.String())),
			Type:          undo.EventType(),
			SchemaVersion: domain.SchemaVersion,
			Data:          raw,
			OccurredAt:    e.OccurredAt,
			Actor:         e.Actor,
			CorrelationID: e.CorrelationID,
			CausationID:   e.ID,
		})
	}
	events, err := h.missing(ctx, st.Stream, events)
	if err != nil || len(events) == 0 {
		return err
	}
	_, err = h.store.Append(ctx, eventstore.StreamAppend{Stream: st.Stream, Expected: eventstore.Any, Events: events})
	return err
}

// missing returns the events of events that stream does not hold yet.
func (h *Handler) missing(ctx context.Context, stream string, events []eventstore.EventData) ([]eventstore.EventData, error) {
	held, err := h.held(ctx, stream)
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
func (h *Handler) held(ctx context.Context, stream string) (map[uuid.UUID]eventstore.Event, error) {
	events, err := h.store.ReadStream(ctx, stream, eventstore.ReadOptions{})
	if err != nil && !errors.Is(err, eventstore.ErrStreamNotFound) {
		return nil, fmt.Errorf("commands: read %s: %w", stream, err)
	}
	held := make(map[uuid.UUID]eventstore.Event, len(events))
	for _, e := range events {
		held[e.ID] = e
	}
	return held, nil
}

// stepStored reports whether every event of a step is in its stream.
func (h *Handler) stepStored(ctx context.Context, st sagaStep) ([]eventstore.Event, bool, error) {
	held, err := h.held(ctx, st.Stream)
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
func (h *Handler) sagaStored(ctx context.Context, plan sagaPlan) ([]eventstore.Event, error) {
	stored := make([][]eventstore.Event, len(plan.Steps))
	for i, st := range plan.Steps {
		got, ok, err := h.stepStored(ctx, st)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("commands: saga %s completed but %s lacks its events", plan.SagaID, st.Stream)
		}
		stored[i] = got
	}
	return inCommandOrder(plan, stored), nil
}

// SagaRecovery finishes sagas left open by a crash. The application runs
// it at start-up and then periodically (every minute, say); on a store
// that appends to several streams atomically it does nothing.
type SagaRecovery struct {
	h     *Handler
	grace time.Duration
	after eventstore.Cursor   // log read up to here
	open  map[string]openSaga // saga log stream → its plan
}

type openSaga struct {
	plan    sagaPlan
	started time.Time
}

// NewSagaRecovery returns a recovery that finishes sagas older than grace
// (DefaultSagaGrace when zero or less; never less than the pivot deadline).
func (h *Handler) NewSagaRecovery(grace time.Duration) *SagaRecovery {
	if grace <= 0 {
		grace = DefaultSagaGrace
	}
	grace = max(grace, 2*sagaPivotDeadline)
	return &SagaRecovery{h: h, grace: grace, open: map[string]openSaga{}}
}

// SagaOutcome counts what one recovery run did.
type SagaOutcome struct {
	Open       int // sagas still open and younger than the grace period
	RolledFwd  int // pivot stored: the remaining steps were appended
	RolledBack int // pivot not stored: reservations released
}

// Run reads the log since the last run and finishes every saga that has
// been open for longer than the grace period at now.
func (r *SagaRecovery) Run(ctx context.Context, now time.Time) (SagaOutcome, error) {
	var out SagaOutcome
	if eventstore.MultiStreamAtomic(r.h.store) {
		return out, nil
	}
	const batch = 1000
	for {
		events, err := r.h.store.ReadAll(ctx, r.after, batch)
		if err != nil {
			return out, fmt.Errorf("commands: saga recovery: %w", err)
		}
		for _, e := range events {
			if !strings.HasPrefix(e.Stream, "saga-") {
				continue
			}
			switch e.Type {
			case TypeSagaStarted:
				var p sagaPlan
				if err := json.Unmarshal(e.Data, &p); err != nil {
					return out, fmt.Errorf("commands: saga recovery: %s: %w", e.Stream, err)
				}
				r.open[e.Stream] = openSaga{plan: p, started: e.RecordedAt}
			case TypeSagaCompleted, TypeSagaAborted:
				delete(r.open, e.Stream)
			}
		}
		if len(events) > 0 {
			r.after = events[len(events)-1].Cursor
		}
		if len(events) < batch {
			break
		}
	}
	for stream, s := range r.open {
		if now.Sub(s.started) < r.grace {
			out.Open++
			continue
		}
		forward, err := r.h.finishSaga(ctx, s.plan)
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
func (h *Handler) finishSaga(ctx context.Context, plan sagaPlan) (forward bool, err error) {
	// Without a pivot (only reservations) the saga decided nothing yet.
	pivotStored := false
	for _, st := range plan.Steps {
		if st.Kind == stepPivot {
			if _, pivotStored, err = h.stepStored(ctx, st); err != nil {
				return false, err
			}
		}
	}
	like := plan.anyEvent()
	var end eventstore.EventData
	if pivotStored {
		for _, st := range plan.Steps {
			if st.Kind == stepReserve || st.Kind == stepPivot {
				continue
			}
			a := st.append(eventstore.Any)
			if a.Events, err = h.missing(ctx, st.Stream, a.Events); err != nil {
				return false, err
			}
			if len(a.Events) == 0 {
				continue
			}
			if _, err := h.store.Append(ctx, a); err != nil {
				return false, fmt.Errorf("commands: saga %s: roll %s forward: %w", plan.SagaID, st.Stream, err)
			}
		}
		end, err = sagaLogEvent(plan.SagaID, TypeSagaCompleted, sagaEnd{SagaID: plan.SagaID, Recovered: true}, like)
	} else {
		for _, st := range plan.Steps {
			if st.Kind != stepReserve {
				continue
			}
			_, held, err := h.stepStored(ctx, st)
			if err != nil {
				return false, err
			}
			if !held {
				continue // never reserved: nothing to release
			}
			if err := h.compensate(ctx, plan.SagaID, st); err != nil {
				return false, fmt.Errorf("commands: saga %s: roll %s back: %w", plan.SagaID, st.Stream, err)
			}
		}
		end, err = sagaLogEvent(plan.SagaID, TypeSagaAborted, sagaEnd{SagaID: plan.SagaID, Reason: "left open by a crash", Recovered: true}, like)
	}
	if err != nil {
		return false, err
	}
	if _, err := h.store.Append(ctx, eventstore.StreamAppend{Stream: SagaStream(plan.SagaID), Expected: eventstore.Exact(1), Events: []eventstore.EventData{end}}); err != nil && !errors.Is(err, eventstore.ErrConcurrency) {
		return false, fmt.Errorf("commands: saga %s: close: %w", plan.SagaID, err)
	}
	return pivotStored, nil
}
