package portal

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/commands/seed"
)

// Page tests on the real stack through HTTP, without a browser.

const (
	deceasedCF = "RSSGNN50A01H501H"
	heirCF     = "RSSPLA80A01H501T"
)

var pdf = []byte("%PDF-1.4\n1 0 obj << >> endobj\nstartxref\n0\n%%EOF\n")

// claimOn registers a testamentary claim of heirCF on a deceased with a
// booklet and returns its id.
func claimOn(t *testing.T, st *stack) string {
	t.Helper()
	st.deceasedWithBooklet(t, deceasedCF, 20000, seed.WorkerMariaCF)
	res := st.run(t, "register heir", func(ctx context.Context) (commands.Result, error) {
		return st.commands.RegisterHeir(ctx, as(heirCF, commands.RoleCitizen), commands.RegisterHeir{
			DeceasedCF: deceasedCF, DateOfDeath: time.Now().AddDate(0, 0, -5).Format(time.DateOnly), HeirKind: "testamentario",
			Will: &commands.WillUpload{Filename: "testamento.pdf", Content: pdf},
		})
	})
	return res.ID
}

func TestPagesFollowRolesAndOwnership(t *testing.T) {
	st := newStack(t)
	claim := claimOn(t, st)
	type visit struct {
		who    string
		role   commands.Role
		path   string
		status int
	}
	other := seed.FamilyVerdiCF
	tests := map[string]visit{
		"the heir opens their claim":                        {heirCF, commands.RoleCitizen, "/erede/pratiche/" + claim, http.StatusOK},
		"another citizen gets 404 for the claim":            {other, commands.RoleCitizen, "/erede/pratiche/" + claim, http.StatusNotFound},
		"another citizen gets 404 for its history":          {other, commands.RoleCitizen, "/erede/pratiche/" + claim + "/storico", http.StatusNotFound},
		"another citizen gets 404 for its refund form":      {other, commands.RoleCitizen, "/erede/pratiche/" + claim + "/rimborso", http.StatusNotFound},
		"an unknown claim is 404":                           {heirCF, commands.RoleCitizen, "/erede/pratiche/00000000-0000-0000-0000-000000000000", http.StatusNotFound},
		"a citizen cannot reach the back office":            {heirCF, commands.RoleCitizen, "/backoffice", http.StatusNotFound},
		"a citizen cannot download the will":                {heirCF, commands.RoleCitizen, "/backoffice/pratiche/" + claim + "/testamento", http.StatusNotFound},
		"a citizen cannot reach the audit":                  {heirCF, commands.RoleCitizen, "/audit/pratiche/" + claim, http.StatusNotFound},
		"an operator works the claim":                       {seed.OperatorCF, commands.RoleOperator, "/backoffice/pratiche/" + claim, http.StatusOK},
		"an operator downloads the will":                    {seed.OperatorCF, commands.RoleOperator, "/backoffice/pratiche/" + claim + "/testamento", http.StatusOK},
		"an operator has no heir section":                   {seed.OperatorCF, commands.RoleOperator, "/erede", http.StatusNotFound},
		"an auditor reads the timeline":                     {seed.AuditorCF, commands.RoleAuditor, "/audit/pratiche/" + claim, http.StatusOK},
		"an auditor runs the hash-chain check":              {seed.AuditorCF, commands.RoleAuditor, "/audit/verifica?esegui=1", http.StatusOK},
		"an auditor cannot use the back office":             {seed.AuditorCF, commands.RoleAuditor, "/backoffice/pratiche/" + claim, http.StatusNotFound},
		"a citizen without a booklet is offered to open it": {heirCF, commands.RoleCitizen, "/libretto", http.StatusOK},
		"a citizen's statement page answers":                {heirCF, commands.RoleCitizen, "/prestatore", http.StatusOK},
	}
	for name, v := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := newBrowser(t, st.srv)
			b.login(v.who, v.role)
			resp, body := b.get(v.path)
			if resp.StatusCode != v.status {
				t.Fatalf("GET %s as %s: %d, want %d", v.path, v.role, resp.StatusCode, v.status)
			}
			if v.status == http.StatusNotFound && strings.Contains(body, deceasedCF) {
				t.Fatal("the 404 page leaks the claim")
			}
		})
	}
	t.Run("someone not signed in is sent to the login", func(t *testing.T) {
		resp, _ := newBrowser(t, st.srv).get("/erede/pratiche/" + claim)
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/accedi?dopo=") {
			t.Fatalf("status %d, location %q", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
	t.Run("the will comes back byte for byte", func(t *testing.T) {
		b := newBrowser(t, st.srv)
		b.login(seed.OperatorCF, commands.RoleOperator)
		resp, body := b.get("/backoffice/pratiche/" + claim + "/testamento")
		if body != string(pdf) || resp.Header.Get("Content-Type") != "application/pdf" {
			t.Fatalf("will: %q %q", resp.Header.Get("Content-Type"), body)
		}
		for h, want := range map[string]string{
			"Content-Disposition":     `attachment; filename="testamento-` + claim + `.pdf"`,
			"X-Content-Type-Options":  "nosniff",
			"Content-Security-Policy": "sandbox",
		} {
			if got := resp.Header.Get(h); got != want {
				t.Errorf("%s: %q, want %q", h, got, want)
			}
		}
	})
}

// post submits a form of the page at from, with its CSRF token and
// idempotency key.
func (b *browser) submit(from, to string, values url.Values) (*http.Response, string) {
	b.t.Helper()
	_, page := b.get(from)
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		b.t.Fatalf("no form on %s", from)
	}
	values.Set("csrf_token", m[1])
	if k := keyRE.FindStringSubmatch(page); k != nil {
		values.Set("idempotency_key", k[1])
	}
	return b.post(to, values)
}

var keyRE = regexp.MustCompile(`name="idempotency_key" value="([^"]+)"`)

func TestFormsShowErrorsBesideTheirFields(t *testing.T) {
	st := newStack(t)
	claim := claimOn(t, st)
	st.run(t, "open Verdi's booklet", func(ctx context.Context) (commands.Result, error) {
		return st.commands.RegisterUser(ctx, as(seed.FamilyVerdiCF, commands.RoleCitizen), commands.RegisterUser{})
	})
	today := time.Now().Format(time.DateOnly)
	tests := []struct {
		name       string
		who        string
		role       commands.Role
		from, to   string
		values     url.Values
		field      string
		message    string
		keptValues []string
	}{
		{
			name: "vouchers below the hours are refused beside the vouchers", who: seed.FamilyVerdiCF, role: commands.RoleCitizen,
			from: "/libretto/prestazioni/nuova", to: "/libretto/prestazioni",
			values: url.Values{"worker_cf": {seed.WorkerMariaCF}, "activity": {"lavori_domestici"}, "start_date": {today}, "end_date": {today},
				"hours": {"3,5"}, "vouchers": {"3"}, "declaration": {"1"}},
			field: "vouchers", message: "titolo paga al massimo", keptValues: []string{`value="3,5"`},
		},
		{
			name: "a service without the declaration is refused beside the checkbox", who: seed.FamilyVerdiCF, role: commands.RoleCitizen,
			from: "/libretto/prestazioni/nuova", to: "/libretto/prestazioni",
			values: url.Values{"worker_cf": {seed.WorkerMariaCF}, "activity": {"lavori_domestici"}, "start_date": {today}, "end_date": {today},
				"hours": {"2"}, "vouchers": {"2"}},
			field: "declaration", message: "confermare la dichiarazione", keptValues: []string{`value="` + seed.WorkerMariaCF + `"`},
		},
		{
			name: "a prior service after the death is refused beside the end date", who: heirCF, role: commands.RoleCitizen,
			from: "/erede/pratiche/" + claim + "/prestazioni/nuova", to: "/erede/pratiche/" + claim + "/prestazioni",
			values: url.Values{"worker_cf": {seed.WorkerMariaCF}, "activity": {"lavori_domestici"}, "start_date": {today}, "end_date": {today},
				"hours": {"2"}, "vouchers": {"2"}, "declaration": {"1"}},
			field: "end_date", message: "entro la data del decesso", keptValues: []string{`value="` + today + `"`},
		},
		{
			name: "the heir cannot be the worker", who: heirCF, role: commands.RoleCitizen,
			from: "/erede/pratiche/" + claim + "/prestazioni/nuova", to: "/erede/pratiche/" + claim + "/prestazioni",
			values: url.Values{"worker_cf": {heirCF}, "activity": {"lavori_domestici"}, "start_date": {time.Now().AddDate(0, 0, -8).Format(time.DateOnly)},
				"end_date": {time.Now().AddDate(0, 0, -7).Format(time.DateOnly)}, "hours": {"2"}, "vouchers": {"2"}, "declaration": {"1"}},
			field: "worker_cf", message: "non può essere il prestatore",
		},
		{
			name: "a wrong IBAN stops the refund before the confirmation", who: heirCF, role: commands.RoleCitizen,
			from: "/erede/pratiche/" + claim + "/rimborso", to: "/erede/pratiche/" + claim + "/rimborso/riepilogo",
			values: url.Values{"iban": {"IT00X0542811101000000123456"}},
			field:  "iban", message: "IBAN non è valido", keptValues: []string{`value="IT00X0542811101000000123456"`},
		},
		{
			name: "a testamentary heir without the will is refused beside the upload", who: seed.FamilyVerdiCF, role: commands.RoleCitizen,
			from: "/erede/pratiche/nuova", to: "/erede/pratiche",
			values: url.Values{"deceased_cf": {deceasedCF}, "date_of_death": {time.Now().AddDate(0, 0, -5).Format(time.DateOnly)}, "heir_kind": {"testamentario"}},
			field:  "will", message: "deve allegare il testamento",
		},
		{
			name: "a different date of death is refused beside the date", who: seed.FamilyVerdiCF, role: commands.RoleCitizen,
			from: "/erede/pratiche/nuova", to: "/erede/pratiche",
			values: url.Values{"deceased_cf": {deceasedCF}, "date_of_death": {time.Now().AddDate(0, 0, -6).Format(time.DateOnly)}, "heir_kind": {"legittimo"}},
			field:  "date_of_death", message: "non coincide",
		},
		{
			name: "an operator rejecting without a reason is asked for one", who: seed.OperatorCF, role: commands.RoleOperator,
			from: "/backoffice/pratiche/" + claim, to: "/backoffice/pratiche/" + claim + "/rifiuta",
			values: url.Values{"reason": {""}},
			field:  "reason", message: "obbligatorio",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newBrowser(t, st.srv)
			b.login(tc.who, tc.role)
			resp, body := b.submit(tc.from, tc.to, tc.values)
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422\n%s", resp.StatusCode, body)
			}
			errID := "f-" + tc.field + "-error"
			m := regexp.MustCompile(`id="` + errID + `"[^>]*>([^<]*)<`).FindStringSubmatch(body)
			if m == nil || !strings.Contains(m[1], tc.message) {
				t.Fatalf("no %q beside %s:\n%s", tc.message, tc.field, body)
			}
			if !regexp.MustCompile(`aria-describedby="[^"]*` + errID).MatchString(body) {
				t.Fatalf("the error of %s is not tied to its field", tc.field)
			}
			for _, v := range tc.keptValues {
				if !strings.Contains(body, v) {
					t.Fatalf("the typed %s was not kept", v)
				}
			}
		})
	}
}

func TestAuditorSeesTheClaimAsItStood(t *testing.T) {
	st := newStack(t)
	claim := claimOn(t, st)
	time.Sleep(1100 * time.Millisecond) // the as-of control has a resolution of one second
	between := time.Now()
	time.Sleep(1100 * time.Millisecond)
	st.run(t, "validate", func(ctx context.Context) (commands.Result, error) {
		return st.commands.ValidateHeir(ctx, as(seed.OperatorCF, commands.RoleOperator), commands.ValidateHeir{ClaimID: claim})
	})
	b := newBrowser(t, st.srv)
	b.login(seed.AuditorCF, commands.RoleAuditor)
	status := regexp.MustCompile(`id="stato-pratica">([^<]*)<`)
	tests := []struct {
		name, query, want string
	}{
		{"now the claim is validated", "", "Convalidata"},
		{"before the validation it awaited it", "?al=" + url.QueryEscape(between.In(rome).Format("2006-01-02T15:04:05")), "In attesa di verifica"},
	}
	for _, tc := range tests {
		resp, body := b.get("/audit/pratiche/" + claim + tc.query)
		m := status.FindStringSubmatch(body)
		if resp.StatusCode != http.StatusOK || m == nil || m[1] != tc.want {
			t.Errorf("%s: status %d, state %v", tc.name, resp.StatusCode, m)
		}
	}
	_, body := b.get("/audit/verifica?esegui=1")
	if !strings.Contains(body, "Nessuna alterazione") {
		t.Fatal("the hash-chain check did not report an intact log")
	}
}

func TestUserRecordsAndRevokesAServiceAndTheWorkerDownloadsTheStatement(t *testing.T) {
	st := newStack(t)
	user, worker := seed.FamilyVerdiCF, seed.WorkerMariaCF
	st.run(t, "open the booklet", func(ctx context.Context) (commands.Result, error) {
		return st.commands.RegisterUser(ctx, as(user, commands.RoleCitizen), commands.RegisterUser{})
	})
	st.run(t, "deposit", func(ctx context.Context) (commands.Result, error) {
		return st.commands.RecordDeposit(ctx, as("pagopa-feed", commands.RoleSystem), commands.RecordDeposit{
			UserCF: user, AmountCents: 10000, Channel: "PAGOPA", PaidOn: time.Now().Format(time.DateOnly)})
	})
	st.run(t, "register worker", func(ctx context.Context) (commands.Result, error) {
		return st.commands.RegisterWorker(ctx, as(worker, commands.RoleCitizen), commands.RegisterWorker{Category: "altro"})
	})
	today := time.Now().Format(time.DateOnly)
	b := newBrowser(t, st.srv)
	b.login(user, commands.RoleCitizen)
	service := url.Values{"worker_cf": {worker}, "activity": {"assistenza_domiciliare"}, "start_date": {today}, "end_date": {today},
		"hours": {"2"}, "vouchers": {"2"}, "declaration": {"1"}}
	for i := 0; i < 3; i++ {
		if resp, body := b.submit("/libretto/prestazioni/nuova", "/libretto/prestazioni", service); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("record service: %d\n%s", resp.StatusCode, body)
		}
	}
	_, dash := b.get("/libretto")
	if !strings.Contains(dash, "40,00 €") || strings.Count(dash, "/revoca\"") != 3 {
		t.Fatalf("dashboard after three services of 20 € on 100 €: want 40,00 € available and three revoke links\n%s", dash)
	}
	revoke := regexp.MustCompile(`href="(/libretto/prestazioni/[^"]+/revoca)"`).FindStringSubmatch(dash)[1]
	if resp, body := b.submit(revoke, revoke, url.Values{}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: %d\n%s", resp.StatusCode, body)
	}
	_, dash = b.get("/libretto")
	if !strings.Contains(dash, "Revocata") || !strings.Contains(dash, "60,00 €") {
		t.Fatal("the revoked service is not shown as revoked with its 20 € back")
	}

	// Another citizen cannot revoke it: the service is not on their booklet.
	other := newBrowser(t, st.srv)
	other.login(heirCF, commands.RoleCitizen)
	if resp, _ := other.get(revoke); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("another citizen's revoke page: %d, want 404", resp.StatusCode)
	}

	op := operatorOn(t, st)
	_, search := op.get("/backoffice/storno?utilizzatore=" + strings.ToLower(user))
	links := regexp.MustCompile(`href="/backoffice/storno\?utilizzatore=[A-Z0-9]+&amp;prestazione=([^"]+)"`).FindAllStringSubmatch(search, -1)
	if len(links) != 2 {
		t.Fatalf("the operator's search shows %d reversible services, want 2", len(links))
	}
	reverse := "/backoffice/storno?prestazione=" + links[0][1]
	if resp, body := op.submit(reverse, "/backoffice/storno", url.Values{"service_id": {links[0][1]}, "reason": {""}}); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="f-reason-error"`) {
		t.Fatalf("a reversal without reason: %d", resp.StatusCode)
	}
	if resp, body := op.submit(reverse, "/backoffice/storno", url.Values{"service_id": {links[0][1]}, "reason": {"Comunicata due volte"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("reverse: %d\n%s", resp.StatusCode, body)
	}
	if _, dash = b.get("/libretto"); !strings.Contains(dash, "Stornata dall&#39;INPS") || !strings.Contains(dash, "80,00 €") {
		t.Fatal("the user does not see the reversed service with its 20 € back")
	}
	resp, body := op.submit("/backoffice/pagamenti", "/backoffice/pagamenti", url.Values{"run_date": {today}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("payroll: %d\n%s", resp.StatusCode, body)
	}
	if _, page := op.get("/backoffice/pagamenti"); !strings.Contains(page, "1 prestatore, 13,40 €") {
		t.Fatalf("payroll flash: want one worker paid 16,00 € less the 2,60 € fee of the bonifico domiciliato\n%s", page)
	}

	w := newBrowser(t, st.srv)
	w.login(worker, commands.RoleCitizen)
	year := time.Now().Year()
	if _, page := w.get("/prestatore"); !strings.Contains(page, fmt.Sprintf("/prestatore/prospetto/%d", year)) {
		t.Fatal("the statement page has no PDF link")
	}
	resp, pdfBody := w.get(fmt.Sprintf("/prestatore/prospetto/%d", year))
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/pdf" || pdfBody != fmt.Sprintf("%%PDF-1.4 %s %d 1340", worker, year) {
		t.Fatalf("PDF: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), pdfBody)
	}
	if resp, _ := w.get(fmt.Sprintf("/prestatore/prospetto/%d", year-3)); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("a year without payments: %d, want 404", resp.StatusCode)
	}
}

func TestTheHeirSeesTheBookletClosedOnceTheRefundIsPaid(t *testing.T) {
	st := newStack(t)
	claim := claimOn(t, st)
	op := as(seed.OperatorCF, commands.RoleOperator)
	heir := newBrowser(t, st.srv)
	heir.login(heirCF, commands.RoleCitizen)
	const offer = "Inserisci una prestazione pregressa"
	if _, page := heir.get("/erede/pratiche/" + claim); !strings.Contains(page, offer) {
		t.Fatal("a deceased owner's booklet does not offer the prior service")
	}
	st.run(t, "validate", func(ctx context.Context) (commands.Result, error) {
		return st.commands.ValidateHeir(ctx, op, commands.ValidateHeir{ClaimID: claim})
	})
	ref := st.run(t, "refund", func(ctx context.Context) (commands.Result, error) {
		return st.commands.RequestRefund(ctx, as(heirCF, commands.RoleCitizen), commands.RequestRefund{ClaimID: claim, IBAN: "IT60X0542811101000000123456"})
	})
	st.run(t, "approve", func(ctx context.Context) (commands.Result, error) {
		return st.commands.ApproveRefund(ctx, op, commands.ApproveRefund{RefundID: ref.ID})
	})
	st.run(t, "paid", func(ctx context.Context) (commands.Result, error) {
		return st.commands.MarkRefundPaid(ctx, as(seed.Operator2CF, commands.RoleOperator), commands.MarkRefundPaid{RefundID: ref.ID, PaidOn: time.Now().AddDate(0, 0, -1).Format(time.DateOnly), BankReference: "CRO-1"})
	})
	_, page := heir.get("/erede/pratiche/" + claim)
	if strings.Contains(page, offer) || !strings.Contains(page, "<strong>Chiuso</strong>") {
		t.Fatalf("the claim page of a closed booklet:\n%s", page)
	}
}

func TestAnotherHeirIsNotOfferedARefundAlreadyRequested(t *testing.T) {
	st := newStack(t)
	claim := claimOn(t, st)
	first, err := st.queries.Claim(context.Background(), claim)
	if err != nil {
		t.Fatal(err)
	}
	second := st.run(t, "a second heir", func(ctx context.Context) (commands.Result, error) {
		return st.commands.RegisterHeir(ctx, as(seed.FamilyVerdiCF, commands.RoleCitizen), commands.RegisterHeir{
			DeceasedCF: deceasedCF, DateOfDeath: first.DateOfDeath, HeirKind: "legittimo"})
	}).ID
	st.run(t, "the first heir asks for the refund", func(ctx context.Context) (commands.Result, error) {
		return st.commands.RequestRefund(ctx, as(heirCF, commands.RoleCitizen), commands.RequestRefund{ClaimID: claim, IBAN: "IT60X0542811101000000123456"})
	})
	b := newBrowser(t, st.srv)
	b.login(seed.FamilyVerdiCF, commands.RoleCitizen)
	refund := "/erede/pratiche/" + second + "/rimborso"
	const already = "già stato richiesto da un altro erede"
	_, page := b.get("/erede/pratiche/" + second)
	if strings.Contains(page, `href="`+refund+`"`) || !strings.Contains(page, already) {
		t.Fatalf("the second heir's claim page offers a refund another heir has requested:\n%s", page)
	}
	if resp, body := b.get(refund); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/erede/pratiche/"+second {
		t.Fatalf("the refund page of the second heir: %d, want a redirect to the claim\n%s", resp.StatusCode, body)
	}
}

func TestAServiceNoLongerRevocableOffersNoRevocation(t *testing.T) {
	st := newStack(t)
	user, worker := seed.FamilyVerdiCF, seed.WorkerMariaCF
	st.deceasedWithBooklet(t, user, 10000, worker) // a living user: the helper only opens, deposits and registers
	today := time.Now().Format(time.DateOnly)
	svc := st.run(t, "record", func(ctx context.Context) (commands.Result, error) {
		return st.commands.RecordService(ctx, as(user, commands.RoleCitizen), commands.RecordService{WorkerCF: worker, Activity: "lavori_domestici",
			StartDate: today, EndDate: today, Hours: 2, Vouchers: 2, NoRecentEmployment: true})
	}).ID
	st.run(t, "revoke", func(ctx context.Context) (commands.Result, error) {
		return st.commands.RevokeService(ctx, as(user, commands.RoleCitizen), commands.RevokeService{ServiceID: svc})
	})
	b := newBrowser(t, st.srv)
	b.login(user, commands.RoleCitizen)
	page := "/libretto/prestazioni/" + svc + "/revoca"
	resp, body := b.get(page)
	if resp.StatusCode != http.StatusOK || strings.Contains(body, `action="`+page+`"`) || !strings.Contains(body, "non può più essere revocata") || !strings.Contains(body, "Revocata") {
		t.Fatalf("the revocation page of a revoked service: %d\n%s", resp.StatusCode, body)
	}
	// A stale page posted again is told about the service, not a claim.
	resp, body = b.post(page, url.Values{"csrf_token": {b.csrf("/libretto")}})
	if resp.StatusCode != http.StatusUnprocessableEntity || strings.Contains(body, "pratica") || !strings.Contains(body, "non può più essere revocata") {
		t.Fatalf("revoking a revoked service again: %d\n%s", resp.StatusCode, body)
	}
}

func TestTheHeirsHistoryNamesAnOperatorNotTheirCF(t *testing.T) {
	st := newStack(t)
	claim := claimOn(t, st)
	st.run(t, "validate", func(ctx context.Context) (commands.Result, error) {
		return st.commands.ValidateHeir(ctx, as(seed.OperatorCF, commands.RoleOperator), commands.ValidateHeir{ClaimID: claim})
	})
	heir := newBrowser(t, st.srv)
	heir.login(heirCF, commands.RoleCitizen)
	for _, path := range []string{"/erede/pratiche/" + claim + "/storico", "/erede/riepilogo"} {
		resp, body := heir.get(path)
		if resp.StatusCode != http.StatusOK || strings.Contains(body, seed.OperatorCF) || !strings.Contains(body, "un operatore INPS") {
			t.Errorf("%s: status %d, the heir is shown the operator's codice fiscale or not told an operator acted", path, resp.StatusCode)
		}
	}
	op := newBrowser(t, st.srv)
	op.login(seed.OperatorCF, commands.RoleOperator)
	if _, body := op.get("/backoffice/pratiche/" + claim); !strings.Contains(body, seed.OperatorCF) {
		t.Error("the operator's claim page no longer names the operator who validated it")
	}
}

// TestTheBookletShowsAPendingF24InAccredito: an F24 seen but not yet
// credited is listed "In accredito" and counted apart from the available
// balance; once credited it is available.
func TestTheBookletShowsAPendingF24InAccredito(t *testing.T) {
	st := newStack(t)
	user := seed.FamilyVerdiCF
	st.run(t, "open the booklet", func(ctx context.Context) (commands.Result, error) {
		return st.commands.RegisterUser(ctx, as(user, commands.RoleCitizen), commands.RegisterUser{})
	})
	dep := st.run(t, "pending F24", func(ctx context.Context) (commands.Result, error) {
		return st.commands.RecordDeposit(ctx, as("f24-feed", commands.RoleSystem), commands.RecordDeposit{
			UserCF: user, AmountCents: 25000, Channel: "F24", PaidOn: time.Now().Format(time.DateOnly), Status: "pending"})
	})
	b := newBrowser(t, st.srv)
	b.login(user, commands.RoleCitizen)
	_, dash := b.get("/libretto")
	disponibile := regexp.MustCompile(`id="saldo-disponibile">([^<]+)<`)
	if m := disponibile.FindStringSubmatch(dash); m == nil || m[1] != "0,00 €" {
		t.Fatalf("a pending F24 is not available: %v", m)
	}
	if !strings.Contains(dash, `id="saldo-in-accredito"`) || !strings.Contains(dash, "250,00 €") || !strings.Contains(dash, "In accredito") {
		t.Fatalf("the pending F24 is not shown in accredito\n%s", dash)
	}
	st.run(t, "credit", func(ctx context.Context) (commands.Result, error) {
		return st.commands.CreditDeposit(ctx, as("f24-feed", commands.RoleSystem), commands.CreditDeposit{DepositID: dep.ID})
	})
	_, dash = b.get("/libretto")
	if m := disponibile.FindStringSubmatch(dash); m == nil || m[1] != "250,00 €" {
		t.Fatalf("the credited F24 is available: %v", m)
	}
	if strings.Contains(dash, "In accredito") || !strings.Contains(dash, "Accreditato") {
		t.Fatal("the credited F24 is still shown in accredito")
	}
}

// TestACitizenTopsUpTheBookletWithAPagoPANotice walks "Ricarica il
// libretto": the amount, the riepilogo, the notice to download; the list of
// open notices; another citizen cannot see it.
func TestACitizenTopsUpTheBookletWithAPagoPANotice(t *testing.T) {
	st := newStack(t)
	user := seed.FamilyVerdiCF
	st.run(t, "open the booklet", func(ctx context.Context) (commands.Result, error) {
		return st.commands.RegisterUser(ctx, as(user, commands.RoleCitizen), commands.RegisterUser{})
	})
	b := newBrowser(t, st.srv)
	b.login(user, commands.RoleCitizen)
	_, dash := b.get("/libretto")
	if !strings.Contains(dash, `href="/libretto/ricarica"`) {
		t.Fatal("the booklet page offers no Ricarica il libretto")
	}
	for _, bad := range []string{"5", "15", "5.010", "abc"} {
		resp, body := b.submit("/libretto/ricarica", "/libretto/ricarica/riepilogo", url.Values{"amount": {bad}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="f-amount-error"`) {
			t.Fatalf("amount %q: %d, no error beside the field", bad, resp.StatusCode)
		}
	}
	resp, review := b.submit("/libretto/ricarica", "/libretto/ricarica/riepilogo", url.Values{"amount": {"250"}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(review, `id="riepilogo-ricarica"`) || !strings.Contains(review, "250,00 €") {
		t.Fatalf("riepilogo: %d\n%s", resp.StatusCode, review)
	}
	confirm := url.Values{"amount": {"250"}, "csrf_token": {csrfRE.FindStringSubmatch(review)[1]}, "idempotency_key": {keyRE.FindStringSubmatch(review)[1]}}
	resp, page := b.post("/libretto/ricarica", confirm)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("conferma: %d\n%s", resp.StatusCode, page)
	}
	where := resp.Header.Get("Location")
	_, notice := b.get(where)
	m := regexp.MustCompile(`id="codice-avviso">(302\d \d{4} \d{4} \d{4} \d{2})<`).FindStringSubmatch(notice)
	if m == nil || !strings.Contains(notice, "250,00 €") || !strings.Contains(notice, "Da pagare") {
		t.Fatalf("the notice page at %s:\n%s", where, notice)
	}
	_, list := b.get("/libretto/ricarica")
	if !strings.Contains(list, strings.ReplaceAll(m[1], " ", "")) {
		t.Fatal("the open notice is not listed")
	}
	if resp, pdf := b.get(where + "/pdf"); resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/pdf" || !strings.Contains(pdf, "AVVISO "+m[1]) {
		t.Fatalf("the notice's PDF: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}

	other := newBrowser(t, st.srv)
	other.login(heirCF, commands.RoleCitizen)
	for _, path := range []string{where, where + "/pdf"} {
		if resp, _ := other.get(path); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("another citizen reads %s: %d", path, resp.StatusCode)
		}
	}
}
