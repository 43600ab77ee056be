package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/inps/libretto/domain"
)

// client speaks the JSON API.
type client struct {
	base   string
	http   *http.Client
	tokens sync.Map // "subject|role" → development token
}

// identity is whom a request acts as: a development token for subject with
// role, fetched once and again when the server no longer knows it (a
// restarted server signs with a new key).
type identity struct{ subject, role string }

func citizen(cf string) identity { return identity{cf, "citizen"} }

// as sends a request with id's token, refreshing it once on a 401.
func (c *client) as(ctx context.Context, id identity, method, path string, body any, out any) (int, []byte, error) {
	key := id.subject + "|" + id.role
	for attempt := 0; ; attempt++ {
		tok, ok := c.tokens.Load(key)
		if !ok {
			t, err := c.token(ctx, id.subject, id.role)
			if err != nil {
				return 0, nil, err
			}
			c.tokens.Store(key, t)
			tok = t
		}
		code, raw, err := c.do(ctx, method, path, tok.(string), body, out)
		if code == http.StatusUnauthorized && attempt == 0 {
			c.tokens.Delete(key)
			continue
		}
		return code, raw, err
	}
}

func newClient(base string) *client {
	tr := &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: time.Minute}
	return &client{base: base, http: &http.Client{Transport: tr, Timeout: 60 * time.Second}}
}

// do sends body as JSON and decodes a JSON answer into out (when not nil).
func (c *client) do(ctx context.Context, method, path, token string, body any, out any) (int, []byte, error) {
	var rd io.Reader
	if raw, ok := body.(json.RawMessage); ok {
		rd = bytes.NewReader(raw) // encoded beforehand (bodies)
	} else if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+"/api/v1"+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return res.StatusCode, nil, err
	}
	if out != nil && res.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			return res.StatusCode, raw, err
		}
	}
	return res.StatusCode, raw, nil
}

// must is as that wants status.
func (c *client) must(ctx context.Context, want int, id identity, method, path string, body any, out any) error {
	code, raw, err := c.as(ctx, id, method, path, body, out)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if code != want {
		return fmt.Errorf("%s %s: %d, want %d: %s", method, path, code, want, raw)
	}
	return nil
}

func (c *client) token(ctx context.Context, subject string, roles ...string) (string, error) {
	var out struct {
		Token string `json:"token"`
	}
	code, raw, err := c.do(ctx, "POST", "/dev/token", "", map[string]any{"subject": subject, "roles": roles}, &out)
	if err == nil && code != http.StatusOK {
		err = fmt.Errorf("POST /dev/token: %d: %s", code, raw)
	}
	return out.Token, err
}

// makeCF returns the n-th valid codice fiscale of a family of CFs (six
// letters from n, fixed birth data): distinct for distinct n.
func makeCF(n int64) string {
	letters := []byte("AAAAAA")
	for i := 5; i >= 0; i-- {
		letters[i] = byte('A' + n%26)
		n /= 26
	}
	first := string(letters) + "85T10A562"
	return first + string(domain.CFCheckChar(first))
}

// booklet is a funded booklet the load records services on: a live user's,
// or a deceased user's through the claim of its heir.
type booklet struct {
	cf      string
	claimID string // set for a deceased user's booklet
	heir    string
}

type population struct {
	live, deceased []booklet
	workers        []string
	operator       identity
	serviceDate    string // for RecordService
	priorDate      string // for InsertPriorService: before the date of death
}

const benchIBAN = "IT60X0542811101000000123456"

// setup registers users, workers, deposits, deceased users' heirs and their
// claims through the API. base offsets the CFs so that several populations
// may share one database.
func setup(ctx context.Context, c *client, o loadOptions, base int64) (*population, error) {
	rome, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		rome = time.UTC
	}
	today := time.Now().In(rome)
	p := &population{
		serviceDate: today.AddDate(0, 0, -1).Format(time.DateOnly),
		priorDate:   today.AddDate(0, 0, -40).Format(time.DateOnly),
	}
	deathDate := today.AddDate(0, 0, -30).Format(time.DateOnly)
	p.operator = identity{"OPERATORE-BENCH", "operator"}
	system := identity{"F24-BENCH", "system"}
	deceased := o.Booklets / 10
	n := base
	next := func() string { n++; return makeCF(n) }
	all := make([]booklet, o.Booklets)
	for i := range all {
		all[i].cf = next()
	}
	p.workers = make([]string, o.Workers)
	for i := range p.workers {
		p.workers[i] = next()
	}
	heirs := make([]string, deceased)
	for i := range heirs {
		heirs[i] = next()
	}

	// Users with their deposits, then workers, then heirs with claims.
	err = parallel(ctx, len(all), 32, func(i int) error {
		b := &all[i]
		if err := c.must(ctx, 201, citizen(b.cf), "POST", "/users", map[string]any{}, nil); err != nil {
			return err
		}
		return c.must(ctx, 201, system, "POST", "/deposits", map[string]any{
			"user_cf": b.cf, "amount_cents": 5000000, "channel": "F24", "paid_on": today.AddDate(0, 0, -60).Format(time.DateOnly),
		}, nil)
	})
	if err != nil {
		return nil, err
	}
	err = parallel(ctx, len(p.workers), 32, func(i int) error {
		return c.must(ctx, 201, citizen(p.workers[i]), "POST", "/workers", map[string]any{"iban": benchIBAN, "category": "altro"}, nil)
	})
	if err != nil {
		return nil, err
	}
	err = parallel(ctx, deceased, 32, func(i int) error {
		b := &all[i]
		var out struct {
			ClaimID string `json:"claim_id"`
		}
		if err := c.must(ctx, 201, citizen(heirs[i]), "POST", "/heir-claims", map[string]any{
			"deceased_cf": b.cf, "date_of_death": deathDate, "heir_kind": "legittimo",
		}, &out); err != nil {
			return err
		}
		b.claimID, b.heir = out.ClaimID, heirs[i]
		return nil
	})
	if err != nil {
		return nil, err
	}
	p.deceased, p.live = all[:deceased], all[deceased:]
	return p, nil
}

// parallel runs f(0…n-1) on width goroutines and returns the first error.
func parallel(ctx context.Context, n, width int, f func(i int) error) error {
	var next atomic.Int64
	var first error
	var once sync.Once
	var wg sync.WaitGroup
	for range width {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := f(i); err != nil {
					once.Do(func() { first = err })
					return
				}
			}
		}()
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}

type loadOptions struct {
	Clients, Booklets, Workers int
	Duration                   time.Duration
	// PriorShare is the share of InsertPriorService commands (default 0.2).
	PriorShare float64
}

// ack is an acknowledged command (201).
type ack struct {
	BookletCF, ServiceID string
	Position             int64
}

type stats struct {
	ok, record, prior, errors int64
	elapsed                   time.Duration
	latencies, lags           []time.Duration
	priorLatencies            []time.Duration // the InsertPriorService share of latencies
	lagMissing                int64
	byStatus                  map[string]int64
	acks                      []ack
}

func (s *stats) errorSummary() string {
	if len(s.byStatus) == 0 {
		return ""
	}
	keys := make([]string, 0, len(s.byStatus))
	for k := range s.byStatus {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s×%d", k, s.byStatus[k]))
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// lagEvery samples one command in lagEvery for the projection lag.
const lagEvery = 10

// runLoad sends RecordService and InsertPriorService at o.Clients
// concurrent clients for o.Duration (or until ctx ends) and samples the
// projection lag: the time from a 201 to the dashboard of that booklet
// answering ?min_position with the service in it.
func runLoad(ctx context.Context, c *client, p *population, o loadOptions, sampleLag bool) *stats {
	if o.PriorShare == 0 {
		o.PriorShare = 0.2
	}
	ctx, cancel := context.WithTimeout(ctx, o.Duration)
	defer cancel()
	var mu sync.Mutex
	st := &stats{byStatus: map[string]int64{}}
	var lagWG sync.WaitGroup
	bodies := newBodies(p)
	start := time.Now()
	var wg sync.WaitGroup
	for w := range o.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), uint64(start.UnixNano())))
			var lat, priorLat []time.Duration
			var acks []ack
			for i := 0; ctx.Err() == nil; i++ {
				var path string
				var id identity
				var b booklet
				prior := len(p.deceased) > 0 && rng.Float64() < o.PriorShare
				if prior {
					b = p.deceased[rng.IntN(len(p.deceased))]
					path, id = "/heir-claims/"+b.claimID+"/prior-services", citizen(b.heir)
				} else {
					b = p.live[rng.IntN(len(p.live))]
					path, id = "/services", citizen(b.cf)
				}
				body := bodies.pick(rng, prior)
				var out struct {
					ServiceID string `json:"service_id"`
					Position  int64  `json:"position"`
				}
				t0 := time.Now()
				code, raw, err := c.as(ctx, id, "POST", path, body, &out)
				d := time.Since(t0)
				if ctx.Err() != nil && (err != nil || code == 0) {
					break // the window closed during the request
				}
				if err != nil || code != http.StatusCreated {
					key := fmt.Sprint(code)
					if err != nil {
						key = "transport"
						time.Sleep(20 * time.Millisecond) // a server restarting
					} else {
						var pr struct {
							Code string `json:"code"`
						}
						_ = json.Unmarshal(raw, &pr)
						key += " " + pr.Code
					}
					mu.Lock()
					st.errors++
					st.byStatus[key]++
					mu.Unlock()
					continue
				}
				lat = append(lat, d)
				if prior {
					priorLat = append(priorLat, d)
				}
				acks = append(acks, ack{BookletCF: b.cf, ServiceID: out.ServiceID, Position: out.Position})
				mu.Lock()
				st.ok++
				if prior {
					st.prior++
				} else {
					st.record++
				}
				mu.Unlock()
				if sampleLag && i%lagEvery == 0 {
					acked := time.Now()
					lagWG.Add(1)
					go func(cf, id string, pos int64) {
						defer lagWG.Done()
						lag, ok := c.visible(context.Background(), p.operator, cf, id, pos, acked)
						mu.Lock()
						if ok {
							st.lags = append(st.lags, lag)
						} else {
							st.lagMissing++
						}
						mu.Unlock()
					}(b.cf, out.ServiceID, out.Position)
				}
			}
			mu.Lock()
			st.latencies = append(st.latencies, lat...)
			st.priorLatencies = append(st.priorLatencies, priorLat...)
			st.acks = append(st.acks, acks...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	st.elapsed = time.Since(start)
	lagWG.Wait()
	return st
}

// bodies are the load's request bodies, encoded once: one per worker,
// activity and command, so that the load generator spends its share of the
// machine's two cores on requests rather than on encoding them.
type bodies struct {
	record, prior [][]byte
}

func newBodies(p *population) *bodies {
	activities := []string{"lavori_domestici", "assistenza_domiciliare", "insegnamento_privato"}
	b := &bodies{}
	for _, w := range p.workers {
		for _, a := range activities {
			body := map[string]any{"worker_cf": w, "activity": a, "hours": 1, "vouchers": 1,
				"start_date": p.serviceDate, "end_date": p.serviceDate,
				"declarations": map[string]any{"no_recent_employment": true}}
			raw, _ := json.Marshal(body)
			b.record = append(b.record, raw)
			body["start_date"], body["end_date"] = p.priorDate, p.priorDate
			body["declarations"] = map[string]any{"no_known_employment": true}
			raw, _ = json.Marshal(body)
			b.prior = append(b.prior, raw)
		}
	}
	return b
}

// pick returns a random worker's and activity's body for a prior service
// or an ordinary one.
func (b *bodies) pick(rng *rand.Rand, prior bool) json.RawMessage {
	if prior {
		return b.prior[rng.IntN(len(b.prior))]
	}
	return b.record[rng.IntN(len(b.record))]
}

// visible waits for the service in the booklet's dashboard (?min_position,
// then polling should the read model show the position but not yet the
// service) and returns the time since acked.
func (c *client) visible(ctx context.Context, reader identity, cf, serviceID string, pos int64, acked time.Time) (time.Duration, bool) {
	deadline := acked.Add(30 * time.Second)
	for time.Now().Before(deadline) {
		code, raw, err := c.as(ctx, reader, "GET", fmt.Sprintf("/families/%s/dashboard?min_position=%d", cf, pos), nil, nil)
		if err == nil && code == http.StatusOK && bytes.Contains(raw, []byte(serviceID)) {
			return time.Since(acked), true
		}
		time.Sleep(time.Millisecond)
	}
	return 0, false
}

func percentile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(q*float64(len(s))+0.5) - 1
	i = max(0, min(i, len(s)-1))
	return s[i]
}
