package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/eventstore"
	"github.com/inps/libretto/eventstore/memory"
	"github.com/inps/libretto/http/api"
	"github.com/inps/libretto/http/auth"
	"github.com/inps/libretto/projections"
)

// panicky is a command side whose RegisterUser panics; the rest is never called.
type panicky struct{ api.Commands }

func (panicky) RegisterUser(context.Context, commands.Meta, commands.RegisterUser) (commands.Result, error) {
	panic("boom for RSSMRA85T10A562S")
}

// noQueries is a read side that has nothing.
type noQueries struct{ projections.Queries }

func TestAPanicAnswers500WithTheRequestIDAndIsLogged(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	dev := auth.NewDev(auth.DevConfig{})
	srv := httptest.NewServer(api.NewServer(api.Config{
		Commands: panicky{}, Queries: noQueries{}, Store: memory.New(), Auth: dev,
		Logger: slog.New(slog.NewJSONHandler(&logs, nil)),
	}))
	defer srv.Close()
	tok, _, _ := dev.Issue("RSSMRA85T10A562S", []commands.Role{commands.RoleCitizen})
	req, _ := http.NewRequest("POST", srv.URL+"/api/v1/users", strings.NewReader(`{}`))
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var p api.Problem
	if err := json.NewDecoder(res.Body).Decode(&p); err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 500 || res.Header.Get("Content-Type") != "application/problem+json" || p.Code != "internal_error" {
		t.Fatalf("status %d, problem %+v", res.StatusCode, p)
	}
	if p.RequestID == "" || p.RequestID != res.Header.Get(api.RequestIDHeader) {
		t.Fatalf("request id %q, header %q", p.RequestID, res.Header.Get(api.RequestIDHeader))
	}
	if !strings.Contains(logs.String(), "panic serving request") || !strings.Contains(logs.String(), p.RequestID) {
		t.Fatalf("the panic was not logged with its request id:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), "RSSMRA85T10A562S") {
		t.Fatalf("the log holds an unmasked codice fiscale:\n%s", logs.String())
	}
}

// anyToken is a production-mode authenticator stand-in.
type anyToken struct{}

func (anyToken) Authenticate(context.Context, string) (auth.Principal, error) {
	return auth.Principal{Subject: "OPERATORE", Roles: []commands.Role{commands.RoleOperator}}, nil
}

func TestTheDevTokenRouteDoesNotExistInProductionMode(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(api.NewServer(api.Config{
		Commands: panicky{}, Queries: noQueries{}, Store: memory.New(), Auth: anyToken{},
	}))
	defer srv.Close()
	res, err := srv.Client().Post(srv.URL+"/api/v1/dev/token", "application/json", strings.NewReader(`{"subject":"x","roles":["operator"]}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Fatalf("status %d, want 404", res.StatusCode)
	}
}

func TestConfigNamesEveryMissingDependency(t *testing.T) {
	t.Parallel()
	_, err := api.New(api.Config{})
	for _, want := range []string{"Commands", "Queries", "Store"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not name %s", err, want)
		}
	}
}

func TestProblemFor(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		err    error
		status int
		code   string
	}{
		{"a rule error is 422 with its code", domain.RuleError(domain.CodeCapExceeded, "vouchers", "over the cap"), 422, "cap_exceeded"},
		{"a wrapped conflict is 409", fmt.Errorf("record: %w", domain.ConflictError(domain.CodeAlreadyExists, "again")), 409, "already_exists"},
		{"a domain not-found is 404", domain.NotFoundError("no such service"), 404, "not_found"},
		{"a store concurrency conflict is 409 concurrency_conflict", fmt.Errorf("append: %w", eventstore.ErrConcurrency), 409, "concurrency_conflict"},
		{"a missing read model row is 404", projections.ErrNotFound, 404, "not_found"},
		{"an invalid token is 401", fmt.Errorf("%w: expired", auth.ErrInvalidToken), 401, "invalid_token"},
		{"a deadline is 504", fmt.Errorf("query: %w", context.DeadlineExceeded), 504, "timeout"},
		{"anything else is 500", errors.New("disk on fire"), 500, "internal_error"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := api.ProblemFor(tc.err)
			if p.Status != tc.status || p.Code != tc.code || p.Errors == nil {
				t.Fatalf("problem %+v, want %d %s", p, tc.status, tc.code)
			}
			if strings.Contains(p.Detail, "disk on fire") {
				t.Fatalf("an internal error leaks into the detail: %q", p.Detail)
			}
		})
	}
	if p := api.ProblemFor(domain.RuleError(domain.CodeInvalidCF, "worker_cf", "bad check character")); len(p.Errors) != 1 || p.Errors[0].Field != "worker_cf" {
		t.Fatalf("field errors %+v", p.Errors)
	}
}

// stalled is a read side whose WaitFor fails the way a stopped projector does.
type stalled struct {
	projections.Queries
	err error
}

func (q stalled) WaitFor(ctx context.Context, _ int64) error {
	if q.err != nil {
		return q.err
	}
	<-ctx.Done()
	return ctx.Err()
}

func operatorRequest(t *testing.T, srv *httptest.Server, dev *auth.Dev, path string) (*http.Response, api.Problem) {
	t.Helper()
	tok, _, _ := dev.Issue("OPERATORE", []commands.Role{commands.RoleOperator})
	req, _ := http.NewRequest("GET", srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var p api.Problem
	_ = json.NewDecoder(res.Body).Decode(&p)
	return res, p
}

func TestMinPositionOutcomes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		q      stalled
		status int
		code   string
	}{
		{"a wait past the bound is 504 read_model_timeout", stalled{}, 504, "read_model_timeout"},
		{"a stopped projector is 503 read_model_unavailable", stalled{err: errors.New("projector claims stopped at position 7")}, 503, "read_model_unavailable"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dev := auth.NewDev(auth.DevConfig{})
			srv := httptest.NewServer(api.NewServer(api.Config{
				Commands: panicky{}, Queries: tc.q, Store: memory.New(), Auth: dev, ReadWait: 50 * time.Millisecond,
			}))
			defer srv.Close()
			res, p := operatorRequest(t, srv, dev, "/api/v1/backoffice/worklist?min_position=3")
			if res.StatusCode != tc.status || p.Code != tc.code {
				t.Fatalf("status %d code %q, want %d %q", res.StatusCode, p.Code, tc.status, tc.code)
			}
		})
	}
}

func TestReadinessAndLagMetrics(t *testing.T) {
	t.Parallel()
	dev := auth.NewDev(auth.DevConfig{})
	srv := httptest.NewServer(api.NewServer(api.Config{
		Commands: panicky{}, Queries: noQueries{}, Store: memory.New(), Auth: dev,
		Ready:        func(context.Context) error { return errors.New("projector statements stopped") },
		ProjectorLag: func() map[string]float64 { return map[string]float64{"statements": 42} },
	}))
	defer srv.Close()
	res, p := operatorRequest(t, srv, dev, "/readyz")
	if res.StatusCode != http.StatusServiceUnavailable || p.Code != "not_ready" || !strings.Contains(p.Detail, "statements stopped") {
		t.Fatalf("readyz %d %+v", res.StatusCode, p)
	}
	m, err := srv.Client().Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer m.Body.Close()
	var body bytes.Buffer
	_, _ = body.ReadFrom(m.Body)
	if !strings.Contains(body.String(), `libretto_projector_lag_events{projector="statements"} 42`) {
		t.Fatalf("metrics lack the projector lag:\n%s", body.String())
	}
}

func TestDevTokenStoresTheCitizensCFUpperCase(t *testing.T) {
	t.Parallel()
	dev := auth.NewDev(auth.DevConfig{})
	srv := httptest.NewServer(api.NewServer(api.Config{Commands: panicky{}, Queries: noQueries{}, Store: memory.New(), Auth: dev}))
	defer srv.Close()
	res, err := srv.Client().Post(srv.URL+"/api/v1/dev/token", "application/json", strings.NewReader(`{"subject":" rssmra85t10a562s ","roles":["citizen"]}`))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body struct{ Token string }
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("status %d, err %v", res.StatusCode, err)
	}
	p, err := dev.Authenticate(context.Background(), body.Token)
	if err != nil || p.Subject != "RSSMRA85T10A562S" {
		t.Fatalf("principal %+v, err %v", p, err)
	}
}
