package domain

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
)

// SchemaVersion is the version every payload of events.go is written with.
const SchemaVersion = 1

// Event is a payload of events.go; its type name is stored with it.
type Event interface{ EventType() string }

// Recorded is what an aggregate needs of a stored event: its id (so that a
// compensation can name it as causation), its version within the stream, the
// instant it occurred and the decoded payload.
type Recorded struct {
	ID      uuid.UUID
	Version int64
	At      time.Time
	Data    Event
}

// Pending is an event an aggregate decided, not yet stored. Causation is the
// id of the event it compensates (uuid.Nil when only the request caused it).
// ID is the id it is to be stored with when the decision chose one, so that
// other events of the same append can name it as their causation; uuid.Nil
// lets the writer give it one.
type Pending struct {
	Data      Event
	Causation uuid.UUID
	ID        uuid.UUID
}

func pending(events ...Event) []Pending {
	out := make([]Pending, len(events))
	for i, e := range events {
		out[i] = Pending{Data: e}
	}
	return out
}

// Upcaster turns the raw payload of an older schema version of an event type
// into the current payload. Register one in upcasters when a payload's shape
// changes; version 1 payloads decode directly.
type Upcaster func(raw []byte) (Event, error)

// upcasters holds, per event type and old schema version, the function from
// that version's bytes to the current struct. None is needed yet.
var upcasters = map[string]map[int]Upcaster{}

// eventTypes is the registry of payloads: every event type Decode knows,
// filled by Register (this package's own types in init below; packages of
// events such as domain/family from their own init, since domain imports
// none of them).
var eventTypes = map[string]func([]byte) (Event, error){}

// Register adds T to the event types Decode knows, under the name T's zero
// value gives (its EventType), so a name and its payload cannot disagree.
// Packages of events call it from init; a name registered twice panics: a
// stored type name must mean one payload.
func Register[T Event]() {
	var zero T
	name := zero.EventType()
	if _, dup := eventTypes[name]; dup {
		panic("domain: event type " + name + " registered twice")
	}
	eventTypes[name] = decodeAs[T]
}

// Types lists every registered event type, sorted.
func Types() []string {
	out := make([]string, 0, len(eventTypes))
	for name := range eventTypes {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// nulEscape is how encoding/json writes U+0000, which PostgreSQL's jsonb and
// text refuse.
var nulEscape = []byte(`\u0000`)

// Encode turns an event into the payload it is stored with, under its
// EventType and SchemaVersion. Text holding U+0000 is refused
// (invalid_character): every entry point (API, portal, feeds) appends
// through here, and an event the read models' jsonb cannot hold would stop a
// projector for good.
func Encode(e Event) ([]byte, error) {
	raw, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("domain: encode %s: %w", e.EventType(), err)
	}
	if bytes.Contains(raw, nulEscape) {
		return nil, RuleError(CodeInvalidCharacter, "", "text may not contain the NUL character")
	}
	return raw, nil
}

// Decode turns a stored event's type, schema version and JSON payload into
// its current payload struct. Unknown types are an error the caller may
// ignore (a newer writer's events); older versions go through upcasters.
func Decode(eventType string, schemaVersion int, raw []byte) (Event, error) {
	if schemaVersion != SchemaVersion && schemaVersion != 0 {
		if up, ok := upcasters[eventType][schemaVersion]; ok {
			return up(raw)
		}
		return nil, fmt.Errorf("domain: no upcaster for %s version %d", eventType, schemaVersion)
	}
	decode, ok := eventTypes[eventType]
	if !ok {
		return nil, fmt.Errorf("domain: unknown event type %q", eventType)
	}
	e, err := decode(raw)
	if err != nil {
		return nil, fmt.Errorf("domain: decode %s: %w", eventType, err)
	}
	return e, nil
}

func decodeAs[T Event](raw []byte) (Event, error) {
	var v T
	err := json.Unmarshal(raw, &v)
	return v, err
}

func init() {
	Register[UserRegistered]()
	Register[DepositRecorded]()
	Register[PendingDepositRecorded]()
	Register[DepositCredited]()
	Register[ServiceRecorded]()
	Register[ServiceRevoked]()
	Register[ServiceReversed]()
	Register[ServicePaid]()
	Register[HeirClaimAttached]()
	Register[HeirClaimDetached]()
	Register[DateOfDeathCorrected]()
	Register[DateOfDeathWithdrawn]()
	Register[RefundReserved]()
	Register[RefundReservationReleased]()
	Register[RefundDisbursed]()
	Register[HeirRegistered]()
	Register[HeirValidated]()
	Register[HeirRejected]()
	Register[ClaimDateOfDeathCorrected]()
	Register[RefundRequested]()
	Register[RefundApproved]()
	Register[RefundRejected]()
	Register[RefundPaid]()
	Register[PriorServiceInserted]()
	Register[PriorServiceReversed]()
	Register[PriorServicePaid]()
	Register[WorkerRegistered]()
	Register[WorkerServiceBooked]()
	Register[WorkerServiceReleased]()
	Register[WorkerPaid]()
	Register[PayrollRunCompleted]()
	Register[PaymentNoticeIssued]()
	Register[PaymentNoticePaid]()
	Register[ServiceLocated]()
	Register[RefundLocated]()
	Register[DepositLocated]()
	Register[DelegationGranted]()
	Register[DelegationRevoked]()
	Register[DelegationReceived]()
	Register[ContactsChanged]()
	Register[ContactCodeRejected]()
	Register[ContactsVerified]()
}

// EventType implementations: the stable names of events.go.
func (UserRegistered) EventType() string            { return TypeUserRegistered }
func (DepositRecorded) EventType() string           { return TypeDepositRecorded }
func (PendingDepositRecorded) EventType() string    { return TypePendingDepositRecorded }
func (DepositCredited) EventType() string           { return TypeDepositCredited }
func (ServiceRecorded) EventType() string           { return TypeServiceRecorded }
func (ServiceRevoked) EventType() string            { return TypeServiceRevoked }
func (ServiceReversed) EventType() string           { return TypeServiceReversed }
func (ServicePaid) EventType() string               { return TypeServicePaid }
func (HeirClaimAttached) EventType() string         { return TypeHeirClaimAttached }
func (HeirClaimDetached) EventType() string         { return TypeHeirClaimDetached }
func (DateOfDeathCorrected) EventType() string      { return TypeDateOfDeathCorrected }
func (DateOfDeathWithdrawn) EventType() string      { return TypeDateOfDeathWithdrawn }
func (RefundReserved) EventType() string            { return TypeRefundReserved }
func (RefundReservationReleased) EventType() string { return TypeRefundReservationFreed }
func (RefundDisbursed) EventType() string           { return TypeRefundDisbursed }
func (HeirRegistered) EventType() string            { return TypeHeirRegistered }
func (HeirValidated) EventType() string             { return TypeHeirValidated }
func (HeirRejected) EventType() string              { return TypeHeirRejected }
func (ClaimDateOfDeathCorrected) EventType() string { return TypeClaimDateOfDeathCorrected }
func (RefundRequested) EventType() string           { return TypeRefundRequested }
func (RefundApproved) EventType() string            { return TypeRefundApproved }
func (RefundRejected) EventType() string            { return TypeRefundRejected }
func (RefundPaid) EventType() string                { return TypeRefundPaid }
func (PriorServiceInserted) EventType() string      { return TypePriorServiceInserted }
func (PriorServiceReversed) EventType() string      { return TypePriorServiceReversed }
func (PriorServicePaid) EventType() string          { return TypePriorServicePaid }
func (WorkerRegistered) EventType() string          { return TypeWorkerRegistered }
func (WorkerServiceBooked) EventType() string       { return TypeWorkerServiceBooked }
func (WorkerServiceReleased) EventType() string     { return TypeWorkerServiceFreed }
func (WorkerPaid) EventType() string                { return TypeWorkerPaid }
func (PayrollRunCompleted) EventType() string       { return TypePayrollRunCompleted }
func (PaymentNoticeIssued) EventType() string       { return TypePaymentNoticeIssued }
func (PaymentNoticePaid) EventType() string         { return TypePaymentNoticePaid }
func (ServiceLocated) EventType() string            { return TypeServiceLocated }
func (RefundLocated) EventType() string             { return TypeRefundLocated }
func (DepositLocated) EventType() string            { return TypeDepositLocated }
