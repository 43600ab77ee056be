package projections

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/eventstore"
)

// history writes a consistent, randomised history of domain events straight
// into a store, as the commands would: every multi-stream change is one
// atomic append. It keeps just enough state to stay valid (balances,
// statuses); it does not enforce caps or deadlines, which the projections do
// not check.
type history struct {
	tb     testing.TB
	store  eventstore.Store
	prefix string // keeps concurrent histories' people apart
	rnd    *rand.Rand
	now    time.Time
	last   int64 // position of the last event written
	events int64
	// bulk, when above zero, buffers events and appends them bulk at a time
	// (per stream order is kept, which is all the projectors rely on).
	bulk    int
	pending []ev
	// realistic, when set, makes heirs rare, as they are.
	realistic bool

	users           []string
	balance         map[string]int64 // user → available
	workers         []string
	iban            map[string]string
	services        map[string]*genService // recorded, unpaid
	order           []string               // service ids in recording order
	claims          map[string]*genClaim
	claimIDs        []string
	deceased        map[string]string // user → date of death
	closed          map[string]bool   // user → the booklet's refund was paid
	withdrawn       int               // deaths withdrawn by rejecting the last live heir
	heldAtRun       int               // prior services a payroll held (claim not validated)
	reversed        int               // prior services reversed by rejecting their heir
	pendingDeposits []genDeposit      // pending deposits not yet credited
	credits         int               // pending deposits credited
	openNotices     []domain.PaymentNoticeIssued
	noticesPaid     int
}

type genDeposit struct {
	id, user string
	amount   int64
}

type genService struct {
	id, user, worker, claim, heir string
	hours                         float64
	vouchers                      int
}

type genClaim struct {
	id, heir, deceased, status string
	refund, refundStatus       string
	amount                     int64
}

func newHistory(tb testing.TB, store eventstore.Store, seed uint64) *history {
	return &history{
		tb: tb, store: store, rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		now:     time.Date(2025, 1, 2, 9, 0, 0, 0, time.UTC),
		balance: map[string]int64{}, iban: map[string]string{},
		services: map[string]*genService{}, claims: map[string]*genClaim{}, deceased: map[string]string{}, closed: map[string]bool{},
	}
}

type ev struct {
	stream string
	data   any
}

// typed returns the stable type name of a payload.
func typed(v any) string {
	switch v.(type) {
	case domain.UserRegistered:
		return domain.TypeUserRegistered
	case domain.DepositRecorded:
		return domain.TypeDepositRecorded
	case domain.PendingDepositRecorded:
		return domain.TypePendingDepositRecorded
	case domain.DepositCredited:
		return domain.TypeDepositCredited
	case domain.DepositLocated:
		return domain.TypeDepositLocated
	case domain.PaymentNoticeIssued:
		return domain.TypePaymentNoticeIssued
	case domain.PaymentNoticePaid:
		return domain.TypePaymentNoticePaid
	case domain.ServiceRecorded:
		return domain.TypeServiceRecorded
	case domain.ServiceRevoked:
		return domain.TypeServiceRevoked
	case domain.ServiceReversed:
		return domain.TypeServiceReversed
	case domain.ServicePaid:
		return domain.TypeServicePaid
	case domain.HeirClaimAttached:
		return domain.TypeHeirClaimAttached
	case domain.HeirClaimDetached:
		return domain.TypeHeirClaimDetached
	case domain.DateOfDeathCorrected:
		return domain.TypeDateOfDeathCorrected
	case domain.DateOfDeathWithdrawn:
		return domain.TypeDateOfDeathWithdrawn
	case domain.RefundReserved:
		return domain.TypeRefundReserved
	case domain.RefundReservationReleased:
		return domain.TypeRefundReservationFreed
	case domain.RefundDisbursed:
		return domain.TypeRefundDisbursed
	case domain.HeirRegistered:
		return domain.TypeHeirRegistered
	case domain.HeirValidated:
		return domain.TypeHeirValidated
	case domain.HeirRejected:
		return domain.TypeHeirRejected
	case domain.ClaimDateOfDeathCorrected:
		return domain.TypeClaimDateOfDeathCorrected
	case domain.RefundRequested:
		return domain.TypeRefundRequested
	case domain.RefundApproved:
		return domain.TypeRefundApproved
	case domain.RefundRejected:
		return domain.TypeRefundRejected
	case domain.RefundPaid:
		return domain.TypeRefundPaid
	case domain.PriorServiceInserted:
		return domain.TypePriorServiceInserted
	case domain.PriorServiceReversed:
		return domain.TypePriorServiceReversed
	case domain.PriorServicePaid:
		return domain.TypePriorServicePaid
	case domain.WorkerRegistered:
		return domain.TypeWorkerRegistered
	case domain.WorkerServiceBooked:
		return domain.TypeWorkerServiceBooked
	case domain.WorkerServiceReleased:
		return domain.TypeWorkerServiceFreed
	case domain.WorkerPaid:
		return domain.TypeWorkerPaid
	case domain.PayrollRunCompleted:
		return domain.TypePayrollRunCompleted
	case domain.ServiceLocated:
		return domain.TypeServiceLocated
	case domain.RefundLocated:
		return domain.TypeRefundLocated
	}
	panic(fmt.Sprintf("no type for %T", v))
}

// appendEvents writes events atomically, grouped by stream in order.
func appendEvents(ctx context.Context, store eventstore.Store, at time.Time, evs ...ev) ([]eventstore.Event, error) {
	var appends []eventstore.StreamAppend
	index := map[string]int{}
	corr := uuid.New()
	for _, e := range evs {
		data, err := json.Marshal(e.data)
		if err != nil {
			return nil, err
		}
		d := eventstore.EventData{ID: uuid.New(), Type: typed(e.data), SchemaVersion: 1, Data: data, OccurredAt: at,
			Actor: eventstore.Actor{ID: "TEST", Role: "system"}, CorrelationID: corr}
		i, ok := index[e.stream]
		if !ok {
			i = len(appends)
			index[e.stream] = i
			appends = append(appends, eventstore.StreamAppend{Stream: e.stream, Expected: eventstore.Any})
		}
		appends[i].Events = append(appends[i].Events, d)
	}
	return store.Append(ctx, appends...)
}

func (h *history) emit(evs ...ev) {
	h.tb.Helper()
	h.now = h.now.Add(time.Duration(1+h.rnd.IntN(3600)) * time.Second)
	if h.bulk > 0 {
		h.pending = append(h.pending, evs...)
		if len(h.pending) >= h.bulk {
			h.flush()
		}
		return
	}
	stored, err := appendEvents(context.Background(), h.store, h.now, evs...)
	if err != nil {
		h.tb.Fatalf("append: %v", err)
	}
	h.last = stored[len(stored)-1].Position
	h.events += int64(len(stored))
}

// flush appends the buffered events.
func (h *history) flush() {
	h.tb.Helper()
	if len(h.pending) == 0 {
		return
	}
	stored, err := appendEvents(context.Background(), h.store, h.now, h.pending...)
	if err != nil {
		h.tb.Fatalf("append: %v", err)
	}
	h.pending = h.pending[:0]
	h.last = stored[len(stored)-1].Position
	h.events += int64(len(stored))
}

func (h *history) cf(kind string, n int) string { return fmt.Sprintf("%s%s%09d", kind, h.prefix, n) }

func (h *history) pick(s []string) string { return s[h.rnd.IntN(len(s))] }

func (h *history) date() string { return h.now.Format("2006-01-02") }

// steps writes n random commands' events.
func (h *history) steps(n int) {
	for range n {
		h.step()
	}
}

// step writes one random command's events.
func (h *history) step() {
	r := h.rnd.IntN(100)
	if h.realistic {
		// Heirs are rare; services and their payment make most of the log.
		// Each pair is (weight in %, a value of r that picks the command).
		for _, w := range [][2]int{{3, 0}, {2, 7}, {15, 15}, {55, 30}, {5, 56}, {2, 61}, {12, 65}, {1, 75}, {5, 90}} {
			if r < w[0] {
				r = w[1]
				break
			}
			r -= w[0]
		}
	}
	switch {
	case r < 6 || len(h.users) < 3:
		u := h.cf("USR", len(h.users))
		h.users = append(h.users, u)
		h.emit(ev{domain.BookletStream(u), domain.UserRegistered{UserCF: u}})
	case r < 10 || len(h.workers) < 3:
		w := h.cf("WRK", len(h.workers))
		h.workers = append(h.workers, w)
		iban := ""
		if h.rnd.IntN(3) > 0 {
			iban = "IT60X0542811101000000123456"
		}
		h.iban[w] = iban
		h.emit(ev{domain.WorkerStream(w), domain.WorkerRegistered{WorkerCF: w, IBAN: iban, Category: "altro"}})
	case r < 25:
		h.deposit()
	case r < 55:
		u := h.pick(h.users)
		if _, dead := h.deceased[u]; dead {
			return
		}
		h.record(u, "", "")
	case r < 60:
		h.release(false)
	case r < 63:
		h.release(true)
	case r < 72:
		h.payroll()
	case r < 77:
		u := h.pick(h.users)
		heir := h.cf("HEI", h.rnd.IntN(1000))
		dod, dead := h.deceased[u]
		if !dead {
			dod = h.now.AddDate(0, 0, -h.rnd.IntN(30)).Format("2006-01-02")
			h.deceased[u] = dod
		}
		id := uuid.NewString()
		c := &genClaim{id: id, heir: heir, deceased: u, status: "registered"}
		h.claims[id] = c
		h.claimIDs = append(h.claimIDs, id)
		var will *domain.Will
		kind := "legittimo"
		if h.rnd.IntN(2) == 0 {
			kind = "testamentario"
			will = &domain.Will{Filename: "will.pdf", ContentType: "application/pdf", Size: 1234, SHA256: "ab12"}
		}
		h.emit(ev{domain.ClaimStream(id), domain.HeirRegistered{ClaimID: id, HeirCF: heir, DeceasedCF: u, DateOfDeath: dod, HeirKind: kind, Will: will}},
			ev{domain.BookletStream(u), domain.HeirClaimAttached{ClaimID: id, HeirCF: heir, DateOfDeath: dod}})
	default:
		h.claimStep()
	}
}

// deposit records a deposit, credited at once or (one in four) pending, or
// credits a pending one, or issues a pagoPA notice or pays one.
func (h *history) deposit() {
	if h.rnd.IntN(4) == 0 {
		h.notice()
		return
	}
	if n := len(h.pendingDeposits); n > 0 && h.rnd.IntN(8) == 0 {
		i := h.rnd.IntN(n)
		d := h.pendingDeposits[i]
		h.pendingDeposits = append(h.pendingDeposits[:i], h.pendingDeposits[i+1:]...)
		h.balance[d.user] += d.amount
		h.credits++
		h.emit(ev{domain.BookletStream(d.user), domain.DepositCredited{DepositID: d.id, AmountCents: d.amount, CreditedOn: h.date()}})
		return
	}
	u := h.pick(h.users)
	amount := int64(1+h.rnd.IntN(20)) * 1000
	id := uuid.NewString()
	var e any = domain.DepositRecorded{DepositID: id, AmountCents: amount, Channel: "F24", PaidOn: h.date()}
	if h.rnd.IntN(4) == 0 {
		e = domain.PendingDepositRecorded{DepositID: id, AmountCents: amount, Channel: "F24", PaidOn: h.date()}
		h.pendingDeposits = append(h.pendingDeposits, genDeposit{id: id, user: u, amount: amount})
	} else {
		h.balance[u] += amount
	}
	h.emit(ev{domain.BookletStream(u), e}, ev{domain.DepositLocator(id), domain.DepositLocated{DepositID: id, UserCF: u}})
}

// notice issues a pagoPA notice, or pays an open one (a deposit with it).
func (h *history) notice() {
	if n := len(h.openNotices); n > 0 && h.rnd.IntN(2) == 0 {
		i := h.rnd.IntN(n)
		x := h.openNotices[i]
		h.openNotices = append(h.openNotices[:i], h.openNotices[i+1:]...)
		id := uuid.NewString()
		h.balance[x.UserCF] += x.AmountCents
		h.noticesPaid++
		h.emit(ev{domain.NoticeStream(x.NoticeNumber), domain.PaymentNoticePaid{NoticeNumber: x.NoticeNumber, DepositID: id, AmountCents: x.AmountCents, PaidOn: h.date()}},
			ev{domain.BookletStream(x.UserCF), domain.DepositRecorded{DepositID: id, AmountCents: x.AmountCents, Channel: "PAGOPA", PaidOn: h.date()}},
			ev{domain.DepositLocator(id), domain.DepositLocated{DepositID: id, UserCF: x.UserCF}})
		return
	}
	u := h.pick(h.users)
	number := domain.NoticeNumberOf(h.rnd.Uint64())
	x := domain.PaymentNoticeIssued{NoticeNumber: number.String(), IUV: number.IUV(), UserCF: u, AmountCents: int64(1+h.rnd.IntN(500)) * 1000,
		IssuedOn: h.date(), ExpiresOn: h.now.AddDate(0, 0, domain.NoticeValidityDays).Format("2006-01-02")}
	h.openNotices = append(h.openNotices, x)
	h.emit(ev{domain.NoticeStream(x.NoticeNumber), x})
}

func (h *history) record(user, claim, heir string) {
	if len(h.workers) == 0 {
		return
	}
	w := h.pick(h.workers)
	vouchers := 1 + h.rnd.IntN(5)
	if h.balance[user] < int64(vouchers)*1000 {
		return
	}
	h.balance[user] -= int64(vouchers) * 1000
	hours := float64(h.rnd.IntN(vouchers*100)+1) / 100
	id := uuid.NewString()
	s := &genService{id: id, user: user, worker: w, claim: claim, heir: heir, hours: hours, vouchers: vouchers}
	h.services[id] = s
	h.order = append(h.order, id)
	end := h.now.AddDate(0, 0, -h.rnd.IntN(3))
	rec := domain.ServiceRecorded{ServiceID: id, UserCF: user, WorkerCF: w, Activity: "lavori_domestici",
		StartDate: end.AddDate(0, 0, -1).Format("2006-01-02"), EndDate: end.Format("2006-01-02"), Hours: hours, Vouchers: vouchers,
		GrossCents: int64(vouchers) * 1000, NetCents: int64(vouchers) * 800, UserCapCents: int64(vouchers) * 800, Year: end.Year(),
		Deadline: end.AddDate(0, 1, 3-end.Day()).Format("2006-01-02"), ClaimID: claim, HeirCF: heir}
	evs := []ev{
		{domain.BookletStream(user), rec},
		{domain.WorkerStream(w), domain.WorkerServiceBooked{ServiceID: id, UserCF: user, Year: end.Year(), NetCents: rec.NetCents}},
		{domain.ServiceLocator(id), domain.ServiceLocated{ServiceID: id, UserCF: user, ClaimID: claim}},
	}
	if claim != "" {
		rec.Deadline = ""
		evs[0].data = rec
		evs = append(evs, ev{domain.ClaimStream(claim), domain.PriorServiceInserted{ServiceID: id, WorkerCF: w, Activity: rec.Activity,
			StartDate: rec.StartDate, EndDate: rec.EndDate, Hours: hours, Vouchers: vouchers}})
	}
	h.emit(evs...)
}

// release revokes (or reverses) a random unpaid service.
func (h *history) release(reverse bool) {
	if len(h.services) == 0 {
		return
	}
	var s *genService
	for _, id := range h.order {
		if x, ok := h.services[id]; ok && h.rnd.IntN(3) == 0 {
			s = x
			break
		}
	}
	if s == nil || (s.claim != "" && !reverse) {
		return
	}
	delete(h.services, s.id)
	h.balance[s.user] += int64(s.vouchers) * 1000
	evs := []ev{{domain.WorkerStream(s.worker), domain.WorkerServiceReleased{ServiceID: s.id}}}
	if reverse {
		evs = append(evs, ev{domain.BookletStream(s.user), domain.ServiceReversed{ServiceID: s.id, Reason: "errore", OperatorCF: "OPR"}})
		if s.claim != "" {
			evs = append(evs, ev{domain.ClaimStream(s.claim), domain.PriorServiceReversed{ServiceID: s.id, Reason: "errore", OperatorCF: "OPR"}})
		}
	} else {
		evs = append(evs, ev{domain.BookletStream(s.user), domain.ServiceRevoked{ServiceID: s.id}})
	}
	h.emit(evs...)
}

// payroll pays every recorded service, one WorkerPaid per worker, but for
// the prior services of claims not validated, which stay held (as
// domain.PlanPayroll decides).
func (h *history) payroll() {
	if len(h.services) == 0 {
		return
	}
	run := uuid.NewString()
	on := h.date()
	var evs []ev
	byWorker := map[string][]*genService{}
	var workers, held []string
	for _, id := range h.order {
		s, ok := h.services[id]
		if !ok {
			continue
		}
		if s.claim != "" && h.claims[s.claim].status != "validated" {
			held = append(held, id)
			h.heldAtRun++
			continue
		}
		if _, ok := byWorker[s.worker]; !ok {
			workers = append(workers, s.worker)
		}
		byWorker[s.worker] = append(byWorker[s.worker], s)
		evs = append(evs, ev{domain.BookletStream(s.user), domain.ServicePaid{ServiceID: s.id, RunID: run, PaidOn: on}})
		if s.claim != "" {
			evs = append(evs, ev{domain.ClaimStream(s.claim), domain.PriorServicePaid{ServiceID: s.id, RunID: run, PaidOn: on}})
		}
		delete(h.services, id)
	}
	h.order = held
	if len(workers) == 0 {
		return
	}
	var summary domain.PayrollRunCompleted
	summary.RunID, summary.RunDate = run, on
	for _, w := range workers {
		p := domain.WorkerPaid{RunID: run, RunDate: on, IBAN: h.iban[w]}
		var ids []string
		for _, s := range byWorker[w] {
			v := int64(s.vouchers)
			p.Services = append(p.Services, domain.PaidService{ServiceID: s.id, UserCF: s.user, InsertedByHeir: s.claim != "",
				Hours: s.hours, Vouchers: s.vouchers, GrossCents: v * 1000, NetCents: v * 800, IVSCents: v * 165, INAILCents: v * 25, ManagementCents: v * 10})
			p.NetCents += v * 800
			ids = append(ids, s.id)
		}
		if p.IBAN == "" {
			p.FeeCents = 260
		}
		p.PaidCents = p.NetCents - p.FeeCents
		evs = append(evs, ev{domain.WorkerStream(w), p})
		summary.Payments = append(summary.Payments, domain.Payment{WorkerCF: w, ServiceIDs: ids, NetCents: p.NetCents, FeeCents: p.FeeCents, PaidCents: p.PaidCents})
		summary.PaidCents += p.PaidCents
	}
	evs = append(evs, ev{domain.PayrollStream(run), summary})
	h.emit(evs...)
}

// liveClaimOn reports whether a claim on the booklet of user is not rejected.
func (h *history) liveClaimOn(user string) bool {
	for _, id := range h.claimIDs {
		if c := h.claims[id]; c.deceased == user && c.status != "rejected" {
			return true
		}
	}
	return false
}

// claimStep moves a random claim on.
func (h *history) claimStep() {
	if len(h.claimIDs) == 0 {
		return
	}
	c := h.claims[h.pick(h.claimIDs)]
	cs, bs := domain.ClaimStream(c.id), domain.BookletStream(c.deceased)
	switch {
	case c.status == "registered" && h.rnd.IntN(5) == 0:
		c.status = "rejected"
		evs := []ev{{cs, domain.HeirRejected{Reason: "falso", OperatorCF: "OPR"}}, {bs, domain.HeirClaimDetached{ClaimID: c.id, Reason: "falso"}}}
		// Its unpaid prior services are reversed with it, as Claim.RejectHeir decides.
		for _, id := range h.order {
			if p, ok := h.services[id]; ok && p.claim == c.id {
				delete(h.services, id)
				h.balance[p.user] += int64(p.vouchers) * 1000
				h.reversed++
				evs = append(evs, ev{bs, domain.ServiceReversed{ServiceID: id, Reason: "falso", OperatorCF: "OPR"}},
					ev{domain.WorkerStream(p.worker), domain.WorkerServiceReleased{ServiceID: id}},
					ev{cs, domain.PriorServiceReversed{ServiceID: id, Reason: "falso", OperatorCF: "OPR"}})
			}
		}
		if !h.closed[c.deceased] && !h.liveClaimOn(c.deceased) {
			// The last live heir rejected: the death is withdrawn, as Claim.RejectHeir decides.
			evs = append(evs, ev{bs, domain.DateOfDeathWithdrawn{DateOfDeath: h.deceased[c.deceased], ClaimID: c.id, Reason: "falso", OperatorCF: "OPR"}})
			delete(h.deceased, c.deceased)
			h.withdrawn++
		}
		h.emit(evs...)
	case c.status == "registered" && !h.closed[c.deceased] && h.rnd.IntN(2) == 0:
		h.record(c.deceased, c.id, c.heir) // held until the claim is validated
	case c.status == "registered":
		c.status = "validated"
		h.emit(ev{cs, domain.HeirValidated{Note: "ok", OperatorCF: "OPR"}})
	case c.status == "rejected":
	case c.refund == "" && h.rnd.IntN(2) == 0 && h.balance[c.deceased] > 0:
		c.refund, c.refundStatus, c.amount = uuid.NewString(), "requested", h.balance[c.deceased]
		h.balance[c.deceased] = 0
		h.emit(ev{cs, domain.RefundRequested{RefundID: c.refund, AmountCents: c.amount, IBAN: "IT60X0542811101000000123456"}},
			ev{bs, domain.RefundReserved{RefundID: c.refund, ClaimID: c.id, AmountCents: c.amount}},
			ev{domain.RefundLocator(c.refund), domain.RefundLocated{RefundID: c.refund, ClaimID: c.id, UserCF: c.deceased}})
	case c.refundStatus == "requested" && h.rnd.IntN(4) == 0:
		c.refundStatus = "rejected"
		h.balance[c.deceased] += c.amount
		h.emit(ev{cs, domain.RefundRejected{RefundID: c.refund, Reason: "no", OperatorCF: "OPR"}},
			ev{bs, domain.RefundReservationReleased{RefundID: c.refund, AmountCents: c.amount}})
	case c.refundStatus == "requested":
		c.refundStatus = "approved"
		h.emit(ev{cs, domain.RefundApproved{RefundID: c.refund, OperatorCF: "OPR"}})
	case c.refundStatus == "approved":
		c.refundStatus = "paid"
		h.closed[c.deceased] = true
		h.emit(ev{cs, domain.RefundPaid{RefundID: c.refund, PaidOn: h.date(), BankReference: "CRO1", OperatorCF: "OPR"}},
			ev{bs, domain.RefundDisbursed{RefundID: c.refund, AmountCents: c.amount}})
	case h.rnd.IntN(6) == 0:
		dod := h.now.AddDate(0, 0, -40).Format("2006-01-02")
		prev := h.deceased[c.deceased]
		h.deceased[c.deceased] = dod
		var evs []ev
		evs = append(evs, ev{bs, domain.DateOfDeathCorrected{DateOfDeath: dod, Previous: prev, Reason: "certificato", OperatorCF: "OPR"}})
		for _, id := range h.claimIDs {
			if o := h.claims[id]; o.deceased == c.deceased {
				evs = append(evs, ev{domain.ClaimStream(id), domain.ClaimDateOfDeathCorrected{DateOfDeath: dod, Previous: prev, Reason: "certificato", OperatorCF: "OPR"}})
			}
		}
		h.emit(evs...)
	case h.closed[c.deceased]:
		// A closed booklet takes no prior service.
	default:
		h.record(c.deceased, c.id, c.heir)
	}
}
