package domain_test

import (
	"strings"
	"testing"

	"github.com/inps/libretto/domain"
)

// Separation of duties (SPEC §8): who the parties of each aggregate are,
// the conflict of interest, and four eyes on a refund's payment.

func TestAnOperatorWhoIsAPartyMayNotAct(t *testing.T) {
	t.Parallel()
	other := withCheck("FRRLCU78T12L219") // an operator with no part in any of it
	claim := claimOf(heirRegistered(heir, "2026-01-15", "legittimo"),
		domain.PriorServiceInserted{ServiceID: "p1", WorkerCF: worker2, Activity: "lavori_domestici", StartDate: "2026-01-10", EndDate: "2026-01-10", Hours: 1, Vouchers: 1})
	booklet := deceasedBooklet(domain.HeirClaimAttached{ClaimID: "c2", HeirCF: heir2, DateOfDeath: "2026-01-15"})
	tests := []struct {
		name     string
		operator string
		parties  []string
		code     string
	}{
		{"an operator who is the heir cannot validate the claim", heir, claim.Parties(), domain.CodeConflictOfInterest},
		{"an operator who is the deceased cannot act on the claim", user, claim.Parties(), domain.CodeConflictOfInterest},
		{"an operator who is the worker of a prior service cannot act on its claim", worker2, claim.Parties(), domain.CodeConflictOfInterest},
		{"an operator with no part in the claim acts on it", other, claim.Parties(), ""},
		{"an operator who is the user cannot act on the booklet", user, booklet.Parties(), domain.CodeConflictOfInterest},
		{"an operator who is an heir of the booklet cannot act on it", heir, booklet.Parties(), domain.CodeConflictOfInterest},
		{"an operator who is another heir of the booklet cannot act on it either", heir2, booklet.Parties(), domain.CodeConflictOfInterest},
		{"an operator with no part in the booklet acts on it", other, booklet.Parties(), ""},
		{"an operator who is the worker cannot act on the worker", worker, workerOf(worker, registered(worker, iban, "altro")).Parties(), domain.CodeConflictOfInterest},
		{"a codice fiscale in lower case is the same person", strings.ToLower(heir), claim.Parties(), domain.CodeConflictOfInterest},
		{"no person (a system feed) is no party", "", booklet.Parties(), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := domain.CheckNoConflict(tt.operator, tt.parties...)
			wantCode(t, err, tt.code)
			if err == nil {
				return
			}
			if kindOf(err) != domain.KindForbidden {
				t.Fatal("conflict_of_interest is 403")
			}
			if de := err.(*domain.Error); de.Field != "" || len(de.Facts) != 0 || strings.Contains(de.Detail, heir) || strings.Contains(de.Detail, user) {
				t.Fatalf("the refusal names the parties: %+v", de)
			}
		})
	}
	if got := claimOf().Parties(); len(got) != 0 {
		t.Fatalf("a claim that does not exist has parties %v", got)
	}
}

func TestFourEyesOnARefundsPayment(t *testing.T) {
	t.Parallel()
	approver, other := withCheck("MNTLSE75P50H501"), withCheck("CNTDVD80A01H501")
	b := deceasedBooklet(domain.RefundReserved{RefundID: "r1", ClaimID: claimID, AmountCents: 7000})
	approved := refundClaim(domain.HeirValidated{OperatorCF: other}, requested, domain.RefundApproved{RefundID: "r1", OperatorCF: approver})
	tests := []struct {
		name     string
		claim    *domain.Claim
		operator string
		code     string
	}{
		{"the approver cannot mark the refund paid", approved, approver, domain.CodeFourEyesRequired},
		{"the approver spelled in lower case is still the approver", approved, strings.ToLower(approver), domain.CodeFourEyesRequired},
		{"another operator marks the refund paid", approved, other, ""},
		{"a refund already paid is invalid_state, not four eyes", refundClaim(domain.HeirValidated{}, requested, domain.RefundApproved{RefundID: "r1", OperatorCF: approver}, domain.RefundPaid{RefundID: "r1"}), approver, domain.CodeInvalidState},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := tt.claim.MarkRefundPaid(b, "r1", "2026-02-09", "TRN123", tt.operator, date("2026-02-10"))
			wantCode(t, err, tt.code)
			if tt.code == domain.CodeFourEyesRequired && kindOf(err) != domain.KindConflict {
				t.Fatal("four_eyes_required is 409")
			}
		})
	}
	if err := domain.CheckFourEyes("", approver); err != nil {
		t.Fatalf("a refund approved before approvers were recorded: %v", err)
	}
}
