// Package sessions keeps the portal's signed-in sessions on the server. The
// browser's cookie holds only a random id and the store keeps its SHA-256,
// so that logging out, expiry and a withdrawn role end a session wherever a
// copy of its cookie is used, and a leaked table holds no usable cookie.
//
// It owns the Store port and Memory, the implementation of the fast tests;
// sessions/postgres is the one the application runs on, and both pass the
// same contract test. It must not import the portal, the domain or a store
// of events.
package sessions

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"slices"
	"sync"
	"time"
)

// ID is the SHA-256 of the random id a session's cookie holds: the only
// form in which the id is stored.
type ID [32]byte

// New returns a fresh session id: token for the cookie (256 random bits,
// base64url) and its ID for the store.
func New() (token string, id ID) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on a supported platform
	}
	token = base64.RawURLEncoding.EncodeToString(b[:])
	return token, IDOf(token)
}

// IDOf is the ID of a cookie's token.
func IDOf(token string) ID { return sha256.Sum256([]byte(token)) }

// Session is one signed-in person in one browser.
type Session struct {
	ID ID
	// CF is the codice fiscale of the person signed in.
	CF string
	// Roles are the roles the session grants (citizen, operator, auditor).
	Roles []string
	// CSRF is the token every form of this session carries.
	CSRF string
	// FlashKind and FlashMessage are the one-time message for the next
	// page (Post/Redirect/Get); empty when there is none.
	FlashKind, FlashMessage string
	// Created is the sign-in; LastSeen the last request (to a minute or so).
	Created, LastSeen time.Time
	// Expires is the absolute end, however active the session is.
	Expires time.Time
	// OnBehalfOf is the codice fiscale of the person a delegate chose to act
	// for with the person switch, "" for themselves. It is a choice, not a
	// grant: the portal checks the delegation on every request.
	OnBehalfOf string
}

// Expired reports whether s is over at now: past its absolute end, or idle
// for idle or longer.
func (s Session) Expired(now time.Time, idle time.Duration) bool {
	return !now.Before(s.Expires) || !now.Before(s.LastSeen.Add(idle))
}

// ErrNotFound is returned by Get for an id with no session: never issued,
// ended by logout, by a withdrawn role or swept after it expired.
var ErrNotFound = errors.New("sessions: no such session")

// Store keeps sessions. Every method is safe for concurrent use.
type Store interface {
	// Create stores a new session.
	Create(ctx context.Context, s Session) error
	// Get returns the session with id, expired or not (the caller judges
	// expiry with its own clock), or ErrNotFound.
	Get(ctx context.Context, id ID) (Session, error)
	// Update records the last request and the pending message of the
	// session with id; a session already ended stays ended.
	Update(ctx context.Context, id ID, lastSeen time.Time, flashKind, flashMessage string) error
	// ActFor records whom the session acts for ("" for the person signed
	// in); a session already ended stays ended.
	ActFor(ctx context.Context, id ID, onBehalfOf string) error
	// Delete ends the session with id; ending one already ended is no error.
	Delete(ctx context.Context, id ID) error
	// DeleteHolding ends every session of cf that grants any of roles and
	// returns how many it ended.
	DeleteHolding(ctx context.Context, cf string, roles []string) (int, error)
	// Sweep deletes the sessions expired at now (past Expires, or not seen
	// since before now-idle) and returns how many.
	Sweep(ctx context.Context, now time.Time, idle time.Duration) (int, error)
}

// Memory is a Store in process memory, for tests that run without
// PostgreSQL. The zero value is not usable: call NewMemory.
type Memory struct {
	mu   sync.Mutex
	byID map[ID]Session
}

var _ Store = (*Memory)(nil)

// NewMemory returns an empty in-memory store.
func NewMemory() *Memory { return &Memory{byID: map[ID]Session{}} }

// Create stores s.
func (m *Memory) Create(_ context.Context, s Session) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	s.Roles = slices.Clone(s.Roles)
	m.byID[s.ID] = s
	return nil
}

// Get returns the session with id or ErrNotFound.
func (m *Memory) Get(_ context.Context, id ID) (Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.byID[id]
	if !ok {
		return Session{}, ErrNotFound
	}
	s.Roles = slices.Clone(s.Roles)
	return s, nil
}

// Update records the last request and the pending message.
func (m *Memory) Update(_ context.Context, id ID, lastSeen time.Time, flashKind, flashMessage string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.byID[id]
	if !ok {
		return nil
	}
	s.LastSeen, s.FlashKind, s.FlashMessage = lastSeen, flashKind, flashMessage
	m.byID[id] = s
	return nil
}

// ActFor records whom the session acts for.
func (m *Memory) ActFor(_ context.Context, id ID, onBehalfOf string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.byID[id]
	if !ok {
		return nil
	}
	s.OnBehalfOf = onBehalfOf
	m.byID[id] = s
	return nil
}

// Delete ends the session with id.
func (m *Memory) Delete(_ context.Context, id ID) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.byID, id)
	return nil
}

// DeleteHolding ends every session of cf granting any of roles.
func (m *Memory) DeleteHolding(_ context.Context, cf string, roles []string) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for id, s := range m.byID {
		if s.CF == cf && slices.ContainsFunc(s.Roles, func(r string) bool { return slices.Contains(roles, r) }) {
			delete(m.byID, id)
			n++
		}
	}
	return n, nil
}

// Sweep deletes the sessions expired at now.
func (m *Memory) Sweep(_ context.Context, now time.Time, idle time.Duration) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for id, s := range m.byID {
		if s.Expired(now, idle) {
			delete(m.byID, id)
			n++
		}
	}
	return n, nil
}
