// Package seed fills an empty event store with demo data through the
// command handler (never by writing events directly), so that a newcomer
// running `make run` sees a living portal: families with deposits, workers,
// paid services, a deceased user with two heirs, a validated claim with a
// refund, an F24 still being credited, an open pagoPA notice. Seeding is idempotent: it does
// nothing when the store already holds events.
//
// It imports commands and domain; it must not import projections or http.
package seed
