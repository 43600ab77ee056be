package postgres_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/inps/libretto/eventstore"
	"github.com/inps/libretto/eventstore/postgres"
	"github.com/inps/libretto/eventstore/postgres/pgtest"
	"github.com/inps/libretto/eventstore/storetest"
)

// newPool returns a pool on a fresh, migrated database.
func newPool(tb testing.TB, maxConns int32) *pgxpool.Pool {
	tb.Helper()
	url := pgtest.NewDatabase(tb)
	ctx := context.Background()
	if err := postgres.Migrate(ctx, url); err != nil {
		tb.Fatal(err)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		tb.Fatal(err)
	}
	cfg.MaxConns = maxConns
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(pool.Close)
	return pool
}

func TestContract(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) eventstore.Store { return postgres.New(newPool(t, 8)) })
}
