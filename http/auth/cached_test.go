package auth

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/inps/libretto/commands"
)

// countingAuth accepts every token but "bad", expiring at exp, and counts
// its calls.
type countingAuth struct {
	exp   time.Time
	calls int
}

func (c *countingAuth) Authenticate(_ context.Context, token string) (Principal, error) {
	c.calls++
	if token == "bad" {
		return Principal{}, ErrInvalidToken
	}
	return Principal{Subject: token, Roles: []commands.Role{commands.RoleCitizen}, Expires: c.exp}, nil
}

func TestCachedVerifiesATokenOnceUntilItExpires(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		exp       time.Time // the tokens' expiry (zero: none)
		tokens    []string  // sent in order, at t0 unless after says otherwise
		after     time.Duration
		wantCalls int
	}{
		{"the same token twice is verified once", t0.Add(time.Hour), []string{"a", "a"}, 0, 1},
		{"two tokens are verified each", t0.Add(time.Hour), []string{"a", "b", "a", "b"}, 0, 2},
		{"a token past its expiry is verified again", t0.Add(time.Minute), []string{"a", "a"}, time.Minute, 2},
		{"a refused token is not remembered", t0.Add(time.Hour), []string{"bad", "bad"}, 0, 2},
		{"a principal without an expiry is not remembered", time.Time{}, []string{"a", "a"}, 0, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			now := t0
			next := &countingAuth{exp: tc.exp}
			c := NewCached(next, 10, func() time.Time { return now })
			for i, tok := range tc.tokens {
				if i == len(tc.tokens)-1 {
					now = now.Add(tc.after)
				}
				p, err := c.Authenticate(context.Background(), tok)
				if tok == "bad" {
					if !errors.Is(err, ErrInvalidToken) {
						t.Fatalf("bad token: err = %v", err)
					}
					continue
				}
				if err != nil || p.Subject != tok {
					t.Fatalf("token %q: %+v, %v", tok, p, err)
				}
			}
			if next.calls != tc.wantCalls {
				t.Errorf("verified %d times, want %d", next.calls, tc.wantCalls)
			}
		})
	}
}

func TestCachedStaysWithinItsSize(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	next := &countingAuth{exp: now.Add(time.Hour)}
	c := NewCached(next, 3, func() time.Time { return now })
	for _, tok := range []string{"a", "b", "c", "d", "e"} {
		if _, err := c.Authenticate(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(c.entries); n > 3 {
		t.Errorf("%d entries, want at most 3", n)
	}
}

func TestDevTokensCarryTheirExpiry(t *testing.T) {
	d := NewDev(DevConfig{})
	tok, exp, err := d.Issue("RSSMRA85T10A562S", []commands.Role{commands.RoleCitizen})
	if err != nil {
		t.Fatal(err)
	}
	p, err := d.Authenticate(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Expires.Equal(exp.Truncate(time.Second)) {
		t.Errorf("Expires = %v, want the token's exp %v", p.Expires, exp)
	}
}

func TestDevOfFindsTheDevelopmentAuthenticatorBehindTheCache(t *testing.T) {
	d := NewDev(DevConfig{})
	if got, ok := DevOf(NewCached(d, 1, nil)); !ok || got != d {
		t.Errorf("DevOf(Cached(dev)) = %v, %v", got, ok)
	}
	if _, ok := DevOf(NewCached(&countingAuth{}, 1, nil)); ok {
		t.Error("DevOf found a development authenticator behind another one")
	}
}
