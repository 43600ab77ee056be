package projections

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/inps/libretto/eventstore"
	"github.com/inps/libretto/eventstore/memory"
	"github.com/inps/libretto/eventstore/postgres"
)

// benchEvents is the size of the log BenchmarkRebuild folds:
// PROJECTIONS_BENCH_EVENTS, default 100000 (the documented figure uses 1000000).
func benchEvents(b *testing.B) int64 {
	if s := os.Getenv("PROJECTIONS_BENCH_EVENTS"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			b.Fatal(err)
		}
		return n
	}
	return 100000
}

// BenchmarkRebuild rebuilds every projector over a log of realistic
// commands (services, payroll runs, deposits, heirs, refunds) in the
// PostgreSQL event store and reports events/s.
//
//	PROJECTIONS_BENCH_EVENTS=1000000 go test -run '^$' -bench Rebuild -benchtime 1x -timeout 1h ./projections
//
// PROJECTIONS_BENCH_URL names a database to keep the generated log in between
// runs (it is migrated, and filled only when it holds fewer events).
func BenchmarkRebuild(b *testing.B) {
	var pool *pgxpool.Pool
	var store *postgres.Store
	if url := os.Getenv("PROJECTIONS_BENCH_URL"); url != "" {
		if err := postgres.Migrate(context.Background(), url); err != nil {
			b.Fatal(err)
		}
		var err error
		if pool, err = pgxpool.New(context.Background(), url+"&pool_max_conns=16"); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(pool.Close)
		store = postgres.New(pool)
	} else {
		pool, store = newPGStore(b)
	}
	head, err := store.Head(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	h := newHistory(b, store, uint64(head.Events)+1)
	h.prefix = strconv.FormatInt(head.Events, 36)
	h.events = head.Events
	h.bulk = 900
	h.realistic = true
	want := benchEvents(b)
	for h.events+int64(len(h.pending)) < want {
		h.step()
	}
	h.flush()
	r := NewRunner(pool, store, quietLogger())
	if err := r.Setup(context.Background()); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(context.Background(), `VACUUM ANALYZE events`); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	goBefore, pgBefore := cpuTime(b, pool)
	for range b.N {
		if err := r.Rebuild(context.Background(), nil, nil); err != nil {
			b.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	goAfter, pgAfter := cpuTime(b, pool)
	var pgCPU time.Duration
	for pid, t := range pgAfter {
		pgCPU += t - pgBefore[pid]
	}
	events := float64(h.events) * float64(b.N)
	b.ReportMetric(events/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(h.events), "events")
	// CPU spent by this process and by its PostgreSQL backends: on a shared
	// machine wall-clock time mostly measures the neighbours.
	b.ReportMetric((goAfter - goBefore).Seconds(), "go-cpu-s")
	b.ReportMetric(pgCPU.Seconds(), "pg-cpu-s")
	b.ReportMetric(events/(goAfter-goBefore+pgCPU).Seconds(), "events/cpu-s")
}

// cpuTime returns this process's CPU time and that of each PostgreSQL
// backend serving pool's database (PostgreSQL runs on this machine).
func cpuTime(b *testing.B, pool *pgxpool.Pool) (time.Duration, map[int]time.Duration) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	self := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	rows, err := pool.Query(context.Background(), `SELECT pid FROM pg_stat_activity WHERE datname = current_database()`)
	if err != nil {
		b.Fatal(err)
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		b.Fatal(err)
	}
	backends := map[int]time.Duration{}
	for _, pid := range pids {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// Fields after the command name: state is 3rd, utime 14th, stime 15th.
		f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		backends[int(pid)] = time.Duration(ut+st) * 10 * time.Millisecond // USER_HZ = 100
	}
	return self, backends
}

// BenchmarkLiveLag runs 32 writers, each recording commands and then waiting
// until every projector has applied its last event (what a client reading
// its own writes with ?min_position does), and reports the lag from the
// append's return to that moment: p50 and p99.
//
//	go test -run '^$' -bench LiveLag -benchtime 1x ./projections
func BenchmarkLiveLag(b *testing.B) {
	const writers = 32
	perWriter := 60
	if s := os.Getenv("PROJECTIONS_BENCH_STEPS"); s != "" {
		perWriter, _ = strconv.Atoi(s)
	}
	pool, store := newPGStore(b)
	r := NewRunner(pool, store, quietLogger())
	startRunner(b, r)
	// A bare subscription on the side tells the store's own delivery delay
	// (visibility horizon, notification, read) from the projectors'.
	var (
		mu        sync.Mutex
		lags      []time.Duration
		delivered = map[int64]time.Time{}
	)
	subCtx, stopSub := context.WithCancel(context.Background())
	defer stopSub()
	sub, err := store.Subscribe(subCtx, eventstore.Cursor{})
	if err != nil {
		b.Fatal(err)
	}
	go func() {
		for {
			events, err := sub.Next(subCtx, 1000)
			if err != nil {
				return
			}
			now := time.Now()
			mu.Lock()
			for _, e := range events {
				delivered[e.Position] = now
			}
			mu.Unlock()
		}
	}()
	appendedAt := map[int64]time.Time{}
	b.ResetTimer()
	start := time.Now()
	var events int64
	for range b.N {
		var wg sync.WaitGroup
		for w := range writers {
			h := newHistory(b, store, uint64(w+1))
			h.prefix = fmt.Sprintf("%02d", w)
			h.realistic = true
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx := context.Background()
				var mine []time.Duration
				for range perWriter {
					before := h.last
					h.step()
					if h.last == before {
						continue
					}
					appended := time.Now()
					mu.Lock()
					appendedAt[h.last] = appended
					mu.Unlock()
					if err := r.WaitFor(ctx, h.last); err != nil {
						b.Error(err)
						return
					}
					mine = append(mine, time.Since(appended))
				}
				mu.Lock()
				lags = append(lags, mine...)
				events += h.events
				mu.Unlock()
			}()
		}
		wg.Wait()
	}
	elapsed := time.Since(start)
	b.StopTimer()
	slices.Sort(lags)
	if len(lags) == 0 {
		b.Fatal("no appends")
	}
	q := func(p float64) float64 { return float64(lags[int(p*float64(len(lags)-1))].Microseconds()) / 1000 }
	b.ReportMetric(q(0.50), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	time.Sleep(time.Second)
	mu.Lock()
	var storeLags []time.Duration
	for pos, at := range appendedAt {
		if d, ok := delivered[pos]; ok {
			storeLags = append(storeLags, max(d.Sub(at), 0))
		}
	}
	mu.Unlock()
	if len(storeLags) > 0 {
		slices.Sort(storeLags)
		sq := func(p float64) float64 {
			return float64(storeLags[int(p*float64(len(storeLags)-1))].Microseconds()) / 1000
		}
		b.ReportMetric(sq(0.50), "store-p50-ms")
		b.ReportMetric(sq(0.99), "store-p99-ms")
	}
	b.ReportMetric(float64(events)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(len(lags)), "appends")
}

// BenchmarkFold measures the Go side of folding alone: decoding payloads and
// accumulating rows, for 100000 events of the realistic mix, per projector.
//
//	go test -run '^$' -bench Fold ./projections
func BenchmarkFold(b *testing.B) {
	store := memory.New()
	h := newHistory(b, store, 1)
	h.bulk = 900
	h.realistic = true
	for h.events+int64(len(h.pending)) < 100000 {
		h.step()
	}
	h.flush()
	events, err := store.ReadAll(context.Background(), eventstore.Cursor{}, 200000)
	if err != nil {
		b.Fatal(err)
	}
	for _, p := range builtinProjectors() {
		bp, ok := p.(BulkProjector)
		if !ok {
			continue
		}
		b.Run(p.Name(), func(b *testing.B) {
			for range b.N {
				if err := bp.NewAccumulator().Fold(events); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(events))*float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
