package commands

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/eventstore"
)

// ChangeContacts gives the caller's e-mail address and optional phone
// number (SPEC §9); a 6-digit code goes to the address (ID = "").
type ChangeContacts struct {
	Email string
	Phone string
}

// VerifyContacts types back the code sent to the caller's address.
type VerifyContacts struct {
	Code string
}

// CodeSender delivers a verification code to an e-mail address. key
// identifies the sending (the ContactsChanged event's id), so that sending
// twice for one key sends once. It is called after the event is stored; a
// failure is the command's error, and giving the address again sends a new
// code.
type CodeSender interface {
	SendCode(ctx context.Context, key uuid.UUID, cf, email, code string, expires time.Time) error
}

// SetCodeSender sets how verification codes reach people. Without one a
// code is stored (hashed) but goes nowhere.
func (h *Handler) SetCodeSender(s CodeSender) { h.codes = s }

// ChangeContacts records the caller's contact data and sends a fresh code
// to a new address. The code is drawn here, never stored in clear: the event
// holds a salt and a hash.
func (h *Handler) ChangeContacts(ctx context.Context, m Meta, c ChangeContacts) (Result, error) {
	var sent struct {
		key     uuid.UUID
		cf      string
		email   string
		code    string
		expires time.Time
	}
	res, err := h.decide(ctx, m, "ChangeContacts", func(ctx context.Context, u *unit) (Result, error) {
		cf, err := u.actorCF("email")
		if err != nil {
			return Result{}, err
		}
		p, err := u.person(ctx, cf)
		if err != nil {
			return Result{}, err
		}
		code, salt, err := newContactCode()
		if err != nil {
			return Result{}, err
		}
		events, needsCode, err := p.ChangeContacts(c.Email, c.Phone, salt, domain.HashContactCode(salt, code), m.Now)
		if err != nil {
			return Result{}, err
		}
		events[0].ID = u.ids.next() // the code's sending is keyed by it
		pos, err := u.apply(ctx, domain.Decide(domain.PersonStream(cf.String()), events))
		if err == nil && needsCode && !m.dryRun { // a dry run sends nothing
			ev := events[0].Data.(domain.ContactsChanged)
			sent.key, sent.cf, sent.email, sent.code, sent.expires = events[0].ID, cf.String(), ev.Email, code, ev.ExpiresAt
		}
		return Result{Position: pos}, err
	})
	if err != nil || sent.code == "" || h.codes == nil {
		return res, err
	}
	if err := h.codes.SendCode(ctx, sent.key, sent.cf, sent.email, sent.code, sent.expires); err != nil {
		return Result{}, fmt.Errorf("commands: send the verification code: %w", err)
	}
	return res, nil
}

// VerifyContacts checks the code typed back. A wrong code is recorded, so
// the fifth uses it up, and the command answers invalid_code with the tries
// left.
func (h *Handler) VerifyContacts(ctx context.Context, m Meta, c VerifyContacts) (Result, error) {
	res, err := h.decide(ctx, m, "VerifyContacts", func(ctx context.Context, u *unit) (Result, error) {
		cf, err := u.actorCF("code")
		if err != nil {
			return Result{}, err
		}
		p, err := u.person(ctx, cf)
		if err != nil {
			return Result{}, err
		}
		events, refusal := p.VerifyContacts(c.Code, m.Now)
		if len(events) == 0 {
			return Result{}, refusal
		}
		pos, err := u.apply(ctx, domain.Decide(domain.PersonStream(cf.String()), events))
		if err != nil || refusal == nil {
			return Result{Position: pos}, err
		}
		// A wrong code is stored and still refused. The refusal rides in
		// the result, not as the error: decide would decide a refusal again
		// (recording a second wrong try), and a retry under the same
		// Idempotency-Key must be refused alike.
		var de *domain.Error
		left := 0
		if errors.As(refusal, &de) {
			left, _ = de.Facts["tries_left"].(int)
		}
		return Result{Position: pos, ID: fmt.Sprintf("%s%d", wrongCodePrefix, left)}, nil
	})
	if err == nil && strings.HasPrefix(res.ID, wrongCodePrefix) {
		left, _ := strconv.Atoi(strings.TrimPrefix(res.ID, wrongCodePrefix))
		return Result{}, domain.RuleError(domain.CodeInvalidCode, "code", "the code is not the one sent to your e-mail address").With("tries_left", left)
	}
	return res, err
}

// wrongCodePrefix marks the result of a wrong code (see VerifyContacts).
const wrongCodePrefix = "invalid_code:"

// Contacts reads a person's contact data from their stream.
func (h *Handler) Contacts(ctx context.Context, cf string, now time.Time) (domain.ContactsView, error) {
	id, err := domain.ParseCF(cf)
	if err != nil {
		return domain.ContactsView{}, domain.NotFoundError("no such person")
	}
	p := domain.NewPerson(id)
	events, err := h.store.ReadStream(ctx, domain.PersonStream(id.String()), eventstore.ReadOptions{})
	if err != nil && !errors.Is(err, eventstore.ErrStreamNotFound) {
		return domain.ContactsView{}, fmt.Errorf("commands: read contacts: %w", err)
	}
	applyStored(p, events)
	return p.View(now), nil
}

// person loads the person-<CF> stream.
func (u *unit) person(ctx context.Context, cf domain.CF) (*domain.Person, error) {
	a, err := u.load(ctx, domain.PersonStream(cf.String()), func() versionedApplier { return domain.NewPerson(cf) })
	if err != nil {
		return nil, err
	}
	return a.(*domain.Person), nil
}

// newContactCode draws a uniform 6-digit code and a 16-byte salt.
func newContactCode() (code, saltHex string, err error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", "", fmt.Errorf("commands: draw a code: %w", err)
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", "", fmt.Errorf("commands: draw a salt: %w", err)
	}
	return fmt.Sprintf("%06d", n.Int64()), hex.EncodeToString(salt), nil
}
