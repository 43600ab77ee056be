package commands

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/eventstore"
	"github.com/inps/libretto/eventstore/memory"
)

// The first attempt of a command decides on cached aggregates without
// reading the store; these tests pin what makes that safe when another
// process has written since.

func TestAStreamReadButNotWrittenIsCheckedAtCommit(t *testing.T) {
	ctx := context.Background()
	store := memory.New()
	here := NewHandler(store, nil, nil)
	there := NewHandler(store, nil, nil) // another process on the same store
	mario, err := domain.ParseCF("RSSMRA85T10A562S")
	if err != nil {
		t.Fatal(err)
	}
	m := Meta{ActorCF: mario.String(), Role: RoleCitizen, Now: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC), CorrelationID: uuid.New()}
	if _, err := here.RegisterUser(ctx, m, RegisterUser{}); err != nil {
		t.Fatal(err)
	}
	sys := m
	sys.ActorCF, sys.Role = "pagopa-feed", RoleSystem
	if _, err := there.RecordDeposit(ctx, sys, RecordDeposit{UserCF: mario.String(), AmountCents: 1000, Channel: "PAGOPA", PaidOn: "2026-02-01"}); err != nil {
		t.Fatal(err)
	}

	// The booklet is cached here at version 1, one deposit behind the store.
	u := &unit{h: here, m: m, today: domain.DateOf(m.Now, rome), trustCache: true}
	b, err := u.booklet(ctx, mario)
	if err != nil {
		t.Fatal(err)
	}
	if !u.trusted || b.Version() != 1 {
		t.Fatalf("trusted %v at version %d, want the cached booklet at version 1", u.trusted, b.Version())
	}
	_, err = u.apply(ctx, domain.Decide(domain.ServiceLocator("s-1"), []domain.Pending{{Data: domain.ServiceLocated{ServiceID: "s-1", UserCF: mario.String()}}}))
	u.release()
	if !errors.Is(err, eventstore.ErrConcurrency) {
		t.Fatalf("commit on a stale booklet it only read: err = %v, want ErrConcurrency", err)
	}
	if _, err := store.ReadStream(ctx, domain.ServiceLocator("s-1"), eventstore.ReadOptions{}); !errors.Is(err, eventstore.ErrStreamNotFound) {
		t.Errorf("the refused commit wrote its locator: %v", err)
	}
}

func TestARefusalOnAStaleCacheIsDecidedAgainOnTheStore(t *testing.T) {
	ctx := context.Background()
	store := memory.New()
	here := NewHandler(store, nil, nil)
	there := NewHandler(store, nil, nil)
	mario := "RSSMRA85T10A562S"
	laura := "BNCLRA80A41H501D"
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	m := Meta{ActorCF: mario, Role: RoleCitizen, Now: at, CorrelationID: uuid.New()}
	w := Meta{ActorCF: laura, Role: RoleCitizen, Now: at, CorrelationID: uuid.New()}
	sys := Meta{ActorCF: "pagopa-feed", Role: RoleSystem, Now: at, CorrelationID: uuid.New()}
	svc := RecordService{WorkerCF: laura, Activity: "lavori_domestici", StartDate: "2026-02-10", EndDate: "2026-02-10", Hours: 1, Vouchers: 1, NoRecentEmployment: true}
	steps := []func() (Result, error){
		func() (Result, error) { return here.RegisterUser(ctx, m, RegisterUser{}) },
		func() (Result, error) { return here.RegisterWorker(ctx, w, RegisterWorker{}) },
		func() (Result, error) {
			return here.RecordDeposit(ctx, sys, RecordDeposit{UserCF: mario, AmountCents: 1000, Channel: "PAGOPA", PaidOn: "2026-02-01"})
		},
		func() (Result, error) { return here.RecordService(ctx, m, svc) }, // the booklet is empty now, and cached so
		func() (Result, error) {
			return there.RecordDeposit(ctx, sys, RecordDeposit{UserCF: mario, AmountCents: 1000, Channel: "PAGOPA", PaidOn: "2026-02-02"})
		},
	}
	for i, step := range steps {
		if _, err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	if _, err := here.RecordService(ctx, m, svc); err != nil {
		t.Fatalf("a service paid by the other process's deposit was refused on the cached booklet: %v", err)
	}
	var de *domain.Error
	if _, err := here.RecordService(ctx, m, svc); !errors.As(err, &de) || de.Code != domain.CodeInsufficientFunds {
		t.Fatalf("a third service on two deposits: err = %v, want %s", err, domain.CodeInsufficientFunds)
	}
}
