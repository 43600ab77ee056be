package app_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"testing"

	"github.com/inps/libretto/cmd/libretto/app"
	"github.com/inps/libretto/commands/seed"
)

// TestPortalSessionsAreKeptInPostgreSQL signs in through the wired portal
// (migrations, pool, store) and finds the session in portal_sessions, then
// logs out and finds it gone.
func TestPortalSessionsAreKeptInPostgreSQL(t *testing.T) {
	t.Parallel()
	a := app.StartForTest(t)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	csrf := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)
	token := func(path string) string {
		t.Helper()
		resp, err := c.Get(a.BaseURL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		m := csrf.FindSubmatch(body)
		if m == nil {
			t.Fatalf("no CSRF token on %s (%d)", path, resp.StatusCode)
		}
		return string(m[1])
	}
	rows := func() int {
		t.Helper()
		var n int
		if err := a.Pool.QueryRow(context.Background(), `SELECT count(*) FROM portal_sessions WHERE cf = $1`, seed.OperatorCF).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	resp, err := c.PostForm(a.BaseURL+"/accedi", url.Values{"csrf_token": {token("/accedi")}, "cf": {seed.OperatorCF}, "role": {"operator"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if n := rows(); n != 1 {
		t.Fatalf("%d sessions of the operator after sign-in, want 1", n)
	}
	resp, err = c.PostForm(a.BaseURL+"/esci", url.Values{"csrf_token": {token("/")}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if n := rows(); n != 0 {
		t.Fatalf("%d sessions of the operator after logout, want 0", n)
	}
}
