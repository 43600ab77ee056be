package commands

import (
	"context"
	"strings"

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
		_, b, err := u.deceasedBooklet(ctx, cl)
		if err != nil {
			return Result{}, err
		}
		// The reversals name the HeirRejected as their cause, so its id is
		// chosen here, among the attempt's ids, rather than by add.
		d, err := cl.RejectHeir(b, u.ids.next(), c.Reason, u.m.ActorCF)
		if err != nil {
			return Result{}, err
		}
		// The workers of the reversed prior services are loaded (for their
		// parties, and so that their appends expect the versions they have).
		for _, ch := range d.Changes {
			cf, ok := strings.CutPrefix(ch.Stream, domain.WorkerStream(""))
			if !ok {
				continue
			}
			wcf, err := storedCF(cf)
			if err != nil {
				return Result{}, err
			}
			if _, err := u.worker(ctx, wcf); err != nil {
				return Result{}, err
			}
		}
		pos, err := u.apply(ctx, d)
		return Result{Position: pos, ID: cl.ID()}, err
	})
}
