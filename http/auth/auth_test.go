package auth_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/http/auth"
)

func TestDevTokens(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	dev := auth.NewDev(auth.DevConfig{TTL: 10 * time.Minute, Now: clock})
	tok, exp, err := dev.Issue("RSSMRA85T10A562S", []commands.Role{commands.RoleCitizen})
	if err != nil {
		t.Fatal(err)
	}
	if !exp.Equal(now.Add(10 * time.Minute)) {
		t.Fatalf("expiry %v", exp)
	}

	t.Run("a token it issued authenticates its subject and roles", func(t *testing.T) {
		p, err := dev.Authenticate(context.Background(), tok)
		if err != nil {
			t.Fatal(err)
		}
		if p.Subject != "RSSMRA85T10A562S" || !slices.Equal(p.Roles, []commands.Role{commands.RoleCitizen}) {
			t.Fatalf("principal %+v", p)
		}
	})
	t.Run("an expired token is refused", func(t *testing.T) {
		// Two issuers sharing a key: the second's clock is past the first's expiry.
		key := []byte("0123456789abcdef0123456789abcdef")
		a := auth.NewDev(auth.DevConfig{Key: key, TTL: time.Minute, Now: clock})
		b := auth.NewDev(auth.DevConfig{Key: key, Now: func() time.Time { return now.Add(2 * time.Minute) }})
		tk, _, _ := a.Issue("system-f24", []commands.Role{commands.RoleSystem})
		if _, err := b.Authenticate(context.Background(), tk); !errors.Is(err, auth.ErrInvalidToken) {
			t.Fatalf("err %v, want ErrInvalidToken", err)
		}
		if _, err := a.Authenticate(context.Background(), tk); err != nil {
			t.Fatalf("same clock: %v", err)
		}
	})
	t.Run("a token signed with another key is refused", func(t *testing.T) {
		other := auth.NewDev(auth.DevConfig{Now: clock})
		if _, err := other.Authenticate(context.Background(), tok); !errors.Is(err, auth.ErrInvalidToken) {
			t.Fatalf("err %v, want ErrInvalidToken", err)
		}
	})
	t.Run("a token with alg none is refused", func(t *testing.T) {
		unsigned := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{
			"iss": "libretto-dev", "sub": "X", "roles": []string{"operator"}, "exp": now.Add(time.Hour).Unix(),
		})
		s, _ := unsigned.SignedString(jwt.UnsafeAllowNoneSignatureType)
		if _, err := dev.Authenticate(context.Background(), s); !errors.Is(err, auth.ErrInvalidToken) {
			t.Fatalf("err %v, want ErrInvalidToken", err)
		}
	})
	t.Run("garbage is refused", func(t *testing.T) {
		if _, err := dev.Authenticate(context.Background(), "not-a-jwt"); !errors.Is(err, auth.ErrInvalidToken) {
			t.Fatalf("err %v", err)
		}
	})
}

func TestParseRolesKeepsKnownRolesOnce(t *testing.T) {
	t.Parallel()
	got := auth.ParseRoles([]string{"Operator", "offline_access", "operator", "auditor"})
	want := []commands.Role{commands.RoleOperator, commands.RoleAuditor}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// provider is a minimal OpenID Connect provider: discovery and JWKS.
type provider struct {
	srv *httptest.Server
	key *rsa.PrivateKey
	kid string
}

func newProvider(t *testing.T) *provider {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &provider{key: key, kid: "k1"}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer":                                p.srv.URL,
			"jwks_uri":                              p.srv.URL + "/jwks",
			"authorization_endpoint":                p.srv.URL + "/auth",
			"token_endpoint":                        p.srv.URL + "/token",
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, r *http.Request) {
		enc := base64.RawURLEncoding
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]any{{
			"kty": "RSA", "kid": p.kid, "use": "sig", "alg": "RS256",
			"n": enc.EncodeToString(key.N.Bytes()),
			"e": enc.EncodeToString(big.NewInt(int64(key.E)).Bytes()),
		}}})
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

func (p *provider) sign(t *testing.T, claims jwt.MapClaims, key *rsa.PrivateKey) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = p.kid
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestOIDCVerifiesAgainstTheProvidersJWKS(t *testing.T) {
	t.Parallel()
	p := newProvider(t)
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	ctx := context.Background()
	o, err := auth.NewOIDC(ctx, auth.OIDCConfig{
		IssuerURL:  p.srv.URL,
		Audience:   "libretto-api",
		RolesClaim: "realm_access.roles",
		ClockSkew:  time.Minute,
		Now:        func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	base := func() jwt.MapClaims {
		return jwt.MapClaims{
			"iss": p.srv.URL, "aud": "libretto-api", "sub": "TINIT-RSSMRA85T10A562S",
			"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
			"realm_access": map[string]any{"roles": []string{"citizen", "uma_authorization"}},
			"acr":          auth.ACRSpidL2,
		}
	}
	otherKey, _ := rsa.GenerateKey(rand.Reader, 2048)

	t.Run("a valid token gives the CF without the SPID prefix and the known roles", func(t *testing.T) {
		pr, err := o.Authenticate(ctx, p.sign(t, base(), p.key))
		if err != nil {
			t.Fatal(err)
		}
		if pr.Subject != "RSSMRA85T10A562S" || !slices.Equal(pr.Roles, []commands.Role{commands.RoleCitizen}) {
			t.Fatalf("principal %+v", pr)
		}
	})
	t.Run("a token expired within the clock skew is accepted", func(t *testing.T) {
		c := base()
		c["exp"] = now.Add(-30 * time.Second).Unix()
		if _, err := o.Authenticate(ctx, p.sign(t, c, p.key)); err != nil {
			t.Fatal(err)
		}
	})
	refused := []struct {
		name   string
		change func(jwt.MapClaims)
		key    *rsa.PrivateKey
	}{
		{"a token expired beyond the clock skew is refused", func(c jwt.MapClaims) { c["exp"] = now.Add(-2 * time.Minute).Unix() }, nil},
		{"a token for another audience is refused", func(c jwt.MapClaims) { c["aud"] = "another-app" }, nil},
		{"a token of another issuer is refused", func(c jwt.MapClaims) { c["iss"] = "https://evil.example" }, nil},
		{"a token signed by another key is refused", func(jwt.MapClaims) {}, otherKey},
		{"a token without a known role is refused", func(c jwt.MapClaims) {
			c["realm_access"] = map[string]any{"roles": []string{"admin"}}
		}, nil},
	}
	for _, acr := range []string{auth.ACRSpidL2, auth.ACRSpidL3, auth.ACRCIE, auth.ACRCNS} {
		t.Run("an identity of level "+acr+" is accepted", func(t *testing.T) {
			c := base()
			c["acr"] = acr
			if _, err := o.Authenticate(ctx, p.sign(t, c, p.key)); err != nil {
				t.Fatal(err)
			}
		})
	}
	for name, change := range map[string]func(jwt.MapClaims){
		"SPID level 1 is refused":        func(c jwt.MapClaims) { c["acr"] = auth.ACRSpidL1 },
		"a token without acr is refused": func(c jwt.MapClaims) { delete(c, "acr") },
		"an unknown acr is refused":      func(c jwt.MapClaims) { c["acr"] = "urn:example:weak" },
	} {
		t.Run(name, func(t *testing.T) {
			c := base()
			change(c)
			if _, err := o.Authenticate(ctx, p.sign(t, c, p.key)); !errors.Is(err, auth.ErrInsufficientAssurance) {
				t.Fatalf("err %v, want ErrInsufficientAssurance", err)
			}
		})
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			c := base()
			tc.change(c)
			key := p.key
			if tc.key != nil {
				key = tc.key
			}
			if _, err := o.Authenticate(ctx, p.sign(t, c, key)); !errors.Is(err, auth.ErrInvalidToken) {
				t.Fatalf("err %v, want ErrInvalidToken", err)
			}
		})
	}
}

// TestOIDCAllowedACRIsConfigurable: a deployment that accepts SPID level 1
// (say, for reading only) lists it.
func TestOIDCAllowedACRIsConfigurable(t *testing.T) {
	t.Parallel()
	if err := auth.CheckACR(auth.ACRSpidL1, []string{auth.ACRSpidL1}); err != nil {
		t.Fatal(err)
	}
	if err := auth.CheckACR(auth.ACRSpidL2, []string{auth.ACRSpidL1}); !errors.Is(err, auth.ErrInsufficientAssurance) {
		t.Fatalf("err %v", err)
	}
}

func TestOIDCConfigNeedsIssuerAndAudience(t *testing.T) {
	t.Parallel()
	if _, err := auth.NewOIDC(context.Background(), auth.OIDCConfig{}); err == nil {
		t.Fatal("an empty configuration was accepted")
	}
}
