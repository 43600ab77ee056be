package commands_test

import (
	"testing"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/domain"
)

func TestAPendingDepositIsCreditedThroughItsLocator(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.user(laura, 0)
	f.worker(mario, ibanOK, "altro")
	dep := f.must(f.h.RecordDeposit(ctx(), system(), commands.RecordDeposit{UserCF: laura, AmountCents: 20000, Channel: "F24", PaidOn: "2026-02-27", Status: "pending"}))
	if loc := f.stream(domain.DepositLocator(dep.ID)); len(loc) != 1 || loc[0].Type != domain.TypeDepositLocated {
		t.Fatalf("the deposit's locator holds %v", loc)
	}
	_, err := f.h.RecordService(ctx(), citizen(laura), service(mario, 2))
	wantCode(t, err, domain.CodeInsufficientFunds)

	m := system()
	m.IdempotencyKey, m.RequestHash = "credit-1", "h"
	first := f.must(f.h.CreditDeposit(ctx(), m, commands.CreditDeposit{DepositID: dep.ID}))
	again := f.must(f.h.CreditDeposit(ctx(), m, commands.CreditDeposit{DepositID: dep.ID}))
	if first != again {
		t.Fatalf("a repeated credit with its key answers %+v, then %+v", first, again)
	}
	f.must(f.h.RecordService(ctx(), citizen(laura), service(mario, 2)))

	_, err = f.h.CreditDeposit(ctx(), system(), commands.CreditDeposit{DepositID: dep.ID})
	wantCode(t, err, domain.CodeAlreadyCredited)
	_, err = f.h.CreditDeposit(ctx(), system(), commands.CreditDeposit{DepositID: "0190f0a4-1b2c-7d3e-8f40-123456789abc"})
	wantCode(t, err, domain.CodeNotFound)
}

func TestARetriedDepositWhoseAnswerWasLostIsNotRecordedTwice(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.user(laura, 0)
	m := system()
	m.IdempotencyKey, m.RequestHash = "dep-1", "h"
	in := commands.RecordDeposit{UserCF: laura, AmountCents: 20000, Channel: "F24", PaidOn: "2026-02-27"}
	// Another handler over the same store, without the first's idempotency
	// record: as after a crash between the append and the saved answer.
	first := f.must(f.h.RecordDeposit(ctx(), m, in))
	other := commands.NewHandler(f.store, nil, f.docs)
	again := f.must(other.RecordDeposit(ctx(), m, in))
	if again.ID != first.ID || again.Position != first.Position {
		t.Fatalf("the retry answered %+v, the first %+v", again, first)
	}
	var deposits int
	for _, e := range f.stream(domain.BookletStream(laura)) {
		if e.Type == domain.TypeDepositRecorded {
			deposits++
		}
	}
	if deposits != 1 {
		t.Fatalf("%d deposits recorded, want 1", deposits)
	}
}
