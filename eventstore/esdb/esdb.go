// Package esdb implements the event store port on EventStoreDB with the v4
// gRPC client (github.com/EventStore/EventStore-Client-Go/v4).
//
// The mapping (docs/esdb.md has the whole story):
//   - a port stream is an EventStoreDB stream of the same name;
//   - a version (1-based) is a stream revision + 1, so Exact(v) is
//     esdb.Revision(v-1), NoStream is esdb.NoStream;
//   - Any and StreamExists are turned into an exact revision after reading
//     the stream's last event, because the hash chain needs that event: the
//     append then fails, and is retried, if another writer came first;
//   - Position is the $all commit position, Cursor is (commit, prepare);
//   - the envelope (schema version, occurred-at, recorded-at, actor,
//     correlation, causation, hash) is JSON in the event's metadata;
//   - system events ($-prefixed streams or types) are never shown.
//
// EventStoreDB cannot append to several streams in one transaction: an
// Append with more than one stream runs as a saga inside the store, with the
// compensations the caller passes as data (saga.go; the store implements
// eventstore.Atomicity, which says what readers may see meanwhile).
//
// It must not import domain, commands, projections or http.
package esdb

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/inps/libretto/eventstore"
)

const (
	// DefaultBatch is the number of events ReadAll and Subscription.Next
	// return when asked for zero or fewer, as in the other stores.
	DefaultBatch = 1000
	// readPage is how many events one read RPC asks for.
	readPage = 4096
	// anyWindow is how many of a stream's last events an append with
	// expected version Any or StreamExists searches for its event ids.
	anyWindow = 64
	// maxAnyRetries bounds the retries of an Any or StreamExists append
	// that lost the race for the stream's next revision.
	maxAnyRetries = 100
)

// Store is an eventstore.Store on EventStoreDB. Create it with Open or New.
type Store struct {
	db  *esdb.Client
	now func() time.Time
	m   mapping
	// ns prefixes every stream name and hides streams without it, so that
	// tests can share one live server; empty in production.
	ns string

	// fault, in tests, fails a saga's step on a stream before it is sent.
	fault func(stream string) error

	headMu sync.Mutex
	head   eventstore.Head   // last non-system event seen by Head, and the count up to it
	seen   eventstore.Cursor // last event (of any kind) Head has counted
}

// mapping holds the port ↔ EventStoreDB translations that tests replace
// with wrong ones, to prove that the protocol test double catches them.
type mapping struct {
	// revision is the EventStoreDB revision of the stream's event with the
	// given version.
	revision func(version int64) uint64
	// readAllIncludesFrom forgets that reading $all from a position
	// includes the event at that position.
	readAllIncludesFrom bool
	// subscribeFromZero subscribes from Position{0,0} instead of Start.
	subscribeFromZero bool
}

var correct = mapping{revision: func(v int64) uint64 { return uint64(v - 1) }}

var (
	_ eventstore.Store     = (*Store)(nil)
	_ eventstore.Atomicity = (*Store)(nil)
)

// Open connects to the EventStoreDB at url, an esdb:// or esdb+discover://
// connection string (for example esdb://127.0.0.1:2113?tls=false), and
// checks that it answers.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := esdb.ParseConnectionString(url)
	if err != nil {
		return nil, fmt.Errorf("eventstore/esdb: connection string: %w", err)
	}
	cfg.Logger = clientLogger
	client, err := esdb.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("eventstore/esdb: client: %w", err)
	}
	s := New(client)
	rs, err := client.ReadAll(ctx, esdb.ReadAllOptions{Direction: esdb.Backwards, From: esdb.End{}}, 1)
	if err == nil {
		_, err = rs.Recv()
		rs.Close()
		if errors.Is(err, io.EOF) {
			err = nil
		}
	}
	if err != nil {
		_ = client.Close()
		return nil, fmt.Errorf("eventstore/esdb: %s does not answer: %w", redact(url), err)
	}
	return s, nil
}

// New returns a store over an existing client.
func New(client *esdb.Client) *Store {
	return &Store{db: client, now: time.Now, m: correct}
}

// Close closes the client.
func (s *Store) Close() error { return s.db.Close() }

// MultiStreamAtomic implements eventstore.Atomicity: EventStoreDB appends
// to one stream at a time, so an Append to several streams is a saga.
func (s *Store) MultiStreamAtomic() bool { return false }

// clientLogger keeps the client's chatter (it logs every dropped
// subscription as an error) at debug level: the store returns the errors
// that matter to its callers.
func clientLogger(level esdb.LogLevel, format string, args ...any) {
	slog.Debug(fmt.Sprintf(format, args...), "component", "esdb-client", "level", level)
}

// redact hides a password in a connection string.
func redact(url string) string {
	at := strings.Index(url, "@")
	scheme := strings.Index(url, "://")
	if at < 0 || scheme < 0 || at < scheme {
		return url
	}
	return url[:scheme+3] + "…" + url[at:]
}

// metadata is the envelope as stored in an event's user metadata. The
// $correlationId and $causationId keys are EventStoreDB's own convention,
// so its UI and projections can follow them.
type metadata struct {
	SchemaVersion   int              `json:"schema_version"`
	OccurredAt      time.Time        `json:"occurred_at"`
	RecordedAt      time.Time        `json:"recorded_at"`
	Actor           eventstore.Actor `json:"actor"`
	CorrelationID   uuid.UUID        `json:"correlation_id"`
	CausationID     uuid.UUID        `json:"causation_id"`
	Hash            string           `json:"hash"`
	ESCorrelationID string           `json:"$correlationId,omitempty"`
	ESCausationID   string           `json:"$causationId,omitempty"`
}

// hidden reports whether an event is not for the store's readers:
// EventStoreDB's own ($-prefixed stream or type), outside the store's
// namespace, or the store's saga log.
func (s *Store) hidden(stream, typ string) bool {
	return strings.HasPrefix(stream, "$") || strings.HasPrefix(typ, "$") || !strings.HasPrefix(stream, s.ns) ||
		strings.HasPrefix(stream[len(s.ns):], sagaPrefix)
}

// decode turns a recorded event into a port event.
func (s *Store) decode(r *esdb.RecordedEvent) (eventstore.Event, error) {
	var m metadata
	if err := json.Unmarshal(r.UserMetadata, &m); err != nil {
		return eventstore.Event{}, fmt.Errorf("eventstore/esdb: %s@%d has no Libretto envelope: %w", r.StreamID, r.EventNumber, err)
	}
	if r.Position.Commit == 0 {
		// The log starts with the server's own records, so an event at
		// 0 means the server does not report positions on stream reads.
		return eventstore.Event{}, fmt.Errorf("eventstore/esdb: %s@%d: the server reports no log position; EventStoreDB is too old", r.StreamID, r.EventNumber)
	}
	hash, err := hex.DecodeString(m.Hash)
	if err != nil {
		return eventstore.Event{}, fmt.Errorf("eventstore/esdb: %s@%d: hash: %w", r.StreamID, r.EventNumber, err)
	}
	return eventstore.Event{
		EventData: eventstore.EventData{
			ID:            r.EventID,
			Type:          r.EventType,
			SchemaVersion: m.SchemaVersion,
			Data:          r.Data,
			OccurredAt:    m.OccurredAt.UTC(),
			Actor:         m.Actor,
			CorrelationID: m.CorrelationID,
			CausationID:   m.CausationID,
		},
		Stream:     strings.TrimPrefix(r.StreamID, s.ns),
		Version:    int64(r.EventNumber) + 1,
		Position:   int64(r.Position.Commit),
		Cursor:     eventstore.Cursor{Major: r.Position.Commit, Minor: r.Position.Prepare},
		RecordedAt: m.RecordedAt.UTC(),
		Hash:       hash,
	}, nil
}

// encode turns a port event (version, recorded-at and hash set) into a
// proposed EventStoreDB event.
func encode(e eventstore.Event) (esdb.EventData, error) {
	m := metadata{
		SchemaVersion: e.SchemaVersion,
		OccurredAt:    e.OccurredAt,
		RecordedAt:    e.RecordedAt,
		Actor:         e.Actor,
		CorrelationID: e.CorrelationID,
		CausationID:   e.CausationID,
		Hash:          hex.EncodeToString(e.Hash),
	}
	if e.CorrelationID != uuid.Nil {
		m.ESCorrelationID = e.CorrelationID.String()
	}
	if e.CausationID != uuid.Nil {
		m.ESCausationID = e.CausationID.String()
	}
	meta, err := json.Marshal(m)
	if err != nil {
		return esdb.EventData{}, err
	}
	return esdb.EventData{
		EventID:     e.ID,
		EventType:   e.Type,
		ContentType: esdb.ContentTypeJson,
		Data:        e.Data,
		Metadata:    meta,
	}, nil
}

// code is the client error code of err, or -1.
func code(err error) esdb.ErrorCode {
	var e *esdb.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return -1
}

// Append implements eventstore.Store. Several streams run as a saga
// (saga.go); one stream is one append, its compensations unused.
func (s *Store) Append(ctx context.Context, appends ...eventstore.StreamAppend) ([]eventstore.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := validate(appends); err != nil {
		return nil, err
	}
	switch len(appends) {
	case 0:
		return nil, nil
	case 1:
		return s.appendOne(ctx, appends[0])
	default:
		return s.appendSeveral(ctx, appends)
	}
}

// validate rejects appends no store could accept, as the other stores do,
// the names EventStoreDB reserves for itself and the store's saga log.
func validate(appends []eventstore.StreamAppend) error {
	if _, err := eventstore.Validate(appends); err != nil {
		return err
	}
	for _, a := range appends {
		if strings.HasPrefix(a.Stream, "$") {
			return fmt.Errorf("eventstore/esdb: stream %s: names starting with $ belong to EventStoreDB", a.Stream)
		}
		if strings.HasPrefix(a.Stream, sagaPrefix) {
			return fmt.Errorf("eventstore/esdb: stream %s: names starting with %s are the store's saga log", a.Stream, sagaPrefix)
		}
		for _, e := range slices.Concat(a.Events, a.Compensations) {
			if e.Type == "" || strings.HasPrefix(e.Type, "$") {
				return fmt.Errorf("eventstore/esdb: event %s in %s: type %q is empty or reserved", e.ID, a.Stream, e.Type)
			}
		}
	}
	return nil
}

// appendOne appends to one stream. It reads the stream's last events
// first: the last one's hash starts the new events' chain, and all of them
// are where a repeat of this append would be found.
func (s *Store) appendOne(ctx context.Context, a eventstore.StreamAppend) ([]eventstore.Event, error) {
	window := max(len(a.Events), 1)
	anyLike := a.Expected == eventstore.Any || a.Expected == eventstore.StreamExists
	if anyLike {
		window = max(window, anyWindow)
	}
	for attempt := 0; ; attempt++ {
		tail, err := s.tail(ctx, a.Stream, window)
		if err != nil {
			return nil, err
		}
		current := int64(0)
		var prev []byte
		if len(tail) > 0 {
			current = tail[len(tail)-1].Version
			prev = tail[len(tail)-1].Hash
		}
		if stored, err := s.repeat(ctx, a, tail, current); stored != nil || err != nil {
			return stored, err
		}
		if !a.Expected.Check(current) {
			return nil, fmt.Errorf("%w: stream %s is at version %d, expected %s", eventstore.ErrConcurrency, a.Stream, current, a.Expected)
		}
		if len(a.Events) == 0 {
			return []eventstore.Event{}, nil
		}

		recorded := s.now().UTC().Truncate(time.Microsecond)
		proposed := make([]esdb.EventData, len(a.Events))
		for i, d := range a.Events {
			d.OccurredAt = d.OccurredAt.UTC().Truncate(time.Microsecond)
			e := eventstore.Event{EventData: d, Stream: a.Stream, Version: current + int64(i) + 1, RecordedAt: recorded}
			e.Hash = eventstore.ChainHash(prev, e)
			prev = e.Hash
			if proposed[i], err = encode(e); err != nil {
				return nil, fmt.Errorf("eventstore/esdb: encode %s: %w", e.ID, err)
			}
		}
		var expected esdb.ExpectedRevision = esdb.NoStream{}
		if current > 0 {
			expected = esdb.Revision(s.m.revision(current))
		}
		_, err = s.db.AppendToStream(ctx, s.ns+a.Stream, esdb.AppendToStreamOptions{ExpectedRevision: expected}, proposed...)
		if code(err) == esdb.ErrorCodeWrongExpectedVersion {
			// Another writer took the revision. With Any or
			// StreamExists the caller did not care: try again on top of
			// it. With an exact expectation it is a conflict, unless the
			// winner was this very append repeated.
			if anyLike && attempt < maxAnyRetries {
				if attempt > 2 {
					time.Sleep(time.Duration(rand.IntN(1+attempt)) * time.Millisecond)
				}
				continue
			}
			tail, err := s.tail(ctx, a.Stream, window)
			if err != nil {
				return nil, err
			}
			if stored, err := s.repeat(ctx, a, tail, lastVersion(tail)); stored != nil || err != nil {
				return stored, err
			}
			return nil, fmt.Errorf("%w: stream %s moved past version %d (expected %s)", eventstore.ErrConcurrency, a.Stream, current, a.Expected)
		}
		if err != nil {
			return nil, fmt.Errorf("eventstore/esdb: append to %s: %w", a.Stream, err)
		}
		// Read back what the server stored: it may have been an identical
		// append that won (the server treats ours as its idempotent
		// repeat), and only a read gives every event's position.
		stored, err := s.readRange(ctx, a.Stream, current, len(a.Events))
		if err != nil {
			return nil, err
		}
		if len(stored) != len(a.Events) {
			return nil, fmt.Errorf("eventstore/esdb: %s: %d events read back after appending %d", a.Stream, len(stored), len(a.Events))
		}
		for i := range stored {
			if stored[i].ID != a.Events[i].ID {
				return nil, fmt.Errorf("%w: stream %s: version %d holds %s, not %s", eventstore.ErrConcurrency, a.Stream, stored[i].Version, stored[i].ID, a.Events[i].ID)
			}
		}
		return stored, nil
	}
}

func lastVersion(events []eventstore.Event) int64 {
	if len(events) == 0 {
		return 0
	}
	return events[len(events)-1].Version
}

// repeat looks for the append's event ids where a repeat of it would have
// put them: in the stream's last events, and at the versions its exact
// expectation points to. All found: the stored events, in the given order.
// Some found: ErrDuplicateEvent. None: nil, nil.
//
// EventStoreDB has no index by event id, so an id stored in another stream,
// or deeper in this one, is not found (docs/esdb.md).
func (s *Store) repeat(ctx context.Context, a eventstore.StreamAppend, tail []eventstore.Event, current int64) ([]eventstore.Event, error) {
	if len(a.Events) == 0 {
		return nil, nil
	}
	found := make(map[uuid.UUID]eventstore.Event, len(a.Events))
	want := make(map[uuid.UUID]bool, len(a.Events))
	for _, e := range a.Events {
		want[e.ID] = true
	}
	for _, e := range tail {
		if want[e.ID] {
			found[e.ID] = e
		}
	}
	if exp := int64(a.Expected); exp >= 0 && current > exp && len(found) < len(a.Events) {
		at, err := s.readRange(ctx, a.Stream, exp, len(a.Events))
		if err != nil {
			return nil, err
		}
		for _, e := range at {
			if want[e.ID] {
				found[e.ID] = e
			}
		}
	}
	switch {
	case len(found) == 0:
		return nil, nil
	case len(found) < len(a.Events):
		return nil, fmt.Errorf("%w: %d of %d event ids already in %s", eventstore.ErrDuplicateEvent, len(found), len(a.Events), a.Stream)
	}
	out := make([]eventstore.Event, len(a.Events))
	for i, e := range a.Events {
		out[i] = found[e.ID]
	}
	return out, nil
}

// tail returns up to n of the stream's last events, oldest first; none when
// the stream does not exist.
func (s *Store) tail(ctx context.Context, stream string, n int) ([]eventstore.Event, error) {
	events, err := s.read(ctx, stream, esdb.ReadStreamOptions{Direction: esdb.Backwards, From: esdb.End{}}, uint64(n))
	if errors.Is(err, eventstore.ErrStreamNotFound) {
		return nil, nil
	}
	for i, j := 0, len(events)-1; i < j; i, j = i+1, j-1 {
		events[i], events[j] = events[j], events[i]
	}
	return events, err
}

// readRange returns up to n events of a stream from the event after version
// after on.
func (s *Store) readRange(ctx context.Context, stream string, after int64, n int) ([]eventstore.Event, error) {
	events, err := s.read(ctx, stream, esdb.ReadStreamOptions{Direction: esdb.Forwards, From: esdb.Revision(uint64(after))}, uint64(n))
	if errors.Is(err, eventstore.ErrStreamNotFound) {
		return nil, nil
	}
	return events, err
}

// read runs one stream read RPC.
func (s *Store) read(ctx context.Context, stream string, opts esdb.ReadStreamOptions, count uint64) ([]eventstore.Event, error) {
	rs, err := s.db.ReadStream(ctx, s.ns+stream, opts, count)
	if err != nil {
		return nil, fmt.Errorf("eventstore/esdb: read %s: %w", stream, err)
	}
	defer rs.Close()
	var out []eventstore.Event
	for {
		r, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if code(err) == esdb.ErrorCodeResourceNotFound {
			return nil, fmt.Errorf("%w: %s", eventstore.ErrStreamNotFound, stream)
		}
		if err != nil {
			return nil, fmt.Errorf("eventstore/esdb: read %s: %w", stream, err)
		}
		e, err := s.decode(r.OriginalEvent())
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
}

// ReadStream implements eventstore.Store.
func (s *Store) ReadStream(ctx context.Context, stream string, opts eventstore.ReadOptions) ([]eventstore.Event, error) {
	from := max(opts.From, 1)
	var out []eventstore.Event
	for {
		page, err := s.read(ctx, stream, esdb.ReadStreamOptions{Direction: esdb.Forwards, From: esdb.Revision(uint64(from - 1))}, readPage)
		if err != nil {
			return nil, err
		}
		for _, e := range page {
			if !opts.Until.IsZero() && e.RecordedAt.After(opts.Until) {
				return out, nil
			}
			out = append(out, e)
		}
		if len(page) < readPage {
			return out, nil
		}
		from = page[len(page)-1].Version + 1
	}
}

// allFrom is where a read or subscription of $all after c starts.
func (s *Store) allFrom(c eventstore.Cursor) esdb.AllPosition {
	if c.IsZero() && !s.m.subscribeFromZero {
		return esdb.Start{}
	}
	return esdb.Position{Commit: c.Major, Prepare: c.Minor}
}

func cursorOf(p esdb.Position) eventstore.Cursor {
	return eventstore.Cursor{Major: p.Commit, Minor: p.Prepare}
}

// scanAll reads $all forward from after c (exclusive), calling fn with
// every event, system events included (fn decides), until fn returns false
// or the log ends.
func (s *Store) scanAll(ctx context.Context, after eventstore.Cursor, fn func(r *esdb.RecordedEvent) (bool, error)) error {
	skipFirst := !after.IsZero() && !s.m.readAllIncludesFrom
	for {
		from := esdb.AllPosition(esdb.Start{})
		if !after.IsZero() {
			from = esdb.Position{Commit: after.Major, Prepare: after.Minor}
		}
		rs, err := s.db.ReadAll(ctx, esdb.ReadAllOptions{Direction: esdb.Forwards, From: from}, readPage)
		if err != nil {
			return fmt.Errorf("eventstore/esdb: read $all: %w", err)
		}
		n := 0
		for {
			ev, err := rs.Recv()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				rs.Close()
				return fmt.Errorf("eventstore/esdb: read $all: %w", err)
			}
			n++
			r := ev.OriginalEvent()
			c := cursorOf(r.Position)
			// Reading forward from a position includes the event at it.
			if skipFirst && !after.Less(c) {
				continue
			}
			after = c
			more, err := fn(r)
			if err != nil || !more {
				rs.Close()
				return err
			}
		}
		rs.Close()
		if n < readPage {
			return nil
		}
		skipFirst = !s.m.readAllIncludesFrom
	}
}

// ReadAll implements eventstore.Store.
func (s *Store) ReadAll(ctx context.Context, from eventstore.Cursor, limit int) ([]eventstore.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = DefaultBatch
	}
	var out []eventstore.Event
	err := s.scanAll(ctx, from, func(r *esdb.RecordedEvent) (bool, error) {
		if s.hidden(r.StreamID, r.EventType) {
			return true, nil
		}
		e, err := s.decode(r)
		if err != nil {
			return false, err
		}
		out = append(out, e)
		return len(out) < limit, nil
	})
	return out, err
}

// CursorOf implements eventstore.Store. Events written by appends are
// self-committed, so the cursor of position p is (p, p) when an event is
// there.
func (s *Store) CursorOf(ctx context.Context, position int64) (eventstore.Cursor, error) {
	if position == 0 {
		return eventstore.Cursor{}, nil
	}
	if position < 0 {
		return eventstore.Cursor{}, fmt.Errorf("%w: position %d", eventstore.ErrEventNotFound, position)
	}
	p := uint64(position)
	rs, err := s.db.ReadAll(ctx, esdb.ReadAllOptions{Direction: esdb.Forwards, From: esdb.Position{Commit: p, Prepare: p}}, 1)
	if err != nil {
		return eventstore.Cursor{}, fmt.Errorf("eventstore/esdb: read $all: %w", err)
	}
	defer rs.Close()
	ev, err := rs.Recv()
	if errors.Is(err, io.EOF) {
		return eventstore.Cursor{}, fmt.Errorf("%w: position %d", eventstore.ErrEventNotFound, position)
	}
	if err != nil {
		return eventstore.Cursor{}, fmt.Errorf("eventstore/esdb: read $all: %w", err)
	}
	r := ev.OriginalEvent()
	if r.Position.Commit != p {
		return eventstore.Cursor{}, fmt.Errorf("%w: position %d", eventstore.ErrEventNotFound, position)
	}
	return cursorOf(r.Position), nil
}

// Head implements eventstore.Store. EventStoreDB keeps no count of a
// subset of $all, so the store counts: the first call reads the whole log,
// later calls only what was appended since.
func (s *Store) Head(ctx context.Context) (eventstore.Head, error) {
	if err := ctx.Err(); err != nil {
		return eventstore.Head{}, err
	}
	s.headMu.Lock()
	defer s.headMu.Unlock()
	head, seen := s.head, s.seen
	err := s.scanAll(ctx, seen, func(r *esdb.RecordedEvent) (bool, error) {
		seen = cursorOf(r.Position)
		if s.hidden(r.StreamID, r.EventType) {
			return true, nil
		}
		e, err := s.decode(r)
		if err != nil {
			return false, err
		}
		head = eventstore.Head{Cursor: e.Cursor, Position: e.Position, RecordedAt: e.RecordedAt, Events: head.Events + 1}
		return true, nil
	})
	if err != nil {
		return eventstore.Head{}, err
	}
	s.head, s.seen = head, seen
	return head, nil
}

// Verify implements eventstore.Store in one pass over $all, keeping the
// last version and hash of every stream.
func (s *Store) Verify(ctx context.Context, progress func(events int)) (eventstore.VerifyReport, error) {
	type link struct {
		version int64
		hash    []byte
	}
	chains := map[string]link{}
	var rep eventstore.VerifyReport
	err := s.scanAll(ctx, eventstore.Cursor{}, func(r *esdb.RecordedEvent) (bool, error) {
		if s.hidden(r.StreamID, r.EventType) {
			return true, nil
		}
		e, err := s.decode(r)
		if err != nil {
			return false, err
		}
		prev := chains[e.Stream]
		if e.Version != prev.version+1 {
			rep.Broken = append(rep.Broken, eventstore.BrokenLink{Stream: e.Stream, Version: e.Version, Position: e.Position, Reason: "version gap"})
		}
		if !bytes.Equal(eventstore.ChainHash(prev.hash, e), e.Hash) {
			rep.Broken = append(rep.Broken, eventstore.BrokenLink{Stream: e.Stream, Version: e.Version, Position: e.Position, Reason: "hash mismatch"})
		}
		chains[e.Stream] = link{e.Version, e.Hash}
		rep.EventsChecked++
		if progress != nil && rep.EventsChecked%1000 == 0 {
			progress(rep.EventsChecked)
		}
		return true, nil
	})
	if err != nil {
		return rep, err
	}
	rep.StreamsChecked = len(chains)
	if progress != nil {
		progress(rep.EventsChecked)
	}
	return rep, nil
}
