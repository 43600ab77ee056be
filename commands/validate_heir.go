package commands

import (
	"context"

	"github.com/inps/libretto/domain"
)

// ValidateHeir is an operator accepting a claim's declaration.
func (h *Handler) ValidateHeir(ctx context.Context, m Meta, c ValidateHeir) (Result, error) {
	return h.decide(ctx, m, "ValidateHeir", func(ctx context.Context, u *unit) (Result, error) {
		cl, err := u.claim(ctx, c.ClaimID)
		if err != nil {
			return Result{}, err
		}
		// Loaded for its parties: an heir of the same booklet has an
		// interest in every claim on it (conflict_of_interest).
		if _, _, err := u.deceasedBooklet(ctx, cl); err != nil {
			return Result{}, err
		}
		events, err := cl.ValidateHeir(c.Note, u.m.ActorCF)
		if err != nil {
			return Result{}, err
		}
		pos, err := u.apply(ctx, domain.Decide(domain.ClaimStream(cl.ID()), events))
		return Result{Position: pos, ID: cl.ID()}, err
	})
}
