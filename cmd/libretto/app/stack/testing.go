package stack

import (
	"context"
	"log/slog"
	"testing"

	"github.com/inps/libretto/eventstore/postgres/pgtest"
)

// ForTest opens a Stack on a fresh, migrated pgtest database with its
// projectors running, logging to logger (nil: discard), and stops and
// closes it when the test ends. It skips under -short, as every database
// test does.
func ForTest(tb testing.TB, logger *slog.Logger) *Stack {
	tb.Helper()
	url := pgtest.NewDatabase(tb)
	ctx, cancel := context.WithCancel(context.Background())
	if err := Migrate(ctx, url); err != nil {
		cancel()
		tb.Fatalf("stack: migrate: %v", err)
	}
	s, err := Open(ctx, Config{DatabaseURL: url, Logger: logger})
	if err != nil {
		cancel()
		tb.Fatalf("stack: open: %v", err)
	}
	if err := s.Runner.Start(ctx); err != nil {
		cancel()
		s.Close()
		tb.Fatalf("stack: projections: %v", err)
	}
	tb.Cleanup(func() {
		cancel()
		s.Close()
	})
	return s
}
