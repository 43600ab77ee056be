package stack

import (
	"context"
	"log/slog"
	"testing"

	"github.com/inps/libretto/eventstore/postgres/pgtest"
	"github.com/inps/libretto/projections"
)

// ForTest opens a Stack on a fresh, migrated pgtest database with its
// projectors (and extra beside them, such as the notifier) running, logging
// to logger (nil: discard), and stops and closes it when the test ends. It
// skips under -short, as every database test does.
func ForTest(tb testing.TB, logger *slog.Logger, extra ...projections.Projector) *Stack {
	tb.Helper()
	url := pgtest.NewDatabase(tb)
	ctx, cancel := context.WithCancel(context.Background())
	if err := Migrate(ctx, url); err != nil {
		cancel()
		tb.Fatalf("stack: migrate: %v", err)
	}
	s, err := Open(ctx, Config{DatabaseURL: url, Logger: logger, Projectors: extra})
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
