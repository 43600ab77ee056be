package portal

import (
	"context"
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/commands/seed"
)

// TestHeirSeesTheDeceasedsServicesInTheBrowser is SPEC §9's "what the
// deceased left": from the claim's page the heir opens the deceased's
// booklet, finds the service the deceased recorded (with its status) and
// the deposit, and only then inserts a prior service the booklet lacks.
// Once the claim is rejected the same page is 404.
func TestHeirSeesTheDeceasedsServicesInTheBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped under -short")
	}
	st := newStack(t)
	const (
		deceased = "RSSGNN50A01H501H"
		heir     = "RSSPLA80A01H501T"
		worker   = seed.WorkerMariaCF
	)
	st.deceasedWithBooklet(t, deceased, 30000, worker)
	st.run(t, "the deceased records a service", func(ctx context.Context) (commands.Result, error) {
		return st.commands.RecordService(ctx, as(deceased, commands.RoleCitizen), commands.RecordService{
			WorkerCF: worker, Activity: "assistenza_domiciliare", StartDate: daysAgo(2), EndDate: daysAgo(2),
			Hours: 3, Vouchers: 3, NoRecentEmployment: true,
		})
	})
	claim := st.run(t, "register heir", func(ctx context.Context) (commands.Result, error) {
		return st.commands.RegisterHeir(ctx, as(heir, commands.RoleCitizen), commands.RegisterHeir{
			DeceasedCF: deceased, DateOfDeath: daysAgo(1), HeirKind: "legittimo",
		})
	}).ID
	s := &tab{t: t, ctx: newChrome(t), base: st.srv.URL}

	s.login(heir, commands.RoleCitizen)
	s.do("open the deceased's booklet from the claim",
		chromedp.Navigate(s.base+"/erede/pratiche/"+claim),
		chromedp.Click(chromedp.ID("vedi-libretto")),
		chromedp.WaitVisible(chromedp.ID("prestazioni-defunto")),
	)
	s.expect("the deceased's service is listed with its status", "#prestazioni-defunto",
		worker, "Assistenza domiciliare", "Comunicata, da pagare", "Il titolare")
	s.expect("the deposit is listed", "#versamenti-defunto", "300,00 €", "Accreditato")
	s.do("insert a prior service the booklet lacks",
		chromedp.Click(chromedp.ID("inserisci-pregressa")),
		chromedp.WaitVisible(chromedp.ID("f-worker_cf")),
		chromedp.SendKeys(chromedp.ID("f-worker_cf"), worker),
		chromedp.SetValue(chromedp.ID("f-activity"), "lavori_domestici"),
		chromedp.SetValue(chromedp.ID("f-start_date"), daysAgo(8)),
		chromedp.SetValue(chromedp.ID("f-end_date"), daysAgo(8)),
		chromedp.SendKeys(chromedp.ID("f-hours"), "2"),
		chromedp.SendKeys(chromedp.ID("f-vouchers"), "2"),
		chromedp.Click(chromedp.CSS(`label[for="f-declaration"]`)),
		chromedp.Click(chromedp.CSS(`form[action$="/prestazioni"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(".alert-success")),
	)
	s.do("the booklet now holds both",
		chromedp.Navigate(s.base+"/erede/pratiche/"+claim+"/libretto"),
		chromedp.WaitVisible(chromedp.ID("prestazioni-defunto")),
	)
	s.expect("the prior service is on the booklet, inserted by an heir", "#prestazioni-defunto", "Lavori domestici", "Un erede")

	st.run(t, "reject the heir", func(ctx context.Context) (commands.Result, error) {
		return st.commands.RejectHeir(ctx, as(seed.OperatorCF, commands.RoleOperator), commands.RejectHeir{ClaimID: claim, Reason: "non risulta erede"})
	})
	b := newBrowser(t, st.srv)
	b.login(heir, commands.RoleCitizen)
	if resp, _ := b.get("/erede/pratiche/" + claim + "/libretto"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("a rejected heir reads the deceased's booklet: %d, want 404", resp.StatusCode)
	}
}
