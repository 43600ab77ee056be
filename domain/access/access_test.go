package access_test

import (
	"strings"
	"testing"

	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/domain/access"
)

// TestTheTableIsSpecSection5 restates the role column of SPEC §5 and §6 and
// checks the table against it, so a change of the table is a change of the
// contract, made on purpose.
func TestTheTableIsSpecSection5(t *testing.T) {
	t.Parallel()
	spec := map[access.Action]string{
		access.RegisterUser:       "citizen:owner",
		access.RegisterWorker:     "citizen:worker",
		access.RecordDeposit:      "operator:* system:*",
		access.RecordService:      "citizen:owner citizen:delegate",
		access.RevokeService:      "citizen:owner citizen:delegate",
		access.RegisterHeir:       "citizen:*",
		access.RequestRefund:      "citizen:heir citizen:delegate",
		access.InsertPriorService: "citizen:heir citizen:delegate",
		access.ValidateHeir:       "operator:*",
		access.RejectHeir:         "operator:*",
		access.ApproveRefund:      "operator:*",
		access.RejectRefund:       "operator:*",
		access.MarkRefundPaid:     "operator:*",
		access.ReverseService:     "operator:*",
		access.CorrectDateOfDeath: "operator:*",
		access.RunPayroll:         "operator:*",
		access.FeedFamily:         "system:*",
		access.ReadOwnClaims:      "citizen:heir citizen:delegate",
		access.ReadClaim:          "operator:* auditor:* citizen:heir citizen:delegate",
		access.ReadClaimHistory:   "operator:* auditor:* citizen:heir citizen:delegate",
		access.ReadWill:           "operator:* auditor:* citizen:heir citizen:delegate",
		access.ReadWorklist:       "operator:*",
		access.ReadStatement:      "operator:* auditor:* citizen:worker",
		access.ReadPayslip:        "operator:* auditor:* citizen:worker",
		access.ReadOwnNotices:     "citizen:owner citizen:delegate",
		access.ReadNotice:         "operator:* auditor:* citizen:owner citizen:delegate",
		access.CreditDeposit:      "system:*",
		access.IssueNotice:        "citizen:owner citizen:delegate",
		access.ReadDashboard:      "operator:* auditor:* citizen:owner citizen:delegate",
		access.ManageContacts:     "citizen:owner",
		access.ReadNotifications:  "citizen:owner",
		access.ReadFamily:         "operator:* auditor:* citizen:owner",
		access.GrantDelegation:    "citizen:owner",
		access.RevokeDelegation:   "citizen:owner",
		access.ReadDelegations:    "citizen:owner",
		access.ReadHeirBooklet:    "citizen:heir citizen:delegate",
		access.AuditStream:        "auditor:*",
		access.AuditReplay:        "auditor:*",
		access.AuditVerify:        "auditor:*",
		access.Simulate:           "public",
		access.AskAssistant:       "public",
		access.Probe:              "public",
		access.IssueDevToken:      "public",
		access.SignIn:             "public",
	}
	if got, want := len(access.Actions()), len(spec); got != want {
		t.Errorf("the table has %d actions, the contract %d", got, want)
	}
	for _, a := range access.Actions() {
		if got := describe(a); got != spec[a] {
			t.Errorf("%s: the table says %q, the contract %q", a, got, spec[a])
		}
	}
}

func describe(a access.Action) string {
	if access.Public(a) {
		return "public"
	}
	var parts []string
	for _, r := range access.RolesFor(a) {
		rels := access.RelationsFor(a, r)
		if len(rels) == len(access.Relations) {
			parts = append(parts, string(r)+":*")
			continue
		}
		for _, rel := range rels {
			parts = append(parts, string(r)+":"+string(rel))
		}
	}
	return strings.Join(parts, " ")
}

func TestDecide(t *testing.T) {
	t.Parallel()
	both := []access.Role{access.Citizen, access.Operator}
	cases := map[string]struct {
		action   access.Action
		roles    []access.Role
		rel      access.Relation
		want     access.Outcome
		actingAs access.Role
	}{
		"a citizen reads their own dashboard":                   {access.ReadDashboard, []access.Role{access.Citizen}, access.Owner, access.Allowed, access.Citizen},
		"a citizen reading another's dashboard finds nothing":   {access.ReadDashboard, []access.Role{access.Citizen}, access.Stranger, access.NotYours, ""},
		"a worker is not the owner of a booklet":                {access.ReadDashboard, []access.Role{access.Citizen}, access.Worker, access.NotYours, ""},
		"a citizen may not validate an heir":                    {access.ValidateHeir, []access.Role{access.Citizen}, access.Heir, access.RoleRefused, ""},
		"a system feed may not read a claim":                    {access.ReadClaim, []access.Role{access.System}, access.Stranger, access.RoleRefused, ""},
		"an auditor never writes":                               {access.RecordDeposit, []access.Role{access.Auditor}, access.Stranger, access.RoleRefused, ""},
		"no roles, no access":                                   {access.ReadClaim, nil, access.Heir, access.RoleRefused, ""},
		"a delegate reads the claim of the person they act for": {access.ReadClaim, []access.Role{access.Citizen}, access.Delegate, access.Allowed, access.Citizen},
		"a delegate may not read the person's statement":        {access.ReadStatement, []access.Role{access.Citizen}, access.Delegate, access.NotYours, ""},
		"several roles: allowed if any allows, widest first":    {access.ReadDashboard, both, access.Owner, access.Allowed, access.Operator},
		"several roles: the one role that may records":          {access.RecordService, both, access.Owner, access.Allowed, access.Citizen},
		"several roles: an operator reads a stranger's data":    {access.ReadClaim, both, access.Stranger, access.Allowed, access.Operator},
		"several roles: the citizen part does not widen itself": {access.RequestRefund, both, access.Stranger, access.NotYours, ""},
		"public actions need no role":                           {access.Simulate, nil, access.Stranger, access.Allowed, ""},
		"an unknown action is refused":                          {access.Action("DropTables"), []access.Role{access.Operator}, access.Stranger, access.RoleRefused, ""},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, as := access.Decide(c.action, c.roles, c.rel)
			if got != c.want || as != c.actingAs {
				t.Fatalf("Decide(%s, %v, %s) = %s as %q, want %s as %q", c.action, c.roles, c.rel, got, as, c.want, c.actingAs)
			}
			if role, ok := access.Gate(c.action, c.roles); ok != (c.want != access.RoleRefused) || (c.want == access.Allowed && role != c.actingAs) {
				t.Fatalf("Gate(%s, %v) = %q, %v disagrees with Decide", c.action, c.roles, role, ok)
			}
		})
	}
}

func TestRelationOfComparesCodiciFiscaliCanonically(t *testing.T) {
	t.Parallel()
	first := "RSSMRA85T10A562"
	cf := first + string(domain.CFCheckChar(first))
	other := "BNCLRA80A01H501"
	otherCF := other + string(domain.CFCheckChar(other))
	cases := map[string]struct {
		subject string
		parties access.Parties
		want    access.Relation
	}{
		"the owner":                         {cf, access.Parties{Owner: cf}, access.Owner},
		"the owner in lower case":           {strings.ToLower(cf), access.Parties{Owner: cf}, access.Owner},
		"the owner with spaces around":      {" " + cf + " ", access.Parties{Owner: cf}, access.Owner},
		"the heir":                          {cf, access.Parties{Owner: otherCF, Heir: cf}, access.Heir},
		"the worker":                        {cf, access.Parties{Worker: cf}, access.Worker},
		"someone else":                      {otherCF, access.Parties{Owner: cf, Heir: cf, Worker: cf}, access.Stranger},
		"a subject that is no CF":           {"F24-FEED", access.Parties{Owner: "F24-FEED"}, access.Stranger},
		"no parties":                        {cf, access.Parties{}, access.Stranger},
		"a CF with a wrong check character": {first + "Z", access.Parties{Owner: first + "Z"}, access.Stranger},
	}
	for name, c := range cases {
		if got := access.RelationOf(c.subject, c.parties); got != c.want {
			t.Errorf("%s: RelationOf(%q) = %s, want %s", name, c.subject, got, c.want)
		}
	}
}

func TestRelationForADelegate(t *testing.T) {
	t.Parallel()
	mk := func(first string) string { return first + string(domain.CFCheckChar(first)) }
	person, delegate, other := mk("RSSMRA85T10A562"), mk("BNCLRA80A01H501"), mk("VRDLGU80A01H501")
	both := []string{"libretto", "eredi"}
	cases := map[string]struct {
		action  access.Action
		caller  access.Caller
		parties access.Parties
		want    access.Relation
	}{
		"acting for oneself is RelationOf":               {access.ReadDashboard, access.Caller{Subject: person}, access.Parties{Owner: person}, access.Owner},
		"the person's booklet within libretto":           {access.ReadDashboard, access.Caller{Subject: delegate, OnBehalfOf: person, Scopes: both}, access.Parties{Owner: person}, access.Delegate},
		"the person's booklet without libretto":          {access.ReadDashboard, access.Caller{Subject: delegate, OnBehalfOf: person, Scopes: []string{"eredi"}}, access.Parties{Owner: person}, access.Stranger},
		"the person's claim within eredi":                {access.ReadClaim, access.Caller{Subject: delegate, OnBehalfOf: person, Scopes: []string{"eredi"}}, access.Parties{Heir: person}, access.Delegate},
		"another person's booklet":                       {access.ReadDashboard, access.Caller{Subject: delegate, OnBehalfOf: person, Scopes: both}, access.Parties{Owner: other}, access.Stranger},
		"the person's booklet is not their claim":        {access.ReadClaim, access.Caller{Subject: delegate, OnBehalfOf: person, Scopes: both}, access.Parties{Owner: person}, access.Stranger},
		"an action no delegate does (a statement)":       {access.ReadStatement, access.Caller{Subject: delegate, OnBehalfOf: person, Scopes: both}, access.Parties{Worker: person}, access.Stranger},
		"the delegate's own booklet is not the person's": {access.ReadDashboard, access.Caller{Subject: delegate, OnBehalfOf: person, Scopes: both}, access.Parties{Owner: delegate}, access.Stranger},
	}
	for name, c := range cases {
		if got := access.RelationFor(c.action, c.caller, c.parties); got != c.want {
			t.Errorf("%s: RelationFor = %s, want %s", name, got, c.want)
		}
	}
}
