package api_test

import (
	"net/http"
	"testing"
)

// TestTheHeirSeesWhatTheDeceasedLeft pins SPEC §9: the heir of a registered
// or validated claim reads the deceased's deposits and services with their
// status; a stranger and a rejected heir find nothing.
func TestTheHeirSeesWhatTheDeceasedLeft(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	w := newWorld(t, s, 20000)
	svc := s.post("/services", w.userTok, service(w.worker, 2, 2)).want(http.StatusCreated)
	heir := s.cf()
	ht := s.token(heir)
	claim := s.post("/heir-claims", ht, map[string]any{"deceased_cf": w.user, "date_of_death": "2026-03-06", "heir_kind": "legittimo"}).want(http.StatusCreated)
	id := claim.str("claim_id")

	b := s.get("/heir-claims/"+id+"/booklet?"+claim.pos(), ht).want(http.StatusOK)
	services, deposits := b.list("services"), b.list("deposits")
	if len(services) != 1 || services[0].(map[string]any)["service_id"] != svc.str("service_id") || services[0].(map[string]any)["status"] != "recorded" {
		t.Fatalf("services: %s", b.raw)
	}
	if len(deposits) != 1 || b.num("available_cents") != 18000 {
		t.Fatalf("deposits and balance: %s", b.raw)
	}
	s.get("/heir-claims/"+id+"/booklet", s.token(s.cf())).problem(http.StatusNotFound, "not_found")
	s.get("/heir-claims/"+id+"/booklet", w.userTok).problem(http.StatusNotFound, "not_found")
	s.get("/heir-claims/"+id+"/booklet", s.operator()).problem(http.StatusForbidden, "forbidden")

	rejected := s.post("/backoffice/heir-claims/"+id+"/reject", s.operator(), map[string]any{"reason": "non è erede"}).want(http.StatusOK)
	s.get("/heir-claims/"+id+"/booklet?"+rejected.pos(), ht).problem(http.StatusNotFound, "not_found")
}
