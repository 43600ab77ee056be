package projections

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/eventstore"
)

// PayslipsProjector keeps the monthly payslips (prospetti paga mensili) of
// workers. Frozen like the others: it names the schema rm_payslips.
const PayslipsProjector = "payslips"

// payslipsProjector keeps one row per worker, payroll run and user, folded
// from WorkerPaid: what that run paid the worker for that user's services
// (the user's own and those an heir inserted on their booklet together). A
// payslip is a worker's rows of one month of payment, the month of the run
// date.
//
// It is a projector of its own, not more tables of the statements one, so
// that a deployment that adds it fills it from the whole log by itself (its
// checkpoint starts at zero) instead of needing a rebuild of statements.
//
// The bonifico domiciliato fee, withheld once per payment (worker and run),
// goes on the row of the user who bears it in the annual statement (see
// feeBearer), so a payslip's rows add up to what the worker was paid and
// each user's fees agree with the statement's by_user.
type payslipsProjector struct{}

func (payslipsProjector) Name() string { return PayslipsProjector }

func (payslipsProjector) Setup(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `
CREATE TABLE IF NOT EXISTS payments (
	worker_cf   text NOT NULL,
	run_id      text NOT NULL,
	user_cf     text NOT NULL,
	month       text NOT NULL,
	paid_on     text NOT NULL,
	major       bigint NOT NULL,
	minor       bigint NOT NULL,
	services    integer NOT NULL,
	vouchers    integer NOT NULL,
	net_cents   bigint NOT NULL,
	ivs_cents   bigint NOT NULL,
	inail_cents bigint NOT NULL,
	fee_cents   bigint NOT NULL,
	paid_cents  bigint NOT NULL,
	PRIMARY KEY (worker_cf, run_id, user_cf)
);
CREATE INDEX IF NOT EXISTS payments_month ON payments (worker_cf, month)`)
	return err
}

type payslipKey struct {
	worker, run, user string
}

type payslipRow struct {
	month, paidOn              string
	major, minor               int64
	services, vouchers         int32
	net, ivs, inail, fee, paid int64
}

// payslipsBatch sums the rows of many payments in memory.
type payslipsBatch struct {
	rows  map[payslipKey]*payslipRow
	order []payslipKey
}

func (payslipsProjector) NewAccumulator() Accumulator {
	return &payslipsBatch{rows: map[payslipKey]*payslipRow{}}
}

func (payslipsProjector) Apply(ctx context.Context, tx pgx.Tx, events []eventstore.Event) error {
	return applyAccumulated(ctx, tx, payslipsProjector{}, events)
}

// Handles implements Selective: the types payslipsFolds folds.
func (payslipsProjector) Handles(eventType string) bool {
	return payslipsFolds.handles(eventType)
}

// payslipsFolds is how the payslips projector folds each event type it
// knows; Handles answers from it.
var payslipsFolds = foldsOf("worker", on((*payslipsBatch).foldWorkerPaid))

// Fold implements Accumulator.
func (a *payslipsBatch) Fold(events []eventstore.Event) error {
	return payslipsFolds.apply(a, events)
}

func (a *payslipsBatch) foldWorkerPaid(e eventstore.Event, worker string, v domain.WorkerPaid) error {
	year, month, err := yearMonth(v.RunDate)
	if err != nil {
		return fmt.Errorf("WorkerPaid at position %d: %w", e.Position, err)
	}
	row := func(user string) *payslipRow {
		k := payslipKey{worker, v.RunID, user}
		r := a.rows[k]
		if r == nil {
			// A run pays a worker once, so the row is new; should the log
			// ever hold a second payment of one run, its sums add up.
			r = &payslipRow{month: fmt.Sprintf("%04d-%02d", year, month), paidOn: v.RunDate,
				major: int64(e.Cursor.Major), minor: int64(e.Cursor.Minor)}
			a.rows[k] = r
			a.order = append(a.order, k)
		}
		return r
	}
	for _, s := range v.Services {
		r := row(s.UserCF)
		r.services++
		r.vouchers += int32(s.Vouchers)
		r.net += s.NetCents
		r.ivs += s.IVSCents
		r.inail += s.INAILCents
		r.paid += s.NetCents
	}
	if v.FeeCents != 0 && len(v.Services) > 0 {
		user, _ := feeBearer(v.Services)
		r := row(user)
		r.fee += v.FeeCents
		r.paid -= v.FeeCents
	}
	return nil
}

// Queue implements Accumulator.
func (a *payslipsBatch) Queue(b *pgx.Batch) error {
	n := len(a.order)
	if n == 0 {
		return nil
	}
	workers, runs, users, months, paidOn := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	majors, minors := make([]int64, n), make([]int64, n)
	services, vouchers := make([]int32, n), make([]int32, n)
	net, ivs, inail, fee, paid := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	for i, k := range a.order {
		r := a.rows[k]
		workers[i], runs[i], users[i], months[i], paidOn[i] = k.worker, k.run, k.user, r.month, r.paidOn
		majors[i], minors[i], services[i], vouchers[i] = r.major, r.minor, r.services, r.vouchers
		net[i], ivs[i], inail[i], fee[i], paid[i] = r.net, r.ivs, r.inail, r.fee, r.paid
	}
	queueChunked(b, `
INSERT INTO payments AS p (worker_cf, run_id, user_cf, month, paid_on, major, minor, services, vouchers,
	net_cents, ivs_cents, inail_cents, fee_cents, paid_cents)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::integer[], $9::integer[],
	$10::bigint[], $11::bigint[], $12::bigint[], $13::bigint[], $14::bigint[])
ON CONFLICT (worker_cf, run_id, user_cf) DO UPDATE SET
	services = p.services + excluded.services,
	vouchers = p.vouchers + excluded.vouchers,
	net_cents = p.net_cents + excluded.net_cents,
	ivs_cents = p.ivs_cents + excluded.ivs_cents,
	inail_cents = p.inail_cents + excluded.inail_cents,
	fee_cents = p.fee_cents + excluded.fee_cents,
	paid_cents = p.paid_cents + excluded.paid_cents`,
		workers, runs, users, months, paidOn, majors, minors, services, vouchers, net, ivs, inail, fee, paid)
	return nil
}
