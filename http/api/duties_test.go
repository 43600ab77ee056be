package api_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestSeparationOfDuties replays the theft of issue 14 (SPEC §8): one person
// holding both citizen and operator registers a claim, then validates it,
// approves its refund and marks it paid under the operator role. Each is
// 403 conflict_of_interest, naming no party, and appends nothing. A second
// operator validates and approves; the approver marking it paid is 409
// four_eyes_required; a third operator records the payment.
func TestSeparationOfDuties(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	w := newWorld(t, s, 10000)
	person := s.cf()
	both := s.token(person, "citizen", "operator")
	claim := s.post("/heir-claims", both, map[string]any{
		"deceased_cf": w.user, "date_of_death": "2026-03-06", "heir_kind": "legittimo",
	}).want(http.StatusCreated).str("claim_id")
	ref := s.post("/heir-claims/"+claim+"/refund", both, map[string]any{"iban": testIBAN}).want(http.StatusCreated)
	refund := ref.str("refund_id")
	paidBody := map[string]any{"paid_on": "2026-03-09", "bank_reference": "CRO-1"}

	// history is the claim's stream as an auditor reads it: a refused
	// command must leave it as it was.
	history := func() string {
		t.Helper()
		return string(s.get("/audit/streams/claim-"+claim, s.auditor()).want(http.StatusOK).raw)
	}
	booklet := func() string {
		t.Helper()
		return string(s.get("/audit/streams/booklet-"+w.user, s.auditor()).want(http.StatusOK).raw)
	}
	refused := func(name, path, token string, body any, status int, code string) {
		t.Helper()
		t.Run(name, func(t *testing.T) {
			claimBefore, bookletBefore := history(), booklet()
			r := s.post(path, token, body).problem(status, code)
			if code == "conflict_of_interest" {
				if strings.Contains(string(r.raw), person) || strings.Contains(string(r.raw), w.user) || r.body["facts"] != nil {
					t.Fatalf("the refusal names a party: %s", r.raw)
				}
			}
			if history() != claimBefore || booklet() != bookletBefore {
				t.Fatalf("the refusal appended to the claim or the booklet")
			}
		})
	}

	refused("an operator who is the heir cannot validate their own claim",
		"/backoffice/heir-claims/"+claim+"/validate", both, nil, http.StatusForbidden, "conflict_of_interest")
	s.post("/backoffice/heir-claims/"+claim+"/validate", s.operator(), nil).want(http.StatusOK)
	refused("an operator who is the heir cannot approve their own refund",
		"/backoffice/refunds/"+refund+"/approve", both, nil, http.StatusForbidden, "conflict_of_interest")
	approved := s.post("/backoffice/refunds/"+refund+"/approve", s.operator(), nil).want(http.StatusOK)
	refused("an operator who is the heir cannot mark their own refund paid",
		"/backoffice/refunds/"+refund+"/paid", both, paidBody, http.StatusForbidden, "conflict_of_interest")
	refused("an operator who is the heir cannot reject their own refund",
		"/backoffice/refunds/"+refund+"/reject", both, map[string]any{"reason": "x"}, http.StatusForbidden, "conflict_of_interest")
	refused("the approver cannot mark the refund paid",
		"/backoffice/refunds/"+refund+"/paid", s.operator(), paidBody, http.StatusConflict, "four_eyes_required")

	t.Run("the worklist shows who approved the refund", func(t *testing.T) {
		wl := s.get("/backoffice/worklist?"+approved.pos(), s.operator2()).want(http.StatusOK)
		toPay := wl.list("refunds_to_pay")
		if len(toPay) != 1 || toPay[0].(map[string]any)["approved_by"] != "OPERATORE-1" {
			t.Fatalf("refunds to pay %s", wl.raw)
		}
	})

	paid := s.post("/backoffice/refunds/"+refund+"/paid", s.operator2(), paidBody).want(http.StatusOK)
	if c := s.get("/heir-claims/"+claim+"?"+paid.pos(), both).want(http.StatusOK); c.obj("refund")["status"] != "paid" {
		t.Fatalf("claim after the second operator's payment: %s", c.raw)
	}

	t.Run("an operator who is the user cannot record a deposit on their booklet, the system can", func(t *testing.T) {
		user := s.cf()
		s.post("/users", s.token(user), nil).want(http.StatusCreated)
		deposit := map[string]any{"user_cf": user, "amount_cents": 1000, "channel": "F24", "paid_on": "2026-03-01"}
		s.post("/deposits", s.token(user, "citizen", "operator"), deposit).problem(http.StatusForbidden, "conflict_of_interest")
		s.post("/deposits", s.system(), deposit).want(http.StatusCreated)
	})
}
