package commands

import (
	"context"
	"errors"
	"fmt"

	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/domain/family"
	"github.com/inps/libretto/eventstore"
)

// The Portale delle Famiglie commands: facts other INPS systems feed about a
// family (system role), each appended to family-<CF>. Recording a fact that
// is already known as it is appends nothing and answers the position of the
// family's last event, so a feed may resend freely.

// RecordISEE records an ISEE attestation of the family of FamilyCF.
type RecordISEE struct {
	FamilyCF       string
	ValueCents     int64
	Protocol       string
	DSUSubmittedOn string
	ValidUntil     string // optional: 31 December of the DSU's year
}

// RecordChild records (or updates) a child of the family.
type RecordChild struct {
	FamilyCF   string
	ChildCF    string
	BirthDate  string
	Disability string // none (default), media, grave, non_autosufficiente
}

// RecordApplication records an application, or the new status of a known one
// (ID = application id).
type RecordApplication struct {
	FamilyCF      string
	ApplicationID string
	Benefit       string
	ChildCF       string // optional
	SubmittedOn   string
	Status        string // default submitted
	ChangedOn     string // for a status change of a known application; default today
}

// ChangeApplicationStatus moves a known application to a new status.
type ChangeApplicationStatus struct {
	FamilyCF      string
	ApplicationID string
	Status        string
	ChangedOn     string // default today
	Note          string
}

// RecordBenefitPayment records a payment of an application (ID = payment
// id; a new one when PaymentID is empty).
type RecordBenefitPayment struct {
	FamilyCF      string
	PaymentID     string
	ApplicationID string
	AmountCents   int64
	PaidOn        string
}

// RecordISEE records an ISEE.
func (h *Handler) RecordISEE(ctx context.Context, m Meta, c RecordISEE) (Result, error) {
	return h.onFamily(ctx, m, "RecordISEE", c.FamilyCF, func(u *unit, f *family.Family) ([]domain.Pending, string, error) {
		events, err := f.RecordISEE(family.ISEEInput{
			ValueCents: c.ValueCents, Protocol: c.Protocol, DSUSubmittedOn: c.DSUSubmittedOn, ValidUntil: c.ValidUntil,
		}, u.today)
		return events, "", err
	})
}

// RecordChild records a child.
func (h *Handler) RecordChild(ctx context.Context, m Meta, c RecordChild) (Result, error) {
	return h.onFamily(ctx, m, "RecordChild", c.FamilyCF, func(u *unit, f *family.Family) ([]domain.Pending, string, error) {
		events, err := f.RecordChild(family.ChildInput{ChildCF: c.ChildCF, BirthDate: c.BirthDate, Disability: c.Disability}, u.today)
		return events, "", err
	})
}

// RecordApplication records an application or its new status.
func (h *Handler) RecordApplication(ctx context.Context, m Meta, c RecordApplication) (Result, error) {
	return h.onFamily(ctx, m, "RecordApplication", c.FamilyCF, func(u *unit, f *family.Family) ([]domain.Pending, string, error) {
		events, err := f.RecordApplication(family.ApplicationInput{
			ApplicationID: c.ApplicationID, Benefit: c.Benefit, ChildCF: c.ChildCF,
			SubmittedOn: c.SubmittedOn, Status: c.Status, ChangedOn: c.ChangedOn,
		}, u.today)
		return events, c.ApplicationID, err
	})
}

// ChangeApplicationStatus changes an application's status.
func (h *Handler) ChangeApplicationStatus(ctx context.Context, m Meta, c ChangeApplicationStatus) (Result, error) {
	return h.onFamily(ctx, m, "ChangeApplicationStatus", c.FamilyCF, func(u *unit, f *family.Family) ([]domain.Pending, string, error) {
		events, err := f.ChangeApplicationStatus(family.StatusInput{
			ApplicationID: c.ApplicationID, Status: c.Status, ChangedOn: c.ChangedOn, Note: c.Note,
		}, u.today)
		return events, c.ApplicationID, err
	})
}

// RecordBenefitPayment records a benefit payment.
func (h *Handler) RecordBenefitPayment(ctx context.Context, m Meta, c RecordBenefitPayment) (Result, error) {
	return h.onFamily(ctx, m, "RecordBenefitPayment", c.FamilyCF, func(u *unit, f *family.Family) ([]domain.Pending, string, error) {
		id := c.PaymentID
		if id == "" {
			id = u.newID()
		}
		events, err := f.RecordBenefitPayment(family.PaymentInput{
			PaymentID: id, ApplicationID: c.ApplicationID, AmountCents: c.AmountCents, PaidOn: c.PaidOn,
		}, u.today)
		return events, id, err
	})
}

// onFamily loads the family of cf, lets decide choose its events and appends
// them with the family's version as expectation. No events answers the
// position of the family's last event.
func (h *Handler) onFamily(ctx context.Context, m Meta, name, familyCF string,
	decide func(u *unit, f *family.Family) (events []domain.Pending, id string, err error)) (Result, error) {
	return h.decide(ctx, m, name, func(ctx context.Context, u *unit) (Result, error) {
		cf, err := parseCF(familyCF, "family_cf")
		if err != nil {
			return Result{}, err
		}
		stream := domain.FamilyStream(cf.String())
		f := family.New(cf)
		stored, err := u.h.store.ReadStream(ctx, stream, eventstore.ReadOptions{})
		if err != nil && !errors.Is(err, eventstore.ErrStreamNotFound) {
			return Result{}, fmt.Errorf("commands: read %s: %w", stream, err)
		}
		var last int64
		for _, e := range stored {
			data, err := domain.Decode(e.Type, e.SchemaVersion, e.Data)
			if err != nil {
				data = nil // a newer writer's event: it still advances the version
			}
			f.Apply(domain.Recorded{ID: e.ID, Version: e.Version, At: e.RecordedAt, Data: data})
			last = e.Position
		}
		events, id, err := decide(u, f)
		if err != nil {
			return Result{}, err
		}
		if len(events) == 0 {
			return Result{Position: last, ID: id}, nil
		}
		u.readAt(stream, f.Version())
		pos, err := u.apply(ctx, domain.Decide(stream, events))
		return Result{Position: pos, ID: id}, err
	})
}
