package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"

	"github.com/jackc/pgx/v5"
)

// pgbenchTable is an event-shaped row: a jsonb payload and a unique
// (stream, version), as the event store's table has.
const pgbenchTable = `
CREATE TABLE bench_events (
	position    bigserial PRIMARY KEY,
	id          uuid NOT NULL DEFAULT gen_random_uuid(),
	stream      text NOT NULL,
	version     bigint NOT NULL,
	type        text NOT NULL,
	data        jsonb NOT NULL,
	recorded_at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (stream, version)
)`

// pgbenchScript inserts one event per transaction; each client appends to
// its own stream, its version counting up (pgbench keeps a client's
// variables across its transactions).
const pgbenchScript = `\set v :v + 1
INSERT INTO bench_events (stream, version, type, data) VALUES ('booklet-' || :client_id, :v, 'ServiceRecorded',
 '{"service_id":"5b0c6a52-3f59-4c1e-a0f1-6a1f3c8d2e11","user_cf":"RSSMRA85T10A562S","worker_cf":"VRDLGU80A01H501U","activity":"lavori_domestici","start_date":"2026-11-23","end_date":"2026-11-23","hours":1,"vouchers":1,"gross_cents":1000,"net_cents":800,"user_cap_cents":800,"year":2026,"deadline":"2026-12-03"}');
`

var tpsLine = regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection`)

// pgbench runs /usr/bin/pgbench (or $PGBENCH) against dbURL and returns its tps.
func pgbench(ctx context.Context, dbURL string, clients, seconds int) (float64, error) {
	return runPgbench(ctx, dbURL, pgbenchTable, pgbenchScript, clients, seconds)
}

// runPgbench creates what setup says, then runs script for seconds at
// clients and returns pgbench's tps.
func runPgbench(ctx context.Context, dbURL, setup, script string, clients, seconds int) (float64, error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return 0, err
	}
	_, err = conn.Exec(ctx, setup)
	conn.Close(ctx)
	if err != nil {
		return 0, fmt.Errorf("pgbench set-up: %w", err)
	}
	dir, err := os.MkdirTemp("", "libretto-pgbench")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "script.sql")
	if err := os.WriteFile(file, []byte(script), 0o644); err != nil {
		return 0, err
	}
	bin := os.Getenv("PGBENCH")
	if bin == "" {
		bin = "pgbench"
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		return 0, err
	}
	// libpq does not know pgx-only parameters such as pool_max_conns.
	q := u.Query()
	for k := range q {
		if k != "sslmode" {
			q.Del(k)
		}
	}
	u.RawQuery = q.Encode()
	cmd := exec.CommandContext(ctx, bin, "-n", "-M", "prepared", "-c", strconv.Itoa(clients), "-j", "2",
		"-T", strconv.Itoa(seconds), "-D", "v=0", "-f", file, u.String())
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("pgbench: %v\n%s", err, out)
	}
	m := tpsLine.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("pgbench: no tps in its output:\n%s", out)
	}
	return strconv.ParseFloat(string(m[1]), 64)
}
