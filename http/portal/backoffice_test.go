package portal

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/commands/seed"
	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/eventstore"
	"github.com/inps/libretto/projections"
)

// The operator's back-office pages on the real stack: the correction of a
// date of death through its confirmation, and the worklist's pages.

func daysAgo(n int) string { return time.Now().In(rome).AddDate(0, 0, -n).Format(time.DateOnly) }

// recordedDeath is the claim's date of death in the read model.
func recordedDeath(t *testing.T, st *stack, claim string) string {
	t.Helper()
	c, err := st.queries.Claim(context.Background(), claim)
	if err != nil {
		t.Fatal(err)
	}
	return c.DateOfDeath
}

// hiddenForm reads the CSRF token, idempotency key and hidden fields of the
// form posting to action on page.
func hiddenForm(t *testing.T, page, action string) url.Values {
	t.Helper()
	i := strings.Index(page, `action="`+action+`"`)
	if i < 0 {
		t.Fatalf("no form posting to %s:\n%s", action, page)
	}
	form := page[i:]
	form = form[:strings.Index(form, "</form>")]
	v := url.Values{}
	for _, m := range regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`).FindAllStringSubmatch(form, -1) {
		v.Set(m[1], html.UnescapeString(m[2]))
	}
	return v
}

func TestOperatorCorrectsTheDateOfDeathAfterConfirming(t *testing.T) {
	st := newStack(t)
	claim := claimOn(t, st)
	was, corrected := daysAgo(5), daysAgo(7)
	claimPage := "/backoffice/pratiche/" + claim
	form := claimPage + "/decesso"

	op := operatorOn(t, st)
	if _, page := op.get(claimPage); !strings.Contains(page, `href="`+form+`"`) {
		t.Fatal("the claim's back-office page does not link the correction")
	}
	if _, page := op.get("/backoffice"); !strings.Contains(page, `href="`+form+`"`) {
		t.Fatal("the worklist does not link the correction")
	}
	resp, page := op.get(form)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, `id="data-registrata">`+domain.ItalianDate(was)+`<`) {
		t.Fatalf("the form does not show the recorded date %s: %d\n%s", was, resp.StatusCode, page)
	}

	reason := `Certificato di morte del Comune di Roma, n. 123 "rettifica"`
	resp, confirm := op.submit(form, form+"/riepilogo", url.Values{"date_of_death": {corrected}, "reason": {reason}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(confirm, `id="conferma-rettifica"`) {
		t.Fatalf("riepilogo: %d\n%s", resp.StatusCode, confirm)
	}
	for _, want := range []string{domain.ItalianDate(was), domain.ItalianDate(corrected), html.EscapeString(reason)} {
		if !strings.Contains(confirm, want) {
			t.Fatalf("the riepilogo lacks %q", want)
		}
	}
	if got := recordedDeath(t, st, claim); got != was {
		t.Fatalf("the riepilogo changed the date to %s", got)
	}

	values := hiddenForm(t, confirm, form)
	if values.Get("date_of_death") != corrected || values.Get("reason") != reason || values.Get("idempotency_key") == "" {
		t.Fatalf("the confirmation does not carry what was typed: %v", values)
	}
	resp, body := op.post(form, values)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != claimPage {
		t.Fatalf("confirm: %d to %q\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	_, page = op.get(claimPage)
	if !strings.Contains(page, "Data del decesso rettificata dal "+domain.ItalianDate(was)+" al "+domain.ItalianDate(corrected)) {
		t.Fatalf("no success flash:\n%s", page)
	}
	if !strings.Contains(page, `<dd class="col-sm-8">`+domain.ItalianDate(corrected)+`</dd>`) {
		t.Fatalf("the claim does not show the corrected date %s:\n%s", corrected, page)
	}
	if got := recordedDeath(t, st, claim); got != corrected {
		t.Fatalf("read model: %s, want %s", got, corrected)
	}

	// A double click on Conferma corrects once: the same key answers the first result.
	if resp, body := op.post(form, values); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirm again: %d\n%s", resp.StatusCode, body)
	}
	events, err := st.store.ReadStream(context.Background(), domain.ClaimStream(claim), eventstore.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range events {
		if e.Type == domain.TypeClaimDateOfDeathCorrected {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d corrections on the claim's stream, want 1", n)
	}

	heir := newBrowser(t, st.srv)
	heir.login(heirCF, commands.RoleCitizen)
	if _, page := heir.get("/erede/pratiche/" + claim); !strings.Contains(page, domain.ItalianDate(corrected)) {
		t.Fatal("the heir does not see the corrected date")
	}
}

func TestDateOfDeathCorrectionErrorsChangeNothing(t *testing.T) {
	st := newStack(t)
	claim := claimOn(t, st)
	was := daysAgo(5)
	form := "/backoffice/pratiche/" + claim + "/decesso"
	tests := []struct {
		name    string
		to      string
		values  url.Values
		field   string
		message string
		kept    []string
	}{
		{
			name: "a missing reason is asked for before the riepilogo", to: form + "/riepilogo",
			values: url.Values{"date_of_death": {daysAgo(7)}, "reason": {"  "}},
			field:  "reason", message: "Campo obbligatorio", kept: []string{`value="` + daysAgo(7) + `"`},
		},
		{
			name: "a missing reason is refused at the confirmation too", to: form,
			values: url.Values{"date_of_death": {daysAgo(7)}},
			field:  "reason", message: "Campo obbligatorio", kept: []string{`value="` + daysAgo(7) + `"`},
		},
		{
			name: "an impossible date is refused beside the date", to: form + "/riepilogo",
			values: url.Values{"date_of_death": {"2025-02-31"}, "reason": {"Certificato"}},
			field:  "date_of_death", message: "data valida", kept: []string{`value="2025-02-31"`, ">Certificato</textarea>"},
		},
		{
			name: "a missing date is refused beside the date", to: form + "/riepilogo",
			values: url.Values{"reason": {"Certificato"}},
			field:  "date_of_death", message: "Campo obbligatorio", kept: []string{">Certificato</textarea>"},
		},
		{
			name: "a future date is refused", to: form,
			values: url.Values{"date_of_death": {daysAgo(-2)}, "reason": {"Certificato"}},
			field:  "date_of_death", message: "nel futuro", kept: []string{">Certificato</textarea>"},
		},
		{
			name: "the date already recorded is refused", to: form + "/riepilogo",
			values: url.Values{"date_of_death": {was}, "reason": {"Certificato"}},
			field:  "date_of_death", message: "già la data del decesso registrata",
		},
	}
	op := operatorOn(t, st)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := op.submit(form, tc.to, tc.values)
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422\n%s", resp.StatusCode, body)
			}
			errID := "f-" + tc.field + "-error"
			m := regexp.MustCompile(`id="` + errID + `"[^>]*>([^<]*)<`).FindStringSubmatch(body)
			if m == nil || !strings.Contains(html.UnescapeString(m[1]), tc.message) {
				t.Fatalf("no %q beside %s:\n%s", tc.message, tc.field, body)
			}
			if !regexp.MustCompile(`aria-describedby="[^"]*` + errID).MatchString(body) {
				t.Fatalf("the error of %s is not tied to its field", tc.field)
			}
			for _, v := range tc.kept {
				if !strings.Contains(body, v) {
					t.Fatalf("the typed %s was not kept", v)
				}
			}
			if got := recordedDeath(t, st, claim); got != was {
				t.Fatalf("the date changed to %s", got)
			}
		})
	}

	t.Run("a prior service ending after the new date is refused", func(t *testing.T) {
		st.run(t, "validate", func(ctx context.Context) (commands.Result, error) {
			return st.commands.ValidateHeir(ctx, as(seed.OperatorCF, commands.RoleOperator), commands.ValidateHeir{ClaimID: claim})
		})
		st.run(t, "prior service", func(ctx context.Context) (commands.Result, error) {
			return st.commands.InsertPriorService(ctx, as(heirCF, commands.RoleCitizen), commands.InsertPriorService{ClaimID: claim,
				WorkerCF: seed.WorkerMariaCF, Activity: "lavori_domestici", StartDate: daysAgo(6), EndDate: daysAgo(6), Hours: 2, Vouchers: 2,
				NoKnownEmployment: true,
			})
		})
		resp, body := op.submit(form, form+"/riepilogo", url.Values{"date_of_death": {daysAgo(8)}, "reason": {"Certificato"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "stornala prima") {
			t.Fatalf("status %d\n%s", resp.StatusCode, body)
		}
		if got := recordedDeath(t, st, claim); got != was {
			t.Fatalf("the date changed to %s", got)
		}
	})
}

func TestOnlyOperatorsReachTheDateOfDeathCorrection(t *testing.T) {
	st := newStack(t)
	claim := claimOn(t, st)
	form := "/backoffice/pratiche/" + claim + "/decesso"
	for _, who := range []struct {
		cf   string
		role commands.Role
	}{{heirCF, commands.RoleCitizen}, {seed.AuditorCF, commands.RoleAuditor}} {
		t.Run(string(who.role), func(t *testing.T) {
			b := newBrowser(t, st.srv)
			b.login(who.cf, who.role)
			if resp, body := b.get(form); resp.StatusCode != http.StatusNotFound || strings.Contains(body, deceasedCF) {
				t.Fatalf("GET %s: %d, want the 404 page", form, resp.StatusCode)
			}
			// A POST with a valid session token, as a crafted form would send it.
			tok := b.csrf("/")
			for _, to := range []string{form + "/riepilogo", form} {
				resp, _ := b.post(to, url.Values{"csrf_token": {tok}, "date_of_death": {daysAgo(7)}, "reason": {"x"}})
				if resp.StatusCode != http.StatusNotFound {
					t.Fatalf("POST %s: %d, want 404", to, resp.StatusCode)
				}
			}
			if got := recordedDeath(t, st, claim); got != daysAgo(5) {
				t.Fatalf("the date changed to %s", got)
			}
		})
	}
	t.Run("an unknown claim is 404 for an operator too", func(t *testing.T) {
		b := newBrowser(t, st.srv)
		b.login(seed.OperatorCF, commands.RoleOperator)
		if resp, _ := b.get("/backoffice/pratiche/00000000-0000-0000-0000-000000000000/decesso"); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("status %d, want 404", resp.StatusCode)
		}
	})
}

// heirCFs returns n valid codici fiscali of distinct people born in 1980.
func heirCFs(n int) []string {
	out := make([]string, n)
	for i := range out {
		first15 := fmt.Sprintf("BNCLRA80A%02dH501", i%28+1)
		if i >= 28 {
			first15 = fmt.Sprintf("BNCLRA80B%02dH501", i%28+1)
		}
		out[i] = first15 + string(domain.CFCheckChar(first15))
	}
	return out
}

func TestWorklistPages(t *testing.T) {
	st := newStack(t)
	st.deceasedWithBooklet(t, deceasedCF, 20000, seed.WorkerMariaCF)
	dod := daysAgo(5)
	heirs := heirCFs(worklistPageSize + 2)
	var last commands.Result
	for _, h := range heirs {
		res, err := st.commands.RegisterHeir(context.Background(), as(h, commands.RoleCitizen), commands.RegisterHeir{
			DeceasedCF: deceasedCF, DateOfDeath: dod, HeirKind: "legittimo"})
		if err != nil {
			t.Fatalf("register %s: %v", h, err)
		}
		last = res
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := st.queries.WaitFor(ctx, last.Position); err != nil {
		t.Fatal(err)
	}
	wl, err := st.queries.Worklist(ctx)
	if err != nil {
		t.Fatal(err)
	}
	order := make([]string, len(wl.ClaimsToValidate))
	for i, c := range wl.ClaimsToValidate {
		order[i] = c.ClaimID
	}
	op := operatorOn(t, st)
	rows := regexp.MustCompile(`<a href="/backoffice/pratiche/([0-9a-f-]+)">Esamina`)
	tests := []struct {
		name, query string
		claims      []string
		prev, next  string
	}{
		{"the first page shows the 25 oldest and links the next", "", order[:25], "", "/backoffice?pagina=2"},
		{"the second page shows the rest and links back", "?pagina=2", order[25:], "/backoffice?pagina=1", ""},
		{"a page past the end is the last", "?pagina=9", order[25:], "/backoffice?pagina=1", ""},
		{"a page that is no number is the first", "?pagina=due", order[:25], "", "/backoffice?pagina=2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, page := op.get("/backoffice" + tc.query)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			var got []string
			for _, m := range rows.FindAllStringSubmatch(page, -1) {
				got = append(got, m[1])
			}
			if strings.Join(got, ",") != strings.Join(tc.claims, ",") {
				t.Fatalf("claims %v, want %v", got, tc.claims)
			}
			if !strings.Contains(page, "<strong>27 pratiche</strong> da lavorare") || !strings.Contains(page, "Dichiarazioni di erede da convalidare (27)") {
				t.Fatalf("the count is not 27:\n%s", page)
			}
			for id, want := range map[string]string{"pagina-precedente": tc.prev, "pagina-successiva": tc.next} {
				m := regexp.MustCompile(`id="` + id + `" rel="[a-z]+" href="([^"]+)"`).FindStringSubmatch(page)
				switch {
				case want == "" && m != nil:
					t.Errorf("link %s to %s, want none", id, m[1])
				case want != "" && (m == nil || m[1] != want):
					t.Errorf("link %s: %v, want %s", id, m, want)
				}
			}
		})
	}
}

// wholeWorklist answers WorklistWindow by cutting a whole worklist, read as
// one queue, at offset and limit: what the PostgreSQL window must equal
// (projections.TestWorklistWindowIsASliceOfTheQueue).
type wholeWorklist struct {
	projections.Queries
	wl    projections.Worklist
	reads int
}

func (q *wholeWorklist) WorklistWindow(_ context.Context, offset, limit int) (projections.WorklistWindow, error) {
	q.reads++
	cut := func(start, n int) (lo, hi int) {
		return min(max(offset-start, 0), n), min(max(offset+limit-start, 0), n)
	}
	c, a, p := len(q.wl.ClaimsToValidate), len(q.wl.RefundsToApprove), len(q.wl.RefundsToPay)
	w := projections.WorklistWindow{Totals: [3]int{c, a, p}}
	lo, hi := cut(0, c)
	w.ClaimsToValidate = q.wl.ClaimsToValidate[lo:hi]
	lo, hi = cut(c, a)
	w.RefundsToApprove = q.wl.RefundsToApprove[lo:hi]
	lo, hi = cut(c+a, p)
	w.RefundsToPay = q.wl.RefundsToPay[lo:hi]
	return w, nil
}

// The three lists are one queue cut in pages: a page may end one list and
// start the next, and a list with no rows on the page points at its own.
func TestWorklistPagesCutTheQueue(t *testing.T) {
	t.Parallel()
	claims := make([]projections.WorklistClaim, 20)
	for i := range claims {
		claims[i].ClaimID = fmt.Sprint("c", i)
	}
	refunds := func(prefix string, n int) []projections.WorklistRefund {
		out := make([]projections.WorklistRefund, n)
		for i := range out {
			out[i].RefundID = fmt.Sprint(prefix, i)
		}
		return out
	}
	wl := projections.Worklist{ClaimsToValidate: claims, RefundsToApprove: refunds("a", 10), RefundsToPay: refunds("p", 30)}
	tests := []struct {
		name                 string
		page                 int
		claims, approve, pay int // rows of each list on the page
		firstApprove, first  string
		shown, pages, reads  int
	}{
		{"page 1 ends the claims and starts the approvals", 1, 20, 5, 0, "a0", "c0", 1, 3, 1},
		{"page 2 ends the approvals and starts the payments", 2, 0, 5, 20, "a5", "", 2, 3, 1},
		{"page 3 is the last payments", 3, 0, 0, 10, "", "", 3, 3, 1},
		{"page 0 is the first", 0, 20, 5, 0, "a0", "c0", 1, 3, 1},
		{"a page past the end is the last, read again", 7, 0, 0, 10, "", "", 3, 3, 2},
	}
	for _, tc := range tests {
		q := &wholeWorklist{wl: wl}
		d, err := loadWorklistPage(context.Background(), q, tc.page)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Claims) != tc.claims || len(d.ToApprove) != tc.approve || len(d.ToPay) != tc.pay || d.Page != tc.shown || d.Pages != tc.pages || d.Total != 60 || q.reads != tc.reads {
			t.Errorf("%s: %d/%d/%d rows, page %d of %d, total %d, %d reads", tc.name, len(d.Claims), len(d.ToApprove), len(d.ToPay), d.Page, d.Pages, d.Total, q.reads)
			continue
		}
		if tc.firstApprove != "" && d.ToApprove[0].RefundID != tc.firstApprove {
			t.Errorf("%s: approvals start at %s", tc.name, d.ToApprove[0].RefundID)
		}
		if tc.first != "" && d.Claims[0].ClaimID != tc.first {
			t.Errorf("%s: claims start at %s", tc.name, d.Claims[0].ClaimID)
		}
	}
	if d := layoutWorklist([3]int{20, 10, 30}, 3); [3]int{d.Sections[0].FirstPage, d.Sections[1].FirstPage, d.Sections[2].FirstPage} != [3]int{1, 1, 2} {
		t.Errorf("first pages %v, want [1 1 2]", d.Sections)
	}
	if e, err := loadWorklistPage(context.Background(), &wholeWorklist{}, 4); err != nil || e.Page != 1 || e.Pages != 1 || e.Prev() != 0 || e.Next() != 0 {
		t.Errorf("an empty worklist: page %d of %d (%v)", e.Page, e.Pages, err)
	}
}

func TestADepositWithADecimalDotIsRefusedAndRecordsNothing(t *testing.T) {
	st := newStack(t)
	user := seed.FamilyVerdiCF
	st.run(t, "open the booklet", func(ctx context.Context) (commands.Result, error) {
		return st.commands.RegisterUser(ctx, as(user, commands.RoleCitizen), commands.RegisterUser{})
	})
	op := operatorOn(t, st)
	// "150.00" is 150 € to whoever typed it; read with the dot as the
	// thousands separator it would be 15.000,00 €.
	resp, body := op.submit("/backoffice/versamenti", "/backoffice/versamenti", url.Values{
		"user_cf": {user}, "amount": {"150.00"}, "channel": {"PAGOPA"}, "paid_on": {daysAgo(1)}})
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("status %d, want 422\n%s", resp.StatusCode, body)
	}
	if !strings.Contains(body, `id="f-amount-error"`) || !strings.Contains(body, `value="150.00"`) {
		t.Fatalf("the amount is not refused beside its field with the typed value kept:\n%s", body)
	}
	db, err := st.queries.Dashboard(context.Background(), user, daysAgo(0))
	if err != nil {
		t.Fatal(err)
	}
	if db.Booklet.DepositedCents != 0 {
		t.Fatalf("deposited %d cents, want nothing", db.Booklet.DepositedCents)
	}
	if resp, body := op.submit("/backoffice/versamenti", "/backoffice/versamenti", url.Values{
		"user_cf": {user}, "amount": {"1.500,00"}, "channel": {"PAGOPA"}, "paid_on": {daysAgo(1)}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("a deposit of 1.500,00: %d\n%s", resp.StatusCode, body)
	}
	if _, page := op.get("/backoffice/versamenti"); !strings.Contains(page, "Versamento di 1.500,00 €") {
		t.Fatalf("the flash does not report 1.500,00 €:\n%s", page)
	}
}
