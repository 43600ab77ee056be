package portal

import (
	"bytes"
	"context"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/commands/seed"
)

// TestManualScreenshotsInTheBrowser opens the Documenti section in a
// browser, checks a manual renders with its headings and its screenshots,
// and takes the screenshots the manuals show, of real pages on the real
// stack: the user's booklet, the heir's claim, the worker's statement.
// With LIBRETTO_MANUAL_SCREENSHOTS=1 it writes them into assets/manuali/
// (to be committed: `LIBRETTO_MANUAL_SCREENSHOTS=1 go test ./http/portal/
// -run ManualScreenshots`); otherwise into a temporary directory, so an
// ordinary run leaves the tree alone.
func TestManualScreenshotsInTheBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped under -short")
	}
	dir := t.TempDir()
	if os.Getenv("LIBRETTO_MANUAL_SCREENSHOTS") == "1" {
		dir = filepath.FromSlash(manualImageDir)
	}
	st := newStack(t)
	const (
		user     = seed.FamilyVerdiCF
		deceased = "RSSGNN50A01H501H"
		heir     = "RSSPLA80A01H501T"
		worker   = seed.WorkerMariaCF
	)
	st.deceasedWithBooklet(t, user, 30000, worker)
	st.run(t, "the user records a service", func(ctx context.Context) (commands.Result, error) {
		return st.commands.RecordService(ctx, as(user, commands.RoleCitizen), commands.RecordService{
			WorkerCF: worker, Activity: "assistenza_domiciliare", StartDate: daysAgo(1), EndDate: daysAgo(1),
			Hours: 3, Vouchers: 3, NoRecentEmployment: true,
		})
	})
	st.run(t, "payroll pays it", func(ctx context.Context) (commands.Result, error) {
		return st.commands.RunPayroll(ctx, as(seed.OperatorCF, commands.RoleOperator), commands.RunPayroll{RunDate: daysAgo(0)})
	})
	st.run(t, "the user records another", func(ctx context.Context) (commands.Result, error) {
		return st.commands.RecordService(ctx, as(user, commands.RoleCitizen), commands.RecordService{
			WorkerCF: worker, Activity: "lavori_domestici", StartDate: daysAgo(0), EndDate: daysAgo(0),
			Hours: 2, Vouchers: 2, NoRecentEmployment: true,
		})
	})
	st.deceasedWithBooklet(t, deceased, 20000, seed.WorkerGiovanniCF)
	claim := st.run(t, "register heir", func(ctx context.Context) (commands.Result, error) {
		return st.commands.RegisterHeir(ctx, as(heir, commands.RoleCitizen), commands.RegisterHeir{
			DeceasedCF: deceased, DateOfDeath: daysAgo(1), HeirKind: "legittimo",
		})
	}).ID

	s := &tab{t: t, ctx: newChrome(t), base: st.srv.URL}
	s.do("open a manual from the Documenti section",
		chromedp.Navigate(s.base+"/"),
		chromedp.Click(chromedp.ID("link-documenti")),
		chromedp.WaitVisible(chromedp.ID("manuali")),
		chromedp.Click(chromedp.CSS(`#manuali a[href="/documenti/utilizzatore"]`)),
		chromedp.WaitVisible(chromedp.ID("manuale-utilizzatore")),
	)
	m, _ := manualBySlug("utilizzatore")
	s.expect("the manual's title", "h1", m.Title)
	for _, sec := range m.Sections {
		s.expect("the section "+sec.Heading, "#"+sec.ID, sec.Heading)
	}
	loaded, err := chromedp.Run(s.ctx, chromedp.Evaluate[bool](
		`document.querySelectorAll("figure img").length > 0 && Array.from(document.querySelectorAll("figure img")).every(i => i.complete && i.naturalWidth > 0)`))
	if err != nil || !loaded {
		failWithScreenshot(t, s.ctx, "the manual's screenshots load", err)
	}

	shot := func(name string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(s.ctx, 60*time.Second)
		defer cancel()
		b, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			failWithScreenshot(t, s.ctx, "screenshot "+name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s.login(user, commands.RoleCitizen)
	s.do("the user's booklet", chromedp.Navigate(s.base+"/libretto"), chromedp.WaitVisible(chromedp.CSS("h1")))
	shot("libretto.png")
	s.logout()
	s.login(heir, commands.RoleCitizen)
	s.do("the heir's claim", chromedp.Navigate(s.base+"/erede/pratiche/"+claim), chromedp.WaitVisible(chromedp.ID("vedi-libretto")))
	shot("pratica-erede.png")
	s.logout()
	s.login(worker, commands.RoleCitizen)
	s.do("the worker's statement", chromedp.Navigate(s.base+"/prestatore"), chromedp.WaitVisible(chromedp.CSS("h1")))
	shot("prestatore.png")
}

// TestManualImagesExist: every screenshot a manual shows is in the
// embedded assets and is a PNG, and every PNG there is shown by a manual.
func TestManualImagesExist(t *testing.T) {
	used := map[string]bool{}
	for _, m := range manuals {
		for _, s := range m.Sections {
			for _, b := range s.Blocks {
				if b.Image == "" {
					continue
				}
				used[b.Image] = true
				data, err := fs.ReadFile(assetsFS, manualImageDir+b.Image)
				if err != nil {
					t.Errorf("manual %s shows %s: %v", m.Slug, b.Image, err)
					continue
				}
				if _, err := png.Decode(bytes.NewReader(data)); err != nil {
					t.Errorf("manual %s shows %s, not a PNG: %v", m.Slug, b.Image, err)
				}
				if b.Text == "" {
					t.Errorf("manual %s shows %s without a caption", m.Slug, b.Image)
				}
			}
		}
	}
	if len(used) == 0 {
		t.Fatal("no manual shows a screenshot")
	}
	files, _ := fs.Glob(assetsFS, manualImageDir+"*.png")
	for _, f := range files {
		if !used[filepath.Base(f)] {
			t.Errorf("%s is shown by no manual", f)
		}
	}
}
