package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// The floors say what the cheapest conceivable command costs on this
// machine, measured in the same run as the commands: a bare HTTP round
// trip with a JSON body, and the rows a command must add to the event
// store's table. At saturation a ratio is a ratio of CPU costs
// (commands/s ÷ pgbench tps ≈ CPU per pgbench row ÷ CPU per command), so
// the floors bound the ratio any design with this HTTP stack and this
// events table can reach: docs/performance.md, "The floors".

// floorServerEnv makes the bench binary serve the no-op handler on the
// address it holds instead of running the bench (the HTTP floor's child).
const floorServerEnv = "LIBRETTO_BENCH_FLOOR_SERVER"

// floorRowsPerTx is the median group commit's size under the load: four
// commands of three to four events each.
const floorRowsPerTx = 13

type floors struct {
	pgbenchRowMs     float64 // machine CPU per pgbench transaction (one event-shaped row)
	httpPerS, httpMs float64 // bare HTTP+JSON round trips: per second, machine CPU each
	rowsPerS, rowMs  float64 // event-store rows inserted floorRowsPerTx a transaction: per second, machine CPU each
	eventsPerCommand float64 // events the load's commands appended, each
}

// commandMs is the machine CPU of a command that did nothing but its HTTP
// round trip and the insert of its events.
func (f floors) commandMs() float64 { return f.httpMs + f.eventsPerCommand*f.rowMs }

// ratioCeiling is the ratio such a command would reach.
func (f floors) ratioCeiling() float64 {
	if f.commandMs() <= 0 {
		return 0
	}
	return f.pgbenchRowMs / f.commandMs()
}

// busyMs is the machine's busy CPU time between a and b, in milliseconds.
func busyMs(a, b cpuSample) float64 { return float64(b.busy-a.busy) * tickMs }

// serveFloor serves floorHandler until the process is killed.
func serveFloor(addr string) error { return http.ListenAndServe(addr, floorHandler()) }

// floorHandler answers a command as cheaply as a JSON API can: a bearer
// token is present, the body decodes strictly, 201 with an id and a position.
func floorHandler() http.Handler {
	var pos atomic.Int64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			WorkerCF     string          `json:"worker_cf"`
			Activity     string          `json:"activity"`
			StartDate    string          `json:"start_date"`
			EndDate      string          `json:"end_date"`
			Hours        json.Number     `json:"hours"`
			Vouchers     int64           `json:"vouchers"`
			Declarations map[string]bool `json:"declarations"`
		}
		dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
		dec.DisallowUnknownFields()
		if r.Method != http.MethodPost || len(r.Header.Get("Authorization")) < len("Bearer x") || dec.Decode(&body) != nil {
			http.Error(w, `{"code":"malformed_json"}`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]any{"service_id": uuid.Must(uuid.NewV7()).String(), "position": pos.Add(3)})
	})
}

// httpFloor runs the no-op server as a child process and sends it the
// load's RecordService bodies from the load's client for d.
func httpFloor(ctx context.Context, p *population, clients int, d time.Duration) (perS, cpuMs float64, err error) {
	exe, err := os.Executable()
	if err != nil {
		return 0, 0, err
	}
	addr, err := freeAddr()
	if err != nil {
		return 0, 0, err
	}
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = append(os.Environ(), floorServerEnv+"="+addr)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	for deadline := time.Now().Add(10 * time.Second); ; {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			return 0, 0, fmt.Errorf("floor server: %w", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cl := newClient("http://" + addr)
	b := newBodies(p)
	var ok, failed atomic.Int64
	before := sampleCPU(0)
	start := time.Now()
	stop := start.Add(d)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			for time.Now().Before(stop) && ctx.Err() == nil {
				code, _, err := cl.do(ctx, "POST", "/services", "floor-token", b.pick(rng, false), nil)
				if err != nil || code != http.StatusCreated {
					failed.Add(1)
					continue
				}
				ok.Add(1)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	after := sampleCPU(0)
	if ok.Load() == 0 {
		return 0, 0, errors.New("floor server: no request answered 201")
	}
	if n := failed.Load(); n > 0 {
		logf("floor server: %d requests failed", n)
	}
	return float64(ok.Load()) / elapsed.Seconds(), busyMs(before, after) / float64(ok.Load()), nil
}

// floorEventsSetup copies the event store's table with its indexes and
// defaults, on a sequence of its own so the store's positions stay as they are.
const floorEventsSetup = `
CREATE SEQUENCE floor_position;
CREATE TABLE floor_events (LIKE events INCLUDING ALL);
ALTER TABLE floor_events ALTER COLUMN position SET DEFAULT nextval('floor_position')`

// floorEventsScript inserts floorRowsPerTx events a transaction as the
// store's group commit does, with the values a command would send; the
// hash and the ids that the store receives from the server are constants
// or gen_random_uuid here.
var floorEventsScript = `\set v :v + 1
INSERT INTO floor_events (stream, version, event_id, type, schema_version, data, occurred_at, recorded_at,
 actor_id, actor_role, correlation_id, causation_id, hash)
SELECT 'booklet-' || :client_id || '-' || g, :v, gen_random_uuid(), 'ServiceRecorded', 1,
 '{"service_id":"5b0c6a52-3f59-4c1e-a0f1-6a1f3c8d2e11","user_cf":"RSSMRA85T10A562S","worker_cf":"VRDLGU80A01H501U","activity":"lavori_domestici","start_date":"2026-11-23","end_date":"2026-11-23","hours":1,"vouchers":1,"gross_cents":1000,"net_cents":800,"user_cap_cents":800,"year":2026,"deadline":"2026-12-03"}',
 now(), now(), 'RSSMRA85T10A562S', 'citizen', '0193f1c2-7c1e-7b8e-9a40-5e1b7a6c2d10', '0193f1c2-7c1e-7b8e-9a40-5e1b7a6c2d11',
 '\x9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'::bytea
FROM generate_series(1, ` + strconv.Itoa(floorRowsPerTx) + `) g;
`

// eventsFloor times inserts into a copy of the store's events table, 8
// clients (enough to keep both cores busy with batches this size).
func eventsFloor(ctx context.Context, dbURL string, seconds int) (perS, cpuMs float64, err error) {
	before := sampleCPU(0)
	tps, err := runPgbench(ctx, dbURL, floorEventsSetup, floorEventsScript, 8, seconds)
	if err != nil {
		return 0, 0, err
	}
	after := sampleCPU(0)
	rows := tps * floorRowsPerTx * float64(seconds)
	if rows <= 0 {
		return 0, 0, errors.New("events floor: no row inserted")
	}
	return tps * floorRowsPerTx, busyMs(before, after) / rows, nil
}
