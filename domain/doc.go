// Package domain is the Libretto Famiglia model: value objects (codice
// fiscale, IBAN, cents, civil dates), the voucher booklet, heir claim, worker
// and payroll aggregates with every rule of SPEC §2, their events and typed
// errors. It is pure: no I/O, no clock, no SQL, no net/http; time is passed in.
package domain
