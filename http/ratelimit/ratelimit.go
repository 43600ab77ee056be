// Package ratelimit bounds how often one client address may call the
// anonymous and login endpoints (SPEC §8): the simulators, the assistant,
// POST /api/v1/dev/token and the portal's login. It owns telling a client's
// address (X-Forwarded-For only from a configured proxy) and counts requests
// with github.com/go-chi/httprate's sliding window, in memory.
//
// It imports no other Libretto package; http/api and http/portal use it, each
// answering a refused request in its own way (problem+json, an HTML page).
package ratelimit

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/httprate"
)

// The rates of LIBRETTO_RATE_ANONYMOUS and LIBRETTO_RATE_LOGIN when unset:
// a family trying the simulators sends a few requests a minute, a person
// logging in one or two.
var (
	DefaultAnonymous = Rate{Requests: 60, Per: time.Minute}
	DefaultLogin     = Rate{Requests: 10, Per: time.Minute}
)

// Rate is how many requests one client address may send per window.
type Rate struct {
	Requests int
	Per      time.Duration
}

// String is the rate as ParseRate reads it: "60/1m0s".
func (r Rate) String() string { return fmt.Sprintf("%d/%s", r.Requests, r.Per) }

// ParseRate reads "N/duration": "60/1m" is 60 requests a minute. Both must
// be positive; a Go duration of at least a second.
func ParseRate(s string) (Rate, error) {
	n, per, ok := strings.Cut(strings.TrimSpace(s), "/")
	requests, err := strconv.Atoi(n)
	if !ok || err != nil || requests <= 0 {
		return Rate{}, fmt.Errorf("rate %q is not requests/duration, e.g. 60/1m", s)
	}
	d, err := time.ParseDuration(per)
	if err != nil || d < time.Second {
		return Rate{}, fmt.Errorf("rate %q: the window must be a Go duration of at least 1s, e.g. 60/1m", s)
	}
	return Rate{Requests: requests, Per: d}, nil
}

// Clients says how to tell a client's address.
type Clients struct {
	// TrustedProxies are the proxies whose X-Forwarded-For is believed. A
	// request from one of them is counted against the right-most address
	// of X-Forwarded-For that is not itself a trusted proxy; any other
	// request against its connection's address, whatever it claims. Empty
	// (the default): X-Forwarded-For is ignored.
	TrustedProxies []netip.Prefix
	// LimitLoopback counts loopback callers like any other. Off, they are
	// never limited: development mode, whose servers listen on loopback
	// only, so that test suites can run.
	LimitLoopback bool
}

// ParsePrefixes reads a comma-separated list of addresses and CIDR
// prefixes ("10.0.0.0/8, 192.0.2.7"), as LIBRETTO_TRUSTED_PROXIES holds.
func ParsePrefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	var errs []error
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			errs = append(errs, fmt.Errorf("%q is neither an IP address nor a CIDR prefix", f))
			continue
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, errors.Join(errs...)
}

// Addr is the client's address of r: its connection's, or the one a trusted
// proxy forwarded. It is invalid when RemoteAddr holds no address (a test
// request, a Unix socket).
func (c Clients) Addr(r *http.Request) netip.Addr {
	remote := parseHostAddr(r.RemoteAddr)
	if !remote.IsValid() || !c.trusted(remote) {
		return remote
	}
	hops := r.Header.Values("X-Forwarded-For")
	for i := len(hops) - 1; i >= 0; i-- {
		fields := strings.Split(hops[i], ",")
		for j := len(fields) - 1; j >= 0; j-- {
			a := parseHostAddr(strings.TrimSpace(fields[j]))
			if !a.IsValid() {
				return remote // a hop we cannot read: trust nothing before it
			}
			if !c.trusted(a) {
				return a
			}
		}
	}
	return remote
}

// Key is what r is counted under: its client address, an IPv6 client by
// its /64 (which one subscriber holds whole), "" for a client without an
// address.
func (c Clients) Key(r *http.Request) string {
	a := c.Addr(r)
	if !a.IsValid() {
		return ""
	}
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

func (c Clients) trusted(a netip.Addr) bool {
	for _, p := range c.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// parseHostAddr reads "host:port", "[v6]:port" or a bare address, an IPv4
// address mapped in IPv6 as IPv4.
func parseHostAddr(s string) netip.Addr {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap()
	}
	if host, _, err := net.SplitHostPort(s); err == nil {
		s = host
	}
	a, err := netip.ParseAddr(strings.Trim(s, "[]"))
	if err != nil {
		return netip.Addr{}
	}
	return a.WithZone("").Unmap()
}

// Limiter counts the requests of each client address against one Rate.
// Every route it wraps shares its counts: the simulators and the assistant
// are one budget. The zero Limiter and a nil one limit nothing.
type Limiter struct {
	rate    Rate
	clients Clients
	rl      *httprate.RateLimiter
}

// New returns a Limiter of rate per client address as clients tells it.
func New(rate Rate, clients Clients) *Limiter {
	l := &Limiter{rate: rate, clients: clients}
	if rate.Requests > 0 && rate.Per > 0 {
		// X-RateLimit-* headers are left out: Retry-After is the contract.
		l.rl = httprate.NewRateLimiter(rate.Requests, rate.Per,
			httprate.WithResponseHeaders(httprate.ResponseHeaders{}))
	}
	return l
}

// Rate is the limiter's rate.
func (l *Limiter) Rate() Rate {
	if l == nil {
		return Rate{}
	}
	return l.rate
}

// Clients is how the limiter tells client addresses.
func (l *Limiter) Clients() Clients {
	if l == nil {
		return Clients{}
	}
	return l.clients
}

// Refuse answers a request over its limit: the status must be 429 and the
// answer should say when to retry. retryAfter is at least a second and is
// already in the Retry-After header.
type Refuse func(w http.ResponseWriter, r *http.Request, retryAfter time.Duration)

// Limit wraps next: a request over its client's limit is answered by refuse
// and does not reach next.
func (l *Limiter) Limit(next http.Handler, refuse Refuse) http.Handler {
	if l == nil || l.rl == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := l.clients.Addr(r)
		if a.IsLoopback() && !l.clients.LimitLoopback {
			next.ServeHTTP(w, r)
			return
		}
		if !l.rl.OnLimit(w, r, l.clients.Key(r)) {
			next.ServeHTTP(w, r)
			return
		}
		// The sliding window frees a request within one window at most.
		retry := max(l.rate.Per.Round(time.Second), time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(int(retry/time.Second)))
		refuse(w, r, retry)
	})
}
