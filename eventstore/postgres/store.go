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
// is below a horizon under which every transaction that could write events
// has finished (pg_snapshot_xmin(pg_current_snapshot()), narrowed to this
// database's backends: see horizon), so no row can ever appear below it
// again. Rows below the horizon, ordered by (xid, position), form a prefix of
// the log that only grows at its end, and (xid, position) is a cursor that
// skips nothing.
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
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
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
	tail      *tail // the subscriptions' shared reads (tail.go), while there are any

	group  *group // nil unless WithGroupCommit
	recent recent // the cursors of the last events appended (recent.go)
	pace   time.Duration

	// counted is what Head has counted: the events below a horizon it saw,
	// which are final, so that it counts only from there on.
	headMu  sync.Mutex
	counted struct {
		horizon string // an xid8, as text; "" before the first count
		events  int64
	}
}

var _ eventstore.Store = (*Store)(nil)

// Option configures a Store.
type Option func(*Store)

// WithReadPace spaces the subscriptions' reads at the head of the log at
// least pace apart (0, the default, reads on every notification). Under
// load every group commit notifies; a pace lets one read, one horizon check
// and one projector transaction serve several commits, for a projection lag
// up to pace longer. Catching up is never paced.
func WithReadPace(pace time.Duration) Option {
	return func(s *Store) { s.pace = max(pace, 0) }
}

// New returns a store over pool. The schema must be in place (Migrate).
func New(pool *pgxpool.Pool, opts ...Option) *Store {
	s := &Store{pool: pool, now: time.Now, wake: make(chan struct{})}
	for _, o := range opts {
		o(s)
	}
	return s
}

// eventColumns is the column list every read scans with scanEvent.
const eventColumns = `position, xid, stream, version, event_id, type, schema_version, data,
	occurred_at, recorded_at, actor_id, actor_role, correlation_id, causation_id, hash, on_behalf_of`

var (
	// lockStreams takes the streams' locks in the order of the (sorted) array.
	lockStreams = `SELECT count(pg_advisory_xact_lock(hashtextextended(s, 0))) FROM unnest($1::text[]) AS s`
	heads       = `SELECT s, e.version, e.hash FROM unnest($1::text[]) AS s
		LEFT JOIN LATERAL (SELECT version, hash FROM events WHERE stream = s ORDER BY version DESC LIMIT 1) e ON true`
	existing = `SELECT ` + eventColumns + ` FROM events WHERE event_id = ANY($1::uuid[])`
	notify   = `SELECT pg_notify('` + Channel + `', '')`
)

// insertEvents inserts a group's events from one array per column, in the
// order of the arrays (WITH ORDINALITY … ORDER BY), and returns their
// positions and transaction ids in that order. One statement for any number
// of events: a VALUES list with a parameter per column and event was a
// prepared statement per group size, and its thirteen boxed parameters per
// event were a third of the server's allocations under make bench.
const insertEvents = `INSERT INTO events (stream, version, event_id, type, schema_version, data, occurred_at,
		recorded_at, actor_id, actor_role, correlation_id, causation_id, hash, on_behalf_of)
	SELECT stream, version, event_id, type, schema_version, data, occurred_at,
		recorded_at, actor_id, actor_role, correlation_id, causation_id, hash, on_behalf_of
	FROM unnest($1::text[], $2::bigint[], $3::uuid[], $4::text[], $5::integer[], $6::json[], $7::timestamptz[],
		$8::timestamptz[], $9::text[], $10::text[], $11::uuid[], $12::uuid[], $13::bytea[], $14::text[])
		WITH ORDINALITY AS e(stream, version, event_id, type, schema_version, data, occurred_at,
			recorded_at, actor_id, actor_role, correlation_id, causation_id, hash, on_behalf_of, n)
	ORDER BY n
	RETURNING position, xid`

// insertArgs are insertEvents' arguments for events.
func insertArgs(events []*eventstore.Event) []any {
	n := len(events)
	var (
		streams, types, actors, roles = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		onBehalfOf                    = make([]string, n)
		versions                      = make([]int64, n)
		ids, correlations, causations = make([]pgtype.UUID, n), make([]pgtype.UUID, n), make([]pgtype.UUID, n)
		schemas                       = make([]int32, n)
		data, hashes                  = make([][]byte, n), make([][]byte, n)
		occurred, recorded            = make([]time.Time, n), make([]time.Time, n)
	)
	for i, e := range events {
		streams[i], versions[i], ids[i], types[i], schemas[i] = e.Stream, e.Version, pgUUID(e.ID), e.Type, int32(e.SchemaVersion)
		data[i], occurred[i], recorded[i] = e.Data, e.OccurredAt, e.RecordedAt
		actors[i], roles[i], correlations[i], causations[i], hashes[i] = e.Actor.ID, e.Actor.Role, pgUUID(e.CorrelationID), pgUUID(e.CausationID), e.Hash
		onBehalfOf[i] = e.Actor.OnBehalfOf
	}
	return []any{streams, versions, ids, types, schemas, data, occurred, recorded, actors, roles, correlations, causations, hashes, onBehalfOf}
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

// normalize gives an event the form it has after a round trip through
// timestamptz (UTC, microseconds), so that the hash computed here is the hash
// recomputed from what is read back.
func normalize(d eventstore.EventData) eventstore.EventData {
	d.OccurredAt = d.OccurredAt.UTC().Truncate(time.Microsecond)
	return d
}
