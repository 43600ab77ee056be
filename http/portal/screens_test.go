package portal

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/commands/seed"
)

// TestScreenshots saves a PNG of every kind of page, on the real stack with
// the demo data, into $PORTAL_SCREENSHOTS, for people to look at; it does
// nothing without that variable.
func TestScreenshots(t *testing.T) {
	dir := os.Getenv("PORTAL_SCREENSHOTS")
	if dir == "" {
		t.Skip("set PORTAL_SCREENSHOTS=dir to save screenshots of the pages")
	}
	st := newStack(t)
	ctx := context.Background()
	if err := seed.Seed(ctx, st.commands, time.Now(), seed.WaitFor(st.queries.WaitFor)); err != nil {
		t.Fatal(err)
	}
	head, err := st.store.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.queries.WaitFor(ctx, head.Position); err != nil {
		t.Fatal(err)
	}
	s := &tab{t: t, ctx: newChrome(t), base: st.srv.URL}
	shot := func(name, path string) {
		t.Helper()
		s.do("open "+path, chromedp.Navigate(s.base+path), chromedp.WaitVisible(chromedp.CSS("footer")))
		p, err := screenshot(s.ctx, dir, name)
		if err != nil {
			t.Fatal(err)
		}
		t.Log(p)
	}
	firstLink := func(css string) string {
		attrs, err := chromedp.Run(s.ctx, chromedp.Attributes(chromedp.CSS(css)))
		if err != nil {
			failWithScreenshot(t, s.ctx, "find "+css, err)
		}
		return attrs["href"]
	}

	shot("home-anonymous", "/")
	shot("login", "/accedi")

	s.login(seed.HeirLauraCF, commands.RoleCitizen)
	shot("home-citizen", "/")
	shot("heir-home", "/erede")
	claim := firstLink(`main table a[href^="/erede/pratiche/"]`)
	shot("heir-claim", claim)
	shot("heir-history", claim+"/storico")
	shot("heir-summary", "/erede/riepilogo")
	shot("heir-claim-new", "/erede/pratiche/nuova")
	s.do("submit an empty claim", chromedp.Click(chromedp.CSS(`form[action="/erede/pratiche"] button[type="submit"]`)), chromedp.WaitVisible(chromedp.ID("riepilogo-errori")))
	if p, err := screenshot(s.ctx, dir, "heir-claim-errors"); err == nil {
		t.Log(p)
	}
	shot("heir-prior-service", claim+"/prestazioni/nuova")
	s.logout()

	s.login(seed.FamilyVerdiCF, commands.RoleCitizen)
	shot("user-dashboard", "/libretto")
	shot("user-service-new", "/libretto/prestazioni/nuova")
	s.do("mobile", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	shot("user-dashboard-mobile", "/libretto")
	s.do("desktop", chromedp.EmulateViewport(1280, 900))
	s.logout()

	s.login(seed.WorkerMariaCF, commands.RoleCitizen)
	shot("worker-statement", "/prestatore")
	s.logout()
	s.login(seed.WorkerGiovanniCF, commands.RoleCitizen) // paid by bonifico domiciliato: his payslips show the fee
	shot("worker-payslip", firstLink(`#prospetti-paga a:not([download])`))
	s.logout()

	s.login(seed.OperatorCF, commands.RoleOperator)
	shot("bo-worklist", "/backoffice")
	shot("bo-claim", firstLink(`#da-convalidare a`))
	shot("bo-death", firstLink(`#rettifica-decesso`))
	shot("bo-worklist", "/backoffice")
	shot("bo-refund", firstLink(`#da-approvare a`))
	shot("bo-reverse", "/backoffice/storno")
	shot("bo-payroll", "/backoffice/pagamenti")
	s.logout()

	s.login(seed.AuditorCF, commands.RoleAuditor)
	shot("audit-home", "/audit")
	shot("audit-claim", firstLink(`main ul:nth-of-type(2) a[href^="/audit/pratiche/"]`))
	shot("audit-verify", "/audit/verifica?esegui=1")
}
