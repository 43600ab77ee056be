package api_test

import (
	"net/http"
	"testing"
)

func TestFamilyRoutes(t *testing.T) {
	t.Parallel()
	s := newStack(t) // the API always serves the family routes (SPEC §6)
	parent, child := s.cf(), s.cf()
	sys := s.system()

	// The system feeds the facts.
	s.post("/families/"+parent+"/isee", sys, map[string]any{
		"value_cents": 1500000, "protocol": "INPS-ISEE-2026-00000001A-00", "dsu_submitted_on": "2026-01-15",
	}).want(http.StatusCreated)
	again := s.post("/families/"+parent+"/children", sys, map[string]any{"child_cf": child, "birth_date": "2025-11-20"}).want(http.StatusCreated)
	same := s.post("/families/"+parent+"/children", sys, map[string]any{"child_cf": child, "birth_date": "2025-11-20", "disability": "none"}).want(http.StatusCreated)
	if same.num("position") != again.num("position") {
		t.Fatalf("a resent child appends nothing: %d then %d", again.num("position"), same.num("position"))
	}
	app := s.post("/families/"+parent+"/applications", sys, map[string]any{
		"application_id": "AUU-2026-1", "benefit": "AUU", "submitted_on": "2026-01-20",
	}).want(http.StatusCreated)
	if app.str("application_id") != "AUU-2026-1" {
		t.Fatalf("application %s", app.raw)
	}
	s.post("/families/"+parent+"/applications/AUU-2026-1/status", sys, map[string]any{"status": "approved", "changed_on": "2026-02-01"}).want(http.StatusOK)
	pay := s.post("/families/"+parent+"/payments", sys, map[string]any{
		"application_id": "AUU-2026-1", "amount_cents": 30570, "paid_on": "2026-02-20",
	}).want(http.StatusCreated)
	if pay.str("payment_id") == "" {
		t.Fatalf("payment %s", pay.raw)
	}

	// The citizen reads them, with the suggestions of the day (10 March 2026):
	// a newborn without bonus nuovi nati nor bonus nido application.
	tok := s.token(parent)
	fam := s.get("/families/"+parent+"?"+pay.pos(), tok).want(http.StatusOK)
	isee := fam.obj("isee")
	if isee["dsu_submitted_on"] != "2026-01-15" || isee["valid_until"] != "2026-12-31" || isee["valid"] != true {
		t.Fatalf("isee %v", isee)
	}
	kids := fam.list("children")
	if len(kids) != 1 || kids[0].(map[string]any)["age_months"] != float64(3) {
		t.Fatalf("children %v", kids)
	}
	apps := fam.list("applications")
	if len(apps) != 1 || apps[0].(map[string]any)["status"] != "approved" {
		t.Fatalf("applications %v", apps)
	}
	if p := fam.list("payments"); len(p) != 1 {
		t.Fatalf("payments %v", p)
	}
	var codes []string
	for _, x := range fam.list("suggestions") {
		codes = append(codes, x.(map[string]any)["code"].(string))
	}
	if len(codes) != 2 || codes[0] != "bonus_bebe_missing" || codes[1] != "bonus_nido_missing" {
		t.Fatalf("suggestions %v", codes)
	}

	// The dashboard of a user with a booklet carries the family part.
	user := s.post("/users", tok, nil).want(http.StatusCreated)
	dash := s.get("/families/"+parent+"/dashboard?"+user.pos(), tok).want(http.StatusOK)
	if f := dash.obj("family"); len(f["applications"].([]any)) != 1 {
		t.Fatalf("dashboard family %v", f)
	}

	// Others see nothing; only the system feeds.
	s.get("/families/"+parent, s.token(s.cf())).problem(http.StatusNotFound, "not_found")
	s.get("/families/"+parent, s.operator()).want(http.StatusOK)
	s.post("/families/"+parent+"/isee", tok, map[string]any{"value_cents": 1, "protocol": "P", "dsu_submitted_on": "2026-01-15"}).problem(http.StatusForbidden, "forbidden")
	s.post("/families/"+parent+"/isee", "", map[string]any{"value_cents": 1, "protocol": "P", "dsu_submitted_on": "2026-01-15"}).want(http.StatusUnauthorized)

	// Refusals carry their codes.
	s.post("/families/NOTACF/children", sys, map[string]any{"child_cf": child, "birth_date": "2025-11-20"}).problem(http.StatusUnprocessableEntity, "invalid_cf")
	s.post("/families/"+parent+"/children", sys, map[string]any{"child_cf": child, "birth_date": "2025-11-20", "disability": "lieve"}).problem(http.StatusUnprocessableEntity, "invalid_disability")
	s.post("/families/"+parent+"/children", sys, map[string]any{"child_cf": child, "birth": "2025-11-20"}).want(http.StatusBadRequest)
	s.post("/families/"+parent+"/payments", sys, map[string]any{"application_id": "NOPE", "amount_cents": 1, "paid_on": "2026-02-20"}).problem(http.StatusUnprocessableEntity, "unknown_application")
	s.post("/families/"+parent+"/applications/NOPE/status", sys, map[string]any{"status": "approved"}).problem(http.StatusNotFound, "not_found")
	s.post("/families/"+parent+"/applications", sys, map[string]any{
		"application_id": "AUU-2026-1", "benefit": "BONUS_NIDO", "submitted_on": "2026-01-20",
	}).problem(http.StatusConflict, "already_exists")
	s.post("/families/"+parent+"/isee", sys, map[string]any{"value_cents": 1, "protocol": "INPS-ISEE-2026-00000001A-00", "dsu_submitted_on": "2026-01-15"}).
		problem(http.StatusConflict, "already_exists")

	// An Idempotency-Key repeat answers the first response.
	body := map[string]any{"application_id": "AUU-2026-1", "amount_cents": 30570, "paid_on": "2026-03-01"}
	first := s.post("/families/"+parent+"/payments", sys, body, "Idempotency-Key", "pay-2026-03").want(http.StatusCreated)
	second := s.post("/families/"+parent+"/payments", sys, body, "Idempotency-Key", "pay-2026-03").want(http.StatusCreated)
	if string(first.raw) != string(second.raw) {
		t.Fatalf("idempotent repeat %s then %s", first.raw, second.raw)
	}
}

func TestSimulatorAndAssistantRoutes(t *testing.T) {
	t.Parallel()
	s := newStack(t) // the API always serves the family routes (SPEC §6)

	auu := s.post("/simulators/auu", "", map[string]any{
		"year": 2026, "isee_cents": 1000000, "on_date": "2026-03-10",
		"children": []any{map[string]any{"birth_date": "2025-12-01"}, map[string]any{"birth_date": "2018-01-01", "disability": "grave"}},
	}).want(http.StatusOK)
	if auu.num("monthly_total_cents") != 20380+10190+20380+11060 || len(auu.list("per_child")) != 2 {
		t.Fatalf("auu %s", auu.raw)
	}
	noISEE := s.post("/simulators/auu", "", map[string]any{"year": 2025, "children": []any{map[string]any{"birth_date": "2015-01-01"}}}).want(http.StatusOK)
	if noISEE.num("monthly_total_cents") != 5750 {
		t.Fatalf("no ISEE pays the minimum: %s", noISEE.raw)
	}
	s.post("/simulators/auu", "", map[string]any{"year": 2019, "children": []any{map[string]any{"birth_date": "2015-01-01"}}}).
		problem(http.StatusUnprocessableEntity, "unsupported_year")
	s.post("/simulators/auu", "", map[string]any{"year": 2025, "isee": 3}).want(http.StatusBadRequest)

	nido := s.post("/simulators/bonus-nido", "", map[string]any{"year": 2026, "isee_cents": 3000000, "birth_date": "2025-04-01"}).want(http.StatusOK)
	inst := nido.list("instalments")
	if nido.num("yearly_cents") != 360000 || len(inst) != 11 || inst[10].(map[string]any)["cents"] != float64(32730) {
		t.Fatalf("nido %s", nido.raw)
	}
	s.post("/simulators/bonus-nido", "", map[string]any{"year": 2026, "birth_date": "2020-04-01"}).problem(http.StatusUnprocessableEntity, "not_eligible")

	params := s.get("/simulators/parameters", "").want(http.StatusOK)
	if len(params.list("years")) != 2 {
		t.Fatalf("parameters %s", params.raw)
	}

	ans := s.post("/assistant", "", map[string]any{"question": "Come chiedo il rimborso del libretto di mio padre deceduto?"}).want(http.StatusOK)
	if ans.body["found"] != true || ans.list("passages")[0].(map[string]any)["id"] != "eredi-rimborso" {
		t.Fatalf("assistant %s", ans.raw)
	}
	none := s.post("/assistant", "", map[string]any{"question": "ricetta della carbonara"}).want(http.StatusOK)
	if none.body["found"] != false || len(none.list("passages")) != 0 {
		t.Fatalf("assistant without answer %s", none.raw)
	}
}

// TestTheSimulatorsAndTheAssistantHonourIdempotencyKeys: SPEC §5, every
// POST accepts Idempotency-Key. A repeat gets the first answer; the key
// with another body is idempotency_key_reused; a refusal is decided again.
func TestTheSimulatorsAndTheAssistantHonourIdempotencyKeys(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	nido := func(isee int64, token, key string) *response {
		return s.post("/simulators/bonus-nido", token, map[string]any{"year": 2026, "isee_cents": isee, "birth_date": "2025-04-01"},
			"Idempotency-Key", key)
	}
	cases := []struct {
		name  string
		token string
	}{
		{"an anonymous caller", ""},
		{"a citizen", s.token(s.cf())},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			first := nido(3000000, c.token, "nido-1").want(http.StatusOK)
			again := nido(3000000, c.token, "nido-1").want(http.StatusOK)
			if string(first.raw) != string(again.raw) {
				t.Fatalf("the repeat answered %s, the first %s", again.raw, first.raw)
			}
			nido(4500000, c.token, "nido-1").problem(http.StatusUnprocessableEntity, "idempotency_key_reused")
			nido(4500000, c.token, "nido-2").want(http.StatusOK)
		})
	}

	refused := map[string]any{"year": 2026, "birth_date": "2020-04-01"}
	s.post("/simulators/bonus-nido", "", refused, "Idempotency-Key", "nido-old").problem(http.StatusUnprocessableEntity, "not_eligible")
	s.post("/simulators/bonus-nido", "", refused, "Idempotency-Key", "nido-old").problem(http.StatusUnprocessableEntity, "not_eligible")

	auu := map[string]any{"year": 2025, "children": []any{map[string]any{"birth_date": "2015-01-01"}}}
	s.post("/simulators/auu", "", auu, "Idempotency-Key", "auu-1").want(http.StatusOK)
	s.post("/simulators/auu", "", map[string]any{"year": 2026, "children": auu["children"]}, "Idempotency-Key", "auu-1").
		problem(http.StatusUnprocessableEntity, "idempotency_key_reused")
	s.post("/assistant", "", map[string]any{"question": "rimborso"}, "Idempotency-Key", "ask-1").want(http.StatusOK)
	s.post("/assistant", "", map[string]any{"question": "nido"}, "Idempotency-Key", "ask-1").
		problem(http.StatusUnprocessableEntity, "idempotency_key_reused")
}
