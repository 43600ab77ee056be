package portal

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/commands/seed"
	"github.com/inps/libretto/domain/access"
	"github.com/inps/libretto/notify"
)

// portalCell is one page of the walk: the pattern it is registered under,
// the request that reaches it, and whose data the path names (none: the
// signed-in person's own, self).
type portalCell struct {
	pattern string
	path    string
	form    url.Values
	parties access.Parties
	self    string
	// fresh, when set, makes a new resource of the same parties for each
	// allowed request: a form that closes what it acts on (a refund paid or
	// rejected, an heir rejected) finds nothing the second time.
	fresh func() string
}

// TestTheAccessTableWalkedInThePortal signs in as every role the portal
// knows (citizen, operator, auditor), as the data's party and as a
// stranger, and opens every page and posts every form that shows personal
// data or issues a command. The status is the access table's, as the page
// registered it: the login page for nobody signed in, the page (or a form
// answer, never 404) when the table lets the person's role do the page's
// action in that relation and the page belongs to that role's section,
// else the 404 page — and then the event log's head has not moved.
// Every page registered with a rule is walked.
// noPaymentsIs404 are the pages of a worker's year or month, which answer
// 404 to their own worker when it holds no payment.
var noPaymentsIs404 = map[string]bool{
	"GET /prestatore/prospetto/{year}":           true,
	"GET /prestatore/prospetti-paga/{month}":     true,
	"GET /prestatore/prospetti-paga/{month}/pdf": true,
}

func TestTheAccessTableWalkedInThePortal(t *testing.T) {
	st := newStack(t)
	ctx := context.Background()
	claim := claimOn(t, st)
	refund := st.run(t, "request refund", func(ctx context.Context) (commands.Result, error) {
		return st.commands.RequestRefund(ctx, as(heirCF, commands.RoleCitizen), commands.RequestRefund{ClaimID: claim, IBAN: "IT60X0542811101000000123456"})
	}).ID
	people := heirCFs(3)
	user, stranger := people[1], people[2]
	today := time.Now().In(rome).Format(time.DateOnly)
	st.run(t, "register user", func(ctx context.Context) (commands.Result, error) {
		return st.commands.RegisterUser(ctx, as(user, commands.RoleCitizen), commands.RegisterUser{})
	})
	st.run(t, "deposit", func(ctx context.Context) (commands.Result, error) {
		return st.commands.RecordDeposit(ctx, as("pagopa-feed", commands.RoleSystem), commands.RecordDeposit{
			UserCF: user, AmountCents: 10000, Channel: "PAGOPA", PaidOn: daysAgo(10),
		})
	})
	svc := st.run(t, "record service", func(ctx context.Context) (commands.Result, error) {
		return st.commands.RecordService(ctx, as(user, commands.RoleCitizen), commands.RecordService{
			WorkerCF: seed.WorkerMariaCF, Activity: "lavori_domestici", StartDate: today, EndDate: today,
			Hours: 1, Vouchers: 1, NoRecentEmployment: true,
		})
	}).ID

	// freshRefund is a new claim of heirCF, on another deceased, with its
	// refund requested: its claim's and its refund's ids.
	deceased := heirCFs(28)[3:]
	freshRefund := func() (string, string) {
		cf := deceased[0]
		deceased = deceased[1:]
		st.run(t, "register deceased", func(ctx context.Context) (commands.Result, error) {
			return st.commands.RegisterUser(ctx, as(cf, commands.RoleCitizen), commands.RegisterUser{})
		})
		st.run(t, "deposit", func(ctx context.Context) (commands.Result, error) {
			return st.commands.RecordDeposit(ctx, as("pagopa-feed", commands.RoleSystem), commands.RecordDeposit{
				UserCF: cf, AmountCents: 10000, Channel: "PAGOPA", PaidOn: daysAgo(40),
			})
		})
		claim := st.run(t, "register heir", func(ctx context.Context) (commands.Result, error) {
			return st.commands.RegisterHeir(ctx, as(heirCF, commands.RoleCitizen), commands.RegisterHeir{
				DeceasedCF: cf, DateOfDeath: daysAgo(5), HeirKind: "legittimo",
			})
		}).ID
		refund := st.run(t, "request refund", func(ctx context.Context) (commands.Result, error) {
			return st.commands.RequestRefund(ctx, as(heirCF, commands.RoleCitizen), commands.RequestRefund{ClaimID: claim, IBAN: "IT60X0542811101000000123456"})
		}).ID
		return claim, refund
	}
	freshClaim := func(suffix string) func() string {
		return func() string { c, _ := freshRefund(); return "/backoffice/pratiche/" + c + suffix }
	}
	freshRefundPath := func(suffix string) func() string {
		return func() string { _, r := freshRefund(); return "/backoffice/rimborsi/" + r + suffix }
	}

	notice := st.run(t, "issue a notice", func(ctx context.Context) (commands.Result, error) {
		return st.commands.IssueNotice(ctx, as(user, commands.RoleCitizen), commands.IssueNotice{AmountCents: 2000})
	}).ID

	// Maria, the service's worker, has its notification in her inbox.
	notes, err := notify.NewInbox(st.pool).List(ctx, seed.WorkerMariaCF)
	if err != nil || len(notes) == 0 {
		t.Fatalf("the worker's inbox: %v %v", notes, err)
	}
	// The user's delegations, each to someone who takes no part in the
	// walk (a delegate's header would name the user).
	delegates := heirCFs(56)[28:]
	grant := func() string {
		to := delegates[0]
		delegates = delegates[1:]
		return st.run(t, "grant a delegation", func(ctx context.Context) (commands.Result, error) {
			return st.commands.GrantDelegation(ctx, as(user, commands.RoleCitizen), commands.GrantDelegation{
				DelegateCF: to, Scope: []string{"libretto"}, ExpiresOn: time.Now().AddDate(0, 1, 0).Format(time.DateOnly),
			})
		}).ID
	}
	delegation := grant()

	ofH, ofU := access.Parties{Heir: heirCF}, access.Parties{Owner: user}
	c := "/erede/pratiche/" + claim
	bc := "/backoffice/pratiche/" + claim
	br := "/backoffice/rimborsi/" + refund
	reason := url.Values{"reason": {"verifica"}}
	cells := []portalCell{
		{pattern: "GET /erede", path: "/erede", self: heirCF},
		{pattern: "GET /erede/riepilogo", path: "/erede/riepilogo", self: heirCF},
		{pattern: "GET /erede/pratiche/nuova", path: "/erede/pratiche/nuova", self: stranger},
		{pattern: "POST /erede/pratiche", path: "/erede/pratiche", self: stranger},
		{pattern: "GET /erede/pratiche/{id}", path: c, parties: ofH},
		{pattern: "GET /erede/pratiche/{id}/storico", path: c + "/storico", parties: ofH},
		{pattern: "GET /erede/pratiche/{id}/libretto", path: c + "/libretto", parties: ofH},
		{pattern: "GET /erede/pratiche/{id}/prestazioni/nuova", path: c + "/prestazioni/nuova", parties: ofH},
		{pattern: "POST /erede/pratiche/{id}/prestazioni", path: c + "/prestazioni", parties: ofH},
		{pattern: "GET /erede/pratiche/{id}/rimborso", path: c + "/rimborso", parties: ofH},
		{pattern: "POST /erede/pratiche/{id}/rimborso/riepilogo", path: c + "/rimborso/riepilogo", parties: ofH},
		{pattern: "POST /erede/pratiche/{id}/rimborso", path: c + "/rimborso", parties: ofH},
		{pattern: "GET /libretto", path: "/libretto", self: user},
		{pattern: "POST /libretto/attiva", path: "/libretto/attiva", self: stranger},
		{pattern: "GET /libretto/prestazioni/nuova", path: "/libretto/prestazioni/nuova", self: user},
		{pattern: "POST /libretto/prestazioni", path: "/libretto/prestazioni", self: user},
		{pattern: "GET /libretto/prestazioni/{id}/revoca", path: "/libretto/prestazioni/" + svc + "/revoca", parties: ofU},
		{pattern: "POST /libretto/prestazioni/{id}/revoca", path: "/libretto/prestazioni/" + svc + "/revoca", parties: ofU},
		{pattern: "GET /libretto/ricarica", path: "/libretto/ricarica", self: user},
		{pattern: "POST /libretto/ricarica/riepilogo", path: "/libretto/ricarica/riepilogo", self: user, form: url.Values{"amount": {"20"}}},
		{pattern: "POST /libretto/ricarica", path: "/libretto/ricarica", self: user, form: url.Values{"amount": {"20"}}},
		{pattern: "GET /libretto/avvisi/{n}", path: "/libretto/avvisi/" + notice, parties: ofU},
		{pattern: "GET /libretto/avvisi/{n}/pdf", path: "/libretto/avvisi/" + notice + "/pdf", parties: ofU},
		{pattern: "GET /prestatore", path: "/prestatore", self: seed.WorkerMariaCF},
		{pattern: "GET /prestatore/prospetto/{year}", path: fmt.Sprintf("/prestatore/prospetto/%d", time.Now().Year()), self: seed.WorkerMariaCF},
		{pattern: "GET /prestatore/prospetti-paga/{month}", path: "/prestatore/prospetti-paga/" + time.Now().Format("2006-01"), self: seed.WorkerMariaCF},
		{pattern: "GET /prestatore/prospetti-paga/{month}/pdf", path: "/prestatore/prospetti-paga/" + time.Now().Format("2006-01") + "/pdf", self: seed.WorkerMariaCF},
		{pattern: "POST /prestatore/registrazione", path: "/prestatore/registrazione", self: stranger},
		{pattern: "GET /famiglia", path: "/famiglia", self: user},
		{pattern: "GET /recapiti", path: "/recapiti", self: user},
		{pattern: "POST /recapiti", path: "/recapiti", self: user, form: url.Values{"email": {"utente@example.it"}}},
		{pattern: "POST /recapiti/verifica", path: "/recapiti/verifica", self: user, form: url.Values{"code": {"123456"}}},
		{pattern: "GET /notifiche", path: "/notifiche", self: seed.WorkerMariaCF},
		{pattern: "POST /notifiche/{id}/letta", path: "/notifiche/" + notes[0].ID + "/letta", self: seed.WorkerMariaCF},
		{pattern: "GET /deleghe", path: "/deleghe", self: user},
		{pattern: "POST /deleghe/riepilogo", path: "/deleghe/riepilogo", self: user},
		{pattern: "POST /deleghe", path: "/deleghe", self: user},
		{pattern: "GET /deleghe/{id}/revoca", path: "/deleghe/" + delegation + "/revoca", parties: ofU},
		{pattern: "POST /deleghe/{id}/revoca", path: "/deleghe/" + delegation + "/revoca", parties: ofU,
			fresh: func() string { return "/deleghe/" + grant() + "/revoca" }},

		{pattern: "GET /backoffice", path: "/backoffice"},
		{pattern: "GET /backoffice/pratiche/{id}", path: bc, parties: ofH},
		{pattern: "GET /backoffice/pratiche/{id}/testamento", path: bc + "/testamento", parties: ofH},
		{pattern: "POST /backoffice/pratiche/{id}/convalida", path: bc + "/convalida", parties: ofH},
		{pattern: "POST /backoffice/pratiche/{id}/rifiuta/riepilogo", path: bc + "/rifiuta/riepilogo", form: reason, parties: ofH},
		{pattern: "POST /backoffice/pratiche/{id}/rifiuta", path: bc + "/rifiuta", form: reason, parties: ofH, fresh: freshClaim("/rifiuta")},
		{pattern: "GET /backoffice/pratiche/{id}/decesso", path: bc + "/decesso", parties: ofH},
		{pattern: "POST /backoffice/pratiche/{id}/decesso/riepilogo", path: bc + "/decesso/riepilogo", parties: ofH},
		{pattern: "POST /backoffice/pratiche/{id}/decesso", path: bc + "/decesso", parties: ofH},
		{pattern: "GET /backoffice/rimborsi/{id}", path: br, parties: ofH},
		{pattern: "POST /backoffice/rimborsi/{id}/approva/riepilogo", path: br + "/approva/riepilogo", parties: ofH},
		{pattern: "POST /backoffice/rimborsi/{id}/approva", path: br + "/approva", parties: ofH},
		{pattern: "POST /backoffice/rimborsi/{id}/rifiuta/riepilogo", path: br + "/rifiuta/riepilogo", form: reason, parties: ofH},
		{pattern: "POST /backoffice/rimborsi/{id}/rifiuta", path: br + "/rifiuta", form: reason, parties: ofH, fresh: freshRefundPath("/rifiuta")},
		{pattern: "POST /backoffice/rimborsi/{id}/pagato/riepilogo", path: br + "/pagato/riepilogo", parties: ofH},
		{pattern: "POST /backoffice/rimborsi/{id}/pagato", path: br + "/pagato", parties: ofH, fresh: freshRefundPath("/pagato")},
		{pattern: "GET /backoffice/storno", path: "/backoffice/storno"},
		{pattern: "POST /backoffice/storno/riepilogo", path: "/backoffice/storno/riepilogo"},
		{pattern: "POST /backoffice/storno", path: "/backoffice/storno"},
		{pattern: "GET /backoffice/pagamenti", path: "/backoffice/pagamenti"},
		{pattern: "POST /backoffice/pagamenti/riepilogo", path: "/backoffice/pagamenti/riepilogo"},
		{pattern: "POST /backoffice/pagamenti", path: "/backoffice/pagamenti"},
		{pattern: "GET /backoffice/versamenti", path: "/backoffice/versamenti"},
		{pattern: "POST /backoffice/versamenti/riepilogo", path: "/backoffice/versamenti/riepilogo"},
		{pattern: "POST /backoffice/versamenti", path: "/backoffice/versamenti"},

		{pattern: "GET /audit", path: "/audit"},
		{pattern: "GET /audit/pratiche/{id}", path: "/audit/pratiche/" + claim, parties: ofH},
		{pattern: "GET /audit/verifica", path: "/audit/verifica"},
	}

	rules := st.portal.rules
	walked := map[string]bool{}
	for _, c := range cells {
		if _, ok := rules[c.pattern]; !ok {
			t.Errorf("%s is walked but registered with no rule", c.pattern)
		}
		walked[c.pattern] = true
	}
	for pattern := range rules {
		if !walked[pattern] {
			t.Errorf("%s has a rule but no cell of the walk", pattern)
		}
	}

	type try struct {
		cell    portalCell
		rule    pageRule
		cf      string
		role    commands.Role // "": nobody signed in
		rel     access.Relation
		allowed bool
	}
	var refused, allowed []try
	for _, c := range cells {
		rule := rules[c.pattern]
		refused = append(refused, try{cell: c, rule: rule})
		for _, role := range []commands.Role{commands.RoleCitizen, commands.RoleOperator, commands.RoleAuditor} {
			var who []string
			switch {
			case c.self != "":
				who = []string{c.self}
			case c.parties == (access.Parties{}):
				who = []string{stranger}
			default:
				who = []string{stranger, c.parties.Owner + c.parties.Heir + c.parties.Worker}
			}
			for _, cf := range who {
				rel := access.RelationOf(cf, c.parties)
				if c.self != "" {
					// The signed-in person's own: their relation in the
					// citizen's rule, a delegate's aside (the walk acts for
					// nobody), or stranger where any relation may (a claim).
					own := slices.DeleteFunc(access.RelationsFor(rule.a, access.Citizen), func(r access.Relation) bool { return r == access.Delegate })
					rel = own[0]
					if slices.Contains(own, access.Stranger) {
						rel = access.Stranger
					}
				}
				out, _ := access.Decide(rule.a, []access.Role{access.Role(role)}, rel)
				tr := try{cell: c, rule: rule, cf: cf, role: role, rel: rel, allowed: out == access.Allowed && role == rule.in}
				if tr.allowed {
					allowed = append(allowed, tr)
				} else {
					refused = append(refused, tr)
				}
			}
		}
	}

	// One person signed in under one role at a time: signing in again
	// without a role ends that person's sessions holding it (SPEC §8), so the
	// walk signs in afresh whenever it changes identity, and takes the tries
	// of one identity together.
	byIdentity := func(a, b try) int {
		return strings.Compare(a.cf+"|"+string(a.role), b.cf+"|"+string(b.role))
	}
	slices.SortStableFunc(refused, byIdentity)
	slices.SortStableFunc(allowed, byIdentity)
	var current *browser
	currentKey := ""
	browserOf := func(cf string, role commands.Role) *browser {
		key := cf + "|" + string(role)
		if current != nil && key == currentKey {
			return current
		}
		current, currentKey = newBrowser(t, st.srv), key
		if role != "" {
			current.login(cf, role)
		}
		return current
	}
	for _, tr := range append(refused, allowed...) {
		c := tr.cell
		name := fmt.Sprintf("%s (%s) as %s %s, %s", c.pattern, tr.rule.a, tr.role, tr.cf, tr.rel)
		b := browserOf(tr.cf, tr.role)
		path := c.path
		if tr.allowed && c.fresh != nil {
			path = c.fresh()
		}
		before, err := st.store.Head(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var resp *http.Response
		var body string
		if strings.HasPrefix(c.pattern, "POST ") {
			from := "/" // a signed-in person's token is on every page
			if tr.role == "" {
				from = "/accedi"
			}
			form := url.Values{"csrf_token": {b.csrf(from)}}
			for k, v := range c.form {
				form[k] = v
			}
			resp, body = b.post(path, form)
		} else {
			resp, body = b.get(path)
		}
		status := resp.StatusCode
		switch {
		case tr.role == "":
			if loc := resp.Header.Get("Location"); status != http.StatusSeeOther || !strings.HasPrefix(loc, "/accedi") {
				t.Errorf("%s: nobody signed in got %d %q, want the login page", name, status, loc)
			}
		case !tr.allowed:
			if status != http.StatusNotFound {
				t.Errorf("%s: status %d, want the 404 page", name, status)
			}
			if tr.rel == access.Stranger && (strings.Contains(body, deceasedCF) || strings.Contains(body, heirCF) || strings.Contains(body, user)) {
				t.Errorf("%s: the 404 page names the data's people", name)
			}
		case strings.HasPrefix(c.pattern, "GET "):
			// The page, or a redirect that says why not now (a refund
			// already requested); a statement's PDF exists only for a year
			// with payments.
			redirected := status == http.StatusSeeOther && !strings.HasPrefix(resp.Header.Get("Location"), "/accedi")
			if status != http.StatusOK && !redirected && !(status == http.StatusNotFound && noPaymentsIs404[c.pattern]) {
				t.Errorf("%s: status %d, want the page", name, status)
			}
		default:
			if status == http.StatusNotFound || status >= 500 || strings.HasPrefix(resp.Header.Get("Location"), "/accedi") {
				t.Errorf("%s: allowed by the table, answered %d", name, status)
			}
		}
		if tr.allowed {
			continue
		}
		after, err := st.store.Head(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if after.Position != before.Position {
			t.Errorf("%s: refused, yet the log moved from %d to %d", name, before.Position, after.Position)
		}
	}
	t.Logf("walked %d refused and %d allowed requests", len(refused), len(allowed))
}
