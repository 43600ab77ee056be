package portal

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/commands/seed"
	"github.com/inps/libretto/projections"
)

// fakePayslipPDF stands in for api.PayslipPDF, as fakePDF for the statement.
func fakePayslipPDF(p projections.Payslip, _ time.Time) ([]byte, error) {
	return []byte(fmt.Sprintf("%%PDF-1.4 %s %s %d %d", p.WorkerCF, p.Month, len(p.Payments), p.Totals.PaidCents)), nil
}

// paidTwiceThisMonth has a family pay a worker without IBAN through two
// payroll runs of today: 3 vouchers, then 2.
func paidTwiceThisMonth(t *testing.T, st *stack, user, worker string) {
	t.Helper()
	today := time.Now().Format(time.DateOnly)
	st.run(t, "open the booklet", func(ctx context.Context) (commands.Result, error) {
		return st.commands.RegisterUser(ctx, as(user, commands.RoleCitizen), commands.RegisterUser{})
	})
	st.run(t, "deposit", func(ctx context.Context) (commands.Result, error) {
		return st.commands.RecordDeposit(ctx, as("pagopa-feed", commands.RoleSystem), commands.RecordDeposit{
			UserCF: user, AmountCents: 10000, Channel: "PAGOPA", PaidOn: today})
	})
	st.run(t, "register worker", func(ctx context.Context) (commands.Result, error) {
		return st.commands.RegisterWorker(ctx, as(worker, commands.RoleCitizen), commands.RegisterWorker{Category: "altro"})
	})
	for i, vouchers := range []int{3, 2} {
		st.run(t, fmt.Sprintf("service %d", i+1), func(ctx context.Context) (commands.Result, error) {
			return st.commands.RecordService(ctx, as(user, commands.RoleCitizen), commands.RecordService{WorkerCF: worker,
				Activity: "lavori_domestici", StartDate: today, EndDate: today, Hours: 1, Vouchers: vouchers, NoRecentEmployment: true})
		})
		st.run(t, fmt.Sprintf("payroll %d", i+1), func(ctx context.Context) (commands.Result, error) {
			return st.commands.RunPayroll(ctx, as(seed.OperatorCF, commands.RoleOperator), commands.RunPayroll{RunDate: today})
		})
	}
}

// TestTheWorkerFindsTheMonthsPayslipFromTheirPage: the worker's page lists
// the months with payments, each linking its payslip; the payslip shows the
// month's two payments and offers the PDF; another citizen and a malformed
// month get 404.
func TestTheWorkerFindsTheMonthsPayslipFromTheirPage(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped under -short")
	}
	st := newStack(t)
	user, worker := seed.FamilyVerdiCF, seed.WorkerMariaCF
	paidTwiceThisMonth(t, st, user, worker)
	month := time.Now().Format("2006-01")
	name := yearMonthName(month)

	s := &tab{t: t, ctx: newChrome(t), base: st.srv.URL}
	s.login(worker, commands.RoleCitizen)
	s.do("open the worker's page",
		chromedp.Navigate(s.base+"/prestatore"),
		chromedp.WaitVisible(chromedp.ID("prospetti-paga")),
	)
	s.expect("the month with payments is listed", "#prospetti-paga", "Prospetto paga di "+name, "Scarica in PDF")
	pdfLinks := evaluate[[]string](s, "the month offers its PDF",
		`[...document.querySelectorAll('#prospetti-paga a[download]')].map(a => a.getAttribute('href'))`)
	if len(pdfLinks) != 1 || pdfLinks[0] != "/prestatore/prospetti-paga/"+month+"/pdf" {
		t.Fatalf("PDF links %v", pdfLinks)
	}
	s.do("follow the month's link",
		chromedp.Click(chromedp.CSS(`#prospetti-paga a[href="/prestatore/prospetti-paga/`+month+`"]`)),
		chromedp.WaitVisible(chromedp.ID("pagamenti")),
	)
	s.expect("the payslip is the month's", "h1", "Prospetto paga di "+name)
	rows := evaluate[int](s, "count the payments", `document.querySelectorAll('#pagamenti tbody tr').length`)
	if rows != 2 {
		t.Fatalf("%d payments on the payslip, want the two runs", rows)
	}
	// 3 and 2 vouchers, 2,60 € withheld by each run: 40,00 − 5,20.
	s.expect("the payments and totals", "main", user, "24,00 €", "16,00 €", "2,60 €", "5,20 €", "34,80 €")

	w := newBrowser(t, st.srv)
	w.login(worker, commands.RoleCitizen)
	resp, body := w.get("/prestatore/prospetti-paga/" + month + "/pdf")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/pdf" ||
		body != fmt.Sprintf("%%PDF-1.4 %s %s 2 3480", worker, month) {
		t.Fatalf("PDF: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if cd := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") {
		t.Errorf("PDF disposition %q", cd)
	}
	for _, path := range []string{"/prestatore/prospetti-paga/2017-01", "/prestatore/prospetti-paga/marzo", "/prestatore/prospetti-paga/" + month[:5] + "13"} {
		if resp, _ := w.get(path); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", path, resp.StatusCode)
		}
	}
	// The page reads the caller's own payslips: another citizen has none.
	other := newBrowser(t, st.srv)
	other.login(user, commands.RoleCitizen)
	if resp, _ := other.get("/prestatore/prospetti-paga/" + month); resp.StatusCode != http.StatusNotFound {
		t.Errorf("another citizen's payslip page: %d, want 404", resp.StatusCode)
	}
	if _, page := other.get("/prestatore"); strings.Contains(page, "/prestatore/prospetti-paga/") {
		t.Error("another citizen's worker page lists payslips")
	}
}

// evaluate runs js in the tab's page and returns its value.
func evaluate[T any](s *tab, step, js string) T {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.ctx, 90*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		failWithScreenshot(s.t, s.ctx, step, err)
	}
	return v
}
