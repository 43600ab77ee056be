package esdb

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/inps/libretto/eventstore"
)

// resubscribeAttempts bounds how often a dropped subscription is renewed
// (from its last delivered event) before Next reports the failure.
const resubscribeAttempts = 6

// Subscribe implements eventstore.Store with a catch-up subscription to
// $all after from, filtering system events out on the server (event types
// starting with $) and again here (streams starting with $). The
// subscription lives until Close or until ctx ends. When the server drops
// it (a node restarting, a leader election), it is renewed from the last
// delivered event, so nothing is lost or repeated.
func (s *Store) Subscribe(ctx context.Context, from eventstore.Cursor) (eventstore.Subscription, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	life, cancel := context.WithCancel(ctx)
	sub := &subscription{
		store:  s,
		ctx:    life,
		cancel: cancel,
		last:   from,
		items:  make(chan item, 256),
	}
	inner, err := sub.open()
	if err != nil {
		cancel()
		return nil, err
	}
	go sub.pump(inner)
	return sub, nil
}

type item struct {
	event eventstore.Event
	err   error
}

type subscription struct {
	store  *Store
	ctx    context.Context
	cancel context.CancelFunc
	last   eventstore.Cursor // last event handed to items; owned by pump
	items  chan item
	failed error // sticky error, owned by Next
}

func (sub *subscription) open() (*esdb.Subscription, error) {
	filter := esdb.ExcludeSystemEventsFilter()
	if sub.store.ns != "" {
		filter = &esdb.SubscriptionFilter{Type: esdb.StreamFilterType, Prefixes: []string{sub.store.ns}}
	}
	inner, err := sub.store.db.SubscribeToAll(sub.ctx, esdb.SubscribeToAllOptions{
		From:   sub.store.allFrom(sub.last),
		Filter: filter,
	})
	if err != nil {
		return nil, fmt.Errorf("eventstore/esdb: subscribe to $all: %w", err)
	}
	return inner, nil
}

// pump moves events from the gRPC stream to items, in order, each once.
func (sub *subscription) pump(inner *esdb.Subscription) {
	defer close(sub.items)
	attempts := 0
	for {
		ev := inner.Recv()
		switch {
		case ev.EventAppeared != nil:
			attempts = 0
			r := ev.EventAppeared.OriginalEvent()
			if sub.store.hidden(r.StreamID, r.EventType) {
				continue
			}
			c := cursorOf(r.Position)
			if !sub.last.IsZero() && !sub.last.Less(c) {
				continue // already delivered before a renewal
			}
			e, err := sub.store.decode(r)
			if !sub.send(item{event: e, err: err}) || err != nil {
				_ = inner.Close()
				return
			}
			sub.last = c
		case ev.SubscriptionDropped != nil:
			_ = inner.Close()
			if sub.ctx.Err() != nil {
				return
			}
			var err error
			for inner = nil; inner == nil && attempts < resubscribeAttempts; attempts++ {
				select {
				case <-time.After(time.Duration(100<<attempts) * time.Millisecond):
				case <-sub.ctx.Done():
					return
				}
				inner, err = sub.open()
			}
			if inner == nil {
				sub.send(item{err: fmt.Errorf("eventstore/esdb: subscription dropped (%v) and not renewed: %w", ev.SubscriptionDropped.Error, err)})
				return
			}
		default:
			// Checkpoints, caught-up and fell-behind carry no event.
		}
	}
}

func (sub *subscription) send(it item) bool {
	select {
	case sub.items <- it:
		return true
	case <-sub.ctx.Done():
		return false
	}
}

// Next implements eventstore.Subscription.
func (sub *subscription) Next(ctx context.Context, max int) ([]eventstore.Event, error) {
	if sub.failed != nil {
		return nil, sub.failed
	}
	if max <= 0 {
		max = DefaultBatch
	}
	var out []eventstore.Event
	take := func(it item, ok bool) bool {
		switch {
		case !ok:
			sub.failed = errors.New("eventstore/esdb: subscription closed")
			return false
		case it.err != nil:
			sub.failed = it.err
			return false
		}
		out = append(out, it.event)
		return true
	}
	select {
	case it, ok := <-sub.items:
		if !take(it, ok) {
			return nil, sub.failed
		}
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	for len(out) < max {
		select {
		case it, ok := <-sub.items:
			if !take(it, ok) {
				return out, nil
			}
		default:
			return out, nil
		}
	}
	return out, nil
}

// Close implements eventstore.Subscription.
func (sub *subscription) Close() error {
	sub.cancel()
	return nil
}
