package api_test

import (
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/inps/libretto/http/api"
)

// TestDelegationsActWithinScopeAndUntilRevokedOrExpired pins SPEC §9's
// delegations: a patronato granted the libretto scope records a service for
// an elderly user (the audit stream shows both), a stranger's, an
// out-of-scope, a revoked and an expired X-On-Behalf-Of are each 404, and
// bad grants are refused.
func TestDelegationsActWithinScopeAndUntilRevokedOrExpired(t *testing.T) {
	t.Parallel()
	var clock atomic.Pointer[time.Time]
	now := testNow
	clock.Store(&now)
	s := newStackWith(t, func(c *api.Config) {
		c.ReadWait = 30 * time.Second
		c.Now = func() time.Time { return *clock.Load() }
	})
	elderly := newWorld(t, s, 50000)
	patronato := s.cf()
	pt := s.token(patronato)
	obo := func() []string { return []string{api.OnBehalfOfHeader, elderly.user} }

	// Before any delegation, the patronato is a stranger.
	s.post("/services", pt, service(elderly.worker, 1, 1), obo()...).problem(http.StatusNotFound, "not_found")

	g := s.post("/delegations", elderly.userTok, map[string]any{
		"delegate_cf": patronato, "scope": []string{"libretto"}, "expires_on": "2026-06-30",
	}).want(http.StatusCreated)
	id := g.str("delegation_id")

	// Within scope: the service is the elderly user's, recorded by the patronato.
	svc := s.post("/services", pt, service(elderly.worker, 2, 2), obo()...).want(http.StatusCreated)
	events := s.get("/audit/streams/booklet-"+elderly.user+"?"+svc.pos(), s.auditor()).want(http.StatusOK).list("events")
	last := events[len(events)-1].(map[string]any)
	actor := last["actor"].(map[string]any)
	if last["type"] != "ServiceRecorded" || actor["id"] != patronato || actor["on_behalf_of"] != elderly.user || actor["role"] != "citizen" {
		t.Fatalf("the service's event records %v as %v, want the patronato acting for the user", last["type"], actor)
	}
	s.get("/families/"+elderly.user+"/dashboard?"+svc.pos(), pt, obo()...).want(http.StatusOK)
	s.post("/services/"+svc.str("service_id")+"/revoke", pt, nil, obo()...).want(http.StatusOK)

	// Out of scope: heir claims, registering as a worker, the person's
	// family data, delegating further.
	s.post("/heir-claims", pt, map[string]any{"deceased_cf": s.cf(), "date_of_death": "2026-03-06", "heir_kind": "legittimo"}, obo()...).
		problem(http.StatusNotFound, "not_found")
	s.get("/heir-claims", pt, obo()...).problem(http.StatusNotFound, "not_found")
	s.post("/workers", pt, map[string]any{}, obo()...).problem(http.StatusNotFound, "not_found")
	s.post("/delegations", pt, map[string]any{"delegate_cf": s.cf(), "scope": []string{"libretto"}, "expires_on": "2026-06-30"}, obo()...).
		problem(http.StatusNotFound, "not_found")
	// Another person's booklet through the delegation is still a stranger's.
	other := newWorld(t, s, 10000)
	s.get("/families/"+other.user+"/dashboard", pt, obo()...).problem(http.StatusNotFound, "not_found")

	// A stranger naming the elderly user, and a header that is no CF.
	s.post("/services", s.token(s.cf()), service(elderly.worker, 1, 1), obo()...).problem(http.StatusNotFound, "not_found")
	s.post("/services", pt, service(elderly.worker, 1, 1), api.OnBehalfOfHeader, "nobody").problem(http.StatusBadRequest, "invalid_on_behalf_of")

	// Both sides list it.
	mine := s.get("/delegations", elderly.userTok).want(http.StatusOK)
	if got := mine.list("granted"); len(got) != 1 || got[0].(map[string]any)["status"] != "active" {
		t.Fatalf("granted: %s", mine.raw)
	}
	theirs := s.get("/delegations", pt).want(http.StatusOK)
	if got := theirs.list("received"); len(got) != 1 || got[0].(map[string]any)["grantor_cf"] != elderly.user {
		t.Fatalf("received: %s", theirs.raw)
	}

	// Only the grantor revokes; then the patronato is a stranger again.
	s.do("DELETE", "/delegations/"+id, pt, nil).problem(http.StatusNotFound, "not_found")
	s.do("DELETE", "/delegations/"+id, elderly.userTok, nil).want(http.StatusOK)
	s.do("DELETE", "/delegations/"+id, elderly.userTok, nil).problem(http.StatusConflict, "invalid_state")
	s.post("/services", pt, service(elderly.worker, 1, 1), obo()...).problem(http.StatusNotFound, "not_found")

	// A fresh delegation works until its last day, and not the day after.
	s.post("/delegations", elderly.userTok, map[string]any{
		"delegate_cf": patronato, "scope": []string{"libretto", "eredi"}, "expires_on": "2026-03-11",
	}).want(http.StatusCreated)
	s.post("/delegations", elderly.userTok, map[string]any{
		"delegate_cf": patronato, "scope": []string{"eredi"}, "expires_on": "2026-04-11",
	}).problem(http.StatusConflict, "already_exists")
	lastDay := time.Date(2026, 3, 11, 20, 0, 0, 0, time.UTC)
	clock.Store(&lastDay)
	fresh := func(cf string) string { s.tokens.Delete(cf + "|citizen"); return s.token(cf) } // tokens expire with the clock
	pt = fresh(patronato)
	s.get("/families/"+elderly.user+"/dashboard", pt, obo()...).want(http.StatusOK)
	after := time.Date(2026, 3, 12, 9, 0, 0, 0, time.UTC)
	clock.Store(&after)
	pt = fresh(patronato)
	s.get("/families/"+elderly.user+"/dashboard", pt, obo()...).problem(http.StatusNotFound, "not_found")
	clock.Store(&now)
	elderly.userTok = fresh(elderly.user)

	// Bad grants.
	for name, tc := range map[string]struct {
		body   any
		status int
		code   string
	}{
		"unknown field":        {map[string]any{"delegate_cf": patronato, "scope": []string{"libretto"}, "expires_on": "2026-06-30", "x": 1}, 400, "unknown_field"},
		"invalid delegate CF":  {map[string]any{"delegate_cf": "RSSMRA", "scope": []string{"libretto"}, "expires_on": "2026-06-30"}, 422, "invalid_cf"},
		"to oneself":           {map[string]any{"delegate_cf": elderly.user, "scope": []string{"libretto"}, "expires_on": "2026-06-30"}, 422, "invalid_delegate"},
		"no scope":             {map[string]any{"delegate_cf": s.cf(), "scope": []string{}, "expires_on": "2026-06-30"}, 422, "invalid_scope"},
		"unknown scope":        {map[string]any{"delegate_cf": s.cf(), "scope": []string{"tutto"}, "expires_on": "2026-06-30"}, 422, "invalid_scope"},
		"expiring today":       {map[string]any{"delegate_cf": s.cf(), "scope": []string{"libretto"}, "expires_on": "2026-03-10"}, 422, "invalid_date"},
		"malformed expiry":     {map[string]any{"delegate_cf": s.cf(), "scope": []string{"libretto"}, "expires_on": "31/12/2026"}, 422, "invalid_date"},
		"more than five years": {map[string]any{"delegate_cf": s.cf(), "scope": []string{"libretto"}, "expires_on": "2036-01-01"}, 422, "invalid_date"},
	} {
		r := s.post("/delegations", elderly.userTok, tc.body)
		if r.status != tc.status || (tc.code != "" && r.str("code") != tc.code) {
			t.Errorf("%s: %d %s, want %d %s", name, r.status, r.raw, tc.status, tc.code)
		}
	}
}
