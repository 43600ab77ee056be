package projections

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/inps/libretto/eventstore"
)

// Checkpoint is how far a projector's tables have folded the log. It lives in
// the projector's own schema (table checkpoint, one row), so a rebuild swap
// carries the rebuilt tables and their checkpoint together.
type Checkpoint struct {
	Cursor     eventstore.Cursor
	Position   int64     // global position of the last applied event
	Events     int64     // events folded so far, of every type
	RecordedAt time.Time // recorded-at of the last applied event
}

const checkpointDDL = `
CREATE TABLE IF NOT EXISTS checkpoint (
	id          boolean PRIMARY KEY DEFAULT true CHECK (id),
	major       bigint NOT NULL DEFAULT 0,
	minor       bigint NOT NULL DEFAULT 0,
	position    bigint NOT NULL DEFAULT 0,
	events      bigint NOT NULL DEFAULT 0,
	recorded_at timestamptz
);
INSERT INTO checkpoint (id) VALUES (true) ON CONFLICT DO NOTHING`

// execer is a transaction or a pool.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// enterSchema takes the projector's advisory lock (when lock) and points the
// transaction's search_path at schema.
func enterSchema(ctx context.Context, tx pgx.Tx, name, schema string, lock bool) error {
	var err error
	if lock {
		_, err = tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('libretto.projection.' || $1)), set_config('search_path', $2, true)`, name, schema)
	} else {
		_, err = tx.Exec(ctx, `SELECT set_config('search_path', $1, true)`, schema)
	}
	if err != nil {
		return fmt.Errorf("enter schema %s: %w", schema, err)
	}
	return nil
}

// readCheckpoint reads the checkpoint of the schema on the search_path,
// locking it when forUpdate.
func readCheckpoint(ctx context.Context, q execer, forUpdate bool) (Checkpoint, error) {
	sql := `SELECT major, minor, position, events, recorded_at FROM checkpoint`
	if forUpdate {
		sql += ` FOR UPDATE`
	}
	return scanCheckpoint(q.QueryRow(ctx, sql))
}

// readCheckpointOf reads the checkpoint of a schema by its qualified name.
func readCheckpointOf(ctx context.Context, q execer, schema string) (Checkpoint, error) {
	return scanCheckpoint(q.QueryRow(ctx, `SELECT major, minor, position, events, recorded_at FROM `+pgx.Identifier{schema, "checkpoint"}.Sanitize()))
}

func scanCheckpoint(row pgx.Row) (Checkpoint, error) {
	var cp Checkpoint
	var major, minor int64
	var at *time.Time
	if err := row.Scan(&major, &minor, &cp.Position, &cp.Events, &at); err != nil {
		return Checkpoint{}, fmt.Errorf("read checkpoint: %w", err)
	}
	cp.Cursor = eventstore.Cursor{Major: uint64(major), Minor: uint64(minor)}
	if at != nil {
		cp.RecordedAt = *at
	}
	return cp, nil
}

// applyInTx folds events into p's tables in the schema on tx's search_path:
// it locks the checkpoint, drops the events at or before it, applies the rest
// and moves the checkpoint, all in tx. It returns the new checkpoint and how
// many events were applied.
func applyInTx(ctx context.Context, tx pgx.Tx, p Projector, events []eventstore.Event) (Checkpoint, int, error) {
	cp, err := readCheckpoint(ctx, tx, true)
	if err != nil {
		return Checkpoint{}, 0, err
	}
	fresh := events
	for len(fresh) > 0 && !cp.Cursor.Less(fresh[0].Cursor) {
		fresh = fresh[1:]
	}
	if len(fresh) == 0 {
		return cp, 0, nil
	}
	if err := p.Apply(ctx, tx, fresh); err != nil {
		return Checkpoint{}, 0, err
	}
	cp, err = moveCheckpoint(ctx, tx, cp, fresh[len(fresh)-1], len(fresh))
	if err != nil {
		return Checkpoint{}, 0, err
	}
	return cp, len(fresh), nil
}

// checkpointUpdate returns the checkpoint after n more events up to last, and
// the statement that records it.
func checkpointUpdate(cp Checkpoint, last eventstore.Event, n int) (Checkpoint, *pgx.QueuedQuery) {
	cp = Checkpoint{Cursor: last.Cursor, Position: last.Position, Events: cp.Events + int64(n), RecordedAt: last.RecordedAt}
	return cp, &pgx.QueuedQuery{SQL: `UPDATE checkpoint SET major = $1, minor = $2, position = $3, events = $4, recorded_at = $5`,
		Arguments: []any{int64(cp.Cursor.Major), int64(cp.Cursor.Minor), cp.Position, cp.Events, cp.RecordedAt}}
}

// moveCheckpoint records in tx that n more events, up to last, are folded.
func moveCheckpoint(ctx context.Context, tx pgx.Tx, cp Checkpoint, last eventstore.Event, n int) (Checkpoint, error) {
	cp, update := checkpointUpdate(cp, last, n)
	if _, err := tx.Exec(ctx, update.SQL, update.Arguments...); err != nil {
		return Checkpoint{}, fmt.Errorf("write checkpoint: %w", err)
	}
	return cp, nil
}

// setupSchema creates schema with its checkpoint and p's tables.
func setupSchema(ctx context.Context, tx pgx.Tx, p Projector, schema string) error {
	if _, err := tx.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{schema}.Sanitize()); err != nil {
		return fmt.Errorf("create schema %s: %w", schema, err)
	}
	if err := enterSchema(ctx, tx, p.Name(), schema, false); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, checkpointDDL); err != nil {
		return fmt.Errorf("create checkpoint in %s: %w", schema, err)
	}
	if err := p.Setup(ctx, tx); err != nil {
		return fmt.Errorf("set up %s: %w", schema, err)
	}
	return nil
}
