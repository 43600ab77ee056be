package api_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/inps/libretto/eventstore/memory"
	"github.com/inps/libretto/http/api"
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

// postJSON posts body to the API of srv from remote (an address as
// RemoteAddr holds it, "" for the test client's own) with headers.
func postJSON(t *testing.T, srv *httptest.Server, path, body string, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest("POST", api.Prefix+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
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
