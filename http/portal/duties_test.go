package portal

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/commands/seed"
)

// Separation of duties in the back office (SPEC §8): the refund page and the
// payment's riepilogo say who approved the refund; beside the button they
// tell the approver that another operator records the payment, and an
// operator who is a party that another operator must act; a POST anyway is
// refused by the same rule and changes nothing.

// refusedNote checks that the button id is disabled and tied to a note
// saying want.
func refusedNote(t *testing.T, page, button, want string) {
	t.Helper()
	m := regexp.MustCompile(`<button[^>]*id="` + button + `"[^>]*>`).FindString(page)
	if m == "" || !strings.Contains(m, "disabled") {
		t.Fatalf("button %s is not disabled: %q\n%s", button, m, page)
	}
	note := regexp.MustCompile(`aria-describedby="([^"]+)"`).FindStringSubmatch(m)
	if note == nil {
		t.Fatalf("button %s has no note: %q", button, m)
	}
	text := regexp.MustCompile(`id="` + note[1] + `"[^>]*>([^<]*)<`).FindStringSubmatch(page)
	if text == nil || !strings.Contains(unescape(text[1]), want) {
		t.Fatalf("the note beside %s does not say %q:\n%s", button, want, page)
	}
}

func unescape(s string) string {
	return strings.NewReplacer("&#39;", "'", "&amp;", "&", "&quot;", `"`).Replace(s)
}

func TestTheApproverIsToldAnotherOperatorRecordsThePayment(t *testing.T) {
	st := newStack(t)
	claim, refund := refundOn(t, st, true) // approved by seed.Operator2CF
	page := "/backoffice/rimborsi/" + refund
	paid := page + "/pagato"
	approver := newBrowser(t, st.srv)
	approver.login(seed.Operator2CF, commands.RoleOperator)

	_, body := approver.get(page)
	if !strings.Contains(body, `id="approvato-da">`+seed.Operator2CF+`<`) {
		t.Fatalf("the refund page does not say who approved it:\n%s", body)
	}
	refusedNote(t, body, "prosegui-pagamento", "un altro operatore")
	if _, wl := approver.get("/backoffice"); !strings.Contains(wl, seed.Operator2CF) {
		t.Fatalf("the worklist does not show the approver:\n%s", wl)
	}

	values := url.Values{"paid_on": {daysAgo(1)}, "bank_reference": {"CRO-1"}}
	for _, to := range []string{paid + "/riepilogo", paid} { // the riepilogo, and Conferma posted anyway
		before := logLength(t, st)
		resp, body := approver.submit(page, to, values)
		if resp.StatusCode != http.StatusConflict || !strings.Contains(unescape(body), "quattro occhi") || strings.Contains(body, `id="conferma-pagamento"`) {
			t.Fatalf("POST %s by the approver: %d\n%s", to, resp.StatusCode, body)
		}
		if logLength(t, st) != before || refundStatus(t, st, claim) != "approved" {
			t.Fatalf("POST %s by the approver changed the refund", to)
		}
	}

	other := operatorOn(t, st)
	_, body = other.get(page)
	if strings.Contains(body, "quattro occhi") || strings.Contains(body, `id="prosegui-pagamento" disabled`) {
		t.Fatalf("another operator is refused:\n%s", body)
	}
	confirmFlow(t, st, other, page, paid+"/riepilogo", paid, "conferma-pagamento", values,
		[]string{`id="approvato-da">` + seed.Operator2CF + `<`}, "/backoffice")
	if got := refundStatus(t, st, claim); got != "paid" {
		t.Fatalf("refund %s, want paid", got)
	}
}

func TestAnOperatorWhoIsThePartyIsToldAnotherOperatorMustAct(t *testing.T) {
	st := newStack(t)
	claim, refund := refundOn(t, st, false)
	page := "/backoffice/rimborsi/" + refund
	heirOp := newBrowser(t, st.srv)
	heirOp.login(heirCF, commands.RoleOperator) // the heir, signed in as an operator
	_, body := heirOp.get(page)
	refusedNote(t, body, "approva", "Conflitto di interessi")
	refusedNote(t, body, "respingi", "Conflitto di interessi")
	for _, to := range []string{page + "/approva/riepilogo", page + "/approva"} {
		before := logLength(t, st)
		resp, body := heirOp.submit(page, to, url.Values{})
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "Conflitto di interessi") || strings.Contains(body, `id="conferma-approvazione"`) {
			t.Fatalf("POST %s by the heir: %d\n%s", to, resp.StatusCode, body)
		}
		if logLength(t, st) != before || refundStatus(t, st, claim) != "requested" {
			t.Fatalf("POST %s by the heir changed the refund", to)
		}
	}
}

func TestAnOperatorWhoIsTheHeirCannotValidateTheirOwnClaim(t *testing.T) {
	st := newStack(t)
	claim := claimOn(t, st)
	page := "/backoffice/pratiche/" + claim
	heirOp := newBrowser(t, st.srv)
	heirOp.login(heirCF, commands.RoleOperator)
	_, body := heirOp.get(page)
	refusedNote(t, body, "convalida", "Conflitto di interessi")
	refusedNote(t, body, "respingi-pratica", "Conflitto di interessi")
	for _, c := range []struct {
		to     string
		values url.Values
	}{{page + "/convalida", url.Values{}}, {page + "/rifiuta/riepilogo", url.Values{"reason": {"x"}}}, {page + "/rifiuta", url.Values{"reason": {"x"}}}} {
		before := logLength(t, st)
		resp, body := heirOp.submit(page, c.to, c.values)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "Conflitto di interessi") {
			t.Fatalf("POST %s by the heir: %d\n%s", c.to, resp.StatusCode, body)
		}
		if logLength(t, st) != before {
			t.Fatalf("POST %s by the heir appended", c.to)
		}
	}
	// Another operator sees the buttons enabled.
	if _, body := operatorOn(t, st).get(page); strings.Contains(body, "Conflitto di interessi") {
		t.Fatalf("another operator is told of a conflict:\n%s", body)
	}
}
