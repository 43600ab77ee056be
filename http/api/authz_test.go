package api_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/domain/access"
	"github.com/inps/libretto/eventstore/memory"
	"github.com/inps/libretto/http/api"
)

// TestEveryRouteHasARule walks the router: every route is registered with
// an action of the access table, and every action of the table but the
// portal's own is served by some route. A route added without a rule fails
// here, not in production.
func TestEveryRouteHasARule(t *testing.T) {
	t.Parallel()
	store := memory.New()
	h := commands.NewHandler(store, memory.NewIdempotency(), memory.NewDocuments())
	srv, err := api.New(api.Config{Commands: h, Queries: noQueries{}, Store: store})
	if err != nil {
		t.Fatal(err)
	}
	served := map[access.Action]bool{}
	err = chi.Walk(srv.Routes(), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		a, ok := srv.ActionOf(method, route)
		if !ok {
			t.Errorf("%s %s has no rule in the access table", method, route)
		}
		served[a] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range access.Actions() {
		if !served[a] && a != access.SignIn {
			t.Errorf("the access table's %s is served by no route", a)
		}
	}
}

// accessCell is one request of the walk: an action done through a route,
// on data whose parties are known, or on the caller's own (self) when the
// route names no one.
type accessCell struct {
	action       access.Action
	method, path string
	body         any
	parties      access.Parties // whose data the path names
	self         string         // the subject acting on their own data, for routes that name no one
}

// TestTheAccessTableWalked (it replaces the hand-written route × role
// matrix that restated SPEC §5 beside the routes) makes, for every action of the access table,
// every role (none, each one, citizen and operator together) and every
// relation to the data the route can express (its party, a stranger), the
// real request, and checks the status the table contracts: 401 without a
// token, 403 for a role it refuses, 404 for data that is not the caller's
// (with none of it in the answer), and otherwise no access error. Every
// refused request leaves the event log's head where it was. Refusals run
// first, so the allowed commands that follow cannot hide one.
func TestTheAccessTableWalked(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	ctx := context.Background()

	// A is a user with a funded booklet and a service worked by W; D is a
	// deceased user whose testamentary heir H asked for the refund.
	a := newWorld(t, s, 50000)
	w := a.worker
	svc := s.post("/services", a.userTok, service(w, 2, 2)).want(http.StatusCreated)
	svcID := svc.str("service_id")
	d := newWorld(t, s, 30000)
	h := s.cf()
	will := base64.StdEncoding.EncodeToString([]byte("%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\nstartxref\n0\n%%EOF\n"))
	claim := s.post("/heir-claims", s.token(h), map[string]any{
		"deceased_cf": d.user, "date_of_death": "2026-03-06", "heir_kind": "testamentario",
		"will": map[string]any{"filename": "testamento.pdf", "content_base64": will},
	}).want(http.StatusCreated)
	claimID := claim.str("claim_id")
	refund := s.post("/heir-claims/"+claimID+"/refund", s.token(h), map[string]any{"iban": testIBAN}).want(http.StatusCreated)
	refundID := refund.str("refund_id")
	pending := s.post("/deposits", s.system(), map[string]any{"user_cf": a.user, "amount_cents": 2000, "channel": "F24", "paid_on": "2026-03-02", "status": "pending"}).want(http.StatusCreated)
	notice := s.post("/deposits/notices", a.userTok, map[string]any{"amount_cents": 3000}).want(http.StatusCreated)
	deleg := s.post("/delegations", a.userTok, map[string]any{"delegate_cf": s.cf(), "scope": []string{"libretto"}, "expires_on": "2026-12-31"}).want(http.StatusCreated)
	sync := "?" + deleg.pos()
	// The worker's inbox holds the service recorded on them.
	inbox := s.get("/notifications"+sync, s.token(w)).want(http.StatusOK)
	notes := inbox.list("notifications")
	if len(notes) == 0 {
		t.Fatalf("the worker has no notification\n%s", inbox.raw)
	}
	noteID, _ := notes[0].(map[string]any)["id"].(string)

	prior := service(w, 1, 1)
	prior["declarations"] = map[string]any{"no_known_employment": true}
	prior["start_date"], prior["end_date"] = "2026-03-01", "2026-03-04"
	ofA, ofW, ofH := access.Parties{Owner: a.user}, access.Parties{Worker: w}, access.Parties{Heir: h}
	cells := []accessCell{
		{action: access.RegisterUser, method: "POST", path: "/users", self: ""},
		{action: access.RegisterWorker, method: "POST", path: "/workers", self: ""},
		{action: access.RecordDeposit, method: "POST", path: "/deposits", body: map[string]any{"user_cf": a.user, "amount_cents": 1000, "channel": "PAGOPA", "paid_on": "2026-03-02"}, parties: ofA},
		{action: access.CreditDeposit, method: "POST", path: "/deposits/" + pending.str("deposit_id") + "/credit", parties: ofA},
		{action: access.IssueNotice, method: "POST", path: "/deposits/notices", body: map[string]any{"amount_cents": 1000}, self: a.user},
		{action: access.ReadOwnNotices, method: "GET", path: "/deposits/notices" + sync, self: a.user},
		{action: access.ReadNotice, method: "GET", path: "/deposits/notices/" + notice.str("notice_number") + sync, parties: ofA},
		{action: access.RecordService, method: "POST", path: "/services", body: service(w, 1, 1), self: a.user},
		{action: access.RevokeService, method: "POST", path: "/services/" + svcID + "/revoke", parties: ofA},
		{action: access.GrantDelegation, method: "POST", path: "/delegations", body: map[string]any{"delegate_cf": w, "scope": []string{"libretto", "eredi"}, "expires_on": "2026-12-31"}, self: ""},
		{action: access.ReadDelegations, method: "GET", path: "/delegations", self: a.user},
		{action: access.RevokeDelegation, method: "DELETE", path: "/delegations/" + deleg.str("delegation_id"), parties: ofA},
		{action: access.RegisterHeir, method: "POST", path: "/heir-claims", body: map[string]any{"deceased_cf": d.user, "date_of_death": "2026-03-06", "heir_kind": "legittimo"}, parties: access.Parties{Owner: d.user}},
		{action: access.ReadOwnClaims, method: "GET", path: "/heir-claims" + sync, self: h},
		{action: access.ReadClaim, method: "GET", path: "/heir-claims/" + claimID + sync, parties: ofH},
		{action: access.ReadClaimHistory, method: "GET", path: "/heir-claims/" + claimID + "/history" + sync, parties: ofH},
		{action: access.ReadHeirBooklet, method: "GET", path: "/heir-claims/" + claimID + "/booklet" + sync, parties: ofH},
		{action: access.ReadWill, method: "GET", path: "/heir-claims/" + claimID + "/will" + sync, parties: ofH},
		{action: access.RequestRefund, method: "POST", path: "/heir-claims/" + claimID + "/refund", body: map[string]any{"iban": testIBAN}, parties: ofH},
		{action: access.InsertPriorService, method: "POST", path: "/heir-claims/" + claimID + "/prior-services", body: prior, parties: ofH},
		{action: access.ValidateHeir, method: "POST", path: "/backoffice/heir-claims/" + claimID + "/validate", parties: ofH},
		{action: access.RejectHeir, method: "POST", path: "/backoffice/heir-claims/" + claimID + "/reject", body: map[string]any{"reason": "x"}, parties: ofH},
		{action: access.ApproveRefund, method: "POST", path: "/backoffice/refunds/" + refundID + "/approve", parties: ofH},
		{action: access.RejectRefund, method: "POST", path: "/backoffice/refunds/" + refundID + "/reject", body: map[string]any{"reason": "x"}, parties: ofH},
		{action: access.MarkRefundPaid, method: "POST", path: "/backoffice/refunds/" + refundID + "/paid", body: map[string]any{"paid_on": "2026-03-10", "bank_reference": "CRO"}, parties: ofH},
		{action: access.ReverseService, method: "POST", path: "/backoffice/services/" + svcID + "/reverse", body: map[string]any{"reason": "x"}, parties: ofA},
		{action: access.CorrectDateOfDeath, method: "POST", path: "/backoffice/deceased/" + d.user + "/date-of-death", body: map[string]any{"date_of_death": "2026-03-05", "reason": "x"}, parties: ofH},
		{action: access.CorrectDateOfDeath, method: "POST", path: "/backoffice/heir-claims/" + claimID + "/date-of-death", body: map[string]any{"date_of_death": "2026-03-05", "reason": "x"}, parties: ofH},
		{action: access.RunPayroll, method: "POST", path: "/backoffice/payroll-runs", body: map[string]any{"run_date": "2026-03-10"}},
		{action: access.FeedFamily, method: "POST", path: "/families/" + a.user + "/isee", body: map[string]any{"value_cents": 1500000, "protocol": "INPS-ISEE-2026-1", "dsu_submitted_on": "2026-01-15", "valid_until": "2026-12-31"}, parties: ofA},
		{action: access.ReadWorklist, method: "GET", path: "/backoffice/worklist" + sync},
		{action: access.ReadStatement, method: "GET", path: "/workers/" + w + "/statements/2026" + sync, parties: ofW},
		{action: access.ReadPayslip, method: "GET", path: "/workers/" + w + "/payslips/2026-03" + sync, parties: ofW},
		{action: access.ReadDashboard, method: "GET", path: "/families/" + a.user + "/dashboard" + sync, parties: ofA},
		{action: access.ReadFamily, method: "GET", path: "/families/" + a.user + sync, parties: ofA},
		{action: access.ManageContacts, method: "GET", path: "/me/contacts"},
		{action: access.ManageContacts, method: "PUT", path: "/me/contacts", body: map[string]any{"email": "persona@example.it"}},
		{action: access.ManageContacts, method: "POST", path: "/me/contacts/verify", body: map[string]any{"code": "123456"}},
		{action: access.ReadNotifications, method: "GET", path: "/notifications" + sync, self: w},
		{action: access.ReadNotifications, method: "POST", path: "/notifications/" + noteID + "/read", self: w},
		{action: access.AuditStream, method: "GET", path: "/audit/streams/booklet-" + a.user, parties: ofA},
		{action: access.AuditReplay, method: "GET", path: "/audit/heir-claims/" + claimID + "/replay", parties: ofH},
		{action: access.AuditVerify, method: "GET", path: "/audit/verify"},
		{action: access.Simulate, method: "GET", path: "/simulators/parameters"},
		{action: access.AskAssistant, method: "POST", path: "/assistant", body: map[string]any{"question": "Che cos'è il Libretto Famiglia?"}},
		{action: access.Probe, method: "GET", path: "/healthz"},
		{action: access.IssueDevToken, method: "POST", path: "/dev/token", body: map[string]any{"subject": s.cf(), "roles": []string{"citizen"}}},
	}
	walked := map[access.Action]bool{access.SignIn: true} // the portal's login is walked by the portal's test
	for _, c := range cells {
		walked[c.action] = true
	}
	for _, act := range access.Actions() {
		if !walked[act] {
			t.Errorf("no request walks %s: add its cell", act)
		}
	}

	roleSets := [][]access.Role{
		nil,
		{access.Citizen}, {access.Operator}, {access.Auditor}, {access.System},
		{access.Citizen, access.Operator}, // one person holding both (SPEC §8)
	}
	secrets := [][]byte{[]byte(a.user), []byte(d.user), []byte(h), []byte(w), []byte(testIBAN)}

	// try is one request: who (subject and roles) does cell in relation rel.
	type try struct {
		cell    accessCell
		subject string
		roles   []access.Role
		rel     access.Relation
		want    access.Outcome
	}
	var refused, allowed []try
	for _, c := range cells {
		for _, roles := range roleSets {
			if roles == nil { // anonymous: only the public actions
				if out, _ := access.Decide(c.action, nil, access.Stranger); out == access.Allowed {
					allowed = append(allowed, try{cell: c, want: out})
				} else {
					refused = append(refused, try{cell: c, want: out})
				}
				continue
			}
			// The relations this route can express: the caller is its
			// party or a stranger; a route naming no one is the caller's own.
			var subjects []string
			switch {
			case access.Public(c.action):
				subjects = []string{s.cf()}
			case c.parties == (access.Parties{}):
				self := c.self
				if self == "" {
					self = s.cf()
				}
				subjects = []string{self}
			default:
				subjects = []string{s.cf()}
				for _, p := range []string{c.parties.Owner, c.parties.Heir, c.parties.Worker} {
					if p != "" {
						subjects = append(subjects, p)
					}
				}
			}
			for _, subject := range subjects {
				rel := access.RelationOf(subject, c.parties)
				if c.parties == (access.Parties{}) && !access.Public(c.action) {
					// A route naming no one acts on the caller's own data:
					// the citizen's relation in the table, or none.
					rel = access.Stranger
					if rels := access.RelationsFor(c.action, access.Citizen); len(rels) >= 1 && len(rels) < len(access.Relations) {
						rel = rels[0] // the person's own relation; the rest (delegate) is walked below
					}
				}
				out, _ := access.Decide(c.action, roles, rel)
				tr := try{cell: c, subject: subject, roles: roles, rel: rel, want: out}
				if out == access.Allowed {
					allowed = append(allowed, tr)
				} else {
					refused = append(refused, tr)
				}
			}
		}
	}

	for _, tr := range append(refused, allowed...) {
		c := tr.cell
		token := ""
		if tr.roles != nil {
			names := make([]string, len(tr.roles))
			for i, r := range tr.roles {
				names[i] = string(r)
			}
			token = s.token(tr.subject, names...)
		}
		name := fmt.Sprintf("%s (%s %s) as %v, %s", c.action, c.method, c.path, tr.roles, tr.rel)
		before, err := s.store.Head(ctx)
		if err != nil {
			t.Fatal(err)
		}
		r := s.send(c, token)
		switch {
		case token == "" && !access.Public(c.action):
			expectProblem(t, name, r, http.StatusUnauthorized, "")
		case tr.want == access.RoleRefused:
			expectProblem(t, name, r, http.StatusForbidden, "forbidden")
		case tr.want == access.NotYours:
			expectProblem(t, name, r, http.StatusNotFound, "not_found")
		case c.method == "GET":
			expect(t, name, r, http.StatusOK)
		default:
			// Allowed: success or a business refusal, never an access error.
			if r.status == 401 || r.status == 404 || r.status >= 500 || (r.status == 403 && r.str("code") == "forbidden") {
				t.Errorf("%s: allowed by the table, answered %d\n%.300s", name, r.status, r.raw)
			}
		}
		if tr.want == access.Allowed && (token != "" || access.Public(c.action)) {
			continue
		}
		for _, secret := range secrets {
			if bytes.Contains(r.raw, secret) {
				t.Errorf("%s: the %d answer leaks %s", name, r.status, secret)
			}
		}
		after, err := s.store.Head(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if after.Position != before.Position {
			t.Errorf("%s: refused with %d, yet the log moved from %d to %d", name, r.status, before.Position, after.Position)
		}
	}
	if testing.Verbose() {
		t.Logf("walked %d refused and %d allowed requests", len(refused), len(allowed))
	}

	// The delegate: D holds delegations of A and of H with both scopes and
	// makes every request for them with X-On-Behalf-Of. A role the table
	// refuses a citizen is 403 as ever; an action with no delegation scope
	// is a stranger's 404, moving nothing; the others are allowed.
	dcf := s.cf()
	dt := s.token(dcf)
	for _, person := range []string{a.user, h} {
		s.post("/delegations", s.token(person), map[string]any{"delegate_cf": dcf, "scope": []string{"libretto", "eredi"}, "expires_on": "2026-12-31"}).want(http.StatusCreated)
	}
	for _, c := range cells {
		person := c.self
		for _, p := range []string{c.parties.Owner, c.parties.Heir} {
			if p != "" {
				person = p
			}
		}
		if access.Public(c.action) || (person != a.user && person != h) {
			continue
		}
		name := fmt.Sprintf("%s (%s %s) as a delegate", c.action, c.method, c.path)
		before, err := s.store.Head(ctx)
		if err != nil {
			t.Fatal(err)
		}
		r := s.send(c, dt, api.OnBehalfOfHeader, person)
		_, citizen := access.Gate(c.action, []access.Role{access.Citizen})
		_, scoped := access.ScopeOf(c.action)
		switch {
		case !citizen:
			expectProblem(t, name, r, http.StatusForbidden, "forbidden")
		case !scoped:
			expectProblem(t, name, r, http.StatusNotFound, "not_found")
		case c.action == access.ReadHeirBooklet && r.status == http.StatusNotFound:
			continue // the walk's operator rejected H: a rejected heir, and so their delegate, sees nothing
		default:
			if r.status == 401 || r.status == 404 || r.status >= 500 || r.status == 403 {
				t.Errorf("%s: allowed by the table, answered %d\n%.300s", name, r.status, r.raw)
			}
			continue
		}
		if after, err := s.store.Head(ctx); err != nil || after.Position != before.Position {
			t.Errorf("%s: refused with %d, yet the log moved (%v)", name, r.status, err)
		}
	}
}

// send makes cell's request with token and headers.
func (s *stack) send(c accessCell, token string, headers ...string) *response {
	s.t.Helper()
	switch c.method {
	case "GET":
		return s.get(c.path, token, headers...)
	case "POST":
		return s.post(c.path, token, c.body, headers...)
	}
	return s.do(c.method, c.path, token, c.body, headers...)
}

// expectProblem checks a refusal's status and, when code is not empty, its
// problem code.
func expectProblem(t *testing.T, name string, r *response, status int, code string) {
	t.Helper()
	if r.status != status {
		t.Errorf("%s: status %d, want %d\n%.300s", name, r.status, status, r.raw)
		return
	}
	if got, _ := r.body["code"].(string); code != "" && got != code {
		t.Errorf("%s: code %q, want %q", name, got, code)
	}
}

func expect(t *testing.T, name string, r *response, status int) {
	t.Helper()
	if r.status != status {
		t.Errorf("%s: status %d, want %d\n%.300s", name, r.status, status, r.raw)
	}
}
