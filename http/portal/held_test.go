package portal

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/commands/seed"
)

// TestPriorServicesWaitForValidationOnThePortal pins SPEC §8 on the portal:
// the heir's claim page and the confirmation of a prior service say that it
// waits for the operator's validation before being paid; the operator's
// claim page lists the claim's prior services with their amount, state and
// whether they are held, and the riepilogo of a rejection lists the ones
// reversed with it.
func TestPriorServicesWaitForValidationOnThePortal(t *testing.T) {
	st := newStack(t)
	claim := claimOn(t, st)
	heir := newBrowser(t, st.srv)
	heir.login(heirCF, commands.RoleCitizen)
	const waits = "in attesa di validazione"
	page := "/erede/pratiche/" + claim
	if _, body := heir.get(page); !strings.Contains(body, waits) {
		t.Fatalf("the claim page of a registered claim does not say prior services wait for validation:\n%s", body)
	}
	if _, body := heir.get(page + "/prestazioni/nuova"); !strings.Contains(body, waits) {
		t.Fatalf("the prior-service form does not say it waits for validation:\n%s", body)
	}
	resp, body := heir.submit(page+"/prestazioni/nuova", page+"/prestazioni", url.Values{"worker_cf": {seed.WorkerMariaCF}, "activity": {"lavori_domestici"},
		"start_date": {daysAgo(8)}, "end_date": {daysAgo(7)}, "hours": {"2"}, "vouchers": {"2"}, "declaration": {"1"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("insert: %d\n%s", resp.StatusCode, body)
	}
	_, body = heir.get(page)
	for _, want := range []string{"Prestazione pregressa inserita, in attesa di validazione", "<caption>Prestazioni pregresse inserite con questa pratica</caption>",
		"<strong>In attesa di validazione</strong>", "20,00 €"} {
		if !strings.Contains(body, want) {
			t.Fatalf("the claim page after the insertion lacks %q:\n%s", want, body)
		}
	}

	op := operatorOn(t, st)
	bo := "/backoffice/pratiche/" + claim
	_, body = op.get(bo)
	for _, want := range []string{`id="pregresse-regola"`, "<caption>Prestazioni pregresse inserite con questa pratica</caption>", `<th scope="col">Trattenuta</th>`,
		seed.WorkerMariaCF, "20,00 €", "<strong>Sì</strong>, in attesa di convalida", "stornate le prestazioni pregresse non ancora pagate"} {
		if !strings.Contains(body, want) {
			t.Fatalf("the operator's claim page lacks %q:\n%s", want, body)
		}
	}
	resp, body = op.submit(bo, bo+"/rifiuta/riepilogo", url.Values{"reason": {"non è erede"}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="pregresse-stornate"`) || !strings.Contains(body, seed.WorkerMariaCF) {
		t.Fatalf("the riepilogo of the rejection does not list the prior service reversed with it: %d\n%s", resp.StatusCode, body)
	}

	st.run(t, "validate", func(ctx context.Context) (commands.Result, error) {
		return st.commands.ValidateHeir(ctx, as(seed.OperatorCF, commands.RoleOperator), commands.ValidateHeir{ClaimID: claim})
	})
	if _, body = op.get(bo); !strings.Contains(body, "<td>No</td>") || strings.Contains(body, "in attesa di convalida") {
		t.Fatalf("a validated claim's prior service is still shown held:\n%s", body)
	}
	if _, body = heir.get(page); strings.Contains(body, waits) || strings.Contains(body, "In attesa di validazione") {
		t.Fatalf("a validated claim's page still says its services wait:\n%s", body)
	}
}

// TestADateBeforeTheLibrettoIsRefusedBesideItsField: the portal's
// riepilogo pages refuse, beside the field, a date the command would refuse
// as before 2017-07-10, and a prior service's start date is refused beside
// it by the command.
func TestADateBeforeTheLibrettoIsRefusedBesideItsField(t *testing.T) {
	st := newStack(t)
	claim := claimOn(t, st)
	const before = "anteriore al 10/07/2017"
	op := operatorOn(t, st)
	resp, body := op.submit("/backoffice/versamenti", "/backoffice/versamenti/riepilogo", url.Values{"user_cf": {deceasedCF}, "amount": {"10"}, "channel": {"F24"}, "paid_on": {"2017-07-09"}})
	refusedBeside(t, resp, body, "paid_on", before)
	bo := "/backoffice/pratiche/" + claim + "/decesso"
	resp, body = op.submit(bo, bo+"/riepilogo", url.Values{"date_of_death": {"2009-01-01"}, "reason": {"certificato"}})
	refusedBeside(t, resp, body, "date_of_death", before)
	heir := newBrowser(t, st.srv)
	heir.login(heirCF, commands.RoleCitizen)
	page := "/erede/pratiche/" + claim
	resp, body = heir.submit(page+"/prestazioni/nuova", page+"/prestazioni", url.Values{"worker_cf": {seed.WorkerMariaCF}, "activity": {"lavori_domestici"},
		"start_date": {"2009-01-01"}, "end_date": {daysAgo(7)}, "hours": {"2"}, "vouchers": {"2"}, "declaration": {"1"}})
	refusedBeside(t, resp, body, "start_date", before)
}
