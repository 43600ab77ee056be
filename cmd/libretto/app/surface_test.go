package app_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/inps/libretto/cmd/libretto/app"
	"github.com/inps/libretto/commands/seed"
)

// TestDevelopmentModeRefusesANonLoopbackAddress: SPEC §8, development mode
// (dev tokens, demo logins) refuses to listen where other machines reach
// it, with a one-line error, before it connects to anything.
func TestDevelopmentModeRefusesANonLoopbackAddress(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{"0.0.0.0:8080", ":8080", "[::]:8080", "192.0.2.10:8080", "libretto.example:8080", "127.0.0.1"} {
		t.Run(addr, func(t *testing.T) {
			t.Parallel()
			_, err := app.New(context.Background(), app.Config{DatabaseURL: "postgres://nowhere.invalid/x", Mode: app.ModeDev, Addr: addr})
			if err == nil || !strings.Contains(err.Error(), "not a loopback address") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("New on %s: %v", addr, err)
			}
		})
	}
}

// TestRateLimitsComeFromConfiguration: the limits of the anonymous and the
// login endpoints are LIBRETTO_RATE_ANONYMOUS and LIBRETTO_RATE_LOGIN; a
// caller from another machine gets 429 with Retry-After beyond them, a
// loopback caller of a development server never does.
func TestRateLimitsComeFromConfiguration(t *testing.T) {
	t.Parallel()
	bad := app.Config{DatabaseURL: "postgres://x", RateAnonymous: "lots", RateLogin: "5/1ms", TrustedProxies: "proxy.example"}
	err := bad.Validate()
	for _, want := range []string{"LIBRETTO_RATE_ANONYMOUS", "LIBRETTO_RATE_LOGIN", "LIBRETTO_TRUSTED_PROXIES"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate does not name %s: %v", want, err)
		}
	}

	a := app.StartForTest(t, func(c *app.Config) { c.RateAnonymous = "2/1m"; c.RateLogin = "1/10s" })
	send := func(path, body, remote string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", path, strings.NewReader(body))
		req.RemoteAddr = remote
		if strings.HasPrefix(path, "/api/") {
			req.Header.Set("Content-Type", "application/json")
		}
		w := httptest.NewRecorder()
		a.Handler.ServeHTTP(w, req)
		return w
	}
	const stranger = "203.0.113.9:4000"
	ask := `{"question":"rimborso"}`
	for i := range 2 {
		if w := send("/api/v1/assistant", ask, stranger); w.Code != http.StatusOK {
			t.Fatalf("request %d: %d %s", i+1, w.Code, w.Body)
		}
	}
	if w := send("/api/v1/simulators/bonus-nido", `{"year":2026,"birth_date":"2025-04-01"}`, stranger); w.Code != http.StatusTooManyRequests ||
		w.Header().Get("Retry-After") != "60" || !strings.Contains(w.Body.String(), `"rate_limited"`) {
		t.Fatalf("the third anonymous request: %d, Retry-After %q, %s", w.Code, w.Header().Get("Retry-After"), w.Body)
	}
	token := `{"subject":"OPERATORE-1","roles":["operator"]}`
	if w := send("/api/v1/dev/token", token, stranger); w.Code != http.StatusOK {
		t.Fatalf("dev token: %d %s", w.Code, w.Body)
	}
	if w := send("/api/v1/dev/token", token, stranger); w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "10" {
		t.Fatalf("the second dev token: %d, Retry-After %q", w.Code, w.Header().Get("Retry-After"))
	}
	// The portal's login shares the login budget.
	page := httptest.NewRequest("GET", "/accedi", nil)
	page.RemoteAddr = stranger
	w := httptest.NewRecorder()
	a.Handler.ServeHTTP(w, page)
	csrf := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindStringSubmatch(w.Body.String())
	if csrf == nil {
		t.Fatalf("login page: %d", w.Code)
	}
	form := url.Values{"csrf_token": {csrf[1]}, "cf": {seed.OperatorCF}, "role": {"operator"}}
	login := httptest.NewRequest("POST", "/accedi", strings.NewReader(form.Encode()))
	login.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	login.RemoteAddr = stranger
	for _, c := range w.Result().Cookies() {
		login.AddCookie(c)
	}
	w = httptest.NewRecorder()
	a.Handler.ServeHTTP(w, login)
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") == "" {
		t.Fatalf("the portal's login after a dev token: %d", w.Code)
	}
	for range 5 {
		if w := send("/api/v1/dev/token", token, "127.0.0.1:4000"); w.Code != http.StatusOK {
			t.Fatalf("a loopback caller was limited in development: %d", w.Code)
		}
	}
}
