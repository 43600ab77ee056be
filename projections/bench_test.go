package projections

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

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
	for range b.N {
		if err := r.Rebuild(context.Background(), nil, nil); err != nil {
			b.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(h.events)*float64(b.N)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(h.events), "events")
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
	b.ResetTimer()
	var (
		mu   sync.Mutex
		lags []time.Duration
	)
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
	b.ReportMetric(float64(events)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(len(lags)), "appends")
}
