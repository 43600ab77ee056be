package projections

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/inps/libretto/domain"
)

func TestPayslipFigures(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const iban = "IT60X0542811101000000123456"
	f.emit(ev{domain.WorkerStream("WITH"), domain.WorkerRegistered{WorkerCF: "WITH", IBAN: iban, Category: "altro"}})
	f.emit(ev{domain.WorkerStream("WITHOUT"), domain.WorkerRegistered{WorkerCF: "WITHOUT", Category: "altro"}})
	// March: run R1 pays WITHOUT for U1 (3 vouchers), U2's own services
	// (2) and those an heir inserted on U2's booklet (2); run R2, later in
	// March, for U1 again (1). April: run R3. WITH has an IBAN.
	f.emit(ev{domain.WorkerStream("WITHOUT"), workerPaid("R1", "2026-03-05", "",
		paid("a", "U1", false, 3, 3), paid("b", "U2", false, 2, 2), paid("c", "U2", true, 2, 1.5))})
	f.emit(ev{domain.WorkerStream("WITH"), workerPaid("R1", "2026-03-05", iban, paid("d", "U1", false, 1, 1))})
	f.emit(ev{domain.WorkerStream("WITHOUT"), workerPaid("R2", "2026-03-20", "", paid("e", "U1", false, 1, 1))})
	f.emit(ev{domain.WorkerStream("WITHOUT"), workerPaid("R3", "2026-04-15", "", paid("f", "U3", false, 2, 2))})
	f.sync()
	ctx := context.Background()

	row := func(run, on, user string, services, vouchers int, fee int64) PayslipPayment {
		v := int64(vouchers)
		return PayslipPayment{RunID: run, PaidOn: on, UserCF: user, PayslipFigures: PayslipFigures{Services: services, Vouchers: vouchers,
			NetCents: v * 800, IVSCents: v * 165, INAILCents: v * 25, FeeCents: fee, PaidCents: v*800 - fee}}
	}
	tests := []struct {
		name          string
		worker, month string
		want          Payslip
	}{
		{"two runs of one month are one payslip, one row per run and user, each run's fee on the statement's line with the largest net",
			"WITHOUT", "2026-03", Payslip{WorkerCF: "WITHOUT", Month: "2026-03", Payments: []PayslipPayment{
				// The fee goes where the statement puts it: on U1, whose 3
				// vouchers beat U2's own 2 and the heir's 2 on U2's booklet
				// (statement lines), though U2's row sums 4.
				row("R1", "2026-03-05", "U1", 1, 3, 260),
				row("R1", "2026-03-05", "U2", 2, 4, 0),
				row("R2", "2026-03-20", "U1", 1, 1, 260),
			}, Totals: PayslipFigures{Services: 4, Vouchers: 8, NetCents: 6400, IVSCents: 1320, INAILCents: 200, FeeCents: 520, PaidCents: 5880}}},
		{"a worker with an IBAN pays no fee", "WITH", "2026-03", Payslip{WorkerCF: "WITH", Month: "2026-03",
			Payments: []PayslipPayment{row("R1", "2026-03-05", "U1", 1, 1, 0)},
			Totals:   PayslipFigures{Services: 1, Vouchers: 1, NetCents: 800, IVSCents: 165, INAILCents: 25, PaidCents: 800}}},
		{"the month is that of the run date", "WITHOUT", "2026-04", Payslip{WorkerCF: "WITHOUT", Month: "2026-04",
			Payments: []PayslipPayment{row("R3", "2026-04-15", "U3", 1, 2, 260)},
			Totals:   PayslipFigures{Services: 1, Vouchers: 2, NetCents: 1600, IVSCents: 330, INAILCents: 50, FeeCents: 260, PaidCents: 1340}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.q.Payslip(ctx, tt.worker, tt.month)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
	// The March payslip agrees with the statement's March, and each user's
	// fees with its by_user.
	st, err := f.q.Statement(ctx, "WITHOUT", 2026)
	if err != nil {
		t.Fatal(err)
	}
	if m := st.ByMonth[0]; m.Month != 3 || m.NetCents != 6400 || m.FeesCents != 520 || m.PaidCents != 5880 {
		t.Errorf("statement's March %+v disagrees with the payslip", m)
	}
	for _, u := range st.ByUser {
		if want := map[string]int64{"U1": 520, "U2": 0, "U3": 260}[u.UserCF]; u.FeesCents != want {
			t.Errorf("statement charges %s %d of fees, the payslips %d", u.UserCF, u.FeesCents, want)
		}
	}
	if _, err := f.q.Payslip(ctx, "WITHOUT", "2026-05"); !errors.Is(err, ErrNotFound) {
		t.Errorf("payslip of a month without payments: %v, want ErrNotFound", err)
	}
	if _, err := f.q.Payslip(ctx, "NOBODY", "2026-03"); !errors.Is(err, ErrNotFound) {
		t.Errorf("payslip of an unknown worker: %v, want ErrNotFound", err)
	}
	for worker, want := range map[string][]string{"WITHOUT": {"2026-04", "2026-03"}, "WITH": {"2026-03"}, "NOBODY": {}} {
		got, err := f.q.PayslipMonths(ctx, worker)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("months of %s: %v, want %v (newest first)", worker, got, want)
		}
	}
}

// Over a random history the payslips of a worker's year add up, user by
// user, to that year's statement: the fee lands on the same user in both.
func TestPayslipsAddUpToTheStatementUserByUser(t *testing.T) {
	t.Parallel()
	pool, store, h := newMemoryHistory(t, 11, 1500)
	r := NewRunner(pool, store, quietLogger())
	r.BatchSize = 13
	startRunner(t, r)
	waitFor(t, r, h.last)
	rows, err := pool.Query(context.Background(), `
WITH s AS (
	SELECT worker_cf, year::text AS year, user_cf, sum(services) AS services, sum(vouchers) AS vouchers, sum(net_cents) AS net,
		sum(ivs_cents) AS ivs, sum(inail_cents) AS inail, sum(fees_cents) AS fees, sum(paid_cents) AS paid
	FROM rm_statements.lines GROUP BY 1, 2, 3
), p AS (
	SELECT worker_cf, left(month, 4) AS year, user_cf, sum(services) AS services, sum(vouchers) AS vouchers, sum(net_cents) AS net,
		sum(ivs_cents) AS ivs, sum(inail_cents) AS inail, sum(fee_cents) AS fees, sum(paid_cents) AS paid
	FROM rm_payslips.payments GROUP BY 1, 2, 3
)
SELECT (SELECT count(*) FROM s), (SELECT count(*) FROM s WHERE fees > 0),
	(SELECT count(*) FROM (SELECT * FROM s EXCEPT SELECT * FROM p) d) + (SELECT count(*) FROM (SELECT * FROM p EXCEPT SELECT * FROM s) d)`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var lines, withFees, differ int
		if err := rows.Scan(&lines, &withFees, &differ); err != nil {
			t.Fatal(err)
		}
		if lines < 10 || withFees == 0 {
			t.Fatalf("history too thin: %d worker-year-user lines, %d with fees", lines, withFees)
		}
		if differ != 0 {
			t.Errorf("%d worker-year-user sums differ between the payslips and the statements", differ)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}
