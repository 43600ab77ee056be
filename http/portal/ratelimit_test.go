package portal

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/commands/seed"
	"github.com/inps/libretto/eventstore/memory"
	"github.com/inps/libretto/http/portal/sessions"
	"github.com/inps/libretto/http/ratelimit"
)

// TestTheLoginIsRateLimitedPerAddress: SPEC §8, the portal's login is rate
// limited per client address: beyond the limit a 429 page with Retry-After,
// and no session; another address still logs in.
func TestTheLoginIsRateLimitedPerAddress(t *testing.T) {
	t.Parallel()
	store := memory.New()
	p, err := New(Config{
		Commands: commands.NewHandler(store, memory.NewIdempotency(), memory.NewDocuments()), Queries: &fakeQueries{},
		Store: store, Dev: true, SessionKey: testKey, Sessions: sessions.NewMemory(),
		LoginLimit: ratelimit.New(ratelimit.Rate{Requests: 2, Per: time.Minute}, ratelimit.Clients{}),
	})
	if err != nil {
		t.Fatal(err)
	}
	// login fetches the login page and posts it from addr, as a browser would.
	login := func(addr string) *httptest.ResponseRecorder {
		t.Helper()
		page := httptest.NewRequest("GET", "/accedi", nil)
		page.RemoteAddr = addr
		w := httptest.NewRecorder()
		p.ServeHTTP(w, page)
		m := csrfRE.FindStringSubmatch(w.Body.String())
		if m == nil {
			t.Fatalf("no CSRF token on the login page: %d", w.Code)
		}
		form := url.Values{"csrf_token": {m[1]}, "cf": {seed.HeirLauraCF}, "role": {"citizen"}}
		post := httptest.NewRequest("POST", "/accedi", strings.NewReader(form.Encode()))
		post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		post.RemoteAddr = addr
		for _, c := range w.Result().Cookies() {
			post.AddCookie(c)
		}
		w = httptest.NewRecorder()
		p.ServeHTTP(w, post)
		return w
	}
	for i := range 2 {
		if w := login("203.0.113.9:5000"); w.Code != http.StatusSeeOther {
			t.Fatalf("login %d: %d\n%s", i+1, w.Code, w.Body)
		}
	}
	w := login("203.0.113.9:5001")
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "60" ||
		!strings.Contains(w.Body.String(), "Troppi tentativi") || w.Header().Get("Location") != "" {
		t.Fatalf("the third login: %d, Retry-After %q\n%s", w.Code, w.Header().Get("Retry-After"), w.Body)
	}
	if w := login("198.51.100.1:5000"); w.Code != http.StatusSeeOther {
		t.Fatalf("another address: %d", w.Code)
	}
	for range 5 {
		if w := login("127.0.0.1:5000"); w.Code != http.StatusSeeOther {
			t.Fatalf("loopback in development: %d", w.Code)
		}
	}
}
