package portal

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/commands/seed"
)

// A browser session of one test: every step that fails saves a screenshot
// and names its path.
type tab struct {
	t    *testing.T
	ctx  context.Context
	base string
}

func (s *tab) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.ctx, 90*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		failWithScreenshot(s.t, s.ctx, step, err)
	}
}

func (s *tab) text(step, css string) string {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.ctx, 90*time.Second)
	defer cancel()
	txt, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css)))
	if err != nil {
		failWithScreenshot(s.t, s.ctx, step, err)
	}
	return txt
}

func (s *tab) value(step, css string) string {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.ctx, 90*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(css)))
	if err != nil {
		failWithScreenshot(s.t, s.ctx, step, err)
	}
	return v
}

func (s *tab) expect(step, css string, wants ...string) {
	s.t.Helper()
	got := s.text(step, css)
	for _, w := range wants {
		if !strings.Contains(got, w) {
			failWithScreenshot(s.t, s.ctx, step, fmt.Errorf("%s: want %q in %q", css, w, got))
		}
	}
}

// login signs in through the dev login's free codice fiscale form, with the
// keyboard-reachable radio labels.
func (s *tab) login(cf string, role commands.Role) {
	s.t.Helper()
	s.do("login as "+cf,
		chromedp.Navigate(s.base+"/accedi"),
		chromedp.WaitVisible(chromedp.ID("f-cf")),
		chromedp.SendKeys(chromedp.ID("f-cf"), cf),
		chromedp.Click(chromedp.CSS(`label[for="f-role-`+string(role)+`"]`)),
		chromedp.Click(chromedp.CSS(`form[novalidate][action="/accedi"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(".card-activity")),
	)
}

func (s *tab) logout() {
	s.t.Helper()
	s.do("logout",
		chromedp.Click(chromedp.CSS(`form[action="/esci"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`main a[href="/accedi"]`)),
	)
}

// TestHeirJourneyInTheBrowser is the heir section end to end on the real
// stack: an heir registers a claim (after a refused date), inserts a prior
// service (after forgetting the declaration), requests the refund through
// the confirmation step; an operator validates the claim and approves the
// refund; the heir finds it all in the riepilogo.
func TestHeirJourneyInTheBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped under -short")
	}
	st := newStack(t)
	const (
		deceased = "RSSGNN50A01H501H"
		heir     = "RSSPLA80A01H501T"
		worker   = seed.WorkerMariaCF
		iban     = "IT60X0542811101000000123456"
	)
	st.deceasedWithBooklet(t, deceased, 50000, worker)
	death := time.Now().AddDate(0, 0, -10)
	s := &tab{t: t, ctx: newChrome(t), base: st.srv.URL}

	s.login(heir, commands.RoleCitizen)
	s.do("open the claim form",
		chromedp.Navigate(s.base+"/erede"),
		chromedp.Click(chromedp.CSS(`a[href="/erede/pratiche/nuova"]`)),
		chromedp.WaitVisible(chromedp.ID("f-deceased_cf")),
		chromedp.SendKeys(chromedp.ID("f-deceased_cf"), strings.ToLower(deceased)),
		chromedp.SetValue(chromedp.ID("f-date_of_death"), time.Now().AddDate(0, 0, 2).Format(time.DateOnly)),
		chromedp.Click(chromedp.CSS(`label[for="f-heir_kind-legittimo"]`)),
		chromedp.Click(chromedp.CSS(`form[action="/erede/pratiche"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("f-date_of_death-error")),
	)
	s.expect("a future date of death is refused beside its field", "#f-date_of_death-error", "futuro")
	if got := s.value("the typed codice fiscale is kept", "#f-deceased_cf"); got != deceased {
		t.Fatalf("deceased CF after the error: %q, want %q", got, deceased)
	}
	s.do("register the claim",
		chromedp.SetValue(chromedp.ID("f-date_of_death"), death.Format(time.DateOnly)),
		chromedp.Click(chromedp.CSS(`form[action="/erede/pratiche"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href$="/prestazioni/nuova"]`)),
	)
	s.expect("the claim awaits validation", "main", "In attesa di verifica", "500,00 €")

	s.do("insert a prior service without the declaration",
		chromedp.Click(chromedp.CSS(`a[href$="/prestazioni/nuova"]`)),
		chromedp.WaitVisible(chromedp.ID("f-worker_cf")),
		chromedp.SendKeys(chromedp.ID("f-worker_cf"), worker),
		chromedp.SetValue(chromedp.ID("f-activity"), "lavori_domestici"),
		chromedp.SetValue(chromedp.ID("f-start_date"), death.AddDate(0, 0, -3).Format(time.DateOnly)),
		chromedp.SetValue(chromedp.ID("f-end_date"), death.AddDate(0, 0, -1).Format(time.DateOnly)),
		chromedp.SendKeys(chromedp.ID("f-hours"), "2,5"),
		chromedp.SendKeys(chromedp.ID("f-vouchers"), "3"),
		chromedp.Click(chromedp.CSS(`form[action$="/prestazioni"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("f-declaration-error")),
	)
	if got := s.value("the hours typed are kept", "#f-hours"); got != "2,5" {
		t.Fatalf("hours after the error: %q", got)
	}
	s.do("insert the prior service with the declaration",
		chromedp.Click(chromedp.CSS(`label[for="f-declaration"]`)),
		chromedp.Click(chromedp.CSS(`form[action$="/prestazioni"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href$="/rimborso"]`)),
	)
	s.expect("the prior service is listed", "main", "Prestazione pregressa inserita", worker, "470,00 €")

	s.do("ask for the refund",
		chromedp.Click(chromedp.CSS(`a[href$="/rimborso"]`)),
		chromedp.WaitVisible(chromedp.ID("f-iban")),
		chromedp.SendKeys(chromedp.ID("f-iban"), "IT60 X054 2811 1010 0000 0123 456"),
		chromedp.Click(chromedp.CSS(`form[action$="/rimborso/riepilogo"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("conferma-rimborso")),
	)
	s.expect("the confirmation shows amount and IBAN", "#riepilogo-rimborso", "470,00 €", iban)
	s.do("confirm the refund with the keyboard",
		chromedp.Focus(chromedp.ID("conferma-rimborso")),
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(".alert-success")),
	)
	s.expect("the refund is requested", "main", "Rimborso di 470,00 € richiesto", "Richiesto, in attesa di approvazione")
	s.logout()

	s.login(seed.OperatorCF, commands.RoleOperator)
	s.do("validate the claim",
		chromedp.Navigate(s.base+"/backoffice"),
		chromedp.Click(chromedp.CSS(`#da-convalidare a`)),
		chromedp.WaitVisible(chromedp.ID("convalida")),
		chromedp.SendKeys(chromedp.ID("f-note"), "Verificata con l'anagrafe"),
		chromedp.Click(chromedp.ID("convalida")),
		chromedp.WaitVisible(chromedp.CSS(".alert-success")),
	)
	s.expect("the claim left the validation list", "main", "Nessuna dichiarazione da convalidare")
	s.do("approve the refund",
		chromedp.Click(chromedp.CSS(`#da-approvare a`)),
		chromedp.WaitVisible(chromedp.ID("approva")),
		chromedp.Click(chromedp.ID("approva")),
		chromedp.WaitVisible(chromedp.ID("conferma-approvazione")),
		chromedp.Click(chromedp.ID("conferma-approvazione")),
		chromedp.WaitVisible(chromedp.CSS(".alert-success")),
	)
	s.expect("the refund waits for payment", "#da-pagare", heir, "470,00 €")
	s.logout()

	s.login(heir, commands.RoleCitizen)
	s.do("open the riepilogo",
		chromedp.Navigate(s.base+"/erede/riepilogo"),
		chromedp.WaitVisible(chromedp.ID("riepilogo")),
	)
	s.expect("the heir sees every operation", "#riepilogo",
		"Pratica erede registrata", "Prestazione pregressa inserita", "Rimborso richiesto",
		"Dichiarazione di erede convalidata", "Rimborso approvato", "470,00 €", deceased)
}
