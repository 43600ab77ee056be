package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/inps/libretto/eventstore"
	"github.com/inps/libretto/eventstore/postgres"
	"github.com/inps/libretto/eventstore/postgres/pgtest"
	"github.com/inps/libretto/eventstore/storetest"
)

func TestSubscriptionsContract(t *testing.T) {
	t.Parallel()
	storetest.RunSubscriptions(t, func(t *testing.T) eventstore.Store { return postgres.New(newPool(t, 8)) })
}

// TestSubscriptionsAtTheHeadShareReads pins the point of shared reads: four
// subscriptions at the head, as the four projectors are, cost one
// subscription's reads per batch, not four times as many.
func TestSubscriptionsAtTheHeadShareReads(t *testing.T) {
	t.Parallel()
	const batches = 20
	perBatch := map[int]float64{}
	for _, n := range []int{1, 4} {
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		s := postgres.New(newPool(t, 8))
		next, stop := follow(t, ctx, s, n)
		start := postgres.SharedReadsForTest(s)
		for b := range batches {
			next(b)
		}
		time.Sleep(50 * time.Millisecond) // the reads that find nothing after the last batch
		perBatch[n] = float64(postgres.SharedReadsForTest(s)-start) / batches
		stop()
		cancel()
	}
	t.Logf("reads per batch: %.2f for 1 subscription, %.2f for 4", perBatch[1], perBatch[4])
	// Each batch takes one read that finds it and one that finds nothing
	// more; alone, each of four subscriptions would take both.
	if perBatch[4] > 3 {
		t.Errorf("4 subscriptions took %.2f reads per batch, want about 2 (at most 3), as 1 takes %.2f", perBatch[4], perBatch[1])
	}
}

// BenchmarkSubscriptionsAtTheHead appends batches of two events one at a
// time, each once n subscriptions at the head have delivered the one before,
// as n live projectors see a quiet load. It reports the subscriptions' reads
// per batch and every transaction the database committed per batch
// (pg_stat_database, appends and set-up included; subs=0 is the appends
// alone).
func BenchmarkSubscriptionsAtTheHead(b *testing.B) {
	for _, n := range []int{0, 1, 4} {
		b.Run(fmt.Sprintf("subs=%d", n), func(b *testing.B) {
			ctx := context.Background()
			pool := warmPool(b, 8)
			s := postgres.New(pool)
			next, stop := follow(b, ctx, s, n)
			database := pool.Config().ConnConfig.Database
			xacts0 := committed(b, database, false)
			reads0 := postgres.SharedReadsForTest(s)
			b.ResetTimer()
			for i := range b.N {
				next(i)
			}
			time.Sleep(50 * time.Millisecond)
			b.StopTimer()
			reads := postgres.SharedReadsForTest(s) - reads0
			stop()
			pool.Close() // the backends flush their statistics as they exit
			b.ReportMetric(float64(reads)/float64(b.N), "reads/batch")
			b.ReportMetric(float64(committed(b, database, true)-xacts0)/float64(b.N), "pg-xacts/batch")
		})
	}
}

// follow opens n subscriptions at the head of s's empty log. next appends
// batch b and returns once every subscription has delivered it; stop closes
// them.
func follow(tb testing.TB, ctx context.Context, s *postgres.Store, n int) (next func(b int), stop func()) {
	tb.Helper()
	ctx, cancel := context.WithCancel(ctx)
	type delivery struct {
		sub    int
		events []eventstore.Event
		err    error
	}
	out := make(chan delivery)
	var subs []eventstore.Subscription
	for i := range n {
		sub, err := s.Subscribe(ctx, eventstore.Cursor{})
		if err != nil {
			tb.Fatal(err)
		}
		subs = append(subs, sub)
		go func() {
			for ctx.Err() == nil {
				events, err := sub.Next(ctx, 100)
				select {
				case out <- delivery{i, events, err}:
				case <-ctx.Done():
				}
				if err != nil {
					return
				}
			}
		}()
	}
	time.Sleep(50 * time.Millisecond) // the subscriptions settle at the head
	next = func(b int) {
		appended, err := s.Append(ctx, eventstore.StreamAppend{Stream: fmt.Sprintf("s-%d", b), Events: storetest.Events("E", 2)})
		if err != nil {
			tb.Fatal(err)
		}
		want := appended[len(appended)-1].Cursor
		for caught := 0; caught < n; {
			d := <-out
			if d.err != nil {
				tb.Fatalf("subscription %d: %v", d.sub, d.err)
			}
			if d.events[len(d.events)-1].Cursor == want {
				caught++
			}
		}
	}
	stop = func() {
		cancel()
		for _, sub := range subs {
			sub.Close()
		}
	}
	return next, stop
}

// committed is pg_stat_database.xact_commit of database. With settle it
// waits until none of the database's backends is left, so all have flushed
// their counts; without, a count not flushed yet (set-up's, as backends flush
// at most once a second) lands in the next reading.
func committed(tb testing.TB, database string, settle bool) int64 {
	tb.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pgtest.AdminURL())
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int64
	for range 100 {
		if !settle {
			break
		}
		var backends int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = $1`, database).Scan(&backends); err != nil {
			tb.Fatal(err)
		}
		if backends == 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := conn.QueryRow(ctx, `SELECT xact_commit FROM pg_stat_database WHERE datname = $1`, database).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}
