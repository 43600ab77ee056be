package portal

import (
	"errors"
	"net/http"
	"slices"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/domain/access"
)

// Deleghe (SPEC §9): a citizen grants a relative or a patronato the right
// to act for them (libretto, eredi, or both) until a date, sees the
// delegations granted and received, and revokes one after a confirmation.
// A delegate uses one with the person switch in the header (POST /persona):
// the session remembers the choice, and every citizen page checks the
// delegation again (Portal.actFor). The delegations are read as GET
// /api/v1/delegations reads them: commands.Handler.Delegations, from the
// event store, so a revocation shows at once.
func (p *Portal) delegationRoutes() {
	p.page("GET /deleghe", commands.RoleCitizen, access.ReadDelegations, p.delegationsPage)
	p.page("POST /deleghe/riepilogo", commands.RoleCitizen, access.GrantDelegation, p.delegationReview)
	p.page("POST /deleghe", commands.RoleCitizen, access.GrantDelegation, p.delegationCreate)
	p.page("GET /deleghe/{id}/revoca", commands.RoleCitizen, access.RevokeDelegation, p.delegationRevokeConfirm)
	p.page("POST /deleghe/{id}/revoca", commands.RoleCitizen, access.RevokeDelegation, p.delegationRevoke)
	p.handle("POST /persona", citizen, p.switchPerson)
}

func citizen(u *User) bool { return u.Is(commands.RoleCitizen) }

// delegationView is a delegation as the page shows it, its status as of
// today (active, expired, revoked).
type delegationView struct {
	domain.Delegation
	Status string
}

type delegationsData struct {
	Form     *Form
	Granted  []delegationView
	Received []delegationView
	Today    string
	// Scopes are the scopes as the form offers them, in domain order.
	Scopes []string
	// Review: the grant's riepilogo.
	DelegateCF string
	Chosen     []string
}

func (p *Portal) delegationViews(ds []domain.Delegation) []delegationView {
	today := domain.DateOf(p.now(), rome)
	out := make([]delegationView, 0, len(ds))
	for _, d := range ds {
		out = append(out, delegationView{Delegation: d, Status: d.Status(today).String()})
	}
	return out
}

func (p *Portal) delegationsData(r *http.Request, f *Form) (delegationsData, error) {
	granted, received, err := p.cfg.Commands.Delegations(r.Context(), currentUser(r).CF)
	d := delegationsData{Form: f, Granted: p.delegationViews(granted), Received: p.delegationViews(received), Today: p.today()}
	for _, s := range domain.Scopes {
		d.Scopes = append(d.Scopes, string(s))
	}
	return d, err
}

func (p *Portal) delegationsPage(w http.ResponseWriter, r *http.Request) {
	f := newForm()
	if q := r.URL.Query(); q.Has("delegate_cf") { // back from the riepilogo
		f.Values = q
	}
	d, err := p.delegationsData(r, f)
	if err != nil {
		p.serverError(w, r, err)
		return
	}
	p.render(w, r, "delegations", d)
}

// readGrant reads the grant form; the scopes and the expiry are the
// command's to judge.
func readGrant(f *Form) commands.GrantDelegation {
	c := commands.GrantDelegation{DelegateCF: f.CF("delegate_cf"), ExpiresOn: f.Date("expires_on"), Scope: f.Values["scope"]}
	f.Required("delegate_cf", "expires_on")
	if len(c.Scope) == 0 && f.Err("scope") == "" {
		f.Fail("scope", messages[domain.CodeInvalidScope])
	}
	return c
}

// grantRefusal words GrantDelegation's refusals beside their fields.
func grantRefusal(de *domain.Error) (string, string) {
	switch de.Code {
	case domain.CodeInvalidDelegate:
		return "delegate_cf", "Non puoi delegare te stesso: indica il codice fiscale di un'altra persona."
	case domain.CodeInvalidScope:
		return "scope", messages[domain.CodeInvalidScope]
	case domain.CodeAlreadyExists:
		return "delegate_cf", "Questa persona ha già una tua delega attiva: revocala prima di concederne un'altra."
	case domain.CodeInvalidDate:
		return "expires_on", "La scadenza deve essere successiva a oggi ed entro 5 anni."
	}
	return "", ""
}

var grantFields = []string{"delegate_cf", "scope", "expires_on"}

// delegationReview is the grant's riepilogo: what the delegate will be able
// to do and until when, once the command says it would take it.
func (p *Portal) delegationReview(w http.ResponseWriter, r *http.Request) {
	f := formFrom(r)
	c := readGrant(f)
	if f.OK() {
		if _, ok := p.check(w, r, f, c, grantRefusal, grantFields...); !ok {
			return
		}
	}
	d, err := p.delegationsData(r, f)
	if err != nil {
		p.serverError(w, r, err)
		return
	}
	if !f.OK() {
		p.renderStatus(w, r, http.StatusUnprocessableEntity, "delegations", d)
		return
	}
	d.DelegateCF, d.Chosen = c.DelegateCF, c.Scope
	p.render(w, r, "delegation_confirm", d)
}

func (p *Portal) delegationCreate(w http.ResponseWriter, r *http.Request) {
	f := formFrom(r)
	c := readGrant(f)
	if f.OK() {
		_, err := p.cfg.Commands.GrantDelegation(r.Context(), p.meta(r, f), c)
		if err == nil {
			setFlash(r, "success", "Delega concessa a "+c.DelegateCF+" fino al "+domain.ItalianDate(c.ExpiresOn)+". Puoi revocarla in qualsiasi momento da questa pagina.")
			p.redirect(w, r, "/deleghe")
			return
		}
		if de := (*domain.Error)(nil); errors.As(err, &de) {
			if field, msg := grantRefusal(de); msg != "" {
				f.Fail(field, msg)
			}
		}
		if f.OK() && !applyError(f, err, grantFields...) {
			p.commandFailed(w, r, err)
			return
		}
	}
	d, err := p.delegationsData(r, f)
	if err != nil {
		p.serverError(w, r, err)
		return
	}
	p.renderStatus(w, r, http.StatusUnprocessableEntity, "delegations", d)
}

// ownDelegation finds the delegation in the path among those the person
// granted (the only place it looks: another's is not found, 404), and asks
// the access table with its grantor as the owner.
func (p *Portal) ownDelegation(w http.ResponseWriter, r *http.Request) (delegationView, bool) {
	granted, _, err := p.cfg.Commands.Delegations(r.Context(), currentUser(r).CF)
	if err != nil {
		p.serverError(w, r, err)
		return delegationView{}, false
	}
	i := slices.IndexFunc(granted, func(d domain.Delegation) bool { return d.DelegationID == r.PathValue("id") })
	if i < 0 {
		p.notFound(w, r)
		return delegationView{}, false
	}
	v := p.delegationViews(granted[i : i+1])[0]
	return v, p.decide(w, r, access.Parties{Owner: v.GrantorCF})
}

type revokeDelegationData struct {
	Delegation delegationView
	Form       *Form
}

func (p *Portal) delegationRevokeConfirm(w http.ResponseWriter, r *http.Request) {
	d, ok := p.ownDelegation(w, r)
	if !ok {
		return
	}
	f := newForm()
	if d.Status == domain.DelegationRevokedState.String() {
		f.Error = "La delega è già stata revocata."
	}
	p.render(w, r, "delegation_revoke", revokeDelegationData{Delegation: d, Form: f})
}

func (p *Portal) delegationRevoke(w http.ResponseWriter, r *http.Request) {
	d, ok := p.ownDelegation(w, r)
	if !ok {
		return
	}
	f := formFrom(r)
	_, err := p.cfg.Commands.RevokeDelegation(r.Context(), p.meta(r, f), commands.RevokeDelegation{DelegationID: d.DelegationID})
	if err != nil {
		if !applyError(f, err) {
			p.commandFailed(w, r, err)
			return
		}
		f.Error = "La delega è già stata revocata."
		p.renderStatus(w, r, http.StatusUnprocessableEntity, "delegation_revoke", revokeDelegationData{Delegation: d, Form: f})
		return
	}
	setFlash(r, "success", "Delega revocata: da ora "+d.DelegateCF+" non può più operare per tuo conto.")
	p.redirect(w, r, "/deleghe")
}

// personOption is a choice of the header's switch.
type personOption struct {
	CF       string
	Scope    []string
	Selected bool
}

// switchOptions are the people a citizen may act for today: the grantors
// of their active delegations received. A choice no longer active is
// offered still, marked, so the header says whom the session was set to.
func (p *Portal) switchOptions(r *http.Request, u *User) []personOption {
	_, received, err := p.cfg.Commands.Delegations(r.Context(), u.CF)
	if err != nil {
		p.cfg.Logger.Warn("portal: reading the delegations received", "err", err)
		return nil
	}
	today := domain.DateOf(p.now(), rome)
	var out []personOption
	for _, d := range received {
		if d.Active(today) {
			out = append(out, personOption{CF: d.GrantorCF, Scope: d.Scope, Selected: d.GrantorCF == u.Chosen})
		}
	}
	return out
}

// switchPerson records whom the session acts for: the person signed in
// ("" or their own CF), or the grantor of a delegation active today. The
// choice is checked again on every page.
func (p *Portal) switchPerson(w http.ResponseWriter, r *http.Request) {
	u := currentUser(r)
	s := sessionOf(r)
	person := r.PostFormValue("person")
	if cf, err := domain.ParseCF(person); err == nil && cf.String() != u.CF {
		person = cf.String()
		if _, ok, err := p.cfg.Commands.ActiveDelegation(r.Context(), person, u.CF, p.now()); err != nil {
			p.serverError(w, r, err)
			return
		} else if !ok {
			p.notFound(w, r)
			return
		}
	} else {
		person = ""
	}
	if err := p.cfg.Sessions.ActFor(r.Context(), s.id, person); err != nil {
		p.serverError(w, r, err)
		return
	}
	s.onBehalfOf = person
	if person == "" {
		setFlash(r, "info", "Ora operi per te stesso.")
		p.redirect(w, r, "/")
		return
	}
	setFlash(r, "info", "Ora operi per conto di "+person+", entro i limiti della sua delega.")
	p.redirect(w, r, "/")
}
