package commands_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/eventstore"
	"github.com/inps/libretto/eventstore/memory"
)

// cf completes the first 15 characters of a codice fiscale with its check character.
func cf(first15 string) string { return first15 + string(domain.CFCheckChar(first15)) }

var (
	mario   = "RSSMRA85T10A562S" // a well-known valid CF
	laura   = cf("BNCLRA90A41H501")
	giulia  = cf("VRDGLI70M50F205")
	paolo   = cf("FRRPLA60C12L219")
	anna    = cf("CLMNNA99D45G273")
	operCF  = cf("NRELCU80E15A944")
	oper2CF = cf("CNTDVD80A01H501") // a second operator: four eyes on a refund
	ibanOK  = "IT60X0542811101000000123456"
	now     = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC) // a Monday in Rome
	heirCF  = cf("GLLSFN75H20D612")
	heir2CF = cf("MRNDRA82L08B354")
)

type fixture struct {
	t     testing.TB
	store eventstore.Store
	h     *commands.Handler
	docs  commands.Documents
	idem  commands.Idempotency
}

func newFixture(t testing.TB) *fixture {
	return newFixtureOn(t, memory.New(), memory.NewIdempotency(), memory.NewDocuments())
}

func newFixtureOn(t testing.TB, store eventstore.Store, idem commands.Idempotency, docs commands.Documents) *fixture {
	return &fixture{t: t, store: store, h: commands.NewHandler(store, idem, docs), docs: docs, idem: idem}
}

func meta(actor string, role commands.Role) commands.Meta {
	return commands.Meta{ActorCF: actor, Role: role, Now: now, CorrelationID: uuid.New()}
}

func citizen(actor string) commands.Meta { return meta(actor, commands.RoleCitizen) }
func operator() commands.Meta            { return meta(operCF, commands.RoleOperator) }
func operator2() commands.Meta           { return meta(oper2CF, commands.RoleOperator) }
func system() commands.Meta              { return meta("pagopa-feed", commands.RoleSystem) }
func ctx() context.Context               { return context.Background() }

func (f *fixture) must(res commands.Result, err error) commands.Result {
	f.t.Helper()
	if err != nil {
		f.t.Fatalf("unexpected error: %v", err)
	}
	return res
}

func (f *fixture) user(cf string, cents int64) {
	f.t.Helper()
	f.must(f.h.RegisterUser(ctx(), citizen(cf), commands.RegisterUser{}))
	if cents > 0 {
		f.must(f.h.RecordDeposit(ctx(), system(), commands.RecordDeposit{UserCF: cf, AmountCents: cents, Channel: "PAGOPA", PaidOn: "2026-02-01"}))
	}
}

func (f *fixture) worker(cf, iban, category string) {
	f.t.Helper()
	f.must(f.h.RegisterWorker(ctx(), citizen(cf), commands.RegisterWorker{IBAN: iban, Category: category}))
}

// heirOfMario registers a legitimate heir of mario, dead on 2026-02-20.
func heirOfMario() commands.RegisterHeir {
	return commands.RegisterHeir{DeceasedCF: mario, DateOfDeath: "2026-02-20", HeirKind: "legittimo"}
}

func service(worker string, vouchers int) commands.RecordService {
	return commands.RecordService{WorkerCF: worker, Activity: "lavori_domestici", StartDate: "2026-02-10", EndDate: "2026-02-10", Hours: 1, Vouchers: vouchers, NoRecentEmployment: true}
}

func wantCode(t testing.TB, err error, code string) *domain.Error {
	t.Helper()
	var de *domain.Error
	if !errors.As(err, &de) {
		t.Fatalf("want domain error %s, got %v", code, err)
	}
	if de.Code != code {
		t.Fatalf("want code %s, got %s (%v)", code, de.Code, err)
	}
	return de
}

func (f *fixture) stream(name string) []eventstore.Event {
	f.t.Helper()
	evs, err := f.store.ReadStream(ctx(), name, eventstore.ReadOptions{})
	if err != nil && !errors.Is(err, eventstore.ErrStreamNotFound) {
		f.t.Fatal(err)
	}
	return evs
}
