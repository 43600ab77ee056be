package api_test

import (
	"net/http"
	"strings"
	"testing"
)

// Contract tests found by walking the API as a client would (SPEC §5–§6).

func TestIntegralNumbersAreAcceptedForIntegerFields(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	w := newWorld(t, s, 0)

	t.Run("an amount written 10000.0 is 10000 cents", func(t *testing.T) {
		s.post("/deposits", s.system(), `{"user_cf":"`+w.user+`","amount_cents":10000.0,"channel":"F24","paid_on":"2026-03-01"}`).
			want(http.StatusCreated)
	})
	t.Run("vouchers written 3.0 and 3e0 are three vouchers", func(t *testing.T) {
		for _, v := range []string{"3.0", "3e0"} {
			body := `{"worker_cf":"` + w.worker + `","activity":"lavori_domestici","start_date":"2026-03-02","end_date":"2026-03-05",` +
				`"hours":2.5,"vouchers":` + v + `,"declarations":{"no_recent_employment":true}}`
			s.post("/services", w.userTok, body).want(http.StatusCreated)
		}
	})
	t.Run("a fractional voucher count is still a type error", func(t *testing.T) {
		body := `{"worker_cf":"` + w.worker + `","activity":"lavori_domestici","start_date":"2026-03-02","end_date":"2026-03-05",` +
			`"hours":2,"vouchers":2.5,"declarations":{"no_recent_employment":true}}`
		r := s.post("/services", w.userTok, body).problem(http.StatusBadRequest, "invalid_type")
		if !strings.Contains(string(r.raw), `"field":"vouchers"`) {
			t.Fatalf("the problem does not name vouchers: %s", r.raw)
		}
	})
	t.Run("an integral number beyond int64 is still a type error", func(t *testing.T) {
		s.post("/deposits", s.system(), `{"user_cf":"`+w.user+`","amount_cents":1e20,"channel":"F24","paid_on":"2026-03-01"}`).
			problem(http.StatusBadRequest, "invalid_type")
	})
	t.Run("a second JSON value after an integral float is still refused", func(t *testing.T) {
		s.post("/deposits", s.system(), `{"user_cf":"`+w.user+`","amount_cents":1000.0,"channel":"F24","paid_on":"2026-03-01"} {}`).
			want(http.StatusBadRequest)
	})
}

func TestRefundPaidNeedsTheBankReference(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	d := newDeceasedWorld(t, s, 10000)
	s.post("/backoffice/heir-claims/"+d.claimID+"/validate", s.operator(), nil).want(http.StatusOK)
	id := s.post("/heir-claims/"+d.claimID+"/refund", d.heirTok, map[string]any{"iban": testIBAN}).want(http.StatusCreated).str("refund_id")
	s.post("/backoffice/refunds/"+id+"/approve", s.operator(), nil).want(http.StatusOK)

	for _, ref := range []any{nil, "", "   "} {
		body := map[string]any{"paid_on": "2026-03-09"}
		if ref != nil {
			body["bank_reference"] = ref
		}
		r := s.post("/backoffice/refunds/"+id+"/paid", s.operator(), body).problem(http.StatusUnprocessableEntity, "bank_reference_required")
		if !strings.Contains(string(r.raw), `"field":"bank_reference"`) {
			t.Fatalf("the problem does not name bank_reference: %s", r.raw)
		}
	}
	s.post("/backoffice/refunds/"+id+"/paid", s.operator(), map[string]any{"paid_on": "2026-03-09", "bank_reference": "CRO-1"}).
		want(http.StatusOK)
}

func TestDashboardOfAFamilyWithoutABooklet(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	family := s.cf()
	pos := s.post("/families/"+family+"/isee", s.system(), map[string]any{
		"value_cents": 1500000, "protocol": "INPS-ISEE-2026-0001", "dsu_submitted_on": "2026-01-15", "valid_until": "2026-12-31",
	}).want(http.StatusCreated).pos()

	for _, tok := range []string{s.token(family), s.operator(), s.auditor()} {
		r := s.get("/families/"+family+"/dashboard?"+pos, tok).want(http.StatusOK)
		b := r.obj("booklet")
		if b["status"] != "none" || b["available_cents"] != 0.0 || b["deposited_cents"] != 0.0 {
			t.Fatalf("booklet of a family without one: %v", b)
		}
		if len(r.list("services")) != 0 {
			t.Fatalf("services: %s", r.raw)
		}
		caps := r.obj("caps")
		if caps["user_net_cents"] != 0.0 || caps["user_cap_cents"] != 1000000.0 || caps["year"] != 2026.0 {
			t.Fatalf("caps: %v", caps)
		}
		if isee := r.obj("family")["isee"].(map[string]any); isee["value_cents"] != 1500000.0 {
			t.Fatalf("family: %s", r.raw)
		}
	}
	t.Run("a person nothing is known of is 404", func(t *testing.T) {
		s.get("/families/"+s.cf()+"/dashboard", s.operator()).problem(http.StatusNotFound, "not_found")
	})
	t.Run("another citizen still gets 404", func(t *testing.T) {
		s.get("/families/"+family+"/dashboard", s.token(s.cf())).problem(http.StatusNotFound, "not_found")
	})
}

func TestIdempotencyKeyRepeatLaidOutOtherwiseIsTheSameRequest(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	w := newWorld(t, s, 0)
	compact := `{"user_cf":"` + w.user + `","amount_cents":5000,"channel":"F24","paid_on":"2026-03-01"}`
	spaced := "{\n  \"paid_on\": \"2026-03-01\",\n  \"channel\": \"F24\",\n  \"amount_cents\": 5000.0,\n  \"user_cf\": \"" + w.user + "\"\n}"
	first := s.post("/deposits", s.system(), compact, "Idempotency-Key", "dep-1").want(http.StatusCreated)
	again := s.post("/deposits", s.system(), spaced, "Idempotency-Key", "dep-1").want(http.StatusCreated)
	if string(first.raw) != string(again.raw) {
		t.Fatalf("the repeat answered %s, the first %s", again.raw, first.raw)
	}
	events := s.get("/audit/streams/booklet-"+w.user+"?"+first.pos(), s.auditor()).want(http.StatusOK).list("events")
	if n := len(events); n != 2 { // BookletOpened, one DepositRecorded
		t.Fatalf("%d events on the booklet after a repeated deposit", n)
	}
	s.post("/deposits", s.system(), strings.Replace(compact, "5000", "6000", 1), "Idempotency-Key", "dep-1").
		problem(http.StatusUnprocessableEntity, "idempotency_key_reused")
}
