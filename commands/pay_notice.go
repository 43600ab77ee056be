package commands

import (
	"context"

	"github.com/inps/libretto/domain"
)

// payNotice records the pagoPA payment of a notice (RecordDeposit with a
// notice number): the user comes from the notice; the notice's payment, the
// booklet's deposit and the deposit's locator are appended together, each
// stream at its expected version, so a notice is paid once.
func (h *Handler) payNotice(ctx context.Context, m Meta, c RecordDeposit) (Result, error) {
	return h.decide(ctx, m, "RecordDeposit", func(ctx context.Context, u *unit) (Result, error) {
		number, err := domain.ParseNoticeNumber(c.NoticeNumber, "notice_number")
		if err != nil {
			return Result{}, err
		}
		var named string
		if c.UserCF != "" {
			cf, err := parseCF(c.UserCF, "user_cf")
			if err != nil {
				return Result{}, err
			}
			named = cf.String()
		}
		n, err := u.notice(ctx, number)
		if err != nil {
			return Result{}, err
		}
		if !n.Exists() {
			return Result{}, domain.NotFoundError("no such notice")
		}
		owner, err := storedCF(n.Issued().UserCF)
		if err != nil {
			return Result{}, err
		}
		b, err := u.booklet(ctx, owner)
		if err != nil {
			return Result{}, err
		}
		id := u.newID()
		if events, ok, err := u.replayed(ctx, domain.DepositLocator(id)); ok || err != nil {
			return Result{Position: lastPosition(events), ID: id}, err
		}
		notice, booklet, err := n.Pay(b, domain.NoticePayment{
			DepositID: id, UserCF: named, AmountCents: c.AmountCents, Channel: c.Channel, PaidOn: c.PaidOn, Status: c.Status,
		}, u.today)
		if err != nil {
			return Result{}, err
		}
		d := domain.Decide(domain.NoticeStream(number.String()), notice)
		d.Add(domain.BookletStream(owner.String()), booklet...)
		d.Add(domain.DepositLocator(id), domain.Pending{Data: domain.DepositLocated{DepositID: id, UserCF: owner.String()}})
		pos, err := u.apply(ctx, d)
		return Result{Position: pos, ID: id}, err
	})
}
