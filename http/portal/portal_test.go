package portal

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/commands/seed"
	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/eventstore/memory"
	"github.com/inps/libretto/http/portal/sessions"
	"github.com/inps/libretto/projections"
)

// fakeQueries is a hand-written read model for handler tests that need no
// database: claims by id, nothing else.
type fakeQueries struct {
	claims map[string]projections.Claim
}

func (q *fakeQueries) Claim(_ context.Context, id string) (projections.Claim, error) {
	c, ok := q.claims[id]
	if !ok {
		return projections.Claim{}, projections.ErrNotFound
	}
	return c, nil
}

func (q *fakeQueries) ClaimsByHeir(_ context.Context, heir string) ([]projections.Claim, error) {
	var out []projections.Claim
	for _, c := range q.claims {
		if c.HeirCF == heir {
			out = append(out, c)
		}
	}
	return out, nil
}

func (q *fakeQueries) History(_ context.Context, id string) (projections.History, error) {
	if _, ok := q.claims[id]; !ok {
		return projections.History{}, projections.ErrNotFound
	}
	return projections.History{ClaimID: id}, nil
}

func (q *fakeQueries) Statement(context.Context, string, int) (projections.Statement, error) {
	return projections.Statement{}, projections.ErrNotFound
}

func (q *fakeQueries) Payslip(context.Context, string, string) (projections.Payslip, error) {
	return projections.Payslip{}, projections.ErrNotFound
}

func (q *fakeQueries) PayslipMonths(context.Context, string) ([]string, error) {
	return []string{}, nil
}

func (q *fakeQueries) Dashboard(context.Context, string, string) (projections.Dashboard, error) {
	return projections.Dashboard{}, projections.ErrNotFound
}

func (q *fakeQueries) Worklist(context.Context) (projections.Worklist, error) {
	return projections.Worklist{}, nil
}

func (q *fakeQueries) WorklistWindow(context.Context, int, int) (projections.WorklistWindow, error) {
	return projections.WorklistWindow{}, nil
}

func (q *fakeQueries) OpenRefund(context.Context, string) (projections.WorklistRefund, error) {
	return projections.WorklistRefund{}, projections.ErrNotFound
}

func (q *fakeQueries) WaitFor(context.Context, int64) error { return nil }

var testKey = []byte("0123456789abcdef0123456789abcdef")

func newTestPortal(t *testing.T, q projections.Queries) *httptest.Server {
	t.Helper()
	store := memory.New()
	h := commands.NewHandler(store, memory.NewIdempotency(), memory.NewDocuments())
	if q == nil {
		q = &fakeQueries{}
	}
	p, err := New(Config{
		Commands: h, Queries: q, Store: store, Dev: true, SessionKey: testKey, Sessions: sessions.NewMemory(),
		Now: func() time.Time { return time.Date(2026, 3, 10, 10, 0, 0, 0, rome) },
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return srv
}

// browser is a cookie-keeping client that does not follow redirects.
type browser struct {
	t      *testing.T
	base   string
	client *http.Client
}

// operatorOn is a browser logged in as the demo operator on st's portal.
func operatorOn(t *testing.T, st *stack) *browser {
	t.Helper()
	op := newBrowser(t, st.srv)
	op.login(seed.OperatorCF, commands.RoleOperator)
	return op
}

func newBrowser(t *testing.T, srv *httptest.Server) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: srv.URL, client: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func (b *browser) get(path string) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.client.Get(b.base + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func (b *browser) post(path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.client.PostForm(b.base+path, form)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

var csrfRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// csrf fetches a page and returns its CSRF token.
func (b *browser) csrf(path string) string {
	b.t.Helper()
	_, body := b.get(path)
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		b.t.Fatalf("no CSRF token on %s", path)
	}
	return m[1]
}

func (b *browser) login(cf string, role commands.Role) {
	b.t.Helper()
	tok := b.csrf("/accedi")
	resp, body := b.post("/accedi", url.Values{"csrf_token": {tok}, "cf": {cf}, "role": {string(role)}})
	if resp.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("login as %s: status %d\n%s", cf, resp.StatusCode, body)
	}
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	srv := newTestPortal(t, nil)
	resp, _ := newBrowser(t, srv).get("/accedi")
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP allows inline code: %q", csp)
	}
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookie {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode {
		t.Fatalf("session cookie must be HttpOnly and SameSite=Lax: %+v", session)
	}
}

func TestPagesHaveNoInlineScriptOrStyle(t *testing.T) {
	t.Parallel()
	srv := newTestPortal(t, nil)
	b := newBrowser(t, srv)
	b.login(seed.HeirLauraCF, commands.RoleCitizen)
	inline := regexp.MustCompile(`(?i)<script>|<script [^>]*>[^<]|\sstyle=|\son[a-z]+=`)
	for _, path := range []string{"/", "/accedi", "/pagina-che-non-esiste"} {
		_, body := b.get(path)
		if m := inline.FindString(body); m != "" {
			t.Errorf("%s has inline code %q, which the CSP blocks", path, m)
		}
	}
}

func TestPostWithoutCSRFTokenIsRefused(t *testing.T) {
	t.Parallel()
	srv := newTestPortal(t, nil)
	b := newBrowser(t, srv)
	b.get("/accedi")
	resp, _ := b.post("/accedi", url.Values{"cf": {seed.HeirLauraCF}, "role": {"citizen"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("status %d, want 403", resp.StatusCode)
	}
	resp, _ = b.post("/accedi", url.Values{"csrf_token": {"forged"}, "cf": {seed.HeirLauraCF}, "role": {"citizen"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("forged token: status %d, want 403", resp.StatusCode)
	}
}

func TestCrossOriginPostIsRefused(t *testing.T) {
	t.Parallel()
	srv := newTestPortal(t, nil)
	b := newBrowser(t, srv)
	tok := b.csrf("/accedi")
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/accedi", strings.NewReader(url.Values{
		"csrf_token": {tok}, "cf": {seed.HeirLauraCF}, "role": {"citizen"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := b.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("status %d, want 403", resp.StatusCode)
	}
}

func TestForgedSessionCookieIsIgnored(t *testing.T) {
	t.Parallel()
	srv := newTestPortal(t, nil)
	p, _ := New(Config{Commands: emptyHandler(), Queries: &fakeQueries{}, Dev: true, SessionKey: []byte("another key, 32 bytes long......"), Sessions: sessions.NewMemory()})
	forged := p.encodeSession(&session{CF: seed.OperatorCF, Role: commands.RoleOperator, CSRF: "x", expires: time.Now().Add(time.Hour).Unix()})
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/", nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: forged})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.Contains(string(body), seed.OperatorCF) || !strings.Contains(string(body), "Accedi all'area riservata") {
		t.Fatal("a cookie signed with another key signed the operator in")
	}
}

func TestDevLogin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		cf, role  string
		status    int
		wantField string
	}{
		{"a demo citizen signs in", seed.HeirLauraCF, "citizen", http.StatusSeeOther, ""},
		{"lower-case codice fiscale is accepted", strings.ToLower(seed.OperatorCF), "operator", http.StatusSeeOther, ""},
		{"wrong check character is refused beside the field", "BNCLRA70D45F205A", "citizen", http.StatusUnprocessableEntity, "f-cf-error"},
		{"the system role cannot sign in", seed.HeirLauraCF, "system", http.StatusUnprocessableEntity, "f-role-error"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := newBrowser(t, newTestPortal(t, nil))
			tok := b.csrf("/accedi")
			resp, body := b.post("/accedi", url.Values{"csrf_token": {tok}, "cf": {tc.cf}, "role": {tc.role}})
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if tc.wantField != "" {
				if !strings.Contains(body, `id="`+tc.wantField+`"`) || !regexp.MustCompile(`aria-describedby="[^"]*`+tc.wantField).MatchString(body) {
					t.Fatalf("error %s not tied to its field:\n%s", tc.wantField, body)
				}
				if !strings.Contains(body, `value="`+tc.cf+`"`) {
					t.Fatal("the typed codice fiscale was not kept")
				}
				return
			}
			_, home := b.get("/")
			if !strings.Contains(home, "Tutte le attività dedicate a te") {
				t.Fatal("home after login lacks the activity cards")
			}
		})
	}
}

func TestHomeCardsFollowTheRole(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cf      string
		role    commands.Role
		want    string
		notWant string
	}{
		{"a citizen sees the heir section", seed.HeirLauraCF, commands.RoleCitizen, `href="/erede"`, `href="/backoffice"`},
		{"an operator sees the worklist", seed.OperatorCF, commands.RoleOperator, `href="/backoffice"`, `href="/erede"`},
		{"an auditor sees the hash-chain check", seed.AuditorCF, commands.RoleAuditor, `href="/audit/verifica"`, `href="/backoffice"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := newBrowser(t, newTestPortal(t, nil))
			b.login(tc.cf, tc.role)
			_, body := b.get("/")
			if !strings.Contains(body, tc.want) || strings.Contains(body, tc.notWant) {
				t.Fatalf("want %s and not %s on the home page", tc.want, tc.notWant)
			}
		})
	}
}

func TestPostLoginRedirectStaysOnThisSite(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, after, want string
	}{
		{"a path of this site is kept", "/erede", "/erede"},
		{"a path with its query is kept", "/backoffice?pagina=2", "/backoffice?pagina=2"},
		{"a double-encoded slash is a path of this site and kept", "/%252F%252Fevil.test", "/%252F%252Fevil.test"},
		{"nothing is the home page", "", "/"},
		{"an absolute URL is refused", "https://evil.test/", "/"},
		{"a scheme without slashes is refused", "javascript:alert(1)", "/"},
		{"a relative path is refused", "evil.test", "/"},
		{"a protocol-relative URL is refused", "//evil.test/", "/"},
		{"a backslash after the slash is refused", "/\\evil.test", "/"},
		{"two backslashes are refused", "\\\\evil.test", "/"},
		{"a backslash anywhere is refused", "/erede\\..\\", "/"},
		{"a tab between the slashes is refused", "/\t/evil.test", "/"},
		{"a line break is refused", "/erede\r\nSet-Cookie: x=y", "/"},
		{"a line separator is refused", "/erede\u2028", "/"},
		{"an encoded // is refused after decoding", "/%2F%2Fevil.test", "/"},
		{"an encoded // in lower case is refused after decoding", "/%2f%2fevil.test", "/"},
		{"an encoded backslash is refused after decoding", "/%5Cevil.test", "/"},
		{"an encoded tab is refused after decoding", "/%09/evil.test", "/"},
		{"an encoded NUL is refused after decoding", "/erede%00", "/"},
		{"bytes that are no UTF-8 are refused", "/%ff%fe", "/"},
		{"a bad escape is refused", "/erede%zz", "/"},
		{"a destination longer than any page is refused", "/" + strings.Repeat("a", maxAfter), "/"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := safeAfter(tc.after); got != tc.want {
				t.Fatalf("safeAfter(%q) = %q, want %q", tc.after, got, tc.want)
			}
		})
	}
	t.Run("the login sends an encoded // home", func(t *testing.T) {
		t.Parallel()
		b := newBrowser(t, newTestPortal(t, nil))
		tok := b.csrf("/accedi?dopo=" + url.QueryEscape("/%2F%2Fevil.test"))
		resp, _ := b.post("/accedi", url.Values{"csrf_token": {tok}, "cf": {seed.HeirLauraCF}, "role": {"citizen"},
			"dopo": {"/%2F%2Fevil.test"}})
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/" {
			t.Fatalf("login: %d to %q, want 303 to /", resp.StatusCode, loc)
		}
	})
}

func TestEuroFormat(t *testing.T) {
	t.Parallel()
	for cents, want := range map[int64]string{0: "0,00 €", 5: "0,05 €", 123456: "1.234,56 €", 100000000: "1.000.000,00 €", -2600: "-26,00 €"} {
		if got := domain.Euro(cents); got != want {
			t.Errorf("domain.Euro(%d) = %q, want %q", cents, got, want)
		}
	}
}

func TestEuroAmountsAreReadTheItalianWay(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		typed string
		cents int64
		ok    bool
	}{
		{"whole euro", "150", 15000, true},
		{"decimal comma", "150,50", 15050, true},
		{"thousands dots with a decimal comma", "1.234,56", 123456, true},
		{"thousands dots alone", "1.500", 150000, true},
		{"the euro sign and spaces", " 200,00 € ", 20000, true},
		{"a decimal dot is refused, not read as thousands", "150.00", 0, false},
		{"a dot that groups no three digits is refused", "1.50", 0, false},
		{"more than two decimals are refused", "150,555", 0, false},
		{"a negative amount is refused", "-50", 0, false},
		{"letters are refused", "cento", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cents, ok := euroCents(tc.typed)
			if ok != tc.ok || cents != tc.cents {
				t.Fatalf("euroCents(%q) = %d, %v; want %d, %v", tc.typed, cents, ok, tc.cents, tc.ok)
			}
		})
	}
}

func TestOversizedUploadIsRefusedWithItsReason(t *testing.T) {
	t.Parallel()
	srv := newTestPortal(t, nil)
	b := newBrowser(t, srv)
	b.login(seed.HeirLauraCF, commands.RoleCitizen)
	tok := b.csrf("/")
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("csrf_token", tok)
	fw, _ := mw.CreateFormFile("will", "testamento.pdf")
	_, _ = fw.Write(append([]byte("%PDF-"), make([]byte, 12<<20)...))
	mw.Close()
	resp, err := b.client.Post(srv.URL+"/erede/pratiche", mw.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(page), "10 MB") {
		t.Fatalf("status %d, want 413 naming the 10 MB limit", resp.StatusCode)
	}
}

func TestIdentityFromOIDCClaims(t *testing.T) {
	t.Parallel()
	cfg := OIDCConfig{CFClaim: "fiscal_number", RolesClaim: "roles"}
	tests := []struct {
		name   string
		claims map[string]any
		cf     string
		role   commands.Role
		fails  bool
	}{
		{"SPID's TINIT- prefix is removed", map[string]any{"fiscal_number": "TINIT-" + seed.HeirLauraCF}, seed.HeirLauraCF, commands.RoleCitizen, false},
		{"a lower-case CF is accepted", map[string]any{"fiscal_number": strings.ToLower(seed.HeirLauraCF)}, seed.HeirLauraCF, commands.RoleCitizen, false},
		{"the operator role comes from the roles claim", map[string]any{"fiscal_number": seed.OperatorCF, "roles": []any{"operator"}}, seed.OperatorCF, commands.RoleOperator, false},
		{"operator wins over auditor", map[string]any{"fiscal_number": seed.OperatorCF, "roles": []any{"auditor", "operator"}}, seed.OperatorCF, commands.RoleOperator, false},
		{"a space-separated roles claim works", map[string]any{"fiscal_number": seed.AuditorCF, "roles": "auditor"}, seed.AuditorCF, commands.RoleAuditor, false},
		{"the system role is never granted", map[string]any{"fiscal_number": seed.AuditorCF, "roles": []any{"system"}}, seed.AuditorCF, commands.RoleCitizen, false},
		{"no codice fiscale, no login", map[string]any{"sub": "abc"}, "", "", true},
		{"a wrong check character, no login", map[string]any{"fiscal_number": "BNCLRA70D45F205A"}, "", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cf, role, err := identityFromClaims(tc.claims, cfg)
			if (err != nil) != tc.fails || cf != tc.cf || role != tc.role {
				t.Fatalf("got %q %q %v", cf, role, err)
			}
		})
	}
}

func TestDevLoginDoesNotExistInProduction(t *testing.T) {
	t.Parallel()
	p, err := New(Config{Commands: emptyHandler(), Queries: &fakeQueries{}, SessionKey: testKey, Sessions: sessions.NewMemory(),
		OIDC: OIDCConfig{Issuer: "https://idp.invalid", ClientID: "portal", RedirectURL: "https://portal.invalid/accedi/callback"}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	defer srv.Close()
	b := newBrowser(t, srv)
	_, page := b.get("/accedi")
	if !strings.Contains(page, "Entra con SPID / CIE") || strings.Contains(page, "Identità dimostrative") {
		t.Fatal("the production login page must offer SPID / CIE and no demo identities")
	}
	// The page has no form; the session's token is in its cookie.
	u, _ := url.Parse(srv.URL)
	var s *session
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == sessionCookie {
			s, _ = p.decodeSession(c.Value)
		}
	}
	if s == nil {
		t.Fatal("no session cookie")
	}
	resp, _ := b.post("/accedi", url.Values{"csrf_token": {s.CSRF}, "cf": {seed.OperatorCF}, "role": {"operator"}})
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("dev login in production: %d, want 404", resp.StatusCode)
	}
}

func TestPagesWorkWithoutTheVendorFiles(t *testing.T) {
	t.Parallel()
	p, err := New(Config{Commands: emptyHandler(), Queries: &fakeQueries{}, Dev: true, SessionKey: testKey, Sessions: sessions.NewMemory()})
	if err != nil {
		t.Fatal(err)
	}
	p.hasVendor = false // as on a fresh clone before `make portal-assets`
	srv := httptest.NewServer(p)
	defer srv.Close()
	resp, body := newBrowser(t, srv).get("/accedi")
	if resp.StatusCode != http.StatusOK || strings.Contains(body, "/assets/vendor/") || !strings.Contains(body, `class="no-vendor"`) {
		t.Fatalf("without Bootstrap Italia the page must link no vendor file and use the plain fallback (status %d)", resp.StatusCode)
	}
	if resp, _ := newBrowser(t, srv).get("/assets/portal.css"); resp.StatusCode != http.StatusOK {
		t.Fatalf("the portal's own CSS: %d", resp.StatusCode)
	}
}

// emptyHandler is a command handler over an empty in-memory store, for a
// portal whose test issues no command: a citizen's page still reads their
// delegations received, for the header's person switch.
func emptyHandler() *commands.Handler {
	return commands.NewHandler(memory.New(), memory.NewIdempotency(), memory.NewDocuments())
}
