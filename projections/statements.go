package projections

import (
	"context"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/eventstore"
)

// statementsProjector keeps the figures of the annual pay statements: one
// row per worker, year and month of payment, user and heir flag, folded from
// WorkerPaid events. A payment's year and month are those of its run date.
//
// The bonifico domiciliato fee is withheld once per payment; it belongs to
// the run's month and, in by_user, to the payment's user with the largest
// net (ties: the smaller CF, then the user's own services before those an
// heir inserted), so that every line's paid = net − fees and the lines add
// up to what the worker was paid.
type statementsProjector struct{}

func (statementsProjector) Name() string { return StatementsProjector }

func (statementsProjector) Setup(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `
CREATE TABLE IF NOT EXISTS workers (
	worker_cf text PRIMARY KEY
);
CREATE TABLE IF NOT EXISTS lines (
	worker_cf        text NOT NULL,
	year             integer NOT NULL,
	month            integer NOT NULL,
	user_cf          text NOT NULL,
	inserted_by_heir boolean NOT NULL,
	services         integer NOT NULL,
	centi_hours      bigint NOT NULL,
	vouchers         integer NOT NULL,
	gross_cents      bigint NOT NULL,
	net_cents        bigint NOT NULL,
	ivs_cents        bigint NOT NULL,
	inail_cents      bigint NOT NULL,
	fees_cents       bigint NOT NULL,
	paid_cents       bigint NOT NULL,
	PRIMARY KEY (worker_cf, year, month, user_cf, inserted_by_heir)
)`)
	return err
}

type lineKey struct {
	worker      string
	year, month int
	user        string
	heir        bool
}

type lineSums struct {
	services, vouchers                        int32
	hours, gross, net, ivs, inail, fees, paid int64
}

// statementsBatch sums the lines of many payments in memory.
type statementsBatch struct {
	sums       map[lineKey]*lineSums
	order      []lineKey
	registered []string
}

func (statementsProjector) NewAccumulator() Accumulator {
	return &statementsBatch{sums: map[lineKey]*lineSums{}}
}

func (statementsProjector) Apply(ctx context.Context, tx pgx.Tx, events []eventstore.Event) error {
	return applyAccumulated(ctx, tx, statementsProjector{}, events)
}

// Handles implements Selective: the types statementsFolds folds.
func (statementsProjector) Handles(eventType string) bool {
	return statementsFolds.handles(eventType)
}

// Fold implements Accumulator.
func (a *statementsBatch) Fold(events []eventstore.Event) error {
	return statementsFolds.apply(a, events)
}

// statementsFolds is how the statements projector folds each event type it
// knows, keyed by type; Handles answers from it, so the two cannot drift
// apart.
var statementsFolds = foldsOf("worker",
	on(func(a *statementsBatch, _ eventstore.Event, worker string, _ domain.WorkerRegistered) error {
		a.registered = append(a.registered, worker)
		return nil
	}),
	on((*statementsBatch).foldWorkerPaid),
)

func (a *statementsBatch) foldWorkerPaid(e eventstore.Event, worker string, v domain.WorkerPaid) error {
	year, month, err := yearMonth(v.RunDate)
	if err != nil {
		return fmt.Errorf("WorkerPaid at position %d: %w", e.Position, err)
	}
	for _, s := range v.Services {
		k := lineKey{worker, year, month, s.UserCF, s.InsertedByHeir}
		l := a.sums[k]
		if l == nil {
			l = &lineSums{}
			a.sums[k] = l
			a.order = append(a.order, k)
		}
		l.services++
		l.hours += centiHours(s.Hours)
		l.vouchers += int32(s.Vouchers)
		l.gross += s.GrossCents
		l.net += s.NetCents
		l.ivs += s.IVSCents
		l.inail += s.INAILCents
		l.paid += s.NetCents
	}
	if v.FeeCents != 0 && len(v.Services) > 0 {
		user, heir := feeBearer(v.Services)
		l := a.sums[lineKey{worker, year, month, user, heir}]
		l.fees += v.FeeCents
		l.paid -= v.FeeCents
	}
	return nil
}

// feeBearer is the user, and whether for services an heir inserted, whose
// line of a payment bears its bonifico domiciliato fee: the largest net of
// the payment, ties to the smaller CF, then the user's own services before
// an heir's. The statements and the payslips both charge the fee by it, so a
// user's fees agree between them. services is not empty.
func feeBearer(services []domain.PaidService) (user string, heir bool) {
	type line struct {
		user string
		heir bool
	}
	net := map[line]int64{}
	var lines []line
	for _, s := range services {
		l := line{s.UserCF, s.InsertedByHeir}
		if _, ok := net[l]; !ok {
			lines = append(lines, l)
		}
		net[l] += s.NetCents
	}
	best := lines[0]
	for _, l := range lines[1:] {
		switch {
		case net[l] != net[best]:
			if net[l] > net[best] {
				best = l
			}
		case l.user != best.user:
			if l.user < best.user {
				best = l
			}
		case !l.heir && best.heir:
			best = l
		}
	}
	return best.user, best.heir
}

// Queue implements Accumulator.
func (a *statementsBatch) Queue(b *pgx.Batch) error {
	if len(a.registered) > 0 {
		queueChunked(b, `INSERT INTO workers (worker_cf) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING`, a.registered)
	}
	if n := len(a.order); n > 0 {
		workers, users := make([]string, n), make([]string, n)
		years, months, services, vouchers := make([]int32, n), make([]int32, n), make([]int32, n), make([]int32, n)
		heir := make([]bool, n)
		hours, gross, net, ivs, inail, fees, paid := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		for i, k := range a.order {
			l := a.sums[k]
			workers[i], years[i], months[i], users[i], heir[i] = k.worker, int32(k.year), int32(k.month), k.user, k.heir
			services[i], vouchers[i] = l.services, l.vouchers
			hours[i], gross[i], net[i], ivs[i], inail[i], fees[i], paid[i] = l.hours, l.gross, l.net, l.ivs, l.inail, l.fees, l.paid
		}
		queueChunked(b, `
INSERT INTO lines AS l (worker_cf, year, month, user_cf, inserted_by_heir, services, centi_hours, vouchers,
	gross_cents, net_cents, ivs_cents, inail_cents, fees_cents, paid_cents)
SELECT * FROM unnest($1::text[], $2::integer[], $3::integer[], $4::text[], $5::boolean[], $6::integer[], $7::bigint[], $8::integer[],
	$9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[], $13::bigint[], $14::bigint[])
ON CONFLICT (worker_cf, year, month, user_cf, inserted_by_heir) DO UPDATE SET
	services = l.services + excluded.services,
	centi_hours = l.centi_hours + excluded.centi_hours,
	vouchers = l.vouchers + excluded.vouchers,
	gross_cents = l.gross_cents + excluded.gross_cents,
	net_cents = l.net_cents + excluded.net_cents,
	ivs_cents = l.ivs_cents + excluded.ivs_cents,
	inail_cents = l.inail_cents + excluded.inail_cents,
	fees_cents = l.fees_cents + excluded.fees_cents,
	paid_cents = l.paid_cents + excluded.paid_cents`,
			workers, years, months, users, heir, services, hours, vouchers, gross, net, ivs, inail, fees, paid)
	}
	return nil
}

// yearMonth reads the year and month of a civil date "YYYY-MM-DD".
func yearMonth(date string) (int, int, error) {
	if len(date) < 7 || date[4] != '-' {
		return 0, 0, fmt.Errorf("bad date %q", date)
	}
	y, err1 := strconv.Atoi(date[:4])
	m, err2 := strconv.Atoi(date[5:7])
	if err1 != nil || err2 != nil || m < 1 || m > 12 {
		return 0, 0, fmt.Errorf("bad date %q", date)
	}
	return y, m, nil
}
