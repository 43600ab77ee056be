package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
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
	// AllowedACR are the authentication context classes ("acr") a token
	// must carry (SPEC §9, assurance level); DefaultAllowedACR when nil.
	// A token without "acr", or with another, is ErrInsufficientAssurance.
	AllowedACR []string
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
	if c.AllowedACR == nil {
		c.AllowedACR = DefaultAllowedACR
	}
}

// The acr values of the identities Libretto accepts by default.
const (
	// SPID levels 2 and 3 (AgID, "Regole tecniche OpenID Connect in SPID";
	// also what the CIE OpenID Provider asserts for CIE level 2 and 3).
	ACRSpidL2 = "https://www.spid.gov.it/SpidL2"
	ACRSpidL3 = "https://www.spid.gov.it/SpidL3"
	// ACRSpidL1 is SPID level 1 (user name and password): refused by
	// default, as money moves on the caller's word.
	ACRSpidL1 = "https://www.spid.gov.it/SpidL1"
	// eIDAS levels substantial and high (CIE through the eIDAS node, and
	// other EU identities).
	ACREidasSubstantial = "http://eidas.europa.eu/LoA/substantial"
	ACREidasHigh        = "http://eidas.europa.eu/LoA/high"
	// ACRCIE and ACRCNS are what INPS's identity gateway asserts for a CIE
	// read by its own reader and for a Carta Nazionale dei Servizi (a
	// smart card with a certificate): neither has an acr URI of its own in
	// a public specification, so these are the gateway's, configurable.
	ACRCIE = "urn:it:inps:acr:cie"
	ACRCNS = "urn:it:inps:acr:cns"
)

// DefaultAllowedACR is SPID level 2 and above, CIE and CNS (SPEC §9).
var DefaultAllowedACR = []string{ACRSpidL2, ACRSpidL3, ACREidasSubstantial, ACREidasHigh, ACRCIE, ACRCNS}

// ErrInsufficientAssurance means a valid identity whose authentication
// level ("acr") is not among the allowed ones: 401 insufficient_assurance.
var ErrInsufficientAssurance = errors.New("auth: insufficient assurance level")

// CheckACR refuses an acr that is not in allowed (nil allowed is
// DefaultAllowedACR) with ErrInsufficientAssurance.
func CheckACR(acr string, allowed []string) error {
	if allowed == nil {
		allowed = DefaultAllowedACR
	}
	if acr == "" || !slices.Contains(allowed, acr) {
		return fmt.Errorf("%w: acr %q", ErrInsufficientAssurance, acr)
	}
	return nil
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
	acr, _ := claims["acr"].(string)
	if err := CheckACR(acr, o.cfg.AllowedACR); err != nil {
		return Principal{}, err
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
