// Package app wires Libretto together: the PostgreSQL pool, the event store,
// the command handler, the projection runner, the HTTP API and the portal,
// behind one http.Server with graceful shutdown. It is the only place that
// knows every package; nothing imports it but cmd/libretto and end-to-end tests.
package app

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/inps/libretto/cmd/libretto/app/stack"
	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/commands/familyfeed"
	"github.com/inps/libretto/commands/seed"
	"github.com/inps/libretto/eventstore"
	"github.com/inps/libretto/eventstore/esdb"
	"github.com/inps/libretto/http/api"
	"github.com/inps/libretto/http/auth"
	"github.com/inps/libretto/http/portal"
	pgsessions "github.com/inps/libretto/http/portal/sessions/postgres"
	"github.com/inps/libretto/http/ratelimit"
	"github.com/inps/libretto/notify"
	"github.com/inps/libretto/projections"
	"github.com/inps/libretto/redact"
)

// App is a wired Libretto: build it with New, run it with Serve or
// ListenAndServe, release it with Close.
type App struct {
	// Config is the configuration New was given, with defaults applied.
	Config Config
	// Pool is the PostgreSQL pool shared by the store, the read models and the stores of commands.
	Pool *pgxpool.Pool
	// Store is the event store (PostgreSQL, or EventStoreDB by EVENTSTORE_URL).
	Store eventstore.Store
	// Commands executes commands; tests may call it directly.
	Commands *commands.Handler
	// Documents keeps uploaded wills.
	Documents commands.Documents
	// Runner runs the projectors and answers read-model queries.
	Runner *projections.Runner
	// Dispatcher drains the notifications' outbox; Inbox reads the portal
	// inbox. Both are set by New.
	Dispatcher *notify.Dispatcher
	Inbox      *notify.Inbox
	// Dev issues development tokens; nil in production mode.
	Dev *auth.Dev
	// Registry holds the Prometheus metrics /metrics serves.
	Registry *prometheus.Registry
	// Handler serves /api/v1, the portal at /, and /healthz, /readyz, /metrics.
	Handler http.Handler
	// BaseURL is set by StartForTest: http://127.0.0.1:<port>.
	BaseURL string

	stack  *stack.Stack
	log    *slog.Logger
	ctx    context.Context // background work's; Close cancels it
	cancel context.CancelFunc
	wg     sync.WaitGroup // background goroutines Close waits for
	closed bool
}

// New assembles Libretto from cfg and starts its projectors. ctx bounds the
// start-up (connecting, seeding); background work (projectors, feeds) lives
// until Close, so that a server shutting down finishes its requests first.
// The database must be migrated (Migrate).
func New(ctx context.Context, cfg Config) (*App, error) {
	cfg.setDefaults()
	if err := cfg.checkListen(); err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	a, err := Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := a.start(ctx); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

// Open builds the back end (stack.Open: the pool, the event store, the
// command handler and the projection runner) without starting projectors or
// building the HTTP handler: what the operator tools (projections, audit,
// seed) need. Close it.
func Open(ctx context.Context, cfg Config) (*App, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	cfg.Logger = redact.Logger(cfg.Logger) // the one place every component's logger comes from
	a := &App{Config: cfg, log: cfg.Logger}
	a.ctx, a.cancel = context.WithCancel(context.WithoutCancel(ctx))
	st, err := stack.Open(ctx, stack.Config{
		DatabaseURL:   cfg.DatabaseURL,
		EventStoreURL: cfg.EventStoreURL,
		GroupCommit:   cfg.GroupCommit,
		ReadPace:      cfg.ReadPace,
		Logger:        a.log,
		Projectors:    []projections.Projector{cfg.notifier()},
	})
	if err != nil {
		a.Close()
		return nil, err
	}
	a.stack = st
	a.Pool, a.Store, a.Documents, a.Commands, a.Runner = st.Pool, st.Store, st.Documents, st.Commands, st.Runner
	return a, nil
}

// StartProjectors runs the projectors until Close, for a tool that needs
// its read models to follow what it appends.
func (a *App) StartProjectors() error { return a.Runner.Start(a.ctx) }

// start runs the projectors and builds the HTTP handler.
func (a *App) start(ctx context.Context) error {
	if err := a.Runner.Start(a.ctx); err != nil {
		return fmt.Errorf("projections: %w", err)
	}

	if es, ok := a.Store.(*esdb.Store); ok {
		// EventStoreDB: finish the sagas a crash left open, now and every minute.
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			a.recoverSagas(a.ctx, es)
		}()
	}
	if a.Config.Seed {
		if err := a.seedIfEmpty(ctx); err != nil {
			return err
		}
	}
	if a.Config.NATSURL != "" {
		feed, err := familyfeed.New(familyfeed.Config{URL: a.Config.NATSURL, Commands: a.Commands, Logger: a.log.With("component", "familyfeed")})
		if err != nil {
			return err
		}
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			if err := feed.Run(a.ctx); err != nil {
				a.log.Error("family feed stopped", "err", err)
			}
		}()
		a.log.Info("family feed from NATS JetStream", "topic", familyfeed.DefaultTopic)
	}

	authn, err := a.authenticator(ctx)
	if err != nil {
		return err
	}
	authn = auth.NewCached(authn, 10_000, nil)
	anonymous, login, err := a.Config.limiters()
	if err != nil {
		return err
	}
	a.Registry = prometheus.NewRegistry()
	a.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if err := a.startNotify(); err != nil {
		return err
	}
	apiServer, err := api.New(api.Config{
		Commands:     a.Commands,
		Queries:      a.Runner.Queries(),
		Documents:    a.Documents,
		Store:        a.Store,
		Inbox:        a.Inbox,
		Auth:         authn,
		Logger:       a.log.With("component", "api"),
		Registry:     a.Registry,
		Ready:        a.ready,
		ProjectorLag: a.projectorLag,
		Limits:       api.Limits{Anonymous: anonymous, Login: login},
	})
	if err != nil {
		return fmt.Errorf("api: %w", err)
	}

	mux := http.NewServeMux()
	mux.Handle(api.Prefix+"/", apiServer)
	for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
		mux.Handle(p, apiServer)
	}
	if h, err := a.portal(login); err != nil {
		return err
	} else if h != nil {
		mux.Handle("/", h)
	} else {
		mux.Handle("/", apiServer) // an API-only node: / answers problem+json 404
	}
	a.Handler = mux
	return nil
}

// portal is the web portal at /. In production it needs its OIDC client
// (OIDC_CLIENT_ID, OIDC_REDIRECT_URL); without one the node serves the API only.
func (a *App) portal(login *ratelimit.Limiter) (http.Handler, error) {
	c := a.Config
	dev := c.Mode == ModeDev
	if !dev && c.OIDCClientID == "" {
		a.log.Warn("portal disabled: OIDC_CLIENT_ID is not set in production mode; serving the API only")
		return nil, nil
	}
	key := c.SessionKey
	if len(key) == 0 {
		// Development: a visitor's half-done login lasts as long as the
		// process (sessions of people signed in are in the database).
		key = make([]byte, 32)
		_, _ = rand.Read(key)
	}
	var oidcCfg portal.OIDCConfig
	if c.OIDCClientID != "" {
		oidcCfg = portal.OIDCConfig{
			Issuer: c.OIDCIssuer, ClientID: c.OIDCClientID, ClientSecret: c.OIDCClientSecret,
			RedirectURL: c.OIDCRedirectURL, RolesClaim: c.OIDCRolesClaim, AllowedACR: c.OIDCAllowedACR,
		}
	}
	h, err := portal.New(portal.Config{
		Commands:        a.Commands,
		Queries:         a.Runner.Queries(),
		Documents:       a.Documents,
		Store:           a.Store,
		StatementPDF:    api.StatementPDF, // the same document as the API's
		PayslipPDF:      api.PayslipPDF,
		NoticePDF:       api.NoticePDF,
		Inbox:           a.Inbox,
		Logger:          a.log.With("component", "portal"),
		Dev:             dev,
		Sessions:        pgsessions.New(a.Pool),
		SessionIdle:     c.SessionIdle,
		SessionLifetime: c.SessionLifetime,
		SessionKey:      key,
		SecureCookies:   c.SecureCookies,
		OIDC:            oidcCfg,
		LoginLimit:      login,
	})
	if err != nil {
		return nil, fmt.Errorf("portal: %w", err)
	}
	return h, nil
}

func (a *App) authenticator(ctx context.Context) (auth.Authenticator, error) {
	if a.Config.Mode == ModeDev {
		a.Dev = auth.NewDev(auth.DevConfig{})
		return a.Dev, nil
	}
	o, err := auth.NewOIDC(ctx, auth.OIDCConfig{
		IssuerURL:  a.Config.OIDCIssuer,
		Audience:   a.Config.OIDCAudience,
		RolesClaim: a.Config.OIDCRolesClaim,
		AllowedACR: a.Config.OIDCAllowedACR,
	})
	if err != nil {
		return nil, fmt.Errorf("oidc: %w", err)
	}
	return o, nil
}

// ready is /readyz: the store answers and no projector has stopped.
func (a *App) ready(ctx context.Context) error {
	if _, err := a.Store.Head(ctx); err != nil {
		return fmt.Errorf("event store: %w", err)
	}
	return a.Runner.Ready()
}

// projectorLag feeds libretto_projector_lag_events at each scrape.
func (a *App) projectorLag() map[string]float64 {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := a.Runner.Status(ctx)
	if err != nil {
		return nil
	}
	out := make(map[string]float64, len(st))
	for _, s := range st {
		out[s.Name] = float64(s.LagEvents)
	}
	return out
}

// seedIfEmpty loads the demo data when the event store holds no event: a
// database with anyone's data in it is left alone (libretto seed completes an
// interrupted seed on demand).
func (a *App) seedIfEmpty(ctx context.Context) error {
	head, err := a.Store.Head(ctx)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	if head.Events > 0 {
		return nil
	}
	started := time.Now()
	a.log.Info("loading demo data into the empty event store (LIBRETTO_SEED)")
	if err := seed.Seed(ctx, a.Commands, started, seed.WaitFor(a.Runner.WaitFor)); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	a.log.Info("demo data ready", "took", time.Since(started).Round(time.Millisecond))
	return nil
}

// recoverSagas runs the saga recovery of the EventStoreDB store at
// start-up and then every minute until ctx ends.
func (a *App) recoverSagas(ctx context.Context, es *esdb.Store) {
	r := es.NewSagaRecovery(0)
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		out, err := r.Run(ctx, time.Now())
		switch {
		case err != nil && ctx.Err() == nil:
			a.log.Error("saga recovery", "err", err)
		case out.RolledFwd+out.RolledBack > 0:
			a.log.Warn("saga recovery finished sagas left open", "rolled_forward", out.RolledFwd, "rolled_back", out.RolledBack, "still_open", out.Open)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// now is the background jobs' clock.
func (a *App) now() time.Time {
	if a.Config.Now != nil {
		return a.Config.Now()
	}
	return time.Now()
}

// ListenAndServe listens on Config.Addr and serves until ctx ends.
func (a *App) ListenAndServe(ctx context.Context) error {
	l, err := net.Listen("tcp", a.Config.Addr)
	if err != nil {
		return err
	}
	if a.Config.PprofAddr != "" {
		go func() {
			a.log.Warn("serving pprof", "addr", a.Config.PprofAddr)
			mux := http.NewServeMux()
			mux.HandleFunc("/debug/pprof/", pprof.Index)
			mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
			err := (&http.Server{Addr: a.Config.PprofAddr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}).ListenAndServe()
			a.log.Error("pprof stopped", "err", err)
		}()
	}
	return a.Serve(ctx, l)
}

// Serve serves on l until ctx ends, then shuts down gracefully: it stops
// accepting, lets requests in flight finish within Config.ShutdownTimeout
// and returns nil.
func (a *App) Serve(ctx context.Context, l net.Listener) error {
	srv := &http.Server{
		Handler:           a.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second, // a 16 MiB will upload on a slow line
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	a.log.Info("serving", "addr", "http://"+l.Addr().String(), "mode", a.Config.Mode)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.Config.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if e := <-errc; e != nil && !errors.Is(e, http.ErrServerClosed) && err == nil {
		err = e
	}
	return err
}

// Close stops background work and releases the pool. It is safe to call twice.
func (a *App) Close() {
	if a.closed {
		return
	}
	a.closed = true
	a.cancel()
	a.wg.Wait()
	if a.stack != nil {
		a.stack.Close() // the projectors write the checkpoints of batches they skipped before the pool goes
	}
}

// Migrate brings the database at url to the schema this binary needs: the
// event store's and the portal sessions' (stack.Migrate).
func Migrate(ctx context.Context, url string) error { return stack.Migrate(ctx, url) }
