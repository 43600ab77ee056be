package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/inps/libretto/cmd/libretto/app"
	"github.com/inps/libretto/commands/seed"
	"github.com/inps/libretto/eventstore"
	"github.com/inps/libretto/eventstore/esdb/esdbtest"
	"github.com/inps/libretto/eventstore/postgres/pgtest"
)

// client speaks JSON to a running App.
type client struct {
	t    *testing.T
	base string
}

func (c client) do(method, path, token string, body any) (int, map[string]any) {
	c.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(raw) > 0 && strings.Contains(resp.Header.Get("Content-Type"), "json") {
		if err := json.Unmarshal(raw, &out); err != nil {
			c.t.Fatalf("%s %s: decode %q: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode, out
}

func (c client) token(subject string, role string) string {
	c.t.Helper()
	status, out := c.do("POST", "/api/v1/dev/token", "", map[string]any{"subject": subject, "roles": []string{role}})
	if status != http.StatusOK && status != http.StatusCreated {
		c.t.Fatalf("dev token: %d %v", status, out)
	}
	return out["token"].(string)
}

func TestWiredAppServesCommandsThroughToReadModels(t *testing.T) {
	t.Parallel()
	a := app.StartForTest(t)
	c := client{t: t, base: a.BaseURL}

	for _, p := range []string{"/healthz", "/readyz", "/api/v1/healthz"} {
		if status, body := c.do("GET", p, "", nil); status != http.StatusOK {
			t.Errorf("GET %s = %d %v, want 200", p, status, body)
		}
	}

	for _, p := range []string{"/", "/accedi"} {
		resp, err := http.Get(a.BaseURL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Errorf("GET %s = %d %s, want the portal's 200 text/html", p, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}

	depositAndRead(t, c)

	status, _ := c.do("GET", "/metrics", "", nil)
	if status != http.StatusOK {
		t.Fatalf("GET /metrics = %d, want 200", status)
	}
}

// depositAndRead opens a booklet, deposits on it and reads the dashboard at
// the deposit's position: a command through to its read model.
func depositAndRead(t *testing.T, c client) {
	t.Helper()
	const user = "RSSMRA80A01H501U"
	citizen := c.token(user, "citizen")
	status, body := c.do("POST", "/api/v1/users", citizen, map[string]any{})
	if status != http.StatusCreated {
		t.Fatalf("POST /users = %d %v, want 201", status, body)
	}
	operator := c.token("OPERATORE01", "operator")
	status, body = c.do("POST", "/api/v1/deposits", operator, map[string]any{
		"user_cf": user, "amount_cents": 50000, "channel": "PAGOPA", "paid_on": "2026-01-15",
	})
	if status != http.StatusCreated {
		t.Fatalf("POST /deposits = %d %v, want 201", status, body)
	}
	pos := int64(body["position"].(float64))

	// Read-your-writes: the dashboard answers once its projector has passed pos.
	status, body = c.do("GET", fmt.Sprintf("/api/v1/families/%s/dashboard?min_position=%d", user, pos), citizen, nil)
	if status != http.StatusOK {
		t.Fatalf("GET dashboard = %d %v, want 200", status, body)
	}
	booklet, _ := body["booklet"].(map[string]any)
	if got := booklet["deposited_cents"]; got != float64(50000) {
		t.Fatalf("deposited_cents = %v, want 50000 (dashboard %v)", got, body)
	}
}

func TestEventStoreDBBackendServesTheSameFlow(t *testing.T) {
	t.Parallel()
	srv := esdbtest.Start(t)
	a := app.StartForTest(t, func(c *app.Config) { c.EventStoreURL = srv.URL() })
	if eventstore.MultiStreamAtomic(a.Store) {
		t.Fatal("EVENTSTORE_URL did not select the EventStoreDB store")
	}
	depositAndRead(t, client{t: t, base: a.BaseURL})
}

func TestSeedFillsAnEmptyDatabaseOnce(t *testing.T) {
	t.Parallel()
	a := app.StartForTest(t, func(c *app.Config) { c.Seed = true })
	ctx := context.Background()
	head, err := a.Store.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if head.Events == 0 {
		t.Fatal("the seed appended nothing")
	}
	c := client{t: t, base: a.BaseURL}
	operator := c.token(seed.OperatorCF, "operator")
	status, body := c.do("GET", fmt.Sprintf("/api/v1/families/%s/dashboard?min_position=%d", seed.FamilyVerdiCF, head.Position), operator, nil)
	if status != http.StatusOK {
		t.Fatalf("GET dashboard = %d %v", status, body)
	}
	booklet, _ := body["booklet"].(map[string]any)
	if dep, _ := booklet["deposited_cents"].(float64); dep <= 0 {
		t.Errorf("the demo family has no deposits: %v", body)
	}

	// A second start on the same database appends nothing.
	b, err := app.New(ctx, app.Config{DatabaseURL: a.Config.DatabaseURL, Seed: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	again, err := a.Store.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if again.Events != head.Events {
		t.Errorf("seeding a seeded database appended %d events", again.Events-head.Events)
	}
}

func TestConfigValidateNamesEveryProblem(t *testing.T) {
	t.Parallel()
	cfg := app.Config{Mode: "prod", LogLevel: "loud", EventStoreURL: "tcp://x"}
	err := cfg.Validate()
	if err == nil {
		t.Fatal("Validate accepted an empty production configuration")
	}
	for _, want := range []string{"DATABASE_URL", "OIDC_ISSUER", "OIDC_AUDIENCE", "LOG_LEVEL", "EVENTSTORE_URL"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %q, does not name %s", err, want)
		}
	}
}

func TestShutdownLetsARequestInFlightFinish(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := app.Migrate(ctx, url); err != nil {
		t.Fatal(err)
	}
	a, err := app.New(ctx, app.Config{DatabaseURL: url, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- a.Serve(ctx, l) }()
	c := client{t: t, base: "http://" + l.Addr().String()}
	token := c.token("RSSMRA80A01H501U", "citizen")

	// A read waiting for a position the log never reaches is in flight
	// when the server is told to stop.
	answered := make(chan string, 1)
	go func() {
		req, _ := http.NewRequest("GET", c.base+"/api/v1/families/RSSMRA80A01H501U/dashboard?min_position=1000000", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			answered <- err.Error()
			return
		}
		resp.Body.Close()
		answered <- resp.Status
	}()
	time.Sleep(300 * time.Millisecond)
	cancel()
	// It runs to its end: the read model never gets there, so 504.
	if got := <-answered; !strings.HasPrefix(got, "504") {
		t.Fatalf("the request in flight got %q, want its 504", got)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
}

func TestTheProcessLoggerMasksCodiciFiscaliAndIBANs(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{app.ModeDev, app.ModeProd} {
		var buf bytes.Buffer
		app.NewLogger(&buf, "info", mode).Info("refund of RSSMRA85T10A562S", "iban", "IT60X0542811101000000123456")
		if out := buf.String(); strings.Contains(out, "RSSMRA85T10A562S") || strings.Contains(out, "IT60X0542811101000000123456") || !strings.Contains(out, "RSSMRA*******62S") {
			t.Errorf("%s: %s", mode, out)
		}
	}
}
