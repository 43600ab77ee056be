package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/eventstore/memory"
	"github.com/inps/libretto/http/api"
	"github.com/inps/libretto/http/auth"
)

// TestACitizensErrorRevealsNobodyElsesData pins SPEC §8: a refusal names the
// rule, and its facts carry only the caller's own data.
func TestACitizensErrorRevealsNobodyElsesData(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	type refusal struct {
		r      *response
		status int
		code   string
		hidden []string // facts the caller must not get
		secret string   // another person's value that must appear nowhere
		shown  []string // facts the caller does get
	}
	tests := map[string]func(t *testing.T) refusal{
		"a second heir is not told the first heir's date of death": func(t *testing.T) refusal {
			d := newDeceasedWorld(t, s, 0) // the first heir declared 2026-03-06
			r := s.post("/heir-claims", s.token(s.cf()), map[string]any{
				"deceased_cf": d.user, "date_of_death": "2026-03-07", "heir_kind": "legittimo"})
			return refusal{r: r, status: 409, code: "date_of_death_mismatch", hidden: []string{"date_of_death"}, secret: "2026-03-06"}
		},
		"a second heir is not told the first heir's refund": func(t *testing.T) refusal {
			d := newDeceasedWorld(t, s, 10000)
			first := s.post("/heir-claims/"+d.claimID+"/refund", d.heirTok, map[string]any{"iban": testIBAN}).want(http.StatusCreated)
			other := s.token(s.cf())
			c := s.post("/heir-claims", other, map[string]any{"deceased_cf": d.user, "date_of_death": "2026-03-06", "heir_kind": "legittimo"}).want(http.StatusCreated)
			r := s.post("/heir-claims/"+c.str("claim_id")+"/refund", other, map[string]any{"iban": testIBAN})
			return refusal{r: r, status: 409, code: "refund_already_requested", hidden: []string{"refund_id"}, secret: first.str("refund_id")}
		},
		"an heir is told their own refund": func(t *testing.T) refusal {
			d := newDeceasedWorld(t, s, 10000)
			first := s.post("/heir-claims/"+d.claimID+"/refund", d.heirTok, map[string]any{"iban": testIBAN}).want(http.StatusCreated)
			r := s.post("/heir-claims/"+d.claimID+"/refund", d.heirTok, map[string]any{"iban": testIBAN})
			if got := r.obj("facts")["refund_id"]; got != first.str("refund_id") {
				t.Errorf("refund_id %v, want the heir's own %s", got, first.str("refund_id"))
			}
			return refusal{r: r, status: 409, code: "refund_already_requested", shown: []string{"refund_id"}}
		},
		"a user is not told a worker's earnings from other users": func(t *testing.T) refusal {
			// Two users pay the worker 312 vouchers each: 499,200 cents of
			// the worker's 500,000 cap; a third user's 2 vouchers cross it.
			a := newWorld(t, s, 312000)
			s.post("/services", a.userTok, service(a.worker, 312, 1)).want(http.StatusCreated)
			b := newWorld(t, s, 312000)
			s.post("/services", b.userTok, service(a.worker, 312, 1)).want(http.StatusCreated)
			c := newWorld(t, s, 2000)
			r := s.post("/services", c.userTok, service(a.worker, 2, 1))
			if got := r.obj("facts")["cap"]; got != "worker" {
				t.Errorf("cap %v: the refusal names the rule", got)
			}
			return refusal{r: r, status: 422, code: "cap_exceeded", hidden: []string{"used_cents", "remaining_cents"}, secret: "800", shown: []string{"cap", "limit_cents", "year"}}
		},
	}
	for name, run := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ref := run(t)
			ref.r.problem(ref.status, ref.code)
			var facts map[string]any
			if f, ok := ref.r.body["facts"].(map[string]any); ok {
				facts = f
			}
			for _, k := range ref.hidden {
				if v, ok := facts[k]; ok {
					t.Errorf("facts hold another person's %s: %v", k, v)
				}
			}
			for _, k := range ref.shown {
				if _, ok := facts[k]; !ok {
					t.Errorf("facts lack the caller's own %s: %s", k, ref.r.raw)
				}
			}
			if ref.secret != "" && strings.Contains(string(ref.r.raw), ref.secret) {
				t.Errorf("the problem holds another person's %q:\n%s", ref.secret, ref.r.raw)
			}
		})
	}
}

// refusing is a command side whose RecordDeposit is refused with a fact
// about someone else.
type refusing struct{ api.Commands }

func (refusing) RecordDeposit(context.Context, commands.Meta, commands.RecordDeposit) (commands.Result, error) {
	return commands.Result{}, domain.ConflictError(domain.CodeDateOfDeathMismatch, "another heir gave a different date of death").
		With("own", "yes").WithOthers("date_of_death", "2026-03-06")
}

func TestOperatorsStillSeeTheFactsAboutOthers(t *testing.T) {
	t.Parallel()
	dev := auth.NewDev(auth.DevConfig{})
	srv := httptest.NewServer(api.NewServer(api.Config{Commands: refusing{}, Queries: noQueries{}, Store: memory.New(), Auth: dev}))
	defer srv.Close()
	tests := []struct {
		name   string
		role   commands.Role
		others bool
	}{
		{"an operator sees another person's facts", commands.RoleOperator, true},
		{"the system sees only the caller's facts", commands.RoleSystem, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, _, _ := dev.Issue("RSSMRA85T10A562S", []commands.Role{tt.role})
			req, _ := http.NewRequest("POST", srv.URL+"/api/v1/deposits", strings.NewReader(`{"user_cf":"RSSMRA85T10A562S","amount_cents":1000,"channel":"F24","paid_on":"2026-03-01"}`))
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", "application/json")
			res, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var p api.Problem
			if err := json.NewDecoder(res.Body).Decode(&p); err != nil {
				t.Fatal(err)
			}
			if p.Code != domain.CodeDateOfDeathMismatch || p.Facts["own"] != "yes" {
				t.Fatalf("problem %+v", p)
			}
			if _, ok := p.Facts["date_of_death"]; ok != tt.others {
				t.Fatalf("date_of_death shown %v, want %v: %+v", ok, tt.others, p.Facts)
			}
		})
	}
}

func TestTheHeirsHistoryNamesAnOperatorNotTheirCF(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	d := newDeceasedWorld(t, s, 0)
	opCF := s.cf()
	op := s.token(opCF, "operator")
	v := s.post("/backoffice/heir-claims/"+d.claimID+"/validate", op, map[string]any{"note": "documenti in regola"}).want(http.StatusOK)
	tests := []struct {
		name   string
		token  string
		showCF bool
	}{
		{"the heir is told un operatore INPS", d.heirTok, false},
		{"an operator sees which operator", s.operator(), true},
		{"an auditor sees which operator", s.auditor(), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := s.get("/heir-claims/"+d.claimID+"/history?"+v.pos(), tt.token).want(http.StatusOK)
			var validated map[string]any
			for _, e := range h.list("entries") {
				if e := e.(map[string]any); e["operation"] == "heir_validated" {
					validated = e["details"].(map[string]any)
				}
			}
			if validated == nil {
				t.Fatalf("no heir_validated entry: %s", h.raw)
			}
			if got := strings.Contains(string(h.raw), opCF); got != tt.showCF {
				t.Fatalf("operator's CF shown %v, want %v: %s", got, tt.showCF, h.raw)
			}
			if !tt.showCF && validated["operator"] != "un operatore INPS" {
				t.Fatalf("details %v", validated)
			}
			if tt.showCF && validated["operator_cf"] != opCF {
				t.Fatalf("details %v", validated)
			}
		})
	}
}
