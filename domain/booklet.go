package domain

import (
	"fmt"
	"strings"

	"github.com/google/uuid"
)

// BookletStatus is a booklet's life: active; owner_deceased from the first
// heir's claim on (active again if an operator rejects every heir who
// declared the death); closed once the refund of its balance has been paid.
type BookletStatus struct{ s string }

// The booklet statuses.
var (
	BookletActive        = BookletStatus{"active"}
	BookletOwnerDeceased = BookletStatus{"owner_deceased"}
	BookletClosed        = BookletStatus{"closed"}
)

func (s BookletStatus) String() string { return s.s }

// ServiceState is where a service stands.
type ServiceState struct{ s string }

// The service states.
var (
	ServiceRecordedState = ServiceState{"recorded"}
	ServiceRevokedState  = ServiceState{"revoked"}
	ServiceReversedState = ServiceState{"reversed"}
	ServicePaidState     = ServiceState{"paid"}
)

func (s ServiceState) String() string { return s.s }

// Booklet is the voucher booklet (libretto) of one user, stream booklet-<CF>.
// Build it with NewBooklet and Apply; it decides the commands on it.
type Booklet struct {
	version int64
	owner   CF
	exists  bool
	status  BookletStatus

	dateOfDeath Date
	dodEvent    uuid.UUID // the event that set the current date of death

	// deposited counts credited deposits only; pending holds those seen
	// but not yet credited, which nothing may spend.
	deposited, committed, reserved, refunded int64
	pending                                  int64
	deposits                                 map[string]*bookletDeposit

	services map[string]*bookletService
	order    []string           // service ids in recorded order
	unpaid   map[string]bool    // recorded services not yet paid, revoked or reversed
	userNet  map[int]int64      // year → net counted towards the user cap
	perWork  map[workYear]int64 // (worker, year) → net, for the worker-for-user cap

	claims map[string]*bookletClaim
	refund *bookletRefund // the refund holding the slot, nil when free
}

type workYear struct {
	worker string
	year   int
}

type bookletService struct {
	rec      ServiceRecorded
	end      Date
	deadline Date // zero for prior services
	state    ServiceState
	event    uuid.UUID // the ServiceRecorded event
}

type bookletDeposit struct {
	amount  int64
	pending bool
	event   uuid.UUID // the PendingDepositRecorded a credit names
}

type bookletClaim struct {
	heir     string
	detached bool
	event    uuid.UUID // HeirClaimAttached
}

type bookletRefund struct {
	id, claim string
	amount    int64
	disbursed bool
	event     uuid.UUID // RefundReserved
}

// NewBooklet returns the empty booklet of cf (not yet registered).
func NewBooklet(cf CF) *Booklet {
	return &Booklet{
		owner:    cf,
		status:   BookletActive,
		deposits: map[string]*bookletDeposit{},
		services: map[string]*bookletService{},
		unpaid:   map[string]bool{},
		userNet:  map[int]int64{},
		perWork:  map[workYear]int64{},
		claims:   map[string]*bookletClaim{},
	}
}

// Version is the stream version the booklet was folded to (0: no events).
func (b *Booklet) Version() int64 { return b.version }

// Owner is the booklet's user.
func (b *Booklet) Owner() CF { return b.owner }

// Exists reports whether the user registered.
func (b *Booklet) Exists() bool { return b.exists }

// Status is the booklet's status.
func (b *Booklet) Status() BookletStatus { return b.status }

// DateOfDeath is the owner's date of death (zero while alive).
func (b *Booklet) DateOfDeath() Date { return b.dateOfDeath }

// Available is deposited − committed − reserved − refunded: deposited
// counts credited deposits only, so a pending deposit is never available
// (to spend, to refund to an heir or to show as available).
func (b *Booklet) Available() int64 {
	return b.deposited - b.committed - b.reserved - b.refunded
}

// Balance returns deposited, committed, reserved and refunded cents.
func (b *Booklet) Balance() (deposited, committed, reserved, refunded int64) {
	return b.deposited, b.committed, b.reserved, b.refunded
}

// Pending is the sum of the deposits seen but not yet credited.
func (b *Booklet) Pending() int64 { return b.pending }

// HasDeposit reports whether a deposit id is already recorded.
func (b *Booklet) HasDeposit(id string) bool { return b.deposits[id] != nil }

// Service returns a service of the booklet as recorded and its state.
func (b *Booklet) Service(id string) (ServiceRecorded, ServiceState, bool) {
	s, ok := b.services[id]
	if !ok {
		return ServiceRecorded{}, ServiceState{}, false
	}
	return s.rec, s.state, true
}

// ClaimIDs returns the ids of the claims attached and not detached.
func (b *Booklet) ClaimIDs() []string {
	var ids []string
	for id, c := range b.claims {
		if !c.detached {
			ids = append(ids, id)
		}
	}
	return ids
}

// Apply folds stored events into the booklet. It never fails: events of
// other aggregates are ignored.
func (b *Booklet) Apply(events ...Recorded) {
	for _, r := range events {
		b.apply(r)
	}
}

func (b *Booklet) apply(r Recorded) {
	if r.Version > b.version {
		b.version = r.Version
	}
	switch e := r.Data.(type) {
	case UserRegistered:
		b.exists = true
	case DepositRecorded:
		b.deposits[e.DepositID] = &bookletDeposit{amount: e.AmountCents}
		b.deposited += e.AmountCents
	case PendingDepositRecorded:
		b.deposits[e.DepositID] = &bookletDeposit{amount: e.AmountCents, pending: true, event: r.ID}
		b.pending += e.AmountCents
	case DepositCredited:
		if d, ok := b.deposits[e.DepositID]; ok && d.pending {
			d.pending = false
			b.pending -= d.amount
			b.deposited += d.amount
		}
	case ServiceRecorded:
		end, _ := ParseDate(e.EndDate, "")
		deadline, _ := ParseDate(e.Deadline, "")
		b.services[e.ServiceID] = &bookletService{rec: e, end: end, deadline: deadline, state: ServiceRecordedState, event: r.ID}
		b.order = append(b.order, e.ServiceID)
		b.unpaid[e.ServiceID] = true
		b.committed += e.GrossCents
		b.userNet[e.Year] += e.UserCapCents
		b.perWork[workYear{e.WorkerCF, e.Year}] += e.NetCents
	case ServiceRevoked:
		b.release(e.ServiceID, ServiceRevokedState)
	case ServiceReversed:
		b.release(e.ServiceID, ServiceReversedState)
	case ServicePaid:
		if s, ok := b.services[e.ServiceID]; ok && s.state == ServiceRecordedState {
			s.state = ServicePaidState
			delete(b.unpaid, e.ServiceID)
		}
	case HeirClaimAttached:
		b.claims[e.ClaimID] = &bookletClaim{heir: e.HeirCF, event: r.ID}
		if b.dateOfDeath.IsZero() { // a later claim keeps the status (closed stays closed)
			b.status = BookletOwnerDeceased
			b.dateOfDeath, _ = ParseDate(e.DateOfDeath, "")
			b.dodEvent = r.ID
		}
	case HeirClaimDetached:
		if c, ok := b.claims[e.ClaimID]; ok {
			c.detached = true
		}
	case DateOfDeathCorrected:
		b.dateOfDeath, _ = ParseDate(e.DateOfDeath, "")
		b.dodEvent = r.ID
	case DateOfDeathWithdrawn:
		if b.status == BookletOwnerDeceased {
			b.status = BookletActive
			b.dateOfDeath, b.dodEvent = Date{}, uuid.Nil
		}
	case RefundReserved:
		b.refund = &bookletRefund{id: e.RefundID, claim: e.ClaimID, amount: e.AmountCents, event: r.ID}
		b.reserved += e.AmountCents
	case RefundReservationReleased:
		if b.refund != nil && b.refund.id == e.RefundID && !b.refund.disbursed {
			b.reserved -= b.refund.amount
			b.refund = nil
		}
	case RefundDisbursed:
		// A paid refund closes the booklet for good, as the dashboard's
		// closed flag does on the same event.
		b.status = BookletClosed
		if b.refund != nil && b.refund.id == e.RefundID && !b.refund.disbursed {
			b.reserved -= b.refund.amount
			b.refunded += b.refund.amount
			b.refund.disbursed = true
		}
	}
}

// release undoes a recorded, unpaid service's commitment and cap usage.
func (b *Booklet) release(id string, to ServiceState) {
	s, ok := b.services[id]
	if !ok || s.state != ServiceRecordedState {
		return
	}
	s.state = to
	delete(b.unpaid, id)
	b.committed -= s.rec.GrossCents
	b.userNet[s.rec.Year] -= s.rec.UserCapCents
	b.perWork[workYear{s.rec.WorkerCF, s.rec.Year}] -= s.rec.NetCents
}

// RegisterUser opens the booklet: already_exists when it is open.
func (b *Booklet) RegisterUser() ([]Pending, error) {
	if b.exists {
		return nil, ConflictError(CodeAlreadyExists, "the booklet of this user is already open")
	}
	return pending(UserRegistered{UserCF: b.owner.String()}), nil
}

// DepositInput is a deposit as fed by the system role.
type DepositInput struct {
	DepositID   string
	AmountCents int64
	Channel     string
	PaidOn      string
	Status      string // "pending", or "credited" (the default when empty)
}

// MaxDepositCents bounds one deposit (10 million euro, far above the caps'
// 12,500 euro a year), so that no sum of deposits overflows int64 cents.
const MaxDepositCents int64 = 1_000_000_000

// RecordDeposit adds funds: a positive multiple of 1000 cents, by F24 or
// pagoPA, paid on a date not in the future nor before LibrettoStart, to an
// open booklet. A pending deposit is recorded but not available until
// CreditDeposit.
func (b *Booklet) RecordDeposit(in DepositInput, today Date) ([]Pending, error) {
	if in.AmountCents <= 0 || in.AmountCents%VoucherCents != 0 {
		return nil, RuleError(CodeInvalidAmount, "amount_cents", "a deposit is a positive multiple of 1000 cents").With("amount_cents", in.AmountCents)
	}
	if in.AmountCents > MaxDepositCents {
		return nil, RuleError(CodeInvalidAmount, "amount_cents", fmt.Sprintf("a deposit is at most %d cents", MaxDepositCents)).With("amount_cents", in.AmountCents)
	}
	ch, err := ParseChannel(in.Channel)
	if err != nil {
		return nil, err
	}
	paidOn, err := ParseDate(in.PaidOn, "paid_on")
	if err != nil {
		return nil, err
	}
	if err := CheckLibrettoDate(paidOn, "paid_on"); err != nil {
		return nil, err
	}
	if paidOn.After(today) {
		return nil, RuleError(CodeFutureDate, "paid_on", "a deposit cannot be paid in the future")
	}
	status, err := ParseDepositStatus(in.Status)
	if err != nil {
		return nil, err
	}
	if !b.exists {
		return nil, RuleError(CodeUserNotRegistered, "user_cf", "this user has no booklet")
	}
	if status == DepositPendingStatus {
		return pending(PendingDepositRecorded{DepositID: in.DepositID, AmountCents: in.AmountCents, Channel: ch.String(), PaidOn: paidOn.String()}), nil
	}
	return pending(DepositRecorded{DepositID: in.DepositID, AmountCents: in.AmountCents, Channel: ch.String(), PaidOn: paidOn.String()}), nil
}

// CreditDeposit makes a pending deposit available, on today: not_found for
// a deposit the booklet does not hold, deposit_already_credited (a
// conflict) for one credited at once or already credited. The event names
// the PendingDepositRecorded it credits.
func (b *Booklet) CreditDeposit(id string, today Date) ([]Pending, error) {
	d, ok := b.deposits[id]
	if !ok {
		return nil, NotFoundError("no such deposit")
	}
	if !d.pending {
		return nil, ConflictError(CodeAlreadyCredited, "this deposit is already credited")
	}
	return []Pending{{Data: DepositCredited{DepositID: id, AmountCents: d.amount, CreditedOn: today.String()}, Causation: d.event}}, nil
}

// RevokeService withdraws an unpaid service the owner recorded, until its
// deadline: the booklet's and the worker's events.
func (b *Booklet) RevokeService(id string, today Date) (Decision, error) {
	s, ok := b.services[id]
	if !ok {
		return Decision{}, NotFoundError("no such service")
	}
	if err := revocationRefusal(s.state, s.rec.ClaimID != "", s.deadline, today); err != nil {
		return Decision{}, err
	}
	d := Decide(BookletStream(b.owner.String()), pending(ServiceRevoked{ServiceID: id}))
	d.Add(WorkerStream(s.rec.WorkerCF), pending(WorkerServiceReleased{ServiceID: id})...)
	return d, nil
}

// ReverseService is an operator's compensation of an unpaid service: its
// funds and cap usage are released. The events name the ServiceRecorded
// they compensate: on the booklet, the worker and, for a prior service, the
// claim.
func (b *Booklet) ReverseService(id, reason string, operator string) (Decision, error) {
	s, ok := b.services[id]
	if !ok {
		return Decision{}, NotFoundError("no such service")
	}
	if s.state != ServiceRecordedState {
		return Decision{}, ConflictError(CodeInvalidState, "only a recorded, unpaid service can be reversed").With("state", s.state.String())
	}
	if strings.TrimSpace(reason) == "" {
		return Decision{}, RuleError(CodeReasonRequired, "reason", "a reversal needs a reason")
	}
	booklet, worker, claim := s.reverse(reason, operator, s.event)
	d := Decide(BookletStream(b.owner.String()), booklet)
	d.Add(WorkerStream(s.rec.WorkerCF), worker...)
	d.Add(ClaimStream(s.rec.ClaimID), claim...)
	return d, nil
}

// reverse returns the events that take back the recorded, unpaid service s
// (funds and caps released on the booklet and the worker, the claim's side
// for a prior service), each naming cause as its causation: the
// ServiceRecorded an operator reverses, or the HeirRejected that reverses
// the claim's prior services with it.
func (s *bookletService) reverse(reason, operator string, cause uuid.UUID) (booklet, worker, claim []Pending) {
	id := s.rec.ServiceID
	booklet = []Pending{{Data: ServiceReversed{ServiceID: id, Reason: reason, OperatorCF: operator}, Causation: cause}}
	worker = []Pending{{Data: WorkerServiceReleased{ServiceID: id}, Causation: cause}}
	if s.rec.ClaimID != "" {
		claim = []Pending{{Data: PriorServiceReversed{ServiceID: id, Reason: reason, OperatorCF: operator}, Causation: cause}}
	}
	return booklet, worker, claim
}

// UnpaidUntil returns the recorded, unpaid services ending on or before
// date, in recorded order, held prior services included (PayableUntil
// leaves those out).
func (b *Booklet) UnpaidUntil(date Date) []ServiceRecorded {
	if len(b.unpaid) == 0 {
		return nil
	}
	var out []ServiceRecorded
	for _, id := range b.order {
		if !b.unpaid[id] {
			continue
		}
		s := b.services[id]
		if !s.end.After(date) {
			out = append(out, s.rec)
		}
	}
	return out
}

// PayableUntil returns the services a payroll run on date pays: those of
// UnpaidUntil, less the prior services whose claim, in claims by id, does not
// release them (see Claim.ReleasesPriorServices); a claim missing from claims
// holds its services.
func (b *Booklet) PayableUntil(date Date, claims map[string]*Claim) []ServiceRecorded {
	var out []ServiceRecorded
	for _, s := range b.UnpaidUntil(date) {
		if s.ClaimID != "" {
			if c := claims[s.ClaimID]; c == nil || !c.ReleasesPriorServices() {
				continue
			}
		}
		out = append(out, s)
	}
	return out
}

// refundSlotTaken reports whether a refund of the booklet is requested,
// approved or paid (a rejected one has released the slot).
func (b *Booklet) refundSlotTaken() bool { return b.refund != nil }
