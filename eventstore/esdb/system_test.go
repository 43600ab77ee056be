package esdb_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/eventstore/esdb"
	"github.com/inps/libretto/eventstore/esdb/esdbtest"
	"github.com/inps/libretto/eventstore/memory"
	"github.com/inps/libretto/eventstore/postgres/pgtest"
	"github.com/inps/libretto/projections"
)

// TestCommandsAndProjectionsOverEventStoreDB runs the real commands (sagas
// included) on the EventStoreDB store over the protocol double and the real
// projectors into PostgreSQL, and reads a user's own write through
// WaitFor, as GET …?min_position does.
func TestCommandsAndProjectionsOverEventStoreDB(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.NewDatabase(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)

	srv := esdbtest.Start(t)
	srv.WriteSystemEventEvery(2)
	store, err := esdb.Open(ctx, srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })

	runner := projections.NewRunner(pool, store, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := runner.Start(ctx); err != nil {
		t.Fatal(err)
	}
	h := commands.NewHandler(store, memory.NewIdempotency(), memory.NewDocuments())
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	meta := func(actor string, role commands.Role) commands.Meta {
		return commands.Meta{ActorCF: actor, Role: role, Now: now, CorrelationID: uuid.New()}
	}
	user := "RSSMRA85T10A562S"
	worker := "BNCLRA90A41H501" + string(domain.CFCheckChar("BNCLRA90A41H501"))
	must := func(res commands.Result, err error) commands.Result {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	must(h.RegisterUser(ctx, meta(user, commands.RoleCitizen), commands.RegisterUser{}))
	must(h.RecordDeposit(ctx, meta("pagopa-feed", commands.RoleSystem), commands.RecordDeposit{UserCF: user, AmountCents: 100000, Channel: "PAGOPA", PaidOn: "2026-02-01"}))
	must(h.RegisterWorker(ctx, meta(worker, commands.RoleCitizen), commands.RegisterWorker{IBAN: "IT60X0542811101000000123456"}))
	res := must(h.RecordService(ctx, meta(user, commands.RoleCitizen), commands.RecordService{
		WorkerCF: worker, Activity: "lavori_domestici", StartDate: "2026-02-10", EndDate: "2026-02-10",
		Hours: 1, Vouchers: 10, NoRecentEmployment: true,
	}))

	if err := runner.WaitFor(ctx, res.Position); err != nil {
		t.Fatalf("wait for %d: %v", res.Position, err)
	}
	d, err := runner.Queries().Dashboard(ctx, user, "2026-03-02")
	if err != nil {
		t.Fatal(err)
	}
	if d.Booklet.DepositedCents != 100000 || d.Booklet.CommittedCents != 10000 || d.Booklet.AvailableCents != 90000 {
		t.Errorf("booklet = %+v", d.Booklet)
	}
	if len(d.Services) != 1 || d.Services[0].ServiceID != res.ID {
		t.Errorf("services = %+v, want %s", d.Services, res.ID)
	}
	// Every projector catches up with the head, the saga log hidden: the
	// head counts the store's events only, as the projectors do.
	for {
		st, err := runner.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		lag := int64(0)
		for _, s := range st {
			if s.Stopped != "" {
				t.Fatalf("projector %s stopped: %s", s.Name, s.Stopped)
			}
			lag = max(lag, s.LagEvents)
		}
		if lag == 0 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("projectors still %d events behind: %+v", lag, st)
		case <-time.After(20 * time.Millisecond):
		}
	}
	if err := runner.Ready(); err != nil {
		t.Errorf("ready: %v", err)
	}
}
