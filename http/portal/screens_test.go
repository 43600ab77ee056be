package portal

import (
	"os"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestScreenshots saves a PNG of pages into $PORTAL_SCREENSHOTS, for people
// to look at; it does nothing without that variable.
func TestScreenshots(t *testing.T) {
	dir := os.Getenv("PORTAL_SCREENSHOTS")
	if dir == "" {
		t.Skip("set PORTAL_SCREENSHOTS=dir to save screenshots of the pages")
	}
	srv := newTestPortal(t, nil)
	ctx := newChrome(t)
	shots := []struct{ name, path string }{{"home-anonymous", "/"}, {"login", "/accedi"}}
	for _, s := range shots {
		if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+s.path)); err != nil {
			t.Fatal(err)
		}
		p, err := screenshot(ctx, dir, s.name)
		if err != nil {
			t.Fatal(err)
		}
		t.Log(p)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`button.btn-outline-primary`)), chromedp.WaitVisible(chromedp.CSS(`.card-activity`))); err != nil {
		failWithScreenshot(t, ctx, "login", err)
	}
	p, err := screenshot(ctx, dir, "home-citizen")
	if err != nil {
		t.Fatal(err)
	}
	t.Log(p)
}
