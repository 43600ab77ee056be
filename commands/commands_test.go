package commands_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/eventstore"
	"github.com/inps/libretto/eventstore/memory"
)

func TestEveryEventCarriesTheEnvelope(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.user(mario, 5000)
	f.worker(laura, ibanOK, "")
	m := citizen(mario)
	res := f.must(f.h.RecordService(ctx(), m, service(laura, 2)))
	for _, stream := range []string{domain.BookletStream(mario), domain.WorkerStream(laura), domain.ServiceLocator(res.ID)} {
		evs := f.stream(stream)
		e := evs[len(evs)-1]
		if e.Actor != (eventstore.Actor{ID: mario, Role: "citizen"}) || e.CorrelationID != m.CorrelationID || !e.OccurredAt.Equal(now) || e.SchemaVersion != 1 {
			t.Fatalf("%s: envelope %+v", stream, e.EventData)
		}
		if e.Position > res.Position {
			t.Fatalf("result position %d is not the last event's (%d)", res.Position, e.Position)
		}
	}
}

func TestAlreadyRegisteredIsAConflict(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.user(mario, 0)
	_, err := f.h.RegisterUser(ctx(), citizen(mario), commands.RegisterUser{})
	wantCode(t, err, domain.CodeAlreadyExists)
	f.worker(laura, "", "")
	_, err = f.h.RegisterWorker(ctx(), citizen(laura), commands.RegisterWorker{})
	wantCode(t, err, domain.CodeAlreadyExists)
	_, err = f.h.RegisterUser(ctx(), citizen("NOTACF"), commands.RegisterUser{})
	wantCode(t, err, domain.CodeInvalidCF)
}

func TestACitizenCannotTouchAnotherPersonsResources(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.user(mario, 5000)
	f.worker(laura, "", "")
	svc := f.must(f.h.RecordService(ctx(), citizen(mario), service(laura, 1)))
	_, err := f.h.RevokeService(ctx(), citizen(giulia), commands.RevokeService{ServiceID: svc.ID})
	if de := wantCode(t, err, domain.CodeNotFound); de.Kind != domain.KindNotFound {
		t.Fatal("another person's service is 404")
	}
	claim := f.must(f.h.RegisterHeir(ctx(), citizen(heirCF), heirOfMario()))
	_, err = f.h.RequestRefund(ctx(), citizen(heir2CF), commands.RequestRefund{ClaimID: claim.ID, IBAN: ibanOK})
	wantCode(t, err, domain.CodeNotFound)
	_, err = f.h.InsertPriorService(ctx(), citizen(heir2CF), commands.InsertPriorService{ClaimID: claim.ID, WorkerCF: laura, Activity: "lavori_domestici", StartDate: "2026-02-01", EndDate: "2026-02-01", Hours: 1, Vouchers: 1, NoKnownEmployment: true})
	wantCode(t, err, domain.CodeNotFound)
	_, err = f.h.RequestRefund(ctx(), citizen(heirCF), commands.RequestRefund{ClaimID: uuid.NewString(), IBAN: ibanOK})
	wantCode(t, err, domain.CodeNotFound)
	_, err = f.h.ApproveRefund(ctx(), operator(), commands.ApproveRefund{RefundID: uuid.NewString()})
	wantCode(t, err, domain.CodeNotFound)
}

func TestRevokeReleasesBookletAndWorker(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.user(mario, 1000)
	f.worker(laura, "", "")
	svc := f.must(f.h.RecordService(ctx(), citizen(mario), service(laura, 1)))
	f.must(f.h.RevokeService(ctx(), citizen(mario), commands.RevokeService{ServiceID: svc.ID}))
	w := f.stream(domain.WorkerStream(laura))
	if w[len(w)-1].Type != domain.TypeWorkerServiceFreed {
		t.Fatal("the worker stops counting a revoked service")
	}
	f.must(f.h.RecordService(ctx(), citizen(mario), service(laura, 1))) // the voucher is available again
	_, err := f.h.RevokeService(ctx(), citizen(mario), commands.RevokeService{ServiceID: svc.ID})
	wantCode(t, err, domain.CodeInvalidState)
}

func TestIdempotency(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.user(mario, 5000)
	f.worker(laura, "", "")
	m := citizen(mario)
	m.IdempotencyKey, m.RequestHash = "key-1", "hash-a"
	first := f.must(f.h.RecordService(ctx(), m, service(laura, 1)))
	before := len(f.stream(domain.BookletStream(mario)))
	again := f.must(f.h.RecordService(ctx(), m, service(laura, 1)))
	if again != first || len(f.stream(domain.BookletStream(mario))) != before {
		t.Fatalf("a repeat returns the first result (%+v, %+v) and appends nothing", first, again)
	}
	m.RequestHash = "hash-b"
	_, err := f.h.RecordService(ctx(), m, service(laura, 2))
	wantCode(t, err, domain.CodeIdempotencyKeyReused)
	m.IdempotencyKey, m.RequestHash = "key-2", "hash-a"
	if other := f.must(f.h.RecordService(ctx(), m, service(laura, 1))); other.ID == first.ID {
		t.Fatal("another key is another service")
	}
}

func TestARetryAfterALostIdempotencyRecordAppendsNothing(t *testing.T) {
	t.Parallel()
	store := memory.New()
	f := newFixtureOn(t, store, memory.NewIdempotency(), memory.NewDocuments())
	f.user(mario, 5000)
	f.worker(laura, "", "")
	m := citizen(mario)
	m.IdempotencyKey, m.RequestHash = "crash", "h"
	first := f.must(f.h.RecordService(ctx(), m, service(laura, 1)))
	head, _ := store.Head(ctx())
	// The process died after the append, before saving the result: a new
	// handler without the record proposes the same event ids.
	g := newFixtureOn(t, store, memory.NewIdempotency(), memory.NewDocuments())
	again := g.must(g.h.RecordService(ctx(), m, service(laura, 1)))
	after, _ := store.Head(ctx())
	if again.ID != first.ID || after.Events != head.Events {
		t.Fatalf("retry recorded %s (first %s), log %d → %d events", again.ID, first.ID, head.Events, after.Events)
	}
}

func TestHeirWithWillStoresTheDocumentOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.user(mario, 5000)
	pdf := []byte("%PDF-1.7\n% testamento olografo\n1 0 obj << >> endobj\nstartxref\n0\n%%EOF\n")
	res := f.must(f.h.RegisterHeir(ctx(), citizen(heirCF), commands.RegisterHeir{DeceasedCF: mario, DateOfDeath: "2026-02-20", HeirKind: "testamentario", Will: &commands.WillUpload{Filename: "testamento.pdf", Content: pdf}}))
	sum := sha256.Sum256(pdf)
	ct, got, err := f.docs.Get(ctx(), hex.EncodeToString(sum[:]))
	if err != nil || ct != "application/pdf" || !bytes.Equal(got, pdf) {
		t.Fatalf("document %q %v", ct, err)
	}
	ev := f.stream(domain.ClaimStream(res.ID))[0]
	if bytes.Contains(ev.Data, pdf[:8]) || !bytes.Contains(ev.Data, []byte(hex.EncodeToString(sum[:]))) {
		t.Fatalf("the event carries only the reference: %s", ev.Data)
	}
	_, err = f.h.RegisterHeir(ctx(), citizen(heir2CF), commands.RegisterHeir{DeceasedCF: mario, DateOfDeath: "2026-02-20", HeirKind: "testamentario", Will: &commands.WillUpload{Filename: "x.pdf", Content: []byte("not a pdf")}})
	wantCode(t, err, domain.CodeInvalidDocument)
	_, err = f.h.RegisterHeir(ctx(), citizen(heir2CF), commands.RegisterHeir{DeceasedCF: mario, DateOfDeath: "2026-02-21", HeirKind: "legittimo"})
	wantCode(t, err, domain.CodeDateOfDeathMismatch)
	_, err = f.h.RegisterHeir(ctx(), citizen(heir2CF), commands.RegisterHeir{DeceasedCF: giulia, DateOfDeath: "2026-02-21", HeirKind: "legittimo"})
	if de := wantCode(t, err, domain.CodeUserNotRegistered); de.Field != "deceased_cf" {
		t.Fatalf("field %q", de.Field)
	}
}

// deceased sets up mario (10 vouchers, 2 used on laura) dead on 2026-02-20
// with heirCF's claim; it returns the claim id.
func (f *fixture) deceased() string {
	f.user(mario, 10000)
	f.worker(laura, ibanOK, "")
	f.must(f.h.RecordService(ctx(), citizen(mario), service(laura, 2)))
	return f.must(f.h.RegisterHeir(ctx(), citizen(heirCF), heirOfMario())).ID
}

func TestRefundLifecycle(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	claim := f.deceased()
	ref := f.must(f.h.RequestRefund(ctx(), citizen(heirCF), commands.RequestRefund{ClaimID: claim, IBAN: ibanOK}))
	if ref.AmountCents != 8000 {
		t.Fatalf("amount %d", ref.AmountCents)
	}
	_, err := f.h.ApproveRefund(ctx(), operator(), commands.ApproveRefund{RefundID: ref.ID})
	wantCode(t, err, domain.CodeClaimNotValidated)
	_, err = f.h.MarkRefundPaid(ctx(), operator(), commands.MarkRefundPaid{RefundID: ref.ID, PaidOn: "2026-03-01", BankReference: "B1"})
	wantCode(t, err, domain.CodeInvalidState)
	f.must(f.h.ValidateHeir(ctx(), operator(), commands.ValidateHeir{ClaimID: claim, Note: "ok"}))
	f.must(f.h.ApproveRefund(ctx(), operator(), commands.ApproveRefund{RefundID: ref.ID}))
	f.must(f.h.MarkRefundPaid(ctx(), operator2(), commands.MarkRefundPaid{RefundID: ref.ID, PaidOn: "2026-03-01", BankReference: "B1"}))
	evs := f.stream(domain.BookletStream(mario))
	if evs[len(evs)-1].Type != domain.TypeRefundDisbursed {
		t.Fatal("the booklet moves the refund to refunded")
	}
	_, err = f.h.RequestRefund(ctx(), citizen(heirCF), commands.RequestRefund{ClaimID: claim, IBAN: ibanOK})
	wantCode(t, err, domain.CodeRefundAlreadyRequested)
	snap, events, err := f.h.ReplayClaim(ctx(), claim, time.Now().Add(time.Hour))
	if err != nil || snap.Refund == nil || snap.Refund.Status != "paid" || snap.Status != "validated" || len(events) != 5 {
		t.Fatalf("replay %+v, %d events, %v", snap, len(events), err)
	}
}

func TestReplayClaimAsOfAnInstant(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	claim := f.deceased()
	time.Sleep(2 * time.Millisecond)
	between := time.Now()
	time.Sleep(2 * time.Millisecond)
	f.must(f.h.ValidateHeir(ctx(), operator(), commands.ValidateHeir{ClaimID: claim}))
	snap, events, err := f.h.ReplayClaim(ctx(), claim, between)
	if err != nil || snap.Status != "registered" || len(events) != 1 {
		t.Fatalf("as of before validation: %+v %d %v", snap, len(events), err)
	}
	_, _, err = f.h.ReplayClaim(ctx(), claim, between.Add(-time.Hour))
	wantCode(t, err, domain.CodeNotFound)
}

func TestRejectHeirRejectsTheRefundAndFreesTheSlot(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	claim := f.deceased()
	ref := f.must(f.h.RequestRefund(ctx(), citizen(heirCF), commands.RequestRefund{ClaimID: claim, IBAN: ibanOK}))
	f.must(f.h.RejectHeir(ctx(), operator(), commands.RejectHeir{ClaimID: claim, Reason: "not an heir"}))
	cl := f.stream(domain.ClaimStream(claim))
	if cl[len(cl)-1].Type != domain.TypeRefundRejected || cl[len(cl)-1].CausationID != cl[1].ID {
		t.Fatalf("the refund is rejected naming its request: %s %v", cl[len(cl)-1].Type, cl[len(cl)-1].CausationID)
	}
	_, err := f.h.RequestRefund(ctx(), citizen(heirCF), commands.RequestRefund{ClaimID: claim, IBAN: ibanOK})
	wantCode(t, err, domain.CodeInvalidState)
	_, err = f.h.ApproveRefund(ctx(), operator(), commands.ApproveRefund{RefundID: ref.ID})
	wantCode(t, err, domain.CodeInvalidState)
	other := f.must(f.h.RegisterHeir(ctx(), citizen(heir2CF), heirOfMario()))
	again := f.must(f.h.RequestRefund(ctx(), citizen(heir2CF), commands.RequestRefund{ClaimID: other.ID, IBAN: ibanOK}))
	if again.AmountCents != 8000 {
		t.Fatalf("the released reservation is refundable again: %d", again.AmountCents)
	}
	f.must(f.h.RejectRefund(ctx(), operator(), commands.RejectRefund{RefundID: again.ID, Reason: "duplicate"}))
	_, err = f.h.RejectRefund(ctx(), operator(), commands.RejectRefund{RefundID: again.ID, Reason: "duplicate"})
	wantCode(t, err, domain.CodeInvalidState)
}

func TestPriorServicesAndTheirReversal(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	claim := f.deceased()
	f.worker(giulia, "", "pensionato")
	prior := commands.InsertPriorService{ClaimID: claim, WorkerCF: giulia, Activity: "assistenza_domiciliare", StartDate: "2025-12-01", EndDate: "2026-02-20", Hours: 3, Vouchers: 3, NoKnownEmployment: true}
	svc := f.must(f.h.InsertPriorService(ctx(), citizen(heirCF), prior))
	rec := f.stream(domain.BookletStream(mario))
	var sr domain.ServiceRecorded
	_ = json.Unmarshal(rec[len(rec)-1].Data, &sr)
	if sr.ClaimID != claim || sr.HeirCF != heirCF || sr.UserCapCents != 1800 {
		t.Fatalf("recorded on the deceased's booklet with claim and heir: %+v", sr)
	}
	late := prior
	late.EndDate = "2026-02-21"
	_, err := f.h.InsertPriorService(ctx(), citizen(heirCF), late)
	wantCode(t, err, domain.CodeServiceAfterDeath)
	f.must(f.h.ReverseService(ctx(), operator(), commands.ReverseService{ServiceID: svc.ID, Reason: "never happened"}))
	cl := f.stream(domain.ClaimStream(claim))
	last := cl[len(cl)-1]
	if last.Type != domain.TypePriorServiceReversed || last.CausationID != rec[len(rec)-1].ID {
		t.Fatalf("the claim records the reversal naming the ServiceRecorded: %s", last.Type)
	}
	_, err = f.h.ReverseService(ctx(), operator(), commands.ReverseService{ServiceID: svc.ID, Reason: "again"})
	wantCode(t, err, domain.CodeInvalidState)
}

func TestCorrectDateOfDeathReachesEveryClaim(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c1 := f.deceased()
	c2 := f.must(f.h.RegisterHeir(ctx(), citizen(heir2CF), heirOfMario())).ID
	f.must(f.h.CorrectDateOfDeath(ctx(), operator(), commands.CorrectDateOfDeath{DeceasedCF: mario, DateOfDeath: "2026-02-18", Reason: "death certificate"}))
	for _, c := range []string{c1, c2} {
		snap, _, err := f.h.ReplayClaim(ctx(), c, time.Now().Add(time.Hour))
		if err != nil || snap.DateOfDeath != "2026-02-18" {
			t.Fatalf("claim %s: %+v %v", c, snap, err)
		}
	}
	_, err := f.h.RegisterHeir(ctx(), citizen(anna), commands.RegisterHeir{DeceasedCF: mario, DateOfDeath: "2026-02-18", HeirKind: "legittimo"})
	if err != nil {
		t.Fatalf("the corrected date is the one to give: %v", err)
	}
}

type unpaidList []string

func (u unpaidList) UnpaidBooklets(context.Context) ([]string, error) { return u, nil }

func TestRunPayroll(t *testing.T) {
	t.Parallel()
	for _, readModel := range []bool{false, true} {
		f := newFixture(t)
		f.user(mario, 10000)
		f.user(giulia, 10000)
		f.worker(laura, "", "")
		f.worker(paolo, ibanOK, "")
		f.must(f.h.RecordService(ctx(), citizen(mario), service(laura, 2)))
		f.must(f.h.RecordService(ctx(), citizen(giulia), service(laura, 1)))
		f.must(f.h.RecordService(ctx(), citizen(giulia), service(paolo, 3)))
		if readModel {
			f.h = commands.NewHandler(f.store, f.idem, f.docs, commands.WithUnpaidBooklets(unpaidList{mario, giulia}))
		}
		res := f.must(f.h.RunPayroll(ctx(), operator(), commands.RunPayroll{RunDate: "2026-03-01"}))
		if res.Payments != 2 || res.PaidCents != (3*800-260)+3*800 || res.ID == "" {
			t.Fatalf("read model %v: run %+v", readModel, res)
		}
		again := f.must(f.h.RunPayroll(ctx(), operator(), commands.RunPayroll{RunDate: "2026-03-01"}))
		if again.Payments != 0 || again.PaidCents != 0 {
			t.Fatalf("a second run pays nothing: %+v", again)
		}
		_, err := f.h.RunPayroll(ctx(), operator(), commands.RunPayroll{RunDate: "2026-03-03"})
		wantCode(t, err, domain.CodeFutureDate)
	}
}

func TestCachedStateFollowsWritesOfOtherHandlers(t *testing.T) {
	t.Parallel()
	store := memory.New()
	a := newFixtureOn(t, store, memory.NewIdempotency(), memory.NewDocuments())
	b := newFixtureOn(t, store, memory.NewIdempotency(), memory.NewDocuments())
	a.user(mario, 3000)
	a.worker(laura, "", "")
	a.must(a.h.RecordService(ctx(), citizen(mario), service(laura, 1)))
	b.must(b.h.RecordService(ctx(), citizen(mario), service(laura, 1)))
	a.must(a.h.RecordService(ctx(), citizen(mario), service(laura, 1)))
	_, err := a.h.RecordService(ctx(), citizen(mario), service(laura, 1))
	wantCode(t, err, domain.CodeInsufficientFunds)
	_, err = b.h.RecordService(ctx(), citizen(mario), service(laura, 1))
	wantCode(t, err, domain.CodeInsufficientFunds)
}

func TestConcurrentServicesOnMemory(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	raceTenVouchers(t, f, func(int) *commands.Handler { return f.h })
}

// raceTenVouchers runs 20 one-voucher services in parallel on a 10-voucher
// booklet, the i-th through handler(i): exactly 10 succeed and the balance
// is 0.
func raceTenVouchers(t *testing.T, f *fixture, handler func(i int) *commands.Handler) {
	f.user(mario, 10000)
	f.worker(laura, "", "")
	var ok, refused atomic.Int32
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := handler(i).RecordService(ctx(), citizen(mario), service(laura, 1))
			var de *domain.Error
			switch {
			case err == nil:
				ok.Add(1)
			case errors.As(err, &de) && de.Code == domain.CodeInsufficientFunds:
				refused.Add(1)
			default:
				t.Errorf("unexpected: %v", err)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 10 || refused.Load() != 10 {
		t.Fatalf("%d succeeded, %d refused; want 10 and 10", ok.Load(), refused.Load())
	}
	// Nothing is left: one more voucher is refused.
	_, err := f.h.RecordService(ctx(), citizen(mario), service(laura, 1))
	if de := wantCode(t, err, domain.CodeInsufficientFunds); de.Facts["available"] != int64(0) {
		t.Fatalf("available %v, want 0", de.Facts["available"])
	}
}

func TestARetryAfterALostResultRebuildsIt(t *testing.T) {
	t.Parallel()
	store := memory.New()
	f := newFixtureOn(t, store, memory.NewIdempotency(), memory.NewDocuments())
	f.user(mario, 1000)
	f.worker(laura, "", "")
	keyed := func(actor string, role commands.Role, key string) commands.Meta {
		m := meta(actor, role)
		m.IdempotencyKey, m.RequestHash = key, "h"
		return m
	}
	// A fresh handler (no idempotency record, no cache) stands for the
	// process that restarted after appending and before saving the result.
	restarted := func() *commands.Handler {
		return commands.NewHandler(store, memory.NewIdempotency(), memory.NewDocuments())
	}
	svc := f.must(f.h.RecordService(ctx(), keyed(mario, commands.RoleCitizen, "s"), service(laura, 1)))
	again, err := restarted().RecordService(ctx(), keyed(mario, commands.RoleCitizen, "s"), service(laura, 1))
	if err != nil || again != svc {
		t.Fatalf("the last voucher is not refused to the request that took it: %+v %v (first %+v)", again, err, svc)
	}
	claim := f.must(f.h.RegisterHeir(ctx(), keyed(heirCF, commands.RoleCitizen, "c"), heirOfMario()))
	if again, err := restarted().RegisterHeir(ctx(), keyed(heirCF, commands.RoleCitizen, "c"), heirOfMario()); err != nil || again != claim {
		t.Fatalf("claim %+v %v, first %+v", again, err, claim)
	}
	f.must(f.h.RecordDeposit(ctx(), system(), commands.RecordDeposit{UserCF: mario, AmountCents: 3000, Channel: "F24", PaidOn: "2026-02-01"}))
	ref := f.must(f.h.RequestRefund(ctx(), keyed(heirCF, commands.RoleCitizen, "r"), commands.RequestRefund{ClaimID: claim.ID, IBAN: ibanOK}))
	if again, err := restarted().RequestRefund(ctx(), keyed(heirCF, commands.RoleCitizen, "r"), commands.RequestRefund{ClaimID: claim.ID, IBAN: ibanOK}); err != nil || again != ref {
		t.Fatalf("refund %+v %v, first %+v", again, err, ref)
	}
	run := f.must(f.h.RunPayroll(ctx(), keyed(operCF, commands.RoleOperator, "p"), commands.RunPayroll{RunDate: "2026-03-01"}))
	if again, err := restarted().RunPayroll(ctx(), keyed(operCF, commands.RoleOperator, "p"), commands.RunPayroll{RunDate: "2026-03-01"}); err != nil || again != run || run.Payments != 1 {
		t.Fatalf("run %+v %v, first %+v", again, err, run)
	}
}

func TestTheActorsCFIsNormalised(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.user(mario, 2000)
	f.worker(laura, "", "")
	svc := f.must(f.h.RecordService(ctx(), citizen(" "+strings.ToLower(mario)), service(laura, 1)))
	f.must(f.h.RevokeService(ctx(), citizen(strings.ToLower(mario)), commands.RevokeService{ServiceID: svc.ID}))
}
