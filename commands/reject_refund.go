package commands

import (
	"context"

	"github.com/inps/libretto/domain"
)

// RejectRefund is an operator rejecting a requested or approved refund; the
// reservation returns to the booklet in the same append.
func (h *Handler) RejectRefund(ctx context.Context, m Meta, c RejectRefund) (Result, error) {
	return h.decide(ctx, m, "RejectRefund", func(ctx context.Context, u *unit) (Result, error) {
		cl, b, err := u.refundAggregates(ctx, c.RefundID)
		if err != nil {
			return Result{}, err
		}
		claim, booklet, err := cl.RejectRefund(b, c.RefundID, c.Reason, u.m.ActorCF)
		if err != nil {
			return Result{}, err
		}
		return u.commitClaimAndBooklet(ctx, cl.ID(), cl.DeceasedCF(), claim, booklet, c.RefundID)
	})
}

// refundAggregates loads the claim and the booklet of a refund id.
func (u *unit) refundAggregates(ctx context.Context, refundID string) (*domain.Claim, *domain.Booklet, error) {
	loc, err := u.locateRefund(ctx, refundID)
	if err != nil {
		return nil, nil, err
	}
	cl, err := u.claim(ctx, loc.ClaimID)
	if err != nil {
		return nil, nil, err
	}
	_, b, err := u.deceasedBooklet(ctx, cl)
	if err != nil {
		return nil, nil, err
	}
	return cl, b, nil
}
