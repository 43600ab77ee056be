package portal

import (
	"net/http"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/domain/access"
	"github.com/inps/libretto/projections"
)

// The riepilogo of the operators' commands that move money or change a
// person's standing: form → riepilogo → Conferma, like the heir's refund and
// the correction of a date of death. The riepilogo refuses what the command
// would refuse, by asking it (p.check, a dry run), and changes nothing; Conferma
// posts the same values with the form's idempotency key to the command's
// route, which leaves the rules to the command, so that a repeated Conferma
// is answered by the first.

func (p *Portal) confirmRoutes() {
	p.page("POST /backoffice/rimborsi/{id}/pagato/riepilogo", commands.RoleOperator, access.MarkRefundPaid, p.boRefundPaidReview)
	p.page("POST /backoffice/rimborsi/{id}/approva/riepilogo", commands.RoleOperator, access.ApproveRefund, p.boApproveRefundReview)
	p.page("POST /backoffice/storno/riepilogo", commands.RoleOperator, access.ReverseService, p.boReverseReview)
	p.page("POST /backoffice/versamenti/riepilogo", commands.RoleOperator, access.RecordDeposit, p.boDepositReview)
	p.page("POST /backoffice/pagamenti/riepilogo", commands.RoleOperator, access.RunPayroll, p.boPayrollReview)
	p.page("POST /backoffice/rimborsi/{id}/rifiuta/riepilogo", commands.RoleOperator, access.RejectRefund, p.boRejectRefundReview)
	p.page("POST /backoffice/pratiche/{id}/rifiuta/riepilogo", commands.RoleOperator, access.RejectHeir, p.boRejectClaimReview)
}

// readPaid reads the payment of a refund: a real date and the bank reference.
func readPaid(f *Form) string {
	on := f.Date("paid_on")
	f.Required("paid_on", "bank_reference")
	return on
}

// boRefundPaidReview shows the payment about to be recorded.
func (p *Portal) boRefundPaidReview(w http.ResponseWriter, r *http.Request) {
	d, ok := p.loadRefund(w, r)
	if !ok {
		return
	}
	f := formFrom(r)
	on := readPaid(f)
	status, ok := p.check(w, r, f, commands.MarkRefundPaid{RefundID: d.Refund.RefundID, PaidOn: on, BankReference: f.Get("bank_reference")},
		refundState(refundNotApproved), "paid_on", "bank_reference")
	if !ok {
		return
	}
	d.Paid = f
	if !f.OK() {
		p.renderStatus(w, r, status, "bo_refund", d)
		return
	}
	p.render(w, r, "bo_refund_paid_confirm", d)
}

const refundNotApproved = "Il rimborso non è ancora approvato: si registra il pagamento solo di un rimborso approvato."

// refundState words a refund command's invalid_state: the refund is not
// in the state the command acts on.
func refundState(message string) wording {
	return func(de *domain.Error) (string, string) {
		if de.Code == domain.CodeInvalidState {
			return "", message
		}
		return "", ""
	}
}

// openRefundAmount is the amount of a refund still open, for the flash of a
// Conferma; 0 when the read model no longer lists it (a repeated Conferma).
func (p *Portal) openRefundAmount(r *http.Request, id string) int64 {
	rf, err := p.cfg.Queries.OpenRefund(r.Context(), id)
	if err != nil {
		return 0
	}
	return rf.AmountCents
}

// ofAmount is " di 1.234,56 €", or nothing for an amount not known.
func ofAmount(cents int64) string {
	if cents == 0 {
		return ""
	}
	return " di " + domain.Euro(cents)
}

// boApproveRefundReview shows the refund about to be approved: only a
// requested refund of a validated claim.
func (p *Portal) boApproveRefundReview(w http.ResponseWriter, r *http.Request) {
	d, ok := p.loadRefund(w, r)
	if !ok {
		return
	}
	f := formFrom(r)
	status, ok := p.check(w, r, f, commands.ApproveRefund{RefundID: d.Refund.RefundID}, refundState(refundNotRequested))
	if !ok {
		return
	}
	d.Approve = f
	if !f.OK() {
		p.renderStatus(w, r, status, "bo_refund", d)
		return
	}
	p.render(w, r, "bo_refund_approve_confirm", d)
}

const refundNotRequested = "Il rimborso è già stato approvato: ora se ne registra il pagamento."

// reverseReviewData is the riepilogo of a reversal: the service as its
// user's dashboard shows it.
type reverseReviewData struct {
	Form    *Form
	UserCF  string
	Service projections.DashboardService
}

// boReverseReview finds the service on its user's booklet (the read models
// find services by user) and shows it with the reason: only an unpaid one.
func (p *Portal) boReverseReview(w http.ResponseWriter, r *http.Request) {
	f := formFrom(r)
	cf := f.CF("user_cf")
	f.Required("user_cf", "service_id", "reason")
	f.CheckCF("user_cf")
	var svc projections.DashboardService
	status := http.StatusUnprocessableEntity
	if f.Err("user_cf") == "" && f.Err("service_id") == "" {
		var found bool
		var err error
		if svc, found, err = p.serviceOn(r.Context(), cf, f.Get("service_id")); err != nil {
			p.serverError(w, r, err)
			return
		}
		if !found {
			// The command takes no user: that the service is this user's is
			// the form's question, which finds it on the user's booklet.
			f.Fail("service_id", serviceNotOnBooklet)
		} else {
			var ok bool
			if status, ok = p.check(w, r, f, commands.ReverseService{ServiceID: svc.ServiceID, Reason: f.Get("reason")}, reversal, "service_id", "reason"); !ok {
				return
			}
		}
	}
	if !f.OK() {
		p.renderStatus(w, r, status, "bo_reverse", reverseData{Form: f, Search: newForm()})
		return
	}
	p.render(w, r, "bo_reverse_confirm", reverseReviewData{Form: f, UserCF: cf, Service: svc})
}

const serviceNotOnBooklet = "Nessuna prestazione con questo numero sul libretto di questo utilizzatore."

// reversal words ReverseService's refusals beside the service's number.
func reversal(de *domain.Error) (string, string) {
	switch {
	case de.Kind == domain.KindNotFound:
		return "service_id", serviceNotOnBooklet
	case de.Code == domain.CodeInvalidState:
		state, _ := de.Facts["state"].(string)
		return "service_id", "La prestazione non si può stornare: risulta «" + labels["service"][state] + "». Si stornano solo le prestazioni comunicate e non pagate."
	}
	return "", ""
}

// readDeposit reads the deposit form as the command takes it.
func readDeposit(f *Form) commands.RecordDeposit {
	cmd := commands.RecordDeposit{UserCF: f.CF("user_cf"), AmountCents: f.Cents("amount"), Channel: f.Get("channel"), PaidOn: f.Date("paid_on")}
	f.Required("user_cf", "amount", "channel", "paid_on")
	return cmd
}

// depositReviewData is the riepilogo of a deposit, with the booklet's
// available balance before it.
type depositReviewData struct {
	Form    *Form
	Deposit commands.RecordDeposit
	Booklet projections.Booklet
}

// After is the available balance once the deposit is recorded.
func (d depositReviewData) After() int64 { return d.Booklet.AvailableCents + d.Deposit.AmountCents }

// boDepositReview shows the deposit about to be recorded, refusing first
// what the command would refuse (an amount not a multiple of 10 €, a
// channel that is not F24 or pagoPA, a future date or one before the
// Libretto, a codice fiscale with no booklet, the operator's own booklet).
func (p *Portal) boDepositReview(w http.ResponseWriter, r *http.Request) {
	f := formFrom(r)
	cmd := readDeposit(f)
	f.CheckCF("user_cf")
	status, ok := p.check(w, r, f, cmd, depositRefusal, "user_cf", "amount", "channel", "paid_on")
	if !ok {
		return
	}
	d := depositReviewData{Form: f, Deposit: cmd}
	if f.Err("user_cf") == "" {
		db, err := p.cfg.Queries.Dashboard(r.Context(), cmd.UserCF, p.today())
		switch {
		case isNotFound(err):
			f.Fail("user_cf", noBooklet)
		case err != nil:
			p.serverError(w, r, err)
			return
		default:
			d.Booklet = db.Booklet
		}
	}
	if !f.OK() {
		p.renderStatus(w, r, status, "bo_deposit", formData{Form: f})
		return
	}
	p.render(w, r, "bo_deposit_confirm", d)
}

const noBooklet = "Nessun libretto per questo codice fiscale."

// depositRefusal words a deposit on no booklet: user_not_registered speaks
// of a deceased, and this is anyone's booklet.
func depositRefusal(de *domain.Error) (string, string) {
	if de.Kind == domain.KindNotFound || de.Code == domain.CodeUserNotRegistered {
		return "user_cf", noBooklet
	}
	return "", ""
}

// readRunDate reads the date of a payroll run.
func readRunDate(f *Form) string {
	d := f.Date("run_date")
	f.Required("run_date")
	return d
}

// boPayrollReview shows the run about to be made. It shows no count of what
// will be paid: the read models the portal reads do not list the unpaid
// services of every booklet, and the run itself decides from the events.
func (p *Portal) boPayrollReview(w http.ResponseWriter, r *http.Request) {
	f := formFrom(r)
	status, ok := p.check(w, r, f, commands.RunPayroll{RunDate: readRunDate(f)}, nil, "run_date")
	if !ok {
		return
	}
	if !f.OK() {
		p.renderStatus(w, r, status, "bo_payroll", formData{Form: f})
		return
	}
	p.render(w, r, "bo_payroll_confirm", formData{Form: f})
}

// boRejectRefundReview shows the refund about to be rejected, with the
// reason and the amount that returns to the booklet.
func (p *Portal) boRejectRefundReview(w http.ResponseWriter, r *http.Request) {
	d, ok := p.loadRefund(w, r)
	if !ok {
		return
	}
	f := formFrom(r)
	f.Required("reason")
	status, ok := p.check(w, r, f, commands.RejectRefund{RefundID: d.Refund.RefundID, Reason: f.Get("reason")}, nil, "reason")
	if !ok {
		return
	}
	d.Reject = f
	if !f.OK() {
		p.renderStatus(w, r, status, "bo_refund", d)
		return
	}
	p.render(w, r, "bo_refund_reject_confirm", d)
}

// rejectClaimData is the riepilogo of an heir's rejection.
type rejectClaimData struct {
	Claim projections.Claim
	Form  *Form
}

// OpenRefund is the claim's refund that the rejection rejects with it, if any.
func (d rejectClaimData) OpenRefund() *projections.Refund {
	if rf := d.Claim.Refund; rf != nil && (rf.Status == domain.RefundRequestedState.String() || rf.Status == domain.RefundApprovedState.String()) {
		return rf
	}
	return nil
}

// boRejectClaimReview shows the heir about to be rejected, the reason, and
// what goes with it (an open refund). Validation stays one click: it moves
// no money and an operator may still reject afterwards.
func (p *Portal) boRejectClaimReview(w http.ResponseWriter, r *http.Request) {
	c, ok := p.loadClaim(w, r)
	if !ok {
		return
	}
	f := formFrom(r)
	f.Required("reason")
	status, ok := p.check(w, r, f, commands.RejectHeir{ClaimID: c.ClaimID, Reason: f.Get("reason")}, func(de *domain.Error) (string, string) {
		if de.Code == domain.CodeInvalidState {
			return "", claimAlreadyRejected
		}
		return "", ""
	}, "reason")
	if !ok {
		return
	}
	if !f.OK() {
		p.renderBoClaim(w, r, status, c, newForm(), f)
		return
	}
	p.render(w, r, "bo_claim_reject_confirm", rejectClaimData{Claim: c, Form: f})
}

const claimAlreadyRejected = "La dichiarazione di erede è già stata respinta."
