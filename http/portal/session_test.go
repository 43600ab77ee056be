package portal

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/commands/seed"
	"github.com/inps/libretto/eventstore/memory"
	"github.com/inps/libretto/eventstore/postgres/pgtest"
	pgsessions "github.com/inps/libretto/http/portal/sessions/postgres"
)

// clock is a settable clock for the portal's session expiry.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// sessionPortal is a portal whose sessions are in a private PostgreSQL
// database, as in production, with the memory event store and fake read
// models behind it: sessions are what these tests are about.
type sessionPortal struct {
	srv   *httptest.Server
	pool  *pgxpool.Pool
	clock *clock
}

func newSessionPortal(t *testing.T, configure ...func(*Config)) *sessionPortal {
	t.Helper()
	ctx := context.Background()
	dbURL := pgtest.NewDatabase(t)
	if err := pgsessions.Migrate(ctx, dbURL); err != nil {
		t.Fatalf("migrate sessions: %v", err)
	}
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	clk := &clock{t: time.Date(2026, 3, 10, 9, 0, 0, 0, rome)}
	store := memory.New()
	cfg := Config{
		Commands: commands.NewHandler(store, memory.NewIdempotency(), memory.NewDocuments()),
		Queries:  &fakeQueries{}, Store: store, Dev: true, SessionKey: testKey,
		Sessions: pgsessions.New(pool), Now: clk.now, Logger: slog.New(slog.DiscardHandler),
	}
	for _, f := range configure {
		f(&cfg)
	}
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return &sessionPortal{srv: srv, pool: pool, clock: clk}
}

// rows counts the sessions in the table.
func (sp *sessionPortal) rows(t *testing.T) int {
	t.Helper()
	var n int
	if err := sp.pool.QueryRow(context.Background(), `SELECT count(*) FROM portal_sessions`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// reaches reports whether b is let into path (200), rather than sent to
// the login page.
func (b *browser) reaches(path string) bool {
	b.t.Helper()
	resp, _ := b.get(path)
	switch {
	case resp.StatusCode == http.StatusOK:
		return true
	case resp.StatusCode == http.StatusSeeOther && strings.HasPrefix(resp.Header.Get("Location"), "/accedi"):
		return false
	}
	b.t.Fatalf("%s: status %d, Location %q", path, resp.StatusCode, resp.Header.Get("Location"))
	return false
}

// copyCookies gives to another browser every cookie b holds, as a thief
// (or a second tab) would have them.
func (b *browser) copyCookies(to *browser) {
	u, _ := url.Parse(b.base)
	to.client.Jar.SetCookies(u, b.client.Jar.Cookies(u))
}

func TestLogoutEndsTheSessionForACopiedCookie(t *testing.T) {
	t.Parallel()
	sp := newSessionPortal(t)
	office := newBrowser(t, sp.srv)
	office.login(seed.OperatorCF, commands.RoleOperator)
	thief := newBrowser(t, sp.srv)
	office.copyCookies(thief)
	if !thief.reaches("/backoffice") {
		t.Fatal("the copied cookie should work while the session lasts")
	}
	staleToken := thief.csrf("/backoffice")

	resp, _ := office.post("/esci", url.Values{"csrf_token": {office.csrf("/")}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	if office.reaches("/backoffice") {
		t.Fatal("the browser that logged out is still signed in")
	}
	if thief.reaches("/backoffice") {
		t.Fatal("a copy of the cookie still opens the back office after logout")
	}
	resp, _ = thief.post("/backoffice/pagamenti/riepilogo", url.Values{"csrf_token": {staleToken}, "data": {"2026-03-10"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a form of the ended session: %d, want 403", resp.StatusCode)
	}
	if n := sp.rows(t); n != 0 {
		t.Fatalf("%d sessions left in the table after the only one logged out", n)
	}
}

func TestAnExpiredSessionIsRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// use advances the clock by step, with a request after each, steps times.
		step    time.Duration
		steps   int
		stillIn bool
	}{
		{"a session used within the idle time lives on", 29 * time.Minute, 3, true},
		{"a session idle for 30 minutes is refused", 30 * time.Minute, 1, false},
		{"a session 8 hours old is refused however active", 20 * time.Minute, 24, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sp := newSessionPortal(t)
			b := newBrowser(t, sp.srv)
			b.login(seed.HeirLauraCF, commands.RoleCitizen)
			copied := newBrowser(t, sp.srv)
			b.copyCookies(copied)
			in := true
			for i := 0; i < tc.steps && in; i++ {
				sp.clock.add(tc.step)
				in = b.reaches("/erede")
			}
			if in != tc.stillIn {
				t.Fatalf("signed in after %d × %v: %v, want %v", tc.steps, tc.step, in, tc.stillIn)
			}
			if tc.stillIn {
				return
			}
			if _, page := b.get("/accedi"); !strings.Contains(page, "La sessione è scaduta") {
				t.Error("the login page does not say the session expired")
			}
			if copied.reaches("/erede") {
				t.Fatal("a copy of the expired session's cookie still works")
			}
			if n := sp.rows(t); n != 0 {
				t.Fatalf("the expired session is still in the table (%d rows)", n)
			}
		})
	}
}

func TestExpiredSessionsAreSweptAtSignIn(t *testing.T) {
	t.Parallel()
	sp := newSessionPortal(t)
	for _, cf := range []string{seed.HeirLauraCF, seed.HeirMarcoCF, seed.FamilyVerdiCF} {
		newBrowser(t, sp.srv).login(cf, commands.RoleCitizen) // three browsers left open, never used again
	}
	if n := sp.rows(t); n != 3 {
		t.Fatalf("%d sessions, want 3", n)
	}
	sp.clock.add(DefaultSessionIdle + time.Minute)
	newBrowser(t, sp.srv).login(seed.WorkerMariaCF, commands.RoleCitizen)
	if n := sp.rows(t); n != 1 {
		t.Fatalf("%d sessions after a sign-in past the others' expiry, want only the new one", n)
	}
}

func TestAWithdrawnRoleEndsThePersonsOtherSessionsAtNextLogin(t *testing.T) {
	t.Parallel()
	idp := newFakeIdP(t, "portal")
	sp := newSessionPortal(t, func(c *Config) {
		c.Dev = false
		c.OIDC = OIDCConfig{Issuer: idp.srv.URL, ClientID: "portal", ClientSecret: "s", RedirectURL: "http://portal.test/accedi/callback"}
	})
	spid := func(cf string, roles ...string) *browser {
		t.Helper()
		b := newBrowser(t, sp.srv)
		idp.mu.Lock()
		idp.claims = jwt.MapClaims{"fiscal_number": cf, "roles": roles}
		idp.mu.Unlock()
		resp, _ := b.get("/accedi/spid")
		loc, err := url.Parse(resp.Header.Get("Location"))
		if err != nil {
			t.Fatal(err)
		}
		q := loc.Query()
		idp.mu.Lock()
		idp.nonce, idp.challenge = q.Get("nonce"), q.Get("code_challenge")
		idp.mu.Unlock()
		resp, body := b.get("/accedi/callback?" + url.Values{"code": {"good-code"}, "state": {q.Get("state")}}.Encode())
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("SPID login of %s %v: %d\n%s", cf, roles, resp.StatusCode, body)
		}
		return b
	}

	audit := spid(seed.OperatorCF, "auditor")
	office := spid(seed.OperatorCF, "operator", "auditor")
	colleague := spid(seed.AuditorCF, "operator")
	laptop := spid(seed.OperatorCF, "operator", "auditor")
	if !audit.reaches("/audit") || !office.reaches("/backoffice") || !laptop.reaches("/backoffice") {
		t.Fatal("a login that still holds operator and auditor must leave the person's other sessions alone")
	}

	home := spid(seed.OperatorCF) // the roles claim no longer lists operator or auditor
	if audit.reaches("/audit") {
		t.Error("the auditor session outlived the withdrawn role")
	}
	if office.reaches("/backoffice") || laptop.reaches("/backoffice") {
		t.Error("an operator session outlived the withdrawn role")
	}
	if !colleague.reaches("/backoffice") {
		t.Error("another operator's session was ended")
	}
	if !home.reaches("/erede") {
		t.Error("the new login is not a citizen's")
	}
}

func TestADemoLoginAsCitizenEndsThatPersonsOperatorSessions(t *testing.T) {
	t.Parallel()
	sp := newSessionPortal(t)
	op := newBrowser(t, sp.srv)
	op.login(seed.OperatorCF, commands.RoleOperator)
	other := newBrowser(t, sp.srv)
	other.login(seed.OperatorCF, commands.RoleOperator)
	if !op.reaches("/backoffice") || !other.reaches("/backoffice") {
		t.Fatal("two operator sessions of one person must coexist")
	}
	newBrowser(t, sp.srv).login(seed.OperatorCF, commands.RoleCitizen)
	if op.reaches("/backoffice") || other.reaches("/backoffice") {
		t.Fatal("the demo login as a citizen stands for an identity without the operator role: its operator sessions must end")
	}
}

func TestSessionCookieInProduction(t *testing.T) {
	t.Parallel()
	sp := newSessionPortal(t, func(c *Config) { c.SecureCookies = true }) // behind a TLS-terminating proxy
	// The test speaks plain HTTP to the portal, so it carries the Secure
	// cookie by hand, as the proxy's client would over HTTPS.
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	cookieOf := func(resp *http.Response) *http.Cookie {
		t.Helper()
		var got *http.Cookie
		for _, c := range resp.Cookies() {
			switch c.Name {
			case "__Host-libretto_sessione":
				got = c
			case sessionCookie:
				t.Errorf("a cookie without the __Host- prefix was set: %s", c.Raw)
			}
		}
		if got == nil {
			t.Fatalf("no __Host-libretto_sessione cookie: %v", resp.Header["Set-Cookie"])
		}
		if !got.Secure || !got.HttpOnly || got.Path != "/" || got.Domain != "" || got.SameSite != http.SameSiteLaxMode {
			t.Fatalf("cookie %q: want Secure, HttpOnly, Path=/, no Domain, SameSite=Lax", got.Raw)
		}
		return got
	}
	resp, err := client.Get(sp.srv.URL + "/accedi")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	anon := cookieOf(resp)
	m := csrfRE.FindSubmatch(body)
	if m == nil {
		t.Fatal("no CSRF token on the login page")
	}
	req, _ := http.NewRequest(http.MethodPost, sp.srv.URL+"/accedi", strings.NewReader(url.Values{
		"csrf_token": {string(m[1])}, "cf": {seed.HeirLauraCF}, "role": {"citizen"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(anon)
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	signedIn := cookieOf(resp)
	if len(signedIn.Value) != tokenLen || strings.Contains(signedIn.Value, ".") || strings.Contains(signedIn.Value, seed.HeirLauraCF) {
		t.Fatalf("the signed-in cookie must be an opaque random id, got %q", signedIn.Value)
	}
	sum := sha256.Sum256([]byte(signedIn.Value))
	var byHash, byToken int
	err = sp.pool.QueryRow(context.Background(), `SELECT count(*) FILTER (WHERE id = $1), count(*) FILTER (WHERE position($2::bytea IN id) > 0)
		FROM portal_sessions`, sum[:], []byte(signedIn.Value)).Scan(&byHash, &byToken)
	if err != nil {
		t.Fatal(err)
	}
	if byHash != 1 || byToken != 0 {
		t.Fatalf("the table must hold the id's SHA-256 and not the id: %d by hash, %d by id", byHash, byToken)
	}
}

func TestTheSessionKeyAloneSignsNobodyIn(t *testing.T) {
	t.Parallel()
	srv := newTestPortal(t, nil)
	if _, err := New(Config{Commands: emptyHandler(), Queries: &fakeQueries{}, Dev: true, SessionKey: testKey}); err == nil {
		t.Fatal("a portal without a session store must not start")
	}
	// A cookie signed with the portal's own key, naming the operator as the
	// signed cookie did before sessions moved to the server.
	payload := base64.RawURLEncoding.EncodeToString([]byte(`{"cf":"` + seed.OperatorCF + `","role":"operator","csrf":"x","exp":` +
		strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10) + `}`))
	forged := payload + "." + base64.RawURLEncoding.EncodeToString((&Portal{cfg: Config{SessionKey: testKey}}).sign(payload))
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/backoffice", nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: forged})
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/accedi") {
		t.Fatalf("a cookie signed with the key opened the back office: %d", resp.StatusCode)
	}
}
