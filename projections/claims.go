package projections

import (
	"context"
	"encoding/json"
	"fmt"

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
CREATE INDEX IF NOT EXISTS claims_registered ON claims (registered_at) WHERE status = 'registered';
CREATE TABLE IF NOT EXISTS refunds (
	refund_id    text PRIMARY KEY,
	claim_id     text NOT NULL,
	amount_cents bigint NOT NULL,
	iban         text NOT NULL,
	status       text NOT NULL,
	requested_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS refunds_claim ON refunds (claim_id);
CREATE INDEX IF NOT EXISTS refunds_open ON refunds (status, requested_at) WHERE status IN ('requested', 'approved');
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
)

func (claimsProjector) Apply(ctx context.Context, tx pgx.Tx, events []eventstore.Event) error {
	b := &pgx.Batch{}
	history := func(claimID string, e eventstore.Event, op string, details map[string]any) error {
		d, err := json.Marshal(details)
		if err != nil {
			return err
		}
		b.Queue(`INSERT INTO history (claim_id, major, minor, at, operation, details) VALUES ($1, $2, $3, $4, $5, $6)`,
			claimID, int64(e.Cursor.Major), int64(e.Cursor.Minor), e.OccurredAt, op, d)
		return nil
	}
	for _, e := range events {
		claimID := streamID(e.Stream, "claim")
		var err error
		switch e.Type {
		case domain.TypeHeirRegistered:
			var v domain.HeirRegistered
			if err = decode(e, &v); err != nil {
				return err
			}
			if v.ClaimID != "" {
				claimID = v.ClaimID
			}
			var will []byte
			details := map[string]any{"deceased_cf": v.DeceasedCF, "date_of_death": v.DateOfDeath, "heir_kind": v.HeirKind}
			if v.Will != nil {
				if will, err = json.Marshal(WillRef(*v.Will)); err != nil {
					return err
				}
				details["will"] = map[string]any{"filename": v.Will.Filename, "sha256": v.Will.SHA256}
			}
			b.Queue(`INSERT INTO claims (claim_id, heir_cf, deceased_cf, date_of_death, heir_kind, status, will, registered_at)
				VALUES ($1, $2, $3, $4, $5, 'registered', $6, $7)`,
				claimID, v.HeirCF, v.DeceasedCF, v.DateOfDeath, v.HeirKind, will, e.OccurredAt)
			err = history(claimID, e, OpHeirRegistered, details)
		case domain.TypeHeirValidated:
			var v domain.HeirValidated
			if err = decode(e, &v); err != nil {
				return err
			}
			b.Queue(`UPDATE claims SET status = 'validated' WHERE claim_id = $1`, claimID)
			err = history(claimID, e, OpHeirValidated, map[string]any{"note": v.Note, "operator_cf": v.OperatorCF})
		case domain.TypeHeirRejected:
			var v domain.HeirRejected
			if err = decode(e, &v); err != nil {
				return err
			}
			b.Queue(`UPDATE claims SET status = 'rejected' WHERE claim_id = $1`, claimID)
			err = history(claimID, e, OpHeirRejected, map[string]any{"reason": v.Reason, "operator_cf": v.OperatorCF})
		case domain.TypeClaimDateOfDeathCorrected:
			var v domain.ClaimDateOfDeathCorrected
			if err = decode(e, &v); err != nil {
				return err
			}
			b.Queue(`UPDATE claims SET date_of_death = $2 WHERE claim_id = $1`, claimID, v.DateOfDeath)
		case domain.TypeRefundRequested:
			var v domain.RefundRequested
			if err = decode(e, &v); err != nil {
				return err
			}
			b.Queue(`INSERT INTO refunds (refund_id, claim_id, amount_cents, iban, status, requested_at)
				VALUES ($1, $2, $3, $4, 'requested', $5)`, v.RefundID, claimID, v.AmountCents, v.IBAN, e.OccurredAt)
			err = history(claimID, e, OpRefundRequested, map[string]any{"refund_id": v.RefundID, "amount_cents": v.AmountCents, "iban": v.IBAN})
		case domain.TypeRefundApproved:
			var v domain.RefundApproved
			if err = decode(e, &v); err != nil {
				return err
			}
			b.Queue(`UPDATE refunds SET status = 'approved' WHERE refund_id = $1`, v.RefundID)
			err = history(claimID, e, OpRefundApproved, map[string]any{"refund_id": v.RefundID, "operator_cf": v.OperatorCF})
		case domain.TypeRefundRejected:
			var v domain.RefundRejected
			if err = decode(e, &v); err != nil {
				return err
			}
			b.Queue(`UPDATE refunds SET status = 'rejected' WHERE refund_id = $1`, v.RefundID)
			err = history(claimID, e, OpRefundRejected, map[string]any{"refund_id": v.RefundID, "reason": v.Reason, "operator_cf": v.OperatorCF})
		case domain.TypeRefundPaid:
			var v domain.RefundPaid
			if err = decode(e, &v); err != nil {
				return err
			}
			b.Queue(`UPDATE refunds SET status = 'paid' WHERE refund_id = $1`, v.RefundID)
			err = history(claimID, e, OpRefundPaid, map[string]any{"refund_id": v.RefundID, "paid_on": v.PaidOn, "bank_reference": v.BankReference, "operator_cf": v.OperatorCF})
		case domain.TypePriorServiceInserted:
			var v domain.PriorServiceInserted
			if err = decode(e, &v); err != nil {
				return err
			}
			b.Queue(`INSERT INTO prior_services (service_id, claim_id, worker_cf, activity, start_date, end_date, centi_hours, vouchers, status, major, minor)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'recorded', $9, $10)`,
				v.ServiceID, claimID, v.WorkerCF, v.Activity, v.StartDate, v.EndDate, centiHours(v.Hours), v.Vouchers,
				int64(e.Cursor.Major), int64(e.Cursor.Minor))
			err = history(claimID, e, OpPriorServiceInserted, map[string]any{
				"service_id": v.ServiceID, "worker_cf": v.WorkerCF, "activity": v.Activity,
				"start_date": v.StartDate, "end_date": v.EndDate, "hours": v.Hours, "vouchers": v.Vouchers})
		case domain.TypePriorServiceReversed:
			var v domain.PriorServiceReversed
			if err = decode(e, &v); err != nil {
				return err
			}
			b.Queue(`UPDATE prior_services SET status = 'reversed' WHERE service_id = $1`, v.ServiceID)
			err = history(claimID, e, OpPriorServiceReversed, map[string]any{"service_id": v.ServiceID, "reason": v.Reason, "operator_cf": v.OperatorCF})
		case domain.TypePriorServicePaid:
			var v domain.PriorServicePaid
			if err = decode(e, &v); err != nil {
				return err
			}
			b.Queue(`UPDATE prior_services SET status = 'paid' WHERE service_id = $1`, v.ServiceID)
			err = history(claimID, e, OpPriorServicePaid, map[string]any{"service_id": v.ServiceID, "run_id": v.RunID, "paid_on": v.PaidOn})
		}
		if err != nil {
			return err
		}
	}
	if b.Len() == 0 {
		return nil
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("claims: %w", err)
	}
	return nil
}
