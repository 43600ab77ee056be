package api_test

import (
	"net/http"
	"testing"
)

// TestAPaidRefundClosesTheDeceasedsBooklet walks an heir's refund to its
// payment as the heir and the back office do, then reads the deceased's
// dashboard as an operator and an auditor would (SPEC §3, §5: booklet
// status active, owner_deceased, closed).
func TestAPaidRefundClosesTheDeceasedsBooklet(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	d := newDeceasedWorld(t, s, 10000) // user registered, deposit, dead on 2026-03-06, heir's claim
	status := func(pos *response) map[string]any {
		t.Helper()
		return s.get("/families/"+d.user+"/dashboard?"+pos.pos(), s.auditor()).want(http.StatusOK).obj("booklet")
	}
	if b := status(d.last); b["status"] != "owner_deceased" {
		t.Fatalf("booklet after the heir's claim: %v", b)
	}
	s.post("/backoffice/heir-claims/"+d.claimID+"/validate", s.operator(), nil).want(http.StatusOK)
	ref := s.post("/heir-claims/"+d.claimID+"/refund", d.heirTok, map[string]any{"iban": testIBAN}).want(http.StatusCreated)
	approved := s.post("/backoffice/refunds/"+ref.str("refund_id")+"/approve", s.operator(), nil).want(http.StatusOK)
	if b := status(approved); b["status"] != "owner_deceased" {
		t.Fatalf("booklet with an approved refund: %v", b)
	}
	paid := s.post("/backoffice/refunds/"+ref.str("refund_id")+"/paid", s.operator2(), map[string]any{"paid_on": "2026-03-09", "bank_reference": "CRO-1"}).
		want(http.StatusOK)

	for _, tok := range []string{s.operator(), s.auditor()} {
		b := s.get("/families/"+d.user+"/dashboard?"+paid.pos(), tok).want(http.StatusOK).obj("booklet")
		if b["status"] != "closed" || b["refunded_cents"] != 10000.0 || b["available_cents"] != 0.0 || b["date_of_death"] != "2026-03-06" {
			t.Fatalf("booklet after the paid refund: %v", b)
		}
	}

	t.Run("a deposit still lands on the closed booklet", func(t *testing.T) {
		late := s.post("/deposits", s.system(), map[string]any{"user_cf": d.user, "amount_cents": 2000, "channel": "F24", "paid_on": "2026-03-02"}).
			want(http.StatusCreated)
		if b := status(late); b["status"] != "closed" || b["available_cents"] != 2000.0 {
			t.Fatalf("booklet after a late deposit: %v", b)
		}
	})
	t.Run("the closed booklet refuses a prior service", func(t *testing.T) {
		body := service(d.worker, 1, 1) // ends 2026-03-05, before the death; the late deposit covers it
		body["declarations"] = map[string]any{"no_known_employment": true}
		s.post("/heir-claims/"+d.claimID+"/prior-services", d.heirTok, body).problem(http.StatusConflict, "booklet_not_active")
	})
	t.Run("a second refund is still refund_already_requested", func(t *testing.T) {
		s.post("/heir-claims/"+d.claimID+"/refund", d.heirTok, map[string]any{"iban": testIBAN}).problem(http.StatusConflict, "refund_already_requested")
	})
}

// TestRejectingTheLastHeirGivesTheOwnerTheBookletBack: anyone may claim to
// be an heir, and the first claim records the death (SPEC §2). When the
// operator rejects every heir who declared it, the death is withdrawn: a
// living owner wrongly declared dead records services again.
func TestRejectingTheLastHeirGivesTheOwnerTheBookletBack(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	d := newDeceasedWorld(t, s, 10000) // the "heir" declares the user dead on 2026-03-06
	s.post("/services", d.userTok, service(d.worker, 1, 1)).problem(http.StatusConflict, "booklet_not_active")

	second := s.cf()
	other := s.post("/heir-claims", s.token(second), map[string]any{
		"deceased_cf": d.user, "date_of_death": "2026-03-06", "heir_kind": "legittimo"}).want(http.StatusCreated)
	first := s.post("/backoffice/heir-claims/"+d.claimID+"/reject", s.operator(), map[string]any{"reason": "il titolare è vivo"}).
		want(http.StatusOK)
	b := s.get("/families/"+d.user+"/dashboard?"+first.pos(), s.operator()).want(http.StatusOK).obj("booklet")
	if b["status"] != "owner_deceased" {
		t.Fatalf("with another heir's claim still live the death stands: %v", b)
	}

	last := s.post("/backoffice/heir-claims/"+other.str("claim_id")+"/reject", s.operator(), map[string]any{"reason": "il titolare è vivo"}).
		want(http.StatusOK)
	b = s.get("/families/"+d.user+"/dashboard?"+last.pos(), d.userTok).want(http.StatusOK).obj("booklet")
	if b["status"] != "active" || b["date_of_death"] != nil {
		t.Fatalf("booklet after its last heir was rejected: %v", b)
	}
	s.post("/services", d.userTok, service(d.worker, 1, 1)).want(http.StatusCreated)

	events := s.get("/audit/streams/booklet-"+d.user, s.auditor()).want(http.StatusOK).list("events")
	withdrawn := events[len(events)-2].(map[string]any) // then ServiceRecorded
	if withdrawn["type"] != "DateOfDeathWithdrawn" || withdrawn["causation_id"] == nil {
		t.Fatalf("the withdrawal is an event naming what it compensates: %v", withdrawn)
	}
}
