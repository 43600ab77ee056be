package api_test

import (
	"strings"
	"testing"
)

// TestHostileInputNeverCauses500 sends odd ids, extreme numbers, impossible
// dates, NUL characters and long strings to every route: whatever the answer,
// it is a 4xx problem, never a 500.
func TestHostileInputNeverCauses500(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	d := newDeceasedWorld(t, s, 10000)
	nul := "a\u0000b"
	long := strings.Repeat("Z", 100_000)
	ids := []string{"abc", "00000000-0000-0000-0000-000000000000", "%27%3B--", long[:300], "6f1c1c9e-8a7e-4d7e-9d43-3a4f5e0c2b11"}
	svcBodies := []map[string]any{
		{"worker_cf": d.worker, "activity": "lavori_domestici", "start_date": "2026-02-30", "end_date": "9999-99-99", "hours": 1e308, "vouchers": 9223372036854775807,
			"declarations": map[string]any{"no_recent_employment": true}},
		{"worker_cf": nul, "activity": nul, "start_date": nul, "end_date": long, "hours": -1, "vouchers": -5},
		{"worker_cf": d.worker, "activity": "lavori_domestici", "start_date": "2026-03-02", "end_date": "2026-03-02", "hours": 0.001, "vouchers": 0,
			"declarations": map[string]any{"no_recent_employment": true}},
		{"worker_cf": d.worker, "activity": "lavori_domestici", "start_date": "2026-03-05", "end_date": "2026-03-02", "hours": 1, "vouchers": 1,
			"declarations": map[string]any{"no_recent_employment": true}},
	}
	type req struct {
		method, path, token string
		body                any
	}
	var reqs []req
	for _, b := range svcBodies {
		reqs = append(reqs, req{"POST", "/services", d.userTok, b})
		pb := map[string]any{}
		for k, v := range b {
			pb[k] = v
		}
		pb["declarations"] = map[string]any{"no_known_employment": true}
		reqs = append(reqs, req{"POST", "/heir-claims/" + d.claimID + "/prior-services", d.heirTok, pb})
	}
	reqs = append(reqs,
		req{"POST", "/workers", s.token(s.cf()), map[string]any{"iban": nul, "category": long}},
		req{"POST", "/workers", s.token(s.cf()), map[string]any{"iban": long}},
		req{"POST", "/deposits", s.system(), map[string]any{"user_cf": d.user, "amount_cents": 9223372036854775807, "channel": "F24", "paid_on": "2026-03-01"}},
		req{"POST", "/deposits", s.system(), map[string]any{"user_cf": d.user, "amount_cents": 1000, "channel": nul, "paid_on": "0000-00-00"}},
		req{"POST", "/heir-claims", s.token(s.cf()), map[string]any{"deceased_cf": d.user, "date_of_death": "1800-01-01", "heir_kind": nul,
			"will": map[string]any{"filename": nul + long, "content_base64": ""}}},
		req{"POST", "/heir-claims", s.token(s.cf()), map[string]any{"deceased_cf": d.user, "date_of_death": "2026-03-06", "heir_kind": "testamentario",
			"will": map[string]any{"filename": "x.exe", "content_base64": "TVqQAAMAAAAEAAAA"}}},
		req{"POST", "/heir-claims/" + d.claimID + "/refund", d.heirTok, map[string]any{"iban": nul}},
		req{"POST", "/backoffice/heir-claims/" + d.claimID + "/reject", s.operator(), map[string]any{"reason": nul}},
		req{"POST", "/backoffice/heir-claims/" + d.claimID + "/validate", s.operator(), map[string]any{"note": long}},
		req{"POST", "/backoffice/payroll-runs", s.operator(), map[string]any{"run_date": "2026-13-45"}},
		req{"POST", "/backoffice/payroll-runs", s.operator(), map[string]any{"run_date": nul}},
		req{"POST", "/backoffice/deceased/" + d.user + "/date-of-death", s.operator(), map[string]any{"date_of_death": "2026-03-01", "reason": nul}},
		req{"POST", "/backoffice/deceased/a%00b/date-of-death", s.operator(), map[string]any{"date_of_death": "2026-03-01", "reason": "x"}},
		req{"GET", "/workers/" + d.worker + "/statements/99999999999999999999", s.operator(), nil},
		req{"GET", "/families/" + long[:200] + "/dashboard", s.operator(), nil},
		req{"GET", "/audit/streams/" + long[:2000], s.auditor(), nil},
		req{"GET", "/audit/heir-claims/" + d.claimID + "/replay?as_of=0001-01-01T00:00:00Z", s.auditor(), nil},
		req{"GET", "/audit/heir-claims/" + d.claimID + "/replay?as_of=9999-12-31T23:59:59Z", s.auditor(), nil},
		req{"GET", "/backoffice/worklist?min_position=-1", s.operator(), nil},
		req{"GET", "/backoffice/worklist?min_position=99999999999999999999", s.operator(), nil},
		req{"POST", "/dev/token", "", map[string]any{"subject": nul, "roles": []string{"operator"}}},
		req{"POST", "/dev/token", "", map[string]any{"subject": long, "roles": []string{"system"}}},
	)
	for _, id := range ids {
		for _, p := range []string{
			"/services/" + id + "/revoke", "/heir-claims/" + id + "/refund", "/heir-claims/" + id + "/prior-services",
			"/backoffice/heir-claims/" + id + "/validate", "/backoffice/heir-claims/" + id + "/reject",
			"/backoffice/refunds/" + id + "/approve", "/backoffice/refunds/" + id + "/reject", "/backoffice/refunds/" + id + "/paid",
			"/backoffice/services/" + id + "/reverse",
		} {
			tok := s.operator()
			if !strings.HasPrefix(p, "/backoffice") {
				tok = d.heirTok
			}
			reqs = append(reqs, req{"POST", p, tok, map[string]any{}})
		}
		for _, p := range []string{"/heir-claims/" + id, "/heir-claims/" + id + "/history", "/heir-claims/" + id + "/will", "/audit/heir-claims/" + id + "/replay"} {
			tok := s.operator()
			if strings.HasPrefix(p, "/audit") {
				tok = s.auditor()
			}
			reqs = append(reqs, req{"GET", p, tok, nil})
		}
	}
	for _, rq := range reqs {
		r := s.do(rq.method, rq.path, rq.token, rq.body)
		if r.status >= 500 {
			t.Errorf("%s %.80s: status %d\n%.400s", rq.method, rq.path, r.status, r.raw)
		}
	}
	if strings.Contains(s.logs.String(), `"level":"ERROR"`) {
		t.Errorf("hostile input logged errors:\n%.2000s", s.logs.String())
	}
}
