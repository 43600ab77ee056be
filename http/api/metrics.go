package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

type metrics struct {
	latency  *prometheus.HistogramVec
	commands *prometheus.CounterVec
}

func newMetrics(reg *prometheus.Registry, lag func() map[string]float64) (*metrics, error) {
	m := &metrics{
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "libretto_http_request_duration_seconds",
			Help:    "HTTP request latency by route pattern, method and status.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"method", "route", "status"}),
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "libretto_commands_total",
			Help: "Commands issued through the API by command and outcome (ok or the error code).",
		}, []string{"command", "outcome"}),
	}
	cs := []prometheus.Collector{m.latency, m.commands}
	if lag != nil {
		cs = append(cs, &lagCollector{lag: lag})
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// observe records a request's latency. Its labels come from a closed set
// (SPEC §8: metrics never take a label from the request): a method not
// defined by RFC 9110 is OTHER, the route is a pattern of the router
// ("unmatched" when none matched) and the status is one the server wrote.
func (m *metrics) observe(method, route string, status int, d time.Duration) {
	m.latency.WithLabelValues(methodLabel(method), route, strconv.Itoa(status)).Observe(d.Seconds())
}

// methodLabel is method when HTTP defines it, else OTHER.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return method
	}
	return "OTHER"
}

func (m *metrics) handler(reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
}

var lagDesc = prometheus.NewDesc("libretto_projector_lag_events",
	"Events between the head of the log and each projector's checkpoint.", []string{"projector"}, nil)

// lagCollector asks for the projectors' lag at each scrape.
type lagCollector struct {
	lag func() map[string]float64
}

func (c *lagCollector) Describe(ch chan<- *prometheus.Desc) { ch <- lagDesc }

func (c *lagCollector) Collect(ch chan<- prometheus.Metric) {
	for name, v := range c.lag() {
		ch <- prometheus.MustNewConstMetric(lagDesc, prometheus.GaugeValue, v, name)
	}
}
