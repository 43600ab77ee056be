package commands

import (
	"context"

	"github.com/inps/libretto/domain"
)

// RecordService records a service on the caller's booklet: booklet, worker
// and the service's locator are appended in one atomic append.
func (h *Handler) RecordService(ctx context.Context, m Meta, c RecordService) (Result, error) {
	return h.decide(ctx, m, "RecordService", func(ctx context.Context, u *unit) (Result, error) {
		user, err := u.actorCF("user_cf")
		if err != nil {
			return Result{}, err
		}
		s, err := domain.ParseService(domain.ServiceInput{
			WorkerCF: c.WorkerCF, Activity: c.Activity, StartDate: c.StartDate, EndDate: c.EndDate,
			Hours: c.Hours, Vouchers: c.Vouchers, Declared: c.NoRecentEmployment,
		})
		if err != nil {
			return Result{}, err
		}
		b, err := u.booklet(ctx, user)
		if err != nil {
			return Result{}, err
		}
		return u.newService(ctx, s, func(w *domain.Worker, id string) (domain.Decision, error) {
			return b.RecordService(w, id, s, u.today)
		})
	})
}

// newService loads the worker of s, gives the service its id and appends
// what decide makes of them; a retry whose first attempt already appended
// the service gets that attempt's result instead of a second decision.
func (u *unit) newService(ctx context.Context, s domain.Service, decide func(w *domain.Worker, id string) (domain.Decision, error)) (Result, error) {
	w, err := u.worker(ctx, s.Worker)
	if err != nil {
		return Result{}, err
	}
	id := u.newID()
	if events, ok, err := u.replayed(ctx, domain.ServiceLocator(id)); ok || err != nil {
		return Result{Position: lastPosition(events), ID: id}, err
	}
	d, err := decide(w, id)
	if err != nil {
		return Result{}, err
	}
	pos, err := u.apply(ctx, d)
	return Result{Position: pos, ID: id}, err
}
