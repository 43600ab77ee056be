package eventstore

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Validate rejects appends no store could accept — an empty stream name, a
// stream named twice, an event without id or with an id repeated in the same
// append, data that is not UTF-8 JSON — and returns the number of events they
// carry. Every implementation calls it before touching storage.
func Validate(appends []StreamAppend) (int, error) {
	n := 0
	streams := make(map[string]bool, len(appends))
	ids := map[uuid.UUID]bool{}
	for _, a := range appends {
		if a.Stream == "" {
			return 0, fmt.Errorf("eventstore: empty stream name")
		}
		if streams[a.Stream] {
			return 0, fmt.Errorf("eventstore: stream %s appears twice in one append", a.Stream)
		}
		streams[a.Stream] = true
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
