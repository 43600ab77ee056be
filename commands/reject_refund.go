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
		d := domain.Decide(domain.ClaimStream(cl.ID()), claim)
		d.Add(domain.BookletStream(cl.DeceasedCF()), booklet...)
		pos, err := u.apply(ctx, d)
		return Result{Position: pos, ID: c.RefundID}, err
	})
}
