package main

import (
	"strings"
	"testing"
)

// TestServeInDevelopmentModeRefusesEveryInterface: libretto serve with
// LIBRETTO_MODE=dev and LIBRETTO_ADDR=0.0.0.0:8080 (or :8080) exits with one
// line naming the address and the way out (SPEC §8).
func TestServeInDevelopmentModeRefusesEveryInterface(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:8080", ":8080"} {
		t.Run(addr, func(t *testing.T) {
			t.Setenv("LIBRETTO_MODE", "dev")
			t.Setenv("LIBRETTO_ADDR", addr)
			t.Setenv("DATABASE_URL", "postgres://nowhere.invalid/libretto")
			_, err := runCLI(t, "serve")
			if err == nil {
				t.Fatal("serve started")
			}
			msg := err.Error()
			if !strings.Contains(msg, `LIBRETTO_ADDR "`+addr+`" is not a loopback address`) || !strings.Contains(msg, "LIBRETTO_MODE=prod") || strings.Contains(msg, "\n") {
				t.Fatalf("the error is not the one line expected: %q", msg)
			}
		})
	}
}
