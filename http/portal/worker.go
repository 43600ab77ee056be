package portal

import (
	"net/http"
	"strconv"
	"time"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/domain/access"
	"github.com/inps/libretto/projections"
)

// The worker's section (prestatore): registration, the annual statement and
// the monthly payslips.
func (p *Portal) workerRoutes() {
	p.page("GET /prestatore", commands.RoleCitizen, access.ReadStatement, p.workerStatement)
	p.page("GET /prestatore/prospetto/{year}", commands.RoleCitizen, access.ReadStatement, p.workerStatementPDF)
	p.page("GET /prestatore/prospetti-paga/{month}", commands.RoleCitizen, access.ReadPayslip, p.workerPayslip)
	p.page("GET /prestatore/prospetti-paga/{month}/pdf", commands.RoleCitizen, access.ReadPayslip, p.workerPayslipPDF)
	p.page("POST /prestatore/registrazione", commands.RoleCitizen, access.RegisterWorker, p.workerRegister)
}

type statementData struct {
	Year      int
	Years     []int
	Found     bool
	Statement projections.Statement
	PDF       bool
	Form      *Form
	// Months are the months with payments ("YYYY-MM"), newest first, each
	// with its payslip; PayslipPDF offers their PDFs.
	Months     []string
	PayslipPDF bool
}

// year reads ?anno=, defaulting to the current year.
func (p *Portal) year(r *http.Request, v string) int {
	now := p.now().In(rome).Year()
	if y, err := strconv.Atoi(v); err == nil && y >= 2017 && y <= now {
		return y
	}
	return now
}

func (p *Portal) workerStatement(w http.ResponseWriter, r *http.Request) {
	u := currentUser(r)
	year := p.year(r, r.URL.Query().Get("anno"))
	p.renderStatement(w, r, http.StatusOK, u.CF, year, newForm())
}

func (p *Portal) renderStatement(w http.ResponseWriter, r *http.Request, status int, cf string, year int, f *Form) {
	st, err := p.cfg.Queries.Statement(r.Context(), cf, year)
	if err != nil && !isNotFound(err) {
		p.serverError(w, r, err)
		return
	}
	d := statementData{Year: year, Found: err == nil && st.Totals.Services > 0, Statement: st, PDF: p.cfg.StatementPDF != nil, Form: f,
		PayslipPDF: p.cfg.PayslipPDF != nil}
	if d.Months, err = p.cfg.Queries.PayslipMonths(r.Context(), cf); err != nil {
		p.serverError(w, r, err)
		return
	}
	for y := p.now().In(rome).Year(); y >= p.now().In(rome).Year()-4; y-- {
		d.Years = append(d.Years, y)
	}
	if f.Values.Get("category") == "" {
		f.Set("category", "altro")
	}
	p.renderStatus(w, r, status, "worker_statement", d)
}

// workerStatementPDF serves the statement through the API's renderer, so
// the portal and the API give the same document.
func (p *Portal) workerStatementPDF(w http.ResponseWriter, r *http.Request) {
	if p.cfg.StatementPDF == nil {
		p.notFound(w, r)
		return
	}
	year, err := strconv.Atoi(r.PathValue("year"))
	if err != nil {
		p.notFound(w, r)
		return
	}
	cf := currentUser(r).CF
	st, err := p.cfg.Queries.Statement(r.Context(), cf, year)
	if err != nil {
		p.commandFailed(w, r, err)
		return
	}
	if st.Totals.Services == 0 {
		p.notFound(w, r) // the page offers no statement for a year without payments
		return
	}
	pdf, err := p.cfg.StatementPDF(st, p.now())
	if err != nil {
		p.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="prospetto-compensi-`+cf+`-`+strconv.Itoa(year)+`.pdf"`)
	_, _ = w.Write(pdf)
}

func (p *Portal) workerRegister(w http.ResponseWriter, r *http.Request) {
	f := formFrom(r)
	year := p.year(r, f.Get("anno"))
	if f.Get("iban") != "" {
		p.checkIBAN(f)
	}
	if !f.OK() {
		p.renderStatement(w, r, http.StatusUnprocessableEntity, currentUser(r).CF, year, f)
		return
	}
	res, err := p.cfg.Commands.RegisterWorker(r.Context(), p.meta(r, f), commands.RegisterWorker{IBAN: f.Get("iban"), Category: f.Get("category")})
	if err != nil {
		if !applyError(f, err, "iban", "category") {
			p.commandFailed(w, r, err)
			return
		}
		p.renderStatement(w, r, http.StatusUnprocessableEntity, currentUser(r).CF, year, f)
		return
	}
	p.waitFor(r, res)
	setFlash(r, "success", "Registrazione come prestatore completata: ora gli utilizzatori possono comunicare le tue prestazioni.")
	p.redirect(w, r, "/prestatore")
}

type payslipData struct {
	Payslip projections.Payslip
	PDF     bool
}

// payslip reads the signed-in worker's payslip of the {month} path value;
// a malformed month or one without payments is not found, as the list
// offers only months with payments.
func (p *Portal) payslip(r *http.Request) (projections.Payslip, error) {
	month := r.PathValue("month")
	if t, err := time.Parse("2006-01", month); err != nil || t.Format("2006-01") != month {
		return projections.Payslip{}, projections.ErrNotFound
	}
	return p.cfg.Queries.Payslip(r.Context(), currentUser(r).CF, month)
}

func (p *Portal) workerPayslip(w http.ResponseWriter, r *http.Request) {
	ps, err := p.payslip(r)
	if err != nil {
		p.commandFailed(w, r, err)
		return
	}
	p.render(w, r, "worker_payslip", payslipData{Payslip: ps, PDF: p.cfg.PayslipPDF != nil})
}

// workerPayslipPDF serves the payslip through the API's renderer, as the
// statement.
func (p *Portal) workerPayslipPDF(w http.ResponseWriter, r *http.Request) {
	if p.cfg.PayslipPDF == nil {
		p.notFound(w, r)
		return
	}
	ps, err := p.payslip(r)
	if err != nil {
		p.commandFailed(w, r, err)
		return
	}
	pdf, err := p.cfg.PayslipPDF(ps, p.now())
	if err != nil {
		p.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="prospetto-paga-`+ps.WorkerCF+`-`+ps.Month+`.pdf"`)
	_, _ = w.Write(pdf)
}
