// Package eventstore defines the event store port: appending events to one or
// several streams atomically, reading streams and the global log, catch-up
// subscriptions and the per-stream SHA-256 hash chain.
//
// It knows no domain type: events are opaque JSON with an envelope. It must not
// import domain, commands, projections or http.
package eventstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Errors returned at the boundary of every implementation. Backend errors
// (PostgreSQL unique violations, EventStoreDB wrong-expected-version) are
// translated into these.
var (
	// ErrConcurrency means an expected version did not hold, or another
	// writer won the race for the same stream version.
	ErrConcurrency = errors.New("eventstore: concurrency conflict")
	// ErrStreamNotFound means the stream has no events.
	ErrStreamNotFound = errors.New("eventstore: stream not found")
	// ErrDuplicateEvent means some, but not all, event ids of an append were
	// already stored: the append is neither new nor a clean repeat.
	ErrDuplicateEvent = errors.New("eventstore: duplicate event id")
	// ErrEventNotFound means no committed event has the global position
	// asked for (CursorOf).
	ErrEventNotFound = errors.New("eventstore: event not found")
)

// ExpectedVersion is what an append expects of a stream's current version.
// Versions start at 1 for a stream's first event, so an exact expectation is
// the version of the stream's last event.
type ExpectedVersion int64

const (
	// Any accepts the stream in any state.
	Any ExpectedVersion = -1
	// NoStream requires the stream to have no events.
	NoStream ExpectedVersion = 0
	// StreamExists requires the stream to have at least one event.
	StreamExists ExpectedVersion = -2
)

// Exact expects the stream's last event to have version v (v >= 1).
func Exact(v int64) ExpectedVersion { return ExpectedVersion(v) }

// Check reports whether a stream whose last version is current satisfies e.
func (e ExpectedVersion) Check(current int64) bool {
	switch {
	case e == Any:
		return true
	case e == StreamExists:
		return current > 0
	default:
		return current == int64(e)
	}
}

func (e ExpectedVersion) String() string {
	switch e {
	case Any:
		return "any"
	case NoStream:
		return "no-stream"
	case StreamExists:
		return "stream-exists"
	default:
		return fmt.Sprintf("%d", int64(e))
	}
}

// Actor is who caused an event: a codice fiscale (or system name) and a role,
// and, when the actor acted for another person under a delegation (SPEC §9),
// that person's codice fiscale. OnBehalfOf is omitted when empty, so the
// canonical bytes of every event written without it are unchanged and the
// stored hash chains still verify.
type Actor struct {
	ID         string `json:"id"`
	Role       string `json:"role"`
	OnBehalfOf string `json:"on_behalf_of,omitempty"`
}

// EventData is an event as a writer proposes it.
type EventData struct {
	ID            uuid.UUID // unique; appending the same ids again is a no-op
	Type          string    // stable type name, never derived from a Go type
	SchemaVersion int       // version of Data's shape, for upcasting
	Data          []byte    // JSON payload, stored byte for byte
	OccurredAt    time.Time
	Actor         Actor
	CorrelationID uuid.UUID
	CausationID   uuid.UUID // uuid.Nil when nothing caused it but the request
}

// StreamAppend is the part of an atomic append that goes to one stream. One
// with no events writes nothing but still checks Expected: in a multi-stream
// atomic append it makes the whole append depend on a stream it only read.
//
// Compensations and Decides matter only to a store that cannot append to
// several streams in one transaction (EventStoreDB, see Atomicity); the
// others ignore them. Such a store writes the streams one at a time: first
// those with Compensations, then the one that Decides, then the rest.
type StreamAppend struct {
	Stream   string
	Expected ExpectedVersion
	Events   []EventData
	// Compensations, when not empty, undo all of Events: the events to
	// append to Stream, after Events, if the rest of the append fails once
	// Events are stored. They are data like Events (the caller encodes
	// them, with ids of their own); an append whose events cannot all be
	// undone has none.
	Compensations []EventData
	// Decides marks the append without Compensations whose expectation the
	// caller's decision rests on most (at most one per Append). Without it,
	// the first append without Compensations decides.
	Decides bool
}

// Cursor orders the global log for subscriptions and checkpoints. Its meaning
// is the implementation's: PostgreSQL uses (transaction id, position), the
// memory store (0, position), EventStoreDB (commit, prepare). The zero Cursor
// is before the first event.
type Cursor struct {
	Major uint64 `json:"major"`
	Minor uint64 `json:"minor"`
}

// Less reports whether c comes before o.
func (c Cursor) Less(o Cursor) bool {
	if c.Major != o.Major {
		return c.Major < o.Major
	}
	return c.Minor < o.Minor
}

// IsZero reports whether c is the start of the log.
func (c Cursor) IsZero() bool { return c == Cursor{} }

// Event is a stored event with its full envelope.
type Event struct {
	EventData
	Stream     string
	Version    int64  // 1-based position within the stream
	Position   int64  // global position, what API clients see
	Cursor     Cursor // subscription order
	RecordedAt time.Time
	Hash       []byte // SHA-256 of the previous event's hash and this event's canonical bytes
}

// ReadOptions narrows a stream read.
type ReadOptions struct {
	From  int64     // first version to return; 0 or 1 means the beginning
	Until time.Time // when not zero, only events recorded at or before it
}

// Head describes the end of the global log.
type Head struct {
	Cursor     Cursor
	Position   int64
	RecordedAt time.Time
	Events     int64 // number of events in the log
}

// BrokenLink is a stored event whose hash does not match its chain.
type BrokenLink struct {
	Stream   string `json:"stream"`
	Version  int64  `json:"version"`
	Position int64  `json:"position"`
	Reason   string `json:"reason"`
}

// VerifyReport is the outcome of walking the hash chains.
type VerifyReport struct {
	StreamsChecked int          `json:"streams_checked"`
	EventsChecked  int          `json:"events_checked"`
	Broken         []BrokenLink `json:"broken"`
}

// Store is the event store port. Every implementation passes the contract
// suite in eventstore/storetest.
type Store interface {
	// Append writes to every stream of appends atomically: either every
	// expectation holds and all events are stored, or nothing is. It returns
	// the stored events in the order given. Appending events whose ids are
	// all already stored returns the stored events and writes nothing.
	//
	// A store that is not MultiStreamAtomic runs an append to several
	// streams as a saga instead; readers may then see what Atomicity says.
	Append(ctx context.Context, appends ...StreamAppend) ([]Event, error)
	// ReadStream returns a stream's events in version order, or
	// ErrStreamNotFound when it has none.
	ReadStream(ctx context.Context, stream string, opts ReadOptions) ([]Event, error)
	// ReadAll returns at most limit committed events after from, in cursor order.
	ReadAll(ctx context.Context, from Cursor, limit int) ([]Event, error)
	// Subscribe starts a catch-up subscription after from: every committed
	// event is delivered exactly once, in cursor order.
	Subscribe(ctx context.Context, from Cursor) (Subscription, error)
	// CursorOf returns the cursor of the event at a global position, so that
	// a reader can wait until a subscriber has passed it.
	CursorOf(ctx context.Context, position int64) (Cursor, error)
	// Head describes the end of the log.
	Head(ctx context.Context) (Head, error)
	// Verify walks every stream's hash chain and reports each broken link.
	// progress, when not nil, is called now and then with events checked so far.
	Verify(ctx context.Context, progress func(events int)) (VerifyReport, error)
}

// Subscription delivers the global log from a cursor on.
type Subscription interface {
	// Next blocks until at least one event is available (or ctx ends) and
	// returns up to max events in cursor order.
	Next(ctx context.Context, max int) ([]Event, error)
	// Close releases the subscription's resources.
	Close() error
}
