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
		return u.newService(ctx, s, "", func(w *domain.Worker, id string) (domain.ServiceDecision, error) {
			return b.RecordService(w, id, s, u.today)
		})
	})
}

// newService loads the worker of s, gives the service its id and appends
// what decide makes of them; a retry whose first attempt already appended
// the service gets that attempt's result instead of a second decision.
// claimID names the claim of a prior service, "" for the user's own.
func (u *unit) newService(ctx context.Context, s domain.Service, claimID string, decide func(w *domain.Worker, id string) (domain.ServiceDecision, error)) (Result, error) {
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
	return u.commitService(ctx, d, claimID)
}

// commitService appends a decided service to the booklet, the worker, the
// claim (prior services) and the service's locator.
func (u *unit) commitService(ctx context.Context, d domain.ServiceDecision, claimID string) (Result, error) {
	r := d.Recorded
	if err := u.addTo(domain.BookletStream(r.UserCF), d.Booklet); err != nil {
		return Result{}, err
	}
	if err := u.addTo(domain.WorkerStream(r.WorkerCF), d.Worker); err != nil {
		return Result{}, err
	}
	if claimID != "" {
		if err := u.addTo(domain.ClaimStream(claimID), d.Claim); err != nil {
			return Result{}, err
		}
	}
	if err := u.locate(domain.ServiceLocator(r.ServiceID), domain.ServiceLocated{ServiceID: r.ServiceID, UserCF: r.UserCF, ClaimID: claimID}); err != nil {
		return Result{}, err
	}
	pos, err := u.commit(ctx)
	return Result{Position: pos, ID: r.ServiceID}, err
}
