package domain

// Reservation is an event that takes something another command may need —
// a worker's yearly cap, a booklet's refund slot — and that Undo gives
// back. The commands pass each reservation's Undo with their append: a store
// that cannot append to several streams in one transaction (EventStoreDB)
// writes the reservations first and appends their Undo when the rest of the
// command fails, so a failed command never keeps what it reserved.
type Reservation interface {
	Event
	// Undo is the event that gives back what the reservation took.
	Undo() Event
}

// Undo releases the booking: the worker's cap is free again.
func (e WorkerServiceBooked) Undo() Event { return WorkerServiceReleased{ServiceID: e.ServiceID} }

// Undo returns the reserved amount to the booklet.
func (e RefundReserved) Undo() Event {
	return RefundReservationReleased{RefundID: e.RefundID, AmountCents: e.AmountCents}
}
