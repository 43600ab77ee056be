package api_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/inps/libretto/http/api"
)

// TestNoWholeCFOrIBANInLogsOrProblems runs commands and reads with real
// codici fiscali and IBANs, some refused, some echoing them in a path, a
// field name or a method, and finds none of them whole in the log (at debug
// level) or in a problem document (SPEC §8).
func TestNoWholeCFOrIBANInLogsOrProblems(t *testing.T) {
	t.Parallel()
	logs := &bytes.Buffer{}
	s := newStackWith(t, func(c *api.Config) {
		c.ReadWait = 30e9
		c.Logger = slog.New(slog.NewTextHandler(&lockedWriter{w: logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	const otherIBAN = "IT02A0301503200000003517230"
	d := newDeceasedWorld(t, s, 10000)
	secrets := []string{d.user, d.worker, d.heir, testIBAN, otherIBAN, "IT60 X054 2811 1010 0000 0123 456"}
	var problems []*response
	keep := func(r *response) {
		if strings.HasPrefix(r.header.Get("Content-Type"), "application/problem+json") {
			problems = append(problems, r)
		}
	}
	keep(s.post("/services", d.userTok, service(d.worker, 1, 1)))                                        // the owner is dead
	keep(s.post("/heir-claims/"+d.claimID+"/refund", d.heirTok, map[string]any{"iban": testIBAN + "0"})) // invalid_iban
	keep(s.post("/heir-claims/"+d.claimID+"/refund", d.heirTok, map[string]any{"iban": testIBAN}).want(http.StatusCreated))
	keep(s.post("/heir-claims/"+d.claimID+"/refund", d.heirTok, map[string]any{"iban": otherIBAN}))
	keep(s.post("/users", d.userTok, map[string]any{d.heir: 1}).problem(http.StatusBadRequest, "unknown_field"))
	keep(s.post("/users", d.userTok, map[string]any{otherIBAN: 1}).problem(http.StatusBadRequest, "unknown_field"))
	keep(s.post("/workers", d.workerTok, `{"iban":"`+otherIBAN+`"`).problem(http.StatusBadRequest, "malformed_json"))
	keep(s.get("/families/"+d.user+"/dashboard", d.userTok))
	keep(s.get("/workers/"+d.worker+"/statements/2026", d.heirTok).problem(http.StatusNotFound, "not_found"))
	keep(s.get("/refunds/"+otherIBAN, d.heirTok))
	keep(s.get("/heir-claims/"+d.claimID+"/history", d.heirTok))
	// An invented method named after a codice fiscale, outside the recorder
	// that checks responses against the OpenAPI document.
	req, _ := http.NewRequest(d.heir, s.srv.URL+api.Prefix+"/users", nil)
	res, err := s.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	keep(&response{t: t, method: d.heir, path: "/users", status: res.StatusCode, header: res.Header, raw: raw})
	keep(s.post("/dev/token", "", map[string]any{"subject": d.heir + "X", "roles": []string{"citizen"}}))
	if len(problems) < 8 {
		t.Fatalf("only %d problems to check", len(problems))
	}
	for _, r := range problems {
		for _, secret := range secrets {
			if strings.Contains(string(r.raw), secret) {
				t.Errorf("%s %s: the problem holds %s whole:\n%s", r.method, r.path, secret, r.raw)
			}
		}
	}
	out := logs.String()
	if !strings.Contains(out, d.user[:6]+"*******"+d.user[13:]) {
		t.Fatalf("the log lacks the masked codice fiscale:\n%.3000s", out)
	}
	for _, secret := range secrets {
		if strings.Contains(out, secret) {
			t.Errorf("the log holds %s whole", secret)
		}
	}
}
