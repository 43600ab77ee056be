package portal

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/commands/seed"
	"github.com/inps/libretto/http/auth"
	"github.com/inps/libretto/http/portal/sessions"
)

// fakeIdP is a minimal OpenID Connect provider standing in for the SPID/CIE
// gateway: discovery, JWKS, and a token endpoint that checks the code and
// the PKCE verifier and signs an ID token with the nonce it was given.
type fakeIdP struct {
	srv      *httptest.Server
	key      *rsa.PrivateKey
	clientID string

	mu        sync.Mutex
	nonce     string
	challenge string
	claims    jwt.MapClaims
}

func newFakeIdP(t *testing.T, clientID string) *fakeIdP {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	idp := &fakeIdP{key: key, clientID: clientID}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer": idp.srv.URL, "authorization_endpoint": idp.srv.URL + "/authorize",
			"token_endpoint": idp.srv.URL + "/token", "jwks_uri": idp.srv.URL + "/jwks",
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
			"kty": "RSA", "kid": "k1", "alg": "RS256", "use": "sig",
			"n": base64.RawURLEncoding.EncodeToString(key.N.Bytes()),
			"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(key.E)).Bytes()),
		}}})
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		idp.mu.Lock()
		defer idp.mu.Unlock()
		sum := sha256.Sum256([]byte(r.PostFormValue("code_verifier")))
		if r.PostFormValue("code") != "good-code" || base64.RawURLEncoding.EncodeToString(sum[:]) != idp.challenge {
			http.Error(w, `{"error":"invalid_grant"}`, http.StatusBadRequest)
			return
		}
		claims := jwt.MapClaims{"iss": idp.srv.URL, "aud": idp.clientID, "sub": "spid-user",
			"iat": time.Now().Unix(), "exp": time.Now().Add(5 * time.Minute).Unix(), "nonce": idp.nonce, "acr": auth.ACRSpidL2}
		for k, v := range idp.claims {
			claims[k] = v
		}
		tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
		tok.Header["kid"] = "k1"
		signed, err := tok.SignedString(key)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "at", "token_type": "Bearer", "expires_in": 300, "id_token": signed})
	})
	idp.srv = httptest.NewServer(mux)
	t.Cleanup(idp.srv.Close)
	return idp
}

func TestSPIDLogin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		claims   jwt.MapClaims
		code     string
		tamper   func(state string) string
		wantRole commands.Role
		wantCF   string
		status   int
	}{
		{name: "a citizen signs in with SPID", claims: jwt.MapClaims{"fiscal_number": "TINIT-" + seed.HeirLauraCF},
			code: "good-code", wantRole: commands.RoleCitizen, wantCF: seed.HeirLauraCF, status: http.StatusSeeOther},
		{name: "SPID level 1 is refused as insufficient assurance", claims: jwt.MapClaims{"fiscal_number": seed.HeirLauraCF, "acr": auth.ACRSpidL1},
			code: "good-code", status: http.StatusUnauthorized},
		{name: "a login without acr is refused", claims: jwt.MapClaims{"fiscal_number": seed.HeirLauraCF, "acr": ""},
			code: "good-code", status: http.StatusUnauthorized},
		{name: "an operator's role comes from the roles claim", claims: jwt.MapClaims{"fiscal_number": seed.OperatorCF, "roles": []string{"operator"}},
			code: "good-code", wantRole: commands.RoleOperator, wantCF: seed.OperatorCF, status: http.StatusSeeOther},
		{name: "a wrong state is refused", claims: jwt.MapClaims{"fiscal_number": seed.HeirLauraCF},
			code: "good-code", tamper: func(string) string { return "forged" }, status: http.StatusBadRequest},
		{name: "a refused code is not a login", claims: jwt.MapClaims{"fiscal_number": seed.HeirLauraCF},
			code: "bad-code", status: http.StatusBadGateway},
		{name: "a token without codice fiscale is not a login", claims: jwt.MapClaims{"email": "x@example.org"},
			code: "good-code", status: http.StatusBadGateway},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			idp := newFakeIdP(t, "portal")
			idp.claims = tc.claims
			p, err := New(Config{Commands: emptyHandler(), Queries: &fakeQueries{}, SessionKey: testKey, Sessions: sessions.NewMemory(),
				OIDC: OIDCConfig{Issuer: idp.srv.URL, ClientID: "portal", ClientSecret: "s", RedirectURL: "http://portal.test/accedi/callback"}})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(p)
			defer srv.Close()
			b := newBrowser(t, srv)

			resp, _ := b.get("/accedi/spid?dopo=/erede")
			loc, err := url.Parse(resp.Header.Get("Location"))
			if resp.StatusCode != http.StatusFound || err != nil || !strings.HasPrefix(loc.String(), idp.srv.URL+"/authorize") {
				t.Fatalf("start: %d %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			q := loc.Query()
			if q.Get("code_challenge_method") != "S256" || q.Get("nonce") == "" || q.Get("state") == "" {
				t.Fatalf("the authorization request lacks PKCE, nonce or state: %v", q)
			}
			idp.mu.Lock()
			idp.nonce, idp.challenge = q.Get("nonce"), q.Get("code_challenge")
			idp.mu.Unlock()
			state := q.Get("state")
			if tc.tamper != nil {
				state = tc.tamper(state)
			}
			resp, _ = b.get("/accedi/callback?" + url.Values{"code": {tc.code}, "state": {state}}.Encode())
			if resp.StatusCode != tc.status {
				t.Fatalf("callback: %d, want %d", resp.StatusCode, tc.status)
			}
			_, home := b.get("/")
			if tc.status != http.StatusSeeOther {
				if strings.Contains(home, "Tutte le attività dedicate a te") {
					t.Fatal("a failed login signed someone in")
				}
				return
			}
			if resp.Header.Get("Location") != "/erede" {
				t.Fatalf("after the login: %q, want the page asked for", resp.Header.Get("Location"))
			}
			if !strings.Contains(home, tc.wantCF) || !strings.Contains(home, label("role", string(tc.wantRole))) {
				t.Fatalf("home does not show %s as %s", tc.wantCF, tc.wantRole)
			}
		})
	}
}

// TestDevLoginPicksAnAssuranceLevel: the demo login offers the levels an
// identity provider asserts and refuses SPID level 1 as the OIDC login
// does (SPEC §9); CIE and the default SPID level 2 sign in.
func TestDevLoginPicksAnAssuranceLevel(t *testing.T) {
	t.Parallel()
	srv := newTestPortal(t, nil)
	for _, tc := range []struct {
		name, acr string
		status    int
	}{
		{"SPID level 1 is refused", auth.ACRSpidL1, http.StatusUnauthorized},
		{"CIE signs in", auth.ACRCIE, http.StatusSeeOther},
		{"no level is SPID level 2", "", http.StatusSeeOther},
		{"an unknown level is a form error", "urn:x", http.StatusUnprocessableEntity},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBrowser(t, srv)
			_, page := b.get("/accedi")
			if !strings.Contains(page, `value="`+auth.ACRSpidL2+`" selected`) {
				t.Fatal("the login form does not offer SPID level 2 first")
			}
			form := url.Values{"csrf_token": {b.csrf("/accedi")}, "cf": {"RSSMRA80A01H501U"}, "role": {"citizen"}}
			if tc.acr != "" {
				form.Set("acr", tc.acr)
			}
			resp, body := b.post("/accedi", form)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if tc.status == http.StatusUnauthorized && !strings.Contains(body, "Livello di sicurezza insufficiente") {
				t.Fatal("the refusal is not the insufficient-assurance page")
			}
			_, home := b.get("/")
			if signedIn := strings.Contains(home, `action="/esci"`); signedIn != (tc.status == http.StatusSeeOther) {
				t.Fatalf("signed in: %v after status %d", signedIn, tc.status)
			}
		})
	}
}
