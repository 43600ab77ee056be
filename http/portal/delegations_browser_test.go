package portal

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/commands/seed"
	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/eventstore"
)

// TestDelegateJourneyInTheBrowser is SPEC §9's delegation end to end: an
// elderly user grants a patronato's operator the libretto scope through
// the Deleghe page and its riepilogo; the delegate picks the user in the
// header's switch and records a service on the user's booklet, whose
// stream then names both (actor the delegate, on_behalf_of the user); the
// user revokes the delegation while the delegate's session still has the
// user chosen, and the same page is 404 at the delegate's next request.
func TestDelegateJourneyInTheBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped under -short")
	}
	st := newStack(t)
	const (
		elderly  = "VRDGPP40A01H501K"
		delegate = "BNCLRA70D45F205X" // the patronato's operator, signed in as a citizen
		worker   = seed.WorkerMariaCF
	)
	st.deceasedWithBooklet(t, elderly, 20000, worker) // a living user: the helper only opens, deposits and registers
	today := time.Now().In(rome)
	s := &tab{t: t, ctx: newChrome(t), base: st.srv.URL}

	s.login(elderly, commands.RoleCitizen)
	s.do("grant without a scope",
		chromedp.Navigate(s.base+"/deleghe"),
		chromedp.WaitVisible(chromedp.ID("f-delegate_cf")),
		chromedp.SendKeys(chromedp.ID("f-delegate_cf"), strings.ToLower(delegate)),
		chromedp.SetValue(chromedp.ID("f-expires_on"), today.AddDate(0, 6, 0).Format(time.DateOnly)),
		chromedp.Click(chromedp.CSS(`form[action="/deleghe/riepilogo"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("f-scope-error")),
	)
	s.expect("the scope is asked for beside its field", "#f-scope-error", "almeno un ambito")
	s.do("grant the libretto scope",
		chromedp.Click(chromedp.CSS(`label[for="f-scope-libretto"]`)),
		chromedp.Click(chromedp.CSS(`form[action="/deleghe/riepilogo"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("conferma-delega")),
	)
	s.expect("the riepilogo names the delegate and the scope", "#riepilogo-delega", delegate, "Libretto Famiglia")
	s.do("confirm the delegation",
		chromedp.Click(chromedp.ID("conferma-delega")),
		chromedp.WaitVisible(chromedp.ID("deleghe-concesse")),
	)
	s.expect("the delegation is listed as active", "#deleghe-concesse", delegate, "Attiva")
	s.logout()

	s.login(delegate, commands.RoleCitizen)
	s.expect("the delegate finds the delegation received", "#cambia-persona", elderly)
	s.do("act for the elderly user",
		chromedp.SetValue(chromedp.ID("f-person"), elderly),
		chromedp.Click(chromedp.CSS(`#cambia-persona button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("per-conto-di")),
		chromedp.Navigate(s.base+"/libretto"),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/libretto/prestazioni/nuova"]`)),
	)
	s.expect("the delegate sees the user's booklet", "main", elderly, "200,00 €")
	start := today.AddDate(0, 0, -1).Format(time.DateOnly)
	s.do("record a service for the user",
		chromedp.Click(chromedp.CSS(`a[href="/libretto/prestazioni/nuova"]`)),
		chromedp.WaitVisible(chromedp.ID("f-worker_cf")),
		chromedp.SendKeys(chromedp.ID("f-worker_cf"), worker),
		chromedp.SetValue(chromedp.ID("f-activity"), "assistenza_domiciliare"),
		chromedp.SetValue(chromedp.ID("f-start_date"), start),
		chromedp.SetValue(chromedp.ID("f-end_date"), start),
		chromedp.SendKeys(chromedp.ID("f-hours"), "2"),
		chromedp.SendKeys(chromedp.ID("f-vouchers"), "2"),
		chromedp.Click(chromedp.CSS(`label[for="f-declaration"]`)),
		chromedp.Click(chromedp.CSS(`form[action="/libretto/prestazioni"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(".alert-success")),
	)
	s.expect("the service is on the user's booklet", "main", "Prestazione comunicata", worker)

	// The booklet's stream, as GET /api/v1/audit/streams/booklet-<CF> serves
	// it, names both people on the service.
	events, err := st.store.ReadStream(context.Background(), domain.BookletStream(elderly), eventstore.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var service *eventstore.Event
	for i := range events {
		if events[i].Type == domain.TypeServiceRecorded {
			service = &events[i]
		}
	}
	if service == nil {
		t.Fatalf("no service recorded on %s", domain.BookletStream(elderly))
	}
	if service.Actor.ID != delegate || service.Actor.OnBehalfOf != elderly {
		t.Fatalf("the service's actor is %+v, want %s on behalf of %s", service.Actor, delegate, elderly)
	}

	// The user revokes the delegation (through the portal's confirmation)
	// while the delegate's session still has the user chosen.
	user := newBrowser(t, st.srv)
	user.login(elderly, commands.RoleCitizen)
	_, page := user.get("/deleghe")
	m := regexp.MustCompile(`/deleghe/([^/"]+)/revoca`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no revocation offered on the Deleghe page")
	}
	resp, body := user.get("/deleghe/" + m[1] + "/revoca")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "conferma-revoca-delega") {
		t.Fatalf("the revocation's confirmation: %d", resp.StatusCode)
	}
	resp, _ = user.post("/deleghe/"+m[1]+"/revoca", url.Values{"csrf_token": {user.csrf("/deleghe")}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: status %d", resp.StatusCode)
	}

	s.do("the same page after the revocation",
		chromedp.Navigate(s.base+"/libretto/prestazioni/nuova"),
		chromedp.WaitVisible(chromedp.CSS("main h1")),
	)
	s.expect("a revoked delegate is a stranger", "main h1", "Pagina non trovata")
	if strings.Contains(s.text("the 404 page", "main"), "200,00") {
		t.Fatal("the 404 page shows the user's booklet")
	}
	s.do("the user's booklet after the revocation",
		chromedp.Navigate(s.base+"/libretto"),
		chromedp.WaitVisible(chromedp.CSS("main h1")),
	)
	s.expect("the booklet is not found either", "main h1", "Pagina non trovata")
}
