package commands

import (
	"context"
	"crypto/sha256"
	"encoding/binary"

	"github.com/inps/libretto/domain"
)

// noticeDraws bounds how many notice numbers one attempt draws before it
// gives up: a 13-digit base collides with a chance of one in 10^13 per
// notice already issued, so a second draw is already rare.
const noticeDraws = 8

// IssueNotice issues a pagoPA notice for the caller's own active booklet
// (ID = notice number). The number's base is drawn from the command's ids
// (random, or derived from the idempotency key, so that a retried request
// draws the same one) and checked against the notice streams: a number
// already issued is drawn again; the append expects the stream not to exist,
// so two racing requests cannot take one number.
func (h *Handler) IssueNotice(ctx context.Context, m Meta, c IssueNotice) (Result, error) {
	return h.decide(ctx, m, "IssueNotice", func(ctx context.Context, u *unit) (Result, error) {
		cf, err := u.actorCF("user_cf")
		if err != nil {
			return Result{}, err
		}
		b, err := u.booklet(ctx, cf)
		if err != nil {
			return Result{}, err
		}
		for range noticeDraws {
			id := u.ids.next()
			sum := sha256.Sum256(id[:])
			number := domain.NoticeNumberOf(binary.BigEndian.Uint64(sum[:8]))
			stream := domain.NoticeStream(number.String())
			if events, ok, err := u.replayed(ctx, stream); err != nil || ok {
				if err != nil {
					return Result{}, err
				}
				if first, err := firstOf[domain.PaymentNoticeIssued](stream, events); err == nil && first.UserCF == cf.String() && first.AmountCents == c.AmountCents {
					// This request's own notice, appended before its answer was lost.
					return Result{Position: events[0].Position, ID: first.NoticeNumber, AmountCents: first.AmountCents, ExpiresOn: first.ExpiresOn}, nil
				}
				continue
			}
			n, err := u.notice(ctx, number)
			if err != nil {
				return Result{}, err
			}
			if n.Exists() {
				continue
			}
			events, err := n.Issue(b, c.AmountCents, u.today)
			if err != nil {
				return Result{}, err
			}
			pos, err := u.apply(ctx, domain.Decide(stream, events))
			issued := events[0].Data.(domain.PaymentNoticeIssued)
			return Result{Position: pos, ID: issued.NoticeNumber, AmountCents: issued.AmountCents, ExpiresOn: issued.ExpiresOn}, err
		}
		return Result{}, domain.ConflictError(domain.CodeConcurrency, "no free notice number was drawn; try again")
	})
}
