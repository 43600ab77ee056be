package commands_test

import (
	"errors"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/eventstore/postgres"
	"github.com/inps/libretto/eventstore/postgres/pgtest"
)

// newPostgresFixture returns a fixture on a fresh, migrated PostgreSQL
// database (skipped only under -short).
func newPostgresFixture(t testing.TB) *fixture {
	t.Helper()
	url := pgtest.NewDatabase(t)
	if err := postgres.Migrate(ctx(), url); err != nil {
		t.Fatal(err)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 24
	pool, err := pgxpool.NewWithConfig(ctx(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return newFixtureOn(t, postgres.New(pool), postgres.NewIdempotency(pool), postgres.NewDocuments(pool))
}

func TestPostgresTwentyServicesOnTenVouchers(t *testing.T) {
	t.Parallel()
	f := newPostgresFixture(t)
	// Every goroutine has a handler of its own, as if each request reached
	// another instance of the server: they race in the store, not in a cache.
	raceTenVouchers(t, f, f.instance)
}

func TestPostgresTwoUsersRaceForTheLastCapOfAWorker(t *testing.T) {
	t.Parallel()
	f := newPostgresFixture(t)
	f.worker(laura, "", "")
	// Two users book 312 vouchers each: 499200 of the worker's 500000.
	for _, u := range []string{mario, giulia} {
		f.user(u, 312000)
		f.must(f.h.RecordService(ctx(), citizen(u), service(laura, 312)))
	}
	f.user(paolo, 1000)
	f.user(anna, 1000)
	results := make([]error, 2)
	var wg sync.WaitGroup
	for i, u := range []string{paolo, anna} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, results[i] = f.instance(i).RecordService(ctx(), citizen(u), service(laura, 1))
		}()
	}
	wg.Wait()
	wins := 0
	for _, err := range results {
		if err == nil {
			wins++
			continue
		}
		de := wantCode(t, err, domain.CodeCapExceeded)
		if de.Facts["cap"] != "worker" || de.Facts["remaining_cents"] != int64(0) {
			t.Fatalf("facts %v", de.Facts)
		}
	}
	if wins != 1 {
		t.Fatalf("%d users got the worker's last 800 cents, want exactly 1 (%v)", wins, results)
	}
}

func TestPostgresTwoHeirsRaceForTheRefund(t *testing.T) {
	t.Parallel()
	f := newPostgresFixture(t)
	f.user(mario, 5000)
	var claims [2]string
	for i, h := range []string{heirCF, heir2CF} {
		claims[i] = f.must(f.h.RegisterHeir(ctx(), citizen(h), heirOfMario())).ID
	}
	results := make([]error, 2)
	var wg sync.WaitGroup
	for i, h := range []string{heirCF, heir2CF} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, results[i] = f.instance(i).RequestRefund(ctx(), citizen(h), commands.RequestRefund{ClaimID: claims[i], IBAN: ibanOK})
		}()
	}
	wg.Wait()
	wins := 0
	for _, err := range results {
		var de *domain.Error
		switch {
		case err == nil:
			wins++
		case errors.As(err, &de) && de.Code == domain.CodeRefundAlreadyRequested:
		default:
			t.Fatalf("unexpected: %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d heirs got the refund, want exactly 1", wins)
	}
}

// instance returns a handler of its own over the fixture's stores: another
// server instance, with its own state cache.
func (f *fixture) instance(int) *commands.Handler {
	return commands.NewHandler(f.store, f.idem, f.docs)
}
