package projections

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/eventstore/memory"
)

// fixture is a running runner over a memory store that a test feeds by hand.
type fixture struct {
	t     *testing.T
	store *memory.Store
	r     *Runner
	q     *PGQueries
	at    time.Time
	last  int64
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	pool := newPool(t)
	store := memory.New()
	r := NewRunner(pool, store, quietLogger())
	startRunner(t, r)
	return &fixture{t: t, store: store, r: r, q: r.PGQueries(), at: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
}

// emit appends evs atomically, one minute after the previous append.
func (f *fixture) emit(evs ...ev) {
	f.t.Helper()
	f.at = f.at.Add(time.Minute)
	stored, err := appendEvents(context.Background(), f.store, f.at, evs...)
	if err != nil {
		f.t.Fatal(err)
	}
	f.last = stored[len(stored)-1].Position
}

func (f *fixture) sync() {
	f.t.Helper()
	waitFor(f.t, f.r, f.last)
}

func paid(id, user string, heir bool, vouchers int, hours float64) domain.PaidService {
	v := int64(vouchers)
	return domain.PaidService{ServiceID: id, UserCF: user, InsertedByHeir: heir, Hours: hours, Vouchers: vouchers,
		GrossCents: v * 1000, NetCents: v * 800, IVSCents: v * 165, INAILCents: v * 25, ManagementCents: v * 10}
}

func workerPaid(run, date, iban string, services ...domain.PaidService) domain.WorkerPaid {
	p := domain.WorkerPaid{RunID: run, RunDate: date, IBAN: iban, Services: services}
	for _, s := range services {
		p.NetCents += s.NetCents
	}
	if iban == "" {
		p.FeeCents = 260
	}
	p.PaidCents = p.NetCents - p.FeeCents
	return p
}

func TestStatementFigures(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const iban = "IT60X0542811101000000123456"
	f.emit(ev{domain.WorkerStream("WITH"), domain.WorkerRegistered{WorkerCF: "WITH", IBAN: iban, Category: "altro"}})
	f.emit(ev{domain.WorkerStream("WITHOUT"), domain.WorkerRegistered{WorkerCF: "WITHOUT", Category: "altro"}})
	f.emit(ev{domain.WorkerStream("IDLE"), domain.WorkerRegistered{WorkerCF: "IDLE", Category: "altro"}})
	// Three services each, in one March run: two for U1 (3 + 2 vouchers),
	// one for U2 inserted by an heir (1 voucher).
	three := func(w string) []domain.PaidService {
		return []domain.PaidService{paid(w+"-a", "U1", false, 3, 2.5), paid(w+"-b", "U1", false, 2, 1.25), paid(w+"-c", "U2", true, 1, 1)}
	}
	f.emit(ev{domain.WorkerStream("WITH"), workerPaid("R1", "2026-03-10", iban, three("WITH")...)})
	f.emit(ev{domain.WorkerStream("WITHOUT"), workerPaid("R1", "2026-03-10", "", three("WITHOUT")...)})
	// A second run in April pays WITHOUT once more; one in 2027 belongs to
	// another statement.
	f.emit(ev{domain.WorkerStream("WITHOUT"), workerPaid("R2", "2026-04-15", "", paid("WITHOUT-d", "U2", true, 4, 4))})
	f.emit(ev{domain.WorkerStream("WITHOUT"), workerPaid("R3", "2027-01-15", "", paid("WITHOUT-e", "U1", false, 1, 1))})
	f.sync()

	march := StatementFigures{Services: 3, Hours: 4.75, Vouchers: 6, GrossCents: 6000, NetCents: 4800, IVSCents: 990, INAILCents: 150}
	withFee := func(s StatementFigures, fee int64) StatementFigures {
		s.FeesCents, s.PaidCents = fee, s.NetCents-fee
		return s
	}
	u1 := StatementFigures{Services: 2, Hours: 3.75, Vouchers: 5, GrossCents: 5000, NetCents: 4000, IVSCents: 825, INAILCents: 125}
	u2 := StatementFigures{Services: 1, Hours: 1, Vouchers: 1, GrossCents: 1000, NetCents: 800, IVSCents: 165, INAILCents: 25}
	april := StatementFigures{Services: 1, Hours: 4, Vouchers: 4, GrossCents: 4000, NetCents: 3200, IVSCents: 660, INAILCents: 100}

	tests := []struct {
		name   string
		worker string
		want   Statement
	}{
		{"a worker with an IBAN pays no fee", "WITH", Statement{WorkerCF: "WITH", Year: 2026,
			Totals:  withFee(march, 0),
			ByUser:  []StatementByUser{{"U1", false, withFee(u1, 0)}, {"U2", true, withFee(u2, 0)}},
			ByMonth: []StatementByMonth{{3, withFee(march, 0)}}}},
		{"a worker without IBAN pays the fee once per run, in the run's month, on the user with the largest net", "WITHOUT", Statement{WorkerCF: "WITHOUT", Year: 2026,
			Totals: withFee(StatementFigures{Services: 4, Hours: 8.75, Vouchers: 10, GrossCents: 10000, NetCents: 8000, IVSCents: 1650, INAILCents: 250}, 520),
			ByUser: []StatementByUser{{"U1", false, withFee(u1, 260)},
				{"U2", true, withFee(StatementFigures{Services: 2, Hours: 5, Vouchers: 5, GrossCents: 5000, NetCents: 4000, IVSCents: 825, INAILCents: 125}, 260)}},
			ByMonth: []StatementByMonth{{3, withFee(march, 260)}, {4, withFee(april, 260)}}}},
		{"a registered worker paid nothing that year has a statement of zeros", "IDLE", Statement{WorkerCF: "IDLE", Year: 2026,
			ByUser: []StatementByUser{}, ByMonth: []StatementByMonth{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.q.Statement(context.Background(), tt.worker, 2026)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
	if _, err := f.q.Statement(context.Background(), "NOBODY", 2026); !errors.Is(err, ErrNotFound) {
		t.Errorf("statement of an unknown worker: %v, want ErrNotFound", err)
	}
}

func recorded(id, user, worker, end string, vouchers int, capCents int64, claim string) domain.ServiceRecorded {
	v := int64(vouchers)
	return domain.ServiceRecorded{ServiceID: id, UserCF: user, WorkerCF: worker, Activity: "lavori_domestici",
		StartDate: end, EndDate: end, Hours: float64(vouchers), Vouchers: vouchers, GrossCents: v * 1000, NetCents: v * 800,
		UserCapCents: capCents, Year: 2026, Deadline: "2026-04-03", ClaimID: claim}
}

func TestDashboardFigures(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := domain.BookletStream("U1")
	f.emit(ev{b, domain.UserRegistered{UserCF: "U1"}})
	f.emit(ev{b, domain.DepositRecorded{DepositID: "d1", AmountCents: 50000, Channel: "F24", PaidOn: "2026-01-05"}})
	f.emit(ev{b, domain.DepositRecorded{DepositID: "d2", AmountCents: 20000, Channel: "PAGOPA", PaidOn: "2026-02-05"}})
	// W1: 5 vouchers paid (Jan) and 2 recorded (Mar); W2 (reduced category):
	// 3 recorded then revoked, 4 recorded then reversed, 1 recorded (Mar).
	f.emit(ev{b, recorded("s1", "U1", "W1", "2026-01-20", 5, 4000, "")})
	f.emit(ev{b, domain.ServicePaid{ServiceID: "s1", RunID: "R1", PaidOn: "2026-02-15"}})
	f.emit(ev{b, recorded("s2", "U1", "W1", "2026-03-02", 2, 1600, "")})
	f.emit(ev{b, recorded("s3", "U1", "W2", "2026-03-03", 3, 1800, "")})
	f.emit(ev{b, domain.ServiceRevoked{ServiceID: "s3"}})
	f.emit(ev{b, recorded("s4", "U1", "W2", "2026-03-04", 4, 2400, "")})
	f.emit(ev{b, domain.ServiceReversed{ServiceID: "s4", Reason: "errore", OperatorCF: "OP"}})
	f.emit(ev{b, recorded("s5", "U1", "W2", "2026-03-05", 1, 600, "")})
	// An heir's claim and a refund of the rest, reserved, then paid.
	f.emit(ev{b, domain.HeirClaimAttached{ClaimID: "c1", HeirCF: "H1", DateOfDeath: "2026-03-10"}})
	f.emit(ev{b, domain.HeirClaimAttached{ClaimID: "c2", HeirCF: "H2", DateOfDeath: "2026-03-10"}})
	f.emit(ev{b, domain.DateOfDeathCorrected{DateOfDeath: "2026-03-09", Previous: "2026-03-10", Reason: "certificato", OperatorCF: "OP"}})
	f.emit(ev{b, domain.HeirClaimDetached{ClaimID: "c2", Reason: "falso"}})
	f.emit(ev{b, domain.RefundReserved{RefundID: "r1", ClaimID: "c1", AmountCents: 62000}})
	f.sync()

	d, err := f.q.Dashboard(context.Background(), "U1", "2026-03-20")
	if err != nil {
		t.Fatal(err)
	}
	wantBooklet := Booklet{Status: "owner_deceased", DepositedCents: 70000, CommittedCents: 8000, ReservedCents: 62000, AvailableCents: 0, DateOfDeath: "2026-03-09",
		RefundHeld: true}
	if d.Booklet != wantBooklet {
		t.Errorf("committed is released by revoke and reverse, kept by payment: booklet = %+v, want %+v", d.Booklet, wantBooklet)
	}
	wantCaps := Caps{Year: 2026, UserNetCents: 4000 + 1600 + 600, UserCapCents: 1000000,
		PerWorker: []WorkerCap{{"W1", 5600, 250000}, {"W2", 800, 250000}}}
	if !reflect.DeepEqual(d.Caps, wantCaps) {
		t.Errorf("caps count the user's reduced net and each worker's net of live services: %+v, want %+v", d.Caps, wantCaps)
	}
	wantSpend := []MonthSpend{{1, 5000}, {3, 3000}}
	if !reflect.DeepEqual(d.Spending, wantSpend) {
		t.Errorf("spending = %+v, want %+v", d.Spending, wantSpend)
	}
	status := map[string]string{}
	for _, s := range d.Services {
		status[s.ServiceID] = s.Status
		if (s.RevocableUntil != "") != (s.Status == StatusRecorded) {
			t.Errorf("service %s (%s) revocable until %q", s.ServiceID, s.Status, s.RevocableUntil)
		}
		if s.CanRevoke != (s.Status == StatusRecorded) {
			t.Errorf("a recorded service before its deadline is revocable, no other: service %s (%s) CanRevoke %v", s.ServiceID, s.Status, s.CanRevoke)
		}
	}
	wantStatus := map[string]string{"s1": "paid", "s2": "recorded", "s3": "revoked", "s4": "reversed", "s5": "recorded"}
	if !reflect.DeepEqual(status, wantStatus) {
		t.Errorf("service statuses = %v, want %v", status, wantStatus)
	}
	other, err := f.q.Dashboard(context.Background(), "U1", "2027-01-02")
	if err != nil {
		t.Fatal(err)
	}
	if other.Caps.UserNetCents != 0 || len(other.Caps.PerWorker) != 0 {
		t.Errorf("caps of another year count this year's services: %+v", other.Caps)
	}
	if other.Booklet != wantBooklet {
		t.Errorf("committed money counts the services of every year, not only today's: booklet in 2027 = %+v, want %+v", other.Booklet, wantBooklet)
	}
	for _, s := range other.Services {
		if s.CanRevoke {
			t.Errorf("a service past its deadline is not revocable: service %s (%s) revocable in 2027", s.ServiceID, s.Status)
		}
	}

	f.emit(ev{b, domain.RefundDisbursed{RefundID: "r1", AmountCents: 62000}})
	f.sync()
	d, err = f.q.Dashboard(context.Background(), "U1", "2026-03-20")
	if err != nil {
		t.Fatal(err)
	}
	if d.Booklet.ReservedCents != 0 || d.Booklet.RefundedCents != 62000 || d.Booklet.AvailableCents != 0 {
		t.Errorf("a disbursed refund moves from reserved to refunded: %+v", d.Booklet)
	}
	if d.Booklet.Status != "closed" || d.Booklet.DateOfDeath != "2026-03-09" {
		t.Errorf("a paid refund closes the booklet, which keeps its date of death: %+v", d.Booklet)
	}
	f.emit(ev{b, domain.DepositRecorded{DepositID: "d3", AmountCents: 3000, Channel: "F24", PaidOn: "2026-03-12"}})
	f.sync()
	if d, err = f.q.Dashboard(context.Background(), "U1", "2026-03-20"); err != nil {
		t.Fatal(err)
	}
	if d.Booklet.Status != "closed" || d.Booklet.AvailableCents != 3000 {
		t.Errorf("a deposit lands on a closed booklet, which stays closed: %+v", d.Booklet)
	}
	unpaid, err := f.q.UnpaidBooklets(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(unpaid, []string{"U1"}) {
		t.Errorf("unpaid booklets = %v", unpaid)
	}
	if _, err := f.q.Dashboard(context.Background(), "NOBODY", "2026-03-20"); !errors.Is(err, ErrNotFound) {
		t.Errorf("dashboard of an unknown user: %v, want ErrNotFound", err)
	}
}

func TestDashboardPendingDepositsAreListedAndNotAvailable(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := domain.BookletStream("U2")
	f.emit(ev{b, domain.UserRegistered{UserCF: "U2"}})
	f.emit(ev{b, domain.DepositRecorded{DepositID: "d1", AmountCents: 5000, Channel: "PAGOPA", PaidOn: "2025-12-20"}})
	// An F24 paid at the end of December, seen at once, credited in January;
	// another still pending; both in the same batch as their credit or not.
	f.emit(ev{b, domain.PendingDepositRecorded{DepositID: "d2", AmountCents: 30000, Channel: "F24", PaidOn: "2025-12-30"}})
	f.emit(ev{b, domain.PendingDepositRecorded{DepositID: "d3", AmountCents: 20000, Channel: "F24", PaidOn: "2025-12-31"}},
		ev{b, domain.DepositCredited{DepositID: "d3", AmountCents: 20000, CreditedOn: "2026-01-08"}})
	f.sync()
	d, err := f.q.Dashboard(context.Background(), "U2", "2026-01-10")
	if err != nil {
		t.Fatal(err)
	}
	want := Booklet{Status: "active", DepositedCents: 25000, AvailableCents: 25000, PendingCents: 30000}
	if d.Booklet != want {
		t.Errorf("a pending deposit is neither deposited nor available: %+v, want %+v", d.Booklet, want)
	}
	wantDeposits := []DashboardDeposit{
		{DepositID: "d3", Channel: "F24", PaidOn: "2025-12-31", AmountCents: 20000, Status: DepositCredited},
		{DepositID: "d2", Channel: "F24", PaidOn: "2025-12-30", AmountCents: 30000, Status: DepositPending},
		{DepositID: "d1", Channel: "PAGOPA", PaidOn: "2025-12-20", AmountCents: 5000, Status: DepositCredited},
	}
	if !reflect.DeepEqual(d.Deposits, wantDeposits) {
		t.Errorf("deposits, latest paid first:\n got %+v\nwant %+v", d.Deposits, wantDeposits)
	}

	f.emit(ev{b, domain.DepositCredited{DepositID: "d2", AmountCents: 30000, CreditedOn: "2026-01-12"}})
	f.sync()
	if d, err = f.q.Dashboard(context.Background(), "U2", "2026-01-12"); err != nil {
		t.Fatal(err)
	}
	want = Booklet{Status: "active", DepositedCents: 55000, AvailableCents: 55000}
	if d.Booklet != want || d.Deposits[1].Status != DepositCredited {
		t.Errorf("a credit of an earlier batch moves the deposit to available: %+v %+v", d.Booklet, d.Deposits)
	}
}

func TestClaimHistoryAndWorklist(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c1, c2 := domain.ClaimStream("c1"), domain.ClaimStream("c2")
	f.emit(ev{c1, domain.HeirRegistered{ClaimID: "c1", HeirCF: "H1", DeceasedCF: "D1", DateOfDeath: "2026-02-01", HeirKind: "testamentario",
		Will: &domain.Will{Filename: "t.pdf", ContentType: "application/pdf", Size: 10, SHA256: "ff"}}})
	f.emit(ev{c2, domain.HeirRegistered{ClaimID: "c2", HeirCF: "H2", DeceasedCF: "D1", DateOfDeath: "2026-02-01", HeirKind: "legittimo"}})
	f.sync()
	w, err := f.q.Worklist(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(w.ClaimsToValidate) != 2 || w.ClaimsToValidate[0].ClaimID != "c1" || len(w.RefundsToApprove) != 0 {
		t.Errorf("worklist with two new claims = %+v", w)
	}

	f.emit(ev{c1, domain.RefundRequested{RefundID: "r1", AmountCents: 5000, IBAN: "IT60X"}})
	f.emit(ev{c1, domain.HeirValidated{Note: "ok", OperatorCF: "OP"}})
	f.emit(ev{c2, domain.HeirRejected{Reason: "falso", OperatorCF: "OP"}})
	f.emit(ev{c1, domain.ClaimDateOfDeathCorrected{DateOfDeath: "2026-01-31", Previous: "2026-02-01", Reason: "certificato", OperatorCF: "OP"}})
	f.emit(ev{c1, domain.PriorServiceInserted{ServiceID: "p1", WorkerCF: "W1", Activity: "lavori_domestici", StartDate: "2026-01-10", EndDate: "2026-01-12", Hours: 3.5, Vouchers: 4}},
		ev{domain.BookletStream("D1"), recorded("p1", "D1", "W1", "2026-01-12", 4, 3200, "c1")})
	f.emit(ev{c1, domain.PriorServiceInserted{ServiceID: "p2", WorkerCF: "W2", Activity: "lavori_domestici", StartDate: "2026-01-20", EndDate: "2026-01-20", Hours: 1, Vouchers: 1}})
	f.sync()
	w, err = f.q.Worklist(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(w.ClaimsToValidate) != 0 || len(w.RefundsToApprove) != 1 || w.RefundsToApprove[0].ClaimStatus != "validated" || len(w.RefundsToPay) != 0 {
		t.Errorf("worklist after validation = %+v", w)
	}
	f.emit(ev{c1, domain.RefundApproved{RefundID: "r1", OperatorCF: "OP"}})
	f.emit(ev{c1, domain.PriorServiceReversed{ServiceID: "p2", Reason: "doppio", OperatorCF: "OP"}})
	f.emit(ev{c1, domain.PriorServicePaid{ServiceID: "p1", RunID: "R1", PaidOn: "2026-03-15"}})
	f.sync()
	w, err = f.q.Worklist(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(w.RefundsToApprove) != 0 || len(w.RefundsToPay) != 1 || w.RefundsToPay[0].Status != "approved" {
		t.Errorf("an approved refund awaits payment: %+v", w)
	}
	f.emit(ev{c1, domain.RefundPaid{RefundID: "r1", PaidOn: "2026-03-20", BankReference: "CRO", OperatorCF: "OP"}})
	f.sync()

	c, err := f.q.Claim(context.Background(), "c1")
	if err != nil {
		t.Fatal(err)
	}
	want := Claim{ClaimID: "c1", HeirCF: "H1", DeceasedCF: "D1", DateOfDeath: "2026-01-31", HeirKind: "testamentario", Status: "validated",
		Refund: &Refund{RefundID: "r1", AmountCents: 5000, IBAN: "IT60X", Status: "paid"},
		PriorServices: []PriorService{
			{ServiceID: "p1", WorkerCF: "W1", Activity: "lavori_domestici", StartDate: "2026-01-10", EndDate: "2026-01-12", Hours: 3.5, Vouchers: 4, Status: "paid"},
			{ServiceID: "p2", WorkerCF: "W2", Activity: "lavori_domestici", StartDate: "2026-01-20", EndDate: "2026-01-20", Hours: 1, Vouchers: 1, Status: "reversed"},
		},
		Will:         &WillRef{Filename: "t.pdf", ContentType: "application/pdf", Size: 10, SHA256: "ff"},
		RegisteredAt: "2026-03-01T10:01:00Z"}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("claim = %+v\nwant  %+v", c, want)
	}
	h, err := f.q.History(context.Background(), "c1")
	if err != nil {
		t.Fatal(err)
	}
	var ops []string
	for _, e := range h.Entries {
		ops = append(ops, e.Operation)
	}
	wantOps := []string{OpHeirRegistered, OpRefundRequested, OpHeirValidated, OpDateOfDeathCorrected, OpPriorServiceInserted, OpPriorServiceInserted,
		OpRefundApproved, OpPriorServiceReversed, OpPriorServicePaid, OpRefundPaid}
	if !reflect.DeepEqual(ops, wantOps) {
		t.Errorf("history operations = %v\nwant %v", ops, wantOps)
	}
	if h.Entries[0].At != "2026-03-01T10:01:00Z" || h.Entries[7].Details["reason"] != "doppio" || h.Entries[3].Details["previous"] != "2026-02-01" {
		t.Errorf("history entries carry the instant and the outcome: %+v", h.Entries)
	}
	mine, err := f.q.ClaimsByHeir(context.Background(), "H2")
	if err != nil {
		t.Fatal(err)
	}
	if len(mine) != 1 || mine[0].Status != "rejected" || mine[0].Refund != nil || len(mine[0].PriorServices) != 0 {
		t.Errorf("claims of H2 = %+v", mine)
	}
	if _, err := f.q.History(context.Background(), "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("history of an unknown claim: %v", err)
	}
}

// queueOf names the rows of w in the order an operator works them.
func queueOf(w Worklist) []string {
	var out []string
	for _, c := range w.ClaimsToValidate {
		out = append(out, "claim "+c.ClaimID)
	}
	for _, r := range w.RefundsToApprove {
		out = append(out, "approve "+r.RefundID)
	}
	for _, r := range w.RefundsToPay {
		out = append(out, "pay "+r.RefundID)
	}
	return out
}

// TestWorklistWindowIsASliceOfTheQueue checks every window of a worklist
// against the whole worklist read as one queue (claims to validate, refunds
// to approve, refunds to pay) and cut at offset and limit.
func TestWorklistWindowIsASliceOfTheQueue(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for i := range 6 {
		id := fmt.Sprint("c", i)
		f.emit(ev{domain.ClaimStream(id), domain.HeirRegistered{ClaimID: id, HeirCF: fmt.Sprint("H", i), DeceasedCF: "D1", DateOfDeath: "2026-02-01", HeirKind: "legittimo"}})
	}
	for i := range 5 {
		f.emit(ev{domain.ClaimStream(fmt.Sprint("c", i)), domain.RefundRequested{RefundID: fmt.Sprint("r", i), AmountCents: 1000, IBAN: "IT60X"}})
	}
	for _, i := range []int{4, 3} {
		f.emit(ev{domain.ClaimStream(fmt.Sprint("c", i)), domain.RefundApproved{RefundID: fmt.Sprint("r", i), OperatorCF: "OP"}})
	}
	f.emit(ev{domain.ClaimStream("c5"), domain.RefundRequested{RefundID: "r5", AmountCents: 1000, IBAN: "IT60X"}})
	f.emit(ev{domain.ClaimStream("c5"), domain.RefundRejected{RefundID: "r5", Reason: "no", OperatorCF: "OP"}})
	f.sync()
	ctx := context.Background()
	whole, err := f.q.Worklist(ctx)
	if err != nil {
		t.Fatal(err)
	}
	queue := queueOf(whole)
	if len(queue) != 11 {
		t.Fatalf("the worklist holds %d rows, want 11: %v", len(queue), queue)
	}
	for offset := 0; offset <= len(queue)+1; offset++ {
		for limit := 1; limit <= len(queue)+1; limit++ {
			w, err := f.q.WorklistWindow(ctx, offset, limit)
			if err != nil {
				t.Fatal(err)
			}
			if w.Totals != [3]int{6, 3, 2} {
				t.Fatalf("totals %v, want [6 3 2]", w.Totals)
			}
			got := queueOf(w.Worklist)
			want := queue[min(offset, len(queue)):min(offset+limit, len(queue))]
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("window %d+%d = %v, want %v", offset, limit, got, want)
			}
		}
	}
	for _, r := range append(whole.RefundsToApprove, whole.RefundsToPay...) {
		got, err := f.q.OpenRefund(ctx, r.RefundID)
		if err != nil || got != r {
			t.Errorf("open refund %s = %+v (%v), want the worklist's row %+v", r.RefundID, got, err, r)
		}
	}
	for _, id := range []string{"r5", "nessuno"} {
		if _, err := f.q.OpenRefund(ctx, id); !errors.Is(err, ErrNotFound) {
			t.Errorf("open refund %s: %v, want ErrNotFound (a rejected refund is not to be worked)", id, err)
		}
	}
	for i, r := range whole.RefundsToPay {
		w, err := f.q.WorklistWindow(ctx, 9+i, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(w.RefundsToPay) != 1 || w.RefundsToPay[0] != r {
			t.Errorf("the window's refund to pay %d is %+v, want %+v (every field as the whole worklist has it)", i, w.RefundsToPay, r)
		}
	}
}
