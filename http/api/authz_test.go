package api_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"testing"
)

// TestAuthorizationMatrix sends every route as every role, on the caller's
// own resources and on someone else's, and checks the status: 401 without a
// token, 403 for a role the route does not allow, 404 for a citizen touching
// another person's resource (with nothing of it in the answer), and success
// or a business refusal otherwise.
func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	s := newStack(t)

	// A is a user, a worker and the testamentary heir of D; B is another citizen.
	w := newWorld(t, s, 50000)
	a, aTok := w.user, w.userTok
	s.post("/workers", aTok, map[string]any{"iban": testIBAN}).want(http.StatusCreated)
	svc := s.post("/services", aTok, service(w.worker, 2, 2)).want(http.StatusCreated)
	run := s.post("/backoffice/payroll-runs", s.operator(), map[string]any{"run_date": "2026-03-10"}).want(http.StatusCreated)
	_ = run
	d := newWorld(t, s, 30000)
	will := base64.StdEncoding.EncodeToString([]byte("%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"))
	claim := s.post("/heir-claims", aTok, map[string]any{
		"deceased_cf": d.user, "date_of_death": "2026-03-06", "heir_kind": "testamentario",
		"will": map[string]any{"filename": "testamento.pdf", "content_base64": will},
	}).want(http.StatusCreated)
	claimID := claim.str("claim_id")
	refund := s.post("/heir-claims/"+claimID+"/refund", aTok, map[string]any{"iban": testIBAN}).want(http.StatusCreated)
	refundID := refund.str("refund_id")
	other := s.post("/services", w.userTok, service(w.worker, 1, 1)).want(http.StatusCreated)
	b := s.cf()
	bTok := s.token(b)
	s.post("/users", bTok, nil).want(http.StatusCreated)
	sync := "?" + other.pos()

	prior := service(w.worker, 1, 1)
	prior["declarations"] = map[string]any{"no_known_employment": true}
	routes := []struct {
		method, path string
		body         any
		roles        []string
		owned        bool // a citizen other than the owner gets 404
	}{
		{"POST", "/users", nil, []string{"citizen"}, false},
		{"POST", "/workers", nil, []string{"citizen"}, false},
		{"POST", "/deposits", map[string]any{"user_cf": a, "amount_cents": 1000, "channel": "PAGOPA", "paid_on": "2026-03-02"}, []string{"system", "operator"}, false},
		{"POST", "/services", service(w.worker, 1, 1), []string{"citizen"}, false},
		{"POST", "/services/" + svc.str("service_id") + "/revoke", nil, []string{"citizen"}, true},
		{"POST", "/heir-claims", map[string]any{"deceased_cf": d.user, "date_of_death": "2026-03-06", "heir_kind": "legittimo"}, []string{"citizen"}, false},
		{"GET", "/heir-claims" + sync, nil, []string{"citizen"}, false},
		{"GET", "/heir-claims/" + claimID + sync, nil, []string{"citizen", "operator", "auditor"}, true},
		{"GET", "/heir-claims/" + claimID + "/history" + sync, nil, []string{"citizen", "operator", "auditor"}, true},
		{"GET", "/heir-claims/" + claimID + "/will" + sync, nil, []string{"citizen", "operator", "auditor"}, true},
		{"POST", "/heir-claims/" + claimID + "/refund", map[string]any{"iban": testIBAN}, []string{"citizen"}, true},
		{"POST", "/heir-claims/" + claimID + "/prior-services", prior, []string{"citizen"}, true},
		{"POST", "/backoffice/heir-claims/" + claimID + "/validate", nil, []string{"operator"}, false},
		{"POST", "/backoffice/heir-claims/" + claimID + "/reject", map[string]any{"reason": "x"}, []string{"operator"}, false},
		{"POST", "/backoffice/refunds/" + refundID + "/approve", nil, []string{"operator"}, false},
		{"POST", "/backoffice/refunds/" + refundID + "/reject", map[string]any{"reason": "x"}, []string{"operator"}, false},
		{"POST", "/backoffice/refunds/" + refundID + "/paid", map[string]any{"paid_on": "2026-03-10", "bank_reference": "CRO"}, []string{"operator"}, false},
		{"POST", "/backoffice/services/" + other.str("service_id") + "/reverse", map[string]any{"reason": "x"}, []string{"operator"}, false},
		{"POST", "/backoffice/deceased/" + d.user + "/date-of-death", map[string]any{"date_of_death": "2026-03-05", "reason": "x"}, []string{"operator"}, false},
		{"POST", "/backoffice/payroll-runs", map[string]any{"run_date": "2026-03-10"}, []string{"operator"}, false},
		{"GET", "/backoffice/worklist" + sync, nil, []string{"operator"}, false},
		{"GET", "/workers/" + a + "/statements/2026" + sync, nil, []string{"citizen", "operator", "auditor"}, true},
		{"GET", "/workers/" + a + "/payslips/2026-03" + sync, nil, []string{"citizen", "operator", "auditor"}, true},
		{"GET", "/families/" + a + "/dashboard" + sync, nil, []string{"citizen", "operator", "auditor"}, true},
		{"GET", "/audit/streams/booklet-" + a, nil, []string{"auditor"}, false},
		{"GET", "/audit/heir-claims/" + claimID + "/replay", nil, []string{"auditor"}, false},
		{"GET", "/audit/verify", nil, []string{"auditor"}, false},
	}
	actors := []struct {
		name, role, token string
		owner             bool
	}{
		{"anonymous", "", "", false},
		{"citizen on another's resource", "citizen", bTok, false},
		{"system", "system", s.system(), false},
		{"auditor", "auditor", s.auditor(), false},
		{"citizen owner", "citizen", aTok, true},
		{"operator", "operator", s.operator(), false},
	}
	secrets := [][]byte{[]byte(a), []byte(d.user), []byte(testIBAN)}

	for _, act := range actors {
		for _, rt := range routes {
			name := fmt.Sprintf("%s %s as %s", rt.method, rt.path, act.name)
			var r *response
			if rt.method == "GET" {
				r = s.get(rt.path, act.token)
			} else {
				r = s.post(rt.path, act.token, rt.body)
			}
			allowed := slices.Contains(rt.roles, act.role)
			switch {
			case act.token == "":
				expect(t, name, r, http.StatusUnauthorized)
			case !allowed:
				expect(t, name, r, http.StatusForbidden)
			case rt.owned && act.role == "citizen" && !act.owner:
				expect(t, name, r, http.StatusNotFound)
			case rt.method == "GET":
				expect(t, name, r, http.StatusOK)
			default:
				// Allowed: success or a business refusal, never an access error.
				if r.status == 401 || r.status == 403 || r.status == 404 || r.status >= 500 {
					t.Errorf("%s: status %d\n%s", name, r.status, r.raw)
				}
			}
			if r.status == 401 || r.status == 403 || r.status == 404 {
				for _, secret := range secrets {
					if bytes.Contains(r.raw, secret) {
						t.Errorf("%s: the %d answer leaks %s", name, r.status, secret)
					}
				}
			}
		}
	}
}

func expect(t *testing.T, name string, r *response, status int) {
	t.Helper()
	if r.status != status {
		t.Errorf("%s: status %d, want %d\n%.300s", name, r.status, status, r.raw)
	}
}
