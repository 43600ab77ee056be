package domain

// Decision is what a command decided: the events to append, stream by
// stream, in the order the streams are to be appended (a cause before what
// it causes: its event takes the lower position). The facts a response
// names (a service's record, a refund's amount, a run's summary) are among
// those events: First finds them. commands appends a Decision in one atomic
// append, each stream the command loaded at the version it folded, any
// other as a new stream.
type Decision struct {
	Changes []Change
}

// Change is the events a decision appends to one stream.
type Change struct {
	Stream string
	Events []Pending
}

// Decide is the decision of events on one stream.
func Decide(stream string, events []Pending) Decision {
	var d Decision
	d.Add(stream, events...)
	return d
}

// Add appends events to stream's change; a stream keeps the place it was
// first added at. No events adds nothing.
func (d *Decision) Add(stream string, events ...Pending) {
	if len(events) == 0 {
		return
	}
	for i := range d.Changes {
		if d.Changes[i].Stream == stream {
			d.Changes[i].Events = append(d.Changes[i].Events, events...)
			return
		}
	}
	d.Changes = append(d.Changes, Change{Stream: stream, Events: events})
}

// Events returns the events d appends to stream (nil for none).
func (d Decision) Events(stream string) []Pending {
	for _, c := range d.Changes {
		if c.Stream == stream {
			return c.Events
		}
	}
	return nil
}

// First returns the first event of type T that d appends.
func First[T Event](d Decision) (T, bool) {
	for _, c := range d.Changes {
		for _, p := range c.Events {
			if v, ok := p.Data.(T); ok {
				return v, true
			}
		}
	}
	var zero T
	return zero, false
}
