// Package family is the Portale delle Famiglie aggregate (stream
// family-<CF>): the facts other INPS systems feed about a family under the
// system role — ISEE, minor children, applications and their status, benefit
// payments — its events, and the suggestions derived from those facts.
//
// It is pure like domain: no I/O, no clock (today is passed in). It imports
// domain and domain/simulators; it must not import commands, projections or
// http.
package family

import (
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/domain/simulators"
)

// ISEE is an attestation as the family holds it.
type ISEE struct {
	ValueCents     int64  `json:"value_cents"`
	Protocol       string `json:"protocol"`
	DSUSubmittedOn string `json:"dsu_submitted_on"`
	ValidUntil     string `json:"valid_until"`
}

// Child is a child of the family.
type Child struct {
	CF         string                `json:"child_cf"`
	BirthDate  string                `json:"birth_date"`
	Disability simulators.Disability `json:"disability"`
}

// StatusChange is one step of an application's life.
type StatusChange struct {
	Status    Status `json:"status"`
	ChangedOn string `json:"changed_on"`
	Note      string `json:"note,omitempty"`
}

// Application is an application for a benefit with its status history.
type Application struct {
	ID          string         `json:"application_id"`
	Benefit     Benefit        `json:"benefit"`
	ChildCF     string         `json:"child_cf,omitempty"`
	SubmittedOn string         `json:"submitted_on"`
	Status      Status         `json:"status"`
	History     []StatusChange `json:"history"`
}

// Payment is a benefit payment.
type Payment struct {
	ID            string  `json:"payment_id"`
	ApplicationID string  `json:"application_id"`
	Benefit       Benefit `json:"benefit"`
	AmountCents   int64   `json:"amount_cents"`
	PaidOn        string  `json:"paid_on"`
}

// Facts is what is known of a family: the input of Suggest and of the read
// model. Children, applications and payments are in recorded order; ISEEs
// too, the current one being Current().
type Facts struct {
	CF           string
	ISEEs        []ISEE
	Children     []Child
	Applications []Application
	Payments     []Payment
}

// Current returns the ISEE with the latest DSU submission date (the later
// recorded one on a tie), or nil.
func (f Facts) Current() *ISEE {
	var cur *ISEE
	for i := range f.ISEEs {
		if cur == nil || f.ISEEs[i].DSUSubmittedOn >= cur.DSUSubmittedOn {
			cur = &f.ISEEs[i]
		}
	}
	return cur
}

// Family is the aggregate of one family, stream family-<CF>. Build it with
// New and Apply; it decides the commands on it.
type Family struct {
	cf      domain.CF
	version int64
	facts   Facts
}

// New returns the family of cf with no facts.
func New(cf domain.CF) *Family {
	return &Family{cf: cf, facts: Facts{CF: cf.String()}}
}

// Version is the stream version the family was folded to (0: no events).
func (f *Family) Version() int64 { return f.version }

// Facts returns a copy of what is known of the family.
func (f *Family) Facts() Facts {
	c := f.facts
	c.ISEEs = slices.Clone(c.ISEEs)
	c.Children = slices.Clone(c.Children)
	c.Applications = make([]Application, len(f.facts.Applications))
	for i, a := range f.facts.Applications {
		a.History = slices.Clone(a.History)
		c.Applications[i] = a
	}
	c.Payments = slices.Clone(c.Payments)
	return c
}

// Apply folds stored events into the family. It never fails: other events
// are ignored.
func (f *Family) Apply(events ...domain.Recorded) {
	for _, r := range events {
		if r.Version > f.version {
			f.version = r.Version
		}
		f.facts.apply(r.Data)
	}
}

// ApplyEvent folds one payload into the facts (used by read models that keep
// the facts without the aggregate's version).
func (f *Facts) ApplyEvent(e domain.Event) { f.apply(e) }

func (f *Facts) apply(e domain.Event) {
	switch e := e.(type) {
	case ISEERecorded:
		f.ISEEs = append(f.ISEEs, ISEE(e))
	case ChildRecorded:
		c := Child{CF: e.ChildCF, BirthDate: e.BirthDate, Disability: simulators.Disability(e.Disability)}
		if i := f.child(e.ChildCF); i >= 0 {
			f.Children[i] = c
		} else {
			f.Children = append(f.Children, c)
		}
	case ApplicationRecorded:
		st := Status(e.Status)
		f.Applications = append(f.Applications, Application{
			ID: e.ApplicationID, Benefit: Benefit(e.Benefit), ChildCF: e.ChildCF, SubmittedOn: e.SubmittedOn,
			Status: st, History: []StatusChange{{Status: st, ChangedOn: e.SubmittedOn}},
		})
	case ApplicationStatusChanged:
		if i := f.application(e.ApplicationID); i >= 0 {
			a := &f.Applications[i]
			a.Status = Status(e.Status)
			a.History = append(a.History, StatusChange{Status: Status(e.Status), ChangedOn: e.ChangedOn, Note: e.Note})
		}
	case BenefitPaymentRecorded:
		f.Payments = append(f.Payments, Payment{
			ID: e.PaymentID, ApplicationID: e.ApplicationID, Benefit: Benefit(e.Benefit),
			AmountCents: e.AmountCents, PaidOn: e.PaidOn,
		})
	}
}

func (f *Facts) child(cf string) int {
	return slices.IndexFunc(f.Children, func(c Child) bool { return c.CF == cf })
}

func (f *Facts) application(id string) int {
	return slices.IndexFunc(f.Applications, func(a Application) bool { return a.ID == id })
}

func pending(events ...domain.Event) []domain.Pending {
	out := make([]domain.Pending, len(events))
	for i, e := range events {
		out[i] = domain.Pending{Data: e}
	}
	return out
}

// ISEEInput is an ISEE attestation to record. ValidUntil may be empty: an
// ordinary ISEE is valid until 31 December of the year of its DSU.
type ISEEInput struct {
	ValueCents     int64
	Protocol       string
	DSUSubmittedOn string
	ValidUntil     string
}

// RecordISEE records an ISEE. The same protocol with the same facts again is
// no change (no events); with other facts it is a conflict.
func (f *Family) RecordISEE(in ISEEInput, today domain.Date) ([]domain.Pending, error) {
	if in.ValueCents < 0 {
		return nil, domain.RuleError(domain.CodeInvalidAmount, "value_cents", "an ISEE cannot be negative")
	}
	protocol := strings.TrimSpace(in.Protocol)
	if protocol == "" || len(protocol) > 64 {
		return nil, domain.RuleError(CodeInvalidProtocol, "protocol", "the DSU protocol is required (at most 64 characters)")
	}
	submitted, err := domain.ParseDate(in.DSUSubmittedOn, "dsu_submitted_on")
	if err != nil {
		return nil, err
	}
	if submitted.After(today) {
		return nil, domain.RuleError(domain.CodeFutureDate, "dsu_submitted_on", "a DSU cannot be submitted in the future")
	}
	validUntil := domain.NewDate(submitted.Year(), time.December, 31)
	if in.ValidUntil != "" {
		if validUntil, err = domain.ParseDate(in.ValidUntil, "valid_until"); err != nil {
			return nil, err
		}
	}
	if validUntil.Before(submitted) {
		return nil, domain.RuleError(domain.CodeInvalidDate, "valid_until", "an ISEE cannot expire before its DSU was submitted")
	}
	e := ISEERecorded{ValueCents: in.ValueCents, Protocol: protocol, DSUSubmittedOn: submitted.String(), ValidUntil: validUntil.String()}
	for _, old := range f.facts.ISEEs {
		if old.Protocol == protocol {
			if ISEE(e) == old {
				return nil, nil
			}
			return nil, domain.ConflictError(domain.CodeAlreadyExists, "an ISEE with this protocol is recorded with other facts").With("protocol", protocol)
		}
	}
	return pending(e), nil
}

// ChildInput is a child to record.
type ChildInput struct {
	ChildCF    string
	BirthDate  string
	Disability string
}

// RecordChild records a child, or updates its facts when the CF is known
// (a disability assessed later, a corrected birth date). The same facts again
// are no change.
func (f *Family) RecordChild(in ChildInput, today domain.Date) ([]domain.Pending, error) {
	cf, err := domain.ParseCF(in.ChildCF)
	if err != nil {
		return nil, withField(err, "child_cf")
	}
	if cf == f.cf {
		return nil, domain.RuleError(domain.CodeInvalidCF, "child_cf", "a child cannot have the parent's codice fiscale")
	}
	birth, err := domain.ParseDate(in.BirthDate, "birth_date")
	if err != nil {
		return nil, err
	}
	if birth.After(today) {
		return nil, domain.RuleError(domain.CodeFutureDate, "birth_date", "a child cannot be born in the future")
	}
	dis, err := simulators.ParseDisability(in.Disability)
	if err != nil {
		return nil, err
	}
	c := Child{CF: cf.String(), BirthDate: birth.String(), Disability: dis}
	if i := f.facts.child(c.CF); i >= 0 && f.facts.Children[i] == c {
		return nil, nil
	}
	return pending(ChildRecorded{ChildCF: c.CF, BirthDate: c.BirthDate, Disability: string(c.Disability)}), nil
}

// ApplicationInput is an application to record. Recording a known id with
// the same benefit again moves it to Status when that differs (so a feed may
// send the whole application each time); ChangedOn dates that change and
// defaults to today. A new application with a Status past submitted and a
// ChangedOn is recorded as submitted and then moved on that date.
type ApplicationInput struct {
	ApplicationID string
	Benefit       string
	ChildCF       string
	SubmittedOn   string
	Status        string
	ChangedOn     string
}

// RecordApplication records an application or its new status.
func (f *Family) RecordApplication(in ApplicationInput, today domain.Date) ([]domain.Pending, error) {
	id := strings.TrimSpace(in.ApplicationID)
	if id == "" || len(id) > 64 {
		return nil, domain.RuleError(CodeInvalidID, "application_id", "the application id is required (at most 64 characters)")
	}
	benefit, err := ParseBenefit(in.Benefit)
	if err != nil {
		return nil, err
	}
	status, err := ParseStatus(in.Status)
	if err != nil {
		return nil, err
	}
	submitted, err := domain.ParseDate(in.SubmittedOn, "submitted_on")
	if err != nil {
		return nil, err
	}
	if submitted.After(today) {
		return nil, domain.RuleError(domain.CodeFutureDate, "submitted_on", "an application cannot be submitted in the future")
	}
	var child string
	if in.ChildCF != "" {
		cf, err := domain.ParseCF(in.ChildCF)
		if err != nil {
			return nil, withField(err, "child_cf")
		}
		child = cf.String()
	}
	if i := f.facts.application(id); i >= 0 {
		a := f.facts.Applications[i]
		if a.Benefit != benefit || a.SubmittedOn != submitted.String() || a.ChildCF != child {
			return nil, domain.ConflictError(domain.CodeAlreadyExists, "an application with this id is recorded for another benefit, date or child").
				With("application_id", id)
		}
		return f.ChangeApplicationStatus(StatusInput{ApplicationID: id, Status: string(status), ChangedOn: in.ChangedOn}, today)
	}
	rec := ApplicationRecorded{ApplicationID: id, Benefit: string(benefit), ChildCF: child, SubmittedOn: submitted.String(), Status: string(status)}
	if status == StatusSubmitted || in.ChangedOn == "" {
		return pending(rec), nil
	}
	// A new application already past submission, with the date it got there:
	// record both steps, so that its history shows when it moved.
	changed, err := domain.ParseDate(in.ChangedOn, "changed_on")
	if err != nil {
		return nil, err
	}
	if changed.After(today) {
		return nil, domain.RuleError(domain.CodeFutureDate, "changed_on", "a status cannot change in the future")
	}
	if changed.Before(submitted) {
		return nil, domain.RuleError(domain.CodeInvalidDate, "changed_on", "a status cannot change before the application was submitted")
	}
	rec.Status = string(StatusSubmitted)
	return pending(rec, ApplicationStatusChanged{
		ApplicationID: id, Status: string(status), Previous: string(StatusSubmitted), ChangedOn: changed.String(),
	}), nil
}

// StatusInput is a status change of an application.
type StatusInput struct {
	ApplicationID string
	Status        string
	ChangedOn     string // default today
	Note          string
}

// ChangeApplicationStatus moves a known application to a new status; the
// same status again is no change.
func (f *Family) ChangeApplicationStatus(in StatusInput, today domain.Date) ([]domain.Pending, error) {
	i := f.facts.application(in.ApplicationID)
	if i < 0 {
		return nil, domain.NotFoundError("no such application").With("application_id", in.ApplicationID)
	}
	a := f.facts.Applications[i]
	status, err := ParseStatus(in.Status)
	if err != nil {
		return nil, err
	}
	if status == a.Status {
		return nil, nil
	}
	changed := today
	if in.ChangedOn != "" {
		if changed, err = domain.ParseDate(in.ChangedOn, "changed_on"); err != nil {
			return nil, err
		}
	}
	if changed.After(today) {
		return nil, domain.RuleError(domain.CodeFutureDate, "changed_on", "a status cannot change in the future")
	}
	if changed.String() < a.SubmittedOn {
		return nil, domain.RuleError(domain.CodeInvalidDate, "changed_on", "a status cannot change before the application was submitted")
	}
	return pending(ApplicationStatusChanged{
		ApplicationID: a.ID, Status: string(status), Previous: string(a.Status), ChangedOn: changed.String(), Note: in.Note,
	}), nil
}

// PaymentInput is a benefit payment to record; PaymentID identifies it at
// its source.
type PaymentInput struct {
	PaymentID     string
	ApplicationID string
	AmountCents   int64
	PaidOn        string
}

// RecordBenefitPayment records a payment of a known application. The same
// payment id with the same facts again is no change; with other facts it is
// a conflict.
func (f *Family) RecordBenefitPayment(in PaymentInput, today domain.Date) ([]domain.Pending, error) {
	if id := strings.TrimSpace(in.PaymentID); id == "" || len(id) > 64 || id != in.PaymentID {
		return nil, domain.RuleError(CodeInvalidID, "payment_id", "the payment id is required (at most 64 characters, no spaces around)")
	}
	if in.AmountCents <= 0 {
		return nil, domain.RuleError(domain.CodeInvalidAmount, "amount_cents", "a payment is a positive amount of cents")
	}
	paid, err := domain.ParseDate(in.PaidOn, "paid_on")
	if err != nil {
		return nil, err
	}
	if paid.After(today) {
		return nil, domain.RuleError(domain.CodeFutureDate, "paid_on", "a payment cannot be made in the future")
	}
	i := f.facts.application(in.ApplicationID)
	if i < 0 {
		return nil, domain.RuleError(CodeUnknownApplication, "application_id", "the family has no such application").
			With("application_id", in.ApplicationID)
	}
	a := f.facts.Applications[i]
	if paid.String() < a.SubmittedOn {
		return nil, domain.RuleError(domain.CodeInvalidDate, "paid_on", "a payment cannot precede its application")
	}
	e := BenefitPaymentRecorded{PaymentID: in.PaymentID, ApplicationID: a.ID, Benefit: string(a.Benefit), AmountCents: in.AmountCents, PaidOn: paid.String()}
	for _, p := range f.facts.Payments {
		if p.ID == in.PaymentID {
			if p == (Payment{ID: e.PaymentID, ApplicationID: e.ApplicationID, Benefit: a.Benefit, AmountCents: e.AmountCents, PaidOn: e.PaidOn}) {
				return nil, nil
			}
			return nil, domain.ConflictError(domain.CodeAlreadyExists, "a payment with this id is recorded with other facts").With("payment_id", in.PaymentID)
		}
	}
	return pending(e), nil
}

// withField names the request field of an error that has none (ParseCF
// leaves it to the caller).
func withField(err error, field string) error {
	var de *domain.Error
	if errors.As(err, &de) && de.Field == "" {
		c := *de
		c.Field = field
		return &c
	}
	return err
}
