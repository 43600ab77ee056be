// Package portal is the web portal of Libretto in Italian: server-rendered
// pages (html/template) styled with Bootstrap Italia for heirs, users
// (utilizzatori), workers (prestatori), back-office operators and auditors.
//
// The portal calls the command handler and the read models directly, with the
// API's role and ownership rules: both ask the table of domain/access (SPEC
// §5): a citizen sees only their own data and gets 404 for anyone else's. It
// never touches SQL.
//
// It imports commands, projections, domain, eventstore, http/ratelimit and the
// port of its sessions (http/portal/sessions); it must not import http/api or
// any store implementation but that port's in-memory one.
package portal

import (
	"context"
	"embed"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
	_ "time/tzdata" // Europe/Rome must load on machines without a zoneinfo database

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/domain/access"
	"github.com/inps/libretto/eventstore"
	"github.com/inps/libretto/http/portal/sessions"
	"github.com/inps/libretto/http/ratelimit"
	"github.com/inps/libretto/projections"
	"github.com/inps/libretto/redact"
)

//go:embed all:assets
var assetsFS embed.FS

//go:embed templates/*.html
var templatesFS embed.FS

// rome is the civil time zone of every date the portal shows or reads.
var rome = mustLoadLocation("Europe/Rome")

func mustLoadLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// Config is what the portal needs. Commands, Queries, Sessions and
// SessionKey are required; the rest have useful zero values.
type Config struct {
	// Commands executes every write.
	Commands *commands.Handler
	// Queries reads the read models.
	Queries projections.Queries
	// Documents serves uploaded wills to operators.
	Documents commands.Documents
	// Inbox reads the citizen's notifications (notify.Inbox); nil shows none.
	Inbox Inbox
	// Store is read for the auditor's hash-chain check; nil hides it.
	Store eventstore.Store
	// StatementPDF renders a worker's annual statement as PDF: api.StatementPDF,
	// so the portal and the API give the same document; nil hides the link.
	StatementPDF func(s projections.Statement, now time.Time) ([]byte, error)
	// PayslipPDF renders a worker's monthly payslip as PDF: api.PayslipPDF;
	// nil hides the link.
	PayslipPDF func(p projections.Payslip, now time.Time) ([]byte, error)
	// NoticePDF renders a pagoPA notice as PDF: api.NoticePDF; nil hides
	// the download.
	NoticePDF func(n projections.Notice, now time.Time) ([]byte, error)
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Logger logs failures; slog.Default() when nil.
	Logger *slog.Logger
	// Dev enables the demo login (pick an identity without a password).
	// Without it the only way in is OIDC (SPID / CIE).
	Dev bool
	// Sessions keeps the sessions of people signed in (sessions/postgres;
	// sessions.NewMemory in tests without a database).
	Sessions sessions.Store
	// SessionIdle ends a session after this long without a request; 30
	// minutes when zero.
	SessionIdle time.Duration
	// SessionLifetime ends a session this long after sign-in, however
	// active; 8 hours when zero.
	SessionLifetime time.Duration
	// SessionKey signs the cookie of a visitor not yet signed in (the CSRF
	// token of the login form, the OIDC state, a message); at least 32
	// bytes. It never signs an identity.
	SessionKey []byte
	// SecureCookies marks cookies Secure, with the __Host- prefix, even
	// when the request arrived without TLS (behind a TLS-terminating
	// proxy). Requests over TLS always get them.
	SecureCookies bool
	// OIDC configures the production login; unused in Dev mode unless Issuer is set.
	OIDC OIDCConfig
	// DemoIdentities are offered by the dev login; DefaultDemoIdentities when nil.
	DemoIdentities []DemoIdentity
	// LoginLimit bounds, per client address, the login's POST and the OIDC
	// callback (SPEC §8); nil is ratelimit.DefaultLogin with loopback
	// callers exempt. The app shares one with the API's dev tokens.
	LoginLimit *ratelimit.Limiter
}

// OIDCConfig is the identity provider of the production login (the SPID/CIE
// gateway speaking OpenID Connect, authorization code flow).
type OIDCConfig struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	// RedirectURL is the portal's callback, https://host/accedi/callback.
	RedirectURL string
	// CFClaim names the claim holding the codice fiscale; "fiscal_number"
	// when empty (SPID's fiscalNumber, with or without the "TINIT-" prefix).
	CFClaim string
	// RolesClaim names the claim listing roles; "roles" when empty. A person
	// without it is a citizen.
	RolesClaim string
	// AllowedACR are the authentication levels ("acr") a login must carry
	// (SPEC §9): auth.DefaultAllowedACR (SPID level 2 and above, CIE, CNS)
	// when nil; any other is refused with 401.
	AllowedACR []string
}

// DemoIdentity is an identity the dev login offers.
type DemoIdentity struct {
	CF          string
	Role        commands.Role
	Description string
}

func (c *Config) setDefaults() {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	c.Logger = redact.Logger(c.Logger) // no whole CF or IBAN in any line (SPEC §8)
	if c.DemoIdentities == nil {
		c.DemoIdentities = DefaultDemoIdentities
	}
	if c.OIDC.CFClaim == "" {
		c.OIDC.CFClaim = "fiscal_number"
	}
	if c.OIDC.RolesClaim == "" {
		c.OIDC.RolesClaim = "roles"
	}
	if c.SessionIdle == 0 {
		c.SessionIdle = DefaultSessionIdle
	}
	if c.SessionLifetime == 0 {
		c.SessionLifetime = DefaultSessionLifetime
	}
	if c.LoginLimit == nil {
		c.LoginLimit = ratelimit.New(ratelimit.DefaultLogin, ratelimit.Clients{})
	}
}

// The default lifetimes of a session: an office's screen left alone for
// half an hour, or a working day, asks for a new login.
const (
	DefaultSessionIdle     = 30 * time.Minute
	DefaultSessionLifetime = 8 * time.Hour
)

// Validate reports every missing piece at once.
func (c Config) Validate() error {
	var errs []error
	if c.Commands == nil {
		errs = append(errs, errors.New("portal: Commands is required"))
	}
	if c.Queries == nil {
		errs = append(errs, errors.New("portal: Queries is required"))
	}
	if c.Sessions == nil {
		errs = append(errs, errors.New("portal: Sessions is required"))
	}
	if c.SessionIdle < 0 || c.SessionLifetime < 0 {
		errs = append(errs, errors.New("portal: SessionIdle and SessionLifetime must not be negative"))
	}
	if len(c.SessionKey) < 32 {
		errs = append(errs, errors.New("portal: SessionKey must be at least 32 bytes"))
	}
	if !c.Dev && (c.OIDC.Issuer == "" || c.OIDC.ClientID == "" || c.OIDC.RedirectURL == "") {
		errs = append(errs, errors.New("portal: production mode needs OIDC Issuer, ClientID and RedirectURL"))
	}
	return errors.Join(errs...)
}

// Portal serves the pages. Each section's file registers its pages from
// routes (see extend.go).
type Portal struct {
	cfg       Config
	mux       *http.ServeMux
	pages     *pages
	oidc      *oidcClient
	hasVendor bool
	lastSweep atomic.Int64        // unix seconds of the last sweep of expired sessions
	rules     map[string]pageRule // pattern → the rule page registered it with
}

// pageRule is who a page is for and what it does.
type pageRule struct {
	in section
	a  access.Action
}

// New returns the portal, to be mounted at "/" (the API lives under /api/v1),
// or every problem of cfg at once.
func New(cfg Config) (*Portal, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	pg, err := parsePages(templatesFS)
	if err != nil {
		return nil, err
	}
	p := &Portal{cfg: cfg, mux: http.NewServeMux(), pages: pg, rules: map[string]pageRule{}}
	if _, err := fs.Stat(assetsFS, "assets/vendor/css/bootstrap-italia.min.css"); err == nil {
		p.hasVendor = true
	}
	if cfg.OIDC.Issuer != "" {
		p.oidc = newOIDCClient(cfg.OIDC)
	}
	p.routes()
	return p, nil
}

func (p *Portal) routes() {
	assets, _ := fs.Sub(assetsFS, "assets")
	p.mux.Handle("GET /assets/", http.StripPrefix("/assets/", cacheAssets(http.FileServerFS(assets))))

	p.handle("GET /{$}", anyone, p.home)
	p.handle("GET /accedi", anyone, p.loginPage)
	p.handle("POST /accedi", anyone, p.limitLogin(p.devLogin))
	p.handle("GET /accedi/spid", anyone, p.oidcStart)
	p.handle("GET /accedi/callback", anyone, p.limitLogin(p.oidcCallback))
	p.handle("POST /esci", signedIn, p.logout)

	p.heirRoutes()
	p.userRoutes()
	p.workerRoutes()
	p.backofficeRoutes()
	p.auditRoutes()
	p.familyRoutes()
	p.contactsRoutes()
	p.delegationRoutes()
	p.documentRoutes()
	p.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		p.notFound(w, r)
	})
}

// ServeHTTP applies the security headers, cross-origin protection, session
// loading and CSRF check to every request, then routes it.
func (p *Portal) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
	if p.secure(r) {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
	if strings.HasPrefix(r.URL.Path, "/assets/") {
		p.mux.ServeHTTP(w, r)
		return
	}
	h.Set("Cache-Control", "no-store")
	crossOrigin.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := p.loadSession(r)
		if err != nil {
			p.cfg.Logger.Error("portal: loading the session", "err", err)
			r = r.WithContext(context.WithValue(r.Context(), sessionKey{}, &session{}))
			p.renderStatus(w, r, http.StatusServiceUnavailable, "error", errorPage{
				Title:   "Servizio non disponibile",
				Message: "Non è stato possibile riconoscere la sessione. Riprova tra qualche minuto.",
			})
			return
		}
		ctx := context.WithValue(r.Context(), sessionKey{}, s)
		r = r.WithContext(ctx)
		if r.Method == http.MethodPost {
			body := r.Body
			r.Body = http.MaxBytesReader(w, body, maxFormBytes)
			switch err := p.checkCSRF(r, s); {
			case errors.Is(err, errTooLarge):
				// Read (and drop) the rest first: a browser still sending its
				// upload would otherwise see a reset connection, not this page.
				_, _ = io.CopyN(io.Discard, body, drainLimit)
				p.renderStatus(w, r, http.StatusRequestEntityTooLarge, "error", errorPage{
					Title:   "File troppo grande",
					Message: "Il modulo inviato supera la dimensione massima: il testamento può essere al massimo di 10 MB. Torna indietro e allega un file più piccolo.",
				})
				return
			case err != nil:
				p.renderStatus(w, r, http.StatusForbidden, "error", errorPage{
					Title:   "Richiesta non valida",
					Message: "La sessione è scaduta o il modulo è stato inviato da un'altra pagina. Torna indietro, ricarica la pagina e riprova.",
				})
				return
			}
		}
		p.mux.ServeHTTP(w, r)
	})).ServeHTTP(w, r)
}

// contentSecurityPolicy allows nothing inline: no script, no style
// attribute. Bootstrap Italia's CSS draws some icons with data: images.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"

// maxFormBytes bounds every form; the will upload is the largest (10 MiB).
const maxFormBytes = 11 << 20

// drainLimit is how much of an oversized form is read and dropped so that
// the browser receives the 413 page rather than a reset connection.
const drainLimit = 64 << 20

var crossOrigin = http.NewCrossOriginProtection()

func cacheAssets(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		h.ServeHTTP(w, r)
	})
}

// gate says who may reach a page that is no one's data: the home page, the
// login, the simulators.
type gate func(u *User) bool

func anyone(*User) bool     { return true }
func signedIn(u *User) bool { return u != nil }

// limitLogin bounds how often one client address may try to log in: the
// demo login's POST, and the OIDC callback, which costs a call to the
// identity provider (SPEC §8).
func (p *Portal) limitLogin(h http.HandlerFunc) http.HandlerFunc {
	return p.cfg.LoginLimit.Limit(h, p.tooManyRequests).ServeHTTP
}

// handle registers a page that shows no one's data and issues no command.
// Someone not signed in where allow wants it is sent to the login page.
func (p *Portal) handle(pattern string, allow gate, h http.HandlerFunc) {
	p.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		u := currentUser(r)
		if !allow(u) {
			if u == nil {
				p.toLogin(w, r)
				return
			}
			p.notFound(w, r)
			return
		}
		h(w, r)
	})
}

// toLogin sends someone not signed in to the login page, which comes back
// here afterwards; a message that their session expired goes with them.
func (p *Portal) toLogin(w http.ResponseWriter, r *http.Request) {
	p.saveSession(w, r)
	http.Redirect(w, r, "/accedi?dopo="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
}

// section is a part of the portal built for one role: the citizen's pages
// (heir, user, worker, family), the back office, the audit. An operator
// reads a claim in the back office, never on the heir's page.
type section = commands.Role

// page registers a page of section that shows personal data or issues a
// command: a, the access table's action it does. Someone not signed in is
// sent to the login page; someone signed in under another section's role,
// or whose role the table does not let do a, gets the 404 page (the portal
// shows no page it will not serve, SPEC §1); a handler whose data belongs
// to someone asks decide once it has read it. The table must let the
// section's role do a: a page the table forbids is a wiring mistake.
func (p *Portal) page(pattern string, in section, a access.Action, h http.HandlerFunc) {
	if _, ok := access.Gate(a, []access.Role{access.Role(in)}); !ok {
		panic("portal: page " + pattern + " does " + string(a) + ", which the access table does not let a " + string(in) + " do")
	}
	p.rules[pattern] = pageRule{in: in, a: a}
	p.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		u := currentUser(r)
		if u == nil {
			p.toLogin(w, r)
			return
		}
		if _, ok := access.Gate(a, []access.Role{access.Role(u.Role)}); !ok || u.Role != in {
			p.notFound(w, r)
			return
		}
		if ok, err := p.actFor(r, a); err != nil {
			p.serverError(w, r, err)
			return
		} else if !ok {
			p.notFound(w, r)
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), actionKey{}, a)))
	})
}

type actionKey struct{}

// decide asks the access table whether the signed-in person may do the
// page's action on data belonging to parties (compared canonically); when
// not it answers the 404 page, as the API answers 404 (SPEC §1), and
// reports false.
func (p *Portal) decide(w http.ResponseWriter, r *http.Request, parties access.Parties) bool {
	if p.allowed(r, parties) {
		return true
	}
	p.notFound(w, r)
	return false
}

// allowed is decide without the answer: whether the access table lets the
// person signed in do the page's action on data of parties.
func (p *Portal) allowed(r *http.Request, parties access.Parties) bool {
	u := currentUser(r)
	a, _ := r.Context().Value(actionKey{}).(access.Action)
	if u == nil || a == "" {
		return false
	}
	rel := access.RelationFor(a, access.Caller{Subject: u.CF, OnBehalfOf: u.For, Scopes: u.Scopes}, parties)
	out, _ := access.Decide(a, []access.Role{access.Role(u.Role)}, rel)
	return out == access.Allowed
}

// actFor resolves the person switch for a page doing a: a citizen who
// chose to act for someone does so only under a delegation active now
// whose scope covers a, checked on every request with the API's
// resolution (commands.Handler.ActFor), so a revocation or an expiry makes
// them a stranger at once. ok is false when the page must be 404.
func (p *Portal) actFor(r *http.Request, a access.Action) (bool, error) {
	s := sessionOf(r)
	s.forCF, s.scopes = "", nil
	if s.onBehalfOf == "" || s.onBehalfOf == s.CF {
		return true, nil
	}
	scopes, ok, err := p.cfg.Commands.ActFor(r.Context(), a, []access.Role{access.Role(s.Role)}, s.CF, s.onBehalfOf, p.now())
	if err != nil || !ok {
		return false, err
	}
	s.forCF, s.scopes = s.onBehalfOf, scopes
	return true, nil
}

func (p *Portal) now() time.Time { return p.cfg.Now() }

// today is the civil date in Rome.
func (p *Portal) today() string { return p.now().In(rome).Format(time.DateOnly) }
