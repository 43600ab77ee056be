package commands

import (
	"context"

	"github.com/inps/libretto/domain"
)

// ApproveRefund is an operator approving a refund; its claim must be validated.
func (h *Handler) ApproveRefund(ctx context.Context, m Meta, c ApproveRefund) (Result, error) {
	return h.decide(ctx, m, "ApproveRefund", func(ctx context.Context, u *unit) (Result, error) {
		loc, err := u.locateRefund(ctx, c.RefundID)
		if err != nil {
			return Result{}, err
		}
		cl, err := u.claim(ctx, loc.ClaimID)
		if err != nil {
			return Result{}, err
		}
		// Loaded for its parties, as in ValidateHeir.
		if _, _, err := u.deceasedBooklet(ctx, cl); err != nil {
			return Result{}, err
		}
		events, err := cl.ApproveRefund(c.RefundID, u.m.ActorCF)
		if err != nil {
			return Result{}, err
		}
		pos, err := u.apply(ctx, domain.Decide(domain.ClaimStream(cl.ID()), events))
		return Result{Position: pos, ID: c.RefundID}, err
	})
}
