package portal

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/commands/seed"
	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/eventstore"
)

// The operator's commands that move money or change a person's standing,
// each through its riepilogo: the riepilogo shows the facts and changes
// nothing, Conferma acts once however often it is posted, a bad value is
// refused beside its field, and only operators reach any of it.

const refundIBAN = "IT60X0542811101000000123456"

// logLength is the number of events in the store: a page that must change
// nothing leaves it as it was.
func logLength(t *testing.T, st *stack) int64 {
	t.Helper()
	h, err := st.store.Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return h.Events
}

// eventsOfType counts the stored events of a type.
func eventsOfType(t *testing.T, st *stack, typ string) int {
	t.Helper()
	events, err := st.store.ReadAll(context.Background(), eventstore.Cursor{}, 100000)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range events {
		if e.Type == typ {
			n++
		}
	}
	return n
}

// refundOn registers heirCF's claim on a deceased with 200 € available,
// validates it and requests the refund; approve approves it too, as the
// second demo operator, so that the one operatorOn signs in as may record
// its payment (four eyes).
func refundOn(t *testing.T, st *stack, approve bool) (claim, refund string) {
	t.Helper()
	claim = claimOn(t, st)
	op := as(seed.OperatorCF, commands.RoleOperator)
	st.run(t, "validate", func(ctx context.Context) (commands.Result, error) {
		return st.commands.ValidateHeir(ctx, op, commands.ValidateHeir{ClaimID: claim})
	})
	refund = st.run(t, "refund", func(ctx context.Context) (commands.Result, error) {
		return st.commands.RequestRefund(ctx, as(heirCF, commands.RoleCitizen), commands.RequestRefund{ClaimID: claim, IBAN: refundIBAN})
	}).ID
	if approve {
		st.run(t, "approve", func(ctx context.Context) (commands.Result, error) {
			return st.commands.ApproveRefund(ctx, as(seed.Operator2CF, commands.RoleOperator), commands.ApproveRefund{RefundID: refund})
		})
	}
	return claim, refund
}

// refundStatus is the claim's refund status in the read model.
func refundStatus(t *testing.T, st *stack, claim string) string {
	t.Helper()
	c, err := st.queries.Claim(context.Background(), claim)
	if err != nil {
		t.Fatal(err)
	}
	if c.Refund == nil {
		return ""
	}
	return c.Refund.Status
}

// confirmFlow walks form → riepilogo → Conferma twice: the riepilogo must
// answer 200 with the Conferma button and every fact in want, and append
// nothing; Conferma must redirect to next both times. It returns the
// hidden values Conferma carried.
func confirmFlow(t *testing.T, st *stack, b *browser, form, review, confirm, button string, values url.Values, want []string, next string) url.Values {
	t.Helper()
	before := logLength(t, st)
	resp, page := b.submit(form, review, values)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, `id="`+button+`"`) {
		t.Fatalf("riepilogo: %d\n%s", resp.StatusCode, page)
	}
	for _, w := range want {
		if !strings.Contains(page, w) {
			t.Fatalf("the riepilogo lacks %q:\n%s", w, page)
		}
	}
	if after := logLength(t, st); after != before {
		t.Fatalf("the riepilogo appended %d events", after-before)
	}
	hidden := hiddenForm(t, page, confirm)
	if hidden.Get("idempotency_key") == "" {
		t.Fatalf("the confirmation carries no idempotency key: %v", hidden)
	}
	for k := range values {
		if hidden.Get(k) != strings.TrimSpace(values.Get(k)) && k != "user_cf" {
			t.Fatalf("the confirmation carries %s=%q, typed %q", k, hidden.Get(k), values.Get(k))
		}
	}
	for i := 0; i < 2; i++ { // a double click on Conferma
		resp, body := b.post(confirm, hidden)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != next {
			t.Fatalf("Conferma #%d: %d to %q\n%s", i+1, resp.StatusCode, resp.Header.Get("Location"), body)
		}
	}
	return hidden
}

// refusedBeside checks a 422 with message beside field and the typed
// values kept.
func refusedBeside(t *testing.T, resp *http.Response, body, field, message string, kept ...string) {
	t.Helper()
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("status %d, want 422\n%s", resp.StatusCode, body)
	}
	errID := "f-" + field + "-error"
	m := regexp.MustCompile(`id="` + errID + `"[^>]*>([^<]*)<`).FindStringSubmatch(body)
	if m == nil || !strings.Contains(html.UnescapeString(m[1]), message) {
		t.Fatalf("no %q beside %s:\n%s", message, field, body)
	}
	if !regexp.MustCompile(`aria-describedby="[^"]*` + errID).MatchString(body) {
		t.Fatalf("the error of %s is not tied to its field", field)
	}
	for _, v := range kept {
		if !strings.Contains(body, v) {
			t.Fatalf("the typed %s was not kept", v)
		}
	}
}

// othersGet404 signs in a citizen and an auditor and checks that every
// page and POST answers 404 and that nothing is appended.
func othersGet404(t *testing.T, st *stack, get string, posts []string, values url.Values) {
	t.Helper()
	for _, who := range []struct {
		cf   string
		role commands.Role
	}{{heirCF, commands.RoleCitizen}, {seed.AuditorCF, commands.RoleAuditor}} {
		b := newBrowser(t, st.srv)
		b.login(who.cf, who.role)
		if get != "" {
			if resp, _ := b.get(get); resp.StatusCode != http.StatusNotFound {
				t.Fatalf("GET %s as %s: %d, want 404", get, who.role, resp.StatusCode)
			}
		}
		before := logLength(t, st)
		tok := b.csrf("/")
		for _, to := range posts {
			v := url.Values{"csrf_token": {tok}}
			for k := range values {
				v.Set(k, values.Get(k))
			}
			if resp, _ := b.post(to, v); resp.StatusCode != http.StatusNotFound {
				t.Fatalf("POST %s as %s: %d, want 404", to, who.role, resp.StatusCode)
			}
		}
		if after := logLength(t, st); after != before {
			t.Fatalf("%s's POSTs appended %d events", who.role, after-before)
		}
	}
}

func TestOperatorMarksARefundPaidAfterConfirming(t *testing.T) {
	st := newStack(t)
	claim, refund := refundOn(t, st, true)
	page := "/backoffice/rimborsi/" + refund
	paid := page + "/pagato"
	op := operatorOn(t, st)
	if _, body := op.get(page); !strings.Contains(body, `action="`+paid+`/riepilogo"`) {
		t.Fatalf("the refund page does not post the payment to its riepilogo:\n%s", body)
	}
	on, ref := daysAgo(1), "TRN 0123456789"
	confirmFlow(t, st, op, page, paid+"/riepilogo", paid, "conferma-pagamento",
		url.Values{"paid_on": {on}, "bank_reference": {"  " + ref + " "}},
		[]string{"200,00 €", heirCF, deceasedCF, refundIBAN, domain.ItalianDate(on), ref}, "/backoffice")
	if got := refundStatus(t, st, claim); got != "paid" {
		t.Fatalf("refund %s, want paid", got)
	}
	if n := eventsOfType(t, st, "RefundPaid"); n != 1 {
		t.Fatalf("%d RefundPaid events, want 1", n)
	}
}

func TestARefundPaymentWithBadValuesIsRefusedAndChangesNothing(t *testing.T) {
	st := newStack(t)
	claim, refund := refundOn(t, st, true)
	page := "/backoffice/rimborsi/" + refund
	paid := page + "/pagato"
	op := operatorOn(t, st)
	tests := []struct {
		name, to, field, message string
		values                   url.Values
		kept                     []string
	}{
		{"a missing bank reference is asked for", paid + "/riepilogo", "bank_reference", "Campo obbligatorio",
			url.Values{"paid_on": {daysAgo(1)}, "bank_reference": {" "}}, []string{`value="` + daysAgo(1) + `"`}},
		{"an impossible date is refused beside the date", paid + "/riepilogo", "paid_on", "data valida",
			url.Values{"paid_on": {"2025-02-31"}, "bank_reference": {"CRO-1"}}, []string{`value="2025-02-31"`, `value="CRO-1"`}},
		{"a future date is refused before the riepilogo", paid + "/riepilogo", "paid_on", "nel futuro",
			url.Values{"paid_on": {daysAgo(-3)}, "bank_reference": {"CRO-1"}}, []string{`value="CRO-1"`}},
		{"a future date is refused at the confirmation too", paid, "paid_on", "nel futuro",
			url.Values{"paid_on": {daysAgo(-3)}, "bank_reference": {"CRO-1"}}, []string{`value="CRO-1"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := logLength(t, st)
			resp, body := op.submit(page, tc.to, tc.values)
			refusedBeside(t, resp, body, tc.field, tc.message, tc.kept...)
			if after := logLength(t, st); after != before || refundStatus(t, st, claim) != "approved" {
				t.Fatalf("a refused payment changed the refund (%d events)", after-before)
			}
		})
	}
	t.Run("a citizen and an auditor get 404", func(t *testing.T) {
		othersGet404(t, st, page, []string{paid + "/riepilogo", paid}, url.Values{"paid_on": {daysAgo(1)}, "bank_reference": {"CRO-1"}})
	})
	t.Run("an unknown refund is 404 for an operator", func(t *testing.T) {
		tok := op.csrf("/backoffice")
		unknown := "/backoffice/rimborsi/00000000-0000-0000-0000-000000000000/pagato"
		for _, to := range []string{unknown + "/riepilogo", unknown} {
			if resp, _ := op.post(to, url.Values{"csrf_token": {tok}, "paid_on": {daysAgo(1)}, "bank_reference": {"CRO-1"}}); resp.StatusCode != http.StatusNotFound {
				t.Fatalf("POST %s: %d, want 404", to, resp.StatusCode)
			}
		}
	})
}

func TestOperatorApprovesARefundAfterConfirming(t *testing.T) {
	st := newStack(t)
	claim, refund := refundOn(t, st, false)
	page := "/backoffice/rimborsi/" + refund
	approve := page + "/approva"
	op := operatorOn(t, st)
	if _, body := op.get(page); !strings.Contains(body, `action="`+approve+`/riepilogo"`) {
		t.Fatalf("the refund page does not post the approval to its riepilogo:\n%s", body)
	}
	confirmFlow(t, st, op, page, approve+"/riepilogo", approve, "conferma-approvazione", url.Values{},
		[]string{"200,00 €", heirCF, deceasedCF, refundIBAN, "Convalidata"}, "/backoffice")
	if got := refundStatus(t, st, claim); got != "approved" {
		t.Fatalf("refund %s, want approved", got)
	}
	if n := eventsOfType(t, st, "RefundApproved"); n != 1 {
		t.Fatalf("%d RefundApproved events, want 1", n)
	}
	if _, body := op.get("/backoffice"); !strings.Contains(body, "Rimborso di 200,00 € approvato") {
		t.Fatalf("no flash with the amount:\n%s", body)
	}
}

func TestARefundOfAClaimNotValidatedIsNotOfferedForConfirmation(t *testing.T) {
	st := newStack(t)
	claim := claimOn(t, st)
	refund := st.run(t, "refund", func(ctx context.Context) (commands.Result, error) {
		return st.commands.RequestRefund(ctx, as(heirCF, commands.RoleCitizen), commands.RequestRefund{ClaimID: claim, IBAN: refundIBAN})
	}).ID
	page := "/backoffice/rimborsi/" + refund
	approve := page + "/approva"
	op := operatorOn(t, st)
	for _, to := range []string{approve + "/riepilogo", approve} {
		before := logLength(t, st)
		resp, body := op.submit(page, to, url.Values{})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "non è ancora stata convalidata") || strings.Contains(body, `id="conferma-approvazione"`) {
			t.Fatalf("POST %s: %d\n%s", to, resp.StatusCode, body)
		}
		if logLength(t, st) != before || refundStatus(t, st, claim) != "requested" {
			t.Fatalf("POST %s changed the refund", to)
		}
	}
	othersGet404(t, st, page, []string{approve + "/riepilogo", approve}, url.Values{})
}

// serviceOf opens user's booklet with 100 €, registers worker and records
// a service of 2 vouchers (20,00 €) ending today.
func serviceOf(t *testing.T, st *stack, user, worker string) string {
	t.Helper()
	st.deceasedWithBooklet(t, user, 10000, worker) // a living user: the helper only opens, deposits and registers
	today := daysAgo(0)
	return st.run(t, "record", func(ctx context.Context) (commands.Result, error) {
		return st.commands.RecordService(ctx, as(user, commands.RoleCitizen), commands.RecordService{WorkerCF: worker, Activity: "lavori_domestici",
			StartDate: today, EndDate: today, Hours: 2, Vouchers: 2, NoRecentEmployment: true})
	}).ID
}

// serviceStatus is the service's state on its user's dashboard.
func serviceStatus(t *testing.T, st *stack, user, service string) string {
	t.Helper()
	db, err := st.queries.Dashboard(context.Background(), user, daysAgo(0))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range db.Services {
		if s.ServiceID == service {
			return s.Status
		}
	}
	return ""
}

func TestOperatorReversesAServiceAfterConfirming(t *testing.T) {
	st := newStack(t)
	user, worker := seed.FamilyVerdiCF, seed.WorkerMariaCF
	svc := serviceOf(t, st, user, worker)
	op := operatorOn(t, st)
	_, search := op.get("/backoffice/storno?utilizzatore=" + strings.ToLower(user))
	link := "/backoffice/storno?utilizzatore=" + user + "&amp;prestazione=" + svc
	if !strings.Contains(search, `href="`+link+`"`) {
		t.Fatalf("the search does not link the reversal with the user:\n%s", search)
	}
	form := html.UnescapeString(link)
	if _, page := op.get(form); !strings.Contains(page, `value="`+user+`"`) || !strings.Contains(page, `value="`+svc+`"`) {
		t.Fatalf("the reversal form is not filled in from the link:\n%s", page)
	}
	reason := `Comunicata due volte, "doppione"`
	confirmFlow(t, st, op, form, "/backoffice/storno/riepilogo", "/backoffice/storno", "conferma-storno",
		url.Values{"user_cf": {user}, "service_id": {svc}, "reason": {reason}},
		[]string{user, worker, "20,00 €", domain.ItalianDate(daysAgo(0)), "Lavori domestici", html.EscapeString(reason)}, "/backoffice/storno")
	if got := serviceStatus(t, st, user, svc); got != "reversed" {
		t.Fatalf("service %s, want reversed", got)
	}
	if n := eventsOfType(t, st, "ServiceReversed"); n != 1 {
		t.Fatalf("%d ServiceReversed events, want 1", n)
	}
}

func TestAReversalWithBadValuesIsRefusedAndChangesNothing(t *testing.T) {
	st := newStack(t)
	user, worker := seed.FamilyVerdiCF, seed.WorkerMariaCF
	svc := serviceOf(t, st, user, worker)
	revoked := st.run(t, "another", func(ctx context.Context) (commands.Result, error) {
		return st.commands.RecordService(ctx, as(user, commands.RoleCitizen), commands.RecordService{WorkerCF: worker, Activity: "lavori_domestici",
			StartDate: daysAgo(0), EndDate: daysAgo(0), Hours: 1, Vouchers: 1, NoRecentEmployment: true})
	}).ID
	st.run(t, "revoke", func(ctx context.Context) (commands.Result, error) {
		return st.commands.RevokeService(ctx, as(user, commands.RoleCitizen), commands.RevokeService{ServiceID: revoked})
	})
	op := operatorOn(t, st)
	review := "/backoffice/storno/riepilogo"
	tests := []struct {
		name, field, message string
		values               url.Values
		kept                 []string
	}{
		{"a missing reason is asked for", "reason", "Campo obbligatorio",
			url.Values{"user_cf": {user}, "service_id": {svc}, "reason": {" "}}, []string{`value="` + svc + `"`}},
		{"a wrong codice fiscale is refused beside it", "user_cf", "non è valido",
			url.Values{"user_cf": {"VRDNNA80A41H501"}, "service_id": {svc}, "reason": {"Doppione"}}, []string{">Doppione</textarea>"}},
		{"a service not on the user's booklet is refused", "service_id", "Nessuna prestazione",
			url.Values{"user_cf": {heirCF}, "service_id": {svc}, "reason": {"Doppione"}}, []string{`value="` + heirCF + `"`}},
		{"a service no longer unpaid is refused", "service_id", "non si può stornare",
			url.Values{"user_cf": {user}, "service_id": {revoked}, "reason": {"Doppione"}}, []string{">Doppione</textarea>"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := logLength(t, st)
			resp, body := op.submit("/backoffice/storno", review, tc.values)
			refusedBeside(t, resp, body, tc.field, tc.message, tc.kept...)
			if logLength(t, st) != before || serviceStatus(t, st, user, svc) != "recorded" {
				t.Fatal("a refused reversal changed something")
			}
		})
	}
	t.Run("a citizen and an auditor get 404", func(t *testing.T) {
		othersGet404(t, st, "/backoffice/storno", []string{review, "/backoffice/storno"}, url.Values{"user_cf": {user}, "service_id": {svc}, "reason": {"x"}})
	})
}

func depositedCents(t *testing.T, st *stack, user string) int64 {
	t.Helper()
	db, err := st.queries.Dashboard(context.Background(), user, daysAgo(0))
	if err != nil {
		t.Fatal(err)
	}
	return db.Booklet.DepositedCents
}

func TestOperatorRecordsADepositAfterConfirming(t *testing.T) {
	st := newStack(t)
	user := seed.FamilyVerdiCF
	st.deceasedWithBooklet(t, user, 10000, seed.WorkerMariaCF) // a living user with 100 €
	op := operatorOn(t, st)
	form := "/backoffice/versamenti"
	if _, page := op.get(form); !strings.Contains(page, `action="`+form+`/riepilogo"`) {
		t.Fatalf("the deposit form does not post to its riepilogo:\n%s", page)
	}
	on := daysAgo(2)
	confirmFlow(t, st, op, form, form+"/riepilogo", form, "conferma-versamento",
		url.Values{"user_cf": {strings.ToLower(user)}, "amount": {"1.500,00"}, "channel": {"F24"}, "paid_on": {on}},
		[]string{user, "1.500,00 €", "Modello F24", domain.ItalianDate(on), "100,00 €", "1.600,00 €"}, form)
	if got := depositedCents(t, st, user); got != 160000 {
		t.Fatalf("deposited %d cents, want 160000 (100 € and one deposit of 1.500 €)", got)
	}
	if n := eventsOfType(t, st, "DepositRecorded"); n != 2 {
		t.Fatalf("%d DepositRecorded events, want 2 (the setup's and one)", n)
	}
	if _, page := op.get(form); !strings.Contains(page, "Versamento di 1.500,00 €") {
		t.Fatalf("no flash:\n%s", page)
	}
}

func TestADepositWithBadValuesIsRefusedBeforeTheRiepilogo(t *testing.T) {
	st := newStack(t)
	user := seed.FamilyVerdiCF
	st.run(t, "open the booklet", func(ctx context.Context) (commands.Result, error) {
		return st.commands.RegisterUser(ctx, as(user, commands.RoleCitizen), commands.RegisterUser{})
	})
	op := operatorOn(t, st)
	form := "/backoffice/versamenti"
	ok := url.Values{"user_cf": {user}, "amount": {"150"}, "channel": {"PAGOPA"}, "paid_on": {daysAgo(1)}}
	with := func(k, v string) url.Values {
		out := url.Values{}
		for kk := range ok {
			out.Set(kk, ok.Get(kk))
		}
		out.Set(k, v)
		return out
	}
	tests := []struct {
		name, field, message string
		values               url.Values
		kept                 []string
	}{
		{"a decimal dot is refused", "amount", "Indica un importo in euro", with("amount", "150.00"), []string{`value="150.00"`}},
		{"an amount not a multiple of 10 € is refused", "amount", "multipli di 10,00", with("amount", "155"), []string{`value="155"`}},
		{"a codice fiscale without a booklet is refused", "user_cf", "Nessun libretto", with("user_cf", heirCF), []string{`value="` + heirCF + `"`}},
		{"a wrong codice fiscale is refused", "user_cf", "non è valido", with("user_cf", "VRDNNA80"), []string{`value="150"`}},
		{"a future date is refused", "paid_on", "nel futuro", with("paid_on", daysAgo(-1)), []string{`value="150"`}},
		{"a missing channel is asked for", "channel", "Campo obbligatorio", with("channel", ""), []string{`value="150"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := logLength(t, st)
			resp, body := op.submit(form, form+"/riepilogo", tc.values)
			refusedBeside(t, resp, body, tc.field, tc.message, tc.kept...)
			if logLength(t, st) != before || depositedCents(t, st, user) != 0 {
				t.Fatal("a refused deposit recorded something")
			}
		})
	}
	t.Run("a citizen and an auditor get 404", func(t *testing.T) {
		othersGet404(t, st, form, []string{form + "/riepilogo", form}, ok)
	})
}

func TestOperatorRunsThePayrollAfterConfirming(t *testing.T) {
	st := newStack(t)
	user, worker := seed.FamilyVerdiCF, seed.WorkerMariaCF
	svc := serviceOf(t, st, user, worker)
	op := operatorOn(t, st)
	form := "/backoffice/pagamenti"
	if _, page := op.get(form); !strings.Contains(page, `action="`+form+`/riepilogo"`) {
		t.Fatalf("the payroll form does not post to its riepilogo:\n%s", page)
	}
	confirmFlow(t, st, op, form, form+"/riepilogo", form, "conferma-pagamenti",
		url.Values{"run_date": {daysAgo(0)}}, []string{domain.ItalianDate(daysAgo(0)), "2,60 €"}, form)
	if got := serviceStatus(t, st, user, svc); got != "paid" {
		t.Fatalf("service %s, want paid", got)
	}
	if n := eventsOfType(t, st, "PayrollRunCompleted"); n != 1 {
		t.Fatalf("%d payroll runs, want 1", n)
	}
	if _, page := op.get(form); !strings.Contains(page, "1 prestatore, 13,40 €") {
		t.Fatalf("no flash with the payments:\n%s", page)
	}
}

func TestAPayrollWithABadDateIsRefusedAndPaysNothing(t *testing.T) {
	st := newStack(t)
	user, worker := seed.FamilyVerdiCF, seed.WorkerMariaCF
	svc := serviceOf(t, st, user, worker)
	op := operatorOn(t, st)
	form := "/backoffice/pagamenti"
	for _, tc := range []struct{ name, to, date, message string }{
		{"a future date is refused before the riepilogo", form + "/riepilogo", daysAgo(-1), "nel futuro"},
		{"a future date is refused at the confirmation", form, daysAgo(-1), "nel futuro"},
		{"an impossible date is refused", form + "/riepilogo", "2026-13-01", "data valida"},
		{"a missing date is asked for", form + "/riepilogo", "", "Campo obbligatorio"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := logLength(t, st)
			resp, body := op.submit(form, tc.to, url.Values{"run_date": {tc.date}})
			refusedBeside(t, resp, body, "run_date", tc.message, `value="`+tc.date+`"`)
			if logLength(t, st) != before || serviceStatus(t, st, user, svc) != "recorded" {
				t.Fatal("a refused payroll paid something")
			}
		})
	}
	t.Run("a citizen and an auditor get 404", func(t *testing.T) {
		othersGet404(t, st, form, []string{form + "/riepilogo", form}, url.Values{"run_date": {daysAgo(0)}})
	})
}

func TestOperatorRejectsARefundAfterConfirming(t *testing.T) {
	st := newStack(t)
	claim, refund := refundOn(t, st, true)
	page := "/backoffice/rimborsi/" + refund
	reject := page + "/rifiuta"
	op := operatorOn(t, st)
	if _, body := op.get(page); !strings.Contains(body, `action="`+reject+`/riepilogo"`) {
		t.Fatalf("the refund page does not post the rejection to its riepilogo:\n%s", body)
	}
	reason := "IBAN non intestato all'erede"
	confirmFlow(t, st, op, page, reject+"/riepilogo", reject, "conferma-rifiuto", url.Values{"reason": {reason}},
		[]string{"200,00 €", heirCF, deceasedCF, refundIBAN, html.EscapeString(reason)}, "/backoffice")
	if got := refundStatus(t, st, claim); got != "rejected" {
		t.Fatalf("refund %s, want rejected", got)
	}
	if n := eventsOfType(t, st, "RefundRejected"); n != 1 {
		t.Fatalf("%d RefundRejected events, want 1", n)
	}
	// The repeated Conferma's flash: the refund is no longer open, so no amount.
	if _, body := op.get("/backoffice"); !strings.Contains(body, "Rimborso respinto: l&#39;importo torna disponibile") {
		t.Fatalf("no flash with the amount:\n%s", body)
	}
	db, err := st.queries.Dashboard(context.Background(), deceasedCF, daysAgo(0))
	if err != nil || db.Booklet.AvailableCents != 20000 {
		t.Fatalf("the 200 € did not return to the booklet: %+v %v", db.Booklet, err)
	}
}

func claimStatus(t *testing.T, st *stack, claim string) string {
	t.Helper()
	c, err := st.queries.Claim(context.Background(), claim)
	if err != nil {
		t.Fatal(err)
	}
	return c.Status
}

func TestOperatorRejectsAnHeirAfterConfirming(t *testing.T) {
	st := newStack(t)
	claim := claimOn(t, st)
	st.run(t, "refund", func(ctx context.Context) (commands.Result, error) {
		return st.commands.RequestRefund(ctx, as(heirCF, commands.RoleCitizen), commands.RequestRefund{ClaimID: claim, IBAN: refundIBAN})
	})
	page := "/backoffice/pratiche/" + claim
	reject := page + "/rifiuta"
	op := operatorOn(t, st)
	if _, body := op.get(page); !strings.Contains(body, `action="`+reject+`/riepilogo"`) {
		t.Fatalf("the claim page does not post the rejection to its riepilogo:\n%s", body)
	}
	reason := "Il testamento non nomina il dichiarante"
	confirmFlow(t, st, op, page, reject+"/riepilogo", reject, "conferma-rifiuto-erede", url.Values{"reason": {reason}},
		[]string{heirCF, deceasedCF, domain.ItalianDate(daysAgo(5)), "Erede testamentario", "200,00 €", reason}, "/backoffice")
	if got := claimStatus(t, st, claim); got != "rejected" {
		t.Fatalf("claim %s, want rejected", got)
	}
	if got := refundStatus(t, st, claim); got != "rejected" {
		t.Fatalf("the heir's refund is %s, want rejected with the claim", got)
	}
	if n := eventsOfType(t, st, "HeirRejected"); n != 1 {
		t.Fatalf("%d HeirRejected events, want 1", n)
	}
}

func TestARejectionWithoutAReasonIsRefusedAndChangesNothing(t *testing.T) {
	cases := []struct {
		name string
		// open makes the claim and returns the page the form is on and the
		// status that must not change.
		open   func(t *testing.T, st *stack) (page string, status func() string)
		before string
	}{
		{"a refund", func(t *testing.T, st *stack) (string, func() string) {
			claim, refund := refundOn(t, st, false)
			return "/backoffice/rimborsi/" + refund, func() string { return refundStatus(t, st, claim) }
		}, "requested"},
		{"an heir", func(t *testing.T, st *stack) (string, func() string) {
			claim := claimOn(t, st)
			return "/backoffice/pratiche/" + claim, func() string { return claimStatus(t, st, claim) }
		}, "registered"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := newStack(t)
			page, status := c.open(t, st)
			reject := page + "/rifiuta"
			op := newBrowser(t, st.srv)
			op.login(seed.OperatorCF, commands.RoleOperator)
			for _, to := range []string{reject + "/riepilogo", reject} {
				before := logLength(t, st)
				resp, body := op.submit(page, to, url.Values{"reason": {"  "}})
				refusedBeside(t, resp, body, "reason", "Campo obbligatorio")
				if logLength(t, st) != before || status() != c.before {
					t.Fatalf("POST %s changed it", to)
				}
			}
			othersGet404(t, st, page, []string{reject + "/riepilogo", reject}, url.Values{"reason": {"x"}})
		})
	}
}
