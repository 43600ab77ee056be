package portal

import (
	"errors"
	"net/http"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/domain/access"
	"github.com/inps/libretto/projections"
)

// The operator's correction of a date of death (rettifica della data di
// decesso), reached from a claim: form → riepilogo → Conferma, like the
// heir's refund. The command corrects the deceased's booklet and every claim
// on it at once, so the pages say so.

type deathData struct {
	Claim projections.Claim
	Form  *Form
}

func (p *Portal) deathRoutes() {
	p.page("GET /backoffice/pratiche/{id}/decesso", commands.RoleOperator, access.CorrectDateOfDeath, p.boDeathForm)
	p.page("POST /backoffice/pratiche/{id}/decesso/riepilogo", commands.RoleOperator, access.CorrectDateOfDeath, p.boDeathReview)
	p.page("POST /backoffice/pratiche/{id}/decesso", commands.RoleOperator, access.CorrectDateOfDeath, p.boDeathCorrect)
}

// boDeathForm offers the correction; coming back from the riepilogo
// ("Modifica") it keeps what was typed.
func (p *Portal) boDeathForm(w http.ResponseWriter, r *http.Request) {
	c, ok := p.loadClaim(w, r)
	if !ok {
		return
	}
	f := newForm()
	f.Set("date_of_death", r.URL.Query().Get("date_of_death"))
	f.Set("reason", r.URL.Query().Get("reason"))
	p.render(w, r, "bo_death", deathData{Claim: c, Form: f})
}

// readDeath reads the form: a real date and a reason.
func readDeath(f *Form) string {
	dod := f.Date("date_of_death")
	f.Required("date_of_death", "reason")
	return dod
}

// checkDeath refuses, before the confirmation, what the command would
// refuse, by asking it: a future date or one before the Libretto, the date
// already recorded, a prior service of any of the deceased's claims ending
// after it, an operator who is a party.
func (p *Portal) checkDeath(w http.ResponseWriter, r *http.Request, f *Form, c projections.Claim) (int, bool) {
	dod := readDeath(f)
	return p.check(w, r, f, commands.CorrectDateOfDeath{DeceasedCF: c.DeceasedCF, DateOfDeath: dod, Reason: f.Get("reason")},
		deathRefusal, "date_of_death", "reason")
}

const (
	sameDeathDate              = "È già la data del decesso registrata: indica la data corretta."
	serviceAfterCorrectedDeath = "Una prestazione pregressa inserita da un erede termina dopo questa data: stornala prima di rettificare la data del decesso."
)

// deathRefusal words CorrectDateOfDeath's refusals of the date.
func deathRefusal(de *domain.Error) (string, string) {
	switch de.Code {
	case domain.CodeServiceAfterDeath:
		return "date_of_death", serviceAfterCorrectedDeath
	case domain.CodeInvalidState: // the date already recorded
		return "date_of_death", sameDeathDate
	}
	return "", ""
}

// boDeathReview shows what will be recorded: the confirmation step.
func (p *Portal) boDeathReview(w http.ResponseWriter, r *http.Request) {
	c, ok := p.loadClaim(w, r)
	if !ok {
		return
	}
	f := formFrom(r)
	status, ok := p.checkDeath(w, r, f, c)
	if !ok {
		return
	}
	if !f.OK() {
		p.renderStatus(w, r, status, "bo_death", deathData{Claim: c, Form: f})
		return
	}
	p.render(w, r, "bo_death_confirm", deathData{Claim: c, Form: f})
}

func (p *Portal) boDeathCorrect(w http.ResponseWriter, r *http.Request) {
	c, ok := p.loadClaim(w, r)
	if !ok {
		return
	}
	f := formFrom(r)
	// The rules are the command's to apply here, not checkDeath's: a double
	// click on Conferma must reach the command, whose idempotency key answers
	// the first result, rather than be told the date is already recorded.
	readDeath(f)
	if !f.OK() {
		p.renderStatus(w, r, http.StatusUnprocessableEntity, "bo_death", deathData{Claim: c, Form: f})
		return
	}
	res, err := p.cfg.Commands.CorrectDateOfDeath(r.Context(), p.meta(r, f), commands.CorrectDateOfDeath{
		DeceasedCF: c.DeceasedCF, DateOfDeath: f.Get("date_of_death"), Reason: f.Get("reason"),
	})
	if err != nil {
		// The date already recorded here means another operator recorded it
		// since the page was read.
		var field, msg string
		if de := (*domain.Error)(nil); errors.As(err, &de) {
			field, msg = deathRefusal(de)
		}
		switch {
		case msg != "":
			f.Fail(field, msg)
		case !applyError(f, err, "date_of_death", "reason"):
			p.commandFailed(w, r, err)
			return
		}
		p.renderStatus(w, r, refusalStatus(err), "bo_death", deathData{Claim: c, Form: f})
		return
	}
	p.waitFor(r, res)
	from := "dal " + domain.ItalianDate(c.DateOfDeath) + " "
	if c.DateOfDeath == f.Get("date_of_death") { // a repeated Conferma, answered by the first
		from = ""
	}
	setFlash(r, "success", "Data del decesso rettificata "+from+"al "+domain.ItalianDate(f.Get("date_of_death"))+
		" sul libretto di "+c.DeceasedCF+" e su tutte le pratiche dei suoi eredi.")
	p.redirect(w, r, "/backoffice/pratiche/"+c.ClaimID)
}
