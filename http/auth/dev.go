package auth

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/inps/libretto/commands"
)

// devIssuer names the tokens this process signs.
const devIssuer = "libretto-dev"

// Dev signs and verifies short-lived HS256 tokens for development and tests.
// Its key is random per process unless one is given, so tokens do not
// survive a restart.
type Dev struct {
	key []byte
	ttl time.Duration
	now func() time.Time
}

// DevConfig configures Dev. Every field is optional.
type DevConfig struct {
	Key []byte           // HS256 key; random 32 bytes when empty
	TTL time.Duration    // token lifetime; 1 hour when zero
	Now func() time.Time // clock; time.Now when nil
}

type devClaims struct {
	Roles []string `json:"roles"`
	jwt.RegisteredClaims
}

// NewDev returns a development-mode authenticator and token issuer.
func NewDev(cfg DevConfig) *Dev {
	d := &Dev{key: cfg.Key, ttl: cfg.TTL, now: cfg.Now}
	if len(d.key) == 0 {
		d.key = make([]byte, 32)
		_, _ = rand.Read(d.key)
	}
	if d.ttl <= 0 {
		d.ttl = time.Hour
	}
	if d.now == nil {
		d.now = time.Now
	}
	return d
}

// Issue signs a token for subject with roles; it returns the token and its
// expiry. Validating the subject is the caller's job.
func (d *Dev) Issue(subject string, roles []commands.Role) (string, time.Time, error) {
	if subject == "" || len(roles) == 0 {
		return "", time.Time{}, errors.New("auth: a token needs a subject and a role")
	}
	now := d.now()
	exp := now.Add(d.ttl)
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, devClaims{
		Roles: names,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    devIssuer,
			Subject:   subject,
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(exp),
		},
	})
	s, err := tok.SignedString(d.key)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("auth: sign: %w", err)
	}
	return s, exp, nil
}

// Authenticate verifies a token signed by Issue.
func (d *Dev) Authenticate(_ context.Context, token string) (Principal, error) {
	var c devClaims
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return d.key, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(devIssuer),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(d.now),
	)
	if err != nil {
		return Principal{}, fmt.Errorf("%w: %v", ErrInvalidToken, err)
	}
	roles := ParseRoles(c.Roles)
	if c.Subject == "" || len(roles) == 0 {
		return Principal{}, fmt.Errorf("%w: no subject or role", ErrInvalidToken)
	}
	p := Principal{Subject: c.Subject, Roles: roles}
	if c.ExpiresAt != nil {
		p.Expires = c.ExpiresAt.Time
	}
	return p, nil
}
