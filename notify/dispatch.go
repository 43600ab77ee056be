package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

// Sender delivers messages of one channel. Send returns nil once the
// message is accepted; an error is retried with back-off unless it is
// Permanent, and a RetryAfter error says when to try again.
type Sender interface {
	Channel() string
	Send(ctx context.Context, m Message) error
}

// PermanentError is a refusal that no retry will change (a 4xx of App IO, an
// SMTP 5xx): the message is given up at once.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return "permanent: " + e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// RetryAfterError is a refusal that names when to try again (App IO's 429
// with Retry-After).
type RetryAfterError struct {
	After time.Duration
	Err   error
}

func (e *RetryAfterError) Error() string { return fmt.Sprintf("retry after %s: %v", e.After, e.Err) }
func (e *RetryAfterError) Unwrap() error { return e.Err }

// DispatcherConfig tunes the dispatcher; zero values are the defaults.
type DispatcherConfig struct {
	Pool    *pgxpool.Pool
	Senders []Sender
	Logger  *slog.Logger
	// Poll is how often each channel looks for due messages (default 500 ms);
	// Wake makes it look at once.
	Poll time.Duration
	// Batch is the most messages a channel takes at a time (default 20).
	Batch int
	// Lease is how long a taken message is held before another node (or this
	// one, after a crash) may take it again (default 2 minutes): longer than
	// any send. A crash between the send and its record sends it again after
	// the lease: at least once, with the same Message-ID.
	Lease time.Duration
	// Backoff is the first retry's delay, doubled per try up to MaxBackoff
	// (defaults 5 s and 1 h), with ±20 % jitter.
	Backoff, MaxBackoff time.Duration
	// MaxAttempts gives a message up after this many tries (default 12,
	// about a day with the default back-off).
	MaxAttempts int
	// Registerer receives the metrics; none when nil.
	Registerer prometheus.Registerer
}

// Dispatcher drains the outbox: one goroutine per channel, so a failing
// channel delays only its own messages.
type Dispatcher struct {
	cfg     DispatcherConfig
	metrics *metrics
	wake    map[string]chan struct{}
}

// NewDispatcher returns a dispatcher for cfg's senders; ctx bounds the
// outbox reads of its metrics.
func NewDispatcher(ctx context.Context, cfg DispatcherConfig) (*Dispatcher, error) {
	if cfg.Pool == nil {
		return nil, errors.New("notify: DispatcherConfig.Pool is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 500 * time.Millisecond
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 20
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 2 * time.Minute
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 5 * time.Second
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = time.Hour
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 12
	}
	m, err := newMetrics(ctx, cfg.Registerer, cfg.Pool)
	if err != nil {
		return nil, err
	}
	d := &Dispatcher{cfg: cfg, metrics: m, wake: map[string]chan struct{}{}}
	for _, s := range cfg.Senders {
		d.wake[s.Channel()] = make(chan struct{}, 1)
	}
	return d, nil
}

// Wake makes channel look for due messages now.
func (d *Dispatcher) Wake(channel string) {
	if c, ok := d.wake[channel]; ok {
		select {
		case c <- struct{}{}:
		default:
		}
	}
}

// Run drains every channel until ctx ends.
func (d *Dispatcher) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, s := range d.cfg.Senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.loop(ctx, s)
		}()
	}
	wg.Wait()
}

func (d *Dispatcher) loop(ctx context.Context, s Sender) {
	t := time.NewTicker(d.cfg.Poll)
	defer t.Stop()
	for {
		for {
			n, err := d.Drain(ctx, s)
			if err != nil && ctx.Err() == nil {
				d.cfg.Logger.Warn("notify: drain", "channel", s.Channel(), "err", err)
			}
			if err != nil || n < d.cfg.Batch {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-d.wake[s.Channel()]:
		}
	}
}

// Drain takes the due messages of s's channel (at most Batch), sends each
// and records the outcome; it returns how many it took.
func (d *Dispatcher) Drain(ctx context.Context, s Sender) (int, error) {
	msgs, err := d.take(ctx, s.Channel())
	if err != nil {
		return 0, err
	}
	for _, m := range msgs {
		if ctx.Err() != nil {
			return len(msgs), ctx.Err() // the lease lets them go
		}
		if m.Kind == KindContactCode && time.Since(m.At) > codeLife {
			d.record(ctx, m, StatusFailed, "the code expired before it could be sent", 0)
			d.metrics.failed.WithLabelValues(m.Channel).Inc()
			continue
		}
		err := s.Send(ctx, m)
		var perm *PermanentError
		var later *RetryAfterError
		switch {
		case err == nil:
			d.record(ctx, m, StatusSent, "", 0)
			d.metrics.sent.WithLabelValues(m.Channel).Inc()
		case errors.As(err, &perm) || m.Attempts >= d.cfg.MaxAttempts:
			d.cfg.Logger.Warn("notify: message given up", "channel", m.Channel, "id", m.ID, "kind", m.Kind, "attempts", m.Attempts, "err", err)
			d.record(ctx, m, StatusFailed, err.Error(), 0)
			d.metrics.failed.WithLabelValues(m.Channel).Inc()
		default:
			delay := d.backoff(m.Attempts)
			if errors.As(err, &later) && later.After > 0 {
				delay = later.After
			}
			d.cfg.Logger.Info("notify: send failed, will retry", "channel", m.Channel, "id", m.ID, "attempts", m.Attempts, "in", delay, "err", err)
			d.record(ctx, m, StatusPending, err.Error(), delay)
			d.metrics.retried.WithLabelValues(m.Channel).Inc()
		}
	}
	return len(msgs), nil
}

// codeLife is how long a verification code is worth sending.
const codeLife = 15 * time.Minute

// backoff is the delay before try attempts+1: Backoff × 2^(attempts-1), at
// most MaxBackoff, ±20 %.
func (d *Dispatcher) backoff(attempts int) time.Duration {
	delay := d.cfg.Backoff
	for i := 1; i < attempts && delay < d.cfg.MaxBackoff; i++ {
		delay *= 2
	}
	delay = min(delay, d.cfg.MaxBackoff)
	return time.Duration(float64(delay) * (0.8 + 0.4*rand.Float64()))
}

// take leases the due messages of channel: their next_at moves a Lease
// ahead and their attempts up by one, in one statement that skips rows
// another node is taking.
func (d *Dispatcher) take(ctx context.Context, channel string) ([]Message, error) {
	rows, err := d.cfg.Pool.Query(ctx, `UPDATE notify.outbox o SET attempts = o.attempts + 1, next_at = now() + $3::interval
WHERE o.id IN (SELECT id FROM notify.outbox WHERE channel = $1 AND status = 'pending' AND next_at <= now()
	ORDER BY next_at LIMIT $2 FOR UPDATE SKIP LOCKED)
RETURNING o.id, o.event_id, o.person_cf, o.channel, o.kind, o.address, o.title, o.body, o.ref, o.at, o.attempts`,
		channel, d.cfg.Batch, d.cfg.Lease)
	if err != nil {
		return nil, fmt.Errorf("notify: take %s: %w", channel, err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Message, error) {
		var m Message
		err := r.Scan(&m.ID, &m.EventID, &m.PersonCF, &m.Channel, &m.Kind, &m.Address, &m.Title, &m.Body, &m.Ref, &m.At, &m.Attempts)
		return m, err
	})
}

// record writes a message's outcome. A verification code's text is wiped
// once it is sent or given up: the code lives in clear only while it waits.
func (d *Dispatcher) record(ctx context.Context, m Message, status, lastErr string, retryIn time.Duration) {
	ctx = context.WithoutCancel(ctx) // a sent message is recorded even while stopping
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if len(lastErr) > 500 {
		lastErr = lastErr[:500]
	}
	_, err := d.cfg.Pool.Exec(ctx, `UPDATE notify.outbox SET status = $2, last_error = $3,
	next_at = now() + $4::interval,
	sent_at = CASE WHEN $2 = 'sent' THEN now() END,
	body = CASE WHEN kind = 'contact_code' AND $2 <> 'pending' THEN '' ELSE body END
WHERE id = $1`, m.ID, status, lastErr, retryIn)
	if err != nil {
		d.cfg.Logger.Error("notify: record the outcome of a message", "id", m.ID, "status", status, "err", err)
	}
}
