package portal

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/http/portal/sessions"
)

// A signed-in person's session lives on the server (Config.Sessions): the
// cookie holds only a random id of 256 bits and the store its SHA-256, so
// that logout, expiry and a withdrawn role end the session wherever a copy
// of the cookie is used.
//
// Before sign-in there is no row: a visitor's state (the CSRF token of the
// login form, a flash message, the OIDC state, nonce and PKCE verifier
// during login) rides in the same cookie, as JSON, base64url, a dot and its
// HMAC-SHA-256 (Config.SessionKey). That state names nobody, so the key
// alone signs nobody in, and an anonymous request stores nothing.
const (
	sessionCookie = "libretto_sessione"
	// hostPrefix binds the cookie to this host over HTTPS (Secure, Path=/,
	// no Domain), so a sibling subdomain cannot set or overwrite it.
	hostPrefix = "__Host-"
	// touchEvery is how stale a session's last request may be before the
	// store hears of a new one: idle expiry is precise to about this much,
	// and a busy person costs one write a minute, not one per page.
	touchEvery = time.Minute
	// sweepEvery spaces the deletions of expired sessions, done at sign-in.
	sweepEvery = time.Minute
)

// User is the person signed in.
type User struct {
	CF   string
	Role commands.Role
	// For is the person a delegate acts for on this request, with the
	// scopes of the delegation that lets them: set only on a citizen's page
	// once the delegation was found active and covering the page's action
	// (Portal.page); "" when they act for themselves.
	For    string
	Scopes []string
	// Chosen is the person chosen with the header's switch, active or not
	// (the header names it); "" for themselves.
	Chosen string
}

// Is reports whether the user holds role.
func (u *User) Is(role commands.Role) bool { return u != nil && u.Role == role }

// Person is the codice fiscale whose data the request reads and acts on:
// the person acted for under a delegation, else the user's own.
func (u *User) Person() string {
	if u.For != "" {
		return u.For
	}
	return u.CF
}

// session is the request's session, signed in or not.
type session struct {
	CF    string
	Role  commands.Role
	CSRF  string
	Flash *flash

	// Signed in: the server-side session.
	signedIn bool
	// onBehalfOf is the person chosen with the switch (the store's); for
	// and scopes are set once a page has found the delegation active.
	onBehalfOf string
	forCF      string
	scopes     []string
	id         sessions.ID
	token      string // the cookie's value; set only when the cookie must be sent
	// Anonymous: the signed cookie's state.
	expires                       int64
	state, nonce, after, verifier string

	changed bool
}

// anonCookie is what the signed cookie of a visitor not signed in holds. It
// has no codice fiscale or role field: nothing signed with the key is an identity.
type anonCookie struct {
	CSRF    string `json:"csrf"`
	Expires int64  `json:"exp"`
	Flash   *flash `json:"flash,omitempty"`
	// OIDC login in progress.
	State    string `json:"state,omitempty"`
	Nonce    string `json:"nonce,omitempty"`
	After    string `json:"after,omitempty"`
	Verifier string `json:"pkce,omitempty"`
}

// flash is a one-time message shown after a redirect (Post/Redirect/Get).
type flash struct {
	Kind    string `json:"kind"` // success, info, warning, danger
	Message string `json:"msg"`
}

type sessionKey struct{}

func sessionOf(r *http.Request) *session {
	s, _ := r.Context().Value(sessionKey{}).(*session)
	if s == nil {
		return &session{}
	}
	return s
}

func currentUser(r *http.Request) *User {
	s := sessionOf(r)
	if !s.signedIn {
		return nil
	}
	return &User{CF: s.CF, Role: s.Role, For: s.forCF, Scopes: s.scopes, Chosen: s.onBehalfOf}
}

func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// cookieName is the session cookie's name: with the __Host- prefix
// whenever the cookie is Secure, which browsers then hold to Path=/ and no Domain.
func (p *Portal) cookieName(r *http.Request) string {
	if p.secure(r) {
		return hostPrefix + sessionCookie
	}
	return sessionCookie
}

// newAnonymous is a visitor's fresh state, to be sent as a cookie.
func (p *Portal) newAnonymous() *session {
	return &session{CSRF: randomToken(), expires: p.now().Add(p.cfg.SessionLifetime).Unix(), changed: true}
}

// tokenLen is the length of a server-side session's cookie value: 32 bytes
// in base64url. Other values are not looked up.
const tokenLen = 43

// loadSession returns the request's session: the signed-in one its cookie
// names while it lasts, else the visitor's signed state, else a fresh
// anonymous one. An error is the store's.
func (p *Portal) loadSession(r *http.Request) (*session, error) {
	c, err := r.Cookie(p.cookieName(r))
	if err != nil {
		return p.newAnonymous(), nil
	}
	if strings.Contains(c.Value, ".") {
		if s, ok := p.decodeSession(c.Value); ok && time.Unix(s.expires, 0).After(p.now()) {
			return s, nil
		}
		return p.newAnonymous(), nil
	}
	if len(c.Value) != tokenLen {
		return p.newAnonymous(), nil
	}
	ctx := r.Context()
	id := sessions.IDOf(c.Value)
	st, err := p.cfg.Sessions.Get(ctx, id)
	if errors.Is(err, sessions.ErrNotFound) {
		return p.newAnonymous(), nil // ended by logout or a withdrawn role, or swept
	}
	if err != nil {
		return nil, err
	}
	now := p.now()
	if st.Expired(now, p.cfg.SessionIdle) {
		if err := p.cfg.Sessions.Delete(ctx, id); err != nil {
			p.cfg.Logger.Warn("portal: deleting an expired session", "err", err)
		}
		s := p.newAnonymous()
		s.Flash = &flash{Kind: "info", Message: "La sessione è scaduta: accedi di nuovo per continuare."}
		return s, nil
	}
	s := &session{CF: st.CF, CSRF: st.CSRF, signedIn: true, id: id, onBehalfOf: st.OnBehalfOf}
	if len(st.Roles) > 0 {
		s.Role = commands.Role(st.Roles[0])
	}
	if st.FlashKind != "" {
		s.Flash = &flash{Kind: st.FlashKind, Message: st.FlashMessage}
	}
	if now.Sub(st.LastSeen) >= touchEvery {
		if err := p.cfg.Sessions.Update(ctx, id, now, st.FlashKind, st.FlashMessage); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (p *Portal) decodeSession(v string) (*session, bool) {
	payload, sig, ok := strings.Cut(v, ".")
	if !ok {
		return nil, false
	}
	want := p.sign(payload)
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, want) {
		return nil, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return nil, false
	}
	var a anonCookie
	if err := json.Unmarshal(raw, &a); err != nil || a.CSRF == "" {
		return nil, false
	}
	return &session{CSRF: a.CSRF, expires: a.Expires, Flash: a.Flash,
		state: a.State, nonce: a.Nonce, after: a.After, verifier: a.Verifier}, true
}

func (p *Portal) sign(payload string) []byte {
	m := hmac.New(sha256.New, p.cfg.SessionKey)
	m.Write([]byte("libretto-portal-session\x00"))
	m.Write([]byte(payload))
	return m.Sum(nil)
}

// encodeSession is the signed cookie of an anonymous session.
func (p *Portal) encodeSession(s *session) string {
	raw, _ := json.Marshal(anonCookie{CSRF: s.CSRF, Expires: s.expires, Flash: s.Flash,
		State: s.state, Nonce: s.nonce, After: s.after, Verifier: s.verifier})
	payload := base64.RawURLEncoding.EncodeToString(raw)
	return payload + "." + base64.RawURLEncoding.EncodeToString(p.sign(payload))
}

// saveSession sends the cookie when it changed and records a signed-in
// session's message. It must run before the response's header is written.
func (p *Portal) saveSession(w http.ResponseWriter, r *http.Request) {
	s := sessionOf(r)
	if s.signedIn {
		if s.token != "" {
			p.setCookie(w, r, s.token)
			s.token = ""
		}
		if s.changed {
			kind, msg := "", ""
			if s.Flash != nil {
				kind, msg = s.Flash.Kind, s.Flash.Message
			}
			if err := p.cfg.Sessions.Update(r.Context(), s.id, p.now(), kind, msg); err != nil {
				p.cfg.Logger.Warn("portal: saving the session's message", "err", err)
			}
			s.changed = false
		}
		return
	}
	if !s.changed {
		return
	}
	p.setCookie(w, r, p.encodeSession(s))
	s.changed = false
}

// setCookie sends the session cookie: HttpOnly, SameSite=Lax (Strict would
// drop it on the identity provider's redirect back to /accedi/callback and
// on every link from a mail), a browser-session cookie with no Max-Age.
func (p *Portal) setCookie(w http.ResponseWriter, r *http.Request, value string) {
	http.SetCookie(w, &http.Cookie{
		Name:     p.cookieName(r),
		Value:    value,
		Path:     "/",
		HttpOnly: true,
		Secure:   p.secure(r),
		SameSite: http.SameSiteLaxMode,
	})
}

func (p *Portal) secure(r *http.Request) bool { return r.TLS != nil || p.cfg.SecureCookies }

// privilegedRoles are the roles a sign-in checks are still held.
var privilegedRoles = []commands.Role{commands.RoleOperator, commands.RoleAuditor}

// signIn starts a new server-side session for the person in role. held are
// the roles the identity provider says the person holds now: their other
// sessions granting a privileged role not among them end here, so an
// operator whose role was withdrawn loses every session at their next
// login. The session the request came with ends too (no fixation), and the
// CSRF token is new, so a token seen before login is worthless after it.
func (p *Portal) signIn(r *http.Request, cf string, role commands.Role, held []commands.Role) error {
	ctx := r.Context()
	s := sessionOf(r)
	if s.signedIn {
		if err := p.cfg.Sessions.Delete(ctx, s.id); err != nil {
			return err
		}
	}
	var withdrawn []string
	for _, pr := range privilegedRoles {
		if !slices.Contains(held, pr) {
			withdrawn = append(withdrawn, string(pr))
		}
	}
	if n, err := p.cfg.Sessions.DeleteHolding(ctx, cf, withdrawn); err != nil {
		return err
	} else if n > 0 {
		p.cfg.Logger.Info("portal: sessions ended at sign-in, their role withdrawn", "sessions", n, "withdrawn", withdrawn)
	}
	p.sweep(ctx)
	now := p.now()
	token, id := sessions.New()
	st := sessions.Session{ID: id, CF: cf, Roles: []string{string(role)}, CSRF: randomToken(),
		Created: now, LastSeen: now, Expires: now.Add(p.cfg.SessionLifetime)}
	if err := p.cfg.Sessions.Create(ctx, st); err != nil {
		return err
	}
	*s = session{CF: cf, Role: role, CSRF: st.CSRF, signedIn: true, id: id, token: token}
	return nil
}

// signOut ends the request's session everywhere and leaves the request
// with a fresh anonymous one.
func (p *Portal) signOut(r *http.Request) error {
	s := sessionOf(r)
	if s.signedIn {
		if err := p.cfg.Sessions.Delete(r.Context(), s.id); err != nil {
			return err
		}
	}
	*s = *p.newAnonymous()
	return nil
}

// sweep deletes expired sessions, at most once per sweepEvery, so that the
// table holds no more than the sessions of one lifetime.
func (p *Portal) sweep(ctx context.Context) {
	now := p.now()
	last := p.lastSweep.Load()
	if now.Unix()-last < int64(sweepEvery/time.Second) || !p.lastSweep.CompareAndSwap(last, now.Unix()) {
		return
	}
	if _, err := p.cfg.Sessions.Sweep(ctx, now, p.cfg.SessionIdle); err != nil {
		p.cfg.Logger.Warn("portal: sweeping expired sessions", "err", err)
	}
}

// setFlash leaves a message for the next page.
func setFlash(r *http.Request, kind, msg string) {
	s := sessionOf(r)
	s.Flash = &flash{Kind: kind, Message: msg}
	s.changed = true
}

// takeFlash returns and clears the pending message.
func takeFlash(r *http.Request) *flash {
	s := sessionOf(r)
	f := s.Flash
	if f != nil {
		s.Flash = nil
		s.changed = true
	}
	return f
}

// checkCSRF compares the form's token with the session's. Multipart forms
// are parsed here too, within the request's byte limit; a body over it is
// reported as errTooLarge.
func (p *Portal) checkCSRF(r *http.Request, s *session) error {
	var err error
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		err = r.ParseMultipartForm(1 << 20)
	} else {
		err = r.ParseForm()
	}
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return errTooLarge
	}
	token := r.PostFormValue("csrf_token")
	if err != nil || token == "" || subtle.ConstantTimeCompare([]byte(token), []byte(s.CSRF)) != 1 {
		return errBadToken
	}
	return nil
}

var (
	errTooLarge = errors.New("portal: form too large")
	errBadToken = errors.New("portal: missing or wrong CSRF token")
)

// redirect ends a successful POST (Post/Redirect/Get), saving the session.
func (p *Portal) redirect(w http.ResponseWriter, r *http.Request, to string) {
	p.saveSession(w, r)
	http.Redirect(w, r, to, http.StatusSeeOther)
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// maxAfter bounds a post-login destination; the portal's own are far shorter.
const maxAfter = 2048

// safeAfter keeps a post-login destination only when it is a path of this
// site, else it is the home page. Browsers read "\" as "/" and drop tabs
// and newlines, so "/\evil", "/\t/evil" and "//evil" all lead to another
// host; the decoded path is held to the same rule, so an encoded "//" or
// "\" is refused even though Go's router would not follow it, because a
// proxy in front may decode it.
func safeAfter(s string) string {
	if s == "" || len(s) > maxAfter || !strings.HasPrefix(s, "/") || !localPath(s) {
		return "/"
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" ||
		!strings.HasPrefix(u.Path, "/") || !localPath(u.Path) {
		return "/"
	}
	return s
}

// localPath reports whether a path, read as a browser reads it, stays on
// this host: no "//" or "/\" at its start, no backslash, no control or
// invalid character anywhere.
func localPath(s string) bool {
	if strings.HasPrefix(s, "//") || strings.ContainsRune(s, '\\') || !utf8.ValidString(s) {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool {
		return unicode.IsControl(r) || r == '\u2028' || r == '\u2029'
	})
}
