package commands

import (
	"context"

	"github.com/inps/libretto/domain"
)

// RegisterUser opens the caller's booklet; already_exists when it is open.
func (h *Handler) RegisterUser(ctx context.Context, m Meta, c RegisterUser) (Result, error) {
	return h.decide(ctx, m, "RegisterUser", func(ctx context.Context, u *unit) (Result, error) {
		cf, err := u.actorCF("user_cf")
		if err != nil {
			return Result{}, err
		}
		b, err := u.booklet(ctx, cf)
		if err != nil {
			return Result{}, err
		}
		events, err := b.RegisterUser()
		if err != nil {
			return Result{}, err
		}
		pos, err := u.apply(ctx, domain.Decide(domain.BookletStream(cf.String()), events))
		return Result{Position: pos, ID: cf.String()}, err
	})
}
