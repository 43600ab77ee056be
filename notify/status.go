package notify

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

// ChannelStatus is a channel's outbox as libretto notifications status shows it.
type ChannelStatus struct {
	Channel       string     `json:"channel"`
	Pending       int64      `json:"pending"`        // waiting to be sent (or being retried)
	OldestPending *time.Time `json:"oldest_pending"` // when the oldest of them was written
	Retrying      int64      `json:"retrying"`       // pending after at least one failed try
	Sent          int64      `json:"sent"`
	Failed        int64      `json:"failed"`
}

// Status reads every channel's outbox depth.
func Status(ctx context.Context, pool *pgxpool.Pool) ([]ChannelStatus, error) {
	rows, err := pool.Query(ctx, `SELECT channel,
	count(*) FILTER (WHERE status = 'pending'),
	min(created_at) FILTER (WHERE status = 'pending'),
	count(*) FILTER (WHERE status = 'pending' AND last_error <> ''),
	count(*) FILTER (WHERE status = 'sent'),
	count(*) FILTER (WHERE status = 'failed')
FROM notify.outbox GROUP BY channel`)
	if err != nil {
		return nil, fmt.Errorf("notify: status: %w", err)
	}
	defer rows.Close()
	by := map[string]ChannelStatus{}
	for rows.Next() {
		var s ChannelStatus
		if err := rows.Scan(&s.Channel, &s.Pending, &s.OldestPending, &s.Retrying, &s.Sent, &s.Failed); err != nil {
			return nil, err
		}
		by[s.Channel] = s
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]ChannelStatus, 0, len(Channels))
	for _, c := range Channels {
		s := by[c]
		s.Channel = c
		out = append(out, s)
	}
	return out, nil
}

// metrics are the dispatcher's: counters of what it did, and the outbox's
// pending depth read at each scrape. The only label is the channel, from
// the closed set Channels.
type metrics struct {
	sent, failed, retried *prometheus.CounterVec
}

func newMetrics(ctx context.Context, reg prometheus.Registerer, pool *pgxpool.Pool) (*metrics, error) {
	m := &metrics{
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "libretto_notifications_sent_total",
			Help: "Messages delivered, by channel."}, []string{"channel"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "libretto_notifications_failed_total",
			Help: "Messages given up (permanent refusal, too many tries, expired code), by channel."}, []string{"channel"}),
		retried: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "libretto_notifications_retries_total",
			Help: "Failed tries that will be retried with back-off, by channel."}, []string{"channel"}),
	}
	for _, c := range Channels {
		m.sent.WithLabelValues(c)
		m.failed.WithLabelValues(c)
		m.retried.WithLabelValues(c)
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.sent, m.failed, m.retried, &pendingCollector{ctx: ctx, pool: pool}} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("notify: metrics: %w", err)
		}
	}
	return m, nil
}

var pendingDesc = prometheus.NewDesc("libretto_notifications_pending",
	"Messages waiting in the outbox, by channel.", []string{"channel"}, nil)

// pendingCollector reads the outbox depth at each scrape.
type pendingCollector struct {
	ctx  context.Context // the process's: a scrape carries none
	pool *pgxpool.Pool
}

func (c *pendingCollector) Describe(ch chan<- *prometheus.Desc) { ch <- pendingDesc }

func (c *pendingCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(c.ctx, 2*time.Second)
	defer cancel()
	st, err := Status(ctx, c.pool)
	if err != nil {
		return
	}
	for _, s := range st {
		ch <- prometheus.MustNewConstMetric(pendingDesc, prometheus.GaugeValue, float64(s.Pending), s.Channel)
	}
}
