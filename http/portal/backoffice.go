package portal

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"strconv"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/domain/access"
	"github.com/inps/libretto/http/attachment"
	"github.com/inps/libretto/projections"
)

// The back office: the operators' worklist and their commands, compensating
// ones included (reject a claim or a refund, reverse a service), each with
// its reason.
func (p *Portal) backofficeRoutes() {
	p.page("GET /backoffice", commands.RoleOperator, access.ReadWorklist, p.worklist)
	p.page("GET /backoffice/pratiche/{id}", commands.RoleOperator, access.ReadClaim, p.boClaim)
	p.page("GET /backoffice/pratiche/{id}/testamento", commands.RoleOperator, access.ReadWill, p.boWill)
	p.page("POST /backoffice/pratiche/{id}/convalida", commands.RoleOperator, access.ValidateHeir, p.boValidate)
	p.page("POST /backoffice/pratiche/{id}/rifiuta", commands.RoleOperator, access.RejectHeir, p.boRejectClaim)
	p.page("GET /backoffice/rimborsi/{id}", commands.RoleOperator, access.ReadWorklist, p.boRefund)
	p.page("POST /backoffice/rimborsi/{id}/approva", commands.RoleOperator, access.ApproveRefund, p.boApproveRefund)
	p.page("POST /backoffice/rimborsi/{id}/rifiuta", commands.RoleOperator, access.RejectRefund, p.boRejectRefund)
	p.page("POST /backoffice/rimborsi/{id}/pagato", commands.RoleOperator, access.MarkRefundPaid, p.boRefundPaid)
	p.page("GET /backoffice/storno", commands.RoleOperator, access.ReverseService, p.boReverseForm)
	p.page("POST /backoffice/storno", commands.RoleOperator, access.ReverseService, p.boReverse)
	p.page("GET /backoffice/pagamenti", commands.RoleOperator, access.RunPayroll, p.boPayrollForm)
	p.page("POST /backoffice/pagamenti", commands.RoleOperator, access.RunPayroll, p.boPayroll)
	p.page("GET /backoffice/versamenti", commands.RoleOperator, access.RecordDeposit, p.boDepositForm)
	p.page("POST /backoffice/versamenti", commands.RoleOperator, access.RecordDeposit, p.boDeposit)
	p.deathRoutes()
	p.confirmRoutes()
}

// worklistPageSize is how many rows of the worklist one page shows.
const worklistPageSize = 25

// worklistPage is one page of the worklist. Its three lists are read as one
// queue in the order an operator works them (claims to validate, refunds to
// approve, refunds to pay, each oldest first), and a page is 25 rows of that
// queue: a section shows the rows of it that fall on the page, its total and,
// when none do, the page where its rows start.
type worklistPage struct {
	Claims    []projections.WorklistClaim
	ToApprove []projections.WorklistRefund
	ToPay     []projections.WorklistRefund
	// Sections are the totals and first pages of the three lists, in order.
	Sections [3]worklistSection
	Total    int
	Page     int
	Pages    int
}

type worklistSection struct {
	Total     int
	FirstPage int
}

// Prev and Next are the neighbouring pages, 0 when there is none.
func (w worklistPage) Prev() int {
	if w.Page > 1 {
		return w.Page - 1
	}
	return 0
}

func (w worklistPage) Next() int {
	if w.Page < w.Pages {
		return w.Page + 1
	}
	return 0
}

// Elsewhere is what section i shows when none of its rows is on this page:
// empty when it has none, else a link to the page where they start.
func (w worklistPage) Elsewhere(i int, empty string) worklistElsewhere {
	return worklistElsewhere{Section: w.Sections[i], Page: w.Page, Empty: empty}
}

type worklistElsewhere struct {
	Section worklistSection
	Page    int
	Empty   string
}

// layoutWorklist places page (1-based, clamped to the pages there are) in
// a queue of the three lists with totals: the page, the number of pages, and
// each list's total and first page. The rows are the caller's.
func layoutWorklist(totals [3]int, page int) worklistPage {
	d := worklistPage{Total: totals[0] + totals[1] + totals[2]}
	d.Pages = max(1, (d.Total+worklistPageSize-1)/worklistPageSize)
	d.Page = min(max(page, 1), d.Pages)
	offset := 0
	for i, n := range totals {
		d.Sections[i] = worklistSection{Total: n, FirstPage: offset/worklistPageSize + 1}
		offset += n
	}
	return d
}

// loadWorklistPage reads page of the worklist: only its rows
// (Queries.WorklistWindow), and the window again when the page asked for is
// past the end and so shows the last.
func loadWorklistPage(ctx context.Context, q projections.Queries, page int) (worklistPage, error) {
	page = max(page, 1)
	w, err := q.WorklistWindow(ctx, (page-1)*worklistPageSize, worklistPageSize)
	if err != nil {
		return worklistPage{}, err
	}
	d := layoutWorklist(w.Totals, page)
	if d.Page != page {
		if w, err = q.WorklistWindow(ctx, (d.Page-1)*worklistPageSize, worklistPageSize); err != nil {
			return worklistPage{}, err
		}
		d = layoutWorklist(w.Totals, d.Page)
	}
	d.Claims, d.ToApprove, d.ToPay = w.ClaimsToValidate, w.RefundsToApprove, w.RefundsToPay
	return d, nil
}

// worklist shows a page (?pagina=N) of the worklist; a page that is not a
// number is the first, one past the end the last.
func (p *Portal) worklist(w http.ResponseWriter, r *http.Request) {
	page, _ := strconv.Atoi(r.URL.Query().Get("pagina"))
	d, err := loadWorklistPage(r.Context(), p.cfg.Queries, page)
	if err != nil {
		p.serverError(w, r, err)
		return
	}
	p.render(w, r, "bo_worklist", d)
}

type boClaimData struct {
	Claim    projections.Claim
	History  projections.History
	Validate *Form
	Reject   *Form
	Conflict string // why the signed-in operator may not act on it, beside the buttons
}

// conflictNote is why operatorCF may not act on claim c (conflict of
// interest, SPEC §8), or "". It asks the domain's rule with the parties the
// read model shows; a party it does not show (another heir of the same
// booklet) is refused by the command, and the page shows that refusal.
func conflictNote(operatorCF string, c projections.Claim) string {
	workers := make([]string, len(c.PriorServices))
	for i, s := range c.PriorServices {
		workers[i] = s.WorkerCF
	}
	if domain.CheckNoConflict(operatorCF, domain.ClaimParties(c.HeirCF, c.DeceasedCF, workers...)...) != nil {
		return messages[domain.CodeConflictOfInterest]
	}
	return ""
}

func (p *Portal) loadClaim(w http.ResponseWriter, r *http.Request) (projections.Claim, bool) {
	c, err := p.cfg.Queries.Claim(r.Context(), r.PathValue("id"))
	if err != nil {
		p.commandFailed(w, r, err)
		return c, false
	}
	return c, p.decide(w, r, access.Parties{Heir: c.HeirCF})
}

func (p *Portal) renderBoClaim(w http.ResponseWriter, r *http.Request, status int, c projections.Claim, validate, reject *Form) {
	h, err := p.cfg.Queries.History(r.Context(), c.ClaimID)
	if err != nil && !isNotFound(err) {
		p.serverError(w, r, err)
		return
	}
	d := boClaimData{Claim: c, History: h, Validate: validate, Reject: reject}
	if u := currentUser(r); u != nil {
		d.Conflict = conflictNote(u.CF, c)
	}
	p.renderStatus(w, r, status, "bo_claim", d)
}

func (p *Portal) boClaim(w http.ResponseWriter, r *http.Request) {
	c, ok := p.loadClaim(w, r)
	if !ok {
		return
	}
	reject := newForm() // back from the rejection's riepilogo ("Modifica")
	reject.Set("reason", r.URL.Query().Get("reason"))
	p.renderBoClaim(w, r, http.StatusOK, c, newForm(), reject)
}

// boWill serves a testamentary heir's will to the operator checking it.
func (p *Portal) boWill(w http.ResponseWriter, r *http.Request) {
	c, ok := p.loadClaim(w, r)
	if !ok {
		return
	}
	if c.Will == nil || p.cfg.Documents == nil {
		p.notFound(w, r)
		return
	}
	ct, content, err := p.cfg.Documents.Get(r.Context(), c.Will.SHA256)
	if errors.Is(err, fs.ErrNotExist) {
		p.notFound(w, r)
		return
	}
	if err != nil {
		p.commandFailed(w, r, err)
		return
	}
	attachment.Serve(w, attachment.WillName(c.ClaimID), ct, content)
}

func (p *Portal) boValidate(w http.ResponseWriter, r *http.Request) {
	c, ok := p.loadClaim(w, r)
	if !ok {
		return
	}
	f := formFrom(r)
	res, err := p.cfg.Commands.ValidateHeir(r.Context(), p.meta(r, f), commands.ValidateHeir{ClaimID: c.ClaimID, Note: f.Get("note")})
	if err != nil {
		if !applyError(f, err, "note") {
			p.commandFailed(w, r, err)
			return
		}
		p.renderBoClaim(w, r, refusalStatus(err), c, f, newForm())
		return
	}
	p.waitFor(r, res)
	setFlash(r, "success", "Dichiarazione di erede convalidata.")
	p.redirect(w, r, "/backoffice")
}

// boRejectClaim is the Conferma of an heir's rejection; the rules are the
// command's, so that a repeated Conferma is answered by the first.
func (p *Portal) boRejectClaim(w http.ResponseWriter, r *http.Request) {
	c, ok := p.loadClaim(w, r)
	if !ok {
		return
	}
	f := formFrom(r)
	f.Required("reason")
	if !f.OK() {
		p.renderBoClaim(w, r, http.StatusUnprocessableEntity, c, newForm(), f)
		return
	}
	res, err := p.cfg.Commands.RejectHeir(r.Context(), p.meta(r, f), commands.RejectHeir{ClaimID: c.ClaimID, Reason: f.Get("reason")})
	if err != nil {
		if !applyError(f, err, "reason") {
			p.commandFailed(w, r, err)
			return
		}
		p.renderBoClaim(w, r, refusalStatus(err), c, newForm(), f)
		return
	}
	p.waitFor(r, res)
	setFlash(r, "success", "Dichiarazione di erede respinta.")
	p.redirect(w, r, "/backoffice")
}

type boRefundData struct {
	Refund  projections.WorklistRefund
	Claim   projections.Claim
	Approve *Form
	Reject  *Form
	Paid    *Form
	// Conflict and FourEyes say, beside the buttons, why this operator
	// may not act on the refund (SPEC §8); empty when they may. The rules
	// are the domain's (see duties); the command applies them again.
	Conflict string
	FourEyes string
}

// duties fills in why the signed-in operator may not act on the refund:
// they are a party to its claim (conflict of interest), or they approved
// it and so may not record its payment (four eyes).
func (d *boRefundData) duties(operatorCF string) {
	d.Conflict, d.FourEyes = conflictNote(operatorCF, d.Claim), ""
	if d.Refund.Status == domain.RefundApprovedState.String() {
		if err := domain.CheckFourEyes(d.Refund.ApprovedBy, operatorCF); err != nil {
			d.FourEyes = messages[domain.CodeFourEyesRequired]
		}
	}
}

// loadRefund finds a refund still to be worked (requested or approved).
func (p *Portal) loadRefund(w http.ResponseWriter, r *http.Request) (boRefundData, bool) {
	rf, err := p.cfg.Queries.OpenRefund(r.Context(), r.PathValue("id"))
	if errors.Is(err, projections.ErrNotFound) {
		p.notFound(w, r)
		return boRefundData{}, false
	}
	if err != nil {
		p.serverError(w, r, err)
		return boRefundData{}, false
	}
	c, err := p.cfg.Queries.Claim(r.Context(), rf.ClaimID)
	if err != nil {
		p.commandFailed(w, r, err)
		return boRefundData{}, false
	}
	if !p.decide(w, r, access.Parties{Heir: c.HeirCF}) {
		return boRefundData{}, false
	}
	paid := newForm()
	paid.Set("paid_on", p.today())
	d := boRefundData{Refund: rf, Claim: c, Approve: newForm(), Reject: newForm(), Paid: paid}
	if u := currentUser(r); u != nil {
		d.duties(u.CF)
	}
	return d, true
}

func (p *Portal) boRefund(w http.ResponseWriter, r *http.Request) {
	d, ok := p.loadRefund(w, r)
	if !ok {
		return
	}
	// Coming back from a riepilogo ("Modifica") keeps what was typed.
	q := r.URL.Query()
	if q.Has("paid_on") {
		d.Paid.Set("paid_on", q.Get("paid_on"))
	}
	d.Paid.Set("bank_reference", q.Get("bank_reference"))
	d.Reject.Set("reason", q.Get("reason"))
	p.render(w, r, "bo_refund", d)
}

// boApproveRefund is the Conferma of the approval; the rules are the
// command's (see boRefundPaid).
func (p *Portal) boApproveRefund(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	f := formFrom(r)
	amount := p.openRefundAmount(r, id)
	res, err := p.cfg.Commands.ApproveRefund(r.Context(), p.meta(r, f), commands.ApproveRefund{RefundID: id})
	if err != nil {
		if !applyError(f, err) {
			p.commandFailed(w, r, err)
			return
		}
		d, ok := p.loadRefund(w, r)
		if !ok {
			return
		}
		d.Approve = f
		p.renderStatus(w, r, refusalStatus(err), "bo_refund", d)
		return
	}
	p.waitFor(r, res)
	setFlash(r, "success", "Rimborso"+ofAmount(amount)+" approvato: ora può essere pagato.")
	p.redirect(w, r, "/backoffice")
}

// boRejectRefund is the Conferma of a rejection; the rules are the
// command's (see boRefundPaid).
func (p *Portal) boRejectRefund(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	f := formFrom(r)
	f.Required("reason")
	var err error
	if f.OK() {
		amount := p.openRefundAmount(r, id)
		var res commands.Result
		res, err = p.cfg.Commands.RejectRefund(r.Context(), p.meta(r, f), commands.RejectRefund{RefundID: id, Reason: f.Get("reason")})
		if err == nil {
			p.waitFor(r, res)
			setFlash(r, "success", "Rimborso"+ofAmount(amount)+" respinto: l'importo torna disponibile sul libretto.")
			p.redirect(w, r, "/backoffice")
			return
		}
		if !applyError(f, err, "reason") {
			p.commandFailed(w, r, err)
			return
		}
	}
	d, ok := p.loadRefund(w, r)
	if !ok {
		return
	}
	d.Reject = f
	p.renderStatus(w, r, refusalStatus(err), "bo_refund", d)
}

// boRefundPaid is the Conferma of the payment. The rules are the command's
// here, not the riepilogo's: a repeated Conferma must reach the command,
// whose idempotency key answers the first result, though the refund is paid
// by then and no longer open.
func (p *Portal) boRefundPaid(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	f := formFrom(r)
	paidOn := readPaid(f)
	var err error
	if f.OK() {
		amount := p.openRefundAmount(r, id)
		var res commands.Result
		res, err = p.cfg.Commands.MarkRefundPaid(r.Context(), p.meta(r, f), commands.MarkRefundPaid{RefundID: id, PaidOn: paidOn, BankReference: f.Get("bank_reference")})
		if err == nil {
			p.waitFor(r, res)
			setFlash(r, "success", "Pagamento del rimborso"+ofAmount(amount)+" registrato: il libretto del defunto è chiuso.")
			p.redirect(w, r, "/backoffice")
			return
		}
		if !applyError(f, err, "paid_on", "bank_reference") {
			p.commandFailed(w, r, err)
			return
		}
	}
	d, ok := p.loadRefund(w, r)
	if !ok {
		return
	}
	d.Paid = f
	p.renderStatus(w, r, refusalStatus(err), "bo_refund", d)
}

type formData struct {
	Form *Form
}

type reverseData struct {
	Form     *Form
	Search   *Form
	Searched bool
	Services []projections.DashboardService
}

// boReverseForm offers the reversal, and a search of a user's services
// (?utilizzatore=CF) to find the one to reverse.
func (p *Portal) boReverseForm(w http.ResponseWriter, r *http.Request) {
	// Coming from a search, a claim or a riepilogo ("Modifica"), the form is
	// filled in: the riepilogo finds the service on its user's booklet.
	q := r.URL.Query()
	f := newForm()
	f.Set("service_id", q.Get("prestazione"))
	f.Set("user_cf", q.Get("utilizzatore"))
	f.CF("user_cf")
	f.Set("reason", q.Get("reason"))
	d := reverseData{Form: f, Search: newForm()}
	if cf := q.Get("utilizzatore"); cf != "" {
		d.Search.Set("utilizzatore", cf)
		cf = d.Search.CF("utilizzatore")
		db, err := p.cfg.Queries.Dashboard(r.Context(), cf, p.today())
		switch {
		case isNotFound(err):
			d.Search.Fail("utilizzatore", "Nessun libretto per questo codice fiscale.")
		case err != nil:
			p.serverError(w, r, err)
			return
		default:
			d.Searched, d.Services = true, db.Services
		}
	}
	p.render(w, r, "bo_reverse", d)
}

// boReverse is the Conferma of a reversal; the rules are the command's.
func (p *Portal) boReverse(w http.ResponseWriter, r *http.Request) {
	f := formFrom(r)
	f.Required("service_id", "reason")
	var err error
	if f.OK() {
		var res commands.Result
		res, err = p.cfg.Commands.ReverseService(r.Context(), p.meta(r, f), commands.ReverseService{ServiceID: f.Get("service_id"), Reason: f.Get("reason")})
		if err == nil {
			p.waitFor(r, res)
			setFlash(r, "success", "Prestazione stornata: fondi e limiti annui sono di nuovo disponibili.")
			p.redirect(w, r, "/backoffice/storno")
			return
		}
		if isNotFound(err) {
			f.Fail("service_id", "Nessuna prestazione con questo numero.")
		} else if !applyError(f, err, "service_id", "reason") {
			p.serverError(w, r, err)
			return
		}
	}
	p.renderStatus(w, r, refusalStatus(err), "bo_reverse", reverseData{Form: f, Search: newForm()})
}

func (p *Portal) boPayrollForm(w http.ResponseWriter, r *http.Request) {
	f := newForm()
	f.Set("run_date", p.today())
	if q := r.URL.Query(); q.Has("run_date") { // back from the riepilogo
		f.Set("run_date", q.Get("run_date"))
	}
	p.render(w, r, "bo_payroll", formData{Form: f})
}

// boPayroll is the Conferma of a payroll run; the rules are the command's.
func (p *Portal) boPayroll(w http.ResponseWriter, r *http.Request) {
	f := formFrom(r)
	runDate := readRunDate(f)
	var err error
	if f.OK() {
		var res commands.Result
		res, err = p.cfg.Commands.RunPayroll(r.Context(), p.meta(r, f), commands.RunPayroll{RunDate: runDate})
		if err == nil {
			p.waitFor(r, res)
			if res.Payments == 0 {
				setFlash(r, "info", "Nessuna prestazione da pagare.")
			} else {
				who := strconv.Itoa(res.Payments) + " prestatori"
				if res.Payments == 1 {
					who = "1 prestatore"
				}
				setFlash(r, "success", "Pagamenti eseguiti: "+who+", "+domain.Euro(res.PaidCents)+" in totale (al netto delle commissioni del bonifico domiciliato).")
			}
			p.redirect(w, r, "/backoffice/pagamenti")
			return
		}
		if !applyError(f, err, "run_date") {
			p.commandFailed(w, r, err)
			return
		}
	}
	p.renderStatus(w, r, refusalStatus(err), "bo_payroll", formData{Form: f})
}

func (p *Portal) boDepositForm(w http.ResponseWriter, r *http.Request) {
	// Coming back from the riepilogo ("Modifica") keeps what was typed.
	q := r.URL.Query()
	f := newForm()
	f.Set("paid_on", p.today())
	f.Set("channel", "PAGOPA")
	for _, k := range []string{"user_cf", "amount", "channel", "paid_on"} {
		if q.Has(k) {
			f.Set(k, q.Get(k))
		}
	}
	p.render(w, r, "bo_deposit", formData{Form: f})
}

// boDeposit is the Conferma of a deposit; the rules are the command's.
func (p *Portal) boDeposit(w http.ResponseWriter, r *http.Request) {
	f := formFrom(r)
	cmd := readDeposit(f)
	var err error
	if f.OK() {
		var res commands.Result
		res, err = p.cfg.Commands.RecordDeposit(r.Context(), p.meta(r, f), cmd)
		if err == nil {
			p.waitFor(r, res)
			setFlash(r, "success", "Versamento di "+domain.Euro(cmd.AmountCents)+" registrato sul libretto di "+cmd.UserCF+".")
			p.redirect(w, r, "/backoffice/versamenti")
			return
		}
		var de *domain.Error
		if isNotFound(err) || errors.As(err, &de) && de.Code == domain.CodeUserNotRegistered {
			// Its message speaks of a deceased: this is anyone's booklet.
			f.Fail("user_cf", noBooklet)
		} else if !applyError(f, err, "user_cf", "amount", "channel", "paid_on") {
			p.serverError(w, r, err)
			return
		}
	}
	p.renderStatus(w, r, refusalStatus(err), "bo_deposit", formData{Form: f})
}
