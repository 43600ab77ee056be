package api_test

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/inps/libretto/http/api"
)

// TestErrorCodes hits every error code of SPEC §5 the way a client would,
// and checks status, problem+json and code.
// TestReadModelTimeout waits the default 5 s for a position no projector
// will reach.
func TestReadModelTimeout(t *testing.T) {
	t.Parallel()
	s := newStackWith(t, func(*api.Config) {})
	s.get("/backoffice/worklist?min_position=999999999", s.operator()).problem(http.StatusGatewayTimeout, "read_model_timeout")
}

func TestErrorCodes(t *testing.T) {
	t.Parallel()
	s := newStack(t)

	cases := []struct {
		name   string
		status int
		code   string
		field  string
		hit    func(t *testing.T) *response
	}{
		{"a CF with a wrong check character is invalid_cf", 422, "invalid_cf", "user_cf", func(t *testing.T) *response {
			w := newWorld(t, s, 0)
			return s.post("/deposits", s.system(), map[string]any{
				"user_cf": wrongCheckChar(w.user), "amount_cents": 1000, "channel": "F24", "paid_on": "2026-03-01"})
		}},
		{"an IBAN failing mod-97 is invalid_iban", 422, "invalid_iban", "iban", func(t *testing.T) *response {
			return s.post("/workers", s.token(s.cf()), map[string]any{"iban": "IT60X0542811101000000123457"})
		}},
		{"a negative deposit is refused", 422, "invalid_amount", "amount_cents", func(t *testing.T) *response {
			w := newWorld(t, s, 0)
			return s.post("/deposits", s.system(), map[string]any{
				"user_cf": w.user, "amount_cents": -1000, "channel": "F24", "paid_on": "2026-03-01"})
		}},
		{"more vouchers than the balance is insufficient_funds", 422, "insufficient_funds", "", func(t *testing.T) *response {
			w := newWorld(t, s, 2000)
			return s.post("/services", w.userTok, service(w.worker, 3, 3))
		}},
		{"crossing the worker-for-user cap is cap_exceeded", 422, "cap_exceeded", "", func(t *testing.T) *response {
			w := newWorld(t, s, 313000)
			return s.post("/services", w.userTok, service(w.worker, 313, 1))
		}},
		{"fewer vouchers than hours is vouchers_below_hours", 422, "vouchers_below_hours", "", func(t *testing.T) *response {
			w := newWorld(t, s, 10000)
			return s.post("/services", w.userTok, service(w.worker, 2, 2.5))
		}},
		{"a January service recorded in March is deadline_passed", 422, "deadline_passed", "", func(t *testing.T) *response {
			w := newWorld(t, s, 10000)
			body := service(w.worker, 1, 1)
			body["start_date"], body["end_date"] = "2026-01-19", "2026-01-20"
			return s.post("/services", w.userTok, body)
		}},
		{"a service with an unregistered worker is worker_not_registered", 422, "worker_not_registered", "", func(t *testing.T) *response {
			w := newWorld(t, s, 10000)
			return s.post("/services", w.userTok, service(s.cf(), 1, 1))
		}},
		{"opening one's booklet twice is already_exists", 409, "already_exists", "", func(t *testing.T) *response {
			w := newWorld(t, s, 0)
			return s.post("/users", w.userTok, nil)
		}},
		{"a testamentary heir without a will is will_required", 422, "will_required", "", func(t *testing.T) *response {
			w := newWorld(t, s, 0)
			return s.post("/heir-claims", s.token(s.cf()), map[string]any{
				"deceased_cf": w.user, "date_of_death": "2026-03-06", "heir_kind": "testamentario"})
		}},
		{"a second heir with another date of death is date_of_death_mismatch", 409, "date_of_death_mismatch", "", func(t *testing.T) *response {
			d := newDeceasedWorld(t, s, 0)
			return s.post("/heir-claims", s.token(s.cf()), map[string]any{
				"deceased_cf": d.user, "date_of_death": "2026-03-01", "heir_kind": "legittimo"})
		}},
		{"a prior service ending after the death is service_after_death", 422, "service_after_death", "", func(t *testing.T) *response {
			d := newDeceasedWorld(t, s, 10000)
			body := service(d.worker, 1, 1)
			body["start_date"], body["end_date"] = "2026-03-06", "2026-03-08"
			body["declarations"] = map[string]any{"no_known_employment": true}
			return s.post("/heir-claims/"+d.claimID+"/prior-services", d.heirTok, body)
		}},
		{"an heir inserting a service to themselves is heir_is_worker", 422, "heir_is_worker", "", func(t *testing.T) *response {
			d := newDeceasedWorld(t, s, 10000)
			s.post("/workers", d.heirTok, map[string]any{"iban": testIBAN}).want(http.StatusCreated)
			body := service(d.heir, 1, 1)
			body["declarations"] = map[string]any{"no_known_employment": true}
			return s.post("/heir-claims/"+d.claimID+"/prior-services", d.heirTok, body)
		}},
		{"a second refund of the booklet is refund_already_requested", 409, "refund_already_requested", "", func(t *testing.T) *response {
			d := newDeceasedWorld(t, s, 10000)
			s.post("/heir-claims/"+d.claimID+"/refund", d.heirTok, map[string]any{"iban": testIBAN}).want(http.StatusCreated)
			other := s.token(s.cf())
			c := s.post("/heir-claims", other, map[string]any{
				"deceased_cf": d.user, "date_of_death": "2026-03-06", "heir_kind": "legittimo"}).want(http.StatusCreated)
			return s.post("/heir-claims/"+c.str("claim_id")+"/refund", other, map[string]any{"iban": testIBAN})
		}},
		{"a refund of an empty booklet is nothing_to_refund", 422, "nothing_to_refund", "", func(t *testing.T) *response {
			d := newDeceasedWorld(t, s, 0)
			return s.post("/heir-claims/"+d.claimID+"/refund", d.heirTok, map[string]any{"iban": testIBAN})
		}},
		{"approving the refund of a claim not validated is claim_not_validated", 422, "claim_not_validated", "", func(t *testing.T) *response {
			d := newDeceasedWorld(t, s, 10000)
			r := s.post("/heir-claims/"+d.claimID+"/refund", d.heirTok, map[string]any{"iban": testIBAN}).want(http.StatusCreated)
			return s.post("/backoffice/refunds/"+r.str("refund_id")+"/approve", s.operator(), nil)
		}},
		{"one idempotency key with another body is idempotency_key_reused", 422, "idempotency_key_reused", "", func(t *testing.T) *response {
			w := newWorld(t, s, 10000)
			s.post("/services", w.userTok, service(w.worker, 1, 1), "Idempotency-Key", "k-"+w.user).want(http.StatusCreated)
			return s.post("/services", w.userTok, service(w.worker, 2, 1), "Idempotency-Key", "k-"+w.user)
		}},
		{"malformed JSON is malformed_json", 400, "malformed_json", "", func(t *testing.T) *response {
			return s.post("/workers", s.token(s.cf()), `{"iban": "IT60`)
		}},
		{"an unknown field is unknown_field", 400, "unknown_field", "ibann", func(t *testing.T) *response {
			return s.post("/workers", s.token(s.cf()), `{"ibann": "IT60X0542811101000000123456"}`)
		}},
		{"a string where a number belongs is invalid_type", 400, "invalid_type", "amount_cents", func(t *testing.T) *response {
			w := newWorld(t, s, 0)
			return s.post("/deposits", s.system(), `{"user_cf":"`+w.user+`","amount_cents":"1000","channel":"F24","paid_on":"2026-03-01"}`)
		}},
		{"fractional vouchers are invalid_type", 400, "invalid_type", "vouchers", func(t *testing.T) *response {
			w := newWorld(t, s, 10000)
			body := service(w.worker, 1, 1)
			body["vouchers"] = 1.5
			return s.post("/services", w.userTok, body)
		}},
		{"a JSON array body is malformed_json", 400, "malformed_json", "", func(t *testing.T) *response {
			return s.post("/users", s.token(s.cf()), `[]`)
		}},
		{"two JSON values are malformed_json", 400, "malformed_json", "", func(t *testing.T) *response {
			return s.post("/users", s.token(s.cf()), `{} {}`)
		}},
		{"a 10 MiB body is body_too_large", 413, "body_too_large", "", func(t *testing.T) *response {
			w := newWorld(t, s, 0)
			big := `{"worker_cf":"` + strings.Repeat("A", 10<<20) + `"}`
			return s.post("/services", w.userTok, big)
		}},
		{"a heir claim over 16 MiB is body_too_large", 413, "body_too_large", "", func(t *testing.T) *response {
			big := `{"will":{"filename":"t.pdf","content_base64":"` + strings.Repeat("A", 17<<20) + `"}}`
			return s.post("/heir-claims", s.token(s.cf()), big)
		}},
		{"a will over 10 MiB is invalid_will", 422, "invalid_will", "", func(t *testing.T) *response {
			w := newWorld(t, s, 0)
			will := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("x"), 10<<20)...)
			return s.post("/heir-claims", s.token(s.cf()), map[string]any{
				"deceased_cf": w.user, "date_of_death": "2026-03-06", "heir_kind": "testamentario",
				"will": map[string]any{"filename": "testamento.pdf", "content_base64": base64.StdEncoding.EncodeToString(will)}})
		}},
		{"bad base64 in the will is invalid_base64", 400, "invalid_base64", "will.content_base64", func(t *testing.T) *response {
			return s.post("/heir-claims", s.token(s.cf()), `{"deceased_cf":"X","date_of_death":"2026-03-06","heir_kind":"testamentario","will":{"filename":"a.pdf","content_base64":"!!!"}}`)
		}},
		{"an XML body is unsupported_media_type", 415, "unsupported_media_type", "", func(t *testing.T) *response {
			return s.do("POST", "/users", s.token(s.cf()), "<user/>", "Content-Type", "application/xml")
		}},
		{"a form body that is not JSON is malformed_json", 400, "malformed_json", "", func(t *testing.T) *response {
			return s.do("POST", "/users", s.token(s.cf()), "a=b", "Content-Type", "application/x-www-form-urlencoded")
		}},
		{"no token is unauthorized", 401, "unauthorized", "", func(t *testing.T) *response {
			return s.post("/users", "", nil)
		}},
		{"a forged token is invalid_token", 401, "invalid_token", "", func(t *testing.T) *response {
			tok := s.token(s.cf())
			return s.post("/users", tok[:len(tok)-4]+"AAAA", nil)
		}},
		{"a citizen recording a deposit is forbidden", 403, "forbidden", "", func(t *testing.T) *response {
			w := newWorld(t, s, 0)
			return s.post("/deposits", w.userTok, map[string]any{
				"user_cf": w.user, "amount_cents": 1000, "channel": "F24", "paid_on": "2026-03-01"})
		}},
		{"revoking another user's service is not_found", 404, "not_found", "", func(t *testing.T) *response {
			w := newWorld(t, s, 10000)
			svc := s.post("/services", w.userTok, service(w.worker, 1, 1)).want(http.StatusCreated)
			other := newWorld(t, s, 0)
			return s.post("/services/"+svc.str("service_id")+"/revoke", other.userTok, nil)
		}},
		{"asking a refund on another heir's claim is not_found", 404, "not_found", "", func(t *testing.T) *response {
			d := newDeceasedWorld(t, s, 10000)
			return s.post("/heir-claims/"+d.claimID+"/refund", s.token(s.cf()), map[string]any{"iban": testIBAN})
		}},
		{"reading another heir's claim is not_found", 404, "not_found", "", func(t *testing.T) *response {
			d := newDeceasedWorld(t, s, 0)
			return s.get("/heir-claims/"+d.claimID+"?"+d.last.pos(), s.token(s.cf()))
		}},
		{"reading another person's dashboard is not_found", 404, "not_found", "", func(t *testing.T) *response {
			w := newWorld(t, s, 1000)
			return s.get("/families/"+w.user+"/dashboard?"+w.last.pos(), w.workerTok)
		}},
		{"reading another worker's statement is not_found", 404, "not_found", "", func(t *testing.T) *response {
			w := newWorld(t, s, 0)
			return s.get("/workers/"+w.worker+"/statements/2026", w.userTok)
		}},
		{"an unknown claim is not_found", 404, "not_found", "", func(t *testing.T) *response {
			return s.get("/heir-claims/6f1c1c9e-8a7e-4d7e-9d43-3a4f5e0c2b11", s.operator())
		}},
		{"an unknown route is not_found", 404, "not_found", "", func(t *testing.T) *response {
			return s.get("/no-such-thing", s.operator())
		}},
		{"a bad min_position is invalid_min_position", 400, "invalid_min_position", "min_position", func(t *testing.T) *response {
			return s.get("/backoffice/worklist?min_position=abc", s.operator())
		}},
		{"a bad as_of is invalid_as_of", 400, "invalid_as_of", "as_of", func(t *testing.T) *response {
			return s.get("/audit/heir-claims/6f1c1c9e-8a7e-4d7e-9d43-3a4f5e0c2b11/replay?as_of=yesterday", s.auditor())
		}},
		{"a citizen token for a subject that is not a CF is invalid_cf", 422, "invalid_cf", "subject", func(t *testing.T) *response {
			return s.post("/dev/token", "", map[string]any{"subject": "mario", "roles": []string{"citizen"}})
		}},
		{"an unknown role is invalid_role", 422, "invalid_role", "roles", func(t *testing.T) *response {
			return s.post("/dev/token", "", map[string]any{"subject": "x", "roles": []string{"admin"}})
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := tc.hit(t)
			r.problem(tc.status, tc.code)
			if r.num("status") != int64(tc.status) || r.str("type") == "" || r.str("title") == "" {
				t.Fatalf("problem %s", r.raw)
			}
			errs := r.list("errors")
			if tc.field != "" {
				if len(errs) == 0 || errs[0].(map[string]any)["field"] != tc.field {
					t.Fatalf("errors %v, want field %q", errs, tc.field)
				}
			}
		})
	}
}
