package commands

import (
	"context"

	"github.com/inps/libretto/domain"
)

// RecordDeposit records an F24 or pagoPA deposit on a user's booklet,
// available at once or, with status pending, once CreditDeposit credits it.
// The deposit's locator is appended with it, so that a credit naming only
// the deposit id finds the booklet. With a notice number it is the notice's
// payment (pay_notice.go).
func (h *Handler) RecordDeposit(ctx context.Context, m Meta, c RecordDeposit) (Result, error) {
	if c.NoticeNumber != "" {
		return h.payNotice(ctx, m, c)
	}
	return h.decide(ctx, m, "RecordDeposit", func(ctx context.Context, u *unit) (Result, error) {
		cf, err := parseCF(c.UserCF, "user_cf")
		if err != nil {
			return Result{}, err
		}
		b, err := u.booklet(ctx, cf)
		if err != nil {
			return Result{}, err
		}
		id := u.newID()
		if events, ok, err := u.replayed(ctx, domain.DepositLocator(id)); ok || err != nil {
			return Result{Position: lastPosition(events), ID: id}, err
		}
		events, err := b.RecordDeposit(domain.DepositInput{DepositID: id, AmountCents: c.AmountCents, Channel: c.Channel, PaidOn: c.PaidOn, Status: c.Status}, u.today)
		if err != nil {
			return Result{}, err
		}
		d := domain.Decide(domain.BookletStream(cf.String()), events)
		d.Add(domain.DepositLocator(id), domain.Pending{Data: domain.DepositLocated{DepositID: id, UserCF: cf.String()}})
		pos, err := u.apply(ctx, d)
		return Result{Position: pos, ID: id}, err
	})
}
