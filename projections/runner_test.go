package projections

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
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

// waitFor waits until every projector has applied the event at position and
// its checkpoint row has passed it too (a skipped batch's row moves up to
// SkipFlush later), so that the tables and checkpoints can be compared.
func waitFor(t testing.TB, r *Runner, position int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := r.WaitFor(ctx, position); err != nil {
		st, serr := r.Status(context.Background())
		t.Fatalf("wait for %d: %v; status %+v %v", position, err, st, serr)
	}
	if position <= 0 {
		return
	}
	waitForRows(t, r, position, 10*time.Second)
}

// waitForRows waits at most d until every checkpoint row has passed the
// event at position.
func waitForRows(t testing.TB, r *Runner, position int64, d time.Duration) {
	t.Helper()
	ctx := context.Background()
	cursor, err := r.store.CursorOf(ctx, position)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(d); ; time.Sleep(5 * time.Millisecond) {
		behind := ""
		for _, name := range r.Names() {
			cp, err := readCheckpointOf(ctx, r.pool, SchemaOf(name))
			if err != nil {
				t.Fatal(err)
			}
			if cp.Cursor.Less(cursor) {
				behind = fmt.Sprintf("%s at %s", name, FormatCursor(cp.Cursor))
			}
		}
		if behind == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("checkpoint rows still behind %s after %v: %s", FormatCursor(cursor), d, behind)
		}
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
	// Keep writing while the projectors catch up; long enough that every
	// kind of history the checks below require happens.
	h.steps(2400)
	waitFor(t, r, h.last)
	live := dump(t, pool, r.Names())
	if len(live["rm_dashboard.services"]) == 0 || len(live["rm_claims.history"]) == 0 || len(live["rm_statements.lines"]) == 0 ||
		len(live["rm_payslips.payments"]) == 0 {
		t.Fatalf("history too thin to compare: %d services, %d history entries, %d statement lines, %d payslip rows",
			len(live["rm_dashboard.services"]), len(live["rm_claims.history"]), len(live["rm_statements.lines"]), len(live["rm_payslips.payments"]))
	}
	var closed int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM rm_dashboard.booklets WHERE closed`).Scan(&closed); err != nil {
		t.Fatal(err)
	}
	if closed == 0 {
		t.Fatal("no booklet of the history was closed by a paid refund: the rebuild would not be compared on one")
	}
	if h.withdrawn == 0 {
		t.Fatal("no death of the history was withdrawn by rejecting its last heir: the rebuild would not be compared on one")
	}
	if h.heldAtRun == 0 || h.reversed == 0 {
		t.Fatalf("%d prior services held by a payroll, %d reversed by their heir's rejection: the rebuild would not be compared on both", h.heldAtRun, h.reversed)
	}
	var pending, credited int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FILTER (WHERE status = 'pending'), count(*) FILTER (WHERE status = 'credited')
FROM rm_dashboard.deposits`).Scan(&pending, &credited); err != nil {
		t.Fatal(err)
	}
	if pending == 0 || h.credits == 0 {
		t.Fatalf("the history left %d deposits pending and credited %d: the rebuild would not be compared on both", pending, h.credits)
	}
	if len(h.openNotices) == 0 || h.noticesPaid == 0 {
		t.Fatalf("the history left %d notices open and paid %d: the rebuild would not be compared on both", len(h.openNotices), h.noticesPaid)
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
		// The cut may come before Start returns, which then reports it.
		if err := r.Start(ctx); err != nil && !errors.Is(err, context.Canceled) {
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

func TestUnpaidBookletsSeeTheServiceJustRecordedAndIgnoreAnotherStoppedProjector(t *testing.T) {
	t.Parallel()
	pool, store := newPool(t), memory.New()
	// A HeirRegistered whose claim id is not a string: the claims projector
	// cannot fold it; the dashboard, which UnpaidBooklets reads, ignores it.
	if _, err := store.Append(context.Background(), eventstore.StreamAppend{Stream: domain.ClaimStream("poison"), Expected: eventstore.Any,
		Events: []eventstore.EventData{{ID: uuid.New(), Type: domain.TypeHeirRegistered, SchemaVersion: 1, Data: []byte(`{"claim_id":7}`), OccurredAt: time.Now()}}}); err != nil {
		t.Fatal(err)
	}
	r := NewRunner(pool, store, quietLogger())
	r.Retry.MaxRetries = 1
	r.Retry.InitialInterval = time.Millisecond
	startRunner(t, r)
	q := r.PGQueries()
	at := time.Date(2026, 3, 5, 10, 0, 0, 0, time.UTC)
	for i := range 10 {
		user := fmt.Sprintf("U%02d", i)
		// No wait between the append and the question: a payroll run asks
		// right after the service it must pay.
		if _, err := appendEvents(context.Background(), store, at, ev{domain.BookletStream(user), recorded(fmt.Sprintf("s%d", i), user, "W1", "2026-03-05", 1, 800, "")}); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		unpaid, err := q.UnpaidBooklets(ctx)
		cancel()
		if err != nil {
			t.Fatalf("UnpaidBooklets with the claims projector stopped: %v", err)
		}
		if !slices.Contains(unpaid, user) {
			t.Fatalf("UnpaidBooklets = %v right after %s's service, want it listed", unpaid, user)
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

// probe is a selective projector: it folds only probeFolded events, one row
// each, and counts its transactions (every live one calls Apply).
type probe struct{ applies atomic.Int32 }

const (
	probeFolded  = "ProbeFolded"
	probeIgnored = "ProbeIgnored" // no projector folds it
)

func (*probe) Name() string                  { return "probe" }
func (*probe) Handles(eventType string) bool { return eventType == probeFolded }
func (*probe) Setup(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS seen (position bigint PRIMARY KEY)`)
	return err
}

func (p *probe) Apply(ctx context.Context, tx pgx.Tx, events []eventstore.Event) error {
	p.applies.Add(1)
	var positions []int64
	for _, e := range events {
		if e.Type == probeFolded {
			positions = append(positions, e.Position)
		}
	}
	if len(positions) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO seen SELECT unnest($1::bigint[])`, positions)
	return err
}

// appendProbe appends n events of type typ in one append and returns them.
func appendProbe(t testing.TB, store eventstore.Store, typ string, n int) []eventstore.Event {
	t.Helper()
	data := make([]eventstore.EventData, n)
	for i := range data {
		data[i] = eventstore.EventData{ID: uuid.New(), Type: typ, SchemaVersion: 1, Data: []byte(`{}`),
			OccurredAt: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
	}
	stored, err := store.Append(context.Background(), eventstore.StreamAppend{Stream: "probe-" + uuid.NewString(), Expected: eventstore.Any, Events: data})
	if err != nil {
		t.Fatal(err)
	}
	return stored
}

// checkpointRows reads every projector's checkpoint row.
func checkpointRows(t testing.TB, r *Runner) map[string]Checkpoint {
	t.Helper()
	out := map[string]Checkpoint{}
	for _, name := range r.Names() {
		cp, err := readCheckpointOf(context.Background(), r.pool, SchemaOf(name))
		if err != nil {
			t.Fatal(err)
		}
		out[name] = cp
	}
	return out
}

func TestABatchNoProjectorFoldsOpensNoTransaction(t *testing.T) {
	t.Parallel()
	pool, store, h := newMemoryHistory(t, 13, 100)
	pr := &probe{}
	r := NewRunner(pool, store, quietLogger(), pr)
	r.SkipFlush = 2 * time.Second
	startRunner(t, r)
	waitFor(t, r, h.last)
	events := h.events
	before, rows := pr.applies.Load(), checkpointRows(t, r)

	// Events no projector folds: WaitFor passes them at once, yet no
	// projector writes until the timer records its checkpoint.
	appended := time.Now()
	ignored := appendProbe(t, store, probeIgnored, 5)
	events += 5
	last := ignored[len(ignored)-1]
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := r.WaitFor(ctx, last.Position); err != nil {
		t.Fatal(err)
	}
	now := checkpointRows(t, r)
	if quick := time.Since(appended) < r.SkipFlush/2; quick {
		if n := pr.applies.Load(); n != before {
			t.Errorf("the probe wrote %d transactions for a batch it folds nothing of", n-before)
		}
		for name, cp := range now {
			if cp != rows[name] {
				t.Errorf("%s: checkpoint row moved to %+v before the skip timer", name, cp)
			}
		}
	} else {
		t.Logf("WaitFor took %v: too slow to tell the skip from the timer", time.Since(appended))
	}
	waitForRows(t, r, last.Position, 10*time.Second)
	if took := time.Since(appended); took < r.SkipFlush {
		t.Errorf("checkpoint rows recorded after %v, before the skip timer (%v)", took, r.SkipFlush)
	}
	for name, cp := range checkpointRows(t, r) {
		if cp.Cursor != last.Cursor || cp.Position != last.Position || cp.Events != events {
			t.Errorf("%s: checkpoint row %+v after the skip timer, want cursor %s, %d events", name, cp, FormatCursor(last.Cursor), events)
		}
	}
	if n := pr.applies.Load(); n != before+1 {
		t.Errorf("the skip timer took %d probe transactions, want 1", n-before)
	}

	// Skipped events and the next batch the probe folds: one transaction,
	// whose checkpoint counts both.
	before = pr.applies.Load()
	appended = time.Now()
	appendProbe(t, store, probeIgnored, 3)
	folded := appendProbe(t, store, probeFolded, 1)[0]
	events += 4
	if err := r.WaitFor(ctx, folded.Position); err != nil {
		t.Fatal(err)
	}
	cp := checkpointRows(t, r)["probe"]
	if cp.Cursor != folded.Cursor || cp.Events != events {
		t.Errorf("probe checkpoint row %+v, want cursor %s and %d events", cp, FormatCursor(folded.Cursor), events)
	}
	if n := pr.applies.Load(); n != before+1 && time.Since(appended) < r.SkipFlush {
		t.Errorf("the probe wrote %d transactions for a skipped batch and a folded one, want 1", n-before)
	}
	var seen []int64
	rowsSeen, err := pool.Query(ctx, `SELECT position FROM rm_probe.seen`)
	if err == nil {
		seen, err = pgx.CollectRows(rowsSeen, pgx.RowTo[int64])
	}
	if err != nil || len(seen) != 1 || seen[0] != folded.Position {
		t.Errorf("probe rows %v %v, want [%d]", seen, err, folded.Position)
	}
	waitFor(t, r, folded.Position)
	caughtUp(t, r, events)
}

func TestARestartAfterSkippedBatchesNeitherSkipsNorCountsTwice(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	store := memory.New()
	h := newHistory(t, store, 21)
	h.steps(300)

	// The first run skips batches (the family projector folds none of the
	// history) and crashes before it records them: its pool is gone when it
	// stops.
	crashed, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	r := NewRunner(crashed, store, quietLogger(), &probe{})
	r.BatchSize = 7
	r.SkipFlush = time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	h.steps(300)
	appendProbe(t, store, probeIgnored, 4)
	folded := appendProbe(t, store, probeFolded, 2)
	wctx, wcancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer wcancel()
	if err := r.WaitFor(wctx, folded[1].Position); err != nil {
		t.Fatal(err)
	}
	last := appendProbe(t, store, probeIgnored, 3) // a batch of its own
	events := h.events + 9
	if err := r.WaitFor(wctx, last[len(last)-1].Position); err != nil {
		t.Fatal(err)
	}
	rows := checkpointRows(t, r)
	crashed.Close()
	cancel()
	r.Wait()
	if head := last[len(last)-1].Cursor; !rows[FamilyProjector].Cursor.Less(head) || !rows["probe"].Cursor.Less(head) {
		t.Fatalf("checkpoint rows %+v: the family and probe rows should lag behind the skipped batches", rows)
	}

	pool := newPoolAt(t, url)
	r = NewRunner(pool, store, quietLogger(), &probe{})
	startRunner(t, r)
	waitFor(t, r, last[len(last)-1].Position)
	live := dump(t, pool, r.Names())
	if got := live["rm_probe.seen"]; len(got) != 2 {
		t.Errorf("probe rows %v, want the 2 folded events (positions %d, %d)", got, folded[0].Position, folded[1].Position)
	}
	rebuildMatches(t, r, pool, "restart after skipped batches", live)
	caughtUp(t, r, events)
}

// newPoolAt returns a pool on the database at url, closed when the test ends.
func newPoolAt(t testing.TB, url string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func TestTwoRunnersOnOneDatabaseApplyEveryEventOnce(t *testing.T) {
	t.Parallel()
	pool, store, h := newMemoryHistory(t, 17, 200)
	a := NewRunner(pool, store, quietLogger())
	b := NewRunner(newPoolAt(t, pgxpoolURL(t, pool)), store, quietLogger())
	a.BatchSize, b.BatchSize = 5, 7 // batches that straddle each other's
	startRunner(t, a)
	startRunner(t, b)
	h.steps(600)
	waitFor(t, a, h.last)
	waitFor(t, b, h.last)
	live := dump(t, pool, a.Names())
	rebuildMatches(t, a, pool, "two runners", live)
	caughtUp(t, a, h.events)
}

// pgxpoolURL returns the connection string pool was opened with.
func pgxpoolURL(t testing.TB, pool *pgxpool.Pool) string {
	t.Helper()
	return pool.Config().ConnString()
}

func TestBatchOfTakesTheEventsFromTheContextElseDecodesThePayload(t *testing.T) {
	t.Parallel()
	events := []eventstore.Event{
		{EventData: eventstore.EventData{ID: uuid.New(), Type: probeFolded, Data: []byte(`{"a":1}`)}, Stream: "probe-1", Position: 41, Cursor: eventstore.Cursor{Major: 7, Minor: 41}},
		{EventData: eventstore.EventData{ID: uuid.New(), Type: probeIgnored, Data: []byte(`{}`)}, Stream: "probe-1", Position: 42, Cursor: eventstore.Cursor{Major: 7, Minor: 42}},
	}
	in := batchMessage(context.Background(), events)
	if len(in.Payload) != 0 {
		t.Errorf("an in-process batch carries a %d-byte payload", len(in.Payload))
	}
	if got := [4]string{in.Metadata.Get(MetaCursor), in.Metadata.Get(MetaFirstPosition), in.Metadata.Get(MetaLastPosition), in.Metadata.Get(MetaEvents)}; got != [4]string{"7/42", "41", "42", "2"} {
		t.Errorf("metadata %v", got)
	}
	got, err := BatchOf(in)
	if err != nil || len(got) != 2 || &got[0] != &events[0] {
		t.Errorf("BatchOf(in-process) = %v, %v: want the very events", got, err)
	}

	out, err := EncodeBatch(events)
	if err != nil {
		t.Fatal(err)
	}
	got, err = BatchOf(out)
	if err != nil || len(got) != 2 || got[1].ID != events[1].ID || got[0].Cursor != events[0].Cursor || string(got[0].Data) != `{"a":1}` {
		t.Errorf("BatchOf(encoded) = %+v, %v", got, err)
	}
	if out.Metadata.Get(MetaCursor) != "7/42" {
		t.Errorf("encoded metadata %v", out.Metadata)
	}
	garbled := message.NewMessage("x", []byte("not json"))
	if _, err := BatchOf(garbled); err == nil {
		t.Error("BatchOf decoded a garbled payload")
	}
}
