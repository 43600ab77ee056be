package seed_test

import (
	"context"
	"testing"
	"time"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/commands/seed"
	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/eventstore/memory"
)

func TestSeedIsIdempotent(t *testing.T) {
	t.Parallel()
	for _, now := range []time.Time{
		time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC),
		time.Date(2026, 1, 1, 0, 30, 0, 0, time.UTC), // the demo's months are last year's
		time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC), // before the 3rd: last month still recordable
	} {
		t.Run(now.Format(time.DateOnly), func(t *testing.T) {
			t.Parallel()
			seedTwice(t, now)
		})
	}
}

func seedTwice(t *testing.T, now time.Time) {
	ctx := context.Background()
	store := memory.New()
	h := commands.NewHandler(store, memory.NewIdempotency(), memory.NewDocuments())
	if err := seed.Seed(ctx, h, now); err != nil {
		t.Fatalf("first seed: %v", err)
	}
	first, err := store.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if first.Events < 50 {
		t.Fatalf("the demo has only %d events", first.Events)
	}
	if err := seed.Seed(ctx, h, now.Add(time.Hour)); err != nil {
		t.Fatalf("second seed: %v", err)
	}
	second, _ := store.Head(ctx)
	if second.Events != first.Events {
		t.Fatalf("seeding again appended %d events", second.Events-first.Events)
	}
}

func TestSeedLeavesForeignDataAlone(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := memory.New()
	h := commands.NewHandler(store, memory.NewIdempotency(), memory.NewDocuments())
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	if _, err := h.RegisterUser(ctx, commands.Meta{ActorCF: seed.DeceasedCF, Role: commands.RoleCitizen, Now: now}, commands.RegisterUser{}); err != nil {
		t.Fatal(err)
	}
	if err := seed.Seed(ctx, h, now); err != nil {
		t.Fatal(err)
	}
	head, _ := store.Head(ctx)
	if head.Events != 1 {
		t.Fatalf("seed wrote %d events into a store that was not its own", head.Events-1)
	}
}

func TestDemoCodiciFiscaliAreValid(t *testing.T) {
	t.Parallel()
	for _, cf := range []string{seed.DeceasedCF, seed.HeirLauraCF, seed.HeirMarcoCF, seed.FamilyVerdiCF, seed.FamilyFerrariCF,
		seed.WorkerMariaCF, seed.WorkerGiovanniCF, seed.WorkerSofiaCF, seed.OperatorCF, seed.Operator2CF, seed.AuditorCF} {
		if _, err := domain.ParseCF(cf); err != nil {
			t.Errorf("%s: %v", cf, err)
		}
	}
}
