package commands

import (
	"context"
	"fmt"
)

// Check is a dry run of command c (a value of one of the command types,
// such as RecordDeposit): it decides c as its handler would, on what the
// store holds now, and returns the error the handler would return — the
// same typed domain error, with its code, field and facts, including
// not_found for data that is not the actor's, conflict_of_interest and
// four_eyes_required — or nil when the command would be accepted. It
// appends nothing and stores neither an idempotency record nor a document,
// so a confirmation page can ask it instead of restating the rules.
//
// m is taken as the command takes it: with an Idempotency-Key already used
// for the same request Check answers nil (the command would answer the
// first result), with another request idempotency_key_reused. A command
// accepted by Check may still be refused by the command itself when the
// store changes in between.
func (h *Handler) Check(ctx context.Context, m Meta, c any) error {
	m.dryRun = true
	var err error
	switch c := c.(type) {
	case RegisterUser:
		_, err = h.RegisterUser(ctx, m, c)
	case RegisterWorker:
		_, err = h.RegisterWorker(ctx, m, c)
	case RecordDeposit:
		_, err = h.RecordDeposit(ctx, m, c)
	case IssueNotice:
		_, err = h.IssueNotice(ctx, m, c)
	case CreditDeposit:
		_, err = h.CreditDeposit(ctx, m, c)
	case RecordService:
		_, err = h.RecordService(ctx, m, c)
	case RevokeService:
		_, err = h.RevokeService(ctx, m, c)
	case RegisterHeir:
		_, err = h.RegisterHeir(ctx, m, c)
	case RequestRefund:
		_, err = h.RequestRefund(ctx, m, c)
	case InsertPriorService:
		_, err = h.InsertPriorService(ctx, m, c)
	case ValidateHeir:
		_, err = h.ValidateHeir(ctx, m, c)
	case RejectHeir:
		_, err = h.RejectHeir(ctx, m, c)
	case ApproveRefund:
		_, err = h.ApproveRefund(ctx, m, c)
	case RejectRefund:
		_, err = h.RejectRefund(ctx, m, c)
	case MarkRefundPaid:
		_, err = h.MarkRefundPaid(ctx, m, c)
	case ReverseService:
		_, err = h.ReverseService(ctx, m, c)
	case CorrectDateOfDeath:
		_, err = h.CorrectDateOfDeath(ctx, m, c)
	case RunPayroll:
		_, err = h.RunPayroll(ctx, m, c)
	case GrantDelegation:
		_, err = h.GrantDelegation(ctx, m, c)
	case RevokeDelegation:
		_, err = h.RevokeDelegation(ctx, m, c)
	case ChangeContacts:
		_, err = h.ChangeContacts(ctx, m, c)
	case VerifyContacts:
		_, err = h.VerifyContacts(ctx, m, c)
	case RecordISEE:
		_, err = h.RecordISEE(ctx, m, c)
	case RecordChild:
		_, err = h.RecordChild(ctx, m, c)
	case RecordApplication:
		_, err = h.RecordApplication(ctx, m, c)
	case ChangeApplicationStatus:
		_, err = h.ChangeApplicationStatus(ctx, m, c)
	case RecordBenefitPayment:
		_, err = h.RecordBenefitPayment(ctx, m, c)
	default:
		return fmt.Errorf("commands: Check: %T is not a command", c)
	}
	return err
}
