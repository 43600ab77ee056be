package projections

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/eventstore"
)

// dashboardProjector keeps each booklet's money counters and its services.
// Committed money, cap usage and spending by month are sums over services,
// taken when the dashboard is read, so every row here only ever adds up or
// changes status: a batch folds into one upsert per table.
type dashboardProjector struct{}

func (dashboardProjector) Name() string { return DashboardProjector }

func (dashboardProjector) Setup(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `
CREATE TABLE IF NOT EXISTS booklets (
	user_cf         text PRIMARY KEY,
	registered      boolean NOT NULL,
	deposited_cents bigint NOT NULL,
	reserved_cents  bigint NOT NULL,
	refunded_cents  bigint NOT NULL,
	claims_attached integer NOT NULL,
	closed          boolean NOT NULL,
	date_of_death   text,
	pending_cents   bigint NOT NULL DEFAULT 0
);
-- Tables made before deposits could be pending: no deposit of theirs is.
ALTER TABLE booklets ADD COLUMN IF NOT EXISTS pending_cents bigint NOT NULL DEFAULT 0;
CREATE TABLE IF NOT EXISTS deposits (
	deposit_id   text PRIMARY KEY,
	user_cf      text NOT NULL,
	channel      text NOT NULL,
	paid_on      text NOT NULL,
	amount_cents bigint NOT NULL,
	status       text NOT NULL,
	recorded_at  timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS deposits_user ON deposits (user_cf);
CREATE TABLE IF NOT EXISTS notices (
	notice_number text PRIMARY KEY,
	iuv           text NOT NULL,
	user_cf       text NOT NULL,
	amount_cents  bigint NOT NULL,
	issued_on     text NOT NULL,
	expires_on    text NOT NULL,
	issued_at     timestamptz NOT NULL,
	paid_on       text,
	deposit_id    text
);
CREATE INDEX IF NOT EXISTS notices_user ON notices (user_cf);
CREATE TABLE IF NOT EXISTS services (
	service_id       text PRIMARY KEY,
	user_cf          text NOT NULL,
	worker_cf        text NOT NULL,
	activity         text NOT NULL,
	start_date       text NOT NULL,
	end_date         text NOT NULL,
	centi_hours      bigint NOT NULL,
	vouchers         integer NOT NULL,
	gross_cents      bigint NOT NULL,
	net_cents        bigint NOT NULL,
	user_cap_cents   bigint NOT NULL,
	year             integer NOT NULL,
	status           text NOT NULL,
	inserted_by_heir boolean NOT NULL,
	recorded_at      timestamptz NOT NULL,
	deadline         text NOT NULL
);
CREATE INDEX IF NOT EXISTS services_user ON services (user_cf, year);
CREATE INDEX IF NOT EXISTS services_unpaid ON services (user_cf) WHERE status = `+lit(domain.ServiceRecordedState))
	return err
}

// Deposit statuses, as the read models keep them: the domain's names.
var (
	DepositPending  = domain.DepositPendingStatus.String()
	DepositCredited = domain.DepositCreditedStatus.String()
)

// Service statuses, as the read models keep them: the domain's names.
var (
	StatusRecorded = domain.ServiceRecordedState.String()
	StatusRevoked  = domain.ServiceRevokedState.String()
	StatusReversed = domain.ServiceReversedState.String()
	StatusPaid     = domain.ServicePaidState.String()
)

type bookletDelta struct {
	registered                    bool
	deposited, reserved, refunded int64
	pending                       int64
	attached                      int32
	closed                        bool
	dodForce, dodIfUnset          *string
	dodClear                      bool // the death was withdrawn: the stored date goes, force and if_unset say what came after
}

// dashboardBatch folds events in memory: booklet sums as deltas, services
// first seen as rows in their final state, other services' final status.
type dashboardBatch struct {
	booklets     map[string]*bookletDelta
	bookletOrder []string
	added        []*domain.ServiceRecorded
	addedAt      map[string]int
	recordedAt   []time.Time
	addedStatus  []string
	updates      map[string]string
	updateOrder  []string

	deposits  []dashboardDeposit // first seen in this batch, in their final status
	depositAt map[string]int
	credited  []string // deposits of earlier batches credited in this one

	notices    []noticeRow // issued in this batch, paid or not
	noticeAt   map[string]int
	noticePaid []domain.PaymentNoticePaid // notices of earlier batches paid in this one
}

type noticeRow struct {
	domain.PaymentNoticeIssued
	at             time.Time
	paidOn, depoID *string
}

type dashboardDeposit struct {
	id, user, channel, paidOn, status string
	amount                            int64
	at                                time.Time
}

// addDeposit keeps a deposit first seen in the batch.
func (a *dashboardBatch) addDeposit(d dashboardDeposit) {
	a.depositAt[d.id] = len(a.deposits)
	a.deposits = append(a.deposits, d)
}

func (dashboardProjector) NewAccumulator() Accumulator {
	return &dashboardBatch{booklets: map[string]*bookletDelta{}, addedAt: map[string]int{}, updates: map[string]string{}, depositAt: map[string]int{}, noticeAt: map[string]int{}}
}

func (dashboardProjector) Apply(ctx context.Context, tx pgx.Tx, events []eventstore.Event) error {
	return applyAccumulated(ctx, tx, dashboardProjector{}, events)
}

func (a *dashboardBatch) delta(userCF string) *bookletDelta {
	d := a.booklets[userCF]
	if d == nil {
		d = &bookletDelta{}
		a.booklets[userCF] = d
		a.bookletOrder = append(a.bookletOrder, userCF)
	}
	return d
}

func (a *dashboardBatch) setStatus(serviceID, status string) {
	if i, ok := a.addedAt[serviceID]; ok {
		a.addedStatus[i] = status
		return
	}
	if _, ok := a.updates[serviceID]; !ok {
		a.updateOrder = append(a.updateOrder, serviceID)
	}
	a.updates[serviceID] = status
}

// Handles implements Selective: the types dashboardFolds folds.
func (dashboardProjector) Handles(eventType string) bool {
	return dashboardFolds.handles(eventType)
}

// Fold implements Accumulator.
func (a *dashboardBatch) Fold(events []eventstore.Event) error {
	return dashboardFolds.apply(a, events)
}

// dashboardFolds is how the dashboard projector folds each event type it
// knows, keyed by type; Handles answers from it, so the two cannot drift
// apart. userCF is the booklet stream's id (notice events carry their own).
var dashboardFolds = foldsOf("booklet",
	on(func(a *dashboardBatch, e eventstore.Event, _ string, v domain.PaymentNoticeIssued) error {
		a.noticeAt[v.NoticeNumber] = len(a.notices)
		a.notices = append(a.notices, noticeRow{PaymentNoticeIssued: v, at: e.OccurredAt})
		return nil
	}),
	on(func(a *dashboardBatch, e eventstore.Event, _ string, v domain.PaymentNoticePaid) error {
		if i, ok := a.noticeAt[v.NoticeNumber]; ok {
			a.notices[i].paidOn, a.notices[i].depoID = &v.PaidOn, &v.DepositID
			return nil
		}
		a.noticePaid = append(a.noticePaid, v)
		return nil
	}),
	on(func(a *dashboardBatch, e eventstore.Event, userCF string, _ domain.UserRegistered) error {
		a.delta(userCF).registered = true
		return nil
	}),
	on(func(a *dashboardBatch, e eventstore.Event, userCF string, v domain.DepositRecorded) error {
		a.delta(userCF).deposited += v.AmountCents
		a.addDeposit(dashboardDeposit{id: v.DepositID, user: userCF, channel: v.Channel, paidOn: v.PaidOn, status: DepositCredited, amount: v.AmountCents, at: e.OccurredAt})
		return nil
	}),
	on(func(a *dashboardBatch, e eventstore.Event, userCF string, v domain.PendingDepositRecorded) error {
		a.delta(userCF).pending += v.AmountCents
		a.addDeposit(dashboardDeposit{id: v.DepositID, user: userCF, channel: v.Channel, paidOn: v.PaidOn, status: DepositPending, amount: v.AmountCents, at: e.OccurredAt})
		return nil
	}),
	on(func(a *dashboardBatch, e eventstore.Event, userCF string, v domain.DepositCredited) error {
		d := a.delta(userCF)
		d.pending -= v.AmountCents
		d.deposited += v.AmountCents
		if i, ok := a.depositAt[v.DepositID]; ok {
			a.deposits[i].status = DepositCredited
		} else {
			a.credited = append(a.credited, v.DepositID)
		}
		return nil
	}),
	on(func(a *dashboardBatch, e eventstore.Event, userCF string, v domain.ServiceRecorded) error {
		if v.UserCF == "" {
			v.UserCF = userCF
		}
		a.addedAt[v.ServiceID] = len(a.added)
		a.added = append(a.added, &v)
		a.recordedAt = append(a.recordedAt, e.OccurredAt)
		a.addedStatus = append(a.addedStatus, StatusRecorded)
		return nil
	}),
	on(func(a *dashboardBatch, e eventstore.Event, userCF string, v domain.ServiceRevoked) error {
		a.setStatus(v.ServiceID, StatusRevoked)
		return nil
	}),
	on(func(a *dashboardBatch, e eventstore.Event, userCF string, v domain.ServiceReversed) error {
		a.setStatus(v.ServiceID, StatusReversed)
		return nil
	}),
	on(func(a *dashboardBatch, e eventstore.Event, userCF string, v domain.ServicePaid) error {
		a.setStatus(v.ServiceID, StatusPaid)
		return nil
	}),
	on(func(a *dashboardBatch, e eventstore.Event, userCF string, v domain.HeirClaimAttached) error {
		d := a.delta(userCF)
		d.attached++
		if d.dodForce == nil && d.dodIfUnset == nil {
			dod := v.DateOfDeath
			d.dodIfUnset = &dod
		}
		return nil
	}),
	on(func(a *dashboardBatch, e eventstore.Event, userCF string, _ domain.HeirClaimDetached) error {
		a.delta(userCF).attached--
		return nil
	}),
	on(func(a *dashboardBatch, e eventstore.Event, userCF string, _ domain.DateOfDeathWithdrawn) error {
		d := a.delta(userCF)
		d.dodClear, d.dodForce, d.dodIfUnset = true, nil, nil
		return nil
	}),
	on(func(a *dashboardBatch, e eventstore.Event, userCF string, v domain.DateOfDeathCorrected) error {
		dod := v.DateOfDeath
		a.delta(userCF).dodForce = &dod
		return nil
	}),
	on(func(a *dashboardBatch, e eventstore.Event, userCF string, v domain.RefundReserved) error {
		a.delta(userCF).reserved += v.AmountCents
		return nil
	}),
	on(func(a *dashboardBatch, e eventstore.Event, userCF string, v domain.RefundReservationReleased) error {
		a.delta(userCF).reserved -= v.AmountCents
		return nil
	}),
	on(func(a *dashboardBatch, e eventstore.Event, userCF string, v domain.RefundDisbursed) error {
		d := a.delta(userCF)
		d.reserved -= v.AmountCents
		d.refunded += v.AmountCents
		d.closed = true // as the booklet aggregate: a paid refund closes it for good
		return nil
	}),
)

// Queue implements Accumulator.
func (a *dashboardBatch) Queue(b *pgx.Batch) error {
	if n := len(a.bookletOrder); n > 0 {
		reg, closed := make([]bool, n), make([]bool, n)
		dep, res, ref, pen := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		att := make([]int32, n)
		var dodUsers []string
		var dodForce, dodIfUnset []*string
		var dodClear []bool
		for i, u := range a.bookletOrder {
			d := a.booklets[u]
			reg[i], closed[i], dep[i], res[i], ref[i], att[i], pen[i] = d.registered, d.closed, d.deposited, d.reserved, d.refunded, d.attached, d.pending
			if d.dodForce != nil || d.dodIfUnset != nil || d.dodClear {
				dodUsers = append(dodUsers, u)
				dodForce = append(dodForce, d.dodForce)
				dodIfUnset = append(dodIfUnset, d.dodIfUnset)
				dodClear = append(dodClear, d.dodClear)
			}
		}
		queueChunked(b, `
INSERT INTO booklets AS b (user_cf, registered, deposited_cents, reserved_cents, refunded_cents, claims_attached, closed, pending_cents)
SELECT * FROM unnest($1::text[], $2::boolean[], $3::bigint[], $4::bigint[], $5::bigint[], $6::integer[], $7::boolean[], $8::bigint[])
ON CONFLICT (user_cf) DO UPDATE SET
	registered = b.registered OR excluded.registered,
	deposited_cents = b.deposited_cents + excluded.deposited_cents,
	pending_cents = b.pending_cents + excluded.pending_cents,
	reserved_cents = b.reserved_cents + excluded.reserved_cents,
	refunded_cents = b.refunded_cents + excluded.refunded_cents,
	claims_attached = b.claims_attached + excluded.claims_attached,
	closed = b.closed OR excluded.closed`,
			a.bookletOrder, reg, dep, res, ref, att, closed, pen)
		if len(dodUsers) > 0 {
			queueChunked(b, `
UPDATE booklets b SET date_of_death = CASE WHEN x.clear THEN coalesce(x.force, x.if_unset)
	ELSE coalesce(x.force, b.date_of_death, x.if_unset) END
FROM unnest($1::text[], $2::text[], $3::text[], $4::boolean[]) AS x(user_cf, force, if_unset, clear)
WHERE b.user_cf = x.user_cf`, dodUsers, dodForce, dodIfUnset, dodClear)
		}
	}
	if n := len(a.added); n > 0 {
		ids, users, workers, acts, starts, ends, statuses, deadlines := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		hours, gross, net, capc := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		vouchers, years := make([]int32, n), make([]int32, n)
		heir := make([]bool, n)
		for i, s := range a.added {
			ids[i], users[i], workers[i], acts[i], starts[i], ends[i] = s.ServiceID, s.UserCF, s.WorkerCF, s.Activity, s.StartDate, s.EndDate
			statuses[i], deadlines[i] = a.addedStatus[i], s.Deadline
			hours[i], gross[i], net[i], capc[i] = centiHours(s.Hours), s.GrossCents, s.NetCents, s.UserCapCents
			vouchers[i], years[i], heir[i] = int32(s.Vouchers), int32(s.Year), s.ClaimID != ""
		}
		queueChunked(b, `
INSERT INTO services (service_id, user_cf, worker_cf, activity, start_date, end_date, centi_hours, vouchers,
	gross_cents, net_cents, user_cap_cents, year, status, inserted_by_heir, recorded_at, deadline)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::integer[],
	$9::bigint[], $10::bigint[], $11::bigint[], $12::integer[], $13::text[], $14::boolean[], $15::timestamptz[], $16::text[])`,
			ids, users, workers, acts, starts, ends, hours, vouchers, gross, net, capc, years, statuses, heir, a.recordedAt, deadlines)
	}
	if n := len(a.deposits); n > 0 {
		ids, users, channels, paidOn, statuses := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		amounts, at := make([]int64, n), make([]time.Time, n)
		for i, d := range a.deposits {
			ids[i], users[i], channels[i], paidOn[i], statuses[i], amounts[i], at[i] = d.id, d.user, d.channel, d.paidOn, d.status, d.amount, d.at
		}
		queueChunked(b, `
INSERT INTO deposits (deposit_id, user_cf, channel, paid_on, amount_cents, status, recorded_at)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::timestamptz[])`,
			ids, users, channels, paidOn, amounts, statuses, at)
	}
	if n := len(a.notices); n > 0 {
		nums, iuvs, users, issuedOn, expires := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		amounts, at := make([]int64, n), make([]time.Time, n)
		paidOn, deps := make([]*string, n), make([]*string, n)
		for i, x := range a.notices {
			nums[i], iuvs[i], users[i], issuedOn[i], expires[i] = x.NoticeNumber, x.IUV, x.UserCF, x.IssuedOn, x.ExpiresOn
			amounts[i], at[i], paidOn[i], deps[i] = x.AmountCents, x.at, x.paidOn, x.depoID
		}
		queueChunked(b, `
INSERT INTO notices (notice_number, iuv, user_cf, amount_cents, issued_on, expires_on, issued_at, paid_on, deposit_id)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::timestamptz[], $8::text[], $9::text[])`,
			nums, iuvs, users, amounts, issuedOn, expires, at, paidOn, deps)
	}
	if n := len(a.noticePaid); n > 0 {
		nums, paidOn, deps := make([]string, n), make([]string, n), make([]string, n)
		for i, p := range a.noticePaid {
			nums[i], paidOn[i], deps[i] = p.NoticeNumber, p.PaidOn, p.DepositID
		}
		queueChunked(b, `
UPDATE notices n SET paid_on = x.paid_on, deposit_id = x.deposit_id
FROM unnest($1::text[], $2::text[], $3::text[]) AS x(notice_number, paid_on, deposit_id)
WHERE n.notice_number = x.notice_number`, nums, paidOn, deps)
	}
	if len(a.credited) > 0 {
		queueChunked(b, `UPDATE deposits SET status = `+lit(domain.DepositCreditedStatus)+` WHERE deposit_id = ANY($1::text[])`, a.credited)
	}
	if n := len(a.updateOrder); n > 0 {
		statuses := make([]string, n)
		for i, id := range a.updateOrder {
			statuses[i] = a.updates[id]
		}
		queueChunked(b, `
UPDATE services s SET status = x.status
FROM unnest($1::text[], $2::text[]) AS x(service_id, status)
WHERE s.service_id = x.service_id`, a.updateOrder, statuses)
	}
	return nil
}
