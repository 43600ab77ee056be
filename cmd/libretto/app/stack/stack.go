// Package stack builds Libretto's back end, once, for every entry point: the
// PostgreSQL pool, the event store (PostgreSQL, or EventStoreDB by
// EventStoreURL), the documents and idempotency stores, the command handler
// and the projection runner, each given what it needs at construction.
//
// cmd/libretto/app puts the API and the portal in front of a Stack for
// `serve` and opens a bare one for the operator tools; the tests of
// http/api, http/portal and commands/seed build theirs with ForTest, so a
// test runs on the stack that serves. It is not part of app because the
// portal's tests are inside package portal, which app imports: they could
// not import app without a cycle. So it imports nothing of http but the
// portal sessions' migrations.
package stack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/eventstore"
	"github.com/inps/libretto/eventstore/esdb"
	pgstore "github.com/inps/libretto/eventstore/postgres"
	pgsessions "github.com/inps/libretto/http/portal/sessions/postgres"
	"github.com/inps/libretto/projections"
)

// Config says where the stack keeps its data.
type Config struct {
	// DatabaseURL is the PostgreSQL of the read models, idempotency keys,
	// documents and, unless EventStoreURL says otherwise, events. Required.
	DatabaseURL string
	// EventStoreURL, when set (esdb://…), keeps the events in EventStoreDB.
	EventStoreURL string
	// GroupCommit, when positive, batches up to that many concurrent
	// appends of the PostgreSQL store in one transaction.
	GroupCommit int
	// ReadPace spaces the PostgreSQL store's reads at the head of the log;
	// zero reads on every notification.
	ReadPace time.Duration
	// Logger is the projectors'; default: discard.
	Logger *slog.Logger
	// Projectors are run beside the read models' (the notifier), under the
	// same runner: checkpoints, rebuilds, min_position waits.
	Projectors []projections.Projector
}

// Stack is the back end below HTTP. Its projectors are not running: start
// them with Runner.Start. Close releases it.
type Stack struct {
	// Pool is the PostgreSQL pool shared by the store, the read models and
	// the stores of commands.
	Pool *pgxpool.Pool
	// Store is the event store.
	Store eventstore.Store
	// Documents keeps uploaded wills.
	Documents commands.Documents
	// Idempotency keeps the first answer of each idempotency key.
	Idempotency commands.Idempotency
	// Commands executes commands; RunPayroll finds the booklets to pay
	// through Runner's read model.
	Commands *commands.Handler
	// Runner runs the projectors and answers read-model queries.
	Runner *projections.Runner

	closers []func()
}

// Open connects to cfg's databases and builds the stack. The database must
// be migrated (Migrate).
func Open(ctx context.Context, cfg Config) (*Stack, error) {
	if cfg.DatabaseURL == "" {
		return nil, errors.New("stack: DatabaseURL is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Stack{}
	pool, err := openPool(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	s.Pool = pool
	if s.Store, err = s.openStore(ctx, cfg); err != nil {
		s.Close()
		return nil, err
	}
	s.Documents = pgstore.NewDocuments(pool)
	s.Idempotency = pgstore.NewIdempotency(pool)
	s.Runner = projections.NewRunner(pool, s.Store, cfg.Logger, cfg.Projectors...)
	s.Commands = commands.NewHandler(s.Store, s.Idempotency, s.Documents,
		commands.WithUnpaidBooklets(s.Runner.PGQueries()))
	return s, nil
}

// Close waits for the projectors, whose context the caller cancels first,
// to write their last checkpoints, then releases the store and the pool.
func (s *Stack) Close() {
	if s.Runner != nil {
		s.Runner.Wait()
	}
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.closers[i]()
	}
	s.closers = nil
	if s.Pool != nil {
		s.Pool.Close()
	}
}

// Migrate brings the database at url to the schema the stack and the portal
// need: the event store's and the portal sessions'.
func Migrate(ctx context.Context, url string) error {
	if err := pgstore.Migrate(ctx, url); err != nil {
		return err
	}
	return pgsessions.Migrate(ctx, url)
}

func openPool(ctx context.Context, url string) (*pgxpool.Pool, error) {
	pcfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}
	if pcfg.MaxConns < 16 {
		// Appends, projectors (one connection each while live), LISTEN and
		// concurrent reads share the pool; pgx's default of max(4, CPUs) is
		// too small on a 2-core machine.
		pcfg.MaxConns = 16
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("database: %w", err)
	}
	return pool, nil
}

// openStore is the PostgreSQL event store, or EventStoreDB when
// cfg.EventStoreURL names one.
func (s *Stack) openStore(ctx context.Context, cfg Config) (eventstore.Store, error) {
	if cfg.EventStoreURL != "" {
		es, err := esdb.Open(ctx, cfg.EventStoreURL)
		if err != nil {
			return nil, err
		}
		s.closers = append(s.closers, func() { _ = es.Close() })
		return es, nil
	}
	opts := []pgstore.Option{pgstore.WithReadPace(cfg.ReadPace)}
	if cfg.GroupCommit > 0 {
		opts = append(opts, pgstore.WithGroupCommit(cfg.GroupCommit))
	}
	return pgstore.New(s.Pool, opts...), nil
}
