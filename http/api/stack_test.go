package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	backend "github.com/inps/libretto/cmd/libretto/app/stack"
	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/eventstore"
	"github.com/inps/libretto/http/api"
	"github.com/inps/libretto/notify"
)

// testNow is the instant the stack's clock shows: services of March 2026
// may be recorded, February's deadline (3 March) has passed.
var testNow = time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)

// stack is the whole back end on a private PostgreSQL database, served by a
// real HTTP server: the back end app serves (backend.ForTest: migrations,
// the PostgreSQL event store, the command handler, the live projectors)
// and the API.
type stack struct {
	t      testing.TB
	srv    *httptest.Server
	pool   *pgxpool.Pool // the stack's database, for tests that count rows
	logs   *bytes.Buffer
	tokens sync.Map
	cfs    atomic.Int64
	seen   *recorder
	api    *api.Server      // the router, for walking its routes
	store  eventstore.Store // for checking that a refused request appended nothing
}

// newStack builds a stack whose reads wait up to 30 s for ?min_position:
// the PostgreSQL store reads the log below the cluster-wide transaction
// horizon, so other tenants' long transactions (benchmarks, DROP DATABASE)
// on a shared test server can hold the projectors back for seconds.
func newStack(t testing.TB) *stack {
	t.Helper()
	return newStackWith(t, func(c *api.Config) { c.ReadWait = 30 * time.Second })
}

// newStackWith builds a stack with the API configuration changed by edit.
func newStackWith(t testing.TB, edit func(*api.Config)) *stack {
	t.Helper()
	logs := &bytes.Buffer{}
	logger := slog.New(slog.NewJSONHandler(&lockedWriter{w: logs}, nil))
	st := backend.ForTest(t, logger, notify.NewProjector(notify.ProjectorConfig{Now: func() time.Time { return testNow }}))
	cfg := api.Config{
		Commands:  st.Commands,
		Queries:   st.Runner.Queries(),
		Documents: st.Documents,
		Store:     st.Store,
		Inbox:     notify.NewInbox(st.Pool),
		Logger:    logger,
		Now:       func() time.Time { return testNow },
		Ready:     func(context.Context) error { return st.Runner.Ready() },
	}
	edit(&cfg)
	srv, err := api.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := &stack{t: t, pool: st.Pool, logs: logs, seen: &recorder{}, api: srv, store: st.Store}
	s.srv = httptest.NewServer(srv)
	t.Cleanup(s.srv.Close)
	t.Cleanup(func() { s.seen.check(t) })
	return s
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// cf returns a new valid codice fiscale, distinct within the stack.
func (s *stack) cf() string {
	n := s.cfs.Add(1)
	return makeCF(n)
}

func makeCF(n int64) string {
	letters := []byte("AAA")
	for i := 2; i >= 0; i-- {
		letters[i] = byte('A' + n%26)
		n /= 26
	}
	first := string(letters) + "MRA85T10A562"
	return first + string(domain.CFCheckChar(first))
}

// wrongCheckChar returns cf with a wrong check character.
func wrongCheckChar(cf string) string {
	last := cf[15] + 1
	if last > 'Z' {
		last = 'A'
	}
	return cf[:15] + string(last)
}

// token returns a development token for subject with roles.
func (s *stack) token(subject string, roles ...string) string {
	s.t.Helper()
	if len(roles) == 0 {
		roles = []string{"citizen"}
	}
	key := subject + "|" + strings.Join(roles, ",")
	if v, ok := s.tokens.Load(key); ok {
		return v.(string)
	}
	r := s.do("POST", "/dev/token", "", map[string]any{"subject": subject, "roles": roles})
	r.want(http.StatusOK)
	tok := r.str("token")
	s.tokens.Store(key, tok)
	return tok
}

func (s *stack) operator() string { return s.token("OPERATORE-1", "operator") }

// operator2 is a second operator: the one who records the payment of a
// refund operator approved (four eyes, SPEC §8).
func (s *stack) operator2() string { return s.token("OPERATORE-2", "operator") }
func (s *stack) auditor() string   { return s.token("AUDIT-1", "auditor") }
func (s *stack) system() string    { return s.token("F24-FEED", "system") }

type response struct {
	t      testing.TB
	method string
	path   string
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

// do sends body (JSON-encoded unless it is []byte or string) to the API.
func (s *stack) do(method, path, token string, body any, headers ...string) *response {
	s.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, s.srv.URL+api.Prefix+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := s.srv.Client().Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	r := &response{t: s.t, method: method, path: path, status: res.StatusCode, header: res.Header, raw: raw}
	ct := res.Header.Get("Content-Type")
	if strings.Contains(ct, "json") {
		var m any
		if err := json.Unmarshal(raw, &m); err != nil {
			s.t.Fatalf("%s %s: response is not JSON: %v\n%s", method, path, err, raw)
		}
		if obj, ok := m.(map[string]any); ok {
			r.body = obj
		}
	}
	s.seen.add(method, path, res.StatusCode, ct, raw)
	return r
}

func (s *stack) post(path, token string, body any, headers ...string) *response {
	s.t.Helper()
	if body == nil {
		body = map[string]any{}
	}
	return s.do("POST", path, token, body, headers...)
}

func (s *stack) get(path, token string, headers ...string) *response {
	s.t.Helper()
	return s.do("GET", path, token, nil, headers...)
}

// want fails the test unless the status is status.
func (r *response) want(status int) *response {
	r.t.Helper()
	if r.status != status {
		r.t.Fatalf("%s %s: status %d, want %d\n%s", r.method, r.path, r.status, status, r.raw)
	}
	return r
}

// problem fails the test unless the response is a problem with status and code.
func (r *response) problem(status int, code string) *response {
	r.t.Helper()
	r.want(status)
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		r.t.Fatalf("%s %s: content type %q, want application/problem+json", r.method, r.path, ct)
	}
	if got := r.str("code"); got != code {
		r.t.Fatalf("%s %s: code %q, want %q\n%s", r.method, r.path, got, code, r.raw)
	}
	return r
}

func (r *response) str(key string) string {
	r.t.Helper()
	v, ok := r.body[key].(string)
	if !ok {
		r.t.Fatalf("%s %s: %q is not a string in %s", r.method, r.path, key, r.raw)
	}
	return v
}

func (r *response) num(key string) int64 {
	r.t.Helper()
	v, ok := r.body[key].(float64)
	if !ok {
		r.t.Fatalf("%s %s: %q is not a number in %s", r.method, r.path, key, r.raw)
	}
	return int64(v)
}

func (r *response) obj(key string) map[string]any {
	r.t.Helper()
	v, ok := r.body[key].(map[string]any)
	if !ok {
		r.t.Fatalf("%s %s: %q is not an object in %s", r.method, r.path, key, r.raw)
	}
	return v
}

func (r *response) list(key string) []any {
	r.t.Helper()
	v, ok := r.body[key].([]any)
	if !ok {
		r.t.Fatalf("%s %s: %q is not an array in %s", r.method, r.path, key, r.raw)
	}
	return v
}

// array is a JSON array body.
func (r *response) array() []any {
	r.t.Helper()
	var v []any
	if err := json.Unmarshal(r.raw, &v); err != nil {
		r.t.Fatalf("%s %s: not a JSON array: %v\n%s", r.method, r.path, err, r.raw)
	}
	return v
}

// pos is the response's position as a ?min_position query.
func (r *response) pos() string { return fmt.Sprintf("min_position=%d", r.num("position")) }

// world is a small population: a user with a funded booklet, a registered
// worker, and the tokens to act as them.
type world struct {
	*stack
	user, worker       string
	userTok, workerTok string
	last               *response
}

// newWorld registers a user with deposits of depositCents and a worker with
// an IBAN.
func newWorld(t testing.TB, s *stack, depositCents int64) *world {
	t.Helper()
	w := &world{stack: s, user: s.cf(), worker: s.cf()}
	w.userTok, w.workerTok = s.token(w.user), s.token(w.worker)
	s.post("/users", w.userTok, nil).want(http.StatusCreated)
	s.post("/workers", w.workerTok, map[string]any{"iban": testIBAN, "category": "altro"}).want(http.StatusCreated)
	if depositCents > 0 {
		w.last = s.post("/deposits", s.system(), map[string]any{
			"user_cf": w.user, "amount_cents": depositCents, "channel": "F24", "paid_on": "2026-03-01",
		}).want(http.StatusCreated)
	}
	return w
}

const testIBAN = "IT60X0542811101000000123456"

// service is a valid POST /services body for worker.
func service(worker string, vouchers int, hours float64) map[string]any {
	return map[string]any{
		"worker_cf": worker, "activity": "lavori_domestici",
		"start_date": "2026-03-02", "end_date": "2026-03-05",
		"hours": hours, "vouchers": vouchers,
		"declarations": map[string]any{"no_recent_employment": true},
	}
}

// deceasedWorld is a world whose user has died and an heir with a claim.
type deceasedWorld struct {
	*world
	heir, heirTok, claimID string
}

func newDeceasedWorld(t testing.TB, s *stack, depositCents int64) *deceasedWorld {
	t.Helper()
	w := newWorld(t, s, depositCents)
	d := &deceasedWorld{world: w, heir: s.cf()}
	d.heirTok = s.token(d.heir)
	r := s.post("/heir-claims", d.heirTok, map[string]any{
		"deceased_cf": w.user, "date_of_death": "2026-03-06", "heir_kind": "legittimo",
	}).want(http.StatusCreated)
	d.claimID = r.str("claim_id")
	d.last = r
	return d
}
