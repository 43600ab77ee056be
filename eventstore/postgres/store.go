// Package postgres is the PostgreSQL event store (pgx/v5): the events table,
// atomic multi-stream appends under per-stream advisory locks, the per-stream
// SHA-256 hash chain, reads, and catch-up subscriptions ordered by the
// transaction-id horizon and woken by LISTEN/NOTIFY. It also stores uploaded
// documents and idempotent command results, which share its database.
//
// # Why subscriptions read in (xid, position) order
//
// position is a bigserial: a transaction takes its positions when it inserts,
// but becomes visible only when it commits, and transactions do not commit in
// the order they took their positions. A reader that remembered "the last
// position I saw" and asked for position > last would, after seeing 11 of a
// transaction that committed first, never see 10 of a transaction that was
// still running and committed just after: the event is skipped for ever.
//
// Instead every row records the id of the transaction that wrote it (xid8,
// pg_current_xact_id()), and readers only look at rows whose transaction id
// is below pg_snapshot_xmin(pg_current_snapshot()): every transaction below
// that horizon has finished, so no row can ever appear below it again. Rows
// below the horizon, ordered by (xid, position), form a prefix of the log that
// only grows at its end, and (xid, position) is a cursor that skips nothing.
//
// # Why the locks come first
//
// Append takes pg_advisory_xact_lock on every stream it touches, in sorted
// order (so that two appends never deadlock), before it writes anything. A
// transaction is given its id on its first write, so a stream's next writer
// gets its id only after the previous writer committed and let the lock go:
// within a stream, xid order is version order, and a subscription delivers
// each stream's events in version order.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/inps/libretto/eventstore"
)

// DefaultBatch is the number of events ReadAll and Subscription.Next return
// when asked for zero or fewer.
const DefaultBatch = 1000

// Channel is the LISTEN/NOTIFY channel every append notifies on commit.
const Channel = "libretto_events"

// Store is the PostgreSQL eventstore.Store. The pool's configuration (size,
// timeouts) is the caller's.
type Store struct {
	pool *pgxpool.Pool
	now  func() time.Time

	// The shared LISTEN connection: started by the first subscription,
	// stopped with the last.
	mu        sync.Mutex
	wake      chan struct{} // closed and replaced on every notification
	listeners int
	stop      context.CancelFunc
	stopped   chan struct{}
}

var _ eventstore.Store = (*Store)(nil)

// New returns a store over pool. The schema must be in place (Migrate).
func New(pool *pgxpool.Pool) *Store {
	return &Store{pool: pool, now: time.Now, wake: make(chan struct{})}
}

// eventColumns is the column list every read scans with scanEvent.
const eventColumns = `position, xid, stream, version, event_id, type, schema_version, data,
	occurred_at, recorded_at, actor_id, actor_role, correlation_id, causation_id, hash`

const insertColumns = 13

var (
	// lockStreams takes the streams' locks in the order of the (sorted) array.
	lockStreams = `SELECT count(pg_advisory_xact_lock(hashtextextended(s, 0))) FROM unnest($1::text[]) AS s`
	heads       = `SELECT s, e.version, e.hash FROM unnest($1::text[]) AS s
		LEFT JOIN LATERAL (SELECT version, hash FROM events WHERE stream = s ORDER BY version DESC LIMIT 1) e ON true`
	existing = `SELECT ` + eventColumns + ` FROM events WHERE event_id = ANY($1::uuid[])`
	notify   = `SELECT pg_notify('` + Channel + `', '')`
)

// errRaced means another append stored one of our event ids between our
// check and our insert: trying again turns it into a clean repeat or a
// duplicate.
var errRaced = errors.New("eventstore: raced on an event id")

// Append implements eventstore.Store in one transaction and two round trips:
// BEGIN, locks, stream heads and known ids; then the insert, the
// notification and COMMIT.
func (s *Store) Append(ctx context.Context, appends ...eventstore.StreamAppend) ([]eventstore.Event, error) {
	n, err := validate(appends)
	if err != nil {
		return nil, err
	}
	if len(appends) == 0 {
		return nil, nil
	}
	for attempt := 0; ; attempt++ {
		out, err := s.append(ctx, appends, n)
		if errors.Is(err, errRaced) && attempt < 2 {
			continue
		}
		return out, err
	}
}

func (s *Store) append(ctx context.Context, appends []eventstore.StreamAppend, n int) (_ []eventstore.Event, err error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("eventstore append: %w", err)
	}
	defer conn.Release()
	committed := false
	defer rollback(ctx, conn) // a no-op unless a statement failed inside a transaction

	streams := make([]string, len(appends))
	for i, a := range appends {
		streams[i] = a.Stream
	}
	slices.Sort(streams)
	ids := make([]uuid.UUID, 0, n)
	for _, a := range appends {
		for _, e := range a.Events {
			ids = append(ids, e.ID)
		}
	}

	var b pgx.Batch
	b.Queue("BEGIN")
	b.Queue(lockStreams, streams)
	b.Queue(heads, streams)
	b.Queue(existing, ids)
	br := conn.SendBatch(ctx, &b)
	type head struct {
		version int64
		hash    []byte
	}
	current := make(map[string]head, len(appends))
	var known []eventstore.Event
	err = func() error {
		defer br.Close()
		if _, err := br.Exec(); err != nil {
			return err
		}
		if _, err := br.Exec(); err != nil {
			return err
		}
		rows, err := br.Query()
		if err != nil {
			return err
		}
		for rows.Next() {
			var stream string
			var version *int64
			var h head
			if err := rows.Scan(&stream, &version, &h.hash); err != nil {
				return err
			}
			if version != nil {
				h.version = *version
			}
			current[stream] = h
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = br.Query()
		if err != nil {
			return err
		}
		known, err = collectEvents(rows, 0)
		return err
	}()
	if err != nil {
		return nil, fmt.Errorf("eventstore append: %w", err)
	}

	if len(known) > 0 {
		if len(known) < n {
			return nil, eventstore.ErrDuplicateEvent
		}
		byID := make(map[uuid.UUID]eventstore.Event, len(known))
		for _, e := range known {
			byID[e.ID] = e
		}
		out := make([]eventstore.Event, n)
		for i, id := range ids {
			out[i] = byID[id]
		}
		return out, nil
	}

	for _, a := range appends {
		if v := current[a.Stream].version; !a.Expected.Check(v) {
			return nil, fmt.Errorf("%w: stream %s is at version %d, expected %s", eventstore.ErrConcurrency, a.Stream, v, a.Expected)
		}
	}

	recorded := s.now().UTC().Truncate(time.Microsecond)
	out := make([]eventstore.Event, 0, n)
	for _, a := range appends {
		h := current[a.Stream]
		prev, version := h.hash, h.version
		for _, d := range a.Events {
			version++
			e := eventstore.Event{EventData: normalize(d), Stream: a.Stream, Version: version, RecordedAt: recorded}
			e.Hash = eventstore.ChainHash(prev, e)
			prev = e.Hash
			out = append(out, e)
		}
	}

	b = pgx.Batch{}
	for start := 0; start < len(out); start += maxInsertRows {
		chunk := out[start:min(start+maxInsertRows, len(out))]
		args := make([]any, 0, len(chunk)*insertColumns)
		for i := range chunk {
			e := &chunk[i]
			args = append(args, e.Stream, e.Version, e.ID, e.Type, e.SchemaVersion, e.Data, e.OccurredAt,
				e.RecordedAt, e.Actor.ID, e.Actor.Role, e.CorrelationID, e.CausationID, e.Hash)
		}
		b.Queue(insertSQL(len(chunk)), args...)
	}
	b.Queue("COMMIT")
	queueNotify(&b)
	br = conn.SendBatch(ctx, &b)
	err = func() error {
		defer br.Close()
		for start := 0; start < len(out); start += maxInsertRows {
			rows, err := br.Query()
			if err != nil {
				return err
			}
			i := start
			for rows.Next() {
				var xid uint64
				if err := rows.Scan(&out[i].Position, &xid); err != nil {
					return err
				}
				out[i].Cursor = eventstore.Cursor{Major: xid, Minor: uint64(out[i].Position)}
				i++
			}
			if err := rows.Err(); err != nil {
				return err
			}
		}
		if _, err := br.Exec(); err != nil { // COMMIT
			return err
		}
		committed = true
		return notified(br)
	}()
	if committed {
		// The events are stored; a lost notification only delays
		// subscribers until their next poll.
		return out, nil
	}
	if err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" {
			if pgErr.ConstraintName == "events_event_id_key" {
				return nil, errRaced
			}
			return nil, fmt.Errorf("%w: %s", eventstore.ErrConcurrency, pgErr.Detail)
		}
		return nil, fmt.Errorf("eventstore append: %w", err)
	}
	return out, nil
}

// queueNotify queues the notification of subscribers in a transaction of its
// own, after the append's COMMIT and in the same round trip.
//
// NOTIFY serialises the commits of notifying transactions: from its
// pre-commit step to the end of the transaction it holds one lock per
// database, so a notifying append would hold it across its WAL flush and
// appends would flush one at a time. The notification's own transaction
// holds no data and commits with synchronous_commit off: it keeps the lock
// for microseconds, and the appends' commits share WAL flushes again. Losing
// it in a crash loses nothing (subscribers poll after a restart anyway).
func queueNotify(b *pgx.Batch) {
	b.Queue("BEGIN")
	b.Queue("SET LOCAL synchronous_commit TO off")
	b.Queue(notify)
	b.Queue("COMMIT")
}

// notified reads the results of queueNotify's statements.
func notified(br pgx.BatchResults) error {
	for range 4 {
		if _, err := br.Exec(); err != nil {
			return err
		}
	}
	return nil
}

// maxInsertRows keeps one INSERT under PostgreSQL's 65535 parameters.
const maxInsertRows = 1000

var insertSQLs sync.Map // int -> string

// insertSQL returns a multi-row INSERT of n events. Statements are cached per
// n, here and as prepared statements on each connection.
func insertSQL(n int) string {
	if q, ok := insertSQLs.Load(n); ok {
		return q.(string)
	}
	var sb strings.Builder
	sb.WriteString(`INSERT INTO events (stream, version, event_id, type, schema_version, data, occurred_at,
		recorded_at, actor_id, actor_role, correlation_id, causation_id, hash) VALUES `)
	p := 1
	for i := range n {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteByte('(')
		for j := range insertColumns {
			if j > 0 {
				sb.WriteByte(',')
			}
			sb.WriteByte('$')
			sb.WriteString(strconv.Itoa(p))
			p++
		}
		sb.WriteByte(')')
	}
	sb.WriteString(` RETURNING position, xid`)
	q := sb.String()
	insertSQLs.Store(n, q)
	return q
}

// rollback ends a failed append's transaction so that the connection goes
// back to the pool clean; if even that fails, the pool drops the connection.
func rollback(ctx context.Context, conn *pgxpool.Conn) {
	if conn.Conn().PgConn().TxStatus() == 'I' {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if _, err := conn.Exec(ctx, "ROLLBACK"); err != nil {
		_ = conn.Conn().Close(ctx)
	}
}

// validate rejects appends no store could accept and returns the number of
// events they carry.
func validate(appends []eventstore.StreamAppend) (int, error) {
	n := 0
	streams := make(map[string]bool, len(appends))
	ids := map[uuid.UUID]bool{}
	for _, a := range appends {
		if a.Stream == "" {
			return 0, fmt.Errorf("eventstore: empty stream name")
		}
		if streams[a.Stream] {
			return 0, fmt.Errorf("eventstore: stream %s appears twice in one append", a.Stream)
		}
		streams[a.Stream] = true
		for _, e := range a.Events {
			if e.ID == uuid.Nil {
				return 0, fmt.Errorf("eventstore: event of type %s in %s has no id", e.Type, a.Stream)
			}
			if ids[e.ID] {
				return 0, fmt.Errorf("%w: %s appears twice in one append", eventstore.ErrDuplicateEvent, e.ID)
			}
			ids[e.ID] = true
			if !jsonValid(e.Data) {
				return 0, fmt.Errorf("eventstore: event %s (%s) data is not valid JSON", e.ID, e.Type)
			}
			n++
		}
	}
	return n, nil
}

// normalize gives an event the form it has after a round trip through
// timestamptz (UTC, microseconds), so that the hash computed here is the hash
// recomputed from what is read back.
func normalize(d eventstore.EventData) eventstore.EventData {
	d.OccurredAt = d.OccurredAt.UTC().Truncate(time.Microsecond)
	return d
}
