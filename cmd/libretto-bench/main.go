// Command libretto-bench measures Libretto in one run (issue 5, make bench):
// pgbench inserting event-shaped rows as the machine's limit, commands over
// HTTP against a real server child process (throughput, p50/p99 latency,
// errors), projection lag, a rebuild of every projection over a bulk-seeded
// log, and the server's peak RSS. It prints a table and, as its last line,
// one JSON object.
//
// Everything is configured by the environment (see envInt below and
// docs/performance.md): BENCH_SECONDS (20), BENCH_CLIENTS (32),
// BENCH_BOOKLETS (1000), BENCH_WORKERS (200), BENCH_REBUILD_EVENTS
// (1000000), BENCH_PGBENCH_SECONDS (= BENCH_SECONDS), BENCH_FLOOR_SECONDS
// (5, each floor; floor.go), LIBRETTO_BIN
// (bin/libretto), BENCH_KEEP_DB (keep the fresh database), and the
// server's own variables (LIBRETTO_GROUP_COMMIT…), which the child inherits.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

func main() {
	if addr := os.Getenv(floorServerEnv); addr != "" {
		if err := serveFloor(addr); err != nil {
			fmt.Fprintln(os.Stderr, "libretto-bench: floor server:", err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "libretto-bench:", err)
		os.Exit(1)
	}
}

// Result is the last line of the run.
type Result struct {
	PgbenchInsertTPS   float64 `json:"pgbench_insert_tps"`
	CommandsPerS       float64 `json:"commands_per_s"`
	Ratio              float64 `json:"ratio"`
	CommandP50Ms       float64 `json:"command_p50_ms"`
	CommandP99Ms       float64 `json:"command_p99_ms"`
	ProjectionLagP99Ms float64 `json:"projection_lag_p99_ms"`
	RebuildEventsPerS  float64 `json:"rebuild_events_per_s"`
	Events             int64   `json:"events"`
	Errors             int64   `json:"errors"`
	ServerRSSMiB       float64 `json:"server_rss_mib"`
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

func run(ctx context.Context) error {
	seconds := envInt("BENCH_SECONDS", 20)
	opts := loadOptions{
		Clients:  envInt("BENCH_CLIENTS", 32),
		Booklets: envInt("BENCH_BOOKLETS", 1000),
		Workers:  envInt("BENCH_WORKERS", 200),
		Duration: time.Duration(seconds) * time.Second,
	}
	pgSeconds := envInt("BENCH_PGBENCH_SECONDS", seconds)
	floorSeconds := envInt("BENCH_FLOOR_SECONDS", 5)
	rebuildEvents := envInt("BENCH_REBUILD_EVENTS", 1000000)
	bin := os.Getenv("LIBRETTO_BIN")
	if bin == "" {
		bin = "bin/libretto"
	}

	db, err := freshDatabase(ctx)
	if err != nil {
		return err
	}
	if os.Getenv("BENCH_KEEP_DB") == "" {
		defer db.drop()
	}
	logf("fresh database %s", db.name)

	var res Result
	var fl floors
	logf("pgbench: event-shaped inserts, %d clients, %d s", opts.Clients, pgSeconds)
	pgBefore := sampleCPU(0)
	if res.PgbenchInsertTPS, err = pgbench(ctx, db.url, opts.Clients, pgSeconds); err != nil {
		return err
	}
	if res.PgbenchInsertTPS > 0 {
		fl.pgbenchRowMs = busyMs(pgBefore, sampleCPU(0)) / (res.PgbenchInsertTPS * float64(pgSeconds))
	}

	// BENCH_PROFILE=file: the server serves pprof and the bench saves a
	// CPU profile of the load's window there (go tool pprof bin/libretto file),
	// and the window's allocations in file.allocs.
	var env []string
	profile := os.Getenv("BENCH_PROFILE")
	pprofAddr := ""
	if profile != "" {
		if pprofAddr, err = freeAddr(); err != nil {
			return err
		}
		env = append(env, "LIBRETTO_PPROF="+pprofAddr)
	}
	srv, err := startServer(ctx, bin, db.url, env...)
	if err != nil {
		return err
	}
	defer srv.stop()

	logf("set-up: %d booklets, %d workers (outside the timed window)", opts.Booklets, opts.Workers)
	cl := newClient(srv.base)
	pop, err := setup(ctx, cl, opts, 0)
	if err != nil {
		return err
	}
	logf("load: RecordService and InsertPriorService, %d clients, %s", opts.Clients, opts.Duration)
	xactBefore := commits(ctx, db.url)
	eventsBefore := eventCount(ctx, db.url)
	cpuBefore := sampleCPU(srv.cmd.Process.Pid)
	profiled := make(chan error, 1)
	if profile != "" {
		go func() {
			allocs := make(chan error, 1)
			go func() { allocs <- allocProfile(ctx, pprofAddr, profile+".allocs", max(1, seconds-2)) }()
			err := cpuProfile(ctx, pprofAddr, profile, max(1, seconds-2))
			profiled <- errors.Join(err, <-allocs)
		}()
	}
	st := runLoad(ctx, cl, pop, opts, true)
	if profile != "" {
		if err := <-profiled; err != nil {
			logf("profile: %v", err)
		} else {
			logf("CPU profile of the server under load in %s", profile)
		}
	}
	cpuAfter := sampleCPU(srv.cmd.Process.Pid)
	xacts := commits(ctx, db.url) - xactBefore
	if st.ok > 0 {
		fl.eventsPerCommand = float64(eventCount(ctx, db.url)-eventsBefore) / float64(st.ok)
	}
	res.CommandsPerS = float64(st.ok) / st.elapsed.Seconds()
	if res.PgbenchInsertTPS > 0 {
		res.Ratio = res.CommandsPerS / res.PgbenchInsertTPS
	}
	res.CommandP50Ms = ms(percentile(st.latencies, 0.50))
	res.CommandP99Ms = ms(percentile(st.latencies, 0.99))
	res.ProjectionLagP99Ms = ms(percentile(st.lags, 0.99))
	res.Errors = st.errors
	rss, err := srv.peakRSS()
	if err != nil {
		return err
	}
	res.ServerRSSMiB = float64(rss) / 1024
	// The server stops before the bulk seed: its live projectors would
	// otherwise fold the seeded log while the rebuild is timed.
	srv.stop()

	logf("floors: a bare HTTP round trip and the event store's rows, %d s each", floorSeconds)
	if fl.httpPerS, fl.httpMs, err = httpFloor(ctx, pop, opts.Clients, time.Duration(floorSeconds)*time.Second); err != nil {
		return err
	}
	if fl.rowsPerS, fl.rowMs, err = eventsFloor(ctx, db.url, floorSeconds); err != nil {
		return err
	}

	logf("rebuild: bulk-seeding the store to %d events", rebuildEvents)
	rb, err := rebuild(ctx, db.url, rebuildEvents)
	if err != nil {
		return err
	}
	res.RebuildEventsPerS = rb.eventsPerS
	res.Events = rb.events

	fmt.Printf("\nLibretto bench (%d clients, %s, %d booklets, %d workers)\n\n", opts.Clients, opts.Duration, opts.Booklets, opts.Workers)
	row := func(k, v string) { fmt.Printf("  %-40s %s\n", k, v) }
	row("pgbench event insert (1/tx)", fmt.Sprintf("%.0f tps", res.PgbenchInsertTPS))
	row("commands (201)", fmt.Sprintf("%.0f /s  (%d in %.1f s: %d RecordService, %d InsertPriorService)", res.CommandsPerS, st.ok, st.elapsed.Seconds(), st.record, st.prior))
	row("ratio commands / pgbench", fmt.Sprintf("%.2f", res.Ratio))
	row("command latency p50 / p99", fmt.Sprintf("%.1f / %.1f ms (p90 %.1f, p99.9 %.1f, max %.1f)", res.CommandP50Ms, res.CommandP99Ms,
		ms(percentile(st.latencies, 0.90)), ms(percentile(st.latencies, 0.999)), ms(percentile(st.latencies, 1))))
	row("  of which InsertPriorService", fmt.Sprintf("%.1f / %.1f ms", ms(percentile(st.priorLatencies, 0.5)), ms(percentile(st.priorLatencies, 0.99))))
	row("errors (non-201 or transport)", fmt.Sprintf("%d %s", res.Errors, st.errorSummary()))
	if st.ok > 0 {
		row("PostgreSQL transactions per command", fmt.Sprintf("%.1f (commits in the load window, projectors and lag reads included)", float64(xacts)/float64(st.ok)))
	}
	row("CPU per command", cpuPerCommand(cpuBefore, cpuAfter, st.ok))
	row("projection lag p50 / p99", fmt.Sprintf("%.1f / %.1f ms (%d samples, %d missing)", ms(percentile(st.lags, 0.5)), res.ProjectionLagP99Ms, len(st.lags), st.lagMissing))
	row("rebuild (all projections)", fmt.Sprintf("%.0f events/s  (%d events in %.1f s; seeded %d in %.1f s)", res.RebuildEventsPerS, rb.events, rb.took.Seconds(), rb.seeded, rb.seedTook.Seconds()))
	row("server peak RSS (VmHWM)", fmt.Sprintf("%.1f MiB", res.ServerRSSMiB))
	row("floor: pgbench row", fmt.Sprintf("%.3f ms machine CPU per transaction", fl.pgbenchRowMs))
	row("floor: bare HTTP+JSON round trip", fmt.Sprintf("%.0f /s, %.3f ms machine CPU each (no-op handler, the load's client)", fl.httpPerS, fl.httpMs))
	row("floor: event-store rows", fmt.Sprintf("%.0f /s, %.3f ms machine CPU each (%d a transaction); %.2f per command", fl.rowsPerS, fl.rowMs, floorRowsPerTx, fl.eventsPerCommand))
	row("floor: HTTP + rows of one command", fmt.Sprintf("%.3f ms machine CPU → ratio ceiling %.2f", fl.commandMs(), fl.ratioCeiling()))
	fmt.Println()
	line, _ := json.Marshal(res)
	fmt.Println(string(line))
	return nil
}

// eventCount is the number of events stored so far.
func eventCount(ctx context.Context, dbURL string) int64 {
	return count(ctx, dbURL, `SELECT count(*) FROM events`)
}

// commits is the database's committed transactions so far (pg_stat_database).
func commits(ctx context.Context, dbURL string) int64 {
	return count(ctx, dbURL, `SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()`)
}

// count is the number query answers on a connection of its own (a fresh
// one also reads fresh statistics), 0 when it cannot be had.
func count(ctx context.Context, dbURL, query string) int64 {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return 0
	}
	defer conn.Close(ctx)
	var n int64
	_ = conn.QueryRow(ctx, query).Scan(&n)
	return n
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
