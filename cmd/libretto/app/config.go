package app

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/inps/libretto/http/ratelimit"
	"github.com/inps/libretto/redact"
)

// Modes of LIBRETTO_MODE.
const (
	// ModeDev issues tokens at POST /api/v1/dev/token and lets the portal
	// pick a demo identity. It is the default of make run and of the tests.
	ModeDev = "dev"
	// ModeProd verifies OIDC tokens against the identity provider.
	ModeProd = "prod"
)

// Config is everything the binary reads from its environment. FromEnv fills
// it; tests build it directly.
type Config struct {
	// DatabaseURL is the PostgreSQL holding the event store (unless
	// EventStoreURL says otherwise), read models, idempotency keys and documents.
	DatabaseURL string
	// Addr is where the HTTP server listens (default 127.0.0.1:$PORT, PORT default 8080).
	Addr string
	// Mode is ModeDev (default) or ModeProd.
	Mode string
	// OIDCIssuer, OIDCAudience and OIDCRolesClaim configure token
	// verification in production mode (roles claim default "roles").
	OIDCIssuer     string
	OIDCAudience   string
	OIDCRolesClaim string
	// OIDCAllowedACR are the authentication levels ("acr") the API and the
	// portal accept in production (OIDC_ALLOWED_ACR, comma-separated);
	// auth.DefaultAllowedACR — SPID level 2 and 3, CIE, CNS — when empty.
	OIDCAllowedACR []string
	// OIDCClientID, OIDCClientSecret and OIDCRedirectURL are the portal's
	// login client (authorization code flow); without a client id a
	// production node serves the API only.
	OIDCClientID     string
	OIDCClientSecret string
	OIDCRedirectURL  string
	// SessionKey signs the portal's session cookies (at least 32 bytes;
	// random per process when empty, which only development tolerates).
	SessionKey []byte
	// SecureCookies marks cookies Secure, named __Host-, behind a
	// TLS-terminating proxy; LIBRETTO_MODE=prod always does.
	SecureCookies bool
	// SessionIdle and SessionLifetime end a portal session after that long
	// without a request, and that long after sign-in
	// (LIBRETTO_SESSION_IDLE, LIBRETTO_SESSION_LIFETIME, Go durations;
	// default 30m and 8h).
	SessionIdle, SessionLifetime time.Duration
	// EventStoreURL, when it starts with esdb://, keeps events in EventStoreDB.
	EventStoreURL string
	// NATSURL, when set, also takes family data feeds from NATS JetStream.
	NATSURL string
	// Seed loads demo data when the event store is empty (make run does).
	Seed bool
	// Logger receives structured logs (default: text on stderr at LogLevel).
	// Whatever it is, Open wraps it so that no line holds a whole codice
	// fiscale or IBAN.
	Logger *slog.Logger
	// LogLevel is debug, info (default), warn or error.
	LogLevel string
	// ShutdownTimeout bounds the graceful shutdown (default 15s).
	ShutdownTimeout time.Duration
	// GroupCommit, when positive, batches concurrent appends of the
	// PostgreSQL store into shared transactions with that many committers
	// (LIBRETTO_GROUP_COMMIT: a number, true, or 0/false; FromEnv's
	// default is 2, a Config built directly has it off).
	GroupCommit int
	// ReadPace spaces the projectors' reads at the head of the PostgreSQL
	// log (LIBRETTO_READ_PACE, a Go duration; FromEnv's default is 20ms, a
	// Config built directly reads on every notification): one read and one
	// projector transaction then serve the commits of that interval, for a
	// lag up to that much longer (docs/performance.md).
	ReadPace time.Duration
	// PprofAddr, when set, serves net/http/pprof there (LIBRETTO_PPROF,
	// e.g. 127.0.0.1:6060): for profiling make bench, never exposed.
	PprofAddr string
	// RateAnonymous bounds how often one client address may call the
	// simulators and the assistant, together; RateLogin POST
	// /api/v1/dev/token and the portal's login (LIBRETTO_RATE_ANONYMOUS,
	// LIBRETTO_RATE_LOGIN: "requests/window", e.g. 60/1m; empty is
	// ratelimit.DefaultAnonymous, DefaultLogin). In development mode
	// loopback callers are not limited (SPEC §8).
	RateAnonymous string
	RateLogin     string
	// TrustedProxies lists the reverse proxies (addresses or CIDR prefixes,
	// comma-separated) whose X-Forwarded-For names the client a rate limit
	// counts (LIBRETTO_TRUSTED_PROXIES). Empty, the default: the
	// connection's address is the client, whatever headers say.
	TrustedProxies string
	// SMTPURL, when set, sends notifications and contact-data codes by
	// e-mail through that relay (SMTP_URL, smtp://user:pass@host:port,
	// STARTTLS when offered); SMTPFrom is their sender (SMTP_FROM).
	SMTPURL, SMTPFrom string
	// IOAPIURL and IOAPIKey, when both set, send notifications through App
	// IO (IO_API_URL, IO_API_KEY).
	IOAPIURL, IOAPIKey string
	// Now is the clock of the background jobs (the monthly reminder);
	// time.Now when nil.
	Now func() time.Time
}

// FromEnv reads the configuration table of the README from the environment.
func FromEnv() Config {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	addr := os.Getenv("LIBRETTO_ADDR")
	if addr == "" {
		addr = net.JoinHostPort("127.0.0.1", port)
	}
	seed, _ := strconv.ParseBool(os.Getenv("LIBRETTO_SEED"))
	secure, _ := strconv.ParseBool(os.Getenv("LIBRETTO_SECURE_COOKIES"))
	// Group commit is on unless LIBRETTO_GROUP_COMMIT says 0 or false: with
	// it make bench records about a third more commands per second, with
	// fewer transactions per command and lower lag (docs/performance.md).
	group := 2
	if v := os.Getenv("LIBRETTO_GROUP_COMMIT"); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			group = n
		} else if on, err := strconv.ParseBool(v); err == nil && !on {
			group = 0
		}
	}
	idle, lifetime := envDuration("LIBRETTO_SESSION_IDLE"), envDuration("LIBRETTO_SESSION_LIFETIME")
	pace := 20 * time.Millisecond
	if d, err := time.ParseDuration(os.Getenv("LIBRETTO_READ_PACE")); err == nil && d >= 0 {
		pace = d
	}
	return Config{
		DatabaseURL:      os.Getenv("DATABASE_URL"),
		Addr:             addr,
		Mode:             os.Getenv("LIBRETTO_MODE"),
		OIDCIssuer:       os.Getenv("OIDC_ISSUER"),
		OIDCAudience:     os.Getenv("OIDC_AUDIENCE"),
		OIDCRolesClaim:   os.Getenv("OIDC_ROLES_CLAIM"),
		OIDCAllowedACR:   splitList(os.Getenv("OIDC_ALLOWED_ACR")),
		OIDCClientID:     os.Getenv("OIDC_CLIENT_ID"),
		OIDCClientSecret: os.Getenv("OIDC_CLIENT_SECRET"),
		OIDCRedirectURL:  os.Getenv("OIDC_REDIRECT_URL"),
		SessionKey:       []byte(os.Getenv("LIBRETTO_SESSION_KEY")),
		SecureCookies:    secure,
		SessionIdle:      idle,
		SessionLifetime:  lifetime,
		EventStoreURL:    os.Getenv("EVENTSTORE_URL"),
		NATSURL:          os.Getenv("NATS_URL"),
		Seed:             seed,
		LogLevel:         os.Getenv("LOG_LEVEL"),
		GroupCommit:      group,
		ReadPace:         pace,
		PprofAddr:        os.Getenv("LIBRETTO_PPROF"),
		RateAnonymous:    os.Getenv("LIBRETTO_RATE_ANONYMOUS"),
		RateLogin:        os.Getenv("LIBRETTO_RATE_LOGIN"),
		TrustedProxies:   os.Getenv("LIBRETTO_TRUSTED_PROXIES"),
		SMTPURL:          os.Getenv("SMTP_URL"),
		SMTPFrom:         os.Getenv("SMTP_FROM"),
		IOAPIURL:         os.Getenv("IO_API_URL"),
		IOAPIKey:         os.Getenv("IO_API_KEY"),
	}
}

func (c *Config) setDefaults() {
	if c.Mode == "" {
		c.Mode = ModeDev
	}
	if c.Addr == "" {
		c.Addr = "127.0.0.1:8080"
	}
	if c.OIDCRolesClaim == "" {
		c.OIDCRolesClaim = "roles"
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = 15 * time.Second
	}
	if c.Mode == ModeProd {
		c.SecureCookies = true // production is served over HTTPS, at least up to its proxy
	}
	if c.Logger == nil {
		c.Logger = NewLogger(os.Stderr, c.LogLevel, c.Mode)
	}
}

// Validate reports every problem of c at once.
func (c *Config) Validate() error {
	var errs []error
	if c.DatabaseURL == "" {
		errs = append(errs, errors.New("DATABASE_URL is not set (make run finds or starts a PostgreSQL; see README)"))
	}
	switch c.Mode {
	case ModeDev:
	case ModeProd:
		if c.OIDCIssuer == "" {
			errs = append(errs, errors.New("OIDC_ISSUER is required when LIBRETTO_MODE=prod"))
		}
		if c.OIDCAudience == "" {
			errs = append(errs, errors.New("OIDC_AUDIENCE is required when LIBRETTO_MODE=prod"))
		}
		if c.OIDCClientID != "" && c.OIDCRedirectURL == "" {
			errs = append(errs, errors.New("OIDC_REDIRECT_URL is required with OIDC_CLIENT_ID (https://<host>/accedi/callback)"))
		}
		if c.OIDCClientID != "" && len(c.SessionKey) < 32 {
			errs = append(errs, errors.New("LIBRETTO_SESSION_KEY of at least 32 bytes is required for the portal when LIBRETTO_MODE=prod"))
		}
	default:
		errs = append(errs, fmt.Errorf("LIBRETTO_MODE %q is neither dev nor prod", c.Mode))
	}
	if c.EventStoreURL != "" && !strings.HasPrefix(c.EventStoreURL, "esdb://") && !strings.HasPrefix(c.EventStoreURL, "esdb+discover://") {
		errs = append(errs, fmt.Errorf("EVENTSTORE_URL %q is not an esdb:// URL", c.EventStoreURL))
	}
	if c.SessionIdle < 0 {
		errs = append(errs, errors.New("LIBRETTO_SESSION_IDLE must be a positive duration such as 30m"))
	}
	if c.SessionLifetime < 0 {
		errs = append(errs, errors.New("LIBRETTO_SESSION_LIFETIME must be a positive duration such as 8h"))
	}
	if _, ok := parseLevel(c.LogLevel); !ok {
		errs = append(errs, fmt.Errorf("LOG_LEVEL %q is not debug, info, warn or error", c.LogLevel))
	}
	if _, _, err := c.limiters(); err != nil {
		errs = append(errs, err)
	}
	if err := c.validateNotify(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// envDuration reads a Go duration from the environment: 0 when unset (the
// default applies), -1 when it is no positive duration, which Validate reports.
func envDuration(name string) time.Duration {
	v := os.Getenv(name)
	if v == "" {
		return 0
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return -1
	}
	return d
}

// limiters are the rate limits of the anonymous and the login endpoints,
// shared by the API and the portal.
func (c *Config) limiters() (anonymous, login *ratelimit.Limiter, err error) {
	rate := func(env, v string, def ratelimit.Rate) (ratelimit.Rate, error) {
		if v == "" {
			return def, nil
		}
		r, err := ratelimit.ParseRate(v)
		if err != nil {
			return def, fmt.Errorf("%s: %w", env, err)
		}
		return r, nil
	}
	anon, errAnon := rate("LIBRETTO_RATE_ANONYMOUS", c.RateAnonymous, ratelimit.DefaultAnonymous)
	logins, errLogin := rate("LIBRETTO_RATE_LOGIN", c.RateLogin, ratelimit.DefaultLogin)
	proxies, errProxies := ratelimit.ParsePrefixes(c.TrustedProxies)
	if errProxies != nil {
		errProxies = fmt.Errorf("LIBRETTO_TRUSTED_PROXIES: %w", errProxies)
	}
	if err := errors.Join(errAnon, errLogin, errProxies); err != nil {
		return nil, nil, err
	}
	clients := ratelimit.Clients{TrustedProxies: proxies, LimitLoopback: c.Mode != ModeDev}
	return ratelimit.New(anon, clients), ratelimit.New(logins, clients), nil
}

// checkListen refuses a development server on an address other machines
// reach: its dev tokens and demo logins let anyone act as anyone (SPEC §8).
func (c *Config) checkListen() error {
	if c.Mode != ModeDev || loopback(c.Addr) {
		return nil
	}
	return fmt.Errorf("LIBRETTO_ADDR %q is not a loopback address: development mode (dev tokens, demo logins) listens only on 127.0.0.1, [::1] or localhost; set LIBRETTO_MODE=prod to serve other machines", c.Addr)
}

// loopback reports whether addr (host:port) names a loopback host: an
// empty host is every interface, a name other than localhost could be any.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// NewLogger returns the process logger: text in development, JSON in
// production, with every codice fiscale and IBAN masked (redact.Handler).
func NewLogger(w io.Writer, level, mode string) *slog.Logger {
	l, _ := parseLevel(level)
	opts := &slog.HandlerOptions{Level: l}
	if mode == ModeProd {
		return slog.New(redact.NewHandler(slog.NewJSONHandler(w, opts)))
	}
	return slog.New(redact.NewHandler(slog.NewTextHandler(w, opts)))
}

func parseLevel(s string) (slog.Level, bool) {
	switch strings.ToLower(s) {
	case "", "info":
		return slog.LevelInfo, true
	case "debug":
		return slog.LevelDebug, true
	case "warn", "warning":
		return slog.LevelWarn, true
	case "error":
		return slog.LevelError, true
	}
	return slog.LevelInfo, false
}

// splitList splits a comma-separated setting, dropping empty items; nil
// when there is none.
func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}
