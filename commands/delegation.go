package commands

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/domain/access"
	"github.com/inps/libretto/eventstore"
)

// GrantDelegation gives a delegation of the caller's (SPEC §9): on the
// caller's delegations-<CF> stream and, in the same append, on the
// delegate's index delegate-<CF>.
func (h *Handler) GrantDelegation(ctx context.Context, m Meta, c GrantDelegation) (Result, error) {
	return h.decide(ctx, m, "GrantDelegation", func(ctx context.Context, u *unit) (Result, error) {
		grantor, err := u.actorCF("grantor_cf")
		if err != nil {
			return Result{}, err
		}
		delegate, err := parseCF(c.DelegateCF, "delegate_cf")
		if err != nil {
			return Result{}, err
		}
		g, err := u.delegations(ctx, grantor)
		if err != nil {
			return Result{}, err
		}
		id := u.newID()
		if d, ok := g.Get(id); ok { // a retry whose first attempt was stored
			return Result{Position: 0, ID: d.DelegationID}, nil
		}
		granted, err := g.Grant(id, delegate, c.Scope, c.ExpiresOn, u.today)
		if err != nil {
			return Result{}, err
		}
		x, err := u.received(ctx, delegate)
		if err != nil {
			return Result{}, err
		}
		d := domain.Decide(domain.DelegationsStream(grantor.String()), granted)
		d.Add(domain.DelegateStream(delegate.String()), x.Receive(granted[0].Data.(domain.DelegationGranted))...)
		pos, err := u.apply(ctx, d)
		return Result{Position: pos, ID: id}, err
	})
}

// RevokeDelegation ends one of the caller's delegations; another person's
// is not found.
func (h *Handler) RevokeDelegation(ctx context.Context, m Meta, c RevokeDelegation) (Result, error) {
	return h.decide(ctx, m, "RevokeDelegation", func(ctx context.Context, u *unit) (Result, error) {
		grantor, err := u.actorCF("grantor_cf")
		if err != nil {
			return Result{}, err
		}
		g, err := u.delegations(ctx, grantor)
		if err != nil {
			return Result{}, err
		}
		events, err := g.Revoke(c.DelegationID, u.today)
		if err != nil {
			return Result{}, err
		}
		pos, err := u.apply(ctx, domain.Decide(domain.DelegationsStream(grantor.String()), events))
		return Result{Position: pos, ID: c.DelegationID}, err
	})
}

func (u *unit) delegations(ctx context.Context, grantor domain.CF) (*domain.Delegations, error) {
	a, err := u.load(ctx, domain.DelegationsStream(grantor.String()), func() versionedApplier { return domain.NewDelegations(grantor) })
	if err != nil {
		return nil, err
	}
	return a.(*domain.Delegations), nil
}

func (u *unit) received(ctx context.Context, delegate domain.CF) (*domain.Received, error) {
	a, err := u.load(ctx, domain.DelegateStream(delegate.String()), func() versionedApplier { return domain.NewReceived(delegate) })
	if err != nil {
		return nil, err
	}
	return a.(*domain.Received), nil
}

// readDelegations folds grantor's delegations from the event store, not
// the cache: a revocation counts the instant it is stored.
func (h *Handler) readDelegations(ctx context.Context, grantor domain.CF) (*domain.Delegations, error) {
	g := domain.NewDelegations(grantor)
	events, err := h.store.ReadStream(ctx, domain.DelegationsStream(grantor.String()), eventstore.ReadOptions{})
	if err != nil && !errors.Is(err, eventstore.ErrStreamNotFound) {
		return nil, fmt.Errorf("commands: read delegations: %w", err)
	}
	applyStored(g, events)
	return g, nil
}

// ActiveDelegation is the delegation from grantor to delegate that is
// neither revoked nor expired at now (Europe/Rome's day), if any. The API
// and the portal resolve X-On-Behalf-Of and the person switch with it;
// invalid codici fiscali have none.
func (h *Handler) ActiveDelegation(ctx context.Context, grantorCF, delegateCF string, now time.Time) (domain.Delegation, bool, error) {
	grantor, err1 := domain.ParseCF(grantorCF)
	delegate, err2 := domain.ParseCF(delegateCF)
	if err1 != nil || err2 != nil {
		return domain.Delegation{}, false, nil
	}
	g, err := h.readDelegations(ctx, grantor)
	if err != nil {
		return domain.Delegation{}, false, err
	}
	today := domain.DateOf(now, rome)
	for _, d := range g.All() {
		if d.DelegateCF == delegate.String() && d.Active(today) {
			return d, true, nil
		}
	}
	return domain.Delegation{}, false, nil
}

// ActFor resolves a delegate's acting for person in action a (SPEC §9):
// only as a citizen (one of roles), for an action a delegate may do, under
// a delegation of person's to delegate active at now whose scopes hold the
// action's. It returns the delegation's scopes; ok is false for anything
// else, which the caller treats as a stranger's request (404). The API's
// X-On-Behalf-Of and the portal's person switch both resolve through it,
// on every request, so a revocation or an expiry counts at once.
func (h *Handler) ActFor(ctx context.Context, a access.Action, roles []access.Role, delegateCF, personCF string, now time.Time) (scopes []string, ok bool, err error) {
	if _, ok := access.Gate(a, []access.Role{access.Citizen}); !ok || !slices.Contains(roles, access.Citizen) {
		return nil, false, nil
	}
	scope, ok := access.ScopeOf(a)
	if !ok {
		return nil, false, nil
	}
	d, ok, err := h.ActiveDelegation(ctx, personCF, delegateCF, now)
	if err != nil || !ok || !slices.Contains(d.Scope, string(scope)) {
		return nil, false, err
	}
	return d.Scope, true, nil
}

// Delegations lists the delegations cf granted and those cf received, as
// they stand (revoked and expired ones included, for the record).
func (h *Handler) Delegations(ctx context.Context, cfString string) (granted, received []domain.Delegation, err error) {
	cf, err := domain.ParseCF(cfString)
	if err != nil {
		return nil, nil, nil
	}
	g, err := h.readDelegations(ctx, cf)
	if err != nil {
		return nil, nil, err
	}
	granted = g.All()
	x := domain.NewReceived(cf)
	events, err := h.store.ReadStream(ctx, domain.DelegateStream(cf.String()), eventstore.ReadOptions{})
	if err != nil && !errors.Is(err, eventstore.ErrStreamNotFound) {
		return nil, nil, fmt.Errorf("commands: read received delegations: %w", err)
	}
	applyStored(x, events)
	for _, grantorCF := range x.Grantors() {
		other, err := storedCF(grantorCF)
		if err != nil {
			return nil, nil, err
		}
		og, err := h.readDelegations(ctx, other)
		if err != nil {
			return nil, nil, err
		}
		for _, d := range og.All() {
			if d.DelegateCF == cf.String() {
				received = append(received, d)
			}
		}
	}
	return granted, received, nil
}
