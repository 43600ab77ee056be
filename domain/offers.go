package domain

// What a command would allow, as predicates over the facts a read model
// also holds, so that a page offers a button or a link by the very rule the
// command decides by: the aggregates' command methods call these, and the
// read side calls them on what it has read.

// ClaimActs reports whether a claim in status s may still act for its heir
// (request the refund, insert prior services): a rejected claim may not.
func ClaimActs(s ClaimStatus) bool { return s != ClaimRejected }

// CanRequestRefund reports whether a claim in status claim may request the
// refund of its deceased's booklet: the claim acts, and no refund holds the
// booklet (held: one refund per booklet; a rejected one frees it).
func CanRequestRefund(claim ClaimStatus, held bool) bool { return ClaimActs(claim) && !held }

// RefundHeld reports whether a booklet's balance is held by a refund, from
// what a read model keeps of it: reserved for a requested or approved
// refund, or paid out (which closes the booklet). The aggregate knows its
// refund itself (Booklet.refund); this is the same fact seen from outside.
func RefundHeld(reservedCents, refundedCents int64, status BookletStatus) bool {
	return reservedCents > 0 || refundedCents > 0 || status == BookletClosed
}

// CanInsertPriorService reports whether a claim in status claim may insert
// prior services on its deceased's booklet in status booklet: the claim
// acts, and the booklet is not closed by a paid refund.
func CanInsertPriorService(claim ClaimStatus, booklet BookletStatus) bool {
	return ClaimActs(claim) && booklet != BookletClosed
}

// ServiceRevocable reports whether the user may revoke a service today: it
// is recorded and unpaid (state), not a prior service an heir inserted
// (prior; only an operator reverses those), and today is not after its
// deadline.
func ServiceRevocable(state ServiceState, prior bool, deadline, today Date) bool {
	return revocationRefusal(state, prior, deadline, today) == nil
}

// revocationRefusal is why a service may not be revoked, or nil.
func revocationRefusal(state ServiceState, prior bool, deadline, today Date) error {
	if prior {
		// Prior services belong to the claim: only an operator reverses them.
		return NotFoundError("no such service")
	}
	if state != ServiceRecordedState {
		return ConflictError(CodeInvalidState, "only a recorded, unpaid service can be revoked").With("state", state.String())
	}
	if today.After(deadline) {
		return RuleError(CodeDeadlinePassed, "", "the service could be revoked until "+deadline.String()).With("deadline", deadline.String())
	}
	return nil
}
