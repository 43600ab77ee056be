package eventstore

import "errors"

// ErrNotAtomic is returned by a store that cannot append to several streams
// atomically (EventStoreDB) when asked to: it writes nothing rather than
// writing some streams and not others. Callers that need such an append on
// that store split it themselves and compensate (see commands' saga).
var ErrNotAtomic = errors.New("eventstore: this store cannot append to several streams atomically")

// Atomicity is implemented by stores that may not append to several
// streams atomically. A store that does not implement it is atomic.
type Atomicity interface {
	// MultiStreamAtomic reports whether Append with several streams is
	// all-or-nothing. When false, such an Append returns ErrNotAtomic.
	MultiStreamAtomic() bool
}

// MultiStreamAtomic reports whether s appends to several streams
// atomically: true unless s implements Atomicity and says otherwise.
func MultiStreamAtomic(s Store) bool {
	a, ok := s.(Atomicity)
	return !ok || a.MultiStreamAtomic()
}
