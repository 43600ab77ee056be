package postgres

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/inps/libretto/eventstore"
)

const (
	// fallbackPoll bounds how long a caught-up subscription waits when no
	// notification comes (the LISTEN connection was down, or one was lost).
	fallbackPoll = time.Second
	// heldBackPoll is the first re-poll delay while committed events wait
	// above the horizon for an older transaction to finish; it doubles up to
	// maxHeldBackPoll. No notification tells us when that transaction ends
	// (it may not even append events).
	heldBackPoll    = 2 * time.Millisecond
	maxHeldBackPoll = 50 * time.Millisecond
)

// ErrClosed is returned by Next on a closed subscription.
var ErrClosed = errors.New("eventstore: subscription closed")

// Subscribe implements eventstore.Store: a catch-up subscription reading the
// log in batches below the horizon, then waiting for notifications.
func (s *Store) Subscribe(ctx context.Context, from eventstore.Cursor) (eventstore.Subscription, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.startListening(ctx)
	return &subscription{store: s, cursor: from, done: make(chan struct{})}, nil
}

type subscription struct {
	store     *Store
	cursor    eventstore.Cursor
	done      chan struct{}
	closeOnce sync.Once
}

func (sub *subscription) Next(ctx context.Context, max int) ([]eventstore.Event, error) {
	if max <= 0 {
		max = DefaultBatch
	}
	delay := heldBackPoll
	for {
		select {
		case <-sub.done:
			return nil, ErrClosed
		default:
		}
		// Take the wake channel before reading: a notification that arrives
		// during the read closes it, and the wait below returns at once.
		wake := sub.store.wakeChan()
		events, err := sub.store.ReadAll(ctx, sub.cursor, max)
		if err != nil {
			return nil, err
		}
		if len(events) > 0 {
			sub.cursor = events[len(events)-1].Cursor
			return events, nil
		}
		held, err := sub.store.pending(ctx, sub.cursor)
		if err != nil {
			return nil, err
		}
		wait := fallbackPoll
		if held {
			wait, delay = delay, min(2*delay, maxHeldBackPoll)
		}
		timer := time.NewTimer(wait)
		select {
		case <-wake:
		case <-timer.C:
		case <-sub.done:
		case <-ctx.Done():
			timer.Stop()
			return nil, ctx.Err()
		}
		timer.Stop()
	}
}

func (sub *subscription) Close() error {
	sub.closeOnce.Do(func() {
		close(sub.done)
		sub.store.stopListening()
	})
	return nil
}

func (s *Store) wakeChan() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.wake
}

func (s *Store) broadcast() {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.wake)
	s.wake = make(chan struct{})
}

// startListening starts the shared LISTEN connection for the first
// subscription and waits (briefly) until it listens, so that a new
// subscription does not depend on the fallback poll.
func (s *Store) startListening(ctx context.Context) {
	s.mu.Lock()
	s.listeners++
	if s.listeners > 1 {
		s.mu.Unlock()
		return
	}
	lctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.stop = cancel
	s.stopped = make(chan struct{})
	ready := make(chan struct{})
	go s.listen(lctx, ready, s.stopped)
	s.mu.Unlock()
	select {
	case <-ready:
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
	}
}

func (s *Store) stopListening() {
	s.mu.Lock()
	s.listeners--
	if s.listeners > 0 {
		s.mu.Unlock()
		return
	}
	stop, stopped := s.stop, s.stopped
	s.mu.Unlock()
	stop()
	<-stopped
}

// listen holds a connection of its own (not one of the pool's, which would
// be taken from the caller for good) on LISTEN and wakes subscriptions on
// every notification, reconnecting after failures.
func (s *Store) listen(ctx context.Context, ready chan<- struct{}, stopped chan<- struct{}) {
	defer close(stopped)
	signal := sync.OnceFunc(func() { close(ready) })
	defer signal()
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig)
		if err == nil {
			_, err = conn.Exec(ctx, "LISTEN "+Channel)
		}
		signal()
		if err == nil {
			backoff = 100 * time.Millisecond
			s.broadcast() // whatever committed while nobody listened
			for err == nil {
				if _, err = conn.WaitForNotification(ctx); err == nil {
					s.broadcast()
				}
			}
		}
		if conn != nil {
			closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
			_ = conn.Close(closeCtx)
			cancel()
		}
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
			backoff = min(2*backoff, 5*time.Second)
		}
	}
}
