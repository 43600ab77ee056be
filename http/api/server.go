// Package api is Libretto's JSON HTTP API under /api/v1 (SPEC §5): routing,
// authentication and role rules, request decoding, RFC 9457 problems,
// idempotency keys, read-your-writes waits, audit, statement and payslip PDFs, health and
// metrics.
//
// Handlers issue commands and read projections' read models; they never touch
// SQL. It imports commands, projections, eventstore, domain (for its error
// type and value checks) and http/auth; nothing imports it but cmd/ and tests.
package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"
	_ "time/tzdata" // civil dates are Europe/Rome wherever the binary runs

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/domain/access"
	"github.com/inps/libretto/eventstore"
	"github.com/inps/libretto/http/auth"
	"github.com/inps/libretto/http/ratelimit"
	"github.com/inps/libretto/notify"
	"github.com/inps/libretto/projections"
	"github.com/inps/libretto/redact"
)

// Prefix is where the API is served.
const Prefix = "/api/v1"

// Body limits: 1 MiB for every POST but the heir claim, which carries a will
// of up to 10 MiB in base64, and the anonymous POSTs (simulators, assistant,
// dev tokens), whose largest valid body (20 children) is about 1 KiB.
const (
	MaxBody          = 1 << 20
	MaxClaimBody     = 16 << 20
	MaxAnonymousBody = 16 << 10
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
	GrantDelegation(context.Context, commands.Meta, commands.GrantDelegation) (commands.Result, error)
	RevokeDelegation(context.Context, commands.Meta, commands.RevokeDelegation) (commands.Result, error)
	// ActFor resolves X-On-Behalf-Of (the portal's person switch too): the
	// scopes of the delegation that lets delegate do a for person at now;
	// Delegations those cf granted and received (SPEC §9). Both read the
	// event store, so a revocation counts at once.
	ActFor(ctx context.Context, a access.Action, roles []access.Role, delegateCF, personCF string, now time.Time) (scopes []string, ok bool, err error)
	Delegations(ctx context.Context, cf string) (granted, received []domain.Delegation, err error)
	// ReplayClaim folds a claim's events recorded up to asOf.
	ReplayClaim(ctx context.Context, claimID string, asOf time.Time) (domain.ClaimSnapshot, []eventstore.Event, error)
}

// Config is what the API needs. Commands, Queries and Store are required.
type Config struct {
	Commands  Commands
	Queries   projections.Queries
	Documents commands.Documents // wills, for GET /heir-claims/{id}/will; optional
	Store     eventstore.Store   // audit reads and hash-chain verification
	Inbox     *notify.Inbox      // the notifications of GET /notifications; nil answers none

	// Auth verifies bearer tokens. Nil means development mode with a random
	// per-process key. POST /api/v1/dev/token exists only when Auth is an
	// *auth.Dev (possibly behind auth.Cached).
	Auth auth.Authenticator

	Logger   *slog.Logger         // default: discard; wrapped by redact.Logger
	Registry *prometheus.Registry // where API metrics are registered and /metrics reads; default: a new one
	Now      func() time.Time     // default: time.Now

	// Ready reports whether the store is reachable and no projector has
	// stopped; /readyz answers 503 with its error. Nil means always ready.
	Ready func(ctx context.Context) error
	// ProjectorLag returns each projector's lag in events behind the head of
	// the log, exported as libretto_projector_lag_events at each scrape (a
	// scrape has no context: the function bounds its own work). Optional.
	ProjectorLag func() map[string]float64

	// Limits bound, per client address, the anonymous and login routes
	// (SPEC §8).
	Limits Limits

	// ReadWait bounds ?min_position waits; default 5 s.
	ReadWait time.Duration
	// MaxLogRate is the most positions per second the global log can grow
	// by; default 100,000, some 15 times what make bench appends. A
	// ?min_position further past the head than ReadWait × MaxLogRate
	// cannot be reached in the wait and is answered 504 at once.
	MaxLogRate int64
	// RequestTimeout bounds every request; default 30 s.
	RequestTimeout time.Duration
}

// Limits are the rate limits of the routes anyone may call.
type Limits struct {
	// Anonymous bounds the simulators and the assistant, together; nil is
	// ratelimit.DefaultAnonymous with loopback callers exempt and
	// X-Forwarded-For ignored.
	Anonymous *ratelimit.Limiter
	// Login bounds POST /dev/token; nil is ratelimit.DefaultLogin, as above.
	Login *ratelimit.Limiter
}

func (c *Config) setDefaults() {
	if c.Auth == nil {
		c.Auth = auth.NewDev(auth.DevConfig{Now: c.Now})
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	c.Logger = redact.Logger(c.Logger) // no whole CF or IBAN in any line (SPEC §8)
	if c.Registry == nil {
		c.Registry = prometheus.NewRegistry()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Limits.Anonymous == nil {
		c.Limits.Anonymous = ratelimit.New(ratelimit.DefaultAnonymous, ratelimit.Clients{})
	}
	if c.Limits.Login == nil {
		c.Limits.Login = ratelimit.New(ratelimit.DefaultLogin, ratelimit.Clients{})
	}
	if c.ReadWait <= 0 {
		c.ReadWait = 5 * time.Second
	}
	if c.MaxLogRate <= 0 {
		c.MaxLogRate = 100_000
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

// Server is the API handler.
type Server struct {
	cfg     Config
	cmd     Commands
	q       projections.Queries
	store   eventstore.Store
	log     *slog.Logger
	metrics *metrics
	answers *answerKeys
	head    *logHead
	router  chi.Router
	actions map[string]access.Action // "METHOD /full/pattern" → its rule
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
	s := &Server{cfg: cfg, cmd: cfg.Commands, q: cfg.Queries, store: cfg.Store, log: cfg.Logger, metrics: m,
		answers: newAnswerKeys(answerKeyEntries), head: &logHead{store: cfg.Store, now: time.Now}}
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

func (s *Server) routes() chi.Router {
	s.actions = map[string]access.Action{}
	r := chi.NewRouter()
	r.Use(s.requestID, s.recoverer, s.observe)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		s.Problem(w, r, notFound("no such resource"))
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		s.Problem(w, r, &httpError{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed", Detail: r.Method + " is not allowed here"})
	})

	s.handle(r, "", http.MethodGet, "/healthz", access.Probe, s.healthz)
	s.handle(r, "", http.MethodGet, "/readyz", access.Probe, s.readyz)
	s.handle(r, "", http.MethodGet, "/metrics", access.Probe, s.metrics.handler(s.cfg.Registry).ServeHTTP)

	r.Route(Prefix, func(r chi.Router) {
		r.Use(s.timeout)
		r.NotFound(func(w http.ResponseWriter, r *http.Request) { s.Problem(w, r, notFound("no such resource")) })
		r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
			s.Problem(w, r, &httpError{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed", Detail: r.Method + " is not allowed here"})
		})
		get := func(pattern string, a access.Action, h http.HandlerFunc) { s.Handle(r, http.MethodGet, pattern, a, h) }
		post := func(pattern string, a access.Action, h http.HandlerFunc) { s.Handle(r, http.MethodPost, pattern, a, h) }

		get("/healthz", access.Probe, s.healthz)
		get("/readyz", access.Probe, s.readyz)
		get("/metrics", access.Probe, s.metrics.handler(s.cfg.Registry).ServeHTTP)
		if dev, ok := auth.DevOf(s.cfg.Auth); ok {
			s.Handle(r.With(s.LimitLogin), http.MethodPost, "/dev/token", access.IssueDevToken, s.devToken(dev))
		}

		post("/users", access.RegisterUser, s.postUser)
		post("/workers", access.RegisterWorker, s.postWorker)
		post("/deposits", access.RecordDeposit, s.postDeposit)
		post("/deposits/{id}/credit", access.CreditDeposit, s.postCreditDeposit)
		post("/deposits/notices", access.IssueNotice, s.postNotice)
		get("/deposits/notices", access.ReadOwnNotices, s.getNotices)
		get("/deposits/notices/{n}", access.ReadNotice, s.getNotice)
		post("/services", access.RecordService, s.postService)
		post("/services/{id}/revoke", access.RevokeService, s.postRevoke)

		post("/heir-claims", access.RegisterHeir, s.postHeirClaim)
		get("/heir-claims", access.ReadOwnClaims, s.getHeirClaims)
		get("/heir-claims/{id}", access.ReadClaim, s.getHeirClaim)
		get("/heir-claims/{id}/history", access.ReadClaimHistory, s.getHistory)
		get("/heir-claims/{id}/will", access.ReadWill, s.getWill)
		get("/heir-claims/{id}/booklet", access.ReadHeirBooklet, s.getHeirBooklet)
		post("/heir-claims/{id}/refund", access.RequestRefund, s.postRefund)
		post("/heir-claims/{id}/prior-services", access.InsertPriorService, s.postPriorService)

		post("/backoffice/heir-claims/{id}/validate", access.ValidateHeir, s.postValidateHeir)
		post("/backoffice/heir-claims/{id}/reject", access.RejectHeir, s.postRejectHeir)
		post("/backoffice/refunds/{id}/approve", access.ApproveRefund, s.postApproveRefund)
		post("/backoffice/refunds/{id}/reject", access.RejectRefund, s.postRejectRefund)
		post("/backoffice/refunds/{id}/paid", access.MarkRefundPaid, s.postRefundPaid)
		post("/backoffice/services/{id}/reverse", access.ReverseService, s.postReverseService)
		post("/backoffice/deceased/{cf}/date-of-death", access.CorrectDateOfDeath, s.postCorrectDateOfDeath)
		post("/backoffice/heir-claims/{id}/date-of-death", access.CorrectDateOfDeath, s.postCorrectClaimDateOfDeath)
		post("/backoffice/payroll-runs", access.RunPayroll, s.postPayrollRun)
		get("/backoffice/worklist", access.ReadWorklist, s.getWorklist)

		get("/workers/{cf}/statements/{year}", access.ReadStatement, s.getStatement)
		get("/workers/{cf}/payslips/{month}", access.ReadPayslip, s.getPayslip)
		get("/families/{cf}/dashboard", access.ReadDashboard, s.getDashboard)

		post("/delegations", access.GrantDelegation, s.postDelegation)
		get("/delegations", access.ReadDelegations, s.getDelegations)
		s.Handle(r, http.MethodDelete, "/delegations/{id}", access.RevokeDelegation, s.deleteDelegation)

		get("/audit/streams/{stream_id}", access.AuditStream, s.getAuditStream)
		get("/audit/heir-claims/{id}/replay", access.AuditReplay, s.getReplay)
		get("/audit/verify", access.AuditVerify, s.getVerify)

		s.familyRoutes(r) // SPEC §6: the family feeds and read, the simulators, the assistant
		s.notificationRoutes(r)
	})
	return r
}

// Handle registers h for method and pattern on r, the router of Prefix,
// under the rule of action a in the
// access table: a public action is served to anyone; any other is behind
// Allow(a). Every route of the API is registered through it, so none is
// without a rule (ActionOf lists them; a test walks the router).
func (s *Server) Handle(r chi.Router, method, pattern string, a access.Action, h http.HandlerFunc) {
	s.handle(r, Prefix, method, pattern, a, h)
}

func (s *Server) handle(r chi.Router, base, method, pattern string, a access.Action, h http.HandlerFunc) {
	if !access.Known(a) {
		panic("api: route " + method + " " + base + pattern + " names action " + string(a) + ", which the access table does not know")
	}
	s.actions[method+" "+base+pattern] = a
	if access.Public(a) {
		r.Method(method, pattern, h)
		return
	}
	r.With(s.Allow(a)).Method(method, pattern, h)
}

// ActionOf is the access table's action of the route registered for method
// and the full route pattern (as chi.Walk spells it); ok is false for a
// route registered without Handle.
func (s *Server) ActionOf(method, pattern string) (a access.Action, ok bool) {
	a, ok = s.actions[method+" "+pattern]
	return a, ok
}

// LimitAnonymous bounds how often one client address may call an
// anonymous route (SPEC §8): 429 rate_limited with Retry-After beyond.
func (s *Server) LimitAnonymous(next http.Handler) http.Handler {
	return s.cfg.Limits.Anonymous.Limit(next, s.rateLimited)
}

// LimitLogin is LimitAnonymous for the routes that hand out identities.
func (s *Server) LimitLogin(next http.Handler) http.Handler {
	return s.cfg.Limits.Login.Limit(next, s.rateLimited)
}

func (s *Server) rateLimited(w http.ResponseWriter, r *http.Request, retryAfter time.Duration) {
	s.Problem(w, r, &httpError{Status: http.StatusTooManyRequests, Code: "rate_limited",
		Detail: fmt.Sprintf("too many requests from your address: retry in %d s", int(retryAfter/time.Second))})
}

func (s *Server) timeout(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}
