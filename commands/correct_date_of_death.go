package commands

import (
	"context"
	"slices"

	"github.com/inps/libretto/domain"
)

// CorrectDateOfDeath is an operator correcting a deceased's date of death on
// the booklet and on each of the deceased's claims, atomically.
func (h *Handler) CorrectDateOfDeath(ctx context.Context, m Meta, c CorrectDateOfDeath) (Result, error) {
	return h.decide(ctx, m, "CorrectDateOfDeath", func(ctx context.Context, u *unit) (Result, error) {
		deceased, err := domain.ParseDeceased(c.DeceasedCF)
		if err != nil {
			return Result{}, err
		}
		b, err := u.booklet(ctx, deceased)
		if err != nil {
			return Result{}, err
		}
		ids := b.ClaimIDs()
		slices.Sort(ids)
		claims := make([]*domain.Claim, 0, len(ids))
		for _, id := range ids {
			cl, err := u.claim(ctx, id)
			if err != nil {
				return Result{}, err
			}
			claims = append(claims, cl)
		}
		d, err := b.CorrectDateOfDeath(claims, c.DateOfDeath, c.Reason, u.m.ActorCF, u.today)
		if err != nil {
			return Result{}, err
		}
		pos, err := u.apply(ctx, d)
		return Result{Position: pos, ID: deceased.String()}, err
	})
}
