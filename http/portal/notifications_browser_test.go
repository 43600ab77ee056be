package portal

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/commands/seed"
)

// TestTheBellCountsUnreadNotificationsInTheBrowser: a worker on whom two
// services were recorded sees 2 on the bell; opening Notifiche and reading
// one leaves 1, reading the other clears the bell.
func TestTheBellCountsUnreadNotificationsInTheBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped under -short")
	}
	st := newStack(t)
	user := heirCFs(40)[39]
	today := time.Now().In(rome).Format(time.DateOnly)
	st.run(t, "register worker", func(ctx context.Context) (commands.Result, error) {
		return st.commands.RegisterWorker(ctx, as(seed.WorkerMariaCF, commands.RoleCitizen), commands.RegisterWorker{})
	})
	st.run(t, "register user", func(ctx context.Context) (commands.Result, error) {
		return st.commands.RegisterUser(ctx, as(user, commands.RoleCitizen), commands.RegisterUser{})
	})
	st.run(t, "deposit", func(ctx context.Context) (commands.Result, error) {
		return st.commands.RecordDeposit(ctx, as("pagopa-feed", commands.RoleSystem), commands.RecordDeposit{UserCF: user, AmountCents: 10000, Channel: "PAGOPA", PaidOn: today})
	})
	for range 2 {
		st.run(t, "record service", func(ctx context.Context) (commands.Result, error) {
			return st.commands.RecordService(ctx, as(user, commands.RoleCitizen), commands.RecordService{
				WorkerCF: seed.WorkerMariaCF, Activity: "lavori_domestici", StartDate: today, EndDate: today, Hours: 1, Vouchers: 1, NoRecentEmployment: true})
		})
	}
	s := &tab{t: t, ctx: newChrome(t), base: st.srv.URL}
	s.login(seed.WorkerMariaCF, commands.RoleCitizen)
	s.expect("the bell counts two", "#campanella", "2")
	s.do("open the notifications",
		chromedp.Click(chromedp.ID("campanella")),
		chromedp.WaitVisible(chromedp.ID("notifiche")),
	)
	s.expect("the messages say what happened", "#notifiche", "Nuova prestazione comunicata", "8,00 €")
	s.do("read one", chromedp.Click(chromedp.CSS(`form[action$="/letta"] button`)))
	bellSays(t, s, "1")
	s.do("read the other", chromedp.Click(chromedp.CSS(`form[action$="/letta"] button`)))
	bellSays(t, s, "")
}

// bellSays waits until the page after a form shows want on the bell (""
// for no count).
func bellSays(t *testing.T, s *tab, want string) {
	t.Helper()
	var got string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		ctx, cancel := context.WithTimeout(s.ctx, 2*time.Second)
		txt, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("campanella")))
		cancel()
		if err != nil {
			continue
		}
		got = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(txt), "🔔"))
		count := strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(got, "Notifiche"), "non lette"))
		if count == want {
			return
		}
	}
	failWithScreenshot(t, s.ctx, "the bell", fmt.Errorf("the bell says %q, want the count %q", got, want))
}
