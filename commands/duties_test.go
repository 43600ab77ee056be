package commands_test

import (
	"testing"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/domain"
)

// Separation of duties (SPEC §8) on the real store: an operator's command on
// something they are a party to is refused with conflict_of_interest and
// appends nothing, whichever command it is; the approver of a refund cannot
// record its payment.

func TestAnOperatorCannotActWhereTheyAreAParty(t *testing.T) {
	t.Parallel()
	f := newPostgresFixture(t)
	as := func(cf string) commands.Meta { return meta(cf, commands.RoleOperator) }
	claim := f.deceased() // mario, dead, with heirCF's claim; laura worked for him
	f.must(f.h.RegisterHeir(ctx(), citizen(heir2CF), heirOfMario()))
	f.user(giulia, 10000)
	f.worker(paolo, ibanOK, "")
	giuliaService := f.must(f.h.RecordService(ctx(), citizen(giulia), service(paolo, 1))).ID
	ref := f.must(f.h.RequestRefund(ctx(), citizen(heirCF), commands.RequestRefund{ClaimID: claim, IBAN: ibanOK})).ID

	steps := []struct {
		name string
		run  func() error
		code string // "" when it must succeed
	}{
		{"an operator who is the heir cannot validate the claim", func() error {
			_, err := f.h.ValidateHeir(ctx(), as(heirCF), commands.ValidateHeir{ClaimID: claim})
			return err
		}, domain.CodeConflictOfInterest},
		{"an operator who is another heir of the same booklet cannot validate the claim", func() error {
			_, err := f.h.ValidateHeir(ctx(), as(heir2CF), commands.ValidateHeir{ClaimID: claim})
			return err
		}, domain.CodeConflictOfInterest},
		{"an operator who is the heir cannot reject the claim", func() error {
			_, err := f.h.RejectHeir(ctx(), as(heirCF), commands.RejectHeir{ClaimID: claim, Reason: "x"})
			return err
		}, domain.CodeConflictOfInterest},
		{"an operator who is an heir cannot correct the date of death", func() error {
			_, err := f.h.CorrectDateOfDeath(ctx(), as(heirCF), commands.CorrectDateOfDeath{DeceasedCF: mario, DateOfDeath: "2026-02-21", Reason: "x"})
			return err
		}, domain.CodeConflictOfInterest},
		{"another operator validates the claim", func() error {
			_, err := f.h.ValidateHeir(ctx(), operator(), commands.ValidateHeir{ClaimID: claim})
			return err
		}, ""},
		{"an operator who is the heir cannot approve their refund", func() error {
			_, err := f.h.ApproveRefund(ctx(), as(heirCF), commands.ApproveRefund{RefundID: ref})
			return err
		}, domain.CodeConflictOfInterest},
		{"an operator who is the heir cannot reject their refund", func() error {
			_, err := f.h.RejectRefund(ctx(), as(heirCF), commands.RejectRefund{RefundID: ref, Reason: "x"})
			return err
		}, domain.CodeConflictOfInterest},
		{"another operator approves the refund", func() error {
			_, err := f.h.ApproveRefund(ctx(), operator(), commands.ApproveRefund{RefundID: ref})
			return err
		}, ""},
		{"an operator who is the heir cannot mark their refund paid", func() error {
			_, err := f.h.MarkRefundPaid(ctx(), as(heirCF), commands.MarkRefundPaid{RefundID: ref, PaidOn: "2026-03-01", BankReference: "B1"})
			return err
		}, domain.CodeConflictOfInterest},
		{"the approver cannot mark the refund paid", func() error {
			_, err := f.h.MarkRefundPaid(ctx(), operator(), commands.MarkRefundPaid{RefundID: ref, PaidOn: "2026-03-01", BankReference: "B1"})
			return err
		}, domain.CodeFourEyesRequired},
		{"an operator who is the worker cannot reverse the service", func() error {
			_, err := f.h.ReverseService(ctx(), as(paolo), commands.ReverseService{ServiceID: giuliaService, Reason: "x"})
			return err
		}, domain.CodeConflictOfInterest},
		{"an operator who is the user cannot reverse the service", func() error {
			_, err := f.h.ReverseService(ctx(), as(giulia), commands.ReverseService{ServiceID: giuliaService, Reason: "x"})
			return err
		}, domain.CodeConflictOfInterest},
		{"an operator who is the user cannot record a deposit on their booklet", func() error {
			_, err := f.h.RecordDeposit(ctx(), as(giulia), commands.RecordDeposit{UserCF: giulia, AmountCents: 1000, Channel: "PAGOPA", PaidOn: "2026-02-01"})
			return err
		}, domain.CodeConflictOfInterest},
		{"an operator who is a worker it would pay cannot run the payroll", func() error {
			_, err := f.h.RunPayroll(ctx(), as(laura), commands.RunPayroll{RunDate: "2026-03-01"})
			return err
		}, domain.CodeConflictOfInterest},
		{"an operator who is a user it would pay from cannot run the payroll", func() error {
			_, err := f.h.RunPayroll(ctx(), as(giulia), commands.RunPayroll{RunDate: "2026-03-01"})
			return err
		}, domain.CodeConflictOfInterest},
		{"the system records a deposit on anyone's booklet", func() error {
			_, err := f.h.RecordDeposit(ctx(), meta(giulia, commands.RoleSystem), commands.RecordDeposit{UserCF: giulia, AmountCents: 1000, Channel: "PAGOPA", PaidOn: "2026-02-01"})
			return err
		}, ""},
		{"a second operator marks the refund paid", func() error {
			_, err := f.h.MarkRefundPaid(ctx(), operator2(), commands.MarkRefundPaid{RefundID: ref, PaidOn: "2026-03-01", BankReference: "B1"})
			return err
		}, ""},
		{"an operator who is a party to nothing runs the payroll", func() error {
			_, err := f.h.RunPayroll(ctx(), operator(), commands.RunPayroll{RunDate: "2026-03-01"})
			return err
		}, ""},
	}
	for _, s := range steps { // in order: each step starts where the last left
		before, err := f.store.Head(ctx())
		if err != nil {
			t.Fatal(err)
		}
		err = s.run()
		if s.code == "" {
			if err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
			continue
		}
		if err == nil {
			t.Fatalf("%s: accepted", s.name)
		}
		de := wantCode(t, err, s.code)
		if s.code == domain.CodeConflictOfInterest && (de.Kind != domain.KindForbidden || len(de.Facts) != 0) {
			t.Fatalf("%s: %+v, want a 403 naming nobody", s.name, de)
		}
		after, err := f.store.Head(ctx())
		if err != nil {
			t.Fatal(err)
		}
		if after != before {
			t.Fatalf("%s: the refusal appended (head %+v → %+v)", s.name, before, after)
		}
	}
}
