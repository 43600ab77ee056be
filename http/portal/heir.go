package portal

import (
	"errors"
	"io"
	"net/http"
	"sort"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/domain/access"
	"github.com/inps/libretto/projections"
)

// The heir section (Erede – Libretto Famiglia): a citizen's claims on the
// booklets of deceased users. Every page checks that the claim is the
// signed-in person's own, asking the access table as the API does; anyone
// else's is 404.
func (p *Portal) heirRoutes() {
	p.page("GET /erede", commands.RoleCitizen, access.ReadOwnClaims, p.heirHome)
	p.page("GET /erede/riepilogo", commands.RoleCitizen, access.ReadOwnClaims, p.heirSummary)
	p.page("GET /erede/pratiche/nuova", commands.RoleCitizen, access.RegisterHeir, p.claimNew)
	p.page("POST /erede/pratiche", commands.RoleCitizen, access.RegisterHeir, p.claimCreate)
	p.page("GET /erede/pratiche/{id}", commands.RoleCitizen, access.ReadClaim, p.claimShow)
	p.page("GET /erede/pratiche/{id}/storico", commands.RoleCitizen, access.ReadClaimHistory, p.claimHistory)
	p.page("GET /erede/pratiche/{id}/libretto", commands.RoleCitizen, access.ReadHeirBooklet, p.heirBooklet)
	p.page("GET /erede/pratiche/{id}/prestazioni/nuova", commands.RoleCitizen, access.InsertPriorService, p.priorServiceNew)
	p.page("POST /erede/pratiche/{id}/prestazioni", commands.RoleCitizen, access.InsertPriorService, p.priorServiceCreate)
	p.page("GET /erede/pratiche/{id}/rimborso", commands.RoleCitizen, access.RequestRefund, p.refundNew)
	p.page("POST /erede/pratiche/{id}/rimborso/riepilogo", commands.RoleCitizen, access.RequestRefund, p.refundReview)
	p.page("POST /erede/pratiche/{id}/rimborso", commands.RoleCitizen, access.RequestRefund, p.refundCreate)
}

// ownClaim loads the claim in the path when the access table lets the
// person do the page's action on it (its heir, compared canonically); it
// answers 404 (or 500) itself and reports false otherwise.
func (p *Portal) ownClaim(w http.ResponseWriter, r *http.Request) (projections.Claim, bool) {
	c, err := p.cfg.Queries.Claim(r.Context(), r.PathValue("id"))
	switch {
	case isNotFound(err):
		p.notFound(w, r)
		return c, false
	case err != nil:
		p.serverError(w, r, err)
		return c, false
	}
	return c, p.decide(w, r, access.Parties{Heir: c.HeirCF})
}

type heirHomeData struct {
	Claims []projections.Claim
}

func (p *Portal) heirHome(w http.ResponseWriter, r *http.Request) {
	claims, err := p.cfg.Queries.ClaimsByHeir(r.Context(), currentUser(r).Person())
	if err != nil {
		p.serverError(w, r, err)
		return
	}
	p.render(w, r, "heir_home", heirHomeData{Claims: claims})
}

type claimFormData struct {
	Form *Form
}

func (p *Portal) claimNew(w http.ResponseWriter, r *http.Request) {
	f := newForm()
	p.render(w, r, "heir_claim_new", claimFormData{Form: f})
}

func (p *Portal) claimCreate(w http.ResponseWriter, r *http.Request) {
	f := formFrom(r)
	cmd := commands.RegisterHeir{
		DeceasedCF:  f.CF("deceased_cf"),
		DateOfDeath: f.Date("date_of_death"),
		HeirKind:    f.Get("heir_kind"),
	}
	f.Required("deceased_cf", "date_of_death", "heir_kind")
	if file, hdr, err := r.FormFile("will"); err == nil {
		content, rerr := io.ReadAll(io.LimitReader(file, 10<<20+1))
		file.Close()
		switch {
		case rerr != nil:
			f.Fail("will", "Non è stato possibile leggere il file: riprova.")
		case len(content) > 10<<20:
			f.Fail("will", messages[domain.CodeInvalidWill])
		case len(content) > 0:
			cmd.Will = &commands.WillUpload{Filename: hdr.Filename, Content: content}
		}
	} else if !errors.Is(err, http.ErrMissingFile) && !errors.Is(err, http.ErrNotMultipart) {
		f.Fail("will", "Non è stato possibile leggere il file: riprova.")
	}
	if cmd.HeirKind == "testamentario" && cmd.Will == nil && f.Err("will") == "" {
		f.Fail("will", messages[domain.CodeWillRequired])
	}
	if !f.OK() {
		p.renderStatus(w, r, http.StatusUnprocessableEntity, "heir_claim_new", claimFormData{Form: f})
		return
	}
	res, err := p.cfg.Commands.RegisterHeir(r.Context(), p.meta(r, f), cmd)
	if err != nil {
		if !applyError(f, err, "deceased_cf", "date_of_death", "heir_kind", "will") {
			p.commandFailed(w, r, err)
			return
		}
		p.renderStatus(w, r, http.StatusUnprocessableEntity, "heir_claim_new", claimFormData{Form: f})
		return
	}
	p.waitFor(r, res)
	setFlash(r, "success", "Pratica registrata. Un operatore INPS verificherà la tua dichiarazione di erede; intanto puoi inserire le prestazioni pregresse e chiedere il rimborso.")
	p.redirect(w, r, "/erede/pratiche/"+res.ID)
}

type claimData struct {
	Claim         projections.Claim
	Available     int64  // the deceased's booklet available balance; -1 when unknown
	BookletStatus string // the deceased's booklet status; "" when unknown
	CanRefund     bool
	CanInsert     bool
	// RefundElsewhere: another heir's refund holds or has paid the balance,
	// and there is one refund per booklet.
	RefundElsewhere bool
}

func (p *Portal) claimShow(w http.ResponseWriter, r *http.Request) {
	c, ok := p.ownClaim(w, r)
	if !ok {
		return
	}
	p.render(w, r, "heir_claim", p.claimData(r, c))
}

// claimData offers what the domain's predicates allow the claim: the
// refund (domain.CanRequestRefund) and prior services
// (domain.CanInsertPriorService), on its deceased's booklet as read.
func (p *Portal) claimData(r *http.Request, c projections.Claim) claimData {
	d := claimData{Claim: c, Available: -1}
	status, _ := domain.ClaimStatusOf(c.Status)
	// The claim's own refund holds the booklet unless rejected; when the
	// booklet cannot be read, that is all that is known of it.
	own := c.Refund != nil && c.Refund.Status != domain.RefundRejectedState.String()
	d.CanRefund = domain.CanRequestRefund(status, own)
	d.CanInsert = domain.CanInsertPriorService(status, domain.BookletStatus{}) // a booklet not read is not known closed
	if !domain.ClaimActs(status) {
		return d
	}
	if db, err := p.cfg.Queries.Dashboard(r.Context(), c.DeceasedCF, p.today()); err == nil {
		d.Available, d.BookletStatus = db.Booklet.AvailableCents, db.Booklet.Status
		booklet, _ := domain.BookletStatusOf(db.Booklet.Status)
		d.CanInsert = domain.CanInsertPriorService(status, booklet)
		if d.CanRefund && !domain.CanRequestRefund(status, db.Booklet.RefundHeld) {
			d.CanRefund, d.RefundElsewhere = false, true
		}
	}
	return d
}

type historyData struct {
	Claim   projections.Claim
	History projections.History
}

func (p *Portal) claimHistory(w http.ResponseWriter, r *http.Request) {
	c, ok := p.ownClaim(w, r)
	if !ok {
		return
	}
	h, err := p.cfg.Queries.History(r.Context(), c.ClaimID)
	if err != nil && !isNotFound(err) {
		p.serverError(w, r, err)
		return
	}
	p.render(w, r, "heir_history", historyData{Claim: c, History: h.ForHeir()})
}

// heirBookletData is what the deceased left, as their heir sees it (SPEC
// §9): the booklet's deposits and services with their status, the same
// read as GET /api/v1/heir-claims/{id}/booklet (the deceased's dashboard).
type heirBookletData struct {
	Claim     projections.Claim
	Found     bool // the deceased opened a booklet
	Dashboard projections.Dashboard
	CanInsert bool
}

// heirBooklet lets the heir see which services the deceased recorded
// before inserting a prior service. A claim that no longer acts (rejected)
// shows nothing of the deceased's: 404, as the API answers.
func (p *Portal) heirBooklet(w http.ResponseWriter, r *http.Request) {
	c, ok := p.ownClaim(w, r)
	if !ok {
		return
	}
	if status, _ := domain.ClaimStatusOf(c.Status); !domain.ClaimActs(status) {
		p.notFound(w, r)
		return
	}
	d := heirBookletData{Claim: c, CanInsert: p.claimData(r, c).CanInsert}
	db, err := p.cfg.Queries.Dashboard(r.Context(), c.DeceasedCF, p.today())
	switch {
	case isNotFound(err):
	case err != nil:
		p.serverError(w, r, err)
		return
	default:
		d.Found, d.Dashboard = true, db
	}
	p.render(w, r, "heir_booklet", d)
}

type summaryEntry struct {
	projections.HistoryEntry
	Claim projections.Claim
}

type summaryData struct {
	Entries []summaryEntry
	Claims  int
}

// heirSummary is the riepilogo delle operazioni effettuate in qualità di
// erede: every operation of every claim of the person, newest first.
func (p *Portal) heirSummary(w http.ResponseWriter, r *http.Request) {
	claims, err := p.cfg.Queries.ClaimsByHeir(r.Context(), currentUser(r).Person())
	if err != nil {
		p.serverError(w, r, err)
		return
	}
	d := summaryData{Claims: len(claims)}
	for _, c := range claims {
		h, err := p.cfg.Queries.History(r.Context(), c.ClaimID)
		if err != nil && !isNotFound(err) {
			p.serverError(w, r, err)
			return
		}
		for _, e := range h.ForHeir().Entries {
			d.Entries = append(d.Entries, summaryEntry{HistoryEntry: e, Claim: c})
		}
	}
	sort.SliceStable(d.Entries, func(i, j int) bool { return d.Entries[i].At > d.Entries[j].At })
	p.render(w, r, "heir_summary", d)
}

type priorServiceData struct {
	Claim projections.Claim
	Form  *Form
}

func (p *Portal) priorServiceNew(w http.ResponseWriter, r *http.Request) {
	c, ok := p.ownClaim(w, r)
	if !ok {
		return
	}
	p.render(w, r, "heir_prior_service", priorServiceData{Claim: c, Form: newForm()})
}

func (p *Portal) priorServiceCreate(w http.ResponseWriter, r *http.Request) {
	c, ok := p.ownClaim(w, r)
	if !ok {
		return
	}
	f := formFrom(r)
	in := readService(f)
	if !f.Checked("declaration") {
		f.Fail("declaration", messages[domain.CodeDeclarationRequired])
	}
	if !f.OK() {
		p.renderStatus(w, r, http.StatusUnprocessableEntity, "heir_prior_service", priorServiceData{Claim: c, Form: f})
		return
	}
	res, err := p.cfg.Commands.InsertPriorService(r.Context(), p.meta(r, f), commands.InsertPriorService{
		ClaimID: c.ClaimID, WorkerCF: in.WorkerCF, Activity: in.Activity, StartDate: in.StartDate, EndDate: in.EndDate,
		Hours: in.Hours, Vouchers: in.Vouchers, NoKnownEmployment: true,
	})
	if err != nil {
		if !applyError(f, err, serviceFields...) {
			p.commandFailed(w, r, err)
			return
		}
		p.renderStatus(w, r, http.StatusUnprocessableEntity, "heir_prior_service", priorServiceData{Claim: c, Form: f})
		return
	}
	p.waitFor(r, res)
	if c.Status == domain.ClaimValidated.String() {
		setFlash(r, "success", "Prestazione pregressa inserita: l'INPS la pagherà al prestatore con la prossima elaborazione dei pagamenti.")
	} else {
		// Held until an operator validates the claim (SPEC §8).
		setFlash(r, "success", "Prestazione pregressa inserita, in attesa di validazione: l'INPS la pagherà al prestatore solo dopo che un operatore avrà convalidato la tua dichiarazione di erede.")
	}
	p.redirect(w, r, "/erede/pratiche/"+c.ClaimID)
}

// serviceFields are the fields of a service form, for error placement.
var serviceFields = []string{"worker_cf", "activity", "start_date", "end_date", "hours", "vouchers", "declaration"}

// readService reads the fields every service form shares.
func readService(f *Form) commands.RecordService {
	s := commands.RecordService{
		WorkerCF:  f.CF("worker_cf"),
		Activity:  f.Get("activity"),
		StartDate: f.Date("start_date"),
		EndDate:   f.Date("end_date"),
		Hours:     f.Hours("hours"),
		Vouchers:  f.Int("vouchers"),
	}
	f.Required("worker_cf", "activity", "start_date", "end_date", "hours", "vouchers")
	return s
}

type refundData struct {
	Claim     projections.Claim
	Available int64
	Form      *Form
}

func (p *Portal) refundNew(w http.ResponseWriter, r *http.Request) {
	c, ok := p.ownClaim(w, r)
	if !ok {
		return
	}
	d := p.claimData(r, c)
	if !d.CanRefund {
		msg := "Per questa pratica il rimborso è già stato richiesto."
		if d.RefundElsewhere {
			msg = refundElsewhere
		}
		setFlash(r, "info", msg)
		p.redirect(w, r, "/erede/pratiche/"+c.ClaimID)
		return
	}
	f := newForm()
	f.Set("iban", r.URL.Query().Get("iban"))
	p.render(w, r, "heir_refund", refundData{Claim: c, Available: d.Available, Form: f})
}

const refundElsewhere = "Il rimborso per questo libretto è già stato richiesto da un altro erede: se ne può chiedere uno solo."

// refundReview shows what will be requested, once the command says it
// would take it (nothing to refund, a refund already requested, a claim
// rejected are refused here): the confirmation step before the request is
// sent.
func (p *Portal) refundReview(w http.ResponseWriter, r *http.Request) {
	c, ok := p.ownClaim(w, r)
	if !ok {
		return
	}
	f := formFrom(r)
	d := p.claimData(r, c)
	p.checkIBAN(f)
	if _, ok := p.check(w, r, f, commands.RequestRefund{ClaimID: c.ClaimID, IBAN: f.Get("iban")}, nil, "iban"); !ok {
		return
	}
	if !f.OK() {
		p.renderStatus(w, r, http.StatusUnprocessableEntity, "heir_refund", refundData{Claim: c, Available: d.Available, Form: f})
		return
	}
	p.render(w, r, "heir_refund_confirm", refundData{Claim: c, Available: d.Available, Form: f})
}

func (p *Portal) checkIBAN(f *Form) {
	f.Required("iban")
	if f.Err("iban") != "" {
		return
	}
	iban, err := domain.ParseIBAN(f.Get("iban"))
	if err != nil {
		f.Fail("iban", messages[domain.CodeInvalidIBAN])
		return
	}
	f.Set("iban", iban.String())
}

func (p *Portal) refundCreate(w http.ResponseWriter, r *http.Request) {
	c, ok := p.ownClaim(w, r)
	if !ok {
		return
	}
	f := formFrom(r)
	p.checkIBAN(f)
	if !f.OK() {
		d := p.claimData(r, c)
		p.renderStatus(w, r, http.StatusUnprocessableEntity, "heir_refund", refundData{Claim: c, Available: d.Available, Form: f})
		return
	}
	res, err := p.cfg.Commands.RequestRefund(r.Context(), p.meta(r, f), commands.RequestRefund{ClaimID: c.ClaimID, IBAN: f.Get("iban")})
	if err != nil {
		if !applyError(f, err, "iban") {
			p.commandFailed(w, r, err)
			return
		}
		d := p.claimData(r, c)
		p.renderStatus(w, r, http.StatusUnprocessableEntity, "heir_refund", refundData{Claim: c, Available: d.Available, Form: f})
		return
	}
	p.waitFor(r, res)
	setFlash(r, "success", "Rimborso di "+domain.Euro(res.AmountCents)+" richiesto. Sarà pagato sull'IBAN indicato dopo la convalida della tua dichiarazione di erede e l'approvazione di un operatore INPS.")
	p.redirect(w, r, "/erede/pratiche/"+c.ClaimID)
}

// commandFailed answers a command error that no form field can show: 404
// for what is unknown or not the person's, 500 for the rest.
func (p *Portal) commandFailed(w http.ResponseWriter, r *http.Request, err error) {
	if isNotFound(err) {
		p.notFound(w, r)
		return
	}
	p.serverError(w, r, err)
}
