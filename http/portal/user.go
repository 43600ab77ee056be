package portal

import (
	"context"
	"errors"
	"net/http"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/domain/access"
	"github.com/inps/libretto/projections"
)

// The user's section (utilizzatore): the booklet's dashboard, recording and
// revoking services. A citizen only ever reads their own booklet.
func (p *Portal) userRoutes() {
	p.page("GET /libretto", commands.RoleCitizen, access.ReadDashboard, p.userDashboard)
	p.page("POST /libretto/attiva", commands.RoleCitizen, access.RegisterUser, p.userActivate)
	p.page("GET /libretto/prestazioni/nuova", commands.RoleCitizen, access.RecordService, p.serviceNew)
	p.page("POST /libretto/prestazioni", commands.RoleCitizen, access.RecordService, p.serviceCreate)
	p.page("GET /libretto/prestazioni/{id}/revoca", commands.RoleCitizen, access.RevokeService, p.serviceRevokeConfirm)
	p.page("POST /libretto/prestazioni/{id}/revoca", commands.RoleCitizen, access.RevokeService, p.serviceRevoke)
	p.topUpRoutes()
}

type dashboardData struct {
	Registered bool
	Dashboard  projections.Dashboard
	Today      string
	MaxMonth   int64
	Form       *Form
}

func (p *Portal) userDashboard(w http.ResponseWriter, r *http.Request) {
	u := currentUser(r)
	today := p.today()
	db, err := p.cfg.Queries.Dashboard(r.Context(), u.Person(), today)
	if isNotFound(err) {
		p.render(w, r, "user_dashboard", dashboardData{Today: today, Form: newForm()})
		return
	}
	if err != nil {
		p.serverError(w, r, err)
		return
	}
	d := dashboardData{Registered: true, Dashboard: db, Today: today}
	// The chart shows every month of the year, spent in or not.
	months := make([]projections.MonthSpend, 12)
	for i := range months {
		months[i].Month = i + 1
	}
	for _, m := range db.Spending {
		if m.Month >= 1 && m.Month <= 12 {
			months[m.Month-1].GrossCents += m.GrossCents
		}
	}
	d.Dashboard.Spending = months
	for _, m := range months {
		if m.GrossCents > d.MaxMonth {
			d.MaxMonth = m.GrossCents
		}
	}
	p.render(w, r, "user_dashboard", d)
}

func (p *Portal) userActivate(w http.ResponseWriter, r *http.Request) {
	f := formFrom(r)
	res, err := p.cfg.Commands.RegisterUser(r.Context(), p.meta(r, f), commands.RegisterUser{})
	if err != nil && !applyError(f, err) {
		p.commandFailed(w, r, err)
		return
	}
	if err != nil {
		setFlash(r, "warning", f.Error)
	} else {
		p.waitFor(r, res)
		setFlash(r, "success", "Libretto Famiglia attivato. Per usarlo versa un importo con F24 (causale LIFA) o pagoPA.")
	}
	p.redirect(w, r, "/libretto")
}

type serviceFormData struct {
	Form  *Form
	Today string
}

func (p *Portal) serviceNew(w http.ResponseWriter, r *http.Request) {
	p.render(w, r, "user_service_new", serviceFormData{Form: newForm(), Today: p.today()})
}

func (p *Portal) serviceCreate(w http.ResponseWriter, r *http.Request) {
	f := formFrom(r)
	cmd := readService(f)
	if !f.Checked("declaration") {
		f.Fail("declaration", messages["declaration_required"])
	}
	if !f.OK() {
		p.renderStatus(w, r, http.StatusUnprocessableEntity, "user_service_new", serviceFormData{Form: f, Today: p.today()})
		return
	}
	cmd.NoRecentEmployment = true
	res, err := p.cfg.Commands.RecordService(r.Context(), p.meta(r, f), cmd)
	if err != nil {
		if !applyError(f, err, serviceFields...) {
			p.commandFailed(w, r, err)
			return
		}
		p.renderStatus(w, r, http.StatusUnprocessableEntity, "user_service_new", serviceFormData{Form: f, Today: p.today()})
		return
	}
	p.waitFor(r, res)
	setFlash(r, "success", "Prestazione comunicata. Sarà pagata al prestatore entro il 15 del mese successivo.")
	p.redirect(w, r, "/libretto")
}

type revokeData struct {
	Service projections.DashboardService
	Form    *Form
	// Revocable: the service may still be revoked today; otherwise the page
	// says so and offers no revocation.
	Revocable bool
}

// notRevocable is what a revocation of a service no longer revocable is told.
const notRevocable = "La prestazione non può più essere revocata: è già stata revocata, stornata o pagata, oppure il termine per revocarla è scaduto."

func (p *Portal) revokeData(s projections.DashboardService, f *Form) revokeData {
	return revokeData{Service: s, Form: f, Revocable: s.CanRevoke}
}

// ownService finds a service on the person's own dashboard, the only one
// it looks on: another's service is not found (404). The access table is
// asked all the same, with the booklet's user, so the rule is its.
func (p *Portal) ownService(w http.ResponseWriter, r *http.Request) (projections.DashboardService, bool) {
	owner := currentUser(r).Person()
	s, found, err := p.serviceOn(r.Context(), owner, r.PathValue("id"))
	if err != nil {
		p.serverError(w, r, err)
		return projections.DashboardService{}, false
	}
	if !found {
		p.notFound(w, r)
		return s, false
	}
	return s, p.decide(w, r, access.Parties{Owner: owner})
}

// serviceOn finds service id on the dashboard of userCF; a person with no
// booklet has none.
func (p *Portal) serviceOn(ctx context.Context, userCF, id string) (projections.DashboardService, bool, error) {
	db, err := p.cfg.Queries.Dashboard(ctx, userCF, p.today())
	if err != nil && !isNotFound(err) {
		return projections.DashboardService{}, false, err
	}
	for _, s := range db.Services {
		if s.ServiceID == id {
			return s, true, nil
		}
	}
	return projections.DashboardService{}, false, nil
}

// serviceRevokeConfirm is the revocation's riepilogo: it says why the
// command would refuse the revocation now, if it would, and then offers none.
func (p *Portal) serviceRevokeConfirm(w http.ResponseWriter, r *http.Request) {
	s, ok := p.ownService(w, r)
	if !ok {
		return
	}
	d := p.revokeData(s, newForm())
	if _, ok := p.check(w, r, d.Form, commands.RevokeService{ServiceID: s.ServiceID}, revocation); !ok {
		return
	}
	if !d.Form.OK() {
		d.Revocable = false
	}
	p.render(w, r, "user_service_revoke", d)
}

// revocation words RevokeService's refusal of a service no longer unpaid
// or not the user's own to revoke (a prior service is the operator's).
func revocation(de *domain.Error) (string, string) {
	if de.Code == domain.CodeInvalidState || de.Kind == domain.KindNotFound {
		return "", notRevocable
	}
	return "", ""
}

func (p *Portal) serviceRevoke(w http.ResponseWriter, r *http.Request) {
	s, ok := p.ownService(w, r)
	if !ok {
		return
	}
	f := formFrom(r)
	res, err := p.cfg.Commands.RevokeService(r.Context(), p.meta(r, f), commands.RevokeService{ServiceID: s.ServiceID})
	if err != nil {
		if !applyError(f, err) {
			p.commandFailed(w, r, err)
			return
		}
		if de := (*domain.Error)(nil); errors.As(err, &de) && de.Code == domain.CodeInvalidState {
			f.Error = notRevocable
		}
		p.renderStatus(w, r, http.StatusUnprocessableEntity, "user_service_revoke", p.revokeData(s, f))
		return
	}
	p.waitFor(r, res)
	setFlash(r, "success", "Prestazione revocata: l'importo è di nuovo disponibile sul libretto.")
	p.redirect(w, r, "/libretto")
}
