package api

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/google/uuid"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/domain/access"
	"github.com/inps/libretto/http/auth"
)

// RequestIDHeader carries the request id in and out. A client's UUID in its
// standard form (8-4-4-4-12 hex digits, not nil) is kept and becomes the
// events' correlation id; anything else, URN and brace forms included, is
// replaced by a fresh one. Only the canonical form is echoed.
const RequestIDHeader = "X-Request-Id"

type ctxKey int

const stateKey ctxKey = 1

// reqState is what middleware and handlers learn about a request, read back
// by observe for the access log and metrics.
type reqState struct {
	id        uuid.UUID
	principal *auth.Principal
	role      commands.Role
	// onBehalfOf is the person a delegate acts for (X-On-Behalf-Of) under
	// an active delegation whose scopes are scopes; "" otherwise.
	onBehalfOf string
	scopes     []string
	action     access.Action // the access table's rule of the route
	command    string        // set by a command handler
	outcome    string        // "ok" or the problem code
}

func stateOf(ctx context.Context) *reqState {
	st, _ := ctx.Value(stateKey).(*reqState)
	if st == nil {
		return &reqState{}
	}
	return st
}

func requestIDOf(ctx context.Context) string { return stateOf(ctx).id.String() }

func setOutcome(ctx context.Context, code string) { stateOf(ctx).outcome = code }

func (s *Server) requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get(RequestIDHeader)
		id, err := uuid.Parse(h)
		if err != nil || len(h) != 36 || id == uuid.Nil {
			id = uuid.New()
		}
		w.Header().Set(RequestIDHeader, id.String())
		st := &reqState{id: id}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), stateKey, st)))
	})
}

// recoverer turns a panic into a logged 500 problem with the request id.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.ErrorContext(r.Context(), "panic serving request",
				"request_id", requestIDOf(r.Context()), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			s.Problem(w, r, fmt.Errorf("panic: %v", v))
		}()
		next.ServeHTTP(w, r)
	})
}

// observe writes the access log and the latency and command metrics.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		next.ServeHTTP(ww, r)
		elapsed := time.Since(start)
		status := ww.Status()
		if status == 0 {
			status = http.StatusOK
		}
		route := routeOf(r)
		st := stateOf(r.Context())
		s.metrics.observe(r.Method, route, status, elapsed)
		if st.command != "" {
			outcome := st.outcome
			if outcome == "" {
				outcome = "ok"
			}
			s.metrics.commands.WithLabelValues(st.command, outcome).Inc()
		}
		level := slog.LevelInfo
		if route == "/healthz" || route == "/readyz" || route == "/metrics" ||
			route == Prefix+"/healthz" || route == Prefix+"/readyz" || route == Prefix+"/metrics" {
			level = slog.LevelDebug // probes and scrapes would drown the log
		}
		if !s.log.Enabled(r.Context(), level) {
			return // nothing to format and allocate for a line nobody reads
		}
		attrs := []any{
			"request_id", st.id.String(), "method", r.Method, "route", route,
			"path", r.URL.Path, "status", status, "duration_ms", float64(elapsed.Microseconds()) / 1000,
		}
		if st.principal != nil {
			attrs = append(attrs, "subject", st.principal.Subject, "role", string(st.role))
		}
		if st.outcome != "" && st.outcome != "ok" {
			attrs = append(attrs, "code", st.outcome)
		}
		s.log.Log(r.Context(), level, "http request", attrs...)
	})
}

func routeOf(r *http.Request) string {
	if rc := chi.RouteContext(r.Context()); rc != nil {
		if p := rc.RoutePattern(); p != "" {
			return p
		}
	}
	return "unmatched"
}

// Allow authenticates the bearer token (401 when missing or bad) and lets
// the request through when the principal holds a role the access table
// allows to do a in some relation to the data (403 when none does). The
// request acts under the first such role of access.Roles (the widest
// reader first); a handler whose data belongs to someone asks Decide once
// it has read it.
func (s *Server) Allow(a access.Action) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p, err := s.authenticate(r)
			if err != nil {
				s.Problem(w, r, err)
				return
			}
			st := stateOf(r.Context())
			st.principal = &p
			st.action = a
			role, ok := access.Gate(a, rolesOf(p))
			if !ok {
				s.Problem(w, r, &httpError{Status: http.StatusForbidden, Code: "forbidden", Detail: "your role may not do this"})
				return
			}
			st.role = commands.Role(role)
			if h := r.Header.Get(OnBehalfOfHeader); h != "" {
				if err := s.actFor(r, st, h); err != nil {
					s.Problem(w, r, err)
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}

// OnBehalfOfHeader names the person a delegate acts for (SPEC §9).
const OnBehalfOfHeader = "X-On-Behalf-Of"

// actFor resolves X-On-Behalf-Of: the caller acts for person only as a
// citizen, for an action a delegate may do, under a delegation of person's
// that is active today and covers the action's scope. Anything else is a
// stranger's request (404 before any data is read), so a delegation's
// existence is not revealed either. The request then acts as the person:
// the commands' Meta and the reads of "own" data take the person's CF,
// and Decide asks the table with the Delegate relation.
func (s *Server) actFor(r *http.Request, st *reqState, header string) error {
	person, err := domain.ParseCF(strings.TrimSpace(header))
	if err != nil {
		return badRequest("invalid_on_behalf_of", OnBehalfOfHeader, "X-On-Behalf-Of is the codice fiscale of the person you act for")
	}
	if self, err := domain.ParseCF(st.principal.Subject); err == nil && self == person {
		return nil // acting for oneself is no delegation
	}
	scopes, ok, err := s.cmd.ActFor(r.Context(), st.action, rolesOf(*st.principal), st.principal.Subject, person.String(), s.cfg.Now())
	if err != nil {
		return err
	}
	if !ok {
		return notFound("no such resource")
	}
	st.onBehalfOf, st.scopes, st.role = person.String(), scopes, commands.RoleCitizen
	return nil
}

// Person is the codice fiscale of the person the request acts for: the
// caller's own, or under a delegation the person's they act for.
func (s *Server) Person(r *http.Request) string {
	st := stateOf(r.Context())
	if st.onBehalfOf != "" {
		return st.onBehalfOf
	}
	if st.principal == nil {
		return ""
	}
	return st.principal.Subject
}

// Decide asks the access table whether the caller may do the request's
// action on data belonging to parties: nil when they may (the request then
// acts under the role the table chose), else a 404 problem naming what, as
// if it did not exist (SPEC §1).
func (s *Server) Decide(r *http.Request, parties access.Parties, what string) error {
	st := stateOf(r.Context())
	if st.principal == nil {
		return notFound(what)
	}
	rel := access.RelationFor(st.action, access.Caller{Subject: st.principal.Subject, OnBehalfOf: st.onBehalfOf, Scopes: st.scopes}, parties)
	roles := rolesOf(*st.principal)
	if st.onBehalfOf != "" {
		roles = []access.Role{access.Citizen} // a delegate acts as the citizen they act for
	}
	switch out, role := access.Decide(st.action, roles, rel); out {
	case access.Allowed:
		st.role = commands.Role(role)
		return nil
	case access.RoleRefused:
		return &httpError{Status: http.StatusForbidden, Code: "forbidden", Detail: "your role may not do this"}
	}
	return notFound(what)
}

func rolesOf(p auth.Principal) []access.Role {
	out := make([]access.Role, len(p.Roles))
	for i, r := range p.Roles {
		out[i] = access.Role(r)
	}
	return out
}

func (s *Server) authenticate(r *http.Request) (auth.Principal, error) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if h == "" {
		return auth.Principal{}, &httpError{Status: http.StatusUnauthorized, Code: "unauthorized", Detail: "an Authorization: Bearer token is required"}
	}
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return auth.Principal{}, &httpError{Status: http.StatusUnauthorized, Code: "invalid_token", Detail: "the Authorization header must be Bearer <token>"}
	}
	return s.cfg.Auth.Authenticate(r.Context(), token)
}

// Principal returns the authenticated caller and the role the request acts
// under; ok is false outside an Allow middleware.
func (s *Server) Principal(r *http.Request) (p auth.Principal, role commands.Role, ok bool) {
	st := stateOf(r.Context())
	if st.principal == nil {
		return auth.Principal{}, "", false
	}
	return *st.principal, st.role, true
}
