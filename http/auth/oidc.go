package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// OIDCConfig configures production-mode authentication.
type OIDCConfig struct {
	// IssuerURL is the identity provider's issuer; its discovery document
	// names the JWKS the token signatures are checked against.
	IssuerURL string
	// Audience is the expected "aud" of every token (the API's client id).
	Audience string
	// RolesClaim is where the roles are: a claim name, or a dotted path into
	// nested claims such as "realm_access.roles". Default "roles".
	RolesClaim string
	// SubjectClaim holds the caller's codice fiscale or system name. Default
	// "sub". SPID's "TINIT-" prefix is removed.
	SubjectClaim string
	// ClockSkew is how long after "exp" a token is still accepted (and how
	// early before "nbf"). Default 1 minute.
	ClockSkew time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

func (c *OIDCConfig) setDefaults() {
	if c.RolesClaim == "" {
		c.RolesClaim = "roles"
	}
	if c.SubjectClaim == "" {
		c.SubjectClaim = "sub"
	}
	if c.ClockSkew == 0 {
		c.ClockSkew = time.Minute
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Validate reports every missing setting.
func (c OIDCConfig) Validate() error {
	var errs []error
	if c.IssuerURL == "" {
		errs = append(errs, errors.New("auth: OIDC issuer URL is required"))
	}
	if c.Audience == "" {
		errs = append(errs, errors.New("auth: OIDC audience is required"))
	}
	if c.ClockSkew < 0 {
		errs = append(errs, errors.New("auth: OIDC clock skew must not be negative"))
	}
	return errors.Join(errs...)
}

// OIDC verifies tokens of an OpenID Connect provider: signature against the
// provider's JWKS (fetched and refreshed by go-oidc), issuer, audience,
// expiry and not-before with the configured clock skew.
type OIDC struct {
	cfg      OIDCConfig
	verifier *oidc.IDTokenVerifier
}

// NewOIDC discovers the provider at cfg.IssuerURL and returns an
// authenticator for its tokens.
func NewOIDC(ctx context.Context, cfg OIDCConfig) (*OIDC, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	provider, err := oidc.NewProvider(ctx, cfg.IssuerURL)
	if err != nil {
		return nil, fmt.Errorf("auth: discover OIDC provider %s: %w", cfg.IssuerURL, err)
	}
	skew := cfg.ClockSkew
	now := cfg.Now
	v := provider.Verifier(&oidc.Config{
		ClientID: cfg.Audience,
		// go-oidc allows no leeway on "exp": an earlier clock gives it.
		Now: func() time.Time { return now().Add(-skew) },
	})
	return &OIDC{cfg: cfg, verifier: v}, nil
}

// Authenticate verifies token and reads its subject and roles.
func (o *OIDC) Authenticate(ctx context.Context, token string) (Principal, error) {
	idt, err := o.verifier.Verify(ctx, token)
	if err != nil {
		return Principal{}, fmt.Errorf("%w: %v", ErrInvalidToken, err)
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return Principal{}, fmt.Errorf("%w: claims: %v", ErrInvalidToken, err)
	}
	subject, _ := lookup(claims, o.cfg.SubjectClaim).(string)
	subject = strings.ToUpper(strings.TrimPrefix(strings.TrimSpace(subject), "TINIT-"))
	roles := ParseRoles(stringsOf(lookup(claims, o.cfg.RolesClaim)))
	if subject == "" {
		return Principal{}, fmt.Errorf("%w: no %q claim", ErrInvalidToken, o.cfg.SubjectClaim)
	}
	if len(roles) == 0 {
		return Principal{}, fmt.Errorf("%w: no known role in %q", ErrInvalidToken, o.cfg.RolesClaim)
	}
	// Expires is the token's own expiry, without the verifier's skew: past
	// it, Cached asks the verifier again, which may still accept it.
	return Principal{Subject: subject, Roles: roles, Expires: idt.Expiry}, nil
}

// lookup follows a dotted path into nested claims.
func lookup(claims map[string]any, path string) any {
	var cur any = claims
	for _, part := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[part]
	}
	return cur
}

// stringsOf accepts a JSON array of strings or one space- or comma-separated
// string.
func stringsOf(v any) []string {
	switch t := v.(type) {
	case []any:
		out := make([]string, 0, len(t))
		for _, e := range t {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	case string:
		return strings.FieldsFunc(t, func(r rune) bool { return r == ' ' || r == ',' })
	}
	return nil
}
