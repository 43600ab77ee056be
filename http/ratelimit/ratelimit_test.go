package ratelimit_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/inps/libretto/http/ratelimit"
)

func TestParseRate(t *testing.T) {
	t.Parallel()
	good := map[string]ratelimit.Rate{
		"60/1m":   {Requests: 60, Per: time.Minute},
		" 5/10s ": {Requests: 5, Per: 10 * time.Second},
		"1000/1h": {Requests: 1000, Per: time.Hour},
	}
	for in, want := range good {
		if got, err := ratelimit.ParseRate(in); err != nil || got != want {
			t.Errorf("ParseRate(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "60", "60/", "/1m", "0/1m", "-1/1m", "60/0s", "60/500ms", "60/minute", "x/1m"} {
		if _, err := ratelimit.ParseRate(in); err == nil {
			t.Errorf("ParseRate(%q) accepted it", in)
		}
	}
}

func TestClientAddress(t *testing.T) {
	t.Parallel()
	proxies, err := ratelimit.ParsePrefixes("10.0.0.0/8, 192.0.2.7")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ratelimit.ParsePrefixes("10.0.0.0/8,proxy.example"); err == nil {
		t.Error("a host name was taken for a prefix")
	}
	behind := ratelimit.Clients{TrustedProxies: proxies}
	tests := []struct {
		name    string
		clients ratelimit.Clients
		remote  string
		xff     []string
		want    string
	}{
		{"the connection's address by default", ratelimit.Clients{}, "203.0.113.9:5000", nil, "203.0.113.9"},
		{"X-Forwarded-For is ignored by default", ratelimit.Clients{}, "203.0.113.9:5000", []string{"198.51.100.1"}, "203.0.113.9"},
		{"X-Forwarded-For from an untrusted peer is ignored", behind, "203.0.113.9:5000", []string{"198.51.100.1"}, "203.0.113.9"},
		{"a trusted proxy names the client", behind, "10.1.2.3:5000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"the right-most untrusted hop is the client, not what it claims", behind, "10.1.2.3:5000", []string{"1.1.1.1, 198.51.100.1, 192.0.2.7"}, "198.51.100.1"},
		{"several headers read as one list", behind, "10.1.2.3:5000", []string{"1.1.1.1", "198.51.100.1"}, "198.51.100.1"},
		{"an unreadable hop stops the walk at the proxy", behind, "10.1.2.3:5000", []string{"198.51.100.1, garbage"}, "10.1.2.3"},
		{"only proxies: the nearest one", behind, "10.1.2.3:5000", []string{"10.9.9.9"}, "10.1.2.3"},
		{"an IPv6 client", ratelimit.Clients{}, "[2001:db8::1]:443", nil, "2001:db8::1"},
		{"an IPv4-mapped client is IPv4", ratelimit.Clients{}, "[::ffff:203.0.113.9]:443", nil, "203.0.113.9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.remote
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := tt.clients.Addr(r); got != netip.MustParseAddr(tt.want) {
				t.Fatalf("Addr = %v, want %s", got, tt.want)
			}
		})
	}
}

// TestAClientOverItsRateIsRefusedWithRetryAfter: N requests pass, the next
// is refused with Retry-After; another address has its own budget; IPv6
// addresses of one /64 share one; loopback is not limited unless told.
func TestAClientOverItsRateIsRefusedWithRetryAfter(t *testing.T) {
	t.Parallel()
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	refuse := func(w http.ResponseWriter, _ *http.Request, retry time.Duration) {
		if retry < time.Second {
			t.Errorf("retry after %s", retry)
		}
		w.WriteHeader(http.StatusTooManyRequests)
	}
	send := func(h http.Handler, remote string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", "/", nil)
		r.RemoteAddr = remote
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	h := ratelimit.New(ratelimit.Rate{Requests: 3, Per: time.Minute}, ratelimit.Clients{}).Limit(ok, refuse)
	for i := range 3 {
		if w := send(h, "203.0.113.9:1000"); w.Code != http.StatusNoContent {
			t.Fatalf("request %d: %d", i+1, w.Code)
		}
	}
	w := send(h, "203.0.113.9:1001")
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "60" {
		t.Fatalf("the 4th request: %d, Retry-After %q", w.Code, w.Header().Get("Retry-After"))
	}
	if w := send(h, "198.51.100.1:1000"); w.Code != http.StatusNoContent {
		t.Fatalf("another address was refused: %d", w.Code)
	}
	for i := range 3 {
		send(h, "[2001:db8:1:2::"+string(rune('a'+i))+"]:1000")
	}
	if w := send(h, "[2001:db8:1:2:ffff::1]:1000"); w.Code != http.StatusTooManyRequests {
		t.Fatalf("a fourth address of the same /64 was let through: %d", w.Code)
	}
	for range 10 {
		if w := send(h, "127.0.0.1:1000"); w.Code != http.StatusNoContent {
			t.Fatalf("loopback was limited in development: %d", w.Code)
		}
	}
	prod := ratelimit.New(ratelimit.Rate{Requests: 1, Per: time.Minute}, ratelimit.Clients{LimitLoopback: true}).Limit(ok, refuse)
	send(prod, "[::1]:1000")
	if w := send(prod, "[::1]:1000"); w.Code != http.StatusTooManyRequests {
		t.Fatalf("loopback was not limited with LimitLoopback: %d", w.Code)
	}
	var none *ratelimit.Limiter
	if w := send(none.Limit(ok, refuse), "203.0.113.9:1"); w.Code != http.StatusNoContent {
		t.Fatalf("a nil limiter refused: %d", w.Code)
	}
}
