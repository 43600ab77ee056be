package api_test

import (
	"bufio"
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
