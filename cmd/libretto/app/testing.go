package app

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"testing"

	"github.com/inps/libretto/eventstore/postgres/pgtest"
)

// StartForTest starts a whole Libretto in development mode on a fresh, migrated
// pgtest database and a free port on 127.0.0.1, and stops it when the test
// ends. configure, when given, adjusts the Config before New (Seed, Mode…).
// Logs are discarded unless LIBRETTO_TEST_LOG=1. It skips under -short, as
// every database test does.
func StartForTest(tb testing.TB, configure ...func(*Config)) *App {
	tb.Helper()
	url := pgtest.NewDatabase(tb)
	ctx, cancel := context.WithCancel(context.Background())
	if err := Migrate(ctx, url); err != nil {
		cancel()
		tb.Fatalf("app: migrate: %v", err)
	}
	logger := slog.New(slog.DiscardHandler)
	if os.Getenv("LIBRETTO_TEST_LOG") == "1" {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	cfg := Config{DatabaseURL: url, Mode: ModeDev, Logger: logger, Addr: "127.0.0.1:0"}
	for _, f := range configure {
		f(&cfg)
	}
	a, err := New(ctx, cfg)
	if err != nil {
		cancel()
		tb.Fatalf("app: new: %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		cancel()
		a.Close()
		tb.Fatalf("app: listen: %v", err)
	}
	a.BaseURL = "http://" + l.Addr().String()
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, l) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			tb.Errorf("app: serve: %v", err)
		}
		a.Close()
	})
	return a
}
