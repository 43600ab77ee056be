package domain

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// ClaimStatus is where an heir's claim stands.
type ClaimStatus struct{ s string }

// The claim statuses.
var (
	ClaimRegistered = ClaimStatus{"registered"}
	ClaimValidated  = ClaimStatus{"validated"}
	ClaimRejected   = ClaimStatus{"rejected"}
)

func (s ClaimStatus) String() string { return s.s }

// RefundStatus is where a refund stands.
type RefundStatus struct{ s string }

// The refund statuses.
var (
	RefundRequestedState = RefundStatus{"requested"}
	RefundApprovedState  = RefundStatus{"approved"}
	RefundPaidState      = RefundStatus{"paid"}
	RefundRejectedState  = RefundStatus{"rejected"}
)

func (s RefundStatus) String() string { return s.s }

// Claim is an heir's claim (pratica erede), stream claim-<uuid>.
type Claim struct {
	version    int64
	id         string
	exists     bool
	heir       string
	deceased   string
	dod        Date
	dodEvent   uuid.UUID // HeirRegistered or the last ClaimDateOfDeathCorrected
	kind       string
	will       *Will
	status     ClaimStatus
	registered uuid.UUID // the HeirRegistered event
	at         time.Time

	refund *claimRefund // the latest refund
	prior  []priorService
}

type claimRefund struct {
	RefundRequested
	status     RefundStatus
	event      uuid.UUID // RefundRequested
	approvedBy string    // the operator of RefundApproved (four eyes)
}

type priorService struct {
	PriorServiceInserted
	status ServiceState
}

// NewClaim returns the empty claim id.
func NewClaim(id string) *Claim { return &Claim{id: id} }

// Version is the stream version the claim was folded to.
func (c *Claim) Version() int64 { return c.version }

// ID is the claim id.
func (c *Claim) ID() string { return c.id }

// Exists reports whether the claim was registered.
func (c *Claim) Exists() bool { return c.exists }

// HeirCF is the heir's codice fiscale.
func (c *Claim) HeirCF() string { return c.heir }

// DeceasedCF is the deceased's codice fiscale, whose booklet the claim is on.
func (c *Claim) DeceasedCF() string { return c.deceased }

// Status is the claim's status.
func (c *Claim) Status() ClaimStatus { return c.status }

// Apply folds stored events into the claim; it never fails.
func (c *Claim) Apply(events ...Recorded) {
	for _, r := range events {
		if r.Version > c.version {
			c.version = r.Version
		}
		switch e := r.Data.(type) {
		case HeirRegistered:
			c.exists = true
			c.id = e.ClaimID
			c.heir, c.deceased, c.kind, c.will = e.HeirCF, e.DeceasedCF, e.HeirKind, e.Will
			c.dod, _ = ParseDate(e.DateOfDeath, "")
			c.status = ClaimRegistered
			c.registered, c.dodEvent, c.at = r.ID, r.ID, r.At
		case HeirValidated:
			if c.status == ClaimRegistered {
				c.status = ClaimValidated
			}
		case HeirRejected:
			c.status = ClaimRejected
		case ClaimDateOfDeathCorrected:
			c.dod, _ = ParseDate(e.DateOfDeath, "")
			c.dodEvent = r.ID
		case RefundRequested:
			c.refund = &claimRefund{RefundRequested: e, status: RefundRequestedState, event: r.ID}
		case RefundApproved:
			c.refundTo(e.RefundID, RefundApprovedState)
			if c.refund != nil && c.refund.RefundID == e.RefundID {
				c.refund.approvedBy = e.OperatorCF
			}
		case RefundRejected:
			c.refundTo(e.RefundID, RefundRejectedState)
		case RefundPaid:
			c.refundTo(e.RefundID, RefundPaidState)
		case PriorServiceInserted:
			c.prior = append(c.prior, priorService{PriorServiceInserted: e, status: ServiceRecordedState})
		case PriorServiceReversed:
			c.priorTo(e.ServiceID, ServiceReversedState)
		case PriorServicePaid:
			c.priorTo(e.ServiceID, ServicePaidState)
		}
	}
}

func (c *Claim) refundTo(id string, s RefundStatus) {
	if c.refund != nil && c.refund.RefundID == id {
		c.refund.status = s
	}
}

func (c *Claim) priorTo(id string, s ServiceState) {
	for i := range c.prior {
		if c.prior[i].ServiceID == id && c.prior[i].status == ServiceRecordedState {
			c.prior[i].status = s
		}
	}
}

// ReleasesPriorServices reports whether a payroll may pay the prior services
// inserted through the claim: only once an operator has validated the heir.
// While the claim is registered they are held (recorded, funds and caps
// committed, unpaid); a rejection reverses them (SPEC §8: a claim moves no
// money before it is validated).
func (c *Claim) ReleasesPriorServices() bool { return c.status == ClaimValidated }

// live refuses any command on a rejected claim.
func (c *Claim) live() error {
	if !ClaimActs(c.status) {
		return ConflictError(CodeInvalidState, "the claim was rejected").With("status", c.status.String())
	}
	return nil
}

// HeirInput is a claim as an heir submits it; Will is the checked reference
// of the uploaded will (nil when none was uploaded).
type HeirInput struct {
	DeceasedCF  string
	DateOfDeath string
	HeirKind    string
	Will        *Will
}

// ParseDeceased returns the deceased's CF of a claim (invalid_cf on deceased_cf).
func ParseDeceased(s string) (CF, error) {
	cf, err := ParseCF(s)
	if err != nil {
		err.(*Error).Field = "deceased_cf"
	}
	return cf, err
}

// RegisterHeir decides a new claim of heir on the booklet of its deceased
// owner b: a date of death not in the future nor before LibrettoStart,
// heir ≠ deceased, a booklet to claim, a will for a testamentary heir, one
// live claim per heir, and the same date of death as the claims before it.
// It returns the booklet's and the claim's events.
func (b *Booklet) RegisterHeir(claimID string, heir CF, in HeirInput, today Date) (booklet, claim []Pending, err error) {
	dod, err := ParseDate(in.DateOfDeath, "date_of_death")
	if err != nil {
		return nil, nil, err
	}
	if err := CheckLibrettoDate(dod, "date_of_death"); err != nil {
		return nil, nil, err
	}
	kind, err := ParseHeirKind(in.HeirKind)
	if err != nil {
		return nil, nil, err
	}
	if dod.After(today) {
		return nil, nil, RuleError(CodeFutureDate, "date_of_death", "the date of death cannot be in the future")
	}
	if heir == b.owner {
		return nil, nil, RuleError(CodeHeirIsDeceased, "deceased_cf", "an heir cannot claim their own booklet")
	}
	if kind == HeirTestamentary && in.Will == nil {
		return nil, nil, RuleError(CodeWillRequired, "will", "a testamentary heir uploads the will")
	}
	if !b.exists {
		return nil, nil, RuleError(CodeUserNotRegistered, "deceased_cf", "the deceased has no booklet")
	}
	for _, c := range b.claims {
		if c.heir == heir.String() && !c.detached {
			return nil, nil, ConflictError(CodeAlreadyExists, "this heir already has a claim on this booklet")
		}
	}
	if !b.dateOfDeath.IsZero() && b.dateOfDeath != dod {
		return nil, nil, ConflictError(CodeDateOfDeathMismatch, "another heir gave a different date of death; an operator must correct it first").
			WithOthers("date_of_death", b.dateOfDeath.String()) // another heir's declaration
	}
	booklet = pending(HeirClaimAttached{ClaimID: claimID, HeirCF: heir.String(), DateOfDeath: dod.String()})
	claim = pending(HeirRegistered{ClaimID: claimID, HeirCF: heir.String(), DeceasedCF: b.owner.String(), DateOfDeath: dod.String(), HeirKind: kind.String(), Will: in.Will})
	return booklet, claim, nil
}

// ValidateHeir is an operator accepting the heir's declaration.
func (c *Claim) ValidateHeir(note string, operator string) ([]Pending, error) {
	if err := c.live(); err != nil {
		return nil, err
	}
	if c.status != ClaimRegistered {
		return nil, ConflictError(CodeInvalidState, "the claim is already validated").With("status", c.status.String())
	}
	return pending(HeirValidated{Note: note, OperatorCF: operator}), nil
}

// RejectHeir is an operator rejecting the heir: the claim is rejected and
// detached from the booklet; a requested or approved refund is rejected too
// and its reservation released; every unpaid prior service of the claim is
// reversed, its funds and caps released on the booklet and the worker (held
// or not, it was inserted on the word of an heir now rejected); when no
// other heir's claim remains live, the death it declared is withdrawn and
// the booklet is active again (a claim is the only evidence of a death, and
// a false one must not lock a living person's booklet). Each event names
// what it compensates; the reversals name the HeirRejected, which is stored
// with the id rejection the caller chose for it. The claim's stream comes
// first (its HeirRejected, the cause, takes the lowest position), then the
// booklet's, then each worker's in CF order.
func (c *Claim) RejectHeir(b *Booklet, rejection uuid.UUID, reason string, operator string) (Decision, error) {
	if err := c.live(); err != nil {
		return Decision{}, err
	}
	if strings.TrimSpace(reason) == "" {
		return Decision{}, RuleError(CodeReasonRequired, "reason", "a rejection needs a reason")
	}
	claim := []Pending{{Data: HeirRejected{Reason: reason, OperatorCF: operator}, Causation: c.registered, ID: rejection}}
	var attached uuid.UUID
	if bc, ok := b.claims[c.id]; ok {
		attached = bc.event
	}
	booklet := []Pending{{Data: HeirClaimDetached{ClaimID: c.id, Reason: reason}, Causation: attached}}
	workers := map[string][]Pending{}
	if rf := c.refund; rf != nil && (rf.status == RefundRequestedState || rf.status == RefundApprovedState) {
		claim = append(claim, Pending{Data: RefundRejected{RefundID: rf.RefundID, Reason: reason, OperatorCF: operator}, Causation: rf.event})
		if b.refund != nil && b.refund.id == rf.RefundID && !b.refund.disbursed {
			booklet = append(booklet, Pending{Data: RefundReservationReleased{RefundID: rf.RefundID, AmountCents: b.refund.amount}, Causation: b.refund.event})
		}
	}
	for _, id := range b.order {
		s := b.services[id]
		if s.rec.ClaimID != c.id || s.state != ServiceRecordedState {
			continue
		}
		bk, worker, cl := s.reverse(reason, operator, rejection)
		booklet = append(booklet, bk...)
		workers[s.rec.WorkerCF] = append(workers[s.rec.WorkerCF], worker...)
		claim = append(claim, cl...)
	}
	if b.status == BookletOwnerDeceased && !b.liveClaimBesides(c.id) {
		booklet = append(booklet, Pending{Data: DateOfDeathWithdrawn{DateOfDeath: b.dateOfDeath.String(), ClaimID: c.id, Reason: reason, OperatorCF: operator}, Causation: b.dodEvent})
	}
	d := Decide(ClaimStream(c.id), claim)
	d.Add(BookletStream(b.owner.String()), booklet...)
	for _, cf := range slices.Sorted(maps.Keys(workers)) {
		d.Add(WorkerStream(cf), workers[cf]...)
	}
	return d, nil
}

// liveClaimBesides reports whether a claim other than id is attached to
// the booklet and not detached.
func (b *Booklet) liveClaimBesides(id string) bool {
	for other, bc := range b.claims {
		if other != id && !bc.detached {
			return true
		}
	}
	return false
}

// RequestRefund asks for the whole available balance of the deceased's
// booklet b to the heir's IBAN: one refund per booklet (a rejected one frees
// the slot), nothing to refund at zero. It returns the claim's and the
// booklet's events; the amount is reserved on the booklet at once.
func (c *Claim) RequestRefund(b *Booklet, refundID, iban string) (claim, booklet []Pending, amount int64, err error) {
	account, err := ParseIBAN(iban)
	if err != nil {
		return nil, nil, 0, err
	}
	if !CanRequestRefund(c.status, b.refundSlotTaken()) {
		if err := c.live(); err != nil {
			return nil, nil, 0, err
		}
		err := ConflictError(CodeRefundAlreadyRequested, "a refund of this booklet is already requested")
		if b.refund.claim == c.id {
			return nil, nil, 0, err.With("refund_id", b.refund.id)
		}
		return nil, nil, 0, err.WithOthers("refund_id", b.refund.id) // another heir's refund

	}
	amount = b.Available()
	if amount <= 0 {
		return nil, nil, 0, RuleError(CodeNothingToRefund, "", "the booklet has no available balance")
	}
	claim = pending(RefundRequested{RefundID: refundID, AmountCents: amount, IBAN: account.String()})
	booklet = pending(RefundReserved{RefundID: refundID, ClaimID: c.id, AmountCents: amount})
	return claim, booklet, amount, nil
}

// refundOf returns the claim's refund id (NotFound for another id).
func (c *Claim) refundOf(id string) (*claimRefund, error) {
	if c.refund == nil || c.refund.RefundID != id {
		return nil, NotFoundError("no such refund")
	}
	return c.refund, nil
}

// ApproveRefund is an operator approving a requested refund of a validated claim.
func (c *Claim) ApproveRefund(refundID string, operator string) ([]Pending, error) {
	r, err := c.refundOf(refundID)
	if err != nil {
		return nil, err
	}
	if r.status != RefundRequestedState {
		return nil, ConflictError(CodeInvalidState, "only a requested refund can be approved").With("status", r.status.String())
	}
	if c.status != ClaimValidated {
		return nil, RuleError(CodeClaimNotValidated, "", "the heir's claim must be validated before the refund is approved").With("claim_status", c.status.String())
	}
	return pending(RefundApproved{RefundID: refundID, OperatorCF: operator}), nil
}

// RejectRefund is an operator rejecting a requested or approved refund: the
// reserved amount returns to the booklet.
func (c *Claim) RejectRefund(b *Booklet, refundID, reason string, operator string) (claim, booklet []Pending, err error) {
	r, err := c.refundOf(refundID)
	if err != nil {
		return nil, nil, err
	}
	if r.status != RefundRequestedState && r.status != RefundApprovedState {
		return nil, nil, ConflictError(CodeInvalidState, "only a requested or approved refund can be rejected").With("status", r.status.String())
	}
	if strings.TrimSpace(reason) == "" {
		return nil, nil, RuleError(CodeReasonRequired, "reason", "a rejection needs a reason")
	}
	claim = []Pending{{Data: RefundRejected{RefundID: refundID, Reason: reason, OperatorCF: operator}, Causation: r.event}}
	if b.refund != nil && b.refund.id == refundID && !b.refund.disbursed {
		booklet = []Pending{{Data: RefundReservationReleased{RefundID: refundID, AmountCents: b.refund.amount}, Causation: b.refund.event}}
	}
	return claim, booklet, nil
}

// MarkRefundPaid records the transfer of an approved refund, paid on a date
// not in the future, by an operator other than its approver (four eyes):
// the reserved amount becomes refunded.
func (c *Claim) MarkRefundPaid(b *Booklet, refundID, paidOn, bankRef string, operator string, today Date) (claim, booklet []Pending, err error) {
	r, err := c.refundOf(refundID)
	if err != nil {
		return nil, nil, err
	}
	if r.status == RefundApprovedState {
		if err := CheckFourEyes(r.approvedBy, operator); err != nil {
			return nil, nil, err
		}
	}
	on, err := ParseDate(paidOn, "paid_on")
	if err != nil {
		return nil, nil, err
	}
	if on.After(today) {
		return nil, nil, RuleError(CodeFutureDate, "paid_on", "a refund cannot be paid in the future")
	}
	if strings.TrimSpace(bankRef) == "" {
		return nil, nil, RuleError(CodeBankReferenceRequired, "bank_reference", "the payment names the bank reference of the transfer")
	}
	if r.status != RefundApprovedState {
		return nil, nil, ConflictError(CodeInvalidState, "only an approved refund can be paid").With("status", r.status.String())
	}
	claim = pending(RefundPaid{RefundID: refundID, PaidOn: on.String(), BankReference: bankRef, OperatorCF: operator})
	booklet = pending(RefundDisbursed{RefundID: refundID, AmountCents: r.AmountCents})
	return claim, booklet, nil
}

// InsertPriorService decides a service the deceased received before dying:
// ending on or before the date of death, the heir not the worker, the
// declaration of no known employment, a booklet not closed by a paid refund,
// the caps and the balance; no deadline.
// It is recorded on the deceased's booklet b with the claim and the heir.
func (c *Claim) InsertPriorService(b *Booklet, w *Worker, id string, s Service, today Date) (Decision, error) {
	if err := c.live(); err != nil {
		return Decision{}, err
	}
	if s.End.After(today) {
		return Decision{}, RuleError(CodeFutureDate, "end_date", "a service cannot be recorded before it ends")
	}
	if s.End.After(b.dateOfDeath) {
		return Decision{}, RuleError(CodeServiceAfterDeath, "end_date", "a prior service ends on or before the date of death").
			With("date_of_death", b.dateOfDeath.String())
	}
	if s.Worker.String() == c.heir {
		return Decision{}, RuleError(CodeHeirIsWorker, "worker_cf", "the heir cannot be the worker of a prior service")
	}
	if s.Worker == b.owner {
		return Decision{}, RuleError(CodeSelfEmployment, "worker_cf", "the deceased cannot be the worker")
	}
	if !s.Declared {
		return Decision{}, RuleError(CodeDeclarationRequired, "declarations.no_known_employment", "the heir declares knowing of no employment relationship in progress or ended less than 6 months before")
	}
	if !CanInsertPriorService(c.status, b.status) { // the claim acts (above): the booklet is closed
		return Decision{}, errBookletClosed()
	}
	d, rec, err := b.decideService(w, id, s, ServiceRecorded{ClaimID: c.id, HeirCF: c.heir})
	if err != nil {
		return Decision{}, err
	}
	d.Add(ClaimStream(c.id), pending(PriorServiceInserted{
		ServiceID: id, WorkerCF: rec.WorkerCF, Activity: rec.Activity,
		StartDate: rec.StartDate, EndDate: rec.EndDate, Hours: rec.Hours, Vouchers: rec.Vouchers,
	})...)
	d.Add(ServiceLocator(id), Pending{Data: ServiceLocated{ServiceID: id, UserCF: rec.UserCF, ClaimID: c.id}})
	return d, nil
}

// CorrectDateOfDeath is an operator correcting the deceased's date of death
// on the booklet and on each of its claims (all of them share one date). A
// prior service already ending after the new date must be reversed first.
// The decision appends to the booklet, then to each claim in the order given.
func (b *Booklet) CorrectDateOfDeath(claims []*Claim, date, reason string, operator string, today Date) (Decision, error) {
	dod, err := ParseDate(date, "date_of_death")
	if err != nil {
		return Decision{}, err
	}
	if err := CheckLibrettoDate(dod, "date_of_death"); err != nil {
		return Decision{}, err
	}
	if dod.After(today) {
		return Decision{}, RuleError(CodeFutureDate, "date_of_death", "the date of death cannot be in the future")
	}
	if strings.TrimSpace(reason) == "" {
		return Decision{}, RuleError(CodeReasonRequired, "reason", "a correction needs a reason")
	}
	if !b.exists {
		return Decision{}, NotFoundError("no such booklet")
	}
	if b.status == BookletActive { // owner_deceased or closed: the date stays correctable
		return Decision{}, ConflictError(CodeOwnerNotDeceased, "no heir has declared this booklet's owner deceased")
	}
	if dod == b.dateOfDeath {
		return Decision{}, ConflictError(CodeInvalidState, "the date of death is already "+dod.String())
	}
	for _, id := range b.order {
		s := b.services[id]
		if s.rec.ClaimID != "" && (s.state == ServiceRecordedState || s.state == ServicePaidState) && s.end.After(dod) {
			return Decision{}, RuleError(CodeServiceAfterDeath, "date_of_death", "a prior service ends after the corrected date; reverse it first").With("service_id", id)
		}
	}
	prev := b.dateOfDeath.String()
	d := Decide(BookletStream(b.owner.String()), []Pending{{Data: DateOfDeathCorrected{DateOfDeath: dod.String(), Previous: prev, Reason: reason, OperatorCF: operator}, Causation: b.dodEvent}})
	for _, c := range claims {
		d.Add(ClaimStream(c.id), Pending{Data: ClaimDateOfDeathCorrected{DateOfDeath: dod.String(), Previous: c.dod.String(), Reason: reason, OperatorCF: operator}, Causation: c.dodEvent})
	}
	return d, nil
}
