package commands

import (
	"context"

	"github.com/inps/libretto/domain"
)

// RegisterWorker registers the caller as a worker with an optional IBAN and
// a category (default altro); already_exists when registered.
func (h *Handler) RegisterWorker(ctx context.Context, m Meta, c RegisterWorker) (Result, error) {
	return h.decide(ctx, m, "RegisterWorker", func(ctx context.Context, u *unit) (Result, error) {
		cf, err := u.actorCF("worker_cf")
		if err != nil {
			return Result{}, err
		}
		w, err := u.worker(ctx, cf)
		if err != nil {
			return Result{}, err
		}
		events, err := w.RegisterWorker(c.IBAN, c.Category)
		if err != nil {
			return Result{}, err
		}
		pos, err := u.apply(ctx, domain.Decide(domain.WorkerStream(cf.String()), events))
		return Result{Position: pos, ID: cf.String()}, err
	})
}
