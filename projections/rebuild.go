package projections

import (
	"context"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/errgroup"

	"github.com/inps/libretto/eventstore"
)

// Rebuild defaults: see Runner.RebuildBatch and Runner.RebuildFlush.
const (
	DefaultRebuildBatch = 20000
	DefaultRebuildFlush = 250000
)

// Rebuild rebuilds the named projectors (every one when names is empty) from
// the first event while their live tables keep serving, then swaps each in.
//
// For each projector it drops any leftover rebuild schema (an interrupted
// rebuild simply starts over), creates a fresh one and folds the whole log
// into it in batches, reading the log once for all the projectors. Then, per
// projector, one transaction takes the advisory lock that the live projector
// takes for every batch, folds into the fresh schema the events the live
// checkpoint has passed meanwhile, and renames the schemas: live to retired,
// fresh to live; the retired one is dropped. Queries see the old tables or
// the new ones, never a mix, and the live projector resumes from the swapped
// checkpoint, skipping what the rebuild already folded.
//
// progress, when not nil, is called after every batch with the events read
// and the events in the log when the rebuild started.
func (r *Runner) Rebuild(ctx context.Context, names []string, progress func(done, total int64)) error {
	if len(names) == 0 {
		names = r.Names()
	}
	var ps []Projector
	for _, n := range names {
		p, err := r.projector(n)
		if err != nil {
			return err
		}
		ps = append(ps, p)
	}
	if err := r.Setup(ctx); err != nil {
		return err
	}

	// One rebuild of a projector at a time, across processes.
	conn, err := r.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("projections: rebuild: %w", err)
	}
	defer conn.Release()
	for _, p := range ps {
		var ok bool
		if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock(hashtext('libretto.rebuild.' || $1))`, p.Name()).Scan(&ok); err != nil {
			return fmt.Errorf("projections: rebuild lock: %w", err)
		}
		if !ok {
			return fmt.Errorf("projections: a rebuild of %s is already running", p.Name())
		}
		defer func() {
			_, _ = conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(hashtext('libretto.rebuild.' || $1))`, p.Name())
		}()
	}

	deferred := make([][]string, len(ps))
	for i, p := range ps {
		err := pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{rebuildSchemaOf(p.Name())}.Sanitize()+` CASCADE`); err != nil {
				return err
			}
			if err := setupSchema(ctx, tx, p, rebuildSchemaOf(p.Name())); err != nil {
				return err
			}
			var err error
			deferred[i], err = dropSecondaryIndexes(ctx, tx, rebuildSchemaOf(p.Name()))
			return err
		})
		if err != nil {
			return fmt.Errorf("projections: rebuild %s: fresh schema: %w", p.Name(), err)
		}
	}

	head, err := r.store.Head(ctx)
	if err != nil {
		return fmt.Errorf("projections: rebuild: head: %w", err)
	}
	if err := r.fold(ctx, ps, head.Events, progress); err != nil {
		return err
	}
	for i, p := range ps {
		// Built once over the whole table, indexes cost a fraction of what
		// maintaining them row by row does.
		for _, def := range deferred[i] {
			if _, err := r.pool.Exec(ctx, def); err != nil {
				return fmt.Errorf("projections: rebuild %s: %s: %w", p.Name(), def, err)
			}
		}
		if err := r.swap(ctx, p); err != nil {
			return err
		}
	}
	return nil
}

// dropSecondaryIndexes drops the indexes of schema that no constraint needs
// (the unique ones stay: folding relies on them) and returns their
// definitions, to be created again once the tables are full.
func dropSecondaryIndexes(ctx context.Context, tx pgx.Tx, schema string) ([]string, error) {
	rows, err := tx.Query(ctx, `
SELECT pg_get_indexdef(i.indexrelid), quote_ident(n.nspname) || '.' || quote_ident(c.relname)
FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND NOT i.indisunique AND NOT i.indisprimary
ORDER BY c.relname`, schema)
	if err != nil {
		return nil, err
	}
	type index struct{ Def, Name string }
	indexes, err := pgx.CollectRows(rows, pgx.RowToStructByPos[index])
	if err != nil {
		return nil, err
	}
	defs := make([]string, 0, len(indexes))
	for _, ix := range indexes {
		if _, err := tx.Exec(ctx, `DROP INDEX `+ix.Name); err != nil {
			return nil, err
		}
		defs = append(defs, ix.Def)
	}
	return defs, nil
}

func (r *Runner) applyRebuild(ctx context.Context, p Projector, events []eventstore.Event) error {
	err := pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
		if err := enterSchema(ctx, tx, p.Name(), rebuildSchemaOf(p.Name()), false); err != nil {
			return err
		}
		// A crash loses at most this unfinished rebuild, which starts over
		// anyway: no need to wait for the WAL flush.
		if _, err := tx.Exec(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
			return err
		}
		_, _, err := applyInTx(ctx, tx, p, events)
		return err
	})
	if err != nil {
		return fmt.Errorf("projections: rebuild %s (events %d..%d): %w", p.Name(), events[0].Position, events[len(events)-1].Position, err)
	}
	return nil
}

// flushRebuild writes an accumulator of the n events up to last into p's
// fresh schema, with its checkpoint.
func (r *Runner) flushRebuild(ctx context.Context, p Projector, acc Accumulator, last eventstore.Event, n int) error {
	err := pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
		if err := enterSchema(ctx, tx, p.Name(), rebuildSchemaOf(p.Name()), false); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
			return err
		}
		cp, err := readCheckpoint(ctx, tx, true)
		if err != nil {
			return err
		}
		_, update := checkpointUpdate(cp, last, n)
		return flush(ctx, tx, acc, update)
	})
	if err != nil {
		return fmt.Errorf("projections: rebuild %s (up to event %d): %w", p.Name(), last.Position, err)
	}
	return nil
}

// swap catches the fresh schema up with the live checkpoint and puts it in
// the live one's place, atomically.
func (r *Runner) swap(ctx context.Context, p Projector) error {
	live, fresh, retired := SchemaOf(p.Name()), rebuildSchemaOf(p.Name()), retiredSchemaOf(p.Name())
	var cp Checkpoint
	err := pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
		if err := enterSchema(ctx, tx, p.Name(), fresh, true); err != nil {
			return err
		}
		target, err := readCheckpointOf(ctx, tx, live)
		if err != nil {
			return err
		}
		for {
			cur, err := readCheckpoint(ctx, tx, false)
			if err != nil {
				return err
			}
			cp = cur
			if !cur.Cursor.Less(target.Cursor) {
				break
			}
			events, err := r.store.ReadAll(ctx, cur.Cursor, r.RebuildBatch)
			if err != nil {
				return err
			}
			n := 0
			for n < len(events) && !target.Cursor.Less(events[n].Cursor) {
				n++
			}
			if n == 0 {
				return fmt.Errorf("live checkpoint %s is past the end of the log", FormatCursor(target.Cursor))
			}
			if _, _, err := applyInTx(ctx, tx, p, events[:n]); err != nil {
				return err
			}
		}
		for _, stmt := range []string{
			`DROP SCHEMA IF EXISTS ` + pgx.Identifier{retired}.Sanitize() + ` CASCADE`,
			`ALTER SCHEMA ` + pgx.Identifier{live}.Sanitize() + ` RENAME TO ` + pgx.Identifier{retired}.Sanitize(),
			`ALTER SCHEMA ` + pgx.Identifier{fresh}.Sanitize() + ` RENAME TO ` + pgx.Identifier{live}.Sanitize(),
			`DROP SCHEMA ` + pgx.Identifier{retired}.Sanitize() + ` CASCADE`,
		} {
			if _, err := tx.Exec(ctx, stmt); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("projections: rebuild %s: swap: %w", p.Name(), err)
	}
	r.advance(p.Name(), cp)
	return nil
}

// fold reads the log once and folds it into every projector's fresh schema.
// Reading and each projector run in their own goroutine (and connection),
// with a few batches of slack between them, so the slowest of them sets the
// pace rather than their sum.
func (r *Runner) fold(ctx context.Context, ps []Projector, total int64, progress func(done, total int64)) error {
	g, ctx := errgroup.WithContext(ctx)
	feeds := make([]chan []eventstore.Event, len(ps))
	for i := range feeds {
		feeds[i] = make(chan []eventstore.Event, 2)
	}
	g.Go(func() error {
		defer func() {
			for _, f := range feeds {
				close(f)
			}
		}()
		var from eventstore.Cursor
		for {
			events, err := r.store.ReadAll(ctx, from, r.RebuildBatch)
			if err != nil {
				return fmt.Errorf("projections: rebuild: read: %w", err)
			}
			if len(events) == 0 {
				return nil
			}
			from = events[len(events)-1].Cursor
			for _, f := range feeds {
				select {
				case f <- events:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
		}
	})
	var mu sync.Mutex
	done := make([]int64, len(ps))
	report := func(i int, n int64) {
		if progress == nil {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		done[i] += n
		least := done[0]
		for _, d := range done {
			least = min(least, d)
		}
		total = max(total, least)
		progress(least, total)
	}
	if progress != nil {
		progress(0, total)
	}
	for i, p := range ps {
		bp, bulk := p.(BulkProjector)
		g.Go(func() error {
			if !bulk {
				for events := range feeds[i] {
					if err := r.applyRebuild(ctx, p, events); err != nil {
						return err
					}
					report(i, int64(len(events)))
				}
				return ctx.Err()
			}
			acc, n := bp.NewAccumulator(), 0
			var last eventstore.Event
			for events := range feeds[i] {
				if err := acc.Fold(events); err != nil {
					return fmt.Errorf("projections: rebuild %s (events %d..%d): %w", p.Name(), events[0].Position, events[len(events)-1].Position, err)
				}
				n += len(events)
				last = events[len(events)-1]
				if n >= r.RebuildFlush {
					if err := r.flushRebuild(ctx, p, acc, last, n); err != nil {
						return err
					}
					acc, n = bp.NewAccumulator(), 0
				}
				report(i, int64(len(events)))
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if n > 0 {
				return r.flushRebuild(ctx, p, acc, last, n)
			}
			return nil
		})
	}
	return g.Wait()
}
