package projections

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/eventstore"
	"github.com/inps/libretto/eventstore/memory"
	"github.com/inps/libretto/eventstore/postgres"
	"github.com/inps/libretto/eventstore/postgres/pgtest"
)

func newPool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	url := pgtest.NewDatabase(t)
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// startRunner starts r until the test ends.
func startRunner(t testing.TB, r *Runner) context.CancelFunc {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := r.Start(ctx); err != nil {
		t.Fatalf("start: %v", err)
	}
	return cancel
}

func waitFor(t testing.TB, r *Runner, position int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := r.WaitFor(ctx, position); err != nil {
		st, serr := r.Status(context.Background())
		t.Fatalf("wait for %d: %v; status %+v %v", position, err, st, serr)
	}
}

// dump returns every row of every table of the live schemas, as text, in a
// stable order.
func dump(t testing.TB, pool *pgxpool.Pool, names []string) map[string][]string {
	t.Helper()
	ctx := context.Background()
	out := map[string][]string{}
	for _, n := range names {
		schema := SchemaOf(n)
		rows, err := pool.Query(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`, schema)
		if err != nil {
			t.Fatal(err)
		}
		tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		for _, tb := range tables {
			id := pgx.Identifier{schema, tb}.Sanitize()
			rows, err := pool.Query(ctx, `SELECT t::text FROM `+id+` t ORDER BY 1`)
			if err != nil {
				t.Fatal(err)
			}
			lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				t.Fatal(err)
			}
			out[schema+"."+tb] = lines
		}
	}
	return out
}

func compareDumps(t *testing.T, what string, want, got map[string][]string) {
	t.Helper()
	for table, rows := range want {
		g := got[table]
		if len(g) != len(rows) {
			t.Errorf("%s: %s has %d rows, want %d", what, table, len(g), len(rows))
			continue
		}
		for i := range rows {
			if rows[i] != g[i] {
				t.Errorf("%s: %s row %d:\n got %s\nwant %s", what, table, i, g[i], rows[i])
				break
			}
		}
	}
	for table := range got {
		if _, ok := want[table]; !ok {
			t.Errorf("%s: unexpected table %s", what, table)
		}
	}
}

// newMemoryHistory returns a pool on a fresh database for the read models and
// an in-memory store holding the first steps commands of the seeded history.
func newMemoryHistory(t testing.TB, seed uint64, steps int) (*pgxpool.Pool, *memory.Store, *history) {
	t.Helper()
	pool := newPool(t)
	store := memory.New()
	h := newHistory(t, store, seed)
	h.steps(steps)
	return pool, store, h
}

// rebuildMatches rebuilds every read model and compares it with want, the
// dump taken from the live tables.
func rebuildMatches(t *testing.T, r *Runner, pool *pgxpool.Pool, what string, want map[string][]string) {
	t.Helper()
	if err := r.Rebuild(context.Background(), nil, nil); err != nil {
		t.Fatal(err)
	}
	compareDumps(t, what, want, dump(t, pool, r.Names()))
}

// caughtUp checks that every projector has applied events events, with no
// lag and without stopping.
func caughtUp(t *testing.T, r *Runner, events int64) {
	t.Helper()
	st, err := r.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range st {
		if s.Events != events || s.LagEvents != 0 || s.Stopped != "" {
			t.Errorf("%+v: want %d events, no lag", s, events)
		}
	}
}

func TestLiveReadModelsEqualTheirRebuild(t *testing.T) {
	t.Parallel()
	pool, store, h := newMemoryHistory(t, 42, 400)
	r := NewRunner(pool, store, quietLogger())
	r.BatchSize = 7 // many small batches, some cut across atomic appends
	startRunner(t, r)
	// Keep writing while the projectors catch up.
	h.steps(1200)
	waitFor(t, r, h.last)
	live := dump(t, pool, r.Names())
	if len(live["rm_dashboard.services"]) == 0 || len(live["rm_claims.history"]) == 0 || len(live["rm_statements.lines"]) == 0 {
		t.Fatalf("history too thin to compare: %d services, %d history entries, %d statement lines",
			len(live["rm_dashboard.services"]), len(live["rm_claims.history"]), len(live["rm_statements.lines"]))
	}
	var calls int
	if err := r.Rebuild(context.Background(), nil, func(done, total int64) { calls++ }); err != nil {
		t.Fatal(err)
	}
	if calls == 0 {
		t.Error("rebuild never reported progress")
	}
	rebuilt := dump(t, pool, r.Names())
	compareDumps(t, "rebuild", live, rebuilt)

	// The live projectors go on from the swapped checkpoint.
	h.steps(200)
	waitFor(t, r, h.last)
	after := dump(t, pool, r.Names())
	// Small reads and many flushes: rows written by one flush change in a
	// later one.
	r.RebuildBatch, r.RebuildFlush = 37, 300
	rebuildMatches(t, r, pool, "after swap", after)
	if err := r.Ready(); err != nil {
		t.Errorf("ready: %v", err)
	}
}

// cutting wraps a projector and cancels the run in the middle of the nth
// batch, after its rows are written and before the checkpoint commits.
type cutting struct {
	Projector
	n      int32
	calls  atomic.Int32
	cancel context.CancelFunc
}

func (c *cutting) Apply(ctx context.Context, tx pgx.Tx, events []eventstore.Event) error {
	if err := c.Projector.Apply(ctx, tx, events); err != nil {
		return err
	}
	if c.calls.Add(1) == c.n {
		c.cancel()
		<-ctx.Done()
		return ctx.Err()
	}
	return nil
}

func TestCancellingAProjectorMidBatchCountsNothingTwice(t *testing.T) {
	t.Parallel()
	pool, store, h := newMemoryHistory(t, 7, 800)
	for _, n := range []int32{1, 3} {
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		r := NewRunner(pool, store, quietLogger())
		r.BatchSize = 50
		for i, p := range r.projectors {
			r.projectors[i] = &cutting{Projector: p, n: n, cancel: cancel}
		}
		if err := r.Start(ctx); err != nil {
			t.Fatal(err)
		}
		<-ctx.Done()
		time.Sleep(50 * time.Millisecond) // let the router wind down
		if err := r.Ready(); err == nil {
			t.Errorf("a cancelled runner reports ready")
		}
	}
	r := NewRunner(pool, store, quietLogger())
	startRunner(t, r)
	waitFor(t, r, h.last)
	live := dump(t, pool, r.Names())
	rebuildMatches(t, r, pool, "restart", live)
	caughtUp(t, r, h.events)
}

func TestAPoisonEventStopsItsProjectorLoudly(t *testing.T) {
	t.Parallel()
	pool, store, h := newMemoryHistory(t, 3, 50)
	// A ServiceRecorded whose hours are not a number: the dashboard cannot
	// fold it; the claims projector ignores the type.
	poison, err := store.Append(context.Background(), eventstore.StreamAppend{Stream: domain.BookletStream("USR000000000000"), Expected: eventstore.Any,
		Events: []eventstore.EventData{{ID: uuid.New(), Type: domain.TypeServiceRecorded, SchemaVersion: 1, Data: []byte(`{"service_id":"x","hours":"many"}`), OccurredAt: h.now}}})
	if err != nil {
		t.Fatal(err)
	}
	h.steps(50)
	r := NewRunner(pool, store, quietLogger())
	r.Retry.MaxRetries = 1
	r.Retry.InitialInterval = time.Millisecond
	startRunner(t, r)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = r.WaitFor(ctx, h.last)
	var stopped *StoppedError
	if !errors.As(err, &stopped) {
		t.Fatalf("WaitFor past the poison = %v, want a StoppedError", err)
	}
	if stopped.Projector != DashboardProjector || stopped.Event == nil || stopped.Event.Position != poison[0].Position {
		t.Errorf("stopped = %v, want the dashboard at position %d", stopped, poison[0].Position)
	}
	if err := r.Ready(); err == nil || !strings.Contains(err.Error(), "dashboard") {
		t.Errorf("Ready() = %v, want the dashboard reported", err)
	}
	st, err := r.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range st {
		switch s.Name {
		case DashboardProjector:
			if s.Stopped == "" || s.Position != poison[0].Position-1 {
				t.Errorf("dashboard status %+v: want stopped just before %d", s, poison[0].Position)
			}
		case ClaimsProjector:
			if s.Stopped != "" || s.Position != h.last {
				t.Errorf("claims status %+v: want it past the poison at %d", s, h.last)
			}
		}
	}
}

func TestWaitForWakesWhenTheProjectorsPass(t *testing.T) {
	t.Parallel()
	pool, store, h := newMemoryHistory(t, 11, 0)
	r := NewRunner(pool, store, quietLogger())
	startRunner(t, r)
	h.steps(20)
	target := h.last + 1 // not written yet
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		done <- r.WaitFor(ctx, target)
	}()
	h.step()
	for h.last < target {
		h.step()
	}
	if err := <-done; err != nil {
		t.Fatalf("WaitFor(%d) = %v", target, err)
	}
	// Another process (a runner that was not started) reads checkpoints.
	other := NewRunner(pool, store, quietLogger())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := other.WaitFor(ctx, target); err != nil {
		t.Fatalf("WaitFor from another process = %v", err)
	}
}

// newPGStore returns a pool on a fresh, migrated database and the event store
// in it; the projections share the database, as in production.
func newPGStore(t testing.TB) (*pgxpool.Pool, *postgres.Store) {
	t.Helper()
	url := pgtest.NewDatabase(t)
	if err := postgres.Migrate(context.Background(), url); err != nil {
		t.Fatal(err)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 16
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool, postgres.New(pool)
}

func TestLiveReadModelsEqualTheirRebuildOverPostgresWithConcurrentWriters(t *testing.T) {
	t.Parallel()
	pool, store := newPGStore(t)
	r := NewRunner(pool, store, quietLogger())
	r.BatchSize = 5
	startRunner(t, r)
	const writers = 4
	histories := make([]*history, writers)
	done := make(chan struct{}, writers)
	for i := range histories {
		histories[i] = newHistory(t, store, uint64(100+i))
		histories[i].prefix = string(rune('A' + i))
		go func(h *history) {
			defer func() { done <- struct{}{} }()
			h.steps(300)
		}(histories[i])
	}
	var events int64
	for range writers {
		<-done
	}
	for _, h := range histories {
		waitFor(t, r, h.last)
		events += h.events
	}
	live := dump(t, pool, r.Names())
	rebuildMatches(t, r, pool, "rebuild", live)
	caughtUp(t, r, events)
}

func TestAnInterruptedRebuildCanRunAgain(t *testing.T) {
	t.Parallel()
	pool, store, h := newMemoryHistory(t, 5, 600)
	r := NewRunner(pool, store, quietLogger())
	startRunner(t, r)
	waitFor(t, r, h.last)
	live := dump(t, pool, r.Names())

	r.RebuildBatch, r.RebuildFlush = 50, 200
	ctx, cancel := context.WithCancel(context.Background())
	err := r.Rebuild(ctx, nil, func(done, total int64) {
		if done > 300 {
			cancel()
		}
	})
	cancel()
	if err == nil {
		t.Fatal("an interrupted rebuild reports success")
	}
	compareDumps(t, "live tables after an interrupted rebuild", live, dump(t, pool, r.Names()))
	if err := r.Rebuild(context.Background(), nil, nil); err != nil {
		t.Fatalf("rebuild after an interrupted one: %v", err)
	}
	compareDumps(t, "rebuild after an interrupted one", live, dump(t, pool, r.Names()))
	var leftovers int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'rm\_%\_\_%'`).Scan(&leftovers); err != nil {
		t.Fatal(err)
	}
	if leftovers != 0 {
		t.Errorf("%d rebuild schemas left behind", leftovers)
	}
}

// Not parallel: it changes flushChunk while the parallel tests wait.
func TestRowsSplitAcrossStatementsFoldTheSame(t *testing.T) {
	pool, store, h := newMemoryHistory(t, 9, 500)
	r := NewRunner(pool, store, quietLogger())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, r, h.last)
	live := dump(t, pool, r.Names())
	defer func(n int) { flushChunk = n }(flushChunk)
	flushChunk = 3
	rebuildMatches(t, r, pool, "rebuild in chunks of 3 rows", live)
	cancel()
}
