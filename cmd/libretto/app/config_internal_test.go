package app

import (
	"strings"
	"testing"
	"time"
)

func TestProductionModeAlwaysSendsSecureCookies(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		cfg    Config
		secure bool
	}{
		{"prod sends Secure (__Host-) cookies without being told", Config{Mode: ModeProd}, true},
		{"dev keeps plain cookies for http://127.0.0.1", Config{Mode: ModeDev}, false},
		{"dev behind TLS may ask for them", Config{Mode: ModeDev, SecureCookies: true}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.cfg.setDefaults()
			if tc.cfg.SecureCookies != tc.secure {
				t.Fatalf("SecureCookies = %v, want %v", tc.cfg.SecureCookies, tc.secure)
			}
		})
	}
}

func TestSessionLifetimesComeFromTheEnvironment(t *testing.T) {
	t.Setenv("LIBRETTO_SESSION_IDLE", "15m")
	t.Setenv("LIBRETTO_SESSION_LIFETIME", "4h")
	if c := FromEnv(); c.SessionIdle != 15*time.Minute || c.SessionLifetime != 4*time.Hour {
		t.Fatalf("idle %v, lifetime %v", c.SessionIdle, c.SessionLifetime)
	}
	t.Setenv("LIBRETTO_SESSION_IDLE", "half an hour")
	t.Setenv("LIBRETTO_SESSION_LIFETIME", "-8h")
	c := FromEnv()
	err := c.Validate()
	if err == nil || !strings.Contains(err.Error(), "LIBRETTO_SESSION_IDLE") || !strings.Contains(err.Error(), "LIBRETTO_SESSION_LIFETIME") {
		t.Fatalf("Validate() = %v, want both bad durations named", err)
	}
}
