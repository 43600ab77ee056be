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
// log in batches below the horizon, then waiting for notifications. The
// subscriptions of one Store share their reads (see tail), so the events'
// Data and Hash must be treated as read-only.
func (s *Store) Subscribe(ctx context.Context, from eventstore.Cursor) (eventstore.Subscription, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	t := s.startListening(ctx)
	return &subscription{store: s, tail: t, cursor: from, done: make(chan struct{})}, nil
}

type subscription struct {
	store     *Store
	tail      *tail
	cursor    eventstore.Cursor
	seen      uint64 // the last shared read used (tailRead.seq)
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
		// begin takes the wake channel before any read: a notification that
		// arrives during the read closes it, and the wait below returns at once.
		events, r, lead := sub.tail.begin(sub.cursor, max, sub.seen)
		if len(events) > 0 {
			sub.cursor = events[len(events)-1].Cursor
			return events, nil
		}
		if lead {
			sub.tail.run(ctx, r, sub.cursor, max)
		} else {
			select {
			case <-r.done:
			case <-sub.done:
				return nil, ErrClosed
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		if r.err != nil {
			if lead {
				return nil, r.err
			}
			continue // another's read failed (its context may have ended): read again
		}
		sub.seen = r.seq
		if len(r.events) > 0 {
			events := r.result(max)
			sub.cursor = events[len(events)-1].Cursor
			return events, nil
		}
		wait := fallbackPoll
		if r.held {
			wait, delay = delay, min(2*delay, maxHeldBackPoll)
		}
		timer := time.NewTimer(wait)
		select {
		case <-r.wake:
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
// subscription does not depend on the fallback poll. It returns the shared
// reads of the Store's subscriptions.
func (s *Store) startListening(ctx context.Context) *tail {
	s.mu.Lock()
	s.listeners++
	if s.listeners > 1 {
		t := s.tail
		s.mu.Unlock()
		return t
	}
	t := newTail(s)
	s.tail = t // dropped with the last subscription, and its memory with it
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
	return t
}

func (s *Store) stopListening() {
	s.mu.Lock()
	s.listeners--
	if s.listeners > 0 {
		s.mu.Unlock()
		return
	}
	s.tail = nil
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
