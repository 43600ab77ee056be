// Package notify tells people what happened to them (SPEC §9
// "Notifications"): a notifier folded from the event log like a projector
// composes one Italian message per (event, person, channel) into an outbox
// table, in the transaction that moves its checkpoint; a dispatcher drains
// the outbox per channel (the portal inbox, e-mail over SMTP, App IO) with
// retries and exponential back-off; a monthly job reminds users of the 3rd
// day's deadline.
//
// The outbox lives in its own schema, notify, not in the notifier's rm_
// schema: a rebuild of the notifier folds the log again into fresh rm_
// tables, but the outbox it writes to is the same table, whose unique key
// (event, person, channel) makes every message of a replay, a retry, a
// rebuild or a second node a no-op.
//
// It imports domain, eventstore and projections (the Projector port); it
// must not import commands or http.
package notify

import (
	"time"

	"github.com/google/uuid"
)

// Channels: the closed set of the outbox's channel column and of the
// metrics' channel label.
const (
	ChannelInbox = "inbox" // the portal's inbox: delivered when written
	ChannelEmail = "email" // SMTP, to the person's verified address
	ChannelIO    = "io"    // App IO, by codice fiscale
)

// Channels lists every channel.
var Channels = []string{ChannelInbox, ChannelEmail, ChannelIO}

// Kinds of message: the outbox's kind column and the inbox's "kind".
const (
	KindServiceRecorded  = "service_recorded"
	KindServiceRevoked   = "service_revoked"
	KindServiceReversed  = "service_reversed"
	KindWorkerPaid       = "payment_made"
	KindDepositCredited  = "deposit_credited"
	KindHeirValidated    = "claim_validated"
	KindHeirRejected     = "claim_rejected"
	KindRefundApproved   = "refund_approved"
	KindRefundRejected   = "refund_rejected"
	KindRefundPaid       = "refund_paid"
	KindPriorServicePaid = "prior_service_paid"
	KindMonthlyReminder  = "monthly_reminder"
	KindContactCode      = "contact_code" // the verification code of an address: e-mail only
)

// Outbox statuses.
const (
	StatusPending = "pending"
	StatusSent    = "sent"
	StatusFailed  = "failed" // given up: permanent refusal, too many tries, or a code past its life
)

// Message is one row of the outbox: what to tell whom on which channel.
type Message struct {
	ID       uuid.UUID // MessageID(EventID, PersonCF, Channel)
	EventID  uuid.UUID // the event it is about (or the month of a reminder, the sending of a code)
	PersonCF string
	Channel  string
	Kind     string
	Address  string // the e-mail address, for ChannelEmail
	Title    string
	Body     string // plain text, paragraphs separated by a blank line
	Ref      string // the service, claim, refund, deposit or run it is about
	At       time.Time
	Attempts int
}

// idNamespace derives outbox ids from their key.
var idNamespace = uuid.MustParse("0b6c7f0e-8a4e-5d43-9f1e-2f1b5cf0a7d1")

// MessageID is the outbox id of the message about eventID to person on
// channel: the same key always gives the same id, which is also the
// e-mail's Message-ID.
func MessageID(eventID uuid.UUID, person, channel string) uuid.UUID {
	return uuid.NewSHA1(idNamespace, []byte(eventID.String()+"\x00"+person+"\x00"+channel))
}
