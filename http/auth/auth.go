// Package auth authenticates API callers: bearer tokens signed by this
// process in development mode (Dev) or issued by an OpenID Connect provider
// and checked against its JWKS in production mode (OIDC). Either way the
// outcome is a Principal: a subject (a codice fiscale for people, a name for
// system feeds) and its roles.
//
// It imports commands for the Role vocabulary only; it must not import
// domain, projections or the HTTP handlers.
package auth

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/inps/libretto/commands"
)

// ErrInvalidToken means a token is missing, malformed, badly signed, expired
// or issued for someone else: the caller is not authenticated (HTTP 401).
var ErrInvalidToken = errors.New("auth: invalid token")

// Principal is an authenticated caller.
type Principal struct {
	Subject string          // upper-case codice fiscale, or a system name
	Roles   []commands.Role // at least one
	// Expires is when the token stops being valid; Cached keeps a principal
	// no longer than that, and not at all when it is zero.
	Expires time.Time
}

// Has reports whether p holds role r.
func (p Principal) Has(r commands.Role) bool { return slices.Contains(p.Roles, r) }

// Authenticator turns a bearer token into a Principal or ErrInvalidToken
// (wrapped with the reason).
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (Principal, error)
}

// Roles are the roles a token may carry (SPEC §1).
var Roles = []commands.Role{commands.RoleCitizen, commands.RoleOperator, commands.RoleAuditor, commands.RoleSystem}

// ParseRoles keeps the known roles of names, in order and without repeats;
// unknown names are dropped so that an identity provider's other roles do not
// get in the way.
func ParseRoles(names []string) []commands.Role {
	var out []commands.Role
	for _, n := range names {
		r := commands.Role(strings.ToLower(strings.TrimSpace(n)))
		if slices.Contains(Roles, r) && !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}
