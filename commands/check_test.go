package commands_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/eventstore"
)

// Check, the dry run: it refuses exactly what the command refuses, accepts
// what the command accepts, and appends and stores nothing either way.

// run issues command c through its own handler method (the method named as
// its type), as an HTTP layer would.
func run(h *commands.Handler, m commands.Meta, c any) error {
	method := reflect.ValueOf(h).MethodByName(reflect.TypeOf(c).Name())
	out := method.Call([]reflect.Value{reflect.ValueOf(ctx()), reflect.ValueOf(m), reflect.ValueOf(c)})
	err, _ := out[1].Interface().(error)
	return err
}

func head(t *testing.T, f *fixture) eventstore.Head {
	t.Helper()
	h, err := f.store.Head(ctx())
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// withKey is m with an idempotency key and request hash.
func withKey(m commands.Meta, key, hash string) commands.Meta {
	m.IdempotencyKey, m.RequestHash = key, hash
	return m
}

func TestCheckRefusesWhatTheCommandRefuses(t *testing.T) {
	t.Parallel()
	f := newPostgresFixture(t)
	op := func(cf string) commands.Meta { return meta(cf, commands.RoleOperator) }
	heir3CF := cf("BNCGPP50A01H501")

	// mario, dead on 2026-02-20, with laura's service, heirCF's validated
	// claim, a prior service ending on 2026-02-15 and a refund approved by
	// the first operator.
	claim := f.deceased()
	f.must(f.h.InsertPriorService(ctx(), citizen(heirCF), commands.InsertPriorService{ClaimID: claim, WorkerCF: laura, Activity: "lavori_domestici",
		StartDate: "2026-02-15", EndDate: "2026-02-15", Hours: 1, Vouchers: 1, NoKnownEmployment: true}))
	f.must(f.h.ValidateHeir(ctx(), operator(), commands.ValidateHeir{ClaimID: claim}))
	approved := f.must(f.h.RequestRefund(ctx(), citizen(heirCF), commands.RequestRefund{ClaimID: claim, IBAN: ibanOK})).ID
	f.must(f.h.ApproveRefund(ctx(), operator(), commands.ApproveRefund{RefundID: approved}))
	// anna, dead too, with heir2CF's claim not validated and its refund,
	// and heir3CF's claim rejected.
	f.user(anna, 5000)
	annaDeath := commands.RegisterHeir{DeceasedCF: anna, DateOfDeath: "2026-02-20", HeirKind: "legittimo"}
	annaClaim := f.must(f.h.RegisterHeir(ctx(), citizen(heir2CF), annaDeath)).ID
	requested := f.must(f.h.RequestRefund(ctx(), citizen(heir2CF), commands.RequestRefund{ClaimID: annaClaim, IBAN: ibanOK})).ID
	rejected := f.must(f.h.RegisterHeir(ctx(), citizen(heir3CF), annaDeath)).ID
	f.must(f.h.RejectHeir(ctx(), operator(), commands.RejectHeir{ClaimID: rejected, Reason: "non erede"}))
	// giulia, alive, with a service to paolo and one she revoked.
	f.user(giulia, 10000)
	f.worker(paolo, ibanOK, "")
	f.must(f.h.RecordService(ctx(), citizen(giulia), service(paolo, 1)))
	revoked := f.must(f.h.RecordService(ctx(), citizen(giulia), service(paolo, 1))).ID
	f.must(f.h.RevokeService(ctx(), citizen(giulia), commands.RevokeService{ServiceID: revoked}))
	// A key giulia used for a worker's registration.
	f.must(f.h.RegisterWorker(ctx(), withKey(citizen(giulia), "giulia-key", "hash-1"), commands.RegisterWorker{}))

	deposit := func(user string, cents int64, on string) commands.RecordDeposit {
		return commands.RecordDeposit{UserCF: user, AmountCents: cents, Channel: "PAGOPA", PaidOn: on}
	}
	death := func(date string) commands.CorrectDateOfDeath {
		return commands.CorrectDateOfDeath{DeceasedCF: mario, DateOfDeath: date, Reason: "certificato"}
	}
	tests := []struct {
		name string
		m    commands.Meta
		c    any
		code string
	}{
		{"a deposit not a multiple of 10 € is refused", operator(), deposit(giulia, 1500, "2026-02-01"), domain.CodeInvalidAmount},
		{"a deposit paid in the future is refused", operator(), deposit(giulia, 1000, "2026-03-05"), domain.CodeFutureDate},
		{"a deposit paid before the Libretto is refused", operator(), deposit(giulia, 1000, "2017-01-01"), domain.CodeInvalidDate},
		{"a deposit by an unknown channel is refused", operator(), commands.RecordDeposit{UserCF: giulia, AmountCents: 1000, Channel: "CASH", PaidOn: "2026-02-01"}, domain.CodeInvalidChannel},
		{"a deposit on a codice fiscale without a booklet is refused", operator(), deposit(paolo, 1000, "2026-02-01"), domain.CodeUserNotRegistered},
		{"an operator cannot record a deposit on their own booklet", op(giulia), deposit(giulia, 1000, "2026-02-01"), domain.CodeConflictOfInterest},
		{"a refund of a claim not validated is not approved", operator(), commands.ApproveRefund{RefundID: requested}, domain.CodeClaimNotValidated},
		{"a refund already approved is not approved again", operator2(), commands.ApproveRefund{RefundID: approved}, domain.CodeInvalidState},
		{"an unknown refund is not found", operator(), commands.ApproveRefund{RefundID: uuid.NewString()}, domain.CodeNotFound},
		{"the approver cannot record the refund's payment", operator(), commands.MarkRefundPaid{RefundID: approved, PaidOn: "2026-03-01", BankReference: "B1"}, domain.CodeFourEyesRequired},
		{"a refund paid in the future is refused", operator2(), commands.MarkRefundPaid{RefundID: approved, PaidOn: "2026-03-05", BankReference: "B1"}, domain.CodeFutureDate},
		{"a refund paid without the bank reference is refused", operator2(), commands.MarkRefundPaid{RefundID: approved, PaidOn: "2026-03-01", BankReference: " "}, domain.CodeBankReferenceRequired},
		{"a refund not approved is not paid", operator2(), commands.MarkRefundPaid{RefundID: requested, PaidOn: "2026-03-01", BankReference: "B1"}, domain.CodeInvalidState},
		{"an operator who is the heir cannot reject the refund", op(heirCF), commands.RejectRefund{RefundID: approved, Reason: "x"}, domain.CodeConflictOfInterest},
		{"a refund is not rejected without a reason", operator(), commands.RejectRefund{RefundID: approved, Reason: " "}, domain.CodeReasonRequired},
		{"a revoked service is not reversed", operator(), commands.ReverseService{ServiceID: revoked, Reason: "doppione"}, domain.CodeInvalidState},
		{"an unknown service is not reversed", operator(), commands.ReverseService{ServiceID: uuid.NewString(), Reason: "doppione"}, domain.CodeNotFound},
		{"an operator who is the worker cannot reverse the service", op(paolo), commands.ReverseService{ServiceID: revoked, Reason: "doppione"}, domain.CodeConflictOfInterest},
		{"a payroll run dated in the future is refused", operator(), commands.RunPayroll{RunDate: "2026-03-05"}, domain.CodeFutureDate},
		{"an operator who is a worker it would pay cannot run the payroll", op(laura), commands.RunPayroll{RunDate: "2026-03-01"}, domain.CodeConflictOfInterest},
		{"a date of death in the future is refused", operator(), death("2026-03-05"), domain.CodeFutureDate},
		{"a date of death before the Libretto is refused", operator(), death("2017-01-01"), domain.CodeInvalidDate},
		{"the date of death already recorded is refused", operator(), death("2026-02-20"), domain.CodeInvalidState},
		{"a date of death before a prior service's end is refused", operator(), death("2026-02-14"), domain.CodeServiceAfterDeath},
		{"an operator who is an heir cannot correct the date of death", op(heirCF), death("2026-02-19"), domain.CodeConflictOfInterest},
		{"a rejected heir is not rejected again", operator(), commands.RejectHeir{ClaimID: rejected, Reason: "x"}, domain.CodeInvalidState},
		{"an heir is not rejected without a reason", operator(), commands.RejectHeir{ClaimID: annaClaim, Reason: ""}, domain.CodeReasonRequired},
		{"a refund to an invalid IBAN is refused", citizen(heirCF), commands.RequestRefund{ClaimID: claim, IBAN: "IT00"}, domain.CodeInvalidIBAN},
		{"a second refund of the booklet is refused", citizen(heirCF), commands.RequestRefund{ClaimID: claim, IBAN: ibanOK}, domain.CodeRefundAlreadyRequested},
		{"another heir's claim is not found", citizen(heir2CF), commands.RequestRefund{ClaimID: claim, IBAN: ibanOK}, domain.CodeNotFound},
		{"a prior service ending after the death is refused", citizen(heirCF), commands.InsertPriorService{ClaimID: claim, WorkerCF: laura, Activity: "lavori_domestici",
			StartDate: "2026-02-25", EndDate: "2026-02-25", Hours: 1, Vouchers: 1, NoKnownEmployment: true}, domain.CodeServiceAfterDeath},
		{"a revoked service is not revoked again", citizen(giulia), commands.RevokeService{ServiceID: revoked}, domain.CodeInvalidState},
		{"another user's service is not revoked", citizen(paolo), commands.RevokeService{ServiceID: revoked}, domain.CodeNotFound},
		{"a service beyond the balance is refused", citizen(giulia), service(paolo, 100), domain.CodeInsufficientFunds},
		{"a notice not a multiple of 10 € is refused", citizen(giulia), commands.IssueNotice{AmountCents: 1500}, domain.CodeInvalidAmount},
		{"a notice for a codice fiscale without a booklet is refused", citizen(paolo), commands.IssueNotice{AmountCents: 1000}, domain.CodeUserNotRegistered},
		{"a notice for a deceased's booklet is refused", citizen(mario), commands.IssueNotice{AmountCents: 1000}, domain.CodeBookletNotActive},
		{"a testamentary heir without a will is refused", citizen(heir3CF), commands.RegisterHeir{DeceasedCF: giulia, DateOfDeath: "2026-02-20", HeirKind: "testamentario"}, domain.CodeWillRequired},
		{"a worker registered twice is refused", citizen(paolo), commands.RegisterWorker{}, domain.CodeAlreadyExists},
		{"an ISEE of an invalid codice fiscale is refused", system(), commands.RecordISEE{FamilyCF: "RSSMRA", ValueCents: 100, Protocol: "P", DSUSubmittedOn: "2026-01-10"}, domain.CodeInvalidCF},
		{"a key used with another request is refused", withKey(citizen(giulia), "giulia-key", "hash-2"), commands.RegisterWorker{IBAN: ibanOK}, domain.CodeIdempotencyKeyReused},
	}
	for _, tc := range tests { // in order, on one store: every case is refused, so none changes it
		before := head(t, f)
		checked := f.h.Check(ctx(), tc.m, tc.c)
		if after := head(t, f); after != before {
			t.Fatalf("%s: Check appended (head %+v → %+v)", tc.name, before, after)
		}
		want := wantCode(t, checked, tc.code)
		got := run(f.h, tc.m, tc.c)
		var de *domain.Error
		if !errors.As(got, &de) || !reflect.DeepEqual(*de, *want) {
			t.Fatalf("%s: Check refused with %#v, the command with %#v", tc.name, want, got)
		}
		if after := head(t, f); after != before {
			t.Fatalf("%s: the command appended (head %+v → %+v)", tc.name, before, after)
		}
	}
}

func TestCheckAcceptsWhatTheCommandAcceptsAndStoresNothing(t *testing.T) {
	t.Parallel()
	f := newPostgresFixture(t)
	f.user(giulia, 10000)
	f.worker(paolo, ibanOK, "")
	f.user(mario, 10000)
	pdf := []byte("%PDF-1.7\n% testamento per la prova a secco\n1 0 obj << >> endobj\nstartxref\n0\n%%EOF\n")
	sum := sha256.Sum256(pdf)
	tests := []struct {
		name string
		m    commands.Meta
		c    any
	}{
		{"a deposit", operator(), commands.RecordDeposit{UserCF: giulia, AmountCents: 1000, Channel: "F24", PaidOn: "2026-02-01"}},
		{"a service", citizen(giulia), service(paolo, 1)},
		{"a notice", citizen(giulia), commands.IssueNotice{AmountCents: 5000}},
		{"a booklet", citizen(anna), commands.RegisterUser{}},
		{"a payroll run", operator(), commands.RunPayroll{RunDate: "2026-03-01"}},
		{"an ISEE", system(), commands.RecordISEE{FamilyCF: giulia, ValueCents: 1500000, Protocol: "INPS-ISEE-2026-1", DSUSubmittedOn: "2026-01-10"}},
		// Last, and left undone: Check must not have stored its will.
		{"a testamentary heir with the will", citizen(heirCF), commands.RegisterHeir{DeceasedCF: mario, DateOfDeath: "2026-02-20", HeirKind: "testamentario",
			Will: &commands.WillUpload{Filename: "testamento.pdf", Content: pdf}}},
	}
	for i, tc := range tests {
		key := "dry-" + strings.ReplaceAll(tc.name, " ", "-")
		m := withKey(tc.m, key, "hash")
		before := head(t, f)
		if err := f.h.Check(ctx(), m, tc.c); err != nil {
			t.Fatalf("%s: Check refused: %v", tc.name, err)
		}
		if after := head(t, f); after != before {
			t.Fatalf("%s: Check appended (head %+v → %+v)", tc.name, before, after)
		}
		scope := m.ActorCF
		if _, _, found, err := f.idem.Lookup(ctx(), scope, key); err != nil || found {
			t.Fatalf("%s: Check stored an idempotency record (%v)", tc.name, err)
		}
		if _, _, err := f.docs.Get(ctx(), hex.EncodeToString(sum[:])); err == nil {
			t.Fatalf("%s: Check stored the will", tc.name)
		}
		if i == len(tests)-1 {
			break // the last is left undone: nothing above may have depended on it
		}
		if err := run(f.h, m, tc.c); err != nil {
			t.Fatalf("%s: Check accepted what the command refuses: %v", tc.name, err)
		}
		// The same key again: the command would answer its first result.
		if err := f.h.Check(ctx(), m, tc.c); err != nil {
			t.Fatalf("%s: Check of a repeated request refused: %v", tc.name, err)
		}
	}
}

// Every command type has a dry run: a method of Handler named as its
// argument's type is a command, and Check must know it.
func TestEveryCommandHasADryRun(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var (
		ctxType    = reflect.TypeFor[context.Context]()
		metaType   = reflect.TypeFor[commands.Meta]()
		resultType = reflect.TypeFor[commands.Result]()
	)
	h := reflect.TypeOf(f.h)
	n := 0
	for i := range h.NumMethod() {
		m := h.Method(i).Type // receiver first
		if m.NumIn() != 4 || m.In(1) != ctxType || m.In(2) != metaType || m.NumOut() != 2 || m.Out(0) != resultType || m.In(3).Name() != h.Method(i).Name {
			continue
		}
		n++
		zero := reflect.Zero(m.In(3)).Interface()
		if err := f.h.Check(ctx(), system(), zero); err != nil && strings.Contains(err.Error(), "not a command") {
			t.Errorf("Check does not know %s: %v", h.Method(i).Name, err)
		}
	}
	if n < 20 {
		t.Fatalf("found %d commands, want every one", n)
	}
	if err := f.h.Check(ctx(), system(), "RecordDeposit"); err == nil {
		t.Fatal("Check took a string for a command")
	}
}
