package commands

import (
	"context"
	"fmt"

	"github.com/inps/libretto/domain"
)

// RegisterHeir opens the caller's claim on a deceased user's booklet. A
// will's bytes are stored once in the document store, keyed by SHA-256,
// before the events that carry only its reference are appended.
func (h *Handler) RegisterHeir(ctx context.Context, m Meta, c RegisterHeir) (Result, error) {
	return h.decide(ctx, m, "RegisterHeir", func(ctx context.Context, u *unit) (Result, error) {
		heir, err := u.actorCF("heir_cf")
		if err != nil {
			return Result{}, err
		}
		deceased, err := domain.ParseDeceased(c.DeceasedCF)
		if err != nil {
			return Result{}, err
		}
		var will *domain.Will
		if c.Will != nil {
			w, err := domain.CheckWill(c.Will.Filename, c.Will.Content)
			if err != nil {
				return Result{}, err
			}
			will = &w
		}
		b, err := u.booklet(ctx, deceased)
		if err != nil {
			return Result{}, err
		}
		id := u.newID()
		if events, ok, err := u.replayed(ctx, domain.ClaimStream(id)); ok || err != nil {
			return Result{Position: lastPosition(events[:min(1, len(events))]), ID: id}, err
		}
		booklet, claim, err := b.RegisterHeir(id, heir, domain.HeirInput{DeceasedCF: deceased.String(), DateOfDeath: c.DateOfDeath, HeirKind: c.HeirKind, Will: will}, u.today)
		if err != nil {
			return Result{}, err
		}
		if will != nil {
			if h.documents == nil {
				return Result{}, fmt.Errorf("commands: no document store for the will")
			}
			if !u.m.dryRun { // Check stores nothing
				if err := h.documents.Put(ctx, will.SHA256, will.ContentType, c.Will.Content); err != nil {
					return Result{}, fmt.Errorf("commands: store will: %w", err)
				}
			}
		}
		d := domain.Decide(domain.BookletStream(deceased.String()), booklet)
		d.Add(domain.ClaimStream(id), claim...)
		pos, err := u.apply(ctx, d)
		return Result{Position: pos, ID: id}, err
	})
}
