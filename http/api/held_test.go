package api_test

import (
	"net/http"
	"testing"
)

// TestAStrangersClaimMovesNoMoney replays issue 14's theft against the whole
// stack: a stranger declares a living person dead, inserts a prior service
// of all 10 vouchers on the victim's booklet paid to an accomplice, and a
// payroll runs. SPEC §8: it pays nothing (the claim is not validated); the
// operator rejects the heir and the service is reversed with it, so the
// victim's booklet is whole again.
func TestAStrangersClaimMovesNoMoney(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	w := newWorld(t, s, 10000) // the victim, with 10 vouchers, and the accomplice, a registered worker
	victim, accomplice := w.user, w.worker
	stranger := s.cf()
	strangerTok := s.token(stranger)

	claim := s.post("/heir-claims", strangerTok, map[string]any{
		"deceased_cf": victim, "date_of_death": "2025-03-06", "heir_kind": "legittimo",
	}).want(http.StatusCreated)
	claimID := claim.str("claim_id")
	ps := s.post("/heir-claims/"+claimID+"/prior-services", strangerTok, map[string]any{
		"worker_cf": accomplice, "activity": "assistenza_domiciliare",
		"start_date": "2025-03-01", "end_date": "2025-03-04", "hours": 10, "vouchers": 10,
		"declarations": map[string]any{"no_known_employment": true},
	}).want(http.StatusCreated)
	serviceID := ps.str("service_id")

	run := s.post("/backoffice/payroll-runs", s.operator(), map[string]any{"run_date": "2026-03-10"}).want(http.StatusCreated)
	if run.num("payments") != 0 || run.num("paid_cents") != 0 {
		t.Fatalf("prior service of a registered claim is not paid: the run %s", run.raw)
	}
	c := s.get("/heir-claims/"+claimID+"?"+run.pos(), strangerTok).want(http.StatusOK)
	prior := c.list("prior_services")
	if len(prior) != 1 || prior[0].(map[string]any)["status"] != "recorded" || prior[0].(map[string]any)["held"] != true {
		t.Fatalf("the claim shows its prior service %s, want recorded and held", c.raw)
	}
	st := s.get("/workers/"+accomplice+"/statements/2026?"+run.pos(), s.auditor())
	if st.status == http.StatusOK && st.obj("totals")["paid_cents"] != float64(0) {
		t.Fatalf("the accomplice's statement %s", st.raw)
	}

	rejected := s.post("/backoffice/heir-claims/"+claimID+"/reject", s.operator(), map[string]any{"reason": "il titolare è in vita"}).want(http.StatusOK)
	dash := s.get("/families/"+victim+"/dashboard?"+rejected.pos(), w.userTok).want(http.StatusOK)
	booklet := dash.obj("booklet")
	if booklet["status"] != "active" || booklet["available_cents"] != float64(10000) || booklet["committed_cents"] != float64(0) {
		t.Fatalf("the victim's booklet after the rejection %v, want active with 10000 available", booklet)
	}
	for _, x := range dash.list("services") {
		if m := x.(map[string]any); m["service_id"] == serviceID && m["status"] != "reversed" {
			t.Fatalf("the stranger's service is %v, want reversed", m["status"])
		}
	}
	if caps := dash.obj("caps"); caps["user_net_cents"] != float64(0) {
		t.Fatalf("caps %v: the reversed service still counts", caps)
	}
	h := s.get("/heir-claims/"+claimID+"/history?"+rejected.pos(), s.operator()).want(http.StatusOK)
	var ops []string
	for _, e := range h.list("entries") {
		ops = append(ops, e.(map[string]any)["operation"].(string))
	}
	if len(ops) < 2 || ops[len(ops)-2] != "heir_rejected" || ops[len(ops)-1] != "prior_service_reversed" {
		t.Fatalf("history %v, want heir_rejected then prior_service_reversed", ops)
	}
	s.post("/backoffice/services/"+serviceID+"/reverse", s.operator(), map[string]any{"reason": "again"}).problem(http.StatusConflict, "invalid_state")

	// Nothing of it is left to pay, and the victim spends the 10 vouchers.
	again := s.post("/backoffice/payroll-runs", s.operator(), map[string]any{"run_date": "2026-03-10"}).want(http.StatusCreated)
	if again.num("payments") != 0 {
		t.Fatalf("the next run %s", again.raw)
	}
	s.post("/services", w.userTok, service(accomplice, 10, 10)).want(http.StatusCreated)
}

// TestNoDateBeforeTheLibrettoOverHTTP: SPEC §8, a date before 2017-07-10
// is 422 invalid_date naming its field, on every route that takes one.
func TestNoDateBeforeTheLibrettoOverHTTP(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	d := newDeceasedWorld(t, s, 10000)
	prior := func(start string) map[string]any {
		return map[string]any{"worker_cf": d.worker, "activity": "lavori_domestici", "start_date": start, "end_date": "2026-03-04",
			"hours": 1, "vouchers": 1, "declarations": map[string]any{"no_known_employment": true}}
	}
	ordinary := service(d.worker, 1, 1)
	ordinary["start_date"] = "2017-07-09"
	other := newWorld(t, s, 0)
	cases := []struct {
		name  string
		hit   func() *response
		field string
	}{
		{"date of death before 2017-07-10 is refused", func() *response {
			return s.post("/heir-claims", s.token(s.cf()), map[string]any{"deceased_cf": other.user, "date_of_death": "2009-05-01", "heir_kind": "legittimo"})
		}, "date_of_death"},
		{"corrected date of death before 2017-07-10 is refused", func() *response {
			return s.post("/backoffice/deceased/"+d.user+"/date-of-death", s.operator(), map[string]any{"date_of_death": "2017-07-09", "reason": "certificato"})
		}, "date_of_death"},
		{"prior service starting before 2017-07-10 is refused", func() *response {
			return s.post("/heir-claims/"+d.claimID+"/prior-services", d.heirTok, prior("2009-01-01"))
		}, "start_date"},
		{"service starting before 2017-07-10 is refused", func() *response {
			return s.post("/services", other.userTok, ordinary)
		}, "start_date"},
		{"deposit paid before 2017-07-10 is refused", func() *response {
			return s.post("/deposits", s.system(), map[string]any{"user_cf": other.user, "amount_cents": 1000, "channel": "F24", "paid_on": "2017-07-09"})
		}, "paid_on"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.hit().problem(http.StatusUnprocessableEntity, "invalid_date")
			if errs := r.list("errors"); len(errs) == 0 || errs[0].(map[string]any)["field"] != tc.field {
				t.Fatalf("errors %v, want field %q", errs, tc.field)
			}
		})
	}
}
