package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/inps/libretto/eventstore/postgres"
	"github.com/inps/libretto/eventstore/postgres/pgtest"
	"github.com/inps/libretto/projections"
)

// soakSeconds is the load's length: LIBRETTO_SOAK_SECONDS (make soak sets
// 300), else a short form of 4 s for make test.
func soakSeconds() int {
	if n, err := strconv.Atoi(os.Getenv("LIBRETTO_SOAK_SECONDS")); err == nil && n > 0 {
		return n
	}
	return 4
}

// libretto is the binary under test: $LIBRETTO_BIN, else built afresh.
func libretto(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("LIBRETTO_BIN"); bin != "" {
		abs, err := filepath.Abs(bin)
		if err != nil {
			t.Fatal(err)
		}
		return abs
	}
	bin := filepath.Join(t.TempDir(), "libretto")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/inps/libretto/cmd/libretto").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestEveryAcknowledgedCommandSurvivesKill9 runs 16 clients of
// RecordService and InsertPriorService against a server child process,
// kills it with SIGKILL mid-load (every 30 s in the long form), restarts it
// and carries on. Afterwards every command answered 201 is in the event
// store, and the read models the live projectors built equal a rebuild from
// the log.
func TestEveryAcknowledgedCommandSurvivesKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("kill -9 needs PostgreSQL and a server child process")
	}
	ctx := context.Background()
	dbURL := pgtest.NewDatabase(t)
	srv, err := startServer(ctx, libretto(t), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.stop)
	cl := newClient(srv.base)
	cl.http.Timeout = 10 * time.Second
	// A population sized for the whole run at up to soakRate commands/s,
	// so that the annual caps (625 one-voucher services per worker, 1,250
	// per user) still leave room at its end and the long form keeps
	// recording, not refusing: sized by seconds alone (12 workers per 20 s),
	// a 120 s run ran out of workers' cap after 45,000 commands and refused
	// the other 272,000.
	const soakRate = 4000
	secs := soakSeconds()
	o := loadOptions{Clients: 16, Booklets: max(60, secs*soakRate/1250), Workers: max(12, secs*soakRate/625)}
	pop, err := setup(ctx, cl, o, 0)
	if err != nil {
		t.Fatal(err)
	}

	total := time.Duration(soakSeconds()) * time.Second
	o.Duration = total
	loaded := make(chan *stats, 1)
	go func() { loaded <- runLoad(ctx, cl, pop, o, false) }()
	every := min(total/2, 30*time.Second)
	kills := 0
	for end := time.Now().Add(total - every/2); kills == 0 || time.Now().Add(every).Before(end); {
		time.Sleep(every)
		srv.kill()
		kills++
		if err := srv.start(ctx); err != nil {
			t.Fatalf("restart after kill -9: %v", err)
		}
	}
	st := <-loaded
	t.Logf("%d kills; %d commands acknowledged, %d refused or lost in flight %s", kills, st.ok, st.errors, st.errorSummary())
	if capped := st.byStatus["422 cap_exceeded"]; capped > st.ok/10 {
		t.Errorf("%d commands refused with cap_exceeded against %d acknowledged: the population is too small for the load", capped, st.ok)
	}
	if st.ok == 0 {
		t.Fatal("no command was acknowledged")
	}

	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	ids := make([]string, len(st.acks))
	for i, a := range st.acks {
		ids[i] = a.ServiceID
	}
	var missing []string
	rows, err := pool.Query(ctx, `
		SELECT id FROM unnest($1::text[]) AS id
		WHERE NOT EXISTS (SELECT 1 FROM events WHERE type = 'ServiceRecorded' AND data->>'service_id' = id)`, ids)
	if err != nil {
		t.Fatal(err)
	}
	missing, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if len(missing) > 0 {
		t.Fatalf("%d of %d acknowledged services are not in the event store, e.g. %s", len(missing), len(ids), missing[0])
	}

	// Let the restarted server's projectors reach the head, stop it, and
	// compare what they built with a rebuild from the log.
	store := postgres.New(pool)
	head, err := store.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cl.visible(ctx, pop.operator, st.acks[len(st.acks)-1].BookletCF, st.acks[len(st.acks)-1].ServiceID, head.Position, time.Now()); !ok {
		code, raw, err := cl.as(ctx, pop.operator, "GET", fmt.Sprintf("/families/%s/dashboard?min_position=%d", st.acks[len(st.acks)-1].BookletCF, head.Position), nil, nil)
		t.Fatalf("the read models did not reach the head (%d) after the restart: %d %s %v", head.Position, code, raw, err)
	}
	srv.stop()
	live := dumpReadModels(t, pool)
	r := projections.NewRunner(pool, store, slog.New(slog.DiscardHandler))
	if err := r.Rebuild(ctx, nil, nil); err != nil {
		t.Fatal(err)
	}
	rebuilt := dumpReadModels(t, pool)
	for table, sum := range rebuilt {
		if live[table] != sum {
			t.Errorf("read model %s differs from its rebuild", table)
		}
	}
	if len(live) != len(rebuilt) {
		t.Errorf("live read models have %d tables, the rebuild %d", len(live), len(rebuilt))
	}
}

// dumpReadModels returns a digest of every read-model table's rows (rm_*
// schemas), and of each checkpoint's position and event count.
func dumpReadModels(t *testing.T, pool *pgxpool.Pool) map[string]string {
	t.Helper()
	ctx := context.Background()
	rows, err := pool.Query(ctx, `
		SELECT table_schema, table_name FROM information_schema.tables
		WHERE table_schema LIKE 'rm\_%' AND table_schema NOT LIKE '%\_\_%' AND table_type = 'BASE TABLE'
		ORDER BY 1, 2`)
	if err != nil {
		t.Fatal(err)
	}
	type table struct{ Schema, Name string }
	tables, err := pgx.CollectRows(rows, pgx.RowToStructByPos[table])
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, tb := range tables {
		q := pgx.Identifier{tb.Schema, tb.Name}.Sanitize()
		sql := fmt.Sprintf(`SELECT coalesce(md5(string_agg(t::text, E'\n' ORDER BY t::text)), '') || ':' || count(*) FROM %s t`, q)
		if tb.Name == "checkpoint" {
			sql = fmt.Sprintf(`SELECT position || ':' || events FROM %s`, q)
		}
		var sum string
		if err := pool.QueryRow(ctx, sql).Scan(&sum); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		out[tb.Schema+"."+tb.Name] = sum
	}
	if len(out) == 0 {
		t.Fatal("no read-model tables found")
	}
	return out
}
