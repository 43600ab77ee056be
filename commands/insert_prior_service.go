package commands

import (
	"context"

	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/domain/access"
)

// InsertPriorService records, through the caller's claim, a service the
// deceased received before dying: on the deceased's booklet (with the claim
// and the heir), the worker, the claim and the service's locator at once.
func (h *Handler) InsertPriorService(ctx context.Context, m Meta, c InsertPriorService) (Result, error) {
	return h.decide(ctx, m, "InsertPriorService", func(ctx context.Context, u *unit) (Result, error) {
		cl, err := u.heirClaim(ctx, access.InsertPriorService, c.ClaimID)
		if err != nil {
			return Result{}, err
		}
		s, err := domain.ParseService(domain.ServiceInput{
			WorkerCF: c.WorkerCF, Activity: c.Activity, StartDate: c.StartDate, EndDate: c.EndDate,
			Hours: c.Hours, Vouchers: c.Vouchers, Declared: c.NoKnownEmployment,
		})
		if err != nil {
			return Result{}, err
		}
		_, b, err := u.deceasedBooklet(ctx, cl)
		if err != nil {
			return Result{}, err
		}
		return u.newService(ctx, s, func(w *domain.Worker, id string) (domain.Decision, error) {
			return cl.InsertPriorService(b, w, id, s, u.today)
		})
	})
}
