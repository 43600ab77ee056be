// Package api is Libretto's JSON HTTP API under /api/v1 (SPEC §5): routing,
// authentication and role rules, request decoding, RFC 9457 problems,
// idempotency keys, read-your-writes waits, audit, statement PDFs, health and
// metrics.
//
// Handlers issue commands and read projections' read models; they never touch
// SQL. It imports commands, projections, eventstore, domain (for its error
// type and value checks) and http/auth; nothing imports it but cmd/ and tests.
package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"
	_ "time/tzdata" // civil dates are Europe/Rome wherever the binary runs

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/eventstore"
	"github.com/inps/libretto/http/auth"
	"github.com/inps/libretto/projections"
)

// Prefix is where the API is served.
const Prefix = "/api/v1"

// Body limits: 1 MiB for every POST but the heir claim, which carries a will
// of up to 10 MiB in base64.
const (
	MaxBody      = 1 << 20
	MaxClaimBody = 16 << 20
)

// Commands is what the API asks of the command side; *commands.Handler
// satisfies it. An interface keeps the handlers testable with a fake and the
// API compiling while commands grow.
type Commands interface {
	RegisterUser(context.Context, commands.Meta, commands.RegisterUser) (commands.Result, error)
	RegisterWorker(context.Context, commands.Meta, commands.RegisterWorker) (commands.Result, error)
	RecordDeposit(context.Context, commands.Meta, commands.RecordDeposit) (commands.Result, error)
	CreditDeposit(context.Context, commands.Meta, commands.CreditDeposit) (commands.Result, error)
	IssueNotice(context.Context, commands.Meta, commands.IssueNotice) (commands.Result, error)
	RecordService(context.Context, commands.Meta, commands.RecordService) (commands.Result, error)
	RevokeService(context.Context, commands.Meta, commands.RevokeService) (commands.Result, error)
	RegisterHeir(context.Context, commands.Meta, commands.RegisterHeir) (commands.Result, error)
	RequestRefund(context.Context, commands.Meta, commands.RequestRefund) (commands.Result, error)
	InsertPriorService(context.Context, commands.Meta, commands.InsertPriorService) (commands.Result, error)
	ValidateHeir(context.Context, commands.Meta, commands.ValidateHeir) (commands.Result, error)
	RejectHeir(context.Context, commands.Meta, commands.RejectHeir) (commands.Result, error)
	ApproveRefund(context.Context, commands.Meta, commands.ApproveRefund) (commands.Result, error)
	RejectRefund(context.Context, commands.Meta, commands.RejectRefund) (commands.Result, error)
	MarkRefundPaid(context.Context, commands.Meta, commands.MarkRefundPaid) (commands.Result, error)
	ReverseService(context.Context, commands.Meta, commands.ReverseService) (commands.Result, error)
	CorrectDateOfDeath(context.Context, commands.Meta, commands.CorrectDateOfDeath) (commands.Result, error)
	RunPayroll(context.Context, commands.Meta, commands.RunPayroll) (commands.Result, error)
	// ReplayClaim folds a claim's events recorded up to asOf.
	ReplayClaim(ctx context.Context, claimID string, asOf time.Time) (domain.ClaimSnapshot, []eventstore.Event, error)
}

// Extension adds routes to the /api/v1 router (the Portale delle Famiglie
// routes of SPEC §6 are one). Routes are registered once, when the server is
// built; they use the Server's helpers for roles, decoding and problems.
type Extension interface {
	Routes(r chi.Router, s *Server)
}

// Config is what the API needs. Commands, Queries and Store are required.
type Config struct {
	Commands  Commands
	Queries   projections.Queries
	Documents commands.Documents // wills, for GET /heir-claims/{id}/will; optional
	Store     eventstore.Store   // audit reads and hash-chain verification

	// Auth verifies bearer tokens. Nil means development mode with a random
	// per-process key. POST /api/v1/dev/token exists only when Auth is an
	// *auth.Dev (possibly behind auth.Cached).
	Auth auth.Authenticator

	Logger   *slog.Logger         // default: discard
	Registry *prometheus.Registry // where API metrics are registered and /metrics reads; default: a new one
	Now      func() time.Time     // default: time.Now

	// Ready reports whether the store is reachable and no projector has
	// stopped; /readyz answers 503 with its error. Nil means always ready.
	Ready func(ctx context.Context) error
	// ProjectorLag returns each projector's lag in events behind the head of
	// the log, exported as libretto_projector_lag_events at each scrape (a
	// scrape has no context: the function bounds its own work). Optional.
	ProjectorLag func() map[string]float64

	// ReadWait bounds ?min_position waits; default 5 s.
	ReadWait time.Duration
	// RequestTimeout bounds every request; default 30 s.
	RequestTimeout time.Duration

	Extensions []Extension
}

func (c *Config) setDefaults() {
	c.Extensions = withFamily(c.Extensions) // SPEC §6 routes are part of the API
	if c.Auth == nil {
		c.Auth = auth.NewDev(auth.DevConfig{Now: c.Now})
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Registry == nil {
		c.Registry = prometheus.NewRegistry()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.ReadWait <= 0 {
		c.ReadWait = 5 * time.Second
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 30 * time.Second
	}
}

// Validate reports every missing dependency.
func (c Config) Validate() error {
	var errs []error
	if c.Commands == nil {
		errs = append(errs, errors.New("api: Config.Commands is required"))
	}
	if c.Queries == nil {
		errs = append(errs, errors.New("api: Config.Queries is required"))
	}
	if c.Store == nil {
		errs = append(errs, errors.New("api: Config.Store is required"))
	}
	return errors.Join(errs...)
}

// Server is the API handler. Extensions use its exported helpers.
type Server struct {
	cfg     Config
	cmd     Commands
	q       projections.Queries
	store   eventstore.Store
	log     *slog.Logger
	metrics *metrics
	router  chi.Router
}

// NewServer builds the API. It panics when cfg misses a required dependency:
// that is a wiring mistake, found at start-up.
func NewServer(cfg Config) http.Handler {
	s, err := New(cfg)
	if err != nil {
		panic(err)
	}
	return s
}

// New is NewServer returning the *Server and the configuration error.
func New(cfg Config) (*Server, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m, err := newMetrics(cfg.Registry, cfg.ProjectorLag)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, cmd: cfg.Commands, q: cfg.Queries, store: cfg.Store, log: cfg.Logger, metrics: m}
	s.router = s.routes()
	return s, nil
}

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.router.ServeHTTP(w, r) }

// Routes exposes the router for inspection (route listings, the OpenAPI
// coverage test).
func (s *Server) Routes() chi.Routes { return s.router }

// Now is the server's clock.
func (s *Server) Now() time.Time { return s.cfg.Now() }

var (
	citizen  = commands.RoleCitizen
	operator = commands.RoleOperator
	auditor  = commands.RoleAuditor
	system   = commands.RoleSystem
)

func (s *Server) routes() chi.Router {
	r := chi.NewRouter()
	r.Use(s.requestID, s.recoverer, s.observe)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		s.Problem(w, r, notFound("no such resource"))
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		s.Problem(w, r, &httpError{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed", Detail: r.Method + " is not allowed here"})
	})

	r.Get("/healthz", s.healthz)
	r.Get("/readyz", s.readyz)
	r.Method(http.MethodGet, "/metrics", s.metrics.handler(s.cfg.Registry))

	r.Route(Prefix, func(r chi.Router) {
		r.Use(s.timeout)
		r.NotFound(func(w http.ResponseWriter, r *http.Request) { s.Problem(w, r, notFound("no such resource")) })
		r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
			s.Problem(w, r, &httpError{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed", Detail: r.Method + " is not allowed here"})
		})
		r.Get("/healthz", s.healthz)
		r.Get("/readyz", s.readyz)
		r.Method(http.MethodGet, "/metrics", s.metrics.handler(s.cfg.Registry))
		if dev, ok := auth.DevOf(s.cfg.Auth); ok {
			r.Post("/dev/token", s.devToken(dev))
		}

		r.With(s.Allow(citizen)).Post("/users", s.postUser)
		r.With(s.Allow(citizen)).Post("/workers", s.postWorker)
		r.With(s.Allow(system, operator)).Post("/deposits", s.postDeposit)
		r.With(s.Allow(system)).Post("/deposits/{id}/credit", s.postCreditDeposit)
		r.With(s.Allow(citizen)).Post("/deposits/notices", s.postNotice)
		r.With(s.Allow(citizen)).Get("/deposits/notices", s.getNotices)
		r.With(s.Allow(operator, auditor, citizen)).Get("/deposits/notices/{n}", s.getNotice)
		r.With(s.Allow(citizen)).Post("/services", s.postService)
		r.With(s.Allow(citizen)).Post("/services/{id}/revoke", s.postRevoke)

		r.With(s.Allow(citizen)).Post("/heir-claims", s.postHeirClaim)
		r.With(s.Allow(citizen)).Get("/heir-claims", s.getHeirClaims)
		r.With(s.Allow(operator, auditor, citizen)).Get("/heir-claims/{id}", s.getHeirClaim)
		r.With(s.Allow(operator, auditor, citizen)).Get("/heir-claims/{id}/history", s.getHistory)
		r.With(s.Allow(operator, auditor, citizen)).Get("/heir-claims/{id}/will", s.getWill)
		r.With(s.Allow(citizen)).Post("/heir-claims/{id}/refund", s.postRefund)
		r.With(s.Allow(citizen)).Post("/heir-claims/{id}/prior-services", s.postPriorService)

		r.Route("/backoffice", func(r chi.Router) {
			r.Use(s.Allow(operator))
			r.Post("/heir-claims/{id}/validate", s.postValidateHeir)
			r.Post("/heir-claims/{id}/reject", s.postRejectHeir)
			r.Post("/refunds/{id}/approve", s.postApproveRefund)
			r.Post("/refunds/{id}/reject", s.postRejectRefund)
			r.Post("/refunds/{id}/paid", s.postRefundPaid)
			r.Post("/services/{id}/reverse", s.postReverseService)
			r.Post("/deceased/{cf}/date-of-death", s.postCorrectDateOfDeath)
			r.Post("/heir-claims/{id}/date-of-death", s.postCorrectClaimDateOfDeath)
			r.Post("/payroll-runs", s.postPayrollRun)
			r.Get("/worklist", s.getWorklist)
		})

		r.With(s.Allow(operator, auditor, citizen)).Get("/workers/{cf}/statements/{year}", s.getStatement)
		r.With(s.Allow(operator, auditor, citizen)).Get("/families/{cf}/dashboard", s.getDashboard)

		r.Route("/audit", func(r chi.Router) {
			r.Use(s.Allow(auditor))
			r.Get("/streams/{stream_id}", s.getAuditStream)
			r.Get("/heir-claims/{id}/replay", s.getReplay)
			r.Get("/verify", s.getVerify)
		})

		for _, e := range s.cfg.Extensions {
			e.Routes(r, s)
		}
	})
	return r
}

func (s *Server) timeout(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}
