package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/eventstore"
	"github.com/inps/libretto/eventstore/postgres"
	"github.com/inps/libretto/projections"
)

type rebuildResult struct {
	events, seeded int64
	took, seedTook time.Duration
	eventsPerS     float64
}

// Bulk seed shape: each seeded booklet has a registration, a deposit and
// servicesPerBooklet services (each a ServiceRecorded on the booklet and a
// WorkerServiceBooked on one of seedWorkers workers), spread over twenty
// years so that no annual cap is crossed.
const (
	servicesPerBooklet = 24
	seedWorkers        = 2000
	seedBatchBooklets  = 40 // booklets per Append: ~2,000 events per transaction
	seedWriters        = 4
)

// rebuild fills the store up to total events by appending generated events
// straight to it (postgres.Store.Append in transactions of about 2,000
// events, four writers: what the commands would have appended, without
// deciding them), then times Runner.Rebuild of every projection.
func rebuild(ctx context.Context, dbURL string, total int) (*rebuildResult, error) {
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		return nil, err
	}
	cfg.MaxConns = 16
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	store := postgres.New(pool)
	head, err := store.Head(ctx)
	if err != nil {
		return nil, err
	}
	res := &rebuildResult{}
	start := time.Now()
	if missing := int64(total) - head.Events; missing > 0 {
		if res.seeded, err = seed(ctx, store, missing); err != nil {
			return nil, err
		}
	}
	res.seedTook = time.Since(start)
	if _, err := pool.Exec(ctx, `VACUUM ANALYZE events`); err != nil {
		return nil, err
	}
	if head, err = store.Head(ctx); err != nil {
		return nil, err
	}
	res.events = head.Events
	r := projections.NewRunner(pool, store, slog.New(slog.DiscardHandler))
	if err := r.Setup(ctx); err != nil {
		return nil, err
	}
	logf("rebuild: %d events, every projection", res.events)
	start = time.Now()
	if err := r.Rebuild(ctx, nil, nil); err != nil {
		return nil, fmt.Errorf("rebuild: %w", err)
	}
	res.took = time.Since(start)
	res.eventsPerS = float64(res.events) / res.took.Seconds()
	return res, nil
}

// seed appends at least n generated events and returns how many.
func seed(ctx context.Context, store eventstore.Store, n int64) (int64, error) {
	perBooklet := int64(2 + 2*servicesPerBooklet)
	booklets := (n - seedWorkers + perBooklet - 1) / perBooklet
	if booklets < 1 {
		booklets = 1
	}
	occurred := time.Now().UTC().Truncate(time.Second)
	actor := eventstore.Actor{ID: "SEED", Role: "system"}
	ev := func(e domain.Event) eventstore.EventData {
		raw, _ := json.Marshal(e)
		return eventstore.EventData{ID: uuid.New(), Type: e.EventType(), SchemaVersion: 1, Data: raw,
			OccurredAt: occurred, Actor: actor, CorrelationID: uuid.New()}
	}
	const base = 50_000_000 // CFs of seeded people, far from the load's
	workerCF := func(i int64) string { return makeCF(base + i) }
	var seeded int64
	// Workers first, in one append each of up to 500.
	for lo := int64(0); lo < seedWorkers; lo += 500 {
		var apps []eventstore.StreamAppend
		for i := lo; i < min(lo+500, seedWorkers); i++ {
			cf := workerCF(i)
			apps = append(apps, eventstore.StreamAppend{Stream: domain.WorkerStream(cf), Expected: eventstore.NoStream,
				Events: []eventstore.EventData{ev(domain.WorkerRegistered{WorkerCF: cf, IBAN: benchIBAN, Category: "altro"})}})
		}
		if _, err := store.Append(ctx, apps...); err != nil {
			return seeded, fmt.Errorf("seed workers: %w", err)
		}
		seeded += int64(len(apps))
	}
	var mu sync.Mutex
	var done int64
	lastLog := time.Now()
	batches := (booklets + seedBatchBooklets - 1) / seedBatchBooklets
	err := parallel(ctx, int(batches), seedWriters, func(bi int) error {
		var apps []eventstore.StreamAppend
		bookings := map[string][]eventstore.EventData{}
		for k := int64(0); k < seedBatchBooklets; k++ {
			i := int64(bi)*seedBatchBooklets + k
			if i >= booklets {
				break
			}
			user := makeCF(base + seedWorkers + i)
			events := []eventstore.EventData{
				ev(domain.UserRegistered{UserCF: user}),
				ev(domain.DepositRecorded{DepositID: uuid.NewString(), AmountCents: 1_000_000, Channel: "F24", PaidOn: "2006-01-02"}),
			}
			for s := int64(0); s < servicesPerBooklet; s++ {
				// A writer's batches use workers of their own residue, so
				// writers seldom wait for each other's worker streams.
				w := workerCF((int64(bi)%seedWriters + seedWriters*((i*servicesPerBooklet+s)%(seedWorkers/seedWriters))) % seedWorkers)
				year := 2006 + int(s%20)
				id := uuid.NewString()
				date := fmt.Sprintf("%d-05-%02d", year, 1+s%28)
				events = append(events, ev(domain.ServiceRecorded{
					ServiceID: id, UserCF: user, WorkerCF: w, Activity: "lavori_domestici",
					StartDate: date, EndDate: date, Hours: 1, Vouchers: 1,
					GrossCents: 1000, NetCents: 800, UserCapCents: 800, Year: year, Deadline: fmt.Sprintf("%d-06-03", year),
				}))
				bookings[w] = append(bookings[w], ev(domain.WorkerServiceBooked{ServiceID: id, UserCF: user, Year: year, NetCents: 800}))
			}
			apps = append(apps, eventstore.StreamAppend{Stream: domain.BookletStream(user), Expected: eventstore.NoStream, Events: events})
		}
		for w, evs := range bookings {
			apps = append(apps, eventstore.StreamAppend{Stream: domain.WorkerStream(w), Expected: eventstore.StreamExists, Events: evs})
		}
		var count int64
		for _, a := range apps {
			count += int64(len(a.Events))
		}
		if _, err := store.Append(ctx, apps...); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		mu.Lock()
		done += count
		if time.Since(lastLog) > 10*time.Second {
			logf("seed: %d events", done)
			lastLog = time.Now()
		}
		mu.Unlock()
		return nil
	})
	return seeded + done, err
}
