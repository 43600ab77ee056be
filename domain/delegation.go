package domain

import (
	"slices"
	"sort"
)

// Delegations (SPEC §9): a citizen lets another person — a relative, a
// patronato's employee — act for them, within a scope and until a day.
//
// Streams: delegations-<grantor CF> holds every delegation the grantor gave
// and its revocation, so that the delegations a request may rest on are one
// stream read, always current (a revocation takes effect with its append,
// no read model lags behind it); delegate-<delegate CF> is an index of the
// delegations a person received (the grantor and the id), written in the
// same atomic append as the grant, so that a delegate can list them.

// Event types of delegations.
const (
	TypeDelegationGranted  = "DelegationGranted"  // delegations-<grantor CF>
	TypeDelegationRevoked  = "DelegationRevoked"  // delegations-<grantor CF>
	TypeDelegationReceived = "DelegationReceived" // delegate-<delegate CF>: the index
)

// DelegationsStream is the stream of the delegations cf granted.
func DelegationsStream(grantorCF string) string { return "delegations-" + grantorCF }

// DelegateStream is the index of the delegations cf received.
func DelegateStream(delegateCF string) string { return "delegate-" + delegateCF }

// Scope is what a delegation lets its delegate do.
type Scope string

// The scopes (SPEC §9).
const (
	// ScopeLibretto: the grantor's booklet — recording and revoking
	// services, the dashboard, pagoPA notices.
	ScopeLibretto Scope = "libretto"
	// ScopeEredi: the grantor's heir claims — registering them, reading
	// them and their history, the deceased's booklet, refunds and prior
	// services.
	ScopeEredi Scope = "eredi"
)

// Scopes are every scope.
var Scopes = []Scope{ScopeLibretto, ScopeEredi}

// Codes of delegations.
const (
	CodeInvalidScope    = "invalid_scope"    // a scope other than libretto and eredi, or none
	CodeInvalidDelegate = "invalid_delegate" // a delegation to oneself
)

// MaxDelegationYears bounds how far ahead a delegation may expire: a
// patronato's mandate is renewed, not given for life.
const MaxDelegationYears = 5

// DelegationGranted is a delegation given by GrantorCF to DelegateCF.
type DelegationGranted struct {
	DelegationID string   `json:"delegation_id"`
	GrantorCF    string   `json:"grantor_cf"`
	DelegateCF   string   `json:"delegate_cf"`
	Scope        []string `json:"scope"`
	ExpiresOn    string   `json:"expires_on"` // the last day it may be used
	GrantedOn    string   `json:"granted_on"`
}

// DelegationRevoked ends a delegation before its expiry.
type DelegationRevoked struct {
	DelegationID string `json:"delegation_id"`
	RevokedOn    string `json:"revoked_on"`
}

// DelegationReceived indexes a delegation on its delegate's stream.
type DelegationReceived struct {
	DelegationID string `json:"delegation_id"`
	GrantorCF    string `json:"grantor_cf"`
}

func (DelegationGranted) EventType() string  { return TypeDelegationGranted }
func (DelegationRevoked) EventType() string  { return TypeDelegationRevoked }
func (DelegationReceived) EventType() string { return TypeDelegationReceived }

// Delegation is one delegation as it stands.
type Delegation struct {
	DelegationGranted
	Revoked   bool
	RevokedOn string
}

// Covers reports whether d lets its delegate act in scope s on day today:
// not revoked, not past its expiry, and s among its scopes.
func (d Delegation) Covers(s Scope, today Date) bool {
	if d.Revoked || !slices.Contains(d.Scope, string(s)) {
		return false
	}
	exp, err := ParseDate(d.ExpiresOn, "")
	return err == nil && !today.After(exp)
}

// Active reports whether d is neither revoked nor expired on today.
func (d Delegation) Active(today Date) bool { return d.Status(today) == DelegationActiveState }

// DelegationStatus is where a delegation stands on a day.
type DelegationStatus struct{ s string }

// The delegation statuses.
var (
	DelegationActiveState  = DelegationStatus{"active"}
	DelegationExpiredState = DelegationStatus{"expired"}
	DelegationRevokedState = DelegationStatus{"revoked"}
)

func (s DelegationStatus) String() string { return s.s }

// Status is d's status on today: revoked, else expired after its expiry
// day, else active.
func (d Delegation) Status(today Date) DelegationStatus {
	if d.Revoked {
		return DelegationRevokedState
	}
	if exp, err := ParseDate(d.ExpiresOn, ""); err != nil || today.After(exp) {
		return DelegationExpiredState
	}
	return DelegationActiveState
}

// Delegations are the delegations one person granted, stream
// delegations-<grantor CF>.
type Delegations struct {
	version int64
	grantor CF
	byID    map[string]*Delegation
	order   []string
}

// NewDelegations returns grantor's delegations, none yet.
func NewDelegations(grantor CF) *Delegations {
	return &Delegations{grantor: grantor, byID: map[string]*Delegation{}}
}

// Version is the stream version the delegations were folded to.
func (g *Delegations) Version() int64 { return g.version }

// Parties of the delegations: the grantor and every delegate.
func (g *Delegations) Parties() []string {
	out := []string{g.grantor.String()}
	for _, id := range g.order {
		out = append(out, g.byID[id].DelegateCF)
	}
	return out
}

// Apply folds stored events; it never fails.
func (g *Delegations) Apply(events ...Recorded) {
	for _, r := range events {
		if r.Version > g.version {
			g.version = r.Version
		}
		switch e := r.Data.(type) {
		case DelegationGranted:
			if _, ok := g.byID[e.DelegationID]; !ok {
				g.order = append(g.order, e.DelegationID)
			}
			g.byID[e.DelegationID] = &Delegation{DelegationGranted: e}
		case DelegationRevoked:
			if d, ok := g.byID[e.DelegationID]; ok {
				d.Revoked, d.RevokedOn = true, e.RevokedOn
			}
		}
	}
}

// All lists the delegations in the order they were granted.
func (g *Delegations) All() []Delegation {
	out := make([]Delegation, 0, len(g.order))
	for _, id := range g.order {
		out = append(out, *g.byID[id])
	}
	return out
}

// Get returns delegation id.
func (g *Delegations) Get(id string) (Delegation, bool) {
	d, ok := g.byID[id]
	if !ok {
		return Delegation{}, false
	}
	return *d, true
}

// For returns the delegation that lets delegate act in scope today, if any.
func (g *Delegations) For(delegate CF, s Scope, today Date) (Delegation, bool) {
	for _, id := range g.order {
		d := g.byID[id]
		if d.DelegateCF == delegate.String() && d.Covers(s, today) {
			return *d, true
		}
	}
	return Delegation{}, false
}

// ParseScopes checks a delegation's scopes: at least one, each libretto or
// eredi; repeats are dropped and the result is in Scopes order.
func ParseScopes(in []string) ([]string, error) {
	if len(in) == 0 {
		return nil, RuleError(CodeInvalidScope, "scope", "give at least one scope: libretto, eredi")
	}
	seen := map[string]bool{}
	for _, s := range in {
		if !slices.Contains(Scopes, Scope(s)) {
			return nil, RuleError(CodeInvalidScope, "scope", "a scope is libretto or eredi")
		}
		seen[s] = true
	}
	var out []string
	for _, s := range Scopes {
		if seen[string(s)] {
			out = append(out, string(s))
		}
	}
	return out, nil
}

// Grant gives delegate a delegation id in scopes until expiresOn (that day
// included), today. Refused: a delegation to oneself (invalid_delegate), an
// expiry not after today or more than MaxDelegationYears ahead
// (invalid_date), and a second active delegation to the same person
// (already_exists: revoke the first, or let it expire).
func (g *Delegations) Grant(id string, delegate CF, scopes []string, expiresOn string, today Date) ([]Pending, error) {
	if delegate == g.grantor {
		return nil, RuleError(CodeInvalidDelegate, "delegate_cf", "a delegation is given to someone else")
	}
	sc, err := ParseScopes(scopes)
	if err != nil {
		return nil, err
	}
	exp, err := ParseDate(expiresOn, "expires_on")
	if err != nil {
		return nil, err
	}
	if !exp.After(today) {
		return nil, RuleError(CodeInvalidDate, "expires_on", "a delegation expires after today")
	}
	if exp.After(today.AddDays(366 * MaxDelegationYears)) {
		return nil, RuleError(CodeInvalidDate, "expires_on", "a delegation lasts at most 5 years").With("max_years", MaxDelegationYears)
	}
	for _, d := range g.byID {
		if d.DelegateCF == delegate.String() && d.Active(today) {
			return nil, ConflictError(CodeAlreadyExists, "this person already holds an active delegation of yours: revoke it first").
				With("delegation_id", d.DelegationID)
		}
	}
	return pending(DelegationGranted{
		DelegationID: id, GrantorCF: g.grantor.String(), DelegateCF: delegate.String(),
		Scope: sc, ExpiresOn: exp.String(), GrantedOn: today.String(),
	}), nil
}

// Revoke ends delegation id today. An unknown id is not found; a revoked
// one is invalid_state.
func (g *Delegations) Revoke(id string, today Date) ([]Pending, error) {
	d, ok := g.byID[id]
	if !ok {
		return nil, NotFoundError("no such delegation")
	}
	if d.Revoked {
		return nil, ConflictError(CodeInvalidState, "this delegation was already revoked")
	}
	return pending(DelegationRevoked{DelegationID: id, RevokedOn: today.String()}), nil
}

// Received is the index of the delegations one person received, stream
// delegate-<delegate CF>.
type Received struct {
	version  int64
	delegate CF
	entries  []DelegationReceived
}

// NewReceived returns delegate's index, empty.
func NewReceived(delegate CF) *Received { return &Received{delegate: delegate} }

// Version is the stream version the index was folded to.
func (x *Received) Version() int64 { return x.version }

// Parties of the index: the delegate and every grantor.
func (x *Received) Parties() []string {
	out := []string{x.delegate.String()}
	for _, e := range x.entries {
		out = append(out, e.GrantorCF)
	}
	return out
}

// Apply folds stored events; it never fails.
func (x *Received) Apply(events ...Recorded) {
	for _, r := range events {
		if r.Version > x.version {
			x.version = r.Version
		}
		if e, ok := r.Data.(DelegationReceived); ok {
			x.entries = append(x.entries, e)
		}
	}
}

// Grantors lists the people who gave a delegation, each once, sorted.
func (x *Received) Grantors() []string {
	var out []string
	for _, e := range x.entries {
		if !slices.Contains(out, e.GrantorCF) {
			out = append(out, e.GrantorCF)
		}
	}
	sort.Strings(out)
	return out
}

// Receive indexes a delegation granted to the index's person.
func (x *Received) Receive(g DelegationGranted) []Pending {
	return pending(DelegationReceived{DelegationID: g.DelegationID, GrantorCF: g.GrantorCF})
}
