package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/inps/libretto/eventstore"
	"github.com/inps/libretto/http/api"
)

// propertyRequests is how many requests TestRandomRequestsNeverFailTheServer
// sends: LIBRETTO_PROPERTY_REQUESTS (make soak sets 10000), else 1500, which
// keeps make test near 20 s on a shared 2-core machine.
func propertyRequests() int {
	if n, err := strconv.Atoi(os.Getenv("LIBRETTO_PROPERTY_REQUESTS")); err == nil && n > 0 {
		return n
	}
	return 1500
}

// propRequest is one request of the property test.
type propRequest struct {
	method, path, token, contentType string
	requestID                        string // an X-Request-Id to send, forged or not
	key                              string // an Idempotency-Key to send
	body                             []byte
}

func (r propRequest) String() string {
	b := r.body
	if len(b) > 300 {
		b = append(b[:300:300], "…"...)
	}
	return fmt.Sprintf("%s %s (content type %q, token %.12s…, request id %.40q) %s", r.method, r.path, r.contentType, r.token, r.requestID, b)
}

// TestRandomRequestsNeverFailTheServer sends random and mutated requests,
// one at a time, to the real server on PostgreSQL: valid requests of every
// command route with their bodies, fields and values mutated, wrong roles
// and tokens, wrong and invented methods, content types and paths, forged
// X-Request-Ids, anonymous simulations of thousands of children, random
// bytes. No answer is a 5xx; no request that was refused (any status but
// 2xx) moved the event store's head; no panic was logged. Then a hostile
// phase, anonymous or forged only, each request with fresh invented values:
// it moves nothing, stores no row, and adds no series to /metrics (SPEC §8).
func TestRandomRequestsNeverFailTheServer(t *testing.T) {
	var store eventstore.Store
	s := newStackWith(t, func(c *api.Config) { c.ReadWait = 30 * time.Second; store = c.Store })
	w := newWorld(t, s, 5_000_000)
	deceased := newWorld(t, s, 1_000_000)
	heir := s.cf()
	heirTok := s.token(heir)
	claimID := s.post("/heir-claims", heirTok, map[string]any{
		"deceased_cf": deceased.user, "date_of_death": "2026-02-01", "heir_kind": "legittimo",
	}).want(http.StatusCreated).str("claim_id")
	svc := s.post("/services", w.userTok, service(w.worker, 1, 1)).want(http.StatusCreated).str("service_id")

	tokens := []string{w.userTok, w.workerTok, heirTok, s.operator(), s.auditor(), s.system(), "", "not-a-token",
		w.userTok[:len(w.userTok)-2] + "xx"}
	cfs := []string{w.user, w.worker, deceased.user, heir, "RSSMRA85T10A562S", "rssmra85t10a562s", "RSSMRA85T10A562T", "X", ""}
	ids := []string{claimID, svc, "00000000-0000-0000-0000-000000000000", "not-a-uuid", "../x", "%00", strings.Repeat("9", 300)}
	valid := []propRequest{
		{method: "POST", path: "/users", token: w.userTok, body: []byte(`{}`)},
		{method: "POST", path: "/workers", token: w.workerTok, body: js(map[string]any{"iban": testIBAN, "category": "studente_under25"})},
		{method: "POST", path: "/deposits", token: s.system(), body: js(map[string]any{"user_cf": w.user, "amount_cents": 10000, "channel": "PAGOPA", "paid_on": "2026-03-05"})},
		{method: "POST", path: "/services", token: w.userTok, body: js(service(w.worker, 1, 1))},
		{method: "POST", path: "/services/" + svc + "/revoke", token: w.userTok, body: []byte(`{}`)},
		{method: "POST", path: "/heir-claims", token: heirTok, body: js(map[string]any{"deceased_cf": deceased.user, "date_of_death": "2026-02-01", "heir_kind": "testamentario", "will": map[string]any{"filename": "w.pdf", "content_base64": "JVBERi0xLjQKMSAwIG9iaiA8PCA+PiBlbmRvYmoKc3RhcnR4cmVmCjAKJSVFT0YK"}})},
		{method: "POST", path: "/heir-claims/" + claimID + "/refund", token: heirTok, body: js(map[string]any{"iban": testIBAN})},
		{method: "POST", path: "/heir-claims/" + claimID + "/prior-services", token: heirTok, body: js(map[string]any{
			"worker_cf": w.worker, "activity": "assistenza_domiciliare", "start_date": "2026-01-10", "end_date": "2026-01-10",
			"hours": 2, "vouchers": 2, "declarations": map[string]any{"no_known_employment": true}})},
		{method: "POST", path: "/backoffice/heir-claims/" + claimID + "/validate", token: s.operator(), body: js(map[string]any{"note": "ok"})},
		{method: "POST", path: "/backoffice/heir-claims/" + claimID + "/reject", token: s.operator(), body: js(map[string]any{"reason": "no"})},
		{method: "POST", path: "/backoffice/refunds/" + ids[2] + "/approve", token: s.operator(), body: []byte(`{}`)},
		{method: "POST", path: "/backoffice/refunds/" + ids[2] + "/paid", token: s.operator(), body: js(map[string]any{"paid_on": "2026-03-09", "bank_reference": "CRO1"})},
		{method: "POST", path: "/backoffice/services/" + svc + "/reverse", token: s.operator(), body: js(map[string]any{"reason": "errore"})},
		{method: "POST", path: "/backoffice/deceased/" + deceased.user + "/date-of-death", token: s.operator(), body: js(map[string]any{"date_of_death": "2026-02-02", "reason": "certificato"})},
		{method: "POST", path: "/backoffice/payroll-runs", token: s.operator(), body: js(map[string]any{"run_date": "2026-03-09"})},
		{method: "GET", path: "/families/" + w.user + "/dashboard", token: w.userTok},
		{method: "GET", path: "/heir-claims/" + claimID + "/history", token: heirTok},
		{method: "GET", path: "/workers/" + w.worker + "/statements/2026", token: w.workerTok},
		{method: "GET", path: "/audit/streams/booklet-" + w.user, token: s.auditor()},
		{method: "GET", path: "/audit/heir-claims/" + claimID + "/replay?as_of=2026-03-10T00:00:00Z", token: s.auditor()},
		{method: "GET", path: "/backoffice/worklist", token: s.operator()},
		{method: "POST", path: "/dev/token", body: js(map[string]any{"subject": heir, "roles": []string{"citizen"}})},
		{method: "POST", path: "/simulators/auu", body: js(map[string]any{"year": 2026, "isee_cents": 1500000, "children": []any{map[string]any{"birth_date": "2025-12-01"}}})},
		{method: "POST", path: "/simulators/auu", body: hugeSimulation(3000)},
		{method: "POST", path: "/simulators/auu", body: hugeSimulation(21)},
		{method: "POST", path: "/simulators/bonus-nido", body: js(map[string]any{"year": 2026, "isee_cents": 3000000, "birth_date": "2025-04-01"})},
		{method: "POST", path: "/assistant", body: js(map[string]any{"question": "Come chiedo il rimborso?"})},
	}
	values := []any{nil, true, false, 0, -1, 1.5, 1e300, -9223372036854775808, 99999999999999999, "", "x", "2026-13-45", "2026-03-01",
		"9999-12-31", strings.Repeat("A", 5000), "RSSMRA85T10A562S", testIBAN, "<script>", "\u0000", []any{}, []any{1, "a"}, map[string]any{}, map[string]any{"a": map[string]any{}}}

	// A new seed each run, logged; LIBRETTO_PROPERTY_SEED replays one.
	seed := uint64(time.Now().UnixNano())
	if v, err := strconv.ParseUint(os.Getenv("LIBRETTO_PROPERTY_SEED"), 10, 64); err == nil {
		seed = v
	}
	t.Logf("seed %d (LIBRETTO_PROPERTY_SEED)", seed)
	rng := rand.New(rand.NewPCG(seed, seed>>1^0x9e3779b97f4a7c15))
	pick := func(xs []string) string { return xs[rng.IntN(len(xs))] }
	mutate := func(r propRequest) propRequest {
		switch rng.IntN(13) {
		case 0: // a field gets a random value
			var m map[string]any
			if json.Unmarshal(r.body, &m) == nil && len(m) > 0 {
				keys := make([]string, 0, len(m))
				for k := range m {
					keys = append(keys, k)
				}
				m[keys[rng.IntN(len(keys))]] = values[rng.IntN(len(values))]
				r.body = js(m)
			}
		case 1: // a field goes missing
			var m map[string]any
			if json.Unmarshal(r.body, &m) == nil {
				for k := range m {
					delete(m, k)
					break
				}
				r.body = js(m)
			}
		case 2: // an unknown field
			var m map[string]any
			if json.Unmarshal(r.body, &m) == nil && m != nil {
				m["extra"] = values[rng.IntN(len(values))]
				r.body = js(m)
			}
		case 3: // truncated
			if len(r.body) > 0 {
				r.body = r.body[:rng.IntN(len(r.body))]
			}
		case 4: // random bytes
			b := make([]byte, rng.IntN(200))
			for i := range b {
				b[i] = byte(rng.IntN(256))
			}
			r.body = b
		case 5: // another caller
			r.token = pick(tokens)
		case 6: // another method, maybe one HTTP does not define
			r.method = []string{"GET", "PUT", "PATCH", "DELETE", "POST", "HEAD", "OPTIONS", inventedMethod(rng)}[rng.IntN(8)]
		case 7: // another content type
			r.contentType = []string{"text/plain", "application/xml", "application/json; charset=utf-8", "application/problem+json", "multipart/form-data", ";;"}[rng.IntN(6)]
		case 8: // a path segment replaced by a CF or an id
			parts := strings.Split(r.path, "/")
			i := 1 + rng.IntN(len(parts)-1)
			if rng.IntN(2) == 0 {
				parts[i] = pick(cfs)
			} else {
				parts[i] = pick(ids)
			}
			r.path = strings.Join(parts, "/")
		case 9: // query parameters
			r.path += []string{"?min_position=-1", "?min_position=abc", "?min_position=99999999999999999999", "?as_of=yesterday", "?a=%zz", "?min_position=0"}[rng.IntN(6)]
		case 10: // JSON of another shape
			r.body = []byte([]string{`[]`, `null`, `"x"`, `1`, `{}{}`, `{"a":`, ` `, `{"hours":[1]}`, strings.Repeat(`[`, 10000)}[rng.IntN(9)])
		case 11: // a forged X-Request-Id
			r.requestID = forgedRequestID(rng)
		default: // as it is: some valid requests pass through
		}
		return r
	}

	ctx := context.Background()
	client := &http.Client{Timeout: 60 * time.Second}
	n := propertyRequests()
	refused, accepted := 0, 0
	for i := 0; i < n; i++ {
		r := valid[rng.IntN(len(valid))]
		for range 1 + rng.IntN(2) {
			r = mutate(r)
		}
		before, err := store.Head(ctx)
		if err != nil {
			t.Fatal(err)
		}
		status := send(t, client, s.srv.URL, r)
		if status >= 500 {
			t.Fatalf("request %d: %s → %d\nserver log:\n%s", i, r, status, lastLines(s.logs.String(), 3))
		}
		if status >= 200 && status < 300 {
			accepted++
			continue
		}
		refused++
		after, err := store.Head(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if after != before {
			t.Fatalf("request %d was refused (%d) but the store moved from %+v to %+v: %s", i, status, before, after, r)
		}
	}
	t.Logf("%d requests: %d refused, %d accepted", n, refused, accepted)

	// The hostile phase: every kind once to see its labels, then 200 with
	// fresh invented methods, paths and request ids.
	hostile := []func() propRequest{
		func() propRequest { return propRequest{method: inventedMethod(rng), path: "/healthz"} },
		func() propRequest {
			return propRequest{method: inventedMethod(rng), path: randomPath(rng), body: []byte(`{}`), requestID: forgedRequestID(rng)}
		},
		func() propRequest {
			return propRequest{method: "GET", path: randomPath(rng), requestID: forgedRequestID(rng)}
		},
		func() propRequest {
			return propRequest{method: "POST", path: "/simulators/auu", body: hugeSimulation(3000), requestID: forgedRequestID(rng)}
		},
		func() propRequest {
			return propRequest{method: "POST", path: "/simulators/auu", body: hugeSimulation(21), requestID: forgedRequestID(rng)}
		},
		func() propRequest {
			return propRequest{method: "POST", path: "/simulators/bonus-nido", requestID: forgedRequestID(rng),
				body: js(map[string]any{"year": 2026, "isee_cents": rng.Int64N(5_000_000), "birth_date": "2025-04-01"})}
		},
		func() propRequest {
			return propRequest{method: "POST", path: "/assistant", requestID: forgedRequestID(rng), body: js(map[string]any{"question": randomPath(rng)})}
		},
	}
	sendHostile := func(r propRequest) {
		t.Helper()
		if status := send(t, client, s.srv.URL, r); status >= 500 {
			t.Fatalf("hostile %s → %d\nserver log:\n%s", r, status, lastLines(s.logs.String(), 3))
		}
	}
	for _, kind := range hostile {
		sendHostile(kind())
	}
	before, err := store.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	metricsSeries(t, client, s.srv.URL) // a scrape is a series too
	series, keys := metricsSeries(t, client, s.srv.URL), idempotencyRows(t, s)
	for range 200 {
		r := hostile[rng.IntN(len(hostile))]()
		r.key = uuid.NewString() // a stored answer would be a row per request
		if rng.IntN(2) == 0 {
			r.token = tokens[rng.IntN(len(tokens))] // a token does not make a simulation a command
		}
		sendHostile(r)
	}
	if after, err := store.Head(ctx); err != nil || after != before {
		t.Fatalf("the hostile phase moved the store from %+v to %+v (%v)", before, after, err)
	}
	if after := metricsSeries(t, client, s.srv.URL); after != series {
		t.Fatalf("the hostile phase took /metrics from %d series to %d", series, after)
	}
	if after := idempotencyRows(t, s); after != keys {
		t.Fatalf("the hostile phase stored %d idempotency rows", after-keys)
	}
	if strings.Contains(strings.ToLower(s.logs.String()), "panic") {
		t.Fatalf("a panic was logged:\n%s", s.logs.String())
	}
}

// inventedMethod is an HTTP method no one defined: a valid token, fresh.
func inventedMethod(rng *rand.Rand) string {
	const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	b := make([]byte, 3+rng.IntN(12))
	for i := range b {
		b[i] = letters[rng.IntN(len(letters))]
	}
	return string(b)
}

// randomPath is a path under the API that no route has.
func randomPath(rng *rand.Rand) string {
	return fmt.Sprintf("/x%d/%d", rng.Int64(), rng.IntN(1000))
}

// forgedRequestID is an X-Request-Id that is not a UUID's standard form.
func forgedRequestID(rng *rand.Rand) string {
	return []string{
		fmt.Sprintf("req-%d", rng.Int64()),
		"urn:uuid:" + uuid.NewString(),
		strings.ReplaceAll(uuid.NewString(), "-", ""),
		"00000000-0000-0000-0000-000000000000",
		"<script>" + strconv.Itoa(rng.IntN(1e6)) + "</script>",
		strings.Repeat("A", 1000+rng.IntN(4000)),
	}[rng.IntN(6)]
}

// hugeSimulation is an AUU simulation of children children.
func hugeSimulation(children int) []byte {
	kids := make([]any, children)
	for i := range kids {
		kids[i] = map[string]any{"birth_date": "2020-01-01", "disability": "media"}
	}
	return js(map[string]any{"year": 2026, "children": kids})
}

// metricsSeries counts the samples /metrics answers.
func metricsSeries(t *testing.T, c *http.Client, base string) int {
	t.Helper()
	res, err := c.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	n := 0
	for line := range strings.SplitSeq(string(raw), "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			n++
		}
	}
	return n
}

// idempotencyRows counts the stored Idempotency-Keys.
func idempotencyRows(t *testing.T, s *stack) int {
	t.Helper()
	var n int
	if err := s.pool.QueryRow(context.Background(), `SELECT count(*) FROM idempotency`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func send(t *testing.T, c *http.Client, base string, r propRequest) int {
	t.Helper()
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequest(r.method, base+api.Prefix+r.path, body)
	if err != nil {
		return 400 // a path Go itself refuses to send (e.g. a bad escape): nothing reached the server
	}
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	} else if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	if r.requestID != "" {
		req.Header.Set(api.RequestIDHeader, r.requestID)
	}
	if r.key != "" {
		req.Header.Set(api.IdempotencyKeyHeader, r.key)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", r, err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	return res.StatusCode
}

// lastLines is the last n lines of log.
func lastLines(log string, n int) string {
	lines := strings.Split(strings.TrimRight(log, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

func js(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
