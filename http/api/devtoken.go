package api

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/http/auth"
)

type devTokenBody struct {
	Subject string   `json:"subject"`
	Roles   []string `json:"roles"`
}

type devTokenResponse struct {
	Token     string `json:"token"`
	TokenType string `json:"token_type"`
	ExpiresAt string `json:"expires_at"`
}

// maxRoles bounds the roles of a dev token: there are four.
const maxRoles = 4

// systemName is what a non-citizen subject may be called.
var systemName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:@-]{0,63}$`)

// devToken issues development tokens. A citizen's subject must be a valid
// codice fiscale (stored upper-case); other roles take a CF or a plain name.
// Roles default to citizen.
func (s *Server) devToken(dev *auth.Dev) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var b devTokenBody
		if _, ok := s.Decode(w, r, MaxAnonymousBody, &b); !ok {
			return
		}
		if len(b.Roles) > maxRoles {
			s.Problem(w, r, &domain.Error{Kind: domain.KindRule, Code: "invalid_role", Field: "roles",
				Detail: "a token holds at most 4 roles: citizen, operator, auditor, system"})
			return
		}
		if len(b.Roles) == 0 {
			b.Roles = []string{string(commands.RoleCitizen)}
		}
		for _, name := range b.Roles {
			if len(auth.ParseRoles([]string{name})) == 0 {
				s.Problem(w, r, &domain.Error{Kind: domain.KindRule, Code: "invalid_role", Field: "roles",
					Detail: "roles must be among citizen, operator, auditor, system"})
				return
			}
		}
		roles := auth.ParseRoles(b.Roles)
		subject := strings.TrimSpace(b.Subject)
		if cf, err := domain.ParseCF(subject); err == nil {
			subject = cf.String()
		} else if slices.Contains(roles, commands.RoleCitizen) {
			s.Problem(w, r, &domain.Error{Kind: domain.KindRule, Code: domain.CodeInvalidCF, Field: "subject",
				Detail: "a citizen's subject must be a valid codice fiscale"})
			return
		} else if !systemName.MatchString(subject) {
			s.Problem(w, r, &domain.Error{Kind: domain.KindRule, Code: "invalid_subject", Field: "subject",
				Detail: "the subject must be a codice fiscale or a name of letters, digits and . _ : @ -"})
			return
		}
		tok, exp, err := dev.Issue(subject, roles)
		if err != nil {
			s.Problem(w, r, err)
			return
		}
		s.JSON(w, http.StatusOK, devTokenResponse{Token: tok, TokenType: "Bearer", ExpiresAt: exp.UTC().Format(time.RFC3339)})
	}
}
