package domain_test

import (
	"encoding/json"
	"reflect"
	"sort"
	"testing"

	"github.com/google/uuid"

	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/projections"
)

var pdfWill = &domain.Will{Filename: "t.pdf", ContentType: "application/pdf", Size: 10, SHA256: "ab"}

func TestRegisterHeir(t *testing.T) {
	t.Parallel()
	open := []domain.Event{opened(user), deposit(5000)}
	attached := append(append([]domain.Event{}, open...), domain.HeirClaimAttached{ClaimID: "c0", HeirCF: heir2, DateOfDeath: "2026-01-15"})
	tests := []struct {
		name    string
		booklet []domain.Event
		heir    string
		in      domain.HeirInput
		code    string
	}{
		{"a legitimate heir of a deceased user with a booklet registers", open, heir, domain.HeirInput{DateOfDeath: "2026-01-15", HeirKind: "legittimo"}, ""},
		{"a testamentary heir with a will registers", open, heir, domain.HeirInput{DateOfDeath: "2026-01-15", HeirKind: "testamentario", Will: pdfWill}, ""},
		{"a testamentary heir without a will is refused", open, heir, domain.HeirInput{DateOfDeath: "2026-01-15", HeirKind: "testamentario"}, domain.CodeWillRequired},
		{"an unknown heir kind is refused", open, heir, domain.HeirInput{DateOfDeath: "2026-01-15", HeirKind: "cugino"}, domain.CodeInvalidHeirKind},
		{"a date of death in the future is refused", open, heir, domain.HeirInput{DateOfDeath: "2026-02-11", HeirKind: "legittimo"}, domain.CodeFutureDate},
		{"a malformed date of death is refused", open, heir, domain.HeirInput{DateOfDeath: "15/01/2026", HeirKind: "legittimo"}, domain.CodeInvalidDate},
		{"the heir cannot be the deceased", open, user, domain.HeirInput{DateOfDeath: "2026-01-15", HeirKind: "legittimo"}, domain.CodeHeirIsDeceased},
		{"a deceased without a booklet cannot be claimed", nil, heir, domain.HeirInput{DateOfDeath: "2026-01-15", HeirKind: "legittimo"}, domain.CodeUserNotRegistered},
		{"a second heir with the same date of death registers", attached, heir, domain.HeirInput{DateOfDeath: "2026-01-15", HeirKind: "legittimo"}, ""},
		{"a second heir with another date of death is refused", attached, heir, domain.HeirInput{DateOfDeath: "2026-01-16", HeirKind: "legittimo"}, domain.CodeDateOfDeathMismatch},
		{"one heir cannot claim the same booklet twice", attached, heir2, domain.HeirInput{DateOfDeath: "2026-01-15", HeirKind: "legittimo"}, domain.CodeAlreadyExists},
		{"a rejected heir may claim again", append(append([]domain.Event{}, attached...), domain.HeirClaimDetached{ClaimID: "c0", Reason: "r"}), heir2, domain.HeirInput{DateOfDeath: "2026-01-15", HeirKind: "legittimo"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := bookletOf(user, tt.booklet...) // no events: never opened
			bk, cl, err := b.RegisterHeir(claimID, domain.MustCF(tt.heir), tt.in, date("2026-02-10"))
			wantCode(t, err, tt.code)
			if err != nil {
				return
			}
			wantEvents(t, bk, domain.HeirClaimAttached{ClaimID: claimID, HeirCF: tt.heir, DateOfDeath: tt.in.DateOfDeath})
			wantEvents(t, cl, domain.HeirRegistered{ClaimID: claimID, HeirCF: tt.heir, DeceasedCF: user, DateOfDeath: tt.in.DateOfDeath, HeirKind: tt.in.HeirKind, Will: tt.in.Will})
		})
	}
}

func TestDateOfDeathMismatchIsAConflict(t *testing.T) {
	t.Parallel()
	b := bookletOf(user, opened(user), domain.HeirClaimAttached{ClaimID: "c0", HeirCF: heir2, DateOfDeath: "2026-01-15"})
	_, _, err := b.RegisterHeir(claimID, domain.MustCF(heir), domain.HeirInput{DateOfDeath: "2026-01-16", HeirKind: "legittimo"}, date("2026-02-10"))
	if kindOf(err) != domain.KindConflict {
		t.Fatal("date_of_death_mismatch is 409")
	}
}

func TestFirstClaimSetsTheOwnerDeceased(t *testing.T) {
	t.Parallel()
	b := bookletOf(user, opened(user))
	if b.Status() != domain.BookletActive {
		t.Fatal("a new booklet is active")
	}
	b = bookletOf(user, opened(user), domain.HeirClaimAttached{ClaimID: "c0", HeirCF: heir, DateOfDeath: "2026-01-15"}, domain.HeirClaimAttached{ClaimID: "c1", HeirCF: heir2, DateOfDeath: "2026-01-20"})
	if b.Status() != domain.BookletOwnerDeceased || b.DateOfDeath().String() != "2026-01-15" {
		t.Fatalf("status %s date %s", b.Status(), b.DateOfDeath())
	}
}

// deceasedBooklet is user's booklet, dead on 2026-01-15 with claimID attached.
func deceasedBooklet(extra ...domain.Event) *domain.Booklet {
	evs := []domain.Event{opened(user), deposit(10000), recordedService("s1", worker, "2026-01-10", 3),
		domain.HeirClaimAttached{ClaimID: claimID, HeirCF: heir, DateOfDeath: "2026-01-15"}}
	return bookletOf(user, append(evs, extra...)...)
}

func TestRequestRefund(t *testing.T) {
	t.Parallel()
	reserved := domain.RefundReserved{RefundID: "r0", ClaimID: "c0", AmountCents: 7000}
	tests := []struct {
		name    string
		booklet *domain.Booklet
		claim   []domain.Event
		iban    string
		amount  int64
		code    string
	}{
		{"the refund is the whole available balance", deceasedBooklet(), nil, iban, 7000, ""},
		{"the available balance excludes committed, reserved and refunded funds", deceasedBooklet(domain.RefundReserved{RefundID: "r0", ClaimID: "c0", AmountCents: 2000}, domain.RefundReservationReleased{RefundID: "r0", AmountCents: 2000}, deposit(1000)), nil, iban, 8000, ""},
		{"a second refund of the booklet is refused", deceasedBooklet(reserved), nil, iban, 0, domain.CodeRefundAlreadyRequested},
		{"a refund after a paid one is refused", deceasedBooklet(reserved, domain.RefundDisbursed{RefundID: "r0", AmountCents: 7000}, deposit(1000)), nil, iban, 0, domain.CodeRefundAlreadyRequested},
		{"a rejected refund frees the slot", deceasedBooklet(reserved, domain.RefundReservationReleased{RefundID: "r0", AmountCents: 7000}), nil, iban, 7000, ""},
		{"nothing to refund at a zero balance", bookletOf(user, opened(user), domain.HeirClaimAttached{ClaimID: claimID, HeirCF: heir, DateOfDeath: "2026-01-15"}), nil, iban, 0, domain.CodeNothingToRefund},
		{"an invalid IBAN is refused", deceasedBooklet(), nil, "IT00X0542811101000000123456", 0, domain.CodeInvalidIBAN},
		{"a rejected claim cannot request a refund", deceasedBooklet(), []domain.Event{domain.HeirRejected{Reason: "r", OperatorCF: op}}, iban, 0, domain.CodeInvalidState},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := claimOf(append([]domain.Event{heirRegistered(heir, "2026-01-15", "legittimo")}, tt.claim...)...)
			cl, bk, amount, err := c.RequestRefund(tt.booklet, "r1", tt.iban)
			wantCode(t, err, tt.code)
			if err != nil {
				return
			}
			if amount != tt.amount {
				t.Fatalf("amount %d, want %d", amount, tt.amount)
			}
			wantEvents(t, cl, domain.RefundRequested{RefundID: "r1", AmountCents: tt.amount, IBAN: iban})
			wantEvents(t, bk, domain.RefundReserved{RefundID: "r1", ClaimID: claimID, AmountCents: tt.amount})
		})
	}
}

func TestRefundReservationIsHeldAtRequest(t *testing.T) {
	t.Parallel()
	b := deceasedBooklet(domain.RefundReserved{RefundID: "r1", ClaimID: claimID, AmountCents: 7000})
	if _, _, reserved, _ := b.Balance(); reserved != 7000 || b.Available() != 0 {
		t.Fatalf("reserved %d available %d", reserved, b.Available())
	}
	b.Apply(domain.Recorded{Version: 99, Data: domain.RefundReservationReleased{RefundID: "r1", AmountCents: 7000}})
	if b.Available() != 7000 {
		t.Fatalf("a released reservation returns to the booklet: available %d", b.Available())
	}
	b = deceasedBooklet(domain.RefundReserved{RefundID: "r1", ClaimID: claimID, AmountCents: 7000}, domain.RefundDisbursed{RefundID: "r1", AmountCents: 7000})
	if _, _, reserved, refunded := b.Balance(); reserved != 0 || refunded != 7000 || b.Available() != 0 {
		t.Fatalf("a disbursed refund moves from reserved to refunded: %d %d", reserved, refunded)
	}
}

func refundClaim(status ...domain.Event) *domain.Claim {
	evs := []domain.Event{heirRegistered(heir, "2026-01-15", "legittimo")}
	evs = append(evs, status...)
	return claimOf(evs...)
}

var requested = domain.RefundRequested{RefundID: "r1", AmountCents: 7000, IBAN: iban}

func TestApproveRefund(t *testing.T) {
	t.Parallel()
	validated := domain.HeirValidated{OperatorCF: op}
	tests := []struct {
		name  string
		claim *domain.Claim
		id    string
		code  string
	}{
		{"an operator approves a requested refund of a validated claim", refundClaim(validated, requested), "r1", ""},
		{"a refund of a claim not validated is refused", refundClaim(requested), "r1", domain.CodeClaimNotValidated},
		{"an approved refund cannot be approved again", refundClaim(validated, requested, domain.RefundApproved{RefundID: "r1"}), "r1", domain.CodeInvalidState},
		{"a rejected refund cannot be approved", refundClaim(validated, requested, domain.RefundRejected{RefundID: "r1"}), "r1", domain.CodeInvalidState},
		{"a refund of a rejected claim cannot be approved", refundClaim(requested, domain.HeirRejected{}, domain.RefundRejected{RefundID: "r1"}), "r1", domain.CodeInvalidState},
		{"an unknown refund is not found", refundClaim(validated, requested), "r2", domain.CodeNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.claim.ApproveRefund(tt.id, op)
			wantCode(t, err, tt.code)
			if err == nil {
				wantEvents(t, got, domain.RefundApproved{RefundID: "r1", OperatorCF: op})
			}
		})
	}
	_, err := refundClaim(requested).ApproveRefund("r1", op)
	if kindOf(err) != domain.KindRule {
		t.Fatal("claim_not_validated is 422")
	}
}

func TestRejectRefundReleasesTheReservation(t *testing.T) {
	t.Parallel()
	reservedEvent := eventID("booklet", 5)
	b := deceasedBooklet(domain.RefundReserved{RefundID: "r1", ClaimID: claimID, AmountCents: 7000})
	for _, c := range []*domain.Claim{refundClaim(requested), refundClaim(domain.HeirValidated{}, requested, domain.RefundApproved{RefundID: "r1"})} {
		cl, bk, err := c.RejectRefund(b, "r1", "wrong IBAN holder", op)
		wantCode(t, err, "")
		wantEvents(t, cl, domain.RefundRejected{RefundID: "r1", Reason: "wrong IBAN holder", OperatorCF: op})
		wantEvents(t, bk, domain.RefundReservationReleased{RefundID: "r1", AmountCents: 7000})
		if cl[0].Causation != requestedEventOf(c) {
			t.Fatalf("claim causation %v, want the RefundRequested", cl[0].Causation)
		}
		if bk[0].Causation != reservedEvent {
			t.Fatalf("booklet causation %v, want the RefundReserved %v", bk[0].Causation, reservedEvent)
		}
	}
	_, _, err := refundClaim(requested, domain.RefundRejected{RefundID: "r1"}).RejectRefund(b, "r1", "again", op)
	wantCode(t, err, domain.CodeInvalidState)
	_, _, err = refundClaim(domain.HeirValidated{}, requested, domain.RefundApproved{RefundID: "r1"}, domain.RefundPaid{RefundID: "r1"}).RejectRefund(b, "r1", "late", op)
	wantCode(t, err, domain.CodeInvalidState)
	_, _, err = refundClaim(requested).RejectRefund(b, "r1", "", op)
	wantCode(t, err, domain.CodeReasonRequired)
}

func TestMarkRefundPaid(t *testing.T) {
	t.Parallel()
	b := deceasedBooklet(domain.RefundReserved{RefundID: "r1", ClaimID: claimID, AmountCents: 7000})
	approved := refundClaim(domain.HeirValidated{}, requested, domain.RefundApproved{RefundID: "r1"})
	cl, bk, err := approved.MarkRefundPaid(b, "r1", "2026-02-09", "TRN123", op, date("2026-02-10"))
	wantCode(t, err, "")
	wantEvents(t, cl, domain.RefundPaid{RefundID: "r1", PaidOn: "2026-02-09", BankReference: "TRN123", OperatorCF: op})
	wantEvents(t, bk, domain.RefundDisbursed{RefundID: "r1", AmountCents: 7000})
	_, _, err = refundClaim(domain.HeirValidated{}, requested).MarkRefundPaid(b, "r1", "2026-02-09", "T", op, date("2026-02-10"))
	wantCode(t, err, domain.CodeInvalidState) // a refund must be approved before it is paid
	_, _, err = approved.MarkRefundPaid(b, "r1", "2026-02-11", "T", op, date("2026-02-10"))
	wantCode(t, err, domain.CodeFutureDate)
}

func TestInsertPriorService(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		claim   []domain.Event
		booklet *domain.Booklet
		in      domain.ServiceInput
		today   string
		code    string
	}{
		{"a prior service ending on the date of death is inserted", nil, deceasedBooklet(), serviceIn(worker, "2026-01-14", "2026-01-15", 2, 2), "2026-02-10", ""},
		{"no 3rd-day deadline applies to prior services", nil, deceasedBooklet(), serviceIn(worker, "2026-01-14", "2026-01-15", 2, 2), "2026-09-30", ""},
		{"a prior service ending after the date of death is refused", nil, deceasedBooklet(), serviceIn(worker, "2026-01-15", "2026-01-16", 2, 2), "2026-02-10", domain.CodeServiceAfterDeath},
		{"the heir cannot be the worker", nil, deceasedBooklet(), serviceIn(heir, "2026-01-14", "2026-01-14", 1, 1), "2026-02-10", domain.CodeHeirIsWorker},
		{"the deceased cannot be the worker of a prior service", nil, deceasedBooklet(), serviceIn(user, "2026-01-14", "2026-01-14", 1, 1), "2026-02-10", domain.CodeSelfEmployment},
		{"the heir declares no known employment", nil, deceasedBooklet(), func() domain.ServiceInput {
			s := serviceIn(worker, "2026-01-14", "2026-01-14", 1, 1)
			s.Declared = false
			return s
		}(), "2026-02-10", domain.CodeDeclarationRequired},
		{"the balance applies to prior services", nil, deceasedBooklet(), serviceIn(worker, "2026-01-14", "2026-01-14", 1, 8), "2026-02-10", domain.CodeInsufficientFunds},
		{"vouchers below hours are refused for prior services", nil, deceasedBooklet(), serviceIn(worker, "2026-01-14", "2026-01-14", 3, 2), "2026-02-10", domain.CodeVouchersBelowHours},
		{"a rejected claim cannot insert prior services", []domain.Event{domain.HeirRejected{}}, deceasedBooklet(), serviceIn(worker, "2026-01-14", "2026-01-14", 1, 1), "2026-02-10", domain.CodeInvalidState},
		{"the date of death of the booklet, as corrected, is the limit", nil, deceasedBooklet(domain.DateOfDeathCorrected{DateOfDeath: "2026-01-20", Previous: "2026-01-15"}), serviceIn(worker, "2026-01-18", "2026-01-18", 1, 1), "2026-02-10", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := claimOf(append([]domain.Event{heirRegistered(heir, "2026-01-15", "legittimo")}, tt.claim...)...)
			s, err := domain.ParseService(tt.in)
			if err == nil {
				var d domain.Decision
				w := workerOf(s.Worker.String(), registered(s.Worker.String(), "", ""))
				d, err = c.InsertPriorService(tt.booklet, w, "p1", s, date(tt.today))
				if err == nil {
					r := recordOf(d)
					if r.ClaimID != claimID || r.HeirCF != heir || r.Deadline != "" || r.UserCF != user {
						t.Fatalf("prior service recorded %+v", r)
					}
					wantEvents(t, d.Events(domain.ClaimStream(claimID)), domain.PriorServiceInserted{ServiceID: "p1", WorkerCF: worker, Activity: "assistenza_domiciliare", StartDate: tt.in.StartDate, EndDate: tt.in.EndDate, Hours: tt.in.Hours, Vouchers: tt.in.Vouchers})
				}
			}
			wantCode(t, err, tt.code)
		})
	}
}

func TestPriorServicesObeyTheCaps(t *testing.T) {
	t.Parallel()
	c := claimOf(heirRegistered(heir, "2026-01-15", "legittimo"))
	s, _ := domain.ParseService(serviceIn(worker, "2026-01-14", "2026-01-14", 1, 1))
	_, err := c.InsertPriorService(deceasedBooklet(), workerOf(worker, registered(worker, "", ""), booked(2026, 500000)), "p1", s, date("2026-02-10"))
	wantCode(t, err, domain.CodeCapExceeded)
}

func TestValidateHeir(t *testing.T) {
	t.Parallel()
	got, err := claimOf(heirRegistered(heir, "2026-01-15", "legittimo")).ValidateHeir("documents checked", op)
	wantCode(t, err, "")
	wantEvents(t, got, domain.HeirValidated{Note: "documents checked", OperatorCF: op})
	_, err = claimOf(heirRegistered(heir, "2026-01-15", "legittimo"), domain.HeirValidated{}).ValidateHeir("", op)
	wantCode(t, err, domain.CodeInvalidState)
	_, err = claimOf(heirRegistered(heir, "2026-01-15", "legittimo"), domain.HeirRejected{}).ValidateHeir("", op)
	wantCode(t, err, domain.CodeInvalidState)
}

func TestRejectHeir(t *testing.T) {
	t.Parallel()
	t.Run("a rejected heir is detached from the booklet naming the events compensated", func(t *testing.T) {
		t.Parallel()
		cl, bk, err := rejectHeir(claimOf(heirRegistered(heir, "2026-01-15", "legittimo")), deceasedBooklet(), "not an heir")
		wantCode(t, err, "")
		wantEvents(t, cl, domain.HeirRejected{Reason: "not an heir", OperatorCF: op})
		wantEvents(t, bk, domain.HeirClaimDetached{ClaimID: claimID, Reason: "not an heir"},
			domain.DateOfDeathWithdrawn{DateOfDeath: "2026-01-15", ClaimID: claimID, Reason: "not an heir", OperatorCF: op})
		if cl[0].Causation != eventID("claim", 1) || bk[0].Causation != eventID("booklet", 4) || bk[1].Causation != eventID("booklet", 4) {
			t.Fatalf("causations %v %v %v", cl[0].Causation, bk[0].Causation, bk[1].Causation)
		}
	})
	t.Run("rejecting the only heir withdraws the death and the owner records services again", func(t *testing.T) {
		t.Parallel()
		_, bk, err := rejectHeir(claimOf(heirRegistered(heir, "2026-01-15", "legittimo")), deceasedBooklet(), "the owner is alive")
		wantCode(t, err, "")
		b := deceasedBooklet(datas(bk)...)
		if got := b.Status(); got != domain.BookletActive || !b.DateOfDeath().IsZero() {
			t.Fatalf("status %v, date of death %v after the only heir was rejected, want active and none", got, b.DateOfDeath())
		}
		s, _ := domain.ParseService(serviceIn(worker, "2026-02-02", "2026-02-02", 1, 1))
		if _, err := b.RecordService(workerOf(worker, registered(worker, "", "")), "s2", s, date("2026-02-03")); err != nil {
			t.Fatalf("the owner records a service on the booklet given back: %v", err)
		}
	})
	t.Run("rejecting one of two heirs keeps the death", func(t *testing.T) {
		t.Parallel()
		b := deceasedBooklet(domain.HeirClaimAttached{ClaimID: "other-claim", HeirCF: "BNCLRA70A41H501X", DateOfDeath: "2026-01-15"})
		_, bk, err := rejectHeir(claimOf(heirRegistered(heir, "2026-01-15", "legittimo")), b, "not an heir")
		wantCode(t, err, "")
		wantEvents(t, bk, domain.HeirClaimDetached{ClaimID: claimID, Reason: "not an heir"})
	})
	t.Run("rejecting the last live heir after another was rejected withdraws the death", func(t *testing.T) {
		t.Parallel()
		b := deceasedBooklet(domain.HeirClaimAttached{ClaimID: "other-claim", HeirCF: "BNCLRA70A41H501X", DateOfDeath: "2026-01-15"},
			domain.HeirClaimDetached{ClaimID: "other-claim", Reason: "not an heir"})
		_, bk, err := rejectHeir(claimOf(heirRegistered(heir, "2026-01-15", "legittimo")), b, "not an heir either")
		wantCode(t, err, "")
		wantEvents(t, bk, domain.HeirClaimDetached{ClaimID: claimID, Reason: "not an heir either"},
			domain.DateOfDeathWithdrawn{DateOfDeath: "2026-01-15", ClaimID: claimID, Reason: "not an heir either", OperatorCF: op})
	})
	t.Run("rejecting an heir rejects their pending refund and releases it", func(t *testing.T) {
		t.Parallel()
		for _, refund := range [][]domain.Event{{requested}, {domain.HeirValidated{}, requested, domain.RefundApproved{RefundID: "r1"}}} {
			b := deceasedBooklet(domain.RefundReserved{RefundID: "r1", ClaimID: claimID, AmountCents: 7000})
			cl, bk, err := rejectHeir(refundClaim(refund...), b, "forged will")
			wantCode(t, err, "")
			wantEvents(t, cl, domain.HeirRejected{Reason: "forged will", OperatorCF: op}, domain.RefundRejected{RefundID: "r1", Reason: "forged will", OperatorCF: op})
			wantEvents(t, bk, domain.HeirClaimDetached{ClaimID: claimID, Reason: "forged will"}, domain.RefundReservationReleased{RefundID: "r1", AmountCents: 7000},
				domain.DateOfDeathWithdrawn{DateOfDeath: "2026-01-15", ClaimID: claimID, Reason: "forged will", OperatorCF: op})
		}
	})
	t.Run("a paid refund stays paid when its heir is rejected, and the closed booklet stays closed", func(t *testing.T) {
		t.Parallel()
		b := deceasedBooklet(domain.RefundReserved{RefundID: "r1", ClaimID: claimID, AmountCents: 7000}, domain.RefundDisbursed{RefundID: "r1", AmountCents: 7000})
		cl, bk, err := rejectHeir(refundClaim(domain.HeirValidated{}, requested, domain.RefundApproved{RefundID: "r1"}, domain.RefundPaid{RefundID: "r1"}), b, "late")
		wantCode(t, err, "")
		if len(cl) != 1 || len(bk) != 1 {
			t.Fatalf("events %v %v", datas(cl), datas(bk))
		}
	})
	t.Run("a rejected claim cannot be rejected again", func(t *testing.T) {
		t.Parallel()
		_, _, err := rejectHeir(claimOf(heirRegistered(heir, "2026-01-15", "legittimo"), domain.HeirRejected{}), deceasedBooklet(), "again")
		wantCode(t, err, domain.CodeInvalidState)
	})
	t.Run("a rejection needs a reason", func(t *testing.T) {
		t.Parallel()
		_, _, err := rejectHeir(claimOf(heirRegistered(heir, "2026-01-15", "legittimo")), deceasedBooklet(), "")
		wantCode(t, err, domain.CodeReasonRequired)
	})
}

// rejection is the id the tests' rejections give their HeirRejected.
var rejection = uuid.NewSHA1(uuid.NameSpaceOID, []byte("HeirRejected"))

// rejectHeir rejects c's heir on b with reason by op, as the claim's and the
// booklet's events.
func rejectHeir(c *domain.Claim, b *domain.Booklet, reason string) (claim, booklet []domain.Pending, err error) {
	d, err := c.RejectHeir(b, rejection, reason, op)
	booklet, _, claim = sides(d)
	return claim, booklet, err
}

func TestCorrectDateOfDeath(t *testing.T) {
	t.Parallel()
	c1 := claimOf(heirRegistered(heir, "2026-01-15", "legittimo"))
	t.Run("the booklet and each claim get the corrected date", func(t *testing.T) {
		t.Parallel()
		d, err := deceasedBooklet().CorrectDateOfDeath([]*domain.Claim{c1}, "2026-01-12", "registry says so", op, date("2026-02-10"))
		wantCode(t, err, "")
		bk, _, cl := sides(d)
		wantEvents(t, bk, domain.DateOfDeathCorrected{DateOfDeath: "2026-01-12", Previous: "2026-01-15", Reason: "registry says so", OperatorCF: op})
		wantEvents(t, cl, domain.ClaimDateOfDeathCorrected{DateOfDeath: "2026-01-12", Previous: "2026-01-15", Reason: "registry says so", OperatorCF: op})
		if bk[0].Causation != eventID("booklet", 4) || cl[0].Causation != eventID("claim", 1) {
			t.Fatal("a correction names the event that set the date")
		}
	})
	t.Run("after a correction a new heir must give the corrected date", func(t *testing.T) {
		t.Parallel()
		b := deceasedBooklet(domain.DateOfDeathCorrected{DateOfDeath: "2026-01-12", Previous: "2026-01-15"})
		_, _, err := b.RegisterHeir("c2", domain.MustCF(heir2), domain.HeirInput{DateOfDeath: "2026-01-12", HeirKind: "legittimo"}, date("2026-02-10"))
		wantCode(t, err, "")
		_, _, err = b.RegisterHeir("c2", domain.MustCF(heir2), domain.HeirInput{DateOfDeath: "2026-01-15", HeirKind: "legittimo"}, date("2026-02-10"))
		wantCode(t, err, domain.CodeDateOfDeathMismatch)
	})
	t.Run("a living owner's date of death cannot be corrected", func(t *testing.T) {
		t.Parallel()
		_, err := bookletOf(user, opened(user)).CorrectDateOfDeath(nil, "2026-01-12", "x", op, date("2026-02-10"))
		wantCode(t, err, domain.CodeOwnerNotDeceased)
	})
	t.Run("a corrected date in the future is refused", func(t *testing.T) {
		t.Parallel()
		_, err := deceasedBooklet().CorrectDateOfDeath(nil, "2026-03-01", "x", op, date("2026-02-10"))
		wantCode(t, err, domain.CodeFutureDate)
	})
	t.Run("a correction before a prior service's end is refused", func(t *testing.T) {
		t.Parallel()
		s := recordedService("p1", worker, "2026-01-14", 1)
		s.ClaimID, s.HeirCF, s.Deadline = claimID, heir, ""
		_, err := deceasedBooklet(s).CorrectDateOfDeath(nil, "2026-01-13", "x", op, date("2026-02-10"))
		wantCode(t, err, domain.CodeServiceAfterDeath)
	})
	t.Run("a correction needs a reason", func(t *testing.T) {
		t.Parallel()
		_, err := deceasedBooklet().CorrectDateOfDeath(nil, "2026-01-12", "", op, date("2026-02-10"))
		wantCode(t, err, domain.CodeReasonRequired)
	})
	t.Run("the same date is no correction", func(t *testing.T) {
		t.Parallel()
		_, err := deceasedBooklet().CorrectDateOfDeath(nil, "2026-01-15", "x", op, date("2026-02-10"))
		wantCode(t, err, domain.CodeInvalidState)
	})
}

func TestClaimSnapshotHasTheShapeOfTheReadModel(t *testing.T) {
	t.Parallel()
	withWill := heirRegistered(heir, "2026-01-15", "testamentario").(domain.HeirRegistered)
	withWill.Will = pdfWill
	c := claimOf(withWill, domain.HeirValidated{}, requested, domain.RefundApproved{RefundID: "r1"},
		domain.PriorServiceInserted{ServiceID: "p1", WorkerCF: worker, Activity: "lavori_domestici", StartDate: "2026-01-10", EndDate: "2026-01-10", Hours: 1, Vouchers: 1},
		domain.PriorServicePaid{ServiceID: "p1", RunID: "run"},
		domain.ClaimDateOfDeathCorrected{DateOfDeath: "2026-01-14"})
	s := c.Snapshot()
	if s.Status != "validated" || s.DateOfDeath != "2026-01-14" || s.Refund == nil || s.Refund.Status != "approved" || s.Refund.AmountCents != 7000 ||
		len(s.PriorServices) != 1 || s.PriorServices[0].Status != "paid" {
		t.Fatalf("snapshot %+v", s)
	}
	if got, want := jsonKeys(t, s), jsonKeys(t, projections.Claim{Will: &projections.WillRef{}}); !reflect.DeepEqual(got, want) {
		t.Fatalf("snapshot keys %v, read model keys %v", got, want)
	}
	if got, want := jsonKeys(t, *s.Refund), jsonKeys(t, projections.Refund{}); !reflect.DeepEqual(got, want) {
		t.Fatalf("refund keys %v, want %v", got, want)
	}
	if got, want := jsonKeys(t, s.PriorServices[0]), jsonKeys(t, projections.PriorService{}); !reflect.DeepEqual(got, want) {
		t.Fatalf("prior service keys %v, want %v", got, want)
	}
	empty := claimOf(heirRegistered(heir, "2026-01-15", "legittimo")).Snapshot()
	raw, _ := json.Marshal(empty)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	if m["refund"] != nil || m["prior_services"] == nil {
		t.Fatalf("an empty claim has refund null and prior_services []: %s", raw)
	}
}

func jsonKeys(t *testing.T, v any) []string {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// requestedEventOf is the id of the RefundRequested among a refundClaim's given events.
func requestedEventOf(c *domain.Claim) uuid.UUID {
	if c.Version() == 2 {
		return eventID("claim", 2)
	}
	return eventID("claim", 3)
}

// closedBooklet is deceasedBooklet after its refund r1 of the whole 7000
// available was paid, then extra.
func closedBooklet(extra ...domain.Event) *domain.Booklet {
	evs := []domain.Event{domain.RefundReserved{RefundID: "r1", ClaimID: claimID, AmountCents: 7000}, domain.RefundDisbursed{RefundID: "r1", AmountCents: 7000}}
	return deceasedBooklet(append(evs, extra...)...)
}

func TestAPaidRefundClosesTheBooklet(t *testing.T) {
	t.Parallel()
	prior, _ := domain.ParseService(serviceIn(worker, "2026-01-14", "2026-01-14", 1, 1))
	ordinary, _ := domain.ParseService(serviceIn(worker, "2026-02-02", "2026-02-02", 1, 1))
	w := workerOf(worker, registered(worker, "", ""))
	validated := claimOf(heirRegistered(heir, "2026-01-15", "legittimo"), domain.HeirValidated{})
	tests := []struct {
		name   string
		given  *domain.Booklet
		when   func(b *domain.Booklet) ([]domain.Pending, error) // nil: no command
		code   string
		then   []domain.Event // the events decided, when code is ""
		status domain.BookletStatus
	}{
		{name: "a paid refund closes the booklet", given: closedBooklet(), status: domain.BookletClosed},
		{name: "a requested refund leaves the owner deceased", given: deceasedBooklet(domain.RefundReserved{RefundID: "r1", ClaimID: claimID, AmountCents: 7000}), status: domain.BookletOwnerDeceased},
		{name: "a rejected refund leaves the owner deceased", given: deceasedBooklet(domain.RefundReserved{RefundID: "r1", ClaimID: claimID, AmountCents: 7000}, domain.RefundReservationReleased{RefundID: "r1", AmountCents: 7000}), status: domain.BookletOwnerDeceased},
		{
			name: "a closed booklet refuses a prior service", given: closedBooklet(deposit(1000)), status: domain.BookletClosed,
			when: func(b *domain.Booklet) ([]domain.Pending, error) {
				d, err := validated.InsertPriorService(b, w, "p1", prior, date("2026-02-10"))
				return d.Events(domain.BookletStream(user)), err
			},
			code: domain.CodeBookletNotActive,
		},
		{
			name: "a closed booklet refuses an ordinary service", given: closedBooklet(deposit(1000)), status: domain.BookletClosed,
			when: func(b *domain.Booklet) ([]domain.Pending, error) {
				d, err := b.RecordService(w, "s2", ordinary, date("2026-02-10"))
				return d.Events(domain.BookletStream(user)), err
			},
			code: domain.CodeBookletNotActive,
		},
		{
			name: "a deposit still lands on a closed booklet", given: closedBooklet(), status: domain.BookletClosed,
			when: func(b *domain.Booklet) ([]domain.Pending, error) {
				return b.RecordDeposit(domain.DepositInput{DepositID: "d", AmountCents: 1000, Channel: "PAGOPA", PaidOn: "2026-02-09"}, date("2026-02-10"))
			},
			then: []domain.Event{domain.DepositRecorded{DepositID: "d", AmountCents: 1000, Channel: "PAGOPA", PaidOn: "2026-02-09"}},
		},
		{
			name: "a second refund of a closed booklet is still refund_already_requested", given: closedBooklet(deposit(1000)), status: domain.BookletClosed,
			when: func(b *domain.Booklet) ([]domain.Pending, error) {
				_, bk, _, err := validated.RequestRefund(b, "r2", iban)
				return bk, err
			},
			code: domain.CodeRefundAlreadyRequested,
		},
		{
			name: "an operator still reverses a service on a closed booklet", given: closedBooklet(), status: domain.BookletClosed,
			when: func(b *domain.Booklet) ([]domain.Pending, error) {
				d, err := b.ReverseService("s1", "never rendered", op)
				bk, _, _ := sides(d)
				return bk, err
			},
			then: []domain.Event{domain.ServiceReversed{ServiceID: "s1", Reason: "never rendered", OperatorCF: op}},
		},
		{
			name: "an operator still corrects the date of death of a closed booklet", given: closedBooklet(), status: domain.BookletClosed,
			when: func(b *domain.Booklet) ([]domain.Pending, error) {
				d, err := b.CorrectDateOfDeath([]*domain.Claim{validated}, "2026-01-12", "registry says so", op, date("2026-02-10"))
				return d.Events(domain.BookletStream(user)), err
			},
			then: []domain.Event{domain.DateOfDeathCorrected{DateOfDeath: "2026-01-12", Previous: "2026-01-15", Reason: "registry says so", OperatorCF: op}},
		},
		{
			name: "a new heir's claim leaves a closed booklet closed", given: closedBooklet(), status: domain.BookletClosed,
			when: func(b *domain.Booklet) ([]domain.Pending, error) {
				bk, _, err := b.RegisterHeir("c2", domain.MustCF(heir2), domain.HeirInput{DateOfDeath: "2026-01-15", HeirKind: "legittimo"}, date("2026-02-10"))
				return bk, err
			},
			then: []domain.Event{domain.HeirClaimAttached{ClaimID: "c2", HeirCF: heir2, DateOfDeath: "2026-01-15"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := tt.given
			if tt.when != nil {
				got, err := tt.when(b)
				wantCode(t, err, tt.code)
				if err != nil && kindOf(err) != domain.KindConflict {
					t.Fatalf("%s is a conflict (409)", tt.code)
				}
				if err == nil {
					wantEvents(t, got, tt.then...)
					for i, p := range got {
						b.Apply(domain.Recorded{Version: b.Version() + int64(i) + 1, Data: p.Data})
					}
				}
			}
			if b.Status() != tt.status {
				t.Fatalf("status %s, want %s", b.Status(), tt.status)
			}
		})
	}
}

func TestAClosedBookletStillPaysTheServicesRecordedBeforeIt(t *testing.T) {
	t.Parallel()
	b := closedBooklet()
	if unpaid := b.UnpaidUntil(date("2026-02-10")); len(unpaid) != 1 || unpaid[0].ServiceID != "s1" {
		t.Fatalf("unpaid %+v, want s1", unpaid)
	}
	if b.Available() != 0 {
		t.Fatalf("available %d after the refund of the whole balance", b.Available())
	}
}
