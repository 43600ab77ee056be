package postgres_test

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/inps/libretto/eventstore"
	"github.com/inps/libretto/eventstore/postgres"
	"github.com/inps/libretto/eventstore/storetest"
)

// Run the figures of docs/eventstore.md with
//
//	go test ./eventstore/postgres -run '^$' -bench . -benchtime 2s -count 3

// perSecond reports n events over the benchmark's elapsed time.
func perSecond(b *testing.B, n int, unit string) {
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(n)/s, unit)
	}
}

func BenchmarkAppendOne(b *testing.B) {
	pool := warmPool(b, 4)
	s := postgres.New(pool)
	ctx := context.Background()
	events := storetest.Events("ServiceRecorded", b.N)
	b.ReportAllocs()
	cpu := startCPU(b, pool)
	b.ResetTimer()
	for i := range b.N {
		_, err := s.Append(ctx, eventstore.StreamAppend{Stream: fmt.Sprintf("booklet-%d", i%1000), Expected: eventstore.Any, Events: events[i : i+1]})
		if err != nil {
			b.Fatal(err)
		}
	}
	perSecond(b, b.N, "events/s")
	cpu.report(b, b.N)
}

// BenchmarkAppendTwoStreams is the shape of recording a service: one event
// on the user's booklet and one on the worker, atomically, from 32
// goroutines. Booklets are each goroutine's own; 64 workers are shared, so
// appends also wait for each other's stream locks.
func BenchmarkAppendTwoStreams(b *testing.B) {
	pool := warmPool(b, 32)
	benchmarkAppendTwoStreams(b, pool, postgres.New(pool))
}

// BenchmarkAppendTwoStreamsGroupCommit is BenchmarkAppendTwoStreams with
// concurrent appends sharing transactions.
func BenchmarkAppendTwoStreamsGroupCommit(b *testing.B) {
	pool := warmPool(b, 32)
	benchmarkAppendTwoStreams(b, pool, postgres.New(pool, postgres.WithGroupCommit(0)))
}

// warmPool returns a pool whose connections are all open, so that the timed
// part does not measure connecting.
func warmPool(b *testing.B, n int32) *pgxpool.Pool {
	pool := newPool(b, n)
	var conns []*pgxpool.Conn
	for range n {
		c, err := pool.Acquire(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		c.Release()
	}
	return pool
}

func benchmarkAppendTwoStreams(b *testing.B, pool *pgxpool.Pool, s eventstore.Store) {
	ctx := context.Background()
	cpu := startCPU(b, pool)
	var goroutine atomic.Int64
	b.SetParallelism(max(1, 32/runtime.GOMAXPROCS(0))) // 32 goroutines
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		g := goroutine.Add(1)
		for i := 0; pb.Next(); i++ {
			_, err := s.Append(ctx,
				eventstore.StreamAppend{Stream: fmt.Sprintf("booklet-%d-%d", g, i%50), Expected: eventstore.Any, Events: []eventstore.EventData{storetest.Event("ServiceRecorded", i)}},
				eventstore.StreamAppend{Stream: fmt.Sprintf("worker-%d", (int(g)*7+i)%64), Expected: eventstore.Any, Events: []eventstore.EventData{storetest.Event("ServiceAssigned", i)}},
			)
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	perSecond(b, b.N, "appends/s")
	perSecond(b, 2*b.N, "events/s")
	cpu.report(b, 2*b.N)
}

func BenchmarkReadStream10k(b *testing.B) {
	pool := warmPool(b, 4)
	s := postgres.New(pool)
	ctx := context.Background()
	const n = 10000
	for v := 0; v < n; v += 1000 {
		if _, err := s.Append(ctx, eventstore.StreamAppend{Stream: "booklet-long", Expected: eventstore.ExpectedVersion(v), Events: storetest.Events("ServiceRecorded", 1000)}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	cpu := startCPU(b, pool)
	b.ResetTimer()
	for range b.N {
		events, err := s.ReadStream(ctx, "booklet-long", eventstore.ReadOptions{})
		if err != nil || len(events) != n {
			b.Fatalf("%d events, %v", len(events), err)
		}
	}
	perSecond(b, b.N*n, "events/s")
	cpu.report(b, b.N*n)
}

// BenchmarkReadAll1M reads the whole of a 1M-event log per iteration, in
// batches of 1,000 and of 10,000. The log is seeded by INSERT … SELECT
// generate_series (its hashes do not chain: reading does not check them).
func BenchmarkReadAll1M(b *testing.B) {
	pool := warmPool(b, 4)
	ctx := context.Background()
	const n = 1_000_000
	// Seeded in transactions of 20,000 rows: a long writing transaction
	// anywhere on the server holds back every subscription's horizon.
	for from := 0; from < n; from += 20000 {
		_, err := pool.Exec(ctx, `INSERT INTO events (stream, version, event_id, type, schema_version, data,
			occurred_at, recorded_at, actor_id, actor_role, correlation_id, causation_id, hash)
			SELECT 'booklet-' || (g % 20000), g / 20000 + 1, gen_random_uuid(), 'ServiceRecorded', 1,
			       json_build_object('service_id', gen_random_uuid(), 'worker_cf', 'VRDGPP13R10B293Z', 'activity', 'lavori domestici',
			                         'start_date', '2026-03-02', 'end_date', '2026-03-06', 'hours', 12.5, 'vouchers', 13),
			       now(), now(), 'RSSMRA80A01H501U', 'citizen', gen_random_uuid(), gen_random_uuid(), sha256(g::text::bytea)
			FROM generate_series($1::int, $2::int - 1) AS g`, from, from+20000)
		if err != nil {
			b.Fatal(err)
		}
	}
	if _, err := pool.Exec(ctx, `VACUUM ANALYZE events`); err != nil {
		b.Fatal(err)
	}
	s := postgres.New(pool)
	for _, batch := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			b.ReportAllocs()
			cpu := startCPU(b, pool)
			for range b.N {
				var c eventstore.Cursor
				total := 0
				for {
					events, err := s.ReadAll(ctx, c, batch)
					if err != nil {
						b.Fatal(err)
					}
					if len(events) == 0 {
						break
					}
					total += len(events)
					c = events[len(events)-1].Cursor
				}
				if total != n {
					b.Fatalf("read %d events, want %d", total, n)
				}
			}
			perSecond(b, b.N*n, "events/s")
			cpu.report(b, b.N*n)
		})
	}
}

// BenchmarkSubscriptionLatency measures from the return of an append until
// a live subscription (already caught up and waiting) returns its event: the
// LISTEN/NOTIFY wake-up, not a poll interval. Reported as delivery-ms; it
// includes waiting for the horizon when other transactions on the server
// are in flight.
func BenchmarkSubscriptionLatency(b *testing.B) {
	s := postgres.New(warmPool(b, 4))
	ctx := context.Background()
	sub, err := s.Subscribe(ctx, eventstore.Cursor{})
	if err != nil {
		b.Fatal(err)
	}
	defer sub.Close()
	events := storetest.Events("ServiceRecorded", b.N)
	var delivery time.Duration
	b.ResetTimer()
	for i := range b.N {
		type next struct {
			at     time.Time
			events []eventstore.Event
			err    error
		}
		got := make(chan next, 1)
		go func() {
			events, err := sub.Next(ctx, 10)
			got <- next{time.Now(), events, err}
		}()
		if _, err := s.Append(ctx, eventstore.StreamAppend{Stream: "booklet-L", Expected: eventstore.Any, Events: events[i : i+1]}); err != nil {
			b.Fatal(err)
		}
		appended := time.Now()
		r := <-got
		if r.err != nil || len(r.events) != 1 || r.events[0].ID != events[i].ID {
			b.Fatalf("next: %d events, %v", len(r.events), r.err)
		}
		delivery += r.at.Sub(appended)
	}
	b.ReportMetric(float64(delivery.Microseconds())/1000/float64(b.N), "delivery-ms")
}
