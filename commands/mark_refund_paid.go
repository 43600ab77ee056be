package commands

import (
	"context"

	"github.com/inps/libretto/domain"
)

// MarkRefundPaid records the bank transfer of an approved refund: the
// reserved amount becomes refunded on the booklet.
func (h *Handler) MarkRefundPaid(ctx context.Context, m Meta, c MarkRefundPaid) (Result, error) {
	return h.decide(ctx, m, "MarkRefundPaid", func(ctx context.Context, u *unit) (Result, error) {
		cl, b, err := u.refundAggregates(ctx, c.RefundID)
		if err != nil {
			return Result{}, err
		}
		claim, booklet, err := cl.MarkRefundPaid(b, c.RefundID, c.PaidOn, c.BankReference, u.m.ActorCF, u.today)
		if err != nil {
			return Result{}, err
		}
		d := domain.Decide(domain.ClaimStream(cl.ID()), claim)
		d.Add(domain.BookletStream(cl.DeceasedCF()), booklet...)
		pos, err := u.apply(ctx, d)
		return Result{Position: pos, ID: c.RefundID}, err
	})
}
