package projections

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/eventstore"
)

// claimsProjector keeps heir claims with their refund and prior services, and
// each claim's operation history. The back-office worklist reads its tables.
type claimsProjector struct{}

func (claimsProjector) Name() string { return ClaimsProjector }

func (claimsProjector) Setup(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `
CREATE TABLE IF NOT EXISTS claims (
	claim_id      text PRIMARY KEY,
	heir_cf       text NOT NULL,
	deceased_cf   text NOT NULL,
	date_of_death text NOT NULL,
	heir_kind     text NOT NULL,
	status        text NOT NULL,
	will          jsonb,
	registered_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS claims_heir ON claims (heir_cf);
CREATE INDEX IF NOT EXISTS claims_registered ON claims (registered_at) WHERE status = `+lit(domain.ClaimRegistered)+`;
CREATE TABLE IF NOT EXISTS refunds (
	refund_id    text PRIMARY KEY,
	claim_id     text NOT NULL,
	amount_cents bigint NOT NULL,
	iban         text NOT NULL,
	status       text NOT NULL,
	requested_at timestamptz NOT NULL
);
-- approved_by came after the table: a read model built before it gets the
-- column empty, and a rebuild of claims fills it in.
ALTER TABLE refunds ADD COLUMN IF NOT EXISTS approved_by text NOT NULL DEFAULT '';
CREATE INDEX IF NOT EXISTS refunds_claim ON refunds (claim_id);
CREATE INDEX IF NOT EXISTS refunds_open ON refunds (status, requested_at) WHERE status IN (`+lit(domain.RefundRequestedState)+`, `+lit(domain.RefundApprovedState)+`);
CREATE TABLE IF NOT EXISTS prior_services (
	service_id  text PRIMARY KEY,
	claim_id    text NOT NULL,
	worker_cf   text NOT NULL,
	activity    text NOT NULL,
	start_date  text NOT NULL,
	end_date    text NOT NULL,
	centi_hours bigint NOT NULL,
	vouchers    integer NOT NULL,
	status      text NOT NULL,
	major       bigint NOT NULL,
	minor       bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS prior_services_claim ON prior_services (claim_id, major, minor);
CREATE TABLE IF NOT EXISTS history (
	claim_id  text NOT NULL,
	major     bigint NOT NULL,
	minor     bigint NOT NULL,
	at        timestamptz NOT NULL,
	operation text NOT NULL,
	details   jsonb NOT NULL,
	PRIMARY KEY (claim_id, major, minor)
)`)
	return err
}

// History operations (SPEC §5).
const (
	OpHeirRegistered       = "heir_registered"
	OpHeirValidated        = "heir_validated"
	OpHeirRejected         = "heir_rejected"
	OpRefundRequested      = "refund_requested"
	OpRefundApproved       = "refund_approved"
	OpRefundRejected       = "refund_rejected"
	OpRefundPaid           = "refund_paid"
	OpPriorServiceInserted = "prior_service_inserted"
	OpPriorServiceReversed = "prior_service_reversed"
	OpPriorServicePaid     = "prior_service_paid"
	// OpDateOfDeathCorrected is an operator's correction of the deceased's
	// date of death, on every claim it changed (SPEC §9).
	OpDateOfDeathCorrected = "date_of_death_corrected"
)

type claimRow struct {
	id, heir, deceased, dod, kind, status string
	will                                  []byte
	at                                    time.Time
}

type refundRow struct {
	id, claim, iban, status, approvedBy string
	amount                              int64
	at                                  time.Time
}

type priorRow struct {
	id, claim, worker, activity, start, end, status string
	hours                                           int64
	vouchers                                        int32
	major, minor                                    int64
}

type historyRow struct {
	claim, op    string
	major, minor int64
	at           time.Time
	details      string
}

// claimsBatch folds a batch in memory: rows first seen in the batch are
// inserted in their final state; rows seen before get their final status
// (or date of death) in one update per table.
type claimsBatch struct {
	claims     []*claimRow
	newClaim   map[string]*claimRow
	claimState map[string]string // existing claim → status
	claimDoD   map[string]string // existing claim → date of death
	refunds    []*refundRow
	newRefund  map[string]*refundRow
	refundSt   map[string]string
	approver   map[string]string // existing refund → the operator who approved it
	priors     []*priorRow
	newPrior   map[string]*priorRow
	priorSt    map[string]string
	history    []historyRow
}

func (c *claimsBatch) setClaimStatus(id, status string) {
	if r := c.newClaim[id]; r != nil {
		r.status = status
		return
	}
	c.claimState[id] = status
}

func (c *claimsBatch) setRefundStatus(id, status string) {
	if r := c.newRefund[id]; r != nil {
		r.status = status
		return
	}
	c.refundSt[id] = status
}

// setApprover records who approved a refund (four eyes: the worklist shows it).
func (c *claimsBatch) setApprover(id, operator string) {
	if r := c.newRefund[id]; r != nil {
		r.approvedBy = operator
		return
	}
	c.approver[id] = operator
}

func (c *claimsBatch) setPriorStatus(id, status string) {
	if r := c.newPrior[id]; r != nil {
		r.status = status
		return
	}
	c.priorSt[id] = status
}

func (c *claimsBatch) record(claimID string, e eventstore.Event, op string, details map[string]any) error {
	d, err := json.Marshal(details)
	if err != nil {
		return err
	}
	c.history = append(c.history, historyRow{claimID, op, int64(e.Cursor.Major), int64(e.Cursor.Minor), e.OccurredAt, string(d)})
	return nil
}

func (claimsProjector) NewAccumulator() Accumulator {
	return &claimsBatch{newClaim: map[string]*claimRow{}, claimState: map[string]string{}, claimDoD: map[string]string{},
		newRefund: map[string]*refundRow{}, refundSt: map[string]string{}, approver: map[string]string{}, newPrior: map[string]*priorRow{}, priorSt: map[string]string{}}
}

func (claimsProjector) Apply(ctx context.Context, tx pgx.Tx, events []eventstore.Event) error {
	return applyAccumulated(ctx, tx, claimsProjector{}, events)
}

// Handles implements Selective: the types claimsFolds folds.
func (claimsProjector) Handles(eventType string) bool {
	return claimsFolds.handles(eventType)
}

// Fold implements Accumulator.
func (c *claimsBatch) Fold(events []eventstore.Event) error {
	return claimsFolds.apply(c, events)
}

// claimsFolds is how the claims projector folds each event type it knows,
// keyed by type; Handles answers from it, so the two cannot drift apart.
var claimsFolds = foldsOf("claim",
	on(func(c *claimsBatch, e eventstore.Event, claimID string, v domain.HeirRegistered) error {
		if v.ClaimID != "" {
			claimID = v.ClaimID
		}
		r := &claimRow{id: claimID, heir: v.HeirCF, deceased: v.DeceasedCF, dod: v.DateOfDeath, kind: v.HeirKind, status: domain.ClaimRegistered.String(), at: e.OccurredAt}
		details := map[string]any{"deceased_cf": v.DeceasedCF, "date_of_death": v.DateOfDeath, "heir_kind": v.HeirKind}
		if v.Will != nil {
			will, err := json.Marshal(WillRef(*v.Will))
			if err != nil {
				return err
			}
			r.will = will
			details["will"] = map[string]any{"filename": v.Will.Filename, "sha256": v.Will.SHA256}
		}
		c.claims = append(c.claims, r)
		c.newClaim[claimID] = r
		return c.record(claimID, e, OpHeirRegistered, details)
	}),
	on(func(c *claimsBatch, e eventstore.Event, claimID string, v domain.HeirValidated) error {
		c.setClaimStatus(claimID, domain.ClaimValidated.String())
		return c.record(claimID, e, OpHeirValidated, map[string]any{"note": v.Note, "operator_cf": v.OperatorCF})
	}),
	on(func(c *claimsBatch, e eventstore.Event, claimID string, v domain.HeirRejected) error {
		c.setClaimStatus(claimID, domain.ClaimRejected.String())
		return c.record(claimID, e, OpHeirRejected, map[string]any{"reason": v.Reason, "operator_cf": v.OperatorCF})
	}),
	on(func(c *claimsBatch, e eventstore.Event, claimID string, v domain.ClaimDateOfDeathCorrected) error {
		if r := c.newClaim[claimID]; r != nil {
			r.dod = v.DateOfDeath
		} else {
			c.claimDoD[claimID] = v.DateOfDeath
		}
		return c.record(claimID, e, OpDateOfDeathCorrected, map[string]any{
			"date_of_death": v.DateOfDeath, "previous": v.Previous, "reason": v.Reason, "operator_cf": v.OperatorCF})
	}),
	on(func(c *claimsBatch, e eventstore.Event, claimID string, v domain.RefundRequested) error {
		r := &refundRow{id: v.RefundID, claim: claimID, iban: v.IBAN, status: domain.RefundRequestedState.String(), amount: v.AmountCents, at: e.OccurredAt}
		c.refunds = append(c.refunds, r)
		c.newRefund[v.RefundID] = r
		return c.record(claimID, e, OpRefundRequested, map[string]any{"refund_id": v.RefundID, "amount_cents": v.AmountCents, "iban": v.IBAN})
	}),
	on(func(c *claimsBatch, e eventstore.Event, claimID string, v domain.RefundApproved) error {
		c.setRefundStatus(v.RefundID, domain.RefundApprovedState.String())
		c.setApprover(v.RefundID, v.OperatorCF)
		return c.record(claimID, e, OpRefundApproved, map[string]any{"refund_id": v.RefundID, "operator_cf": v.OperatorCF})
	}),
	on(func(c *claimsBatch, e eventstore.Event, claimID string, v domain.RefundRejected) error {
		c.setRefundStatus(v.RefundID, domain.RefundRejectedState.String())
		return c.record(claimID, e, OpRefundRejected, map[string]any{"refund_id": v.RefundID, "reason": v.Reason, "operator_cf": v.OperatorCF})
	}),
	on(func(c *claimsBatch, e eventstore.Event, claimID string, v domain.RefundPaid) error {
		c.setRefundStatus(v.RefundID, domain.RefundPaidState.String())
		return c.record(claimID, e, OpRefundPaid, map[string]any{"refund_id": v.RefundID, "paid_on": v.PaidOn, "bank_reference": v.BankReference, "operator_cf": v.OperatorCF})
	}),
	on(func(c *claimsBatch, e eventstore.Event, claimID string, v domain.PriorServiceInserted) error {
		r := &priorRow{id: v.ServiceID, claim: claimID, worker: v.WorkerCF, activity: v.Activity, start: v.StartDate, end: v.EndDate,
			status: StatusRecorded, hours: centiHours(v.Hours), vouchers: int32(v.Vouchers), major: int64(e.Cursor.Major), minor: int64(e.Cursor.Minor)}
		c.priors = append(c.priors, r)
		c.newPrior[v.ServiceID] = r
		return c.record(claimID, e, OpPriorServiceInserted, map[string]any{
			"service_id": v.ServiceID, "worker_cf": v.WorkerCF, "activity": v.Activity,
			"start_date": v.StartDate, "end_date": v.EndDate, "hours": v.Hours, "vouchers": v.Vouchers})
	}),
	on(func(c *claimsBatch, e eventstore.Event, claimID string, v domain.PriorServiceReversed) error {
		c.setPriorStatus(v.ServiceID, StatusReversed)
		return c.record(claimID, e, OpPriorServiceReversed, map[string]any{"service_id": v.ServiceID, "reason": v.Reason, "operator_cf": v.OperatorCF})
	}),
	on(func(c *claimsBatch, e eventstore.Event, claimID string, v domain.PriorServicePaid) error {
		c.setPriorStatus(v.ServiceID, StatusPaid)
		return c.record(claimID, e, OpPriorServicePaid, map[string]any{"service_id": v.ServiceID, "run_id": v.RunID, "paid_on": v.PaidOn})
	}),
)

// updateStatus queues one update of the status column of many rows.
func updateStatus(b *pgx.Batch, table, key, column string, m map[string]string) {
	if len(m) == 0 {
		return
	}
	ids, values := make([]string, 0, len(m)), make([]string, 0, len(m))
	for id, v := range m {
		ids, values = append(ids, id), append(values, v)
	}
	queueChunked(b, `UPDATE `+table+` t SET `+column+` = x.v FROM unnest($1::text[], $2::text[]) AS x(k, v) WHERE t.`+key+` = x.k`, ids, values)
}

// Queue implements Accumulator.
func (c *claimsBatch) Queue(b *pgx.Batch) error {
	if n := len(c.claims); n > 0 {
		ids, heirs, dec, dods, kinds, sts := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		wills := make([][]byte, n)
		ats := make([]time.Time, n)
		for i, r := range c.claims {
			ids[i], heirs[i], dec[i], dods[i], kinds[i], sts[i], wills[i], ats[i] = r.id, r.heir, r.deceased, r.dod, r.kind, r.status, r.will, r.at
		}
		queueChunked(b, `INSERT INTO claims (claim_id, heir_cf, deceased_cf, date_of_death, heir_kind, status, will, registered_at)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[], $8::timestamptz[])`,
			ids, heirs, dec, dods, kinds, sts, wills, ats)
	}
	updateStatus(b, "claims", "claim_id", "status", c.claimState)
	updateStatus(b, "claims", "claim_id", "date_of_death", c.claimDoD)
	if n := len(c.refunds); n > 0 {
		ids, claims, ibans, sts, approvers := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		amounts := make([]int64, n)
		ats := make([]time.Time, n)
		for i, r := range c.refunds {
			ids[i], claims[i], ibans[i], sts[i], approvers[i], amounts[i], ats[i] = r.id, r.claim, r.iban, r.status, r.approvedBy, r.amount, r.at
		}
		queueChunked(b, `INSERT INTO refunds (refund_id, claim_id, amount_cents, iban, status, requested_at, approved_by)
SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::timestamptz[], $7::text[])`,
			ids, claims, amounts, ibans, sts, ats, approvers)
	}
	updateStatus(b, "refunds", "refund_id", "status", c.refundSt)
	updateStatus(b, "refunds", "refund_id", "approved_by", c.approver)
	if n := len(c.priors); n > 0 {
		ids, claims, workers, acts, starts, ends, sts := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		hours, majors, minors := make([]int64, n), make([]int64, n), make([]int64, n)
		vouchers := make([]int32, n)
		for i, r := range c.priors {
			ids[i], claims[i], workers[i], acts[i], starts[i], ends[i], sts[i] = r.id, r.claim, r.worker, r.activity, r.start, r.end, r.status
			hours[i], majors[i], minors[i], vouchers[i] = r.hours, r.major, r.minor, r.vouchers
		}
		queueChunked(b, `INSERT INTO prior_services (service_id, claim_id, worker_cf, activity, start_date, end_date, centi_hours, vouchers, status, major, minor)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::integer[], $9::text[], $10::bigint[], $11::bigint[])`,
			ids, claims, workers, acts, starts, ends, hours, vouchers, sts, majors, minors)
	}
	updateStatus(b, "prior_services", "service_id", "status", c.priorSt)
	if n := len(c.history); n > 0 {
		claims, ops, details := make([]string, n), make([]string, n), make([]string, n)
		majors, minors := make([]int64, n), make([]int64, n)
		ats := make([]time.Time, n)
		for i, h := range c.history {
			claims[i], ops[i], details[i], majors[i], minors[i], ats[i] = h.claim, h.op, h.details, h.major, h.minor, h.at
		}
		queueChunked(b, `INSERT INTO history (claim_id, major, minor, at, operation, details)
SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::timestamptz[], $5::text[], $6::jsonb[])`,
			claims, majors, minors, ats, ops, details)
	}
	return nil
}
