package portal

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/domain/access"
	"github.com/inps/libretto/projections"
)

// Topping up the booklet with a pagoPA notice (SPEC §9): "Ricarica il
// libretto" → the amount → a riepilogo → the notice to download; and the
// list of the citizen's open notices. A citizen sees only their own.
func (p *Portal) topUpRoutes() {
	p.page("GET /libretto/ricarica", commands.RoleCitizen, access.IssueNotice, p.topUpForm)
	p.page("POST /libretto/ricarica/riepilogo", commands.RoleCitizen, access.IssueNotice, p.topUpReview)
	p.page("POST /libretto/ricarica", commands.RoleCitizen, access.IssueNotice, p.topUpCreate)
	p.page("GET /libretto/avvisi/{n}", commands.RoleCitizen, access.ReadNotice, p.noticePage)
	p.page("GET /libretto/avvisi/{n}/pdf", commands.RoleCitizen, access.ReadNotice, p.noticePDF)
}

type topUpData struct {
	Form        *Form
	AmountCents int64
	Notices     []projections.Notice
	Min, Max    int64
}

// notices reads the notice read model, when the queries offer it.
func (p *Portal) notices() (projections.NoticeQueries, bool) {
	nq, ok := p.cfg.Queries.(projections.NoticeQueries)
	return nq, ok
}

func (p *Portal) topUpData(r *http.Request, f *Form) (topUpData, error) {
	d := topUpData{Form: f, Min: domain.MinNoticeCents, Max: domain.MaxNoticeCents}
	if nq, ok := p.notices(); ok {
		open, err := nq.OpenNotices(r.Context(), currentUser(r).Person(), p.today())
		if err != nil {
			return d, err
		}
		d.Notices = open
	}
	return d, nil
}

func (p *Portal) topUpForm(w http.ResponseWriter, r *http.Request) {
	f := newForm()
	if q := r.URL.Query(); q.Has("amount") { // back from the riepilogo
		f.Set("amount", q.Get("amount"))
	}
	d, err := p.topUpData(r, f)
	if err != nil {
		p.serverError(w, r, err)
		return
	}
	p.render(w, r, "user_topup", d)
}

// readTopUp reads the amount of a notice; what the notice refuses (not a
// multiple of 10 €, below 10 € or above 5.000 €) is the command's to say.
func readTopUp(f *Form) int64 {
	f.Required("amount")
	return f.Cents("amount")
}

// noticeAmount keys the message of a notice's amount refused.
const noticeAmount = "notice_amount"

// topUpRefusal words a notice's amount refused with its bounds.
func topUpRefusal(de *domain.Error) (string, string) {
	if de.Code == domain.CodeInvalidAmount {
		return "amount", messages[noticeAmount]
	}
	return "", ""
}

func (p *Portal) topUpReview(w http.ResponseWriter, r *http.Request) {
	f := formFrom(r)
	cents := readTopUp(f)
	if _, ok := p.check(w, r, f, commands.IssueNotice{AmountCents: cents}, topUpRefusal, "amount"); !ok {
		return
	}
	d, err := p.topUpData(r, f)
	if err != nil {
		p.serverError(w, r, err)
		return
	}
	d.AmountCents = cents
	if !f.OK() {
		p.renderStatus(w, r, http.StatusUnprocessableEntity, "user_topup", d)
		return
	}
	p.render(w, r, "user_topup_confirm", d)
}

// topUpCreate is the Conferma: it issues the notice and shows it.
func (p *Portal) topUpCreate(w http.ResponseWriter, r *http.Request) {
	f := formFrom(r)
	cents := readTopUp(f)
	if f.OK() {
		res, err := p.cfg.Commands.IssueNotice(r.Context(), p.meta(r, f), commands.IssueNotice{AmountCents: cents})
		if err == nil {
			p.waitFor(r, res)
			setFlash(r, "success", "Avviso di pagamento di "+domain.Euro(cents)+" creato: scaricalo e pagalo entro il "+domain.ItalianDate(res.ExpiresOn)+".")
			p.redirect(w, r, "/libretto/avvisi/"+res.ID)
			return
		}
		if de := (*domain.Error)(nil); errors.As(err, &de) && de.Code == domain.CodeInvalidAmount {
			f.Fail(topUpRefusal(de))
		} else if !applyError(f, err, "amount") {
			p.commandFailed(w, r, err)
			return
		}
	}
	d, err := p.topUpData(r, f)
	if err != nil {
		p.serverError(w, r, err)
		return
	}
	p.renderStatus(w, r, http.StatusUnprocessableEntity, "user_topup", d)
}

type noticeData struct {
	Notice  projections.Notice
	Grouped string
	PayeeCF string
	PDF     bool
}

// ownNotice reads a notice the access table lets the caller read; anything
// else is not found.
func (p *Portal) ownNotice(r *http.Request) (projections.Notice, domain.NoticeNumber, bool, error) {
	nq, ok := p.notices()
	if !ok {
		return projections.Notice{}, domain.NoticeNumber{}, false, nil
	}
	number, err := domain.ParseNoticeNumber(r.PathValue("n"), "")
	if err != nil {
		return projections.Notice{}, domain.NoticeNumber{}, false, nil
	}
	n, err := nq.Notice(r.Context(), number.String(), p.today())
	if isNotFound(err) {
		return projections.Notice{}, number, false, nil
	}
	if err != nil {
		return projections.Notice{}, number, false, err
	}
	return n, number, p.allowed(r, access.Parties{Owner: n.UserCF}), nil
}

func (p *Portal) noticePage(w http.ResponseWriter, r *http.Request) {
	n, number, ok, err := p.ownNotice(r)
	if err != nil {
		p.serverError(w, r, err)
		return
	}
	if !ok {
		p.notFound(w, r)
		return
	}
	p.render(w, r, "user_notice", noticeData{Notice: n, Grouped: number.Grouped(), PayeeCF: domain.PayeeCF, PDF: p.cfg.NoticePDF != nil})
}

// noticePDF serves the notice through the API's renderer, the same
// document as GET /api/v1/deposits/notices/{n}.
func (p *Portal) noticePDF(w http.ResponseWriter, r *http.Request) {
	n, _, ok, err := p.ownNotice(r)
	if err != nil {
		p.serverError(w, r, err)
		return
	}
	if !ok || p.cfg.NoticePDF == nil {
		p.notFound(w, r)
		return
	}
	pdf, err := p.cfg.NoticePDF(n, p.now())
	if err != nil {
		p.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=\"avviso-pagopa-%s.pdf\"", n.NoticeNumber))
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(pdf)
}
