package commands

import (
	"context"

	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/domain/access"
)

// RequestRefund asks, through the caller's claim, for the whole available
// balance of the deceased's booklet; claim, booklet and the refund's locator
// are appended atomically, so two heirs racing for it cannot both win.
func (h *Handler) RequestRefund(ctx context.Context, m Meta, c RequestRefund) (Result, error) {
	return h.decide(ctx, m, "RequestRefund", func(ctx context.Context, u *unit) (Result, error) {
		cl, err := u.heirClaim(ctx, access.RequestRefund, c.ClaimID)
		if err != nil {
			return Result{}, err
		}
		deceased, b, err := u.deceasedBooklet(ctx, cl)
		if err != nil {
			return Result{}, err
		}
		id := u.newID()
		if events, ok, err := u.replayed(ctx, domain.RefundLocator(id)); ok || err != nil {
			var amount int64
			if r := cl.Snapshot().Refund; r != nil && r.RefundID == id {
				amount = r.AmountCents
			}
			return Result{Position: lastPosition(events), ID: id, AmountCents: amount}, err
		}
		claim, booklet, amount, err := cl.RequestRefund(b, id, c.IBAN)
		if err != nil {
			return Result{}, err
		}
		d := domain.Decide(domain.ClaimStream(cl.ID()), claim)
		d.Add(domain.BookletStream(deceased.String()), booklet...)
		d.Add(domain.RefundLocator(id), domain.Pending{Data: domain.RefundLocated{RefundID: id, ClaimID: cl.ID(), UserCF: deceased.String()}})
		pos, err := u.apply(ctx, d)
		return Result{Position: pos, ID: id, AmountCents: amount}, err
	})
}
