package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/inps/libretto/http/api"
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
		r := s.post("/backoffice/refunds/"+id+"/paid", s.operator2(), body).problem(http.StatusUnprocessableEntity, "bank_reference_required")
		if !strings.Contains(string(r.raw), `"field":"bank_reference"`) {
			t.Fatalf("the problem does not name bank_reference: %s", r.raw)
		}
	}
	s.post("/backoffice/refunds/"+id+"/paid", s.operator2(), map[string]any{"paid_on": "2026-03-09", "bank_reference": "CRO-1"}).
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

func TestACompensationNeedsAReasonThatIsNotBlank(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	d := newDeceasedWorld(t, s, 10000)
	w := newWorld(t, s, 10000)
	svc := s.post("/services", w.userTok, service(w.worker, 1, 1)).want(http.StatusCreated).str("service_id")
	refund := s.post("/heir-claims/"+d.claimID+"/refund", d.heirTok, map[string]any{"iban": testIBAN}).want(http.StatusCreated).str("refund_id")
	for _, path := range []string{
		"/backoffice/services/" + svc + "/reverse",
		"/backoffice/refunds/" + refund + "/reject",
		"/backoffice/heir-claims/" + d.claimID + "/reject",
		"/backoffice/deceased/" + d.user + "/date-of-death",
	} {
		body := map[string]any{"reason": "  \t "}
		if strings.Contains(path, "date-of-death") {
			body["date_of_death"] = "2026-03-05"
		}
		s.post(path, s.operator(), body).problem(http.StatusUnprocessableEntity, "reason_required")
	}
}

func TestRevokingAServiceEndsOnTheThirdOfTheNextMonth(t *testing.T) {
	t.Parallel()
	var now atomic.Value
	now.Store(testNow)
	s := newStackWith(t, func(c *api.Config) {
		c.ReadWait = 30 * time.Second
		c.Now = func() time.Time { return now.Load().(time.Time) }
	})
	w := newWorld(t, s, 10000)
	a := s.post("/services", w.userTok, service(w.worker, 1, 1)).want(http.StatusCreated).str("service_id")
	b := s.post("/services", w.userTok, service(w.worker, 1, 1)).want(http.StatusCreated).str("service_id")

	// Tokens expire by the same clock: mint fresh ones after moving it.
	fresh := func(subject, role string) string {
		return s.post("/dev/token", "", map[string]any{"subject": subject, "roles": []string{role}}).want(http.StatusOK).str("token")
	}
	now.Store(time.Date(2026, 4, 3, 21, 0, 0, 0, time.UTC)) // 23:00 on 3 April in Rome
	s.post("/services/"+a+"/revoke", fresh(w.user, "citizen"), nil).want(http.StatusOK)
	now.Store(time.Date(2026, 4, 3, 22, 30, 0, 0, time.UTC)) // 00:30 on 4 April in Rome
	s.post("/services/"+b+"/revoke", fresh(w.user, "citizen"), nil).problem(http.StatusUnprocessableEntity, "deadline_passed")
	// The operator may still reverse it.
	s.post("/backoffice/services/"+b+"/reverse", fresh("OPERATORE-2", "operator"), map[string]any{"reason": "mai resa"}).want(http.StatusOK)
}

func TestReversingAndRejectingReleaseMoneyAndCaps(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	w := newWorld(t, s, 400000)
	full := s.post("/services", w.userTok, service(w.worker, 312, 300)).want(http.StatusCreated) // 249600 of the 250000 pair cap
	s.post("/services", w.userTok, service(w.worker, 1, 1)).problem(http.StatusUnprocessableEntity, "cap_exceeded")
	rev := s.post("/backoffice/services/"+full.str("service_id")+"/reverse", s.operator(), map[string]any{"reason": "errore"}).want(http.StatusOK)
	dash := s.get("/families/"+w.user+"/dashboard?"+rev.pos(), w.userTok).want(http.StatusOK)
	if b := dash.obj("booklet"); b["committed_cents"] != 0.0 || b["available_cents"] != 400000.0 {
		t.Fatalf("booklet after the reversal: %v", b)
	}
	if c := dash.obj("caps"); c["user_net_cents"] != 0.0 || len(c["per_worker"].([]any)) != 0 {
		t.Fatalf("caps after the reversal: %v", c)
	}
	s.post("/services", w.userTok, service(w.worker, 312, 300)).want(http.StatusCreated)

	d := newDeceasedWorld(t, s, 7000)
	ref := s.post("/heir-claims/"+d.claimID+"/refund", d.heirTok, map[string]any{"iban": testIBAN}).want(http.StatusCreated)
	if ref.num("amount_cents") != 7000 {
		t.Fatalf("refund of %d", ref.num("amount_cents"))
	}
	b := s.get("/families/"+d.user+"/dashboard?"+ref.pos(), s.operator()).want(http.StatusOK).obj("booklet")
	if b["reserved_cents"] != 7000.0 || b["available_cents"] != 0.0 {
		t.Fatalf("booklet with a requested refund: %v", b)
	}
	rej := s.post("/backoffice/refunds/"+ref.str("refund_id")+"/reject", s.operator(), map[string]any{"reason": "IBAN non intestato"}).want(http.StatusOK)
	b = s.get("/families/"+d.user+"/dashboard?"+rej.pos(), s.auditor()).want(http.StatusOK).obj("booklet")
	if b["reserved_cents"] != 0.0 || b["available_cents"] != 7000.0 {
		t.Fatalf("booklet after the rejected refund: %v", b)
	}
	claim := s.get("/heir-claims/"+d.claimID, d.heirTok).want(http.StatusOK)
	if st := claim.obj("refund")["status"]; st != "rejected" {
		t.Fatalf("refund status %v", st)
	}
}

func TestEachAnnualCapIsEnforcedWithReducedCounting(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	user := newWorld(t, s, 2000000)
	workers := []string{user.worker}
	for range 3 {
		cf := s.cf()
		s.post("/workers", s.token(cf), nil).want(http.StatusCreated)
		workers = append(workers, cf)
	}
	student := s.cf()
	s.post("/workers", s.token(student), map[string]any{"category": "studente_under25"}).want(http.StatusCreated)

	capOf := func(r *response) string { return r.obj("facts")["cap"].(string) }
	for _, w := range workers {
		s.post("/services", user.userTok, service(w, 312, 300)).want(http.StatusCreated) // 249600 each
	}
	// 998400 used, 1600 left. Pay to a student counts at 75%: 3 vouchers
	// (2400 net) count 1800 and cross the user cap, 2 vouchers count 1200.
	if c := capOf(s.post("/services", user.userTok, service(student, 3, 3)).problem(http.StatusUnprocessableEntity, "cap_exceeded")); c != "user" {
		t.Fatalf("cap %q, want user", c)
	}
	last := s.post("/services", user.userTok, service(student, 2, 2)).want(http.StatusCreated)
	caps := s.get("/families/"+user.user+"/dashboard?"+last.pos(), user.userTok).want(http.StatusOK).obj("caps")
	if caps["user_net_cents"] != 999600.0 {
		t.Fatalf("user cap usage %v, want 999600 (998400 + 75%% of 1600)", caps["user_net_cents"])
	}
	// One worker for one user: 249600 used, one more voucher crosses 250000.
	if c := capOf(s.post("/services", user.userTok, service(workers[1], 1, 1)).problem(http.StatusUnprocessableEntity, "cap_exceeded")); c != "worker_for_user" && c != "user" {
		t.Fatalf("cap %q", c)
	}

	// The worker across all users: 249600 from the first user, 249600 from
	// a second, 800 from a third reaches 500000 exactly; one more voucher crosses it.
	second := newWorld(t, s, 400000)
	s.post("/services", second.userTok, service(workers[0], 312, 300)).want(http.StatusCreated)
	third := newWorld(t, s, 10000)
	s.post("/services", third.userTok, service(workers[0], 1, 1)).want(http.StatusCreated)
	if c := capOf(s.post("/services", third.userTok, service(workers[0], 1, 1)).problem(http.StatusUnprocessableEntity, "cap_exceeded")); c != "worker" {
		t.Fatalf("cap %q, want worker", c)
	}
	// One worker for one user on its own.
	fourth := newWorld(t, s, 400000)
	s.post("/services", fourth.userTok, service(fourth.worker, 312, 300)).want(http.StatusCreated)
	if c := capOf(s.post("/services", fourth.userTok, service(fourth.worker, 1, 1)).problem(http.StatusUnprocessableEntity, "cap_exceeded")); c != "worker_for_user" {
		t.Fatalf("cap %q, want worker_for_user", c)
	}
}

func TestAMismatchedDateOfDeathIsCorrectedThenTheSecondClaimSucceeds(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	d := newDeceasedWorld(t, s, 10000) // date of death 2026-03-06
	second := s.token(s.cf())
	claim := map[string]any{"deceased_cf": d.user, "date_of_death": "2026-03-05", "heir_kind": "legittimo"}
	s.post("/heir-claims", second, claim).problem(http.StatusConflict, "date_of_death_mismatch")

	correction := map[string]any{"date_of_death": "2026-03-05", "reason": "certificato di morte"}
	s.post("/backoffice/heir-claims/"+d.claimID+"/date-of-death", d.heirTok, correction).problem(http.StatusForbidden, "forbidden")
	s.post("/backoffice/heir-claims/"+d.claimID+"/date-of-death", s.auditor(), correction).problem(http.StatusForbidden, "forbidden")
	s.post("/backoffice/heir-claims/00000000-0000-0000-0000-000000000000/date-of-death", s.operator(), correction).problem(http.StatusNotFound, "not_found")
	s.post("/backoffice/heir-claims/"+d.claimID+"/date-of-death", s.operator(), map[string]any{"date_of_death": "2026-03-05"}).
		problem(http.StatusUnprocessableEntity, "reason_required")
	fixed := s.post("/backoffice/heir-claims/"+d.claimID+"/date-of-death", s.operator(), correction).want(http.StatusOK)

	secondID := s.post("/heir-claims", second, claim).want(http.StatusCreated).str("claim_id")
	if got := s.get("/heir-claims/"+d.claimID+"?"+fixed.pos(), d.heirTok).want(http.StatusOK).str("date_of_death"); got != "2026-03-05" {
		t.Fatalf("the first claim shows %s", got)
	}
	// The route by the deceased's CF corrects the same way.
	again := s.post("/backoffice/deceased/"+d.user+"/date-of-death", s.operator(), map[string]any{"date_of_death": "2026-03-04", "reason": "rettifica"}).
		want(http.StatusOK)

	// Every claim the corrections changed says so in its history (SPEC §9):
	// the first claim twice, the second once; the heir reads no operator.
	corrections := func(claimID, tok string) []map[string]any {
		var out []map[string]any
		for _, e := range s.get("/heir-claims/"+claimID+"/history?"+again.pos(), tok).want(http.StatusOK).list("entries") {
			if entry := e.(map[string]any); entry["operation"] == "date_of_death_corrected" {
				out = append(out, entry["details"].(map[string]any))
			}
		}
		return out
	}
	first := corrections(d.claimID, d.heirTok)
	if len(first) != 2 || first[0]["previous"] != "2026-03-06" || first[0]["date_of_death"] != "2026-03-05" ||
		first[1]["date_of_death"] != "2026-03-04" || first[1]["reason"] != "rettifica" || first[1]["operator_cf"] != nil {
		t.Fatalf("the first claim's corrections: %v", first)
	}
	if got := corrections(secondID, s.operator()); len(got) != 1 || got[0]["previous"] != "2026-03-05" || got[0]["operator_cf"] != "OPERATORE-1" {
		t.Fatalf("the second claim's corrections: %v", got)
	}
}

func TestHoursOutOfRangeSayWhy(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	w := newWorld(t, s, 10000)
	for hours, want := range map[float64]string{0: "more than zero", -1: "more than zero", 1e10: "at most 10000"} {
		r := s.post("/services", w.userTok, service(w.worker, 1, hours)).problem(http.StatusUnprocessableEntity, "invalid_hours")
		if !strings.Contains(r.str("detail"), want) {
			t.Fatalf("hours %v: %q does not say %q", hours, r.str("detail"), want)
		}
	}
}

func TestIdempotencyKeyReusedOnAnotherCommandIsRefused(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	tok := s.token(s.cf())
	s.post("/users", tok, nil, "Idempotency-Key", "k-1").want(http.StatusCreated)
	s.post("/workers", tok, nil, "Idempotency-Key", "k-1").problem(http.StatusUnprocessableEntity, "idempotency_key_reused")
	// Keys belong to their caller: another person may use the same one.
	s.post("/users", s.token(s.cf()), nil, "Idempotency-Key", "k-1").want(http.StatusCreated)
	s.post("/workers", tok, nil, "Idempotency-Key", "k-2").want(http.StatusCreated)
}

func TestAnUnknownIdIsNotFoundWithoutInternalNames(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	w := newWorld(t, s, 0)
	for path, tok := range map[string]string{
		"/services/00000000-0000-0000-0000-000000000000/revoke":             w.userTok,
		"/services/not-a-uuid/revoke":                                       w.userTok,
		"/backoffice/services/00000000-0000-0000-0000-000000000000/reverse": s.operator(),
		"/backoffice/refunds/00000000-0000-0000-0000-000000000000/reject":   s.operator(),
	} {
		var body any
		if strings.HasPrefix(path, "/backoffice/") {
			body = map[string]any{"reason": "x"}
		}
		r := s.post(path, tok, body).problem(http.StatusNotFound, "not_found")
		if d := r.str("detail"); strings.Contains(d, "-") {
			t.Fatalf("%s: detail %q names an internal stream", path, d)
		}
	}
}

func TestANULCharacterInTextIsRefusedBeforeItReachesTheReadModels(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	d := newDeceasedWorld(t, s, 10000)
	r := s.post("/backoffice/heir-claims/"+d.claimID+"/reject", s.operator(), map[string]any{"reason": "a\u0000b"}).
		problem(http.StatusBadRequest, "invalid_character")
	if !strings.Contains(string(r.raw), `"field":"reason"`) {
		t.Fatalf("the problem does not name reason: %s", r.raw)
	}
	s.post("/workers", s.token(s.cf()), map[string]any{"iban": testIBAN, "category": "altro\u0000"}).problem(http.StatusBadRequest, "invalid_character")
	// The read models keep up: a later command is read back.
	ok := s.post("/backoffice/heir-claims/"+d.claimID+"/reject", s.operator(), map[string]any{"reason": "non erede"}).want(http.StatusOK)
	if st := s.get("/heir-claims/"+d.claimID+"?"+ok.pos(), d.heirTok).want(http.StatusOK).str("status"); st != "rejected" {
		t.Fatalf("claim status %s", st)
	}
}

func TestStatementOfAYearWithoutPaymentsAndOfAStranger(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	w := newWorld(t, s, 0)
	st := s.get("/workers/"+w.worker+"/statements/2025", w.workerTok).want(http.StatusOK)
	if tot := st.obj("totals"); tot["paid_cents"] != 0.0 || tot["services"] != 0.0 || len(st.list("by_user")) != 0 || len(st.list("by_month")) != 0 {
		t.Fatalf("a year without payments: %s", st.raw)
	}
	s.get("/workers/"+w.worker+"/statements/2025", s.auditor(), "Accept", "application/pdf").want(http.StatusOK)
	// A CF that never registered as a worker is unknown, even to an operator.
	s.get("/workers/"+w.user+"/statements/2026", s.operator()).problem(http.StatusNotFound, "not_found")
	s.get("/workers/"+s.cf()+"/statements/2026", s.auditor()).problem(http.StatusNotFound, "not_found")
}

func TestHugeNumbersCannotOverflowMoney(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	w := newWorld(t, s, 10000)
	for _, amount := range []int64{9223372036854775000, 1_000_001_000} {
		s.post("/deposits", s.system(), map[string]any{"user_cf": w.user, "amount_cents": amount, "channel": "F24", "paid_on": "2026-03-01"}).
			problem(http.StatusUnprocessableEntity, "invalid_amount")
	}
	s.post("/deposits", s.system(), map[string]any{"user_cf": w.user, "amount_cents": 1_000_000_000, "channel": "F24", "paid_on": "2026-03-01"}).
		want(http.StatusCreated)
	// 2^62 vouchers times 1000 cents wraps int64 to zero: it must still be refused.
	for _, v := range []int64{4611686018427387904, 9223372036854775, 1 << 21} {
		body := service(w.worker, 1, 1)
		body["vouchers"] = v
		s.post("/services", w.userTok, body).problem(http.StatusUnprocessableEntity, "cap_exceeded")
	}
	last := s.post("/services", w.userTok, service(w.worker, 1, 1)).want(http.StatusCreated)
	b := s.get("/families/"+w.user+"/dashboard?"+last.pos(), w.userTok).want(http.StatusOK).obj("booklet")
	if b["deposited_cents"] != 1_000_010_000.0 || b["committed_cents"] != 1000.0 {
		t.Fatalf("booklet: %v", b)
	}
}

func TestAPayrollRunPaysAServiceRecordedAnInstantBefore(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	w := newWorld(t, s, 20000)
	// No read between the service and the run: the run must see the service
	// although the read models may not have applied it yet.
	for round := range 5 {
		s.post("/services", w.userTok, service(w.worker, 2, 2)).want(http.StatusCreated)
		run := s.post("/backoffice/payroll-runs", s.operator(), map[string]any{"run_date": "2026-03-10"}).want(http.StatusCreated)
		if run.num("payments") != 1 || run.num("paid_cents") != 1600 {
			t.Fatalf("round %d: the run did not pay the service just recorded: %s", round, run.raw)
		}
	}
}

// TestAnAuditReadWaitsForTheLogToReachMinPosition: the audit routes read
// the event store itself; a position not yet in the log is waited for,
// as on the read models' routes, then 504 read_model_timeout.
func TestAnAuditReadWaitsForTheLogToReachMinPosition(t *testing.T) {
	t.Parallel()
	s := newStackWith(t, func(c *api.Config) { c.ReadWait = 10 * time.Second })
	w := newWorld(t, s, 0)
	deposit := func() *response {
		return s.post("/deposits", s.system(), map[string]any{
			"user_cf": w.user, "amount_cents": 1000, "channel": "F24", "paid_on": "2026-03-01"}).want(http.StatusCreated)
	}
	last := deposit().num("position") // the end of the log: nothing else appends

	read := make(chan *response, 1)
	go func() {
		read <- s.get(fmt.Sprintf("/audit/streams/booklet-%s?min_position=%d", w.user, last+1), s.auditor())
	}()
	time.Sleep(200 * time.Millisecond) // the read is waiting: nothing was appended since
	select {
	case r := <-read:
		t.Fatalf("the read answered %d before the log reached its position: %s", r.status, r.raw)
	default:
	}
	next := deposit().num("position")
	events := (<-read).want(http.StatusOK).list("events")
	// The deposit's position is its last event's: the booklet's event and
	// then the deposit's locator, appended together.
	if got := int64(events[len(events)-1].(map[string]any)["position"].(float64)); got <= last || got > next {
		t.Fatalf("the read's last event is at %d, the second deposit's append ends at %d", got, next)
	}

	far := newStackWith(t, func(c *api.Config) { c.ReadWait = 100 * time.Millisecond })
	far.get("/audit/streams/booklet-"+w.user+"?min_position=999999999", far.auditor()).problem(http.StatusGatewayTimeout, "read_model_timeout")
	far.get("/audit/verify?min_position=999999999", far.auditor()).problem(http.StatusGatewayTimeout, "read_model_timeout")
}
