package main

import (
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestTheFloorHandlerDoesTheWorkOfAStrictJSONAPI(t *testing.T) {
	t.Parallel()
	valid := `{"worker_cf":"VRDLGU80A01H501U","activity":"lavori_domestici","start_date":"2026-11-23","end_date":"2026-11-23","hours":1,"vouchers":1,"declarations":{"no_recent_employment":true}}`
	cases := []struct {
		name, token, body string
		want              int
	}{
		{"a valid body with a token is created", "Bearer t", valid, http.StatusCreated},
		{"a request without a token is refused", "", valid, http.StatusBadRequest},
		{"an unknown field is refused", "Bearer t", `{"worker":"x"}`, http.StatusBadRequest},
		{"malformed JSON is refused", "Bearer t", `{"worker_cf":`, http.StatusBadRequest},
	}
	h := floorHandler()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/api/v1/services", strings.NewReader(c.body))
			if c.token != "" {
				r.Header.Set("Authorization", c.token)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != c.want {
				t.Fatalf("status %d, want %d: %s", w.Code, c.want, w.Body)
			}
			if c.want == http.StatusCreated && !strings.Contains(w.Body.String(), `"service_id"`) {
				t.Fatalf("no service_id in %s", w.Body)
			}
		})
	}
}

func TestTheRatioCeilingIsTheCPUOfAPgbenchRowOverTheFloorOfACommand(t *testing.T) {
	t.Parallel()
	f := floors{pgbenchRowMs: 0.2, httpMs: 0.1, rowMs: 0.05, eventsPerCommand: 2}
	if got := f.commandMs(); math.Abs(got-0.2) > 1e-12 {
		t.Fatalf("commandMs = %v, want 0.2", got)
	}
	if got := f.ratioCeiling(); math.Abs(got-1) > 1e-12 {
		t.Fatalf("ratioCeiling = %v, want 1", got)
	}
	if got := (floors{pgbenchRowMs: 0.2}).ratioCeiling(); got != 0 {
		t.Fatalf("ratioCeiling without floors = %v, want 0", got)
	}
}
