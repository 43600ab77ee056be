package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/eventstore"
	"github.com/inps/libretto/http/auth"
	"github.com/inps/libretto/projections"
	"github.com/inps/libretto/redact"
)

// ProblemTypeBase prefixes every problem's code to make its "type" URI.
const ProblemTypeBase = "https://libretto.inps.it/problems/"

// Problem is an RFC 9457 problem document.
type Problem struct {
	Type      string         `json:"type"`
	Title     string         `json:"title"`
	Status    int            `json:"status"`
	Detail    string         `json:"detail"`
	Code      string         `json:"code"`
	Errors    []FieldError   `json:"errors"`
	Facts     map[string]any `json:"facts,omitempty"`
	RequestID string         `json:"request_id,omitempty"`
}

// FieldError names a request field to blame.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// httpError is a refusal decided by the HTTP layer itself (decoding, auth,
// routing), before any command runs.
type httpError struct {
	Status int
	Code   string
	Field  string
	Detail string
}

func (e *httpError) Error() string { return e.Code + ": " + e.Detail }

func notFound(detail string) error {
	return &httpError{Status: http.StatusNotFound, Code: domain.CodeNotFound, Detail: detail}
}

func badRequest(code, field, detail string) error {
	return &httpError{Status: http.StatusBadRequest, Code: code, Field: field, Detail: detail}
}

// ProblemFor maps any error to the problem a citizen sees: a domain error's
// facts about someone else are left out (SPEC §8). It is the one place
// where errors become statuses; unknown errors are 500s.
func ProblemFor(err error) Problem { return problemFor(err, false) }

// problemFor is ProblemFor with every fact of a domain error when
// othersFacts is true: what operators and auditors see.
func problemFor(err error, othersFacts bool) Problem {
	var (
		he *httpError
		de *domain.Error
	)
	switch {
	case errors.As(err, &he):
		return newProblem(he.Status, he.Code, he.Field, he.Detail)
	case errors.As(err, &de):
		status := http.StatusUnprocessableEntity
		switch de.Kind {
		case domain.KindConflict:
			status = http.StatusConflict
		case domain.KindNotFound:
			status = http.StatusNotFound
		case domain.KindForbidden:
			status = http.StatusForbidden
		}
		p := newProblem(status, de.Code, de.Field, de.Detail)
		p.Facts = de.CallerFacts()
		if othersFacts {
			p.Facts = de.Facts
		}
		return p
	case errors.Is(err, eventstore.ErrConcurrency):
		return newProblem(http.StatusConflict, domain.CodeConcurrency, "", "another change to the same records won the race; retry the request")
	case errors.Is(err, projections.ErrNotFound), errors.Is(err, eventstore.ErrStreamNotFound):
		return newProblem(http.StatusNotFound, domain.CodeNotFound, "", "no such resource")
	case errors.Is(err, auth.ErrInsufficientAssurance):
		return newProblem(http.StatusUnauthorized, "insufficient_assurance", "", "sign in with SPID level 2 or higher, CIE or CNS")
	case errors.Is(err, auth.ErrInvalidToken):
		return newProblem(http.StatusUnauthorized, "invalid_token", "", "the bearer token is missing, malformed, expired or not ours")
	case errors.Is(err, context.DeadlineExceeded):
		return newProblem(http.StatusGatewayTimeout, "timeout", "", "the request took too long")
	case errors.Is(err, context.Canceled):
		return newProblem(http.StatusServiceUnavailable, "cancelled", "", "the request was cancelled")
	}
	return newProblem(http.StatusInternalServerError, "internal_error", "", "an unexpected error occurred; quote the request id when reporting it")
}

// newProblem builds a problem whose detail and field names hold no whole
// codice fiscale or IBAN, whatever the error echoed (SPEC §8).
func newProblem(status int, code, field, detail string) Problem {
	detail, field = redact.String(detail), redact.String(field)
	p := Problem{
		Type:   ProblemTypeBase + code,
		Title:  titleOf(status),
		Status: status,
		Detail: detail,
		Code:   code,
		Errors: []FieldError{},
	}
	if field != "" {
		p.Errors = append(p.Errors, FieldError{Field: field, Message: detail})
	}
	return p
}

func titleOf(status int) string {
	switch status {
	case http.StatusUnprocessableEntity:
		return "Request refused by a business rule"
	case http.StatusConflict:
		return "Conflict with the current state"
	}
	return http.StatusText(status)
}

// Problem writes err as application/problem+json. Server errors are logged
// with the request id, which the body repeats.
// Operators and auditors see every fact of a domain error; anyone else
// (citizens, the system, the anonymous) only their own.
func (s *Server) Problem(w http.ResponseWriter, r *http.Request, err error) {
	_, role, _ := s.Principal(r)
	p := problemFor(err, role == commands.RoleOperator || role == commands.RoleAuditor)
	if p.Status >= 500 && errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		// The client went away (a closed connection, a load generator
		// stopping): nobody reads this answer and nothing failed on our side.
		p.RequestID = requestIDOf(r.Context())
		s.log.InfoContext(r.Context(), "request cancelled by the client",
			"request_id", p.RequestID, "route", routeOf(r))
	} else if p.Status >= 500 {
		p.RequestID = requestIDOf(r.Context())
		s.log.ErrorContext(r.Context(), "request failed",
			"request_id", p.RequestID, "route", routeOf(r), "status", p.Status, "error", err)
	}
	if p.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="libretto"`)
	}
	setOutcome(r.Context(), p.Code)
	writeJSON(w, "application/problem+json", p.Status, p)
}

// JSON writes v with status.
func (s *Server) JSON(w http.ResponseWriter, status int, v any) {
	writeJSON(w, "application/json", status, v)
}

func writeJSON(w http.ResponseWriter, contentType string, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		contentType = "application/problem+json"
		b, _ = json.Marshal(newProblem(status, "internal_error", "", "the response could not be encoded"))
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// isJSONMedia accepts application/json and any +json type, and the types
// that clients send JSON under by default (curl -d says
// application/x-www-form-urlencoded, some libraries text/plain): the body
// must still be JSON. Any other declared type is refused with 415.
func isJSONMedia(mt string) bool {
	switch {
	case mt == "application/json", strings.HasSuffix(mt, "+json"):
		return true
	case mt == "application/x-www-form-urlencoded", mt == "text/plain":
		return true
	}
	return false
}
