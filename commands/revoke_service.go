package commands

import (
	"context"

	"github.com/inps/libretto/domain/access"
)

// RevokeService withdraws one of the caller's recorded, unpaid services
// until its deadline; the worker stops counting it.
func (h *Handler) RevokeService(ctx context.Context, m Meta, c RevokeService) (Result, error) {
	return h.decide(ctx, m, "RevokeService", func(ctx context.Context, u *unit) (Result, error) {
		loc, err := u.locateService(ctx, c.ServiceID)
		if err != nil {
			return Result{}, err
		}
		if err := u.mayAct(access.RevokeService, access.Parties{Owner: loc.UserCF}, "no such service"); err != nil {
			return Result{}, err
		}
		b, _, err := u.recordedService(ctx, loc)
		if err != nil {
			return Result{}, err
		}
		d, err := b.RevokeService(c.ServiceID, u.today)
		if err != nil {
			return Result{}, err
		}
		pos, err := u.apply(ctx, d)
		return Result{Position: pos, ID: c.ServiceID}, err
	})
}
