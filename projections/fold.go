package projections

import (
	"fmt"

	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/eventstore"
)

// fold is how a projector folds one event type into its accumulator A: the
// stored event, the id of its stream (the part after the projector's stream
// prefix) and the payload, decoded once by domain.Decode (upcasters
// included) in folds.apply.
type fold[A any] struct {
	eventType string
	fn        func(a A, e eventstore.Event, id string, data domain.Event) error
}

// on makes the fold of T's event type from fn; the type's name comes from
// T, so a fold cannot be keyed by one type and decode another.
func on[A any, T domain.Event](fn func(a A, e eventstore.Event, id string, v T) error) fold[A] {
	var zero T
	return fold[A]{eventType: zero.EventType(), fn: func(a A, e eventstore.Event, id string, data domain.Event) error {
		return fn(a, e, id, data.(T))
	}}
}

// folds is a projector's folds keyed by event type, with the stream prefix
// whose id they are handed. Its Handles answers from the same map apply
// folds from, so the two cannot drift apart.
type folds[A any] struct {
	prefix string
	byType map[string]func(a A, e eventstore.Event, id string, data domain.Event) error
}

func foldsOf[A any](prefix string, fs ...fold[A]) folds[A] {
	s := folds[A]{prefix: prefix, byType: make(map[string]func(A, eventstore.Event, string, domain.Event) error, len(fs))}
	for _, f := range fs {
		if _, dup := s.byType[f.eventType]; dup {
			panic("projections: two folds of " + f.eventType)
		}
		s.byType[f.eventType] = f.fn
	}
	return s
}

// handles reports whether a folds events of eventType (Selective).
func (s folds[A]) handles(eventType string) bool {
	_, ok := s.byType[eventType]
	return ok
}

// apply decodes and folds into a every event of a type s folds, in order;
// other types are skipped without being decoded.
func (s folds[A]) apply(a A, events []eventstore.Event) error {
	for _, e := range events {
		fn, ok := s.byType[e.Type]
		if !ok {
			continue
		}
		data, err := domain.Decode(e.Type, e.SchemaVersion, e.Data)
		if err != nil {
			return fmt.Errorf("decode %s at position %d: %w", e.Type, e.Position, err)
		}
		if err := fn(a, e, streamID(e.Stream, s.prefix), data); err != nil {
			return err
		}
	}
	return nil
}
