package portal

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/commands/seed"
	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/http/auth"
)

// DefaultDemoIdentities are the people of the demo data (commands/seed), so
// that a newcomer signs in as someone whose pages are not empty.
var DefaultDemoIdentities = []DemoIdentity{
	{CF: seed.HeirLauraCF, Role: commands.RoleCitizen, Description: "Laura Bianchi – erede di Giuseppe Bianchi: pratica convalidata, rimborso richiesto"},
	{CF: seed.HeirMarcoCF, Role: commands.RoleCitizen, Description: "Marco Bianchi – secondo erede (testamentario) di Giuseppe Bianchi, pratica da convalidare"},
	{CF: seed.FamilyVerdiCF, Role: commands.RoleCitizen, Description: "Anna Verdi – famiglia con libretto, versamenti e prestazioni"},
	{CF: seed.WorkerMariaCF, Role: commands.RoleCitizen, Description: "Maria Esposito – prestatrice (babysitter) con compensi pagati"},
	{CF: seed.OperatorCF, Role: commands.RoleOperator, Description: "Elisa Monti – operatrice della sede INPS"},
	{CF: seed.Operator2CF, Role: commands.RoleOperator, Description: "Davide Conti – secondo operatore della sede: paga i rimborsi approvati da un collega (quattro occhi)"},
	{CF: seed.AuditorCF, Role: commands.RoleAuditor, Description: "Paolo Galli – revisore dell'audit interno"},
}

type loginData struct {
	Identities []DemoIdentity
	Form       *Form
	After      string
	Dev        bool
	OIDC       bool
}

func (p *Portal) loginPage(w http.ResponseWriter, r *http.Request) {
	if currentUser(r) != nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	f := newForm()
	f.Set("role", string(commands.RoleCitizen))
	f.Set("acr", auth.ACRSpidL2)
	p.render(w, r, "login", loginData{
		Identities: p.cfg.DemoIdentities, Form: f, After: safeAfter(r.URL.Query().Get("dopo")),
		Dev: p.cfg.Dev, OIDC: p.oidc != nil,
	})
}

// devLogin signs in as any codice fiscale and role, in development mode only.
func (p *Portal) devLogin(w http.ResponseWriter, r *http.Request) {
	if !p.cfg.Dev {
		p.notFound(w, r)
		return
	}
	f := formFrom(r)
	cf := f.CF("cf")
	role := commands.Role(f.Get("role"))
	switch role {
	case commands.RoleCitizen, commands.RoleOperator, commands.RoleAuditor:
	default:
		f.Fail("role", "Scegli il profilo con cui accedere.")
	}
	if cf == "" {
		f.Fail("cf", "Indica il codice fiscale.")
	}
	f.CheckCF("cf")
	// The demo login stands in for the identity provider, level included:
	// a level the production login refuses is refused here too (SPEC §9).
	// The demo identities' buttons send none and sign in at SPID level 2.
	acr := f.Get("acr")
	if acr == "" {
		acr = auth.ACRSpidL2
	}
	if _, known := labels["acr"][acr]; !known {
		f.Fail("acr", "Scegli il livello di sicurezza dell'identità digitale.")
	}
	if f.OK() {
		if err := auth.CheckACR(acr, p.cfg.OIDC.AllowedACR); err != nil {
			p.insufficientAssurance(w, r, err)
			return
		}
	}
	if !f.OK() {
		p.renderStatus(w, r, http.StatusUnprocessableEntity, "login", loginData{
			Identities: p.cfg.DemoIdentities, Form: f, After: safeAfter(f.Get("dopo")), Dev: true, OIDC: p.oidc != nil,
		})
		return
	}
	// The demo login stands in for the identity provider: the role picked
	// is every role the person holds, so signing in as a citizen ends the
	// same person's operator and auditor sessions, as a withdrawn role would.
	if err := p.signIn(r, cf, role, []commands.Role{role}); err != nil {
		p.sessionUnavailable(w, r, err)
		return
	}
	setFlash(r, "success", "Accesso effettuato come "+label("role", string(role))+" ("+cf+").")
	p.redirect(w, r, safeAfter(f.Get("dopo")))
}

// insufficientAssurance is the 401 page of a login whose identity is of a
// level Libretto does not accept (SPEC §9), the OIDC login's and the demo
// login's alike.
func (p *Portal) insufficientAssurance(w http.ResponseWriter, r *http.Request, err error) {
	p.cfg.Logger.Warn("portal: login refused", "err", err)
	p.renderStatus(w, r, http.StatusUnauthorized, "error", errorPage{
		Title: "Livello di sicurezza insufficiente",
		Message: "Per il Libretto Famiglia serve un'identità digitale di livello significativo o alto: " +
			"SPID di livello 2 o 3, CIE o CNS. Accedi di nuovo con una di queste.",
	})
}

// logout ends the session on the server, so a copy of its cookie (another
// tab, another device, a stolen one) stops working too.
func (p *Portal) logout(w http.ResponseWriter, r *http.Request) {
	if err := p.signOut(r); err != nil {
		p.sessionUnavailable(w, r, err)
		return
	}
	setFlash(r, "info", "Sei uscito dall'area riservata.")
	p.redirect(w, r, "/")
}

// sessionUnavailable answers a sign-in or logout the session store refused:
// nothing is pretended, the person tries again.
func (p *Portal) sessionUnavailable(w http.ResponseWriter, r *http.Request, err error) {
	p.cfg.Logger.Error("portal: session store", "err", err)
	p.renderStatus(w, r, http.StatusServiceUnavailable, "error", errorPage{
		Title:   "Servizio non disponibile",
		Message: "Non è stato possibile completare l'operazione sulla sessione. Riprova tra qualche minuto.",
	})
}

type homeData struct {
	Cards []Card
	Dev   bool
	OIDC  bool
}

func (p *Portal) home(w http.ResponseWriter, r *http.Request) {
	u := currentUser(r)
	if u == nil {
		p.render(w, r, "home", homeData{Dev: p.cfg.Dev, OIDC: p.oidc != nil})
		return
	}
	p.render(w, r, "home", homeData{Cards: cardsFor(u)})
}

// oidcClient is the production login: OpenID Connect authorization code
// flow with PKCE against the SPID/CIE gateway. The provider is discovered on
// first use, so the portal starts even while the provider is down.
type oidcClient struct {
	cfg      OIDCConfig
	mu       sync.Mutex
	provider *oidc.Provider
}

func newOIDCClient(cfg OIDCConfig) *oidcClient { return &oidcClient{cfg: cfg} }

func (c *oidcClient) setup(ctx context.Context) (*oauth2.Config, *oidc.IDTokenVerifier, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.provider == nil {
		pr, err := oidc.NewProvider(ctx, c.cfg.Issuer)
		if err != nil {
			return nil, nil, fmt.Errorf("oidc discovery: %w", err)
		}
		c.provider = pr
	}
	oc := &oauth2.Config{
		ClientID:     c.cfg.ClientID,
		ClientSecret: c.cfg.ClientSecret,
		RedirectURL:  c.cfg.RedirectURL,
		Endpoint:     c.provider.Endpoint(),
		Scopes:       []string{oidc.ScopeOpenID, "profile"},
	}
	return oc, c.provider.Verifier(&oidc.Config{ClientID: c.cfg.ClientID}), nil
}

func (p *Portal) oidcStart(w http.ResponseWriter, r *http.Request) {
	if p.oidc == nil {
		p.notFound(w, r)
		return
	}
	oc, _, err := p.oidc.setup(r.Context())
	if err != nil {
		p.loginUnavailable(w, r, err)
		return
	}
	s := sessionOf(r)
	if s.signedIn {
		// Someone signed in starting another login: the state rides in the
		// anonymous cookie, and the sign-in that follows ends this session.
		p.redirect(w, r, "/")
		return
	}
	s.state, s.nonce, s.after = randomToken(), randomToken(), safeAfter(r.URL.Query().Get("dopo"))
	verifier := oauth2.GenerateVerifier()
	s.verifier = verifier
	s.changed = true
	p.saveSession(w, r)
	http.Redirect(w, r, oc.AuthCodeURL(s.state, oidc.Nonce(s.nonce), oauth2.S256ChallengeOption(verifier)), http.StatusFound)
}

func (p *Portal) oidcCallback(w http.ResponseWriter, r *http.Request) {
	if p.oidc == nil {
		p.notFound(w, r)
		return
	}
	s := sessionOf(r)
	q := r.URL.Query()
	if s.state == "" || q.Get("state") != s.state {
		p.renderStatus(w, r, http.StatusBadRequest, "error", errorPage{
			Title: "Accesso non riuscito", Message: "La richiesta di accesso è scaduta o non è valida. Riprova dalla pagina di accesso.",
		})
		return
	}
	if e := q.Get("error"); e != "" {
		p.renderStatus(w, r, http.StatusUnauthorized, "error", errorPage{
			Title: "Accesso annullato", Message: "Il gestore dell'identità digitale non ha concesso l'accesso. Puoi riprovare dalla pagina di accesso.",
		})
		return
	}
	oc, verifier, err := p.oidc.setup(r.Context())
	if err != nil {
		p.loginUnavailable(w, r, err)
		return
	}
	tok, err := oc.Exchange(r.Context(), q.Get("code"), oauth2.VerifierOption(s.verifier))
	if err != nil {
		p.loginUnavailable(w, r, err)
		return
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := verifier.Verify(r.Context(), raw)
	if err != nil || idt.Nonce != s.nonce {
		p.loginUnavailable(w, r, errors.Join(errors.New("id token refused"), err))
		return
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		p.loginUnavailable(w, r, err)
		return
	}
	acr, _ := claims["acr"].(string)
	if err := auth.CheckACR(acr, p.cfg.OIDC.AllowedACR); err != nil {
		p.insufficientAssurance(w, r, err)
		return
	}
	cf, role, err := identityFromClaims(claims, p.cfg.OIDC)
	if err != nil {
		p.loginUnavailable(w, r, err)
		return
	}
	after := s.after
	if err := p.signIn(r, cf, role, claimedRoles(claims, p.cfg.OIDC)); err != nil {
		p.sessionUnavailable(w, r, err)
		return
	}
	setFlash(r, "success", "Accesso effettuato.")
	p.redirect(w, r, safeAfter(after))
}

// identityFromClaims reads the codice fiscale (SPID's fiscalNumber may carry
// the "TINIT-" prefix) and the role: operator or auditor when the roles
// claim says so, a citizen otherwise.
func identityFromClaims(claims map[string]any, cfg OIDCConfig) (string, commands.Role, error) {
	rawCF, _ := claims[cfg.CFClaim].(string)
	rawCF = strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(rawCF)), "TINIT-")
	cf, err := domain.ParseCF(rawCF)
	if err != nil {
		return "", "", fmt.Errorf("claim %q holds no codice fiscale", cfg.CFClaim)
	}
	role := commands.RoleCitizen
	for _, x := range claimedRoles(claims, cfg) {
		switch x {
		case commands.RoleOperator:
			role = commands.RoleOperator
		case commands.RoleAuditor:
			if role != commands.RoleOperator {
				role = commands.RoleAuditor
			}
		}
	}
	return cf.String(), role, nil
}

// claimedRoles are the roles the identity provider says the person holds:
// citizen always, operator and auditor when the roles claim lists them.
func claimedRoles(claims map[string]any, cfg OIDCConfig) []commands.Role {
	var rs []string
	switch v := claims[cfg.RolesClaim].(type) {
	case []any:
		for _, x := range v {
			if s, ok := x.(string); ok {
				rs = append(rs, s)
			}
		}
	case string:
		rs = strings.Fields(v)
	}
	held := []commands.Role{commands.RoleCitizen}
	for _, x := range rs {
		switch r := commands.Role(x); r {
		case commands.RoleOperator, commands.RoleAuditor:
			held = append(held, r)
		}
	}
	return held
}

func (p *Portal) loginUnavailable(w http.ResponseWriter, r *http.Request, err error) {
	p.cfg.Logger.Warn("portal: oidc login failed", "err", err)
	p.renderStatus(w, r, http.StatusBadGateway, "error", errorPage{
		Title:   "Accesso non riuscito",
		Message: "Non è stato possibile completare l'accesso con SPID o CIE. Riprova tra qualche minuto.",
	})
}
