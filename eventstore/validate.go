package eventstore

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Validate rejects appends no store could accept — an empty stream name, a
// stream named twice, an event (or compensation) without id or with an id
// repeated in the same append, data that is not UTF-8 JSON, more than one
// append that Decides — and returns the number of events they carry. Every
// implementation calls it before touching storage.
func Validate(appends []StreamAppend) (int, error) {
	n := 0
	streams := make(map[string]bool, len(appends))
	ids := map[uuid.UUID]bool{}
	decides := false
	for _, a := range appends {
		if a.Stream == "" {
			return 0, fmt.Errorf("eventstore: empty stream name")
		}
		if streams[a.Stream] {
			return 0, fmt.Errorf("eventstore: stream %s appears twice in one append", a.Stream)
		}
		streams[a.Stream] = true
		if a.Decides {
			if decides {
				return 0, fmt.Errorf("eventstore: more than one append Decides")
			}
			if len(a.Compensations) > 0 {
				return 0, fmt.Errorf("eventstore: %s both Decides and has Compensations", a.Stream)
			}
			decides = true
		}
		if len(a.Compensations) > 0 && len(a.Events) == 0 {
			return 0, fmt.Errorf("eventstore: %s has compensations but no events", a.Stream)
		}
		for _, e := range a.Compensations {
			if err := validEvent(a.Stream, e, ids); err != nil {
				return 0, err
			}
		}
		for _, e := range a.Events {
			if e.ID == uuid.Nil {
				return 0, fmt.Errorf("eventstore: event of type %s in %s has no id", e.Type, a.Stream)
			}
			if ids[e.ID] {
				return 0, fmt.Errorf("%w: %s appears twice in one append", ErrDuplicateEvent, e.ID)
			}
			ids[e.ID] = true
			if !json.Valid(e.Data) || !utf8.Valid(e.Data) {
				return 0, fmt.Errorf("eventstore: event %s (%s) data is not valid UTF-8 JSON", e.ID, e.Type)
			}
			n++
		}
	}
	return n, nil
}

// validEvent checks a compensation as Validate checks an event.
func validEvent(stream string, e EventData, ids map[uuid.UUID]bool) error {
	if e.ID == uuid.Nil {
		return fmt.Errorf("eventstore: compensation of type %s in %s has no id", e.Type, stream)
	}
	if ids[e.ID] {
		return fmt.Errorf("%w: %s appears twice in one append", ErrDuplicateEvent, e.ID)
	}
	ids[e.ID] = true
	if !json.Valid(e.Data) || !utf8.Valid(e.Data) {
		return fmt.Errorf("eventstore: compensation %s (%s) data is not valid UTF-8 JSON", e.ID, e.Type)
	}
	return nil
}
