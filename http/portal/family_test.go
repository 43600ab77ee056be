package portal

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/inps/libretto/commands"
)

func TestFamilyPage(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	parent, child := "RSSMRA80A01H501U", "RSSGLI25A10H501L"
	sys := as("isee-feed", commands.RoleSystem)
	today := time.Now().In(rome)
	born := today.AddDate(0, -2, 0).Format(time.DateOnly)
	s.run(t, "isee", func(ctx context.Context) (commands.Result, error) {
		return s.commands.RecordISEE(ctx, sys, commands.RecordISEE{FamilyCF: parent, ValueCents: 1234567, Protocol: "INPS-ISEE-TEST-1",
			DSUSubmittedOn: today.AddDate(0, 0, -10).Format(time.DateOnly)})
	})
	s.run(t, "child", func(ctx context.Context) (commands.Result, error) {
		return s.commands.RecordChild(ctx, sys, commands.RecordChild{FamilyCF: parent, ChildCF: child, BirthDate: born, Disability: "grave"})
	})
	s.run(t, "application", func(ctx context.Context) (commands.Result, error) {
		return s.commands.RecordApplication(ctx, sys, commands.RecordApplication{FamilyCF: parent, ApplicationID: "AUU-77", Benefit: "AUU",
			SubmittedOn: today.AddDate(0, 0, -5).Format(time.DateOnly), Status: "approved"})
	})
	s.run(t, "payment", func(ctx context.Context) (commands.Result, error) {
		return s.commands.RecordBenefitPayment(ctx, sys, commands.RecordBenefitPayment{FamilyCF: parent, ApplicationID: "AUU-77",
			AmountCents: 43210, PaidOn: today.Format(time.DateOnly)})
	})

	b := newBrowser(t, s.srv)
	if resp, _ := b.get("/famiglia"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the family page needs a login: status %d", resp.StatusCode)
	}
	b.login(parent, commands.RoleCitizen)
	resp, body := b.get("/famiglia")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d\n%s", resp.StatusCode, body)
	}
	for _, want := range []string{
		"12.345,67 €", "INPS-ISEE-TEST-1", "Data di presentazione della DSU", // ISEE with its DSU date
		child, "2 mesi", "Disabilità grave", // the child with age
		"Assegno Unico Universale", "accolta", "AUU-77", // the application and its status
		"432,10 €",                                                 // the payment
		"Chiedi il bonus nuovi nati", "Chiedi il bonus asilo nido", // suggestions with links
		`href="/simulatori/bonus-nido"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the family page lacks %q", want)
		}
	}
	if _, home := b.get("/"); !strings.Contains(home, `href="/famiglia"`) {
		t.Error("the home page has no card for the Portale delle Famiglie")
	}
}

func TestSimulatorPages(t *testing.T) {
	t.Parallel()
	srv := newTestPortal(t, nil)
	b := newBrowser(t, srv)
	inline := regexp.MustCompile(`(?i)<script>|<script [^>]*>[^<]|\sstyle=|\son[a-z]+=`)
	tests := []struct {
		name, path string
		want       []string
	}{
		{"the AUU form opens on the current year", "/simulatori/auu", []string{`<option value="2026" selected>`, "Figlio 6: data di nascita"}},
		{"the AUU result shows the base and the under-one increment", "/simulatori/auu?" + url.Values{
			"calcola": {"1"}, "anno": {"2026"}, "isee": {"15.000,00"}, "nascita1": {"2026-01-05"}, "disabilita1": {"none"},
		}.Encode(), []string{"305,70 €", "203,80 €", "Figlio con meno di un anno (&#43;50%): <span class=\"amount\">101,90 €"}},
		{"no ISEE pays the minimum", "/simulatori/auu?" + url.Values{
			"calcola": {"1"}, "anno": {"2025"}, "nascita1": {"2015-01-05"},
		}.Encode(), []string{`id="totale-mensile">57,50 €`}},
		{"a malformed ISEE is shown beside its field", "/simulatori/auu?" + url.Values{
			"calcola": {"1"}, "anno": {"2025"}, "isee": {"tanti"}, "nascita1": {"2015-01-05"},
		}.Encode(), []string{"Indica l&#39;ISEE in euro"}},
		{"no child is asked for beside the first child's birth date", "/simulatori/auu?" + url.Values{
			"calcola": {"1"}, "anno": {"2026"},
		}.Encode(), []string{`id="f-nascita1-error" class="invalid-feedback">Indica la data di nascita di almeno un figlio.`, `aria-describedby="f-nascita1-error"`}},
		{"a malformed birth date is shown beside its child", "/simulatori/auu?" + url.Values{
			"calcola": {"1"}, "anno": {"2026"}, "nascita1": {"2015-01-05"}, "nascita2": {"2020-13-45"},
		}.Encode(), []string{`id="f-nascita2-error" class="invalid-feedback">Indica una data valida`, `value="2020-13-45"`}},
		{"a birth date in the future is shown beside its child", "/simulatori/auu?" + url.Values{
			"calcola": {"1"}, "anno": {"2026"}, "nascita1": {"2015-01-05"}, "nascita3": {"2099-01-05"},
		}.Encode(), []string{`id="f-nascita3-error" class="invalid-feedback">La data non può essere nel futuro.`, `value="2099-01-05"`}},
		{"the bonus nido result shows the 11 instalments", "/simulatori/bonus-nido?" + url.Values{
			"calcola": {"1"}, "anno": {"2026"}, "isee": {"30000"}, "nascita": {"2025-06-01"},
		}.Encode(), []string{`id="totale-annuo">3.600,00 €`, "327,27 €", "327,30 €"}},
		{"a child over three is not eligible", "/simulatori/bonus-nido?" + url.Values{
			"calcola": {"1"}, "anno": {"2026"}, "nascita": {"2020-06-01"},
		}.Encode(), []string{"la prestazione non spetta"}},
		{"the parameters page lists every source", "/simulatori", []string{"circ. INPS 33/2025", "circ. INPS 7/2026", "L. 213/2023"}},
		{"the assistant answers with the passage and its links", "/assistente?domanda=" + url.QueryEscape("Entro quando devo comunicare la prestazione?"),
			[]string{"Entro quando si comunica una prestazione", `href="/libretto"`}},
		{"the assistant says when it does not know", "/assistente?domanda=carbonara", []string{"Non ho trovato una risposta"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := b.get(tt.path)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d\n%s", resp.StatusCode, body)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("%s lacks %q\n%s", tt.path, w, body)
				}
			}
			if m := inline.FindString(body); m != "" {
				t.Errorf("%s has inline code %q, which the CSP blocks", tt.path, m)
			}
		})
	}
}
