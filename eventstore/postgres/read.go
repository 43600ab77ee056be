package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/inps/libretto/eventstore"
)

// scanEvent scans a row of eventColumns.
func scanEvent(row pgx.Row, e *eventstore.Event) error {
	var xid uint64
	err := row.Scan(&e.Position, &xid, &e.Stream, &e.Version, (*[16]byte)(&e.ID), &e.Type, &e.SchemaVersion,
		&e.Data, &e.OccurredAt, &e.RecordedAt, &e.Actor.ID, &e.Actor.Role,
		(*[16]byte)(&e.CorrelationID), (*[16]byte)(&e.CausationID), &e.Hash, &e.Actor.OnBehalfOf)
	if err != nil {
		return err
	}
	e.Cursor = eventstore.Cursor{Major: xid, Minor: uint64(e.Position)}
	e.OccurredAt = e.OccurredAt.UTC()
	e.RecordedAt = e.RecordedAt.UTC()
	return nil
}

// collectEvents scans every row and closes rows. With capacity > 0 (a
// batch of up to that many) the rows are scanned into a pooled buffer and
// returned in a slice of their exact length: a subscription at the head of
// the log reads a few dozen events with a limit of a thousand, and
// allocating the limit each time (≈ 260 bytes an event) was a fifth of the
// server's allocations under make bench.
func collectEvents(rows pgx.Rows, capacity int) ([]eventstore.Event, error) {
	defer rows.Close()
	var buf *[]eventstore.Event
	var out []eventstore.Event
	if capacity > 0 {
		buf = eventBuffers.Get().(*[]eventstore.Event)
		out = (*buf)[:0]
	}
	var d *decoder
	for rows.Next() {
		if d == nil {
			d = newDecoder(rows)
		}
		out = append(out, eventstore.Event{})
		if err := d.decode(rows, &out[len(out)-1]); err != nil {
			releaseEvents(buf, out)
			return nil, err
		}
	}
	if buf == nil {
		return out, rows.Err()
	}
	events := make([]eventstore.Event, len(out))
	copy(events, out)
	releaseEvents(buf, out)
	return events, rows.Err()
}

// eventBuffers are collectEvents' scan buffers.
var eventBuffers = sync.Pool{New: func() any { return new([]eventstore.Event) }}

// releaseEvents returns a scan buffer to the pool, cleared so that it keeps
// no event's strings and bytes alive; one grown past a large batch is dropped.
func releaseEvents(buf *[]eventstore.Event, used []eventstore.Event) {
	if buf == nil {
		return
	}
	clear(used)
	if cap(used) > 4096 {
		return
	}
	*buf = used[:0]
	eventBuffers.Put(buf)
}

// ReadStream implements eventstore.Store.
func (s *Store) ReadStream(ctx context.Context, stream string, opts eventstore.ReadOptions) ([]eventstore.Event, error) {
	if !utf8.ValidString(stream) || strings.IndexByte(stream, 0) >= 0 {
		// PostgreSQL text cannot hold such a name (SQLSTATE 22021), so no
		// stream has it: not found, as the memory store answers.
		return nil, fmt.Errorf("%w: %q", eventstore.ErrStreamNotFound, stream)
	}
	var until *time.Time
	if !opts.Until.IsZero() {
		until = &opts.Until
	}
	rows, err := s.pool.Query(ctx, `SELECT `+eventColumns+` FROM events
		WHERE stream = $1 AND version >= $2 AND ($3::timestamptz IS NULL OR recorded_at <= $3)
		ORDER BY version`, stream, opts.From, until)
	if err != nil {
		return nil, fmt.Errorf("eventstore read %s: %w", stream, err)
	}
	events, err := collectEvents(rows, 0)
	if err != nil {
		return nil, fmt.Errorf("eventstore read %s: %w", stream, err)
	}
	if len(events) > 0 {
		return events, nil
	}
	var exists bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM events WHERE stream = $1)`, stream).Scan(&exists); err != nil {
		return nil, fmt.Errorf("eventstore read %s: %w", stream, err)
	}
	if !exists {
		return nil, fmt.Errorf("%w: %s", eventstore.ErrStreamNotFound, stream)
	}
	return events, nil
}

// readAll reads committed events after c, below the transaction-id horizon
// (see the package documentation).
const readAll = `SELECT ` + eventColumns + ` FROM events
	WHERE (xid, position) > ($1, $2) AND xid < $4::text::xid8
	ORDER BY xid, position LIMIT $3`

// horizon is the transaction id below which every transaction that could
// write to this database's events table has finished. Transaction ids are
// cluster-wide, so the server's own horizon (pg_snapshot_xmin) would let a
// long transaction in any other database — a bulk load, a DROP DATABASE —
// hold every subscription back. Only backends connected to this database (and
// its prepared transactions) can insert events, so the horizon is the oldest
// transaction id among them, or the snapshot's xmax when none holds one. It is
// computed in a statement of its own, before the read's snapshot: a
// transaction it saw running is excluded, and one it did not see either had
// finished (the read sees its rows) or had no id yet (its id will be above
// xmax). Without the privilege to see other roles' backend_xid it falls back
// to the server-wide horizon, which is always safe.
//
// backend_xid is a 32-bit xid; fullXID widens it to the xid8 nearest to the
// snapshot's xmax. A running transaction may be above xmax (xmax is one past
// the latest *completed* id), so the distance is signed.
const horizon = `WITH x AS (
		SELECT pg_snapshot_xmax(s)::text::numeric AS xmax, pg_snapshot_xmin(s)::text::numeric AS xmin
		FROM pg_current_snapshot() AS s)
	SELECT CASE
		WHEN (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
			OR pg_has_role(current_user, 'pg_read_all_stats', 'USAGE')
		THEN LEAST(x.xmax, COALESCE((SELECT min(` + fullXID + `) FROM (
				SELECT backend_xid AS xid32 FROM pg_stat_activity WHERE datname = current_database() AND backend_xid IS NOT NULL
				UNION ALL
				SELECT transaction FROM pg_prepared_xacts WHERE database = current_database()) AS running), x.xmax))
		ELSE x.xmin END::text
	FROM x`

// fullXID is the xid8 of the 32-bit xid32 nearest to x.xmax: xmax plus the
// signed 32-bit difference of their low halves (2^32 + 2^31 keeps mod's
// argument positive).
const fullXID = `x.xmax + mod(xid32::text::numeric - mod(x.xmax, 4294967296) + 6442450944, 4294967296) - 2147483648`

// ReadAll implements eventstore.Store. The cursor is (transaction id,
// position); only transactions below the horizon are read.
func (s *Store) ReadAll(ctx context.Context, from eventstore.Cursor, limit int) ([]eventstore.Event, error) {
	if limit <= 0 {
		limit = DefaultBatch
	}
	var h string
	if err := s.pool.QueryRow(ctx, horizon).Scan(&h); err != nil {
		return nil, fmt.Errorf("eventstore read all: horizon: %w", err)
	}
	rows, err := s.pool.Query(ctx, readAll, from.Major, int64(from.Minor), limit, h)
	if err != nil {
		return nil, fmt.Errorf("eventstore read all: %w", err)
	}
	events, err := collectEvents(rows, min(limit, 4096))
	if err != nil {
		return nil, fmt.Errorf("eventstore read all: %w", err)
	}
	return events, nil
}

// pendingSQL is not an EXISTS: the generic plan of that (pgx prepares its
// statements, and PostgreSQL switches a prepared statement to a generic plan
// after five runs) is a sequential scan from the start of the table, slower
// as the log grows — 8 ms a call at 20,000 events, most of PostgreSQL's time
// under make bench. ORDER BY and LIMIT keep it on the (xid, position) index.
const pendingSQL = `SELECT (SELECT position FROM events WHERE (xid, position) > ($1, $2)
	ORDER BY xid, position LIMIT 1) IS NOT NULL`

// pending reports whether committed events exist after c that ReadAll did
// not return: they wait above the horizon for an older transaction to finish,
// or the horizon passed them just after ReadAll's snapshot. Either way the
// caller should read again soon: no notification will tell it when.
func (s *Store) pending(ctx context.Context, c eventstore.Cursor) (bool, error) {
	var pending bool
	err := s.pool.QueryRow(ctx, pendingSQL, c.Major, int64(c.Minor)).Scan(&pending)
	return pending, err
}

// CursorOf implements eventstore.Store.
func (s *Store) CursorOf(ctx context.Context, position int64) (eventstore.Cursor, error) {
	if position == 0 {
		return eventstore.Cursor{}, nil
	}
	if c, ok := s.recent.cursorOf(position); ok {
		return c, nil
	}
	var xid uint64
	err := s.pool.QueryRow(ctx, `SELECT xid FROM events WHERE position = $1`, position).Scan(&xid)
	if errors.Is(err, pgx.ErrNoRows) {
		return eventstore.Cursor{}, fmt.Errorf("%w: position %d", eventstore.ErrEventNotFound, position)
	}
	if err != nil {
		return eventstore.Cursor{}, fmt.Errorf("eventstore cursor of %d: %w", position, err)
	}
	return eventstore.Cursor{Major: xid, Minor: uint64(position)}, nil
}

// headSQL counts the events from transaction id $1 on, split at the
// horizon $2, and reads the highest position and the last event in cursor
// order (both from an index end).
const headSQL = `
	SELECT c.below, c.above, coalesce((SELECT max(position) FROM events), 0), l.xid, l.position, l.recorded_at
	FROM (SELECT count(*) FILTER (WHERE xid < $2::text::xid8) AS below, count(*) FILTER (WHERE xid >= $2::text::xid8) AS above
		FROM events WHERE xid >= $1::text::xid8) c
	LEFT JOIN LATERAL (SELECT xid, position, recorded_at FROM events ORDER BY xid DESC, position DESC LIMIT 1) l ON true`

// Head implements eventstore.Store: every committed event counts, including
// those a subscription can reach only once older transactions finish.
//
// Counting the whole table on every call (a sequential scan: /readyz, every
// metrics scrape and `projections status` call it) grows with the log, so the
// store keeps the count of the events below a horizon it saw: those are final
// (every transaction below the horizon has finished), and a later call counts
// only from that horizon on, along the (xid, position) index.
func (s *Store) Head(ctx context.Context) (eventstore.Head, error) {
	// Under the lock, the horizons of successive calls never go down (new
	// transaction ids are above any horizon already seen).
	s.headMu.Lock()
	defer s.headMu.Unlock()
	var hz string
	if err := s.pool.QueryRow(ctx, horizon).Scan(&hz); err != nil {
		return eventstore.Head{}, fmt.Errorf("eventstore head: horizon: %w", err)
	}
	from := s.counted.horizon
	if from == "" {
		from = "0"
	}
	var h eventstore.Head
	var below, above int64
	var xid *uint64
	var position *int64
	var recorded *time.Time
	err := s.pool.QueryRow(ctx, headSQL, from, hz).Scan(&below, &above, &h.Position, &xid, &position, &recorded)
	if err != nil {
		return eventstore.Head{}, fmt.Errorf("eventstore head: %w", err)
	}
	s.counted.events += below
	s.counted.horizon = hz
	h.Events = s.counted.events + above
	if xid != nil {
		h.Cursor = eventstore.Cursor{Major: *xid, Minor: uint64(*position)}
		h.RecordedAt = recorded.UTC()
	}
	return h, nil
}

// verifyProgressEvery is how often Verify reports progress.
const verifyProgressEvery = 10000

// Verify implements eventstore.Store. It streams the whole log in (stream,
// version) order and checks each link as it goes, so memory stays flat.
func (s *Store) Verify(ctx context.Context, progress func(events int)) (eventstore.VerifyReport, error) {
	var rep eventstore.VerifyReport
	rows, err := s.pool.Query(ctx, `SELECT `+eventColumns+` FROM events ORDER BY stream, version`)
	if err != nil {
		return rep, fmt.Errorf("eventstore verify: %w", err)
	}
	defer rows.Close()
	var (
		e      eventstore.Event
		stream string
		prev   []byte
		want   int64
		d      *decoder
	)
	for rows.Next() {
		if d == nil {
			d = newDecoder(rows)
		}
		if rep.EventsChecked%verifyProgressEvery == 0 {
			d.strings = map[string]string{} // keep memory flat over millions of streams
		}
		e = eventstore.Event{}
		if err := d.decode(rows, &e); err != nil {
			return rep, fmt.Errorf("eventstore verify: %w", err)
		}
		if rep.EventsChecked == 0 || e.Stream != stream {
			stream, prev, want = e.Stream, nil, 0
			rep.StreamsChecked++
		}
		want++
		if e.Version != want {
			rep.Broken = append(rep.Broken, eventstore.BrokenLink{Stream: e.Stream, Version: e.Version, Position: e.Position, Reason: "version gap"})
			want = e.Version
		}
		if !bytes.Equal(eventstore.ChainHash(prev, e), e.Hash) {
			rep.Broken = append(rep.Broken, eventstore.BrokenLink{Stream: e.Stream, Version: e.Version, Position: e.Position, Reason: "hash mismatch"})
		}
		prev = e.Hash
		rep.EventsChecked++
		if progress != nil && rep.EventsChecked%verifyProgressEvery == 0 {
			progress(rep.EventsChecked)
		}
	}
	if err := rows.Err(); err != nil {
		return rep, fmt.Errorf("eventstore verify: %w", err)
	}
	if progress != nil {
		progress(rep.EventsChecked)
	}
	return rep, nil
}
