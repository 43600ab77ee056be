package portal

import (
	"context"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/inps/libretto/commands"
)

// TestFamilyScreenshots saves PNGs of the Portale delle Famiglie pages into
// $PORTAL_SCREENSHOTS, for people to look at; it does nothing without it.
func TestFamilyScreenshots(t *testing.T) {
	dir := os.Getenv("PORTAL_SCREENSHOTS")
	if dir == "" {
		t.Skip("set PORTAL_SCREENSHOTS=dir to save screenshots of the pages")
	}
	st := newStack(t)
	parent := "RSSMRA80A01H501U"
	sys := as("isee-feed", commands.RoleSystem)
	now := time.Now().In(rome)
	day := func(months, days int) string { return now.AddDate(0, months, days).Format(time.DateOnly) }
	st.run(t, "isee", func(ctx context.Context) (commands.Result, error) {
		return st.commands.RecordISEE(ctx, sys, commands.RecordISEE{FamilyCF: parent, ValueCents: 1823450, Protocol: "INPS-ISEE-2026-00012345A-00",
			DSUSubmittedOn: day(-2, 0), ValidUntil: day(0, 20)})
	})
	for _, c := range []commands.RecordChild{
		{FamilyCF: parent, ChildCF: "RSSGLI25A10H501L", BirthDate: day(-2, 0)},
		{FamilyCF: parent, ChildCF: "RSSLCU23C15H501R", BirthDate: day(-28, 0), Disability: "media"},
		{FamilyCF: parent, ChildCF: "RSSMTT20E05H501A", BirthDate: day(-70, 0)},
	} {
		st.run(t, "child", func(ctx context.Context) (commands.Result, error) { return st.commands.RecordChild(ctx, sys, c) })
	}
	st.run(t, "application", func(ctx context.Context) (commands.Result, error) {
		return st.commands.RecordApplication(ctx, sys, commands.RecordApplication{FamilyCF: parent, ApplicationID: "AUU-2026-0042",
			Benefit: "AUU", SubmittedOn: day(-1, -10), Status: "approved", ChangedOn: day(-1, -2)})
	})
	st.run(t, "payment", func(ctx context.Context) (commands.Result, error) {
		return st.commands.RecordBenefitPayment(ctx, sys, commands.RecordBenefitPayment{FamilyCF: parent, PaymentID: "P1",
			ApplicationID: "AUU-2026-0042", AmountCents: 61890, PaidOn: day(0, -5)})
	})

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
	shot("family-auu", "/simulatori/auu?"+url.Values{"calcola": {"1"}, "anno": {"2026"}, "isee": {"18.234,50"},
		"nascita1": {day(-2, 0)}, "nascita2": {day(-28, 0)}, "disabilita2": {"media"}, "nascita3": {day(-70, 0)}}.Encode())
	shot("family-nido", "/simulatori/bonus-nido?"+url.Values{"calcola": {"1"}, "anno": {"2026"}, "isee": {"18234,50"}, "nascita": {day(-2, 0)}}.Encode())
	shot("family-assistant", "/assistente?domanda="+url.QueryEscape("Come presento la DSU per l'ISEE?"))
	s.login(parent, commands.RoleCitizen)
	shot("family-home-citizen", "/")
	shot("family-home", "/famiglia")
	shot("family-simulators", "/simulatori")
}
