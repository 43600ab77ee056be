package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/eventstore"
)

// ProjectorName is the notifier's frozen name: its Watermill handler (consumer
// group) and its schema rm_notifier, which holds only what composing needs
// (who a claim's heir is, what a service was, which address is verified).
const ProjectorName = "notifier"

// ProjectorConfig says which channels the notifier composes for.
type ProjectorConfig struct {
	// Email composes e-mail messages (SMTP is configured); IO App IO
	// messages (IO_API_URL and IO_API_KEY are set). The inbox is always on.
	Email, IO bool
	// MaxAge: events recorded longer ago than this when the notifier folds
	// them get their inbox entry but no e-mail or App IO message, so that a
	// first deployment, or a notifier that was long stopped, does not mail
	// people about the distant past. Default 72 h; negative means no limit.
	MaxAge time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Projector is the notifier: a projections.Projector (and Selective) to pass
// to projections.NewRunner, so that it runs as a Watermill handler with its
// own checkpoint and writes the outbox in the checkpoint's transaction.
type Projector struct{ cfg ProjectorConfig }

// NewProjector returns the notifier.
func NewProjector(cfg ProjectorConfig) *Projector {
	if cfg.MaxAge == 0 {
		cfg.MaxAge = 72 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Projector{cfg: cfg}
}

// Name implements projections.Projector.
func (*Projector) Name() string { return ProjectorName }

// Setup implements projections.Projector: the composing tables in the
// notifier's schema, and the outbox.
func (*Projector) Setup(ctx context.Context, tx pgx.Tx) error {
	if err := setupOutbox(ctx, tx); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `
CREATE TABLE IF NOT EXISTS people (cf text PRIMARY KEY, email text NOT NULL);
CREATE TABLE IF NOT EXISTS claims (claim_id text PRIMARY KEY, heir_cf text NOT NULL, deceased_cf text NOT NULL);
CREATE TABLE IF NOT EXISTS services (
	service_id text PRIMARY KEY,
	user_cf    text NOT NULL,
	worker_cf  text NOT NULL,
	activity   text NOT NULL,
	start_date text NOT NULL,
	end_date   text NOT NULL,
	hours      double precision NOT NULL,
	vouchers   integer NOT NULL,
	net_cents  bigint NOT NULL,
	gross_cents bigint NOT NULL,
	claim_id   text NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS services_user_end ON services (user_cf, end_date);
-- What the monthly reminder asks: a user's available balance, and whether
-- the owner is deceased (no reminder then).
CREATE TABLE IF NOT EXISTS users (user_cf text PRIMARY KEY, available_cents bigint NOT NULL DEFAULT 0, deceased boolean NOT NULL DEFAULT false);
CREATE TABLE IF NOT EXISTS refunds (refund_id text PRIMARY KEY, claim_id text NOT NULL, amount_cents bigint NOT NULL)`)
	return err
}

// folds are the event types the notifier reads: those that tell someone
// something, and those that say who or what a later one is about.
var folds = map[string]bool{
	domain.TypeServiceRecorded: true, domain.TypeServiceRevoked: true, domain.TypeServiceReversed: true,
	domain.TypeWorkerPaid: true, domain.TypeDepositRecorded: true, domain.TypeDepositCredited: true,
	domain.TypeHeirRegistered: true, domain.TypeHeirValidated: true, domain.TypeHeirRejected: true,
	domain.TypeRefundRequested: true, domain.TypeRefundApproved: true, domain.TypeRefundRejected: true,
	domain.TypeRefundPaid: true, domain.TypePriorServicePaid: true, domain.TypeContactsVerified: true,
	// the available balance and the owner's death, for the monthly reminder
	domain.TypeRefundReserved: true, domain.TypeRefundReservationFreed: true,
	domain.TypeHeirClaimAttached: true, domain.TypeDateOfDeathWithdrawn: true,
}

// Handles implements projections.Selective.
func (*Projector) Handles(eventType string) bool { return folds[eventType] }

type claimRow struct{ heir, deceased string }

type refundRow struct {
	claim  string
	amount int64
}

// batch is one Apply's state: the rows it read and wrote, and what it
// composed, in event order.
type batch struct {
	services map[string]domain.ServiceRecorded
	claims   map[string]claimRow
	refunds  map[string]refundRow
	items    []item
	b        *pgx.Batch
}

// item is, in event order, a message to write or a verified address (which
// changes where the messages after it go).
type item struct {
	msg      *Message
	fresh    bool   // recent enough for e-mail and App IO
	verified string // with person, for a ContactsVerified
	person   string
}

// Apply implements projections.Projector. It reads in one round trip the
// rows the batch's events refer to, folds the events in order, reads the
// verified addresses of everyone it tells, and writes rows and outbox in
// one more.
func (p *Projector) Apply(ctx context.Context, tx pgx.Tx, events []eventstore.Event) error {
	bt := &batch{services: map[string]domain.ServiceRecorded{}, claims: map[string]claimRow{}, refunds: map[string]refundRow{}, b: &pgx.Batch{}}
	if err := bt.load(ctx, tx, events); err != nil {
		return err
	}
	now := p.cfg.Now()
	for _, e := range events {
		if !folds[e.Type] {
			continue
		}
		data, err := domain.Decode(e.Type, e.SchemaVersion, e.Data)
		if err != nil {
			return fmt.Errorf("notify: %s at position %d: %w", e.Type, e.Position, err)
		}
		fresh := p.cfg.MaxAge < 0 || now.Sub(e.RecordedAt) <= p.cfg.MaxAge
		for _, m := range bt.fold(e, data) {
			m.EventID, m.At = e.ID, e.OccurredAt
			bt.items = append(bt.items, item{msg: m, fresh: fresh})
		}
	}
	if err := bt.route(ctx, tx, p.cfg); err != nil {
		return err
	}
	if bt.b.Len() == 0 {
		return nil
	}
	return tx.SendBatch(ctx, bt.b).Close()
}

// load reads the services, claims and refunds the events refer to.
func (bt *batch) load(ctx context.Context, tx pgx.Tx, events []eventstore.Event) error {
	var services, claims, refunds []string
	for _, e := range events {
		var ref struct {
			ServiceID string `json:"service_id"`
			RefundID  string `json:"refund_id"`
		}
		switch e.Type {
		case domain.TypeServiceRevoked, domain.TypeServiceReversed, domain.TypePriorServicePaid:
			_ = json.Unmarshal(e.Data, &ref)
			services = append(services, ref.ServiceID)
		case domain.TypeRefundApproved, domain.TypeRefundRejected, domain.TypeRefundPaid:
			_ = json.Unmarshal(e.Data, &ref)
			refunds = append(refunds, ref.RefundID)
		}
		if strings.HasPrefix(e.Stream, "claim-") && folds[e.Type] {
			claims = append(claims, strings.TrimPrefix(e.Stream, "claim-"))
		}
	}
	if len(services)+len(claims)+len(refunds) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	b.Queue(`SELECT service_id, user_cf, worker_cf, activity, start_date, end_date, hours, vouchers, net_cents, gross_cents, claim_id
FROM services WHERE service_id = ANY($1)`, services).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var s domain.ServiceRecorded
			if err := rows.Scan(&s.ServiceID, &s.UserCF, &s.WorkerCF, &s.Activity, &s.StartDate, &s.EndDate, &s.Hours, &s.Vouchers, &s.NetCents, &s.GrossCents, &s.ClaimID); err != nil {
				return err
			}
			bt.services[s.ServiceID] = s
		}
		return rows.Err()
	})
	b.Queue(`SELECT claim_id, heir_cf, deceased_cf FROM claims WHERE claim_id = ANY($1)`, claims).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var id string
			var c claimRow
			if err := rows.Scan(&id, &c.heir, &c.deceased); err != nil {
				return err
			}
			bt.claims[id] = c
		}
		return rows.Err()
	})
	b.Queue(`SELECT refund_id, claim_id, amount_cents FROM refunds WHERE refund_id = ANY($1)`, refunds).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var id string
			var r refundRow
			if err := rows.Scan(&id, &r.claim, &r.amount); err != nil {
				return err
			}
			bt.refunds[id] = r
		}
		return rows.Err()
	})
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("notify: load: %w", err)
	}
	return nil
}

// fold keeps what later events need and returns the messages e makes (on
// the inbox channel; route copies them to the others).
func (bt *batch) fold(e eventstore.Event, data domain.Event) []*Message {
	streamID := func(prefix string) string { return strings.TrimPrefix(e.Stream, prefix+"-") }
	heirOf := func() string { return bt.claims[streamID("claim")].heir }
	switch v := data.(type) {
	case domain.ServiceRecorded:
		bt.services[v.ServiceID] = v
		bt.b.Queue(`INSERT INTO services (service_id, user_cf, worker_cf, activity, start_date, end_date, hours, vouchers, net_cents, gross_cents, claim_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (service_id) DO NOTHING`,
			v.ServiceID, v.UserCF, v.WorkerCF, v.Activity, v.StartDate, v.EndDate, v.Hours, v.Vouchers, v.NetCents, v.GrossCents, v.ClaimID)
		bt.balance(streamID("booklet"), -v.GrossCents)
		return one(v.WorkerCF, serviceRecorded(v))
	case domain.ServiceRevoked:
		if s, ok := bt.services[v.ServiceID]; ok {
			bt.balance(streamID("booklet"), s.GrossCents)
			return one(s.WorkerCF, serviceRevoked(s))
		}
	case domain.ServiceReversed:
		if s, ok := bt.services[v.ServiceID]; ok {
			bt.balance(streamID("booklet"), s.GrossCents)
			return one(s.WorkerCF, serviceReversed(s, v.Reason))
		}
	case domain.RefundReserved:
		bt.balance(streamID("booklet"), -v.AmountCents)
	case domain.RefundReservationReleased:
		bt.balance(streamID("booklet"), v.AmountCents)
	case domain.HeirClaimAttached:
		bt.deceased(streamID("booklet"), true)
	case domain.DateOfDeathWithdrawn:
		bt.deceased(streamID("booklet"), false)
	case domain.WorkerPaid:
		return one(streamID("worker"), workerPaid(v))
	case domain.DepositRecorded:
		bt.balance(streamID("booklet"), v.AmountCents)
		return one(streamID("booklet"), depositCredited(v.DepositID, v.AmountCents, v.Channel, v.PaidOn))
	case domain.DepositCredited:
		bt.balance(streamID("booklet"), v.AmountCents)
		return one(streamID("booklet"), depositCredited(v.DepositID, v.AmountCents, "", v.CreditedOn))
	case domain.HeirRegistered:
		c := claimRow{heir: v.HeirCF, deceased: v.DeceasedCF}
		bt.claims[v.ClaimID] = c
		bt.b.Queue(`INSERT INTO claims (claim_id, heir_cf, deceased_cf) VALUES ($1, $2, $3) ON CONFLICT (claim_id) DO NOTHING`, v.ClaimID, c.heir, c.deceased)
	case domain.HeirValidated:
		return one(heirOf(), heirValidated(streamID("claim")))
	case domain.HeirRejected:
		return one(heirOf(), heirRejected(streamID("claim"), v.Reason))
	case domain.RefundRequested:
		r := refundRow{claim: streamID("claim"), amount: v.AmountCents}
		bt.refunds[v.RefundID] = r
		bt.b.Queue(`INSERT INTO refunds (refund_id, claim_id, amount_cents) VALUES ($1, $2, $3)
ON CONFLICT (refund_id) DO UPDATE SET claim_id = EXCLUDED.claim_id, amount_cents = EXCLUDED.amount_cents`, v.RefundID, r.claim, r.amount)
	case domain.RefundApproved:
		return one(heirOf(), refundApproved(v.RefundID, bt.refunds[v.RefundID].amount))
	case domain.RefundRejected:
		return one(heirOf(), refundRejected(v.RefundID, bt.refunds[v.RefundID].amount, v.Reason))
	case domain.RefundPaid:
		return one(heirOf(), refundPaid(v.RefundID, bt.refunds[v.RefundID].amount, v.PaidOn))
	case domain.PriorServicePaid:
		s, ok := bt.services[v.ServiceID]
		if !ok {
			return nil
		}
		heir := heirOf()
		out := one(heir, priorServicePaid(s, v.PaidOn, false))
		if s.WorkerCF != heir {
			out = append(out, one(s.WorkerCF, priorServicePaid(s, v.PaidOn, true))...)
		}
		return out
	case domain.ContactsVerified:
		person := streamID("person")
		bt.items = append(bt.items, item{person: person, verified: v.Email})
		bt.b.Queue(`INSERT INTO people (cf, email) VALUES ($1, $2) ON CONFLICT (cf) DO UPDATE SET email = EXCLUDED.email`, person, v.Email)
	}
	return nil
}

// balance moves a user's available balance by cents.
func (bt *batch) balance(user string, cents int64) {
	bt.b.Queue(`INSERT INTO users (user_cf, available_cents) VALUES ($1, $2)
ON CONFLICT (user_cf) DO UPDATE SET available_cents = users.available_cents + EXCLUDED.available_cents`, user, cents)
}

func (bt *batch) deceased(user string, dead bool) {
	bt.b.Queue(`INSERT INTO users (user_cf, deceased) VALUES ($1, $2) ON CONFLICT (user_cf) DO UPDATE SET deceased = EXCLUDED.deceased`, user, dead)
}

func one(person string, m *Message) []*Message {
	if person == "" || m == nil {
		return nil
	}
	m.PersonCF = person
	return []*Message{m}
}

// route reads the verified addresses of the people told, then queues each
// message on the inbox and, when fresh, on e-mail (to the address verified
// at that point of the log) and App IO.
func (bt *batch) route(ctx context.Context, tx pgx.Tx, cfg ProjectorConfig) error {
	emails := map[string]string{}
	if cfg.Email {
		var people []string
		for _, it := range bt.items {
			if it.msg != nil && it.fresh {
				people = append(people, it.msg.PersonCF)
			}
		}
		if len(people) > 0 {
			rows, err := tx.Query(ctx, `SELECT cf, email FROM people WHERE cf = ANY($1)`, people)
			if err != nil {
				return fmt.Errorf("notify: read addresses: %w", err)
			}
			for rows.Next() {
				var cf, email string
				if err := rows.Scan(&cf, &email); err != nil {
					rows.Close()
					return err
				}
				emails[cf] = email
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
	}
	for _, it := range bt.items {
		if it.msg == nil {
			emails[it.person] = it.verified
			continue
		}
		queueMessage(bt.b, *it.msg, ChannelInbox, "")
		if !it.fresh {
			continue
		}
		if addr := emails[it.msg.PersonCF]; cfg.Email && addr != "" {
			queueMessage(bt.b, *it.msg, ChannelEmail, addr)
		}
		if cfg.IO {
			queueMessage(bt.b, *it.msg, ChannelIO, "")
		}
	}
	return nil
}

// queueMessage queues the outbox insert of m on channel. An inbox entry is
// delivered by being written.
func queueMessage(b *pgx.Batch, m Message, channel, address string) {
	status := StatusPending
	if channel == ChannelInbox {
		status = StatusSent
	}
	b.Queue(insertOutbox, MessageID(m.EventID, m.PersonCF, channel), m.EventID, m.PersonCF, channel, m.Kind, address,
		m.Title, m.Body, m.Ref, m.At, status)
}

const insertOutbox = `INSERT INTO notify.outbox (id, event_id, person_cf, channel, kind, address, title, body, ref, at, status, sent_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, CASE WHEN $11 = 'sent' THEN now() END)
ON CONFLICT DO NOTHING`
