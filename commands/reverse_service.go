package commands

import "context"

// ReverseService is an operator compensating a recorded, unpaid service:
// booklet, worker and (for a prior service) claim get events naming the
// ServiceRecorded they compensate; funds and caps are released.
func (h *Handler) ReverseService(ctx context.Context, m Meta, c ReverseService) (Result, error) {
	return h.decide(ctx, m, "ReverseService", func(ctx context.Context, u *unit) (Result, error) {
		loc, err := u.locateService(ctx, c.ServiceID)
		if err != nil {
			return Result{}, err
		}
		b, rec, err := u.recordedService(ctx, loc)
		if err != nil {
			return Result{}, err
		}
		if rec.ClaimID != "" {
			if _, err := u.claim(ctx, rec.ClaimID); err != nil {
				return Result{}, err
			}
		}
		d, err := b.ReverseService(c.ServiceID, c.Reason, u.m.ActorCF)
		if err != nil {
			return Result{}, err
		}
		pos, err := u.apply(ctx, d)
		return Result{Position: pos, ID: c.ServiceID}, err
	})
}
