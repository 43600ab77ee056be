package commands

import (
	"context"

	"github.com/inps/libretto/domain"
)

// CreditDeposit makes a pending deposit available on its booklet (system):
// not_found for an unknown deposit, deposit_already_credited for one
// credited at once or already credited.
func (h *Handler) CreditDeposit(ctx context.Context, m Meta, c CreditDeposit) (Result, error) {
	return h.decide(ctx, m, "CreditDeposit", func(ctx context.Context, u *unit) (Result, error) {
		loc, err := u.locateDeposit(ctx, c.DepositID)
		if err != nil {
			return Result{}, err
		}
		userCF, err := storedCF(loc.UserCF)
		if err != nil {
			return Result{}, err
		}
		b, err := u.booklet(ctx, userCF)
		if err != nil {
			return Result{}, err
		}
		events, err := b.CreditDeposit(c.DepositID, u.today)
		if err != nil {
			return Result{}, err
		}
		pos, err := u.apply(ctx, domain.Decide(domain.BookletStream(userCF.String()), events))
		return Result{Position: pos, ID: c.DepositID}, err
	})
}
