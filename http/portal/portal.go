// Package portal is the web portal of Libretto in Italian: server-rendered
// pages (html/template) styled with Bootstrap Italia for heirs, users
// (utilizzatori), workers (prestatori), back-office operators and auditors.
//
// The portal calls the command handler and the read models directly, with the
// same role and ownership rules as the API (SPEC §5): a citizen sees only
// their own data and gets 404 for anyone else's. It never touches SQL.
//
// It imports commands, projections, domain and eventstore; it must not import
// http/api or any store implementation.
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
	"time"
	_ "time/tzdata" // Europe/Rome must load on machines without a zoneinfo database

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/eventstore"
	"github.com/inps/libretto/projections"
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

// Config is what the portal needs. Commands, Queries and SessionKey are
// required; the rest have useful zero values.
type Config struct {
	// Commands executes every write.
	Commands *commands.Handler
	// Queries reads the read models.
	Queries projections.Queries
	// Documents serves uploaded wills to operators.
	Documents commands.Documents
	// Store is read for the auditor's hash-chain check; nil hides it.
	Store eventstore.Store
	// StatementPDF renders a worker's annual statement as PDF: api.StatementPDF,
	// so the portal and the API give the same document; nil hides the link.
	StatementPDF func(s projections.Statement, now time.Time) ([]byte, error)
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
	// SessionKey signs the session cookie (HMAC-SHA-256); at least 32 bytes.
	SessionKey []byte
	// SecureCookies marks cookies Secure even when the request arrived
	// without TLS (behind a TLS-terminating proxy). Requests over TLS always
	// get Secure cookies.
	SecureCookies bool
	// OIDC configures the production login; unused in Dev mode unless Issuer is set.
	OIDC OIDCConfig
	// DemoIdentities are offered by the dev login; DefaultDemoIdentities when nil.
	DemoIdentities []DemoIdentity
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
	if c.DemoIdentities == nil {
		c.DemoIdentities = DefaultDemoIdentities
	}
	if c.OIDC.CFClaim == "" {
		c.OIDC.CFClaim = "fiscal_number"
	}
	if c.OIDC.RolesClaim == "" {
		c.OIDC.RolesClaim = "roles"
	}
}

// Validate reports every missing piece at once.
func (c Config) Validate() error {
	var errs []error
	if c.Commands == nil {
		errs = append(errs, errors.New("portal: Commands is required"))
	}
	if c.Queries == nil {
		errs = append(errs, errors.New("portal: Queries is required"))
	}
	if len(c.SessionKey) < 32 {
		errs = append(errs, errors.New("portal: SessionKey must be at least 32 bytes"))
	}
	if !c.Dev && (c.OIDC.Issuer == "" || c.OIDC.ClientID == "" || c.OIDC.RedirectURL == "") {
		errs = append(errs, errors.New("portal: production mode needs OIDC Issuer, ClientID and RedirectURL"))
	}
	return errors.Join(errs...)
}

// Portal serves the pages. Files of this package add pages to it through
// addPages (see extend.go).
type Portal struct {
	cfg       Config
	mux       *http.ServeMux
	pages     *pages
	oidc      *oidcClient
	hasVendor bool
}

// New returns the portal, to be mounted at "/" (the API lives under /api/v1).
// It panics on an invalid Config, which is a wiring mistake.
func New(cfg Config) http.Handler {
	p, err := newPortal(cfg)
	if err != nil {
		panic(err)
	}
	return p
}

func newPortal(cfg Config) (*Portal, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	pg, err := parsePages(templatesFS)
	if err != nil {
		return nil, err
	}
	p := &Portal{cfg: cfg, mux: http.NewServeMux(), pages: pg}
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
	p.handle("POST /accedi", anyone, p.devLogin)
	p.handle("GET /accedi/spid", anyone, p.oidcStart)
	p.handle("GET /accedi/callback", anyone, p.oidcCallback)
	p.handle("POST /esci", signedIn, p.logout)

	p.heirRoutes()
	p.userRoutes()
	p.workerRoutes()
	p.backofficeRoutes()
	p.auditRoutes()
	for _, add := range extensions {
		if add.routes != nil {
			add.routes(p)
		}
	}
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
		s := p.loadSession(r)
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

// access says who may reach a page.
type access func(u *User) bool

func anyone(*User) bool     { return true }
func signedIn(u *User) bool { return u != nil }

func roles(rs ...commands.Role) access {
	return func(u *User) bool {
		if u == nil {
			return false
		}
		for _, r := range rs {
			if u.Role == r {
				return true
			}
		}
		return false
	}
}

var (
	citizens  = roles(commands.RoleCitizen)
	operators = roles(commands.RoleOperator)
	auditors  = roles(commands.RoleAuditor)
	staff     = roles(commands.RoleOperator, commands.RoleAuditor)
)

// handle registers a page: someone not signed in is sent to the login page,
// someone signed in without the right role gets 404, as in the API.
func (p *Portal) handle(pattern string, allow access, h http.HandlerFunc) {
	p.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		u := currentUser(r)
		if !allow(u) {
			if u == nil {
				http.Redirect(w, r, "/accedi?dopo="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			p.notFound(w, r)
			return
		}
		h(w, r)
	})
}

func (p *Portal) now() time.Time { return p.cfg.Now() }

// today is the civil date in Rome.
func (p *Portal) today() string { return p.now().In(rome).Format(time.DateOnly) }
