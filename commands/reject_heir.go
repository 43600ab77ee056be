package commands

import "context"

// RejectHeir is an operator rejecting a claim: the claim is rejected and
// detached from the booklet, and a pending refund of it is rejected with its
// reservation released, in one atomic append.
func (h *Handler) RejectHeir(ctx context.Context, m Meta, c RejectHeir) (Result, error) {
	return h.decide(ctx, m, "RejectHeir", func(ctx context.Context, u *unit) (Result, error) {
		cl, err := u.claim(ctx, c.ClaimID)
		if err != nil {
			return Result{}, err
		}
		deceased, b, err := u.deceasedBooklet(ctx, cl)
		if err != nil {
			return Result{}, err
		}
		claim, booklet, err := cl.RejectHeir(b, c.Reason, u.m.ActorCF)
		if err != nil {
			return Result{}, err
		}
		return u.commitClaimAndBooklet(ctx, cl.ID(), deceased.String(), claim, booklet, cl.ID())
	})
}
