package portal

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromium is Debian's browser; the Makefile installs it when missing.
const chromium = "/usr/bin/chromium"

// newChrome starts a headless chromium with a fresh profile and returns a
// browser context for one test. The test is skipped under -short; without
// chromium it fails, since `make test` installs it.
func newChrome(t *testing.T) context.Context {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test skipped under -short")
	}
	path := chromium
	if _, err := os.Stat(path); err != nil {
		if p, err := exec.LookPath("chromium"); err == nil {
			path = p
		} else {
			t.Fatalf("chromium not found at %s: run `make chromium` (apt-get install -y chromium)", chromium)
		}
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("lang", "it-IT"),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 10*time.Minute)
	t.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// screenshot saves the page as PNG in dir and returns the file's path.
func screenshot(ctx context.Context, dir, name string) (string, error) {
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, name+".png")
	return path, os.WriteFile(path, png, 0o644)
}

// failWithScreenshot saves what the browser shows and fails the test with
// the screenshot's path.
func failWithScreenshot(t *testing.T, ctx context.Context, step string, err error) {
	t.Helper()
	dir, derr := os.MkdirTemp("", "libretto-portal-failure-")
	if derr == nil {
		// A fresh context: ctx may be the one that timed out.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if path, serr := screenshot(sctx, dir, "failure"); serr == nil {
			url, _ := chromedp.Run(sctx, chromedp.Location())
			t.Fatalf("%s: %v\npage: %s\nscreenshot: %s", step, err, url, path)
		}
	}
	t.Fatalf("%s: %v (no screenshot)", step, err)
}
