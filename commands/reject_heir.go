package commands

import (
	"context"

	"github.com/inps/libretto/domain"
)

// RejectHeir is an operator rejecting a claim: the claim is rejected and
// detached from the booklet, and a pending refund of it is rejected with its
// reservation released, in one atomic append.
func (h *Handler) RejectHeir(ctx context.Context, m Meta, c RejectHeir) (Result, error) {
	return h.decide(ctx, m, "RejectHeir", func(ctx context.Context, u *unit) (Result, error) {
		cl, err := u.claim(ctx, c.ClaimID)
		if err != nil {
			return Result{}, err
		}
		deceased, err := storedCF(cl.DeceasedCF())
		if err != nil {
			return Result{}, err
		}
		b, err := u.booklet(ctx, deceased)
		if err != nil {
			return Result{}, err
		}
		claim, booklet, err := cl.RejectHeir(b, c.Reason, u.m.ActorCF)
		if err != nil {
			return Result{}, err
		}
		if err := u.addTo(domain.ClaimStream(cl.ID()), claim); err != nil {
			return Result{}, err
		}
		if err := u.addTo(domain.BookletStream(deceased.String()), booklet); err != nil {
			return Result{}, err
		}
		pos, err := u.commit(ctx)
		return Result{Position: pos, ID: cl.ID()}, err
	})
}
