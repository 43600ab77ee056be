package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/inps/libretto/eventstore/memory"
	"github.com/inps/libretto/http/api"
	"github.com/inps/libretto/http/ratelimit"
)

// anonymousServer is the API on an in-memory store with no command side: the
// anonymous surface (simulators, assistant, dev tokens, probes) needs none.
func anonymousServer(t *testing.T, edit ...func(*api.Config)) *httptest.Server {
	t.Helper()
	cfg := api.Config{Commands: panicky{}, Queries: noQueries{}, Store: memory.New()}
	for _, e := range edit {
		e(&cfg)
	}
	srv := httptest.NewServer(api.NewServer(cfg))
	t.Cleanup(srv.Close)
	return srv
}

// metricSeries counts the sample lines /metrics answers.
func metricSeries(t *testing.T, base string) int {
	t.Helper()
	res, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	n := 0
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if line := sc.Text(); line != "" && !strings.HasPrefix(line, "#") {
			n++
		}
	}
	return n
}

// TestInventedMethodsAndPathsAddNoMetricSeries: SPEC §8, metrics never take
// a label from the request. Once every label a request can reach has been
// seen, 50 requests with invented methods and random paths, with no token,
// add no series to /metrics.
func TestInventedMethodsAndPathsAddNoMetricSeries(t *testing.T) {
	t.Parallel()
	srv := anonymousServer(t)
	send := func(method, path string) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	// Warm up: a scrape, one invented method and one unknown path of each kind.
	metricSeries(t, srv.URL)
	send("BREW", "/api/v1/healthz")
	send("BREW", "/nowhere")
	send("GET", "/api/v1/nowhere")
	send("GET", "/api/v1/healthz")
	send("GET", "/nowhere")
	before := metricSeries(t, srv.URL)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 50 {
		method := fmt.Sprintf("M%dX%d", i, rng.IntN(1e6))
		path := []string{"/api/v1/healthz", "/api/v1/", "/"}[i%3] + fmt.Sprintf("p%d/%d", rng.IntN(1e9), i)
		if i%5 == 0 {
			path = "/api/v1/healthz"
		}
		send(method, path)
		send("GET", path)
	}
	if after := metricSeries(t, srv.URL); after != before {
		t.Fatalf("/metrics had %d series before and %d after 100 requests with invented methods and paths", before, after)
	}
}

// postJSON posts body to the API of srv with headers, from 127.0.0.1 unless
// a "RemoteAddr" pseudo-header says otherwise.
func postJSON(t *testing.T, srv *httptest.Server, path, body string, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest("POST", api.Prefix+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.RemoteAddr = "127.0.0.1:40000"
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i] == "RemoteAddr" {
			req.RemoteAddr = headers[i+1]
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	srv.Config.Handler.ServeHTTP(w, req)
	return w
}

// problemOf decodes a problem+json answer.
func problemOf(t *testing.T, w *httptest.ResponseRecorder) api.Problem {
	t.Helper()
	var p api.Problem
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		t.Fatalf("status %d, not a problem: %v\n%s", w.Code, err, w.Body)
	}
	return p
}

func auuBody(children int) string {
	kids := strings.TrimSuffix(strings.Repeat(`{"birth_date":"2020-01-01"},`, children), ",")
	return `{"year":2026,"on_date":"2026-03-10","children":[` + kids + `]}`
}

// TestAnonymousListsAreBounded: SPEC §8, the anonymous endpoints take at
// most 20 children; a larger body is refused before it is decoded.
func TestAnonymousListsAreBounded(t *testing.T) {
	t.Parallel()
	srv := anonymousServer(t)
	if w := postJSON(t, srv, "/simulators/auu", auuBody(20)); w.Code != http.StatusOK {
		t.Fatalf("20 children: %d %s", w.Code, w.Body)
	}
	w := postJSON(t, srv, "/simulators/auu", auuBody(21))
	p := problemOf(t, w)
	if w.Code != http.StatusUnprocessableEntity || p.Code != "too_many_children" || len(p.Errors) != 1 || p.Errors[0].Field != "children" {
		t.Fatalf("21 children: %d %+v", w.Code, p)
	}
	w = postJSON(t, srv, "/simulators/auu", auuBody(3000))
	if p := problemOf(t, w); w.Code != http.StatusRequestEntityTooLarge || p.Code != "body_too_large" {
		t.Fatalf("3,000 children: %d %+v", w.Code, p)
	}
	w = postJSON(t, srv, "/dev/token", `{"subject":"OPERATORE-1","roles":["operator","operator","operator","operator","operator"]}`)
	if p := problemOf(t, w); w.Code != http.StatusUnprocessableEntity || p.Code != "invalid_role" {
		t.Fatalf("five roles: %d %+v", w.Code, p)
	}
	w = postJSON(t, srv, "/assistant", `{"question":"`+strings.Repeat("nido ", 4000)+`"}`)
	if p := problemOf(t, w); w.Code != http.StatusRequestEntityTooLarge || p.Code != "body_too_large" {
		t.Fatalf("a 20 KB question: %d %+v", w.Code, p)
	}
}

// TestAnonymousAndLoginRoutesAreRateLimitedPerAddress: SPEC §8, the
// simulators and the assistant share one budget per client address, dev
// tokens another; beyond it 429 rate_limited with Retry-After. Loopback
// callers are not limited in development, and X-Forwarded-For is believed
// only from a configured proxy.
func TestAnonymousAndLoginRoutesAreRateLimitedPerAddress(t *testing.T) {
	t.Parallel()
	proxy := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	srv := anonymousServer(t, func(c *api.Config) {
		c.Limits.Anonymous = ratelimit.New(ratelimit.Rate{Requests: 3, Per: time.Minute}, ratelimit.Clients{TrustedProxies: proxy})
		c.Limits.Login = ratelimit.New(ratelimit.Rate{Requests: 2, Per: 30 * time.Second}, ratelimit.Clients{TrustedProxies: proxy})
	})
	nido := `{"year":2026,"isee_cents":3000000,"birth_date":"2025-04-01"}`
	ask := `{"question":"rimborso"}`
	token := `{"subject":"OPERATORE-1","roles":["operator"]}`
	from := func(addr string) []string { return []string{"RemoteAddr", addr} }
	stranger := from("203.0.113.9:5000")

	for i, c := range []struct{ path, body string }{{"/simulators/auu", auuBody(1)}, {"/simulators/bonus-nido", nido}, {"/assistant", ask}} {
		if w := postJSON(t, srv, c.path, c.body, stranger...); w.Code != http.StatusOK {
			t.Fatalf("request %d: %d %s", i+1, w.Code, w.Body)
		}
	}
	refused := func(w *httptest.ResponseRecorder, retry string) {
		t.Helper()
		p := problemOf(t, w)
		if w.Code != http.StatusTooManyRequests || p.Code != "rate_limited" || w.Header().Get("Retry-After") != retry ||
			w.Header().Get("Content-Type") != "application/problem+json" {
			t.Fatalf("over the limit: %d, Retry-After %q, %+v", w.Code, w.Header().Get("Retry-After"), p)
		}
	}
	refused(postJSON(t, srv, "/simulators/bonus-nido", nido, stranger...), "60")
	refused(postJSON(t, srv, "/assistant", ask, stranger...), "60")
	// Headers the stranger sends do not buy a new budget.
	refused(postJSON(t, srv, "/assistant", ask, "RemoteAddr", "203.0.113.9:5001", "X-Forwarded-For", "198.51.100.77"), "60")

	// Dev tokens have their own budget.
	for range 2 {
		if w := postJSON(t, srv, "/dev/token", token, stranger...); w.Code != http.StatusOK {
			t.Fatalf("dev token: %d %s", w.Code, w.Body)
		}
	}
	refused(postJSON(t, srv, "/dev/token", token, stranger...), "30")

	// Others are not limited by the stranger's requests: another address,
	// a client a trusted proxy names, loopback in development.
	for _, h := range [][]string{from("198.51.100.1:5000"), {"RemoteAddr", "10.0.0.2:80", "X-Forwarded-For", "198.51.100.2"}} {
		if w := postJSON(t, srv, "/assistant", ask, h...); w.Code != http.StatusOK {
			t.Fatalf("%v: %d %s", h, w.Code, w.Body)
		}
	}
	for range 10 {
		if w := postJSON(t, srv, "/assistant", ask); w.Code != http.StatusOK {
			t.Fatalf("loopback: %d %s", w.Code, w.Body)
		}
	}
	// The simulators' parameters are a GET of static data: not counted.
	req := httptest.NewRequest("GET", api.Prefix+"/simulators/parameters", nil)
	req.RemoteAddr = "203.0.113.9:5000"
	w := httptest.NewRecorder()
	srv.Config.Handler.ServeHTTP(w, req)
	if w.Code != http.StatusOK {
		t.Fatalf("parameters: %d", w.Code)
	}
}

// TestAnonymousAnswersKeepTheirKeysInMemory: SPEC §5's Idempotency-Key
// contract holds for the simulators and the assistant without storing
// their answers: a repeat answers the same, even on another day when the
// first request let on_date default to today; the key with another body is
// 422 idempotency_key_reused; another address has keys of its own.
func TestAnonymousAnswersKeepTheirKeysInMemory(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	now := time.Date(2026, 3, 10, 22, 59, 0, 0, time.UTC) // 23:59 in Rome
	srv := anonymousServer(t, func(c *api.Config) {
		c.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	})
	// A child who turns one on 11 March loses the +50% of children under one.
	body := `{"year":2026,"children":[{"birth_date":"2025-03-11"}]}`
	first := postJSON(t, srv, "/simulators/auu", body, "Idempotency-Key", "k-1")
	if first.Code != http.StatusOK {
		t.Fatalf("first: %d %s", first.Code, first.Body)
	}
	mu.Lock()
	now = now.Add(2 * time.Minute) // 11 March in Rome
	mu.Unlock()
	if again := postJSON(t, srv, "/simulators/auu", body, "Idempotency-Key", "k-1"); again.Code != http.StatusOK || again.Body.String() != first.Body.String() {
		t.Fatalf("the repeat answered %d %s, the first %s", again.Code, again.Body, first.Body)
	}
	if fresh := postJSON(t, srv, "/simulators/auu", body); fresh.Body.String() == first.Body.String() {
		t.Fatalf("without a key the answer is today's: %s", fresh.Body)
	}
	other := `{"year":2026,"children":[{"birth_date":"2020-01-01"}]}`
	if w := postJSON(t, srv, "/simulators/auu", other, "Idempotency-Key", "k-1"); problemOf(t, w).Code != "idempotency_key_reused" || w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("the key with another body: %d %s", w.Code, w.Body)
	}
	if w := postJSON(t, srv, "/assistant", `{"question":"nido"}`, "Idempotency-Key", "k-1"); w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("the key on another route: %d %s", w.Code, w.Body)
	}
	if w := postJSON(t, srv, "/simulators/auu", other, "Idempotency-Key", "k-1", "RemoteAddr", "203.0.113.9:1"); w.Code != http.StatusOK {
		t.Fatalf("another address's key: %d %s", w.Code, w.Body)
	}
	// A refusal is not remembered: the key is still free for another body.
	refused := `{"year":2019,"children":[{"birth_date":"2015-01-01"}]}`
	if w := postJSON(t, srv, "/simulators/auu", refused, "Idempotency-Key", "k-2"); problemOf(t, w).Code != "unsupported_year" {
		t.Fatalf("refused: %d %s", w.Code, w.Body)
	}
	if w := postJSON(t, srv, "/simulators/auu", other, "Idempotency-Key", "k-2"); w.Code != http.StatusOK {
		t.Fatalf("after a refusal: %d %s", w.Code, w.Body)
	}
}

// TestAnonymousRequestsStoreNothing: SPEC §8, the simulators and the
// assistant store nothing per request, Idempotency-Key or not: no
// idempotency row, no event.
func TestAnonymousRequestsStoreNothing(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	rows := func() int {
		var n int
		if err := s.pool.QueryRow(context.Background(), `SELECT count(*) FROM idempotency`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	var events int64
	count := func() {
		if err := s.pool.QueryRow(context.Background(), `SELECT count(*) FROM events`).Scan(&events); err != nil {
			t.Fatal(err)
		}
	}
	count()
	before, eventsBefore := rows(), events
	for i := range 30 {
		key := fmt.Sprintf("anon-%d", i)
		s.post("/simulators/auu", "", map[string]any{"year": 2026, "children": []any{map[string]any{"birth_date": "2020-01-01"}}}, "Idempotency-Key", key).want(http.StatusOK)
		s.post("/simulators/bonus-nido", "", map[string]any{"year": 2026, "birth_date": "2025-04-01"}, "Idempotency-Key", key+"n").want(http.StatusOK)
		s.post("/assistant", s.token(s.cf()), map[string]any{"question": "nido"}, "Idempotency-Key", key+"a").want(http.StatusOK)
	}
	count()
	if after := rows(); after != before || events != eventsBefore {
		t.Fatalf("90 anonymous requests left %d idempotency rows (before %d) and %d events (before %d)", after, before, events, eventsBefore)
	}
}

// TestAMinPositionFarBeyondTheLogIsAnsweredAtOnce: a ?min_position further
// past the head of the log than can be appended within the wait answers
// 504 read_model_timeout at once, on a read model and on the audit log,
// instead of holding the request for the whole bound; a position the log
// may still reach is waited for as before.
func TestAMinPositionFarBeyondTheLogIsAnsweredAtOnce(t *testing.T) {
	t.Parallel()
	const wait = 3 * time.Second
	s := newStackWith(t, func(c *api.Config) { c.ReadWait = wait })
	user := s.cf()
	tok := s.token(user)
	head := s.post("/users", tok, nil).want(http.StatusCreated).num("position")
	timed := func(path, token string) time.Duration {
		t.Helper()
		start := time.Now()
		s.get(path, token).problem(http.StatusGatewayTimeout, "read_model_timeout")
		return time.Since(start)
	}
	for _, c := range []struct{ path, token string }{
		{"/families/" + user + "/dashboard?min_position=9999999999", tok},
		{"/audit/verify?min_position=9223372036854775807", s.auditor()},
	} {
		if took := timed(c.path, c.token); took > wait/3 {
			t.Errorf("%s took %s", c.path, took)
		}
	}
	if took := timed(fmt.Sprintf("/families/%s/dashboard?min_position=%d", user, head+1000), tok); took < wait {
		t.Errorf("a position the log may reach was given up after %s", took)
	}
}

// TestARequestIDIsTheCorrelationIDOnlyWhenItIsAUUID: X-Request-Id becomes
// the events' correlation id only when it is a UUID; anything else is
// replaced by a fresh one (URN, brace and undashed forms too), and only the
// server's canonical form is echoed.
func TestARequestIDIsTheCorrelationIDOnlyWhenItIsAUUID(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	const mine = "0f8fad5b-d9cb-469f-a165-70867728950e"
	forged := []string{"urn:uuid:" + mine, "{" + mine + "}", strings.ReplaceAll(mine, "-", ""), "abc", "<script>alert(1)</script>", strings.Repeat("9", 5000), "00000000-0000-0000-0000-000000000000",
		"0f8fad5b-d9cb-469f-a165-70867728950", "0f8fad5b-d9cb-469f-a165-70867728950e, x", "' OR 1=1 --"}
	seen := map[string]bool{}
	for i, id := range append(forged, strings.ToUpper(mine)) {
		user := s.cf()
		res := s.post("/users", s.token(user), nil, api.RequestIDHeader, id).want(http.StatusCreated)
		echoed := res.header.Get(api.RequestIDHeader)
		if _, err := uuid.Parse(echoed); err != nil || len(echoed) != 36 || seen[echoed] {
			t.Fatalf("X-Request-Id %.40q was echoed as %q", id, echoed)
		}
		seen[echoed] = true
		stream := s.get("/audit/streams/booklet-"+user+"?"+res.pos(), s.auditor()).want(http.StatusOK)
		corr := stream.list("events")[0].(map[string]any)["correlation_id"]
		if corr != echoed {
			t.Fatalf("the event's correlation id %v is not the echoed request id %s", corr, echoed)
		}
		if wantMine := i >= len(forged); wantMine != (echoed == mine) {
			t.Fatalf("X-Request-Id %.40q became %s", id, echoed)
		}
	}
}
