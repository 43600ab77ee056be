package projections

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/inps/libretto/domain"
)

// PGQueries answers the read-model queries from the live tables.
type PGQueries struct {
	pool   *pgxpool.Pool
	runner *Runner
}

var _ Queries = (*PGQueries)(nil)

// Queries returns the runner's read-model queries.
func (r *Runner) Queries() Queries { return r.PGQueries() }

// PGQueries returns the concrete queries, which also implement
// commands.UnpaidBooklets.
func (r *Runner) PGQueries() *PGQueries { return &PGQueries{pool: r.pool, runner: r} }

// WaitFor implements Queries; see Runner.WaitFor.
func (q *PGQueries) WaitFor(ctx context.Context, position int64) error {
	return q.runner.WaitFor(ctx, position)
}

func table(projector, name string) string {
	return pgx.Identifier{SchemaOf(projector), name}.Sanitize()
}

// lit is a status as an SQL literal. A literal rather than a parameter, so
// that the planner matches the partial indexes on status; the domain's
// status names are plain words, quoted all the same.
func lit(status fmt.Stringer) string {
	return "'" + strings.ReplaceAll(status.String(), "'", "''") + "'"
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// Claim implements Queries.
func (q *PGQueries) Claim(ctx context.Context, claimID string) (Claim, error) {
	claims, err := q.claims(ctx, `claim_id = $1`, claimID)
	if err != nil {
		return Claim{}, err
	}
	if len(claims) == 0 {
		return Claim{}, ErrNotFound
	}
	return claims[0], nil
}

// ClaimsByHeir implements Queries: the heir's claims, oldest first.
func (q *PGQueries) ClaimsByHeir(ctx context.Context, heirCF string) ([]Claim, error) {
	return q.claims(ctx, `heir_cf = $1`, heirCF)
}

func (q *PGQueries) claims(ctx context.Context, where string, arg string) ([]Claim, error) {
	rows, err := q.pool.Query(ctx, `
SELECT c.claim_id, c.heir_cf, c.deceased_cf, c.date_of_death, c.heir_kind, c.status, c.will, c.registered_at,
	r.refund_id, r.amount_cents, r.iban, r.status
FROM `+table(ClaimsProjector, "claims")+` c
LEFT JOIN LATERAL (
	SELECT * FROM `+table(ClaimsProjector, "refunds")+` r WHERE r.claim_id = c.claim_id
	ORDER BY r.status = `+lit(domain.RefundRejectedState)+`, r.requested_at DESC LIMIT 1
) r ON true
WHERE c.`+where+`
ORDER BY c.registered_at, c.claim_id`, arg)
	if err != nil {
		return nil, fmt.Errorf("projections: claims: %w", err)
	}
	var out []Claim
	index := map[string]int{}
	for rows.Next() {
		var c Claim
		var will []byte
		var at time.Time
		var refundID, iban, status *string
		var amount *int64
		if err := rows.Scan(&c.ClaimID, &c.HeirCF, &c.DeceasedCF, &c.DateOfDeath, &c.HeirKind, &c.Status, &will, &at,
			&refundID, &amount, &iban, &status); err != nil {
			return nil, fmt.Errorf("projections: claims: %w", err)
		}
		c.RegisteredAt = rfc3339(at)
		if len(will) > 0 {
			c.Will = &WillRef{}
			if err := json.Unmarshal(will, c.Will); err != nil {
				return nil, fmt.Errorf("projections: claim will: %w", err)
			}
		}
		if refundID != nil {
			c.Refund = &Refund{RefundID: *refundID, AmountCents: *amount, IBAN: *iban, Status: *status}
		}
		c.PriorServices = []PriorService{}
		index[c.ClaimID] = len(out)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("projections: claims: %w", err)
	}
	if len(out) == 0 {
		return []Claim{}, nil
	}
	ids := make([]string, len(out))
	for i, c := range out {
		ids[i] = c.ClaimID
	}
	rows, err = q.pool.Query(ctx, `
SELECT claim_id, service_id, worker_cf, activity, start_date, end_date, centi_hours, vouchers, status
FROM `+table(ClaimsProjector, "prior_services")+`
WHERE claim_id = ANY($1) ORDER BY claim_id, major, minor`, ids)
	if err != nil {
		return nil, fmt.Errorf("projections: prior services: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var claimID string
		var p PriorService
		var hours int64
		if err := rows.Scan(&claimID, &p.ServiceID, &p.WorkerCF, &p.Activity, &p.StartDate, &p.EndDate, &hours, &p.Vouchers, &p.Status); err != nil {
			return nil, fmt.Errorf("projections: prior services: %w", err)
		}
		p.Hours = hoursOf(hours)
		c := &out[index[claimID]]
		p.Held = p.Status == domain.ServiceRecordedState.String() && c.Status != domain.ClaimValidated.String()
		c.PriorServices = append(c.PriorServices, p)
	}
	return out, rows.Err()
}

// History implements Queries: the claim's operations in log order.
func (q *PGQueries) History(ctx context.Context, claimID string) (History, error) {
	var exists bool
	if err := q.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+table(ClaimsProjector, "claims")+` WHERE claim_id = $1)`, claimID).Scan(&exists); err != nil {
		return History{}, fmt.Errorf("projections: history: %w", err)
	}
	if !exists {
		return History{}, ErrNotFound
	}
	rows, err := q.pool.Query(ctx, `SELECT at, operation, details FROM `+table(ClaimsProjector, "history")+`
WHERE claim_id = $1 ORDER BY major, minor`, claimID)
	if err != nil {
		return History{}, fmt.Errorf("projections: history: %w", err)
	}
	defer rows.Close()
	h := History{ClaimID: claimID, Entries: []HistoryEntry{}}
	for rows.Next() {
		var e HistoryEntry
		var at time.Time
		if err := rows.Scan(&at, &e.Operation, &e.Details); err != nil {
			return History{}, fmt.Errorf("projections: history: %w", err)
		}
		e.At = rfc3339(at)
		h.Entries = append(h.Entries, e)
	}
	return h, rows.Err()
}

// Statement implements Queries. A registered worker with no payment in the
// year gets a statement of zeros; an unknown worker ErrNotFound.
func (q *PGQueries) Statement(ctx context.Context, workerCF string, year int) (Statement, error) {
	var known bool
	if err := q.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+table(StatementsProjector, "workers")+` WHERE worker_cf = $1)
		OR EXISTS (SELECT 1 FROM `+table(StatementsProjector, "lines")+` WHERE worker_cf = $1)`, workerCF).Scan(&known); err != nil {
		return Statement{}, fmt.Errorf("projections: statement: %w", err)
	}
	if !known {
		return Statement{}, ErrNotFound
	}
	rows, err := q.pool.Query(ctx, `
SELECT month, user_cf, inserted_by_heir, services, centi_hours, vouchers, gross_cents, net_cents, ivs_cents, inail_cents, fees_cents, paid_cents
FROM `+table(StatementsProjector, "lines")+` WHERE worker_cf = $1 AND year = $2
ORDER BY month, user_cf, inserted_by_heir`, workerCF, year)
	if err != nil {
		return Statement{}, fmt.Errorf("projections: statement: %w", err)
	}
	defer rows.Close()
	st := Statement{WorkerCF: workerCF, Year: year, ByUser: []StatementByUser{}, ByMonth: []StatementByMonth{}}
	type userKey struct {
		cf   string
		heir bool
	}
	users := map[userKey]int{}
	var hours int64
	userHours := map[userKey]int64{}
	monthHours := map[int]int64{}
	for rows.Next() {
		var month int
		var k userKey
		var f StatementFigures
		var h int64
		if err := rows.Scan(&month, &k.cf, &k.heir, &f.Services, &h, &f.Vouchers, &f.GrossCents, &f.NetCents, &f.IVSCents, &f.INAILCents, &f.FeesCents, &f.PaidCents); err != nil {
			return Statement{}, fmt.Errorf("projections: statement: %w", err)
		}
		addFigures(&st.Totals, f)
		hours += h
		if n := len(st.ByMonth); n == 0 || st.ByMonth[n-1].Month != month {
			st.ByMonth = append(st.ByMonth, StatementByMonth{Month: month})
		}
		addFigures(&st.ByMonth[len(st.ByMonth)-1].StatementFigures, f)
		monthHours[month] += h
		i, ok := users[k]
		if !ok {
			i = len(st.ByUser)
			users[k] = i
			st.ByUser = append(st.ByUser, StatementByUser{UserCF: k.cf, InsertedByHeir: k.heir})
		}
		addFigures(&st.ByUser[i].StatementFigures, f)
		userHours[k] += h
	}
	if err := rows.Err(); err != nil {
		return Statement{}, fmt.Errorf("projections: statement: %w", err)
	}
	// Hours are summed as integer hundredths and converted once.
	st.Totals.Hours = hoursOf(hours)
	for i := range st.ByMonth {
		st.ByMonth[i].Hours = hoursOf(monthHours[st.ByMonth[i].Month])
	}
	for k, i := range users {
		st.ByUser[i].Hours = hoursOf(userHours[k])
	}
	sortByUser(st.ByUser)
	return st, nil
}

// Payslip implements Queries.
func (q *PGQueries) Payslip(ctx context.Context, workerCF, month string) (Payslip, error) {
	rows, err := q.pool.Query(ctx, `
SELECT run_id, paid_on, user_cf, services, vouchers, net_cents, ivs_cents, inail_cents, fee_cents, paid_cents
FROM `+table(PayslipsProjector, "payments")+` WHERE worker_cf = $1 AND month = $2
ORDER BY paid_on, major, minor, user_cf`, workerCF, month)
	if err != nil {
		return Payslip{}, fmt.Errorf("projections: payslip: %w", err)
	}
	defer rows.Close()
	p := Payslip{WorkerCF: workerCF, Month: month, Payments: []PayslipPayment{}}
	for rows.Next() {
		var r PayslipPayment
		if err := rows.Scan(&r.RunID, &r.PaidOn, &r.UserCF, &r.Services, &r.Vouchers, &r.NetCents, &r.IVSCents, &r.INAILCents, &r.FeeCents, &r.PaidCents); err != nil {
			return Payslip{}, fmt.Errorf("projections: payslip: %w", err)
		}
		t := &p.Totals
		t.Services += r.Services
		t.Vouchers += r.Vouchers
		t.NetCents += r.NetCents
		t.IVSCents += r.IVSCents
		t.INAILCents += r.INAILCents
		t.FeeCents += r.FeeCents
		t.PaidCents += r.PaidCents
		p.Payments = append(p.Payments, r)
	}
	if err := rows.Err(); err != nil {
		return Payslip{}, fmt.Errorf("projections: payslip: %w", err)
	}
	if len(p.Payments) == 0 {
		return Payslip{}, ErrNotFound
	}
	return p, nil
}

// PayslipMonths implements Queries.
func (q *PGQueries) PayslipMonths(ctx context.Context, workerCF string) ([]string, error) {
	rows, err := q.pool.Query(ctx, `SELECT DISTINCT month FROM `+table(PayslipsProjector, "payments")+` WHERE worker_cf = $1 ORDER BY month DESC`, workerCF)
	if err != nil {
		return nil, fmt.Errorf("projections: payslip months: %w", err)
	}
	months, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("projections: payslip months: %w", err)
	}
	if months == nil {
		months = []string{}
	}
	return months, nil
}

func addFigures(t *StatementFigures, f StatementFigures) {
	t.Services += f.Services
	t.Vouchers += f.Vouchers
	t.GrossCents += f.GrossCents
	t.NetCents += f.NetCents
	t.IVSCents += f.IVSCents
	t.INAILCents += f.INAILCents
	t.FeesCents += f.FeesCents
	t.PaidCents += f.PaidCents
}

func sortByUser(s []StatementByUser) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && lessUser(s[j], s[j-1]); j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func lessUser(a, b StatementByUser) bool {
	if a.UserCF != b.UserCF {
		return a.UserCF < b.UserCF
	}
	return !a.InsertedByHeir && b.InsertedByHeir
}

// Dashboard implements Queries. Committed money is the gross of the services
// recorded or paid (revoked and reversed ones released theirs); caps and
// spending are those of the calendar year of today, by the year of each
// service and the month of its end date.
func (q *PGQueries) Dashboard(ctx context.Context, userCF string, today string) (Dashboard, error) {
	year, _, err := yearMonth(today)
	if err != nil {
		return Dashboard{}, fmt.Errorf("projections: dashboard: today: %w", err)
	}
	day, err := domain.ParseDate(today, "today")
	if err != nil {
		return Dashboard{}, fmt.Errorf("projections: dashboard: today: %w", err)
	}
	d := Dashboard{UserCF: userCF, Services: []DashboardService{}, Deposits: []DashboardDeposit{}, Spending: []MonthSpend{}}
	// The booklet and its services in one round trip; committed money is
	// summed from the services read rather than by a second scan of them.
	var b pgx.Batch
	b.Queue(`
SELECT b.deposited_cents, b.reserved_cents, b.refunded_cents, b.closed, b.date_of_death, b.pending_cents
FROM `+table(DashboardProjector, "booklets")+` b WHERE b.user_cf = $1 AND b.registered`, userCF)
	b.Queue(`
SELECT deposit_id, channel, paid_on, amount_cents, status
FROM `+table(DashboardProjector, "deposits")+` WHERE user_cf = $1
ORDER BY paid_on DESC, recorded_at DESC, deposit_id`, userCF)
	b.Queue(`
SELECT service_id, worker_cf, activity, start_date, end_date, centi_hours, vouchers, gross_cents, net_cents,
	user_cap_cents, year, status, inserted_by_heir, recorded_at, deadline
FROM `+table(DashboardProjector, "services")+` WHERE user_cf = $1
ORDER BY recorded_at DESC, service_id`, userCF)
	br := q.pool.SendBatch(ctx, &b)
	defer br.Close()
	var closed bool
	var dod *string
	err = br.QueryRow().Scan(&d.Booklet.DepositedCents, &d.Booklet.ReservedCents, &d.Booklet.RefundedCents, &closed, &dod, &d.Booklet.PendingCents)
	if errors.Is(err, pgx.ErrNoRows) {
		return Dashboard{}, ErrNotFound
	}
	if err != nil {
		return Dashboard{}, fmt.Errorf("projections: dashboard: %w", err)
	}
	deps, err := br.Query()
	if err != nil {
		return Dashboard{}, fmt.Errorf("projections: dashboard deposits: %w", err)
	}
	d.Deposits, err = pgx.CollectRows(deps, func(row pgx.CollectableRow) (DashboardDeposit, error) {
		var x DashboardDeposit
		err := row.Scan(&x.DepositID, &x.Channel, &x.PaidOn, &x.AmountCents, &x.Status)
		return x, err
	})
	if err != nil {
		return Dashboard{}, fmt.Errorf("projections: dashboard deposits: %w", err)
	}
	bk := &d.Booklet
	// As the booklet aggregate: the first claim sets the owner deceased;
	// rejecting every heir who declared the death withdraws it
	// (DateOfDeathWithdrawn clears the date) and the booklet is active
	// again; the paid refund closes the booklet, which keeps its date of
	// death.
	status := domain.BookletActive
	switch {
	case closed:
		status = domain.BookletClosed
	case dod != nil:
		status = domain.BookletOwnerDeceased
	}
	bk.Status = status.String()
	bk.RefundHeld = domain.RefundHeld(bk.ReservedCents, bk.RefundedCents, status)
	if dod != nil {
		bk.DateOfDeath = *dod
	}

	rows, err := br.Query()
	if err != nil {
		return Dashboard{}, fmt.Errorf("projections: dashboard services: %w", err)
	}
	defer rows.Close()
	d.Caps = Caps{Year: year, UserCapCents: domain.UserCap, PerWorker: []WorkerCap{}}
	perWorker := map[string]int{}
	spend := map[int]int64{}
	for rows.Next() {
		var s DashboardService
		var hours, capCents int64
		var syear int
		var at time.Time
		var deadline string
		if err := rows.Scan(&s.ServiceID, &s.WorkerCF, &s.Activity, &s.StartDate, &s.EndDate, &hours, &s.Vouchers,
			&s.GrossCents, &s.NetCents, &capCents, &syear, &s.Status, &s.InsertedByHeir, &at, &deadline); err != nil {
			return Dashboard{}, fmt.Errorf("projections: dashboard services: %w", err)
		}
		s.Hours = hoursOf(hours)
		s.RecordedAt = rfc3339(at)
		if s.Status == StatusRecorded {
			s.RevocableUntil = deadline
		}
		state, _ := domain.ServiceStateOf(s.Status)
		due, _ := domain.ParseDate(deadline, "") // none for a prior service, which is not revocable
		s.CanRevoke = domain.ServiceRevocable(state, s.InsertedByHeir, due, day)
		d.Services = append(d.Services, s)
		if s.Status != StatusRecorded && s.Status != StatusPaid {
			continue // revoked and reversed services released their money
		}
		bk.CommittedCents += s.GrossCents
		if syear != year {
			continue
		}
		d.Caps.UserNetCents += capCents
		i, ok := perWorker[s.WorkerCF]
		if !ok {
			i = len(d.Caps.PerWorker)
			perWorker[s.WorkerCF] = i
			d.Caps.PerWorker = append(d.Caps.PerWorker, WorkerCap{WorkerCF: s.WorkerCF, CapCents: domain.WorkerForUserCap})
		}
		d.Caps.PerWorker[i].NetCents += s.NetCents
		if _, m, err := yearMonth(s.EndDate); err == nil {
			spend[m] += s.GrossCents
		}
	}
	if err := rows.Err(); err != nil {
		return Dashboard{}, fmt.Errorf("projections: dashboard services: %w", err)
	}
	rows.Close()
	if err := br.Close(); err != nil {
		return Dashboard{}, fmt.Errorf("projections: dashboard: %w", err)
	}
	bk.AvailableCents = bk.DepositedCents - bk.CommittedCents - bk.ReservedCents - bk.RefundedCents
	sortWorkerCaps(d.Caps.PerWorker)
	for m := 1; m <= 12; m++ {
		if g, ok := spend[m]; ok {
			d.Spending = append(d.Spending, MonthSpend{Month: m, GrossCents: g})
		}
	}
	for _, p := range q.runner.projectors {
		if c, ok := p.(DashboardContributor); ok {
			if err := c.ContributeDashboard(ctx, q.pool, userCF, today, &d); err != nil {
				return Dashboard{}, fmt.Errorf("projections: dashboard %s: %w", p.Name(), err)
			}
		}
	}
	return d, nil
}

func sortWorkerCaps(s []WorkerCap) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j].WorkerCF < s[j-1].WorkerCF; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// Worklist implements Queries: claims awaiting validation, refunds awaiting
// approval and approved refunds awaiting payment, oldest first.
func (q *PGQueries) Worklist(ctx context.Context) (Worklist, error) {
	w := Worklist{RefundsToApprove: []WorklistRefund{}, RefundsToPay: []WorklistRefund{}}
	rows, err := q.pool.Query(ctx, worklistClaims+` ORDER BY registered_at, claim_id`)
	if err != nil {
		return Worklist{}, fmt.Errorf("projections: worklist: %w", err)
	}
	if w.ClaimsToValidate, err = collectClaims(rows); err != nil {
		return Worklist{}, fmt.Errorf("projections: worklist: %w", err)
	}
	rows, err = q.pool.Query(ctx, worklistRefunds+` WHERE r.status IN (`+lit(domain.RefundRequestedState)+`, `+lit(domain.RefundApprovedState)+`) ORDER BY r.requested_at, r.refund_id`)
	if err != nil {
		return Worklist{}, fmt.Errorf("projections: worklist: %w", err)
	}
	refunds, err := collectRefunds(rows)
	if err != nil {
		return Worklist{}, fmt.Errorf("projections: worklist: %w", err)
	}
	for _, r := range refunds {
		if r.Status == domain.RefundRequestedState.String() {
			w.RefundsToApprove = append(w.RefundsToApprove, r)
		} else {
			w.RefundsToPay = append(w.RefundsToPay, r)
		}
	}
	return w, nil
}

// worklistClaims and worklistRefunds select the worklist's rows, to be
// completed with a condition and an order; collectClaims and collectRefunds
// read them.
var (
	worklistClaims = `SELECT claim_id, heir_cf, deceased_cf, date_of_death, heir_kind, registered_at
FROM ` + table(ClaimsProjector, "claims") + ` WHERE status = ` + lit(domain.ClaimRegistered)
	worklistRefunds = `SELECT r.refund_id, r.claim_id, c.heir_cf, c.deceased_cf, r.amount_cents, r.iban, r.status, c.status, r.requested_at, r.approved_by
FROM ` + table(ClaimsProjector, "refunds") + ` r JOIN ` + table(ClaimsProjector, "claims") + ` c USING (claim_id)`
)

func collectClaims(rows pgx.Rows) ([]WorklistClaim, error) {
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (WorklistClaim, error) {
		var c WorklistClaim
		var at time.Time
		err := row.Scan(&c.ClaimID, &c.HeirCF, &c.DeceasedCF, &c.DateOfDeath, &c.HeirKind, &at)
		c.RegisteredAt = rfc3339(at)
		return c, err
	})
	if out == nil && err == nil {
		out = []WorklistClaim{}
	}
	return out, err
}

func collectRefunds(rows pgx.Rows) ([]WorklistRefund, error) {
	out, err := pgx.CollectRows(rows, scanRefund)
	if out == nil && err == nil {
		out = []WorklistRefund{}
	}
	return out, err
}

func scanRefund(row pgx.CollectableRow) (WorklistRefund, error) {
	var r WorklistRefund
	var at time.Time
	err := row.Scan(&r.RefundID, &r.ClaimID, &r.HeirCF, &r.DeceasedCF, &r.AmountCents, &r.IBAN, &r.Status, &r.ClaimStatus, &at, &r.ApprovedBy)
	r.RequestedAt = rfc3339(at)
	return r, err
}

// WorklistWindow implements Queries: it counts the three lists, then reads
// only the rows of each that fall in the window (LIMIT/OFFSET on the
// indexes the worklist is ordered by), in one round trip after the count.
func (q *PGQueries) WorklistWindow(ctx context.Context, offset, limit int) (WorklistWindow, error) {
	w := WorklistWindow{Worklist: Worklist{ClaimsToValidate: []WorklistClaim{}, RefundsToApprove: []WorklistRefund{}, RefundsToPay: []WorklistRefund{}}}
	claims, refunds := table(ClaimsProjector, "claims"), table(ClaimsProjector, "refunds")
	err := q.pool.QueryRow(ctx, `SELECT
	(SELECT count(*) FROM `+claims+` WHERE status = `+lit(domain.ClaimRegistered)+`),
	(SELECT count(*) FROM `+refunds+` WHERE status = `+lit(domain.RefundRequestedState)+`),
	(SELECT count(*) FROM `+refunds+` WHERE status = `+lit(domain.RefundApprovedState)+`)`).Scan(&w.Totals[0], &w.Totals[1], &w.Totals[2])
	if err != nil {
		return WorklistWindow{}, fmt.Errorf("projections: worklist: %w", err)
	}
	// The window [offset, offset+limit) of the queue, cut into each list's
	// own [lo, hi).
	var lo, hi [3]int
	start := 0
	for i, n := range w.Totals {
		lo[i] = min(max(offset-start, 0), n)
		hi[i] = min(max(offset+limit-start, 0), n)
		start += n
	}
	var b pgx.Batch
	if hi[0] > lo[0] {
		b.Queue(worklistClaims+` ORDER BY registered_at, claim_id LIMIT $1 OFFSET $2`, hi[0]-lo[0], lo[0])
	}
	refundsOf := worklistRefunds + ` WHERE r.status = $1 ORDER BY r.requested_at, r.refund_id LIMIT $2 OFFSET $3`
	for i, status := range []string{domain.RefundRequestedState.String(), domain.RefundApprovedState.String()} {
		if hi[i+1] > lo[i+1] {
			b.Queue(refundsOf, status, hi[i+1]-lo[i+1], lo[i+1])
		}
	}
	if b.Len() == 0 {
		return w, nil
	}
	br := q.pool.SendBatch(ctx, &b)
	defer br.Close()
	if hi[0] > lo[0] {
		rows, err := br.Query()
		if err == nil {
			w.ClaimsToValidate, err = collectClaims(rows)
		}
		if err != nil {
			return WorklistWindow{}, fmt.Errorf("projections: worklist: %w", err)
		}
	}
	for i, list := range []*[]WorklistRefund{&w.RefundsToApprove, &w.RefundsToPay} {
		if hi[i+1] <= lo[i+1] {
			continue
		}
		rows, err := br.Query()
		if err == nil {
			*list, err = collectRefunds(rows)
		}
		if err != nil {
			return WorklistWindow{}, fmt.Errorf("projections: worklist: %w", err)
		}
	}
	return w, br.Close()
}

// OpenRefund implements Queries.
func (q *PGQueries) OpenRefund(ctx context.Context, refundID string) (WorklistRefund, error) {
	rows, err := q.pool.Query(ctx, worklistRefunds+` WHERE r.refund_id = $1 AND r.status IN (`+lit(domain.RefundRequestedState)+`, `+lit(domain.RefundApprovedState)+`)`, refundID)
	if err != nil {
		return WorklistRefund{}, fmt.Errorf("projections: refund: %w", err)
	}
	r, err := pgx.CollectExactlyOneRow(rows, scanRefund)
	if errors.Is(err, pgx.ErrNoRows) {
		return WorklistRefund{}, ErrNotFound
	}
	if err != nil {
		return WorklistRefund{}, fmt.Errorf("projections: refund: %w", err)
	}
	return r, nil
}

// UnpaidBooklets lists the users (CFs) with recorded, unpaid services; it
// implements commands.UnpaidBooklets. It first waits for the dashboard's
// projector (only that one: another stopped read model must not stop the
// payroll) to apply every event committed when it is called: a payroll run
// pays every unpaid service (SPEC §2), the one recorded an instant before it
// included.
func (q *PGQueries) UnpaidBooklets(ctx context.Context) ([]string, error) {
	head, err := q.runner.store.Head(ctx)
	if err != nil {
		return nil, fmt.Errorf("projections: unpaid booklets: %w", err)
	}
	if err := q.runner.waitFor(ctx, head.Position, []string{DashboardProjector}); err != nil {
		return nil, fmt.Errorf("projections: unpaid booklets: %w", err)
	}
	rows, err := q.pool.Query(ctx, `SELECT DISTINCT user_cf FROM `+table(DashboardProjector, "services")+` WHERE status = `+lit(domain.ServiceRecordedState)+` ORDER BY user_cf`)
	if err != nil {
		return nil, fmt.Errorf("projections: unpaid booklets: %w", err)
	}
	users, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("projections: unpaid booklets: %w", err)
	}
	return users, nil
}

var _ NoticeQueries = (*PGQueries)(nil)

const noticeColumns = `SELECT notice_number, iuv, user_cf, amount_cents, issued_on, expires_on, coalesce(paid_on, ''), coalesce(deposit_id, '')
FROM `

func scanNotice(row pgx.CollectableRow, today string) (Notice, error) {
	var n Notice
	if err := row.Scan(&n.NoticeNumber, &n.IUV, &n.UserCF, &n.AmountCents, &n.IssuedOn, &n.ExpiresOn, &n.PaidOn, &n.DepositID); err != nil {
		return Notice{}, err
	}
	expires, err := domain.ParseDate(n.ExpiresOn, "expires_on")
	if err != nil {
		return Notice{}, err
	}
	day, err := domain.ParseDate(today, "today")
	if err != nil {
		return Notice{}, err
	}
	n.Status = domain.NoticeStatusOn(n.PaidOn != "", expires, day).String()
	return n, nil
}

// Notice implements NoticeQueries.
func (q *PGQueries) Notice(ctx context.Context, number, today string) (Notice, error) {
	rows, err := q.pool.Query(ctx, noticeColumns+table(DashboardProjector, "notices")+` WHERE notice_number = $1`, number)
	if err != nil {
		return Notice{}, fmt.Errorf("projections: notice: %w", err)
	}
	n, err := pgx.CollectExactlyOneRow(rows, func(row pgx.CollectableRow) (Notice, error) { return scanNotice(row, today) })
	if errors.Is(err, pgx.ErrNoRows) {
		return Notice{}, ErrNotFound
	}
	if err != nil {
		return Notice{}, fmt.Errorf("projections: notice: %w", err)
	}
	return n, nil
}

// OpenNotices implements NoticeQueries.
func (q *PGQueries) OpenNotices(ctx context.Context, userCF, today string) ([]Notice, error) {
	rows, err := q.pool.Query(ctx, noticeColumns+table(DashboardProjector, "notices")+`
WHERE user_cf = $1 AND paid_on IS NULL AND expires_on >= $2 ORDER BY issued_at DESC, notice_number`, userCF, today)
	if err != nil {
		return nil, fmt.Errorf("projections: notices: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Notice, error) { return scanNotice(row, today) })
	if err != nil {
		return nil, fmt.Errorf("projections: notices: %w", err)
	}
	return out, nil
}
