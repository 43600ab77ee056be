package commands

import (
	"context"

	"github.com/inps/libretto/domain"
)

// RejectHeir is an operator rejecting a claim: the claim is rejected and
// detached from the booklet, a pending refund of it is rejected with its
// reservation released, and every unpaid prior service of it is reversed on
// the booklet and on its worker, in one atomic append.
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
		// The reversals name the HeirRejected as their cause, so its id is
		// chosen here, among the attempt's ids, rather than by add.
		r, err := cl.RejectHeir(b, u.ids.next(), c.Reason, u.m.ActorCF)
		if err != nil {
			return Result{}, err
		}
		// The claim first: its HeirRejected, the cause, takes the lowest position.
		if err := u.addTo(domain.ClaimStream(cl.ID()), r.Claim); err != nil {
			return Result{}, err
		}
		if err := u.addTo(domain.BookletStream(deceased.String()), r.Booklet); err != nil {
			return Result{}, err
		}
		for _, cf := range sortedKeys(r.Workers) {
			wcf, err := storedCF(cf)
			if err != nil {
				return Result{}, err
			}
			if _, err := u.worker(ctx, wcf); err != nil {
				return Result{}, err
			}
			if err := u.addTo(domain.WorkerStream(cf), r.Workers[cf]); err != nil {
				return Result{}, err
			}
		}
		pos, err := u.commit(ctx)
		return Result{Position: pos, ID: cl.ID()}, err
	})
}
