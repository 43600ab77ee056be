package portal

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/commands/seed"
)

// Every riepilogo asks the command it confirms (commands.Handler.Check)
// rather than restating its rules: where the command would refuse, the
// riepilogo shows that refusal — beside its field, or at the top for one
// that concerns no field — offers no Conferma and appends nothing. Several
// cases are refusals no page used to foresee (an operator who is a party,
// a deceased's booklet topped up), which only the command knows.
func TestEveryRiepilogoShowsTheRefusalOfItsCommand(t *testing.T) {
	st := newStack(t)
	claim := claimOn(t, st) // heirCF's testamentary claim on deceasedCF, dead 5 days ago, with 200 €
	refund := st.run(t, "refund", func(ctx context.Context) (commands.Result, error) {
		return st.commands.RequestRefund(ctx, as(heirCF, commands.RoleCitizen), commands.RequestRefund{ClaimID: claim, IBAN: refundIBAN})
	}).ID
	user, worker := seed.FamilyVerdiCF, seed.WorkerMariaCF // Maria is registered by claimOn
	st.run(t, "open Verdi's booklet", func(ctx context.Context) (commands.Result, error) {
		return st.commands.RegisterUser(ctx, as(user, commands.RoleCitizen), commands.RegisterUser{})
	})
	st.run(t, "deposit", func(ctx context.Context) (commands.Result, error) {
		return st.commands.RecordDeposit(ctx, as("pagopa-feed", commands.RoleSystem), commands.RecordDeposit{UserCF: user, AmountCents: 10000, Channel: "PAGOPA", PaidOn: daysAgo(10)})
	})
	record := func(ctx context.Context) (commands.Result, error) {
		return st.commands.RecordService(ctx, as(user, commands.RoleCitizen), commands.RecordService{WorkerCF: worker, Activity: "lavori_domestici",
			StartDate: daysAgo(0), EndDate: daysAgo(0), Hours: 1, Vouchers: 1, NoRecentEmployment: true})
	}
	st.run(t, "an unpaid service", record)
	revoked := st.run(t, "a service", record).ID
	st.run(t, "revoke it", func(ctx context.Context) (commands.Result, error) {
		return st.commands.RevokeService(ctx, as(user, commands.RoleCitizen), commands.RevokeService{ServiceID: revoked})
	})
	validateAndApprove := func(t *testing.T) {
		st.run(t, "validate", func(ctx context.Context) (commands.Result, error) {
			return st.commands.ValidateHeir(ctx, as(seed.OperatorCF, commands.RoleOperator), commands.ValidateHeir{ClaimID: claim})
		})
		st.run(t, "approve", func(ctx context.Context) (commands.Result, error) {
			return st.commands.ApproveRefund(ctx, as(seed.Operator2CF, commands.RoleOperator), commands.ApproveRefund{RefundID: refund})
		})
	}

	refundPage := "/backoffice/rimborsi/" + refund
	tests := []struct {
		name     string
		before   func(t *testing.T) // a change of state this case and the next ones need
		who      string
		role     commands.Role
		from, to string // to "" gets from
		values   url.Values
		status   int
		field    string // "" for the top of the form
		message  string
	}{
		{name: "a refund of a claim not validated is refused at its approval's riepilogo",
			who: seed.OperatorCF, role: commands.RoleOperator, from: refundPage, to: refundPage + "/approva/riepilogo", values: url.Values{},
			status: http.StatusUnprocessableEntity, message: "non è ancora stata convalidata"},
		{name: "a second refund of the booklet is refused at the heir's riepilogo",
			who: heirCF, role: commands.RoleCitizen, from: "/erede/pratiche/" + claim, to: "/erede/pratiche/" + claim + "/rimborso/riepilogo", values: url.Values{"iban": {refundIBAN}},
			status: http.StatusUnprocessableEntity, message: "è già stato richiesto"},
		{name: "the date of death already recorded is refused at the correction's riepilogo",
			who: seed.OperatorCF, role: commands.RoleOperator, from: "/backoffice/pratiche/" + claim + "/decesso", to: "/backoffice/pratiche/" + claim + "/decesso/riepilogo",
			values: url.Values{"date_of_death": {daysAgo(5)}, "reason": {"certificato"}},
			status: http.StatusUnprocessableEntity, field: "date_of_death", message: sameDeathDate},
		{name: "an operator who is the heir is refused at the heir rejection's riepilogo",
			who: heirCF, role: commands.RoleOperator, from: "/backoffice/pratiche/" + claim, to: "/backoffice/pratiche/" + claim + "/rifiuta/riepilogo",
			values: url.Values{"reason": {"x"}}, status: http.StatusForbidden, message: "Conflitto di interessi"},
		{name: "the approver is refused at the payment's riepilogo (four eyes)", before: validateAndApprove,
			who: seed.Operator2CF, role: commands.RoleOperator, from: refundPage, to: refundPage + "/pagato/riepilogo",
			values: url.Values{"paid_on": {daysAgo(0)}, "bank_reference": {"CRO-1"}}, status: http.StatusConflict, message: "quattro occhi"},
		{name: "an operator who is the heir is refused at the refund rejection's riepilogo",
			who: heirCF, role: commands.RoleOperator, from: refundPage, to: refundPage + "/rifiuta/riepilogo", values: url.Values{"reason": {"x"}},
			status: http.StatusForbidden, message: "Conflitto di interessi"},
		{name: "a revoked service is refused at the reversal's riepilogo",
			who: seed.OperatorCF, role: commands.RoleOperator, from: "/backoffice/storno", to: "/backoffice/storno/riepilogo",
			values: url.Values{"user_cf": {user}, "service_id": {revoked}, "reason": {"doppione"}},
			status: http.StatusUnprocessableEntity, field: "service_id", message: "non si può stornare: risulta «Revocata»"},
		{name: "an operator who is a worker the run would pay is refused at the payroll's riepilogo",
			who: worker, role: commands.RoleOperator, from: "/backoffice/pagamenti", to: "/backoffice/pagamenti/riepilogo", values: url.Values{"run_date": {daysAgo(0)}},
			status: http.StatusForbidden, message: "Conflitto di interessi"},
		{name: "an operator is refused at the riepilogo of a deposit on their own booklet",
			who: user, role: commands.RoleOperator, from: "/backoffice/versamenti", to: "/backoffice/versamenti/riepilogo",
			values: url.Values{"user_cf": {user}, "amount": {"150"}, "channel": {"PAGOPA"}, "paid_on": {daysAgo(1)}},
			status: http.StatusForbidden, message: "Conflitto di interessi"},
		{name: "a deposit not a multiple of 10 € is refused beside the amount at its riepilogo",
			who: seed.OperatorCF, role: commands.RoleOperator, from: "/backoffice/versamenti", to: "/backoffice/versamenti/riepilogo",
			values: url.Values{"user_cf": {user}, "amount": {"155"}, "channel": {"PAGOPA"}, "paid_on": {daysAgo(1)}},
			status: http.StatusUnprocessableEntity, field: "amount", message: "multipli di 10,00"},
		{name: "a deceased's booklet is refused at the top-up's riepilogo",
			who: deceasedCF, role: commands.RoleCitizen, from: "/libretto/ricarica", to: "/libretto/ricarica/riepilogo", values: url.Values{"amount": {"50"}},
			status: http.StatusUnprocessableEntity, message: "Il libretto non è attivo"},
		{name: "a top-up above 5.000 € is refused beside the amount at its riepilogo",
			who: user, role: commands.RoleCitizen, from: "/libretto/ricarica", to: "/libretto/ricarica/riepilogo", values: url.Values{"amount": {"5.010"}},
			status: http.StatusUnprocessableEntity, field: "amount", message: "da 10 € a 5.000 €"},
		{name: "a revoked service is refused at the revocation's riepilogo",
			who: user, role: commands.RoleCitizen, from: "/libretto/prestazioni/" + revoked + "/revoca",
			status: http.StatusOK, message: "non può più essere revocata"},
	}
	for _, tc := range tests { // in order: a before changes the state for the cases after it
		t.Run(tc.name, func(t *testing.T) {
			if tc.before != nil {
				tc.before(t)
			}
			b := newBrowser(t, st.srv)
			b.login(tc.who, tc.role)
			before := logLength(t, st)
			var resp *http.Response
			var body string
			if tc.to == "" {
				resp, body = b.get(tc.from)
			} else {
				resp, body = b.submit(tc.from, tc.to, tc.values)
			}
			if tc.field != "" {
				refusedBeside(t, resp, body, tc.field, tc.message)
			} else if resp.StatusCode != tc.status || !strings.Contains(html.UnescapeString(body), tc.message) {
				t.Fatalf("status %d, want %d with %q:\n%s", resp.StatusCode, tc.status, tc.message, body)
			}
			if strings.Contains(body, `id="conferma-`) || strings.Contains(body, "Conferma la revoca") {
				t.Fatalf("the refused riepilogo offers its Conferma:\n%s", body)
			}
			if after := logLength(t, st); after != before {
				t.Fatalf("the riepilogo appended %d events", after-before)
			}
		})
	}
}
