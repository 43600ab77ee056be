package eventstore

// Atomicity is implemented by stores that may not append to several
// streams in one transaction. A store that does not implement it is atomic.
//
// A store that is not atomic (EventStoreDB) still offers Append's contract
// to its callers, with what readers may observe meanwhile spelled out:
//   - an expectation that does not hold when the append starts fails it with
//     ErrConcurrency before anything is written, as on an atomic store;
//   - otherwise the streams are written one at a time: the ones with
//     Compensations (reservations), then the one that Decides, then the
//     rest. A reader may see the reservations before the rest, and the
//     decided stream before the rest;
//   - when a reservation or the deciding append then fails on its
//     expectation, each stored reservation is followed by its
//     Compensations and Append returns ErrConcurrency: readers may have seen
//     the reservation, and they see it undone, never the other streams;
//   - once the deciding append is stored the rest is written whatever
//     happens to those streams meanwhile (with Any when their expectation no
//     longer holds), and a writer that stops in between leaves the saga to
//     the store's recovery, which finishes it forward or back.
type Atomicity interface {
	// MultiStreamAtomic reports whether Append with several streams is
	// all-or-nothing in one transaction. When false, it is the saga above.
	MultiStreamAtomic() bool
}

// MultiStreamAtomic reports whether s appends to several streams
// atomically: true unless s implements Atomicity and says otherwise.
func MultiStreamAtomic(s Store) bool {
	a, ok := s.(Atomicity)
	return !ok || a.MultiStreamAtomic()
}
