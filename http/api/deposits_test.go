package api_test

import (
	"net/http"
	"testing"
)

// TestAPendingF24IsNotSpendableUntilCredited: an F24 paid at the end of
// December is seen at once and credited days later (SPEC §9 "Deposits
// being credited"). Until then the dashboard shows it pending and a service
// needing it is refused for insufficient funds; once credited it is spent.
func TestAPendingF24IsNotSpendableUntilCredited(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	w := newWorld(t, s, 1000)
	f24 := s.post("/deposits", s.system(), map[string]any{
		"user_cf": w.user, "amount_cents": 30000, "channel": "F24", "paid_on": "2026-03-02", "status": "pending",
	}).want(http.StatusCreated)
	id := f24.str("deposit_id")

	dash := s.get("/families/"+w.user+"/dashboard?"+f24.pos(), w.userTok).want(http.StatusOK)
	b := dash.obj("booklet")
	if b["deposited_cents"] != 1000.0 || b["available_cents"] != 1000.0 || b["pending_cents"] != 30000.0 {
		t.Fatalf("a pending deposit is neither deposited nor available: %v", b)
	}
	statuses := map[string]any{}
	for _, x := range dash.list("deposits") {
		d := x.(map[string]any)
		statuses[d["deposit_id"].(string)] = d["status"]
	}
	if statuses[id] != "pending" || statuses[w.last.str("deposit_id")] != "credited" || len(statuses) != 2 {
		t.Fatalf("deposits on the dashboard: %s", dash.raw)
	}

	s.post("/services", w.userTok, service(w.worker, 3, 3)).problem(http.StatusUnprocessableEntity, "insufficient_funds")

	credited := s.post("/deposits/"+id+"/credit", s.system(), nil).want(http.StatusOK)
	if credited.str("deposit_id") != id {
		t.Fatalf("credit answered %s", credited.raw)
	}
	b = s.get("/families/"+w.user+"/dashboard?"+credited.pos(), w.userTok).want(http.StatusOK).obj("booklet")
	if b["deposited_cents"] != 31000.0 || b["available_cents"] != 31000.0 || b["pending_cents"] != 0.0 {
		t.Fatalf("a credited deposit is available: %v", b)
	}
	s.post("/services", w.userTok, service(w.worker, 3, 3)).want(http.StatusCreated)

	t.Run("a deposit is credited once", func(t *testing.T) {
		s.post("/deposits/"+id+"/credit", s.system(), nil).problem(http.StatusConflict, "deposit_already_credited")
		s.post("/deposits/"+w.last.str("deposit_id")+"/credit", s.system(), nil).problem(http.StatusConflict, "deposit_already_credited")
	})
	t.Run("an unknown deposit is not found", func(t *testing.T) {
		s.post("/deposits/0190f0a4-1b2c-7d3e-8f40-123456789abc/credit", s.system(), nil).problem(http.StatusNotFound, "not_found")
		s.post("/deposits/not-a-uuid/credit", s.system(), nil).problem(http.StatusNotFound, "not_found")
	})
	t.Run("only the system credits", func(t *testing.T) {
		s.post("/deposits/"+id+"/credit", s.operator(), nil).want(http.StatusForbidden)
		s.post("/deposits/"+id+"/credit", w.userTok, nil).want(http.StatusForbidden)
	})
	t.Run("a status other than pending or credited is refused", func(t *testing.T) {
		for _, st := range []any{"accreditato", "", 1} {
			r := s.post("/deposits", s.system(), map[string]any{
				"user_cf": w.user, "amount_cents": 1000, "channel": "F24", "paid_on": "2026-03-02", "status": st,
			})
			if st == "" {
				r.want(http.StatusCreated) // empty is the default, credited
				continue
			}
			if r.status != http.StatusUnprocessableEntity && r.status != http.StatusBadRequest {
				t.Fatalf("status %v: %d %s", st, r.status, r.raw)
			}
		}
		s.post("/deposits", s.system(), map[string]any{
			"user_cf": w.user, "amount_cents": 1000, "channel": "F24", "paid_on": "2026-03-02", "status": "accreditato",
		}).problem(http.StatusUnprocessableEntity, "invalid_deposit_status")
	})
}
