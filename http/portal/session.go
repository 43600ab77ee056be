package portal

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/inps/libretto/commands"
)

// The session lives in one signed cookie: JSON, base64url, a dot and its
// HMAC-SHA-256. Nothing in it is secret (who you are, a CSRF token, a flash
// message, the OIDC state during login); the signature makes it unforgeable.
const (
	sessionCookie = "libretto_sessione"
	sessionTTL    = 8 * time.Hour
)

// User is the person signed in.
type User struct {
	CF   string
	Role commands.Role
}

// Is reports whether the user holds role.
func (u *User) Is(role commands.Role) bool { return u != nil && u.Role == role }

type session struct {
	CF      string        `json:"cf,omitempty"`
	Role    commands.Role `json:"role,omitempty"`
	CSRF    string        `json:"csrf"`
	Expires int64         `json:"exp"`
	Flash   *flash        `json:"flash,omitempty"`
	// OIDC login in progress.
	State    string `json:"state,omitempty"`
	Nonce    string `json:"nonce,omitempty"`
	After    string `json:"after,omitempty"`
	Verifier string `json:"pkce,omitempty"`

	changed bool
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
	if s.CF == "" {
		return nil
	}
	return &User{CF: s.CF, Role: s.Role}
}

func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// loadSession returns the request's session, a fresh anonymous one when the
// cookie is missing, forged or expired.
func (p *Portal) loadSession(r *http.Request) *session {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if s, ok := p.decodeSession(c.Value); ok && time.Unix(s.Expires, 0).After(p.now()) {
			return s
		}
	}
	return &session{CSRF: randomToken(), Expires: p.now().Add(sessionTTL).Unix(), changed: true}
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
	var s session
	if err := json.Unmarshal(raw, &s); err != nil || s.CSRF == "" {
		return nil, false
	}
	return &s, true
}

func (p *Portal) sign(payload string) []byte {
	m := hmac.New(sha256.New, p.cfg.SessionKey)
	m.Write([]byte("libretto-portal-session\x00"))
	m.Write([]byte(payload))
	return m.Sum(nil)
}

func (p *Portal) encodeSession(s *session) string {
	raw, _ := json.Marshal(s)
	payload := base64.RawURLEncoding.EncodeToString(raw)
	return payload + "." + base64.RawURLEncoding.EncodeToString(p.sign(payload))
}

// saveSession writes the session cookie when it changed. It must run before
// the response's header is written.
func (p *Portal) saveSession(w http.ResponseWriter, r *http.Request) {
	s := sessionOf(r)
	if !s.changed {
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name:     sessionCookie,
		Value:    p.encodeSession(s),
		Path:     "/",
		HttpOnly: true,
		Secure:   p.secure(r),
		SameSite: http.SameSiteLaxMode,
	})
	s.changed = false
}

func (p *Portal) secure(r *http.Request) bool { return r.TLS != nil || p.cfg.SecureCookies }

// signIn starts a new session for the person: a new CSRF token too, so a
// token seen before login is worthless after it.
func (p *Portal) signIn(r *http.Request, cf string, role commands.Role) {
	s := sessionOf(r)
	*s = session{CF: cf, Role: role, CSRF: randomToken(), Expires: p.now().Add(sessionTTL).Unix(), changed: true}
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

// safeAfter keeps a post-login destination only when it is a local path.
func safeAfter(s string) string {
	if s == "" || !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || strings.HasPrefix(s, "/\\") {
		return "/"
	}
	return s
}
