package projections

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/inps/libretto/eventstore"
)

// Metadata keys of a batch message.
const (
	MetaCursor        = "cursor"         // the batch's last cursor, "major/minor"
	MetaFirstPosition = "first_position" // global position of the first event
	MetaLastPosition  = "last_position"  // global position of the last event
	MetaEvents        = "events"         // number of events in the batch
)

// StoreSubscriber is a Watermill message.Subscriber over the event store's
// catch-up subscription. Each topic is a consumer (a projector name): it
// starts after the checkpoint that From returns for it and delivers one
// message per batch of events: the decoded events ride in the message's
// context (BatchOf returns them), the metadata names the batch's last cursor,
// positions and count. Behind the head a batch holds up to BatchSize
// events; at the head it holds whatever has just been committed.
//
// Delivery is one message at a time: the next batch is read only once the
// previous one is acked. A nacked batch means its handler has given up (the
// router's retry middleware ran first): the topic stops delivering and stays
// stopped until the subscription ends, so a poison event is never skipped.
type StoreSubscriber struct {
	Store     eventstore.Store
	BatchSize int
	// From returns the cursor a topic resumes after (its checkpoint).
	From   func(ctx context.Context, topic string) (eventstore.Cursor, error)
	Logger *slog.Logger

	mu      sync.Mutex
	closed  bool
	closing chan struct{}
	wg      sync.WaitGroup
}

var _ message.Subscriber = (*StoreSubscriber)(nil)

func (s *StoreSubscriber) init() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing == nil {
		s.closing = make(chan struct{})
	}
}

// Subscribe implements message.Subscriber.
func (s *StoreSubscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	s.init()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, errors.New("projections: subscriber closed")
	}
	s.wg.Add(1)
	s.mu.Unlock()

	from, err := s.From(ctx, topic)
	if err != nil {
		s.wg.Done()
		return nil, fmt.Errorf("checkpoint of %s: %w", topic, err)
	}
	out := make(chan *message.Message)
	go func() {
		defer s.wg.Done()
		defer close(out)
		s.deliver(ctx, topic, from, out)
	}()
	return out, nil
}

// deliver feeds out until ctx ends, the subscriber closes or a batch is
// nacked. A broken store subscription is reopened after the last acked batch.
func (s *StoreSubscriber) deliver(ctx context.Context, topic string, from eventstore.Cursor, out chan<- *message.Message) {
	size := s.BatchSize
	if size <= 0 {
		size = 1000
	}
	logger := s.Logger
	if logger == nil {
		logger = slog.Default()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-s.closing:
			cancel()
		case <-ctx.Done():
		}
	}()

	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		sub, err := s.Store.Subscribe(ctx, from)
		if err != nil {
			logger.Error("projections: subscribe", "projector", topic, "err", err)
			if !sleep(ctx, backoff) {
				return
			}
			backoff = min(2*backoff, 5*time.Second)
			continue
		}
		for ctx.Err() == nil {
			events, err := sub.Next(ctx, size)
			if err != nil {
				if ctx.Err() == nil {
					logger.Error("projections: read events", "projector", topic, "err", err)
				}
				break
			}
			if len(events) == 0 {
				continue
			}
			backoff = 100 * time.Millisecond
			msg := batchMessage(ctx, events)
			select {
			case out <- msg:
			case <-ctx.Done():
				_ = sub.Close()
				return
			}
			select {
			case <-msg.Acked():
				from = events[len(events)-1].Cursor
			case <-msg.Nacked():
				_ = sub.Close()
				<-ctx.Done()
				return
			case <-ctx.Done():
				_ = sub.Close()
				return
			}
		}
		_ = sub.Close()
		if !sleep(ctx, backoff) {
			return
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// Close implements message.Subscriber: it ends every topic's delivery.
func (s *StoreSubscriber) Close() error {
	s.init()
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.closing)
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// batchKey is the context key under which a batch message carries its
// decoded events.
type batchKey struct{}

// batchMessage makes events one Watermill message for a handler in this
// process. The events travel decoded, in the message's context, and the
// payload stays empty: encoding every batch to JSON only for each handler to
// decode it again cost about a sixth of the server's CPU under load. The
// metadata still describes the batch (last cursor, first and last position,
// count), for logs and middleware. A message meant for another process
// carries its events in the payload instead (EncodeBatch); BatchOf reads
// either.
func batchMessage(ctx context.Context, events []eventstore.Event) *message.Message {
	msg := message.NewMessage(watermill.NewUUID(), nil)
	setBatchMetadata(msg, events)
	msg.SetContext(context.WithValue(ctx, batchKey{}, events))
	return msg
}

// EncodeBatch makes events one Watermill message whose payload is the batch
// as a JSON array, for a message that leaves the process (StoreSubscriber's
// own messages do not: they carry the decoded events in their context).
func EncodeBatch(events []eventstore.Event) (*message.Message, error) {
	payload, err := json.Marshal(events)
	if err != nil {
		return nil, err
	}
	msg := message.NewMessage(watermill.NewUUID(), payload)
	setBatchMetadata(msg, events)
	return msg, nil
}

func setBatchMetadata(msg *message.Message, events []eventstore.Event) {
	if len(events) == 0 {
		msg.Metadata.Set(MetaEvents, "0")
		return
	}
	last := events[len(events)-1]
	msg.Metadata.Set(MetaCursor, FormatCursor(last.Cursor))
	msg.Metadata.Set(MetaFirstPosition, strconv.FormatInt(events[0].Position, 10))
	msg.Metadata.Set(MetaLastPosition, strconv.FormatInt(last.Position, 10))
	msg.Metadata.Set(MetaEvents, strconv.Itoa(len(events)))
}

// BatchOf returns the events of a batch message: the decoded events a
// StoreSubscriber attached to its context, else (a message from elsewhere,
// see EncodeBatch) the JSON array of its payload. The events are shared:
// handlers must not modify them.
func BatchOf(msg *message.Message) ([]eventstore.Event, error) {
	if events, ok := msg.Context().Value(batchKey{}).([]eventstore.Event); ok {
		return events, nil
	}
	var events []eventstore.Event
	if err := json.Unmarshal(msg.Payload, &events); err != nil {
		return nil, fmt.Errorf("projections: decode batch %s: %w", msg.UUID, err)
	}
	return events, nil
}

// FormatCursor writes a cursor as "major/minor".
func FormatCursor(c eventstore.Cursor) string {
	return strconv.FormatUint(c.Major, 10) + "/" + strconv.FormatUint(c.Minor, 10)
}

// ParseCursor reads a cursor written by FormatCursor.
func ParseCursor(s string) (eventstore.Cursor, error) {
	major, minor, ok := strings.Cut(s, "/")
	if !ok {
		return eventstore.Cursor{}, fmt.Errorf("projections: bad cursor %q", s)
	}
	a, err1 := strconv.ParseUint(major, 10, 64)
	b, err2 := strconv.ParseUint(minor, 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return eventstore.Cursor{}, fmt.Errorf("projections: bad cursor %q: %w", s, err)
	}
	return eventstore.Cursor{Major: a, Minor: b}, nil
}
