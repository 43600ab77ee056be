// Package memory is an in-memory event store for fast unit tests. It
// implements eventstore.Store exactly as the PostgreSQL store does (atomic
// multi-stream appends, idempotency on event id, the hash chain, catch-up
// subscriptions) and passes the same contract suite, eventstore/storetest.
//
// It also offers in-memory idempotency and document stores that satisfy the
// ports of package commands structurally. It must not import domain,
// commands, projections or http.
package memory

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/inps/libretto/eventstore"
)

// DefaultBatch is the number of events ReadAll and Subscription.Next return
// when asked for zero or fewer.
const DefaultBatch = 1000

// Store is an in-memory eventstore.Store. The zero value is not usable: call New.
type Store struct {
	mu      sync.Mutex
	log     []eventstore.Event // log[i] has position i+1
	streams map[string][]int   // stream -> indexes into log, in version order
	ids     map[uuid.UUID]int  // event id -> index into log
	wake    chan struct{}      // closed and replaced on every append
	now     func() time.Time
}

var _ eventstore.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	return &Store{
		streams: map[string][]int{},
		ids:     map[uuid.UUID]int{},
		wake:    make(chan struct{}),
		now:     time.Now,
	}
}

// Append implements eventstore.Store.
func (s *Store) Append(ctx context.Context, appends ...eventstore.StreamAppend) ([]eventstore.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	n, err := eventstore.Validate(appends)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()

	// A clean repeat of an earlier append returns what it stored.
	known := 0
	for _, a := range appends {
		for _, e := range a.Events {
			if _, ok := s.ids[e.ID]; ok {
				known++
			}
		}
	}
	if known > 0 {
		if known < n {
			return nil, eventstore.ErrDuplicateEvent
		}
		out := make([]eventstore.Event, 0, n)
		for _, a := range appends {
			for _, e := range a.Events {
				out = append(out, s.log[s.ids[e.ID]])
			}
		}
		return out, nil
	}

	for _, a := range appends {
		current := int64(len(s.streams[a.Stream]))
		if !a.Expected.Check(current) {
			return nil, fmt.Errorf("%w: stream %s is at version %d, expected %s", eventstore.ErrConcurrency, a.Stream, current, a.Expected)
		}
	}

	recorded := s.now().UTC().Truncate(time.Microsecond)
	out := make([]eventstore.Event, 0, n)
	for _, a := range appends {
		if len(a.Events) == 0 {
			continue // only checked: a stream with no event does not exist
		}
		idx := s.streams[a.Stream]
		var prev []byte
		if len(idx) > 0 {
			prev = s.log[idx[len(idx)-1]].Hash
		}
		for _, d := range a.Events {
			pos := int64(len(s.log)) + 1
			e := eventstore.Event{
				EventData:  normalize(d),
				Stream:     a.Stream,
				Version:    int64(len(idx)) + 1,
				Position:   pos,
				Cursor:     eventstore.Cursor{Minor: uint64(pos)},
				RecordedAt: recorded,
			}
			e.Hash = eventstore.ChainHash(prev, e)
			prev = e.Hash
			s.log = append(s.log, e)
			idx = append(idx, len(s.log)-1)
			s.ids[d.ID] = len(s.log) - 1
			out = append(out, e)
		}
		s.streams[a.Stream] = idx
	}
	close(s.wake)
	s.wake = make(chan struct{})
	return out, nil
}

// normalize gives an event the form it has after a round trip through
// PostgreSQL (UTC, microseconds), so that its hash can be recomputed from
// what is read back. Data is copied: the caller may reuse its buffer.
func normalize(d eventstore.EventData) eventstore.EventData {
	d.OccurredAt = d.OccurredAt.UTC().Truncate(time.Microsecond)
	d.Data = append([]byte(nil), d.Data...)
	return d
}

// ReadStream implements eventstore.Store.
func (s *Store) ReadStream(ctx context.Context, stream string, opts eventstore.ReadOptions) ([]eventstore.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	idx, ok := s.streams[stream]
	if !ok {
		return nil, fmt.Errorf("%w: %s", eventstore.ErrStreamNotFound, stream)
	}
	var out []eventstore.Event
	for _, i := range idx {
		e := s.log[i]
		if e.Version < opts.From {
			continue
		}
		if !opts.Until.IsZero() && e.RecordedAt.After(opts.Until) {
			break
		}
		out = append(out, e)
	}
	return out, nil
}

// ReadAll implements eventstore.Store. The memory store's cursor is
// (0, position).
func (s *Store) ReadAll(ctx context.Context, from eventstore.Cursor, limit int) ([]eventstore.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.after(from, limit), nil
}

// after returns up to limit events after c; s.mu must be held.
func (s *Store) after(c eventstore.Cursor, limit int) []eventstore.Event {
	if limit <= 0 {
		limit = DefaultBatch
	}
	start := c.Minor
	if c.Major > 0 || start >= uint64(len(s.log)) {
		return nil
	}
	end := min(start+uint64(limit), uint64(len(s.log)))
	return append([]eventstore.Event(nil), s.log[start:end]...)
}

// CursorOf implements eventstore.Store.
func (s *Store) CursorOf(ctx context.Context, position int64) (eventstore.Cursor, error) {
	if err := ctx.Err(); err != nil {
		return eventstore.Cursor{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if position == 0 {
		return eventstore.Cursor{}, nil
	}
	if position < 0 || position > int64(len(s.log)) {
		return eventstore.Cursor{}, fmt.Errorf("%w: position %d", eventstore.ErrEventNotFound, position)
	}
	return s.log[position-1].Cursor, nil
}

// Head implements eventstore.Store.
func (s *Store) Head(ctx context.Context) (eventstore.Head, error) {
	if err := ctx.Err(); err != nil {
		return eventstore.Head{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.log) == 0 {
		return eventstore.Head{}, nil
	}
	last := s.log[len(s.log)-1]
	return eventstore.Head{Cursor: last.Cursor, Position: last.Position, RecordedAt: last.RecordedAt, Events: int64(len(s.log))}, nil
}

// Verify implements eventstore.Store.
func (s *Store) Verify(ctx context.Context, progress func(events int)) (eventstore.VerifyReport, error) {
	s.mu.Lock()
	names := make([]string, 0, len(s.streams))
	for name := range s.streams {
		names = append(names, name)
	}
	s.mu.Unlock()
	sort.Strings(names)

	var rep eventstore.VerifyReport
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		s.mu.Lock()
		idx := s.streams[name]
		events := make([]eventstore.Event, len(idx))
		for i, j := range idx {
			events[i] = s.log[j]
		}
		s.mu.Unlock()
		rep.Broken = append(rep.Broken, eventstore.VerifyStream(events)...)
		rep.StreamsChecked++
		rep.EventsChecked += len(events)
		if progress != nil {
			progress(rep.EventsChecked)
		}
	}
	return rep, nil
}

// Subscribe implements eventstore.Store.
func (s *Store) Subscribe(ctx context.Context, from eventstore.Cursor) (eventstore.Subscription, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return &subscription{store: s, cursor: from, done: make(chan struct{})}, nil
}

type subscription struct {
	store     *Store
	cursor    eventstore.Cursor
	done      chan struct{}
	closeOnce sync.Once
}

func (sub *subscription) Next(ctx context.Context, max int) ([]eventstore.Event, error) {
	for {
		select {
		case <-sub.done:
			return nil, fmt.Errorf("eventstore: subscription closed")
		default:
		}
		sub.store.mu.Lock()
		events := sub.store.after(sub.cursor, max)
		wake := sub.store.wake
		sub.store.mu.Unlock()
		if len(events) > 0 {
			sub.cursor = events[len(events)-1].Cursor
			return events, nil
		}
		select {
		case <-wake:
		case <-sub.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (sub *subscription) Close() error {
	sub.closeOnce.Do(func() { close(sub.done) })
	return nil
}
