package domain

import "strings"

// Separation of duties (SPEC §8). An operator acts for INPS, never for
// themselves: they may not act on a claim, refund, booklet, service, deposit
// or payroll item in which their own CF is the heir, the deceased, the user
// or the worker; and the operator who approved a refund may not also record
// its payment. Who the parties of each aggregate are is said here, once, by
// its Parties method; the command layer refuses an operator's command on
// any aggregate it loads of which the operator is a party.

// Party is an aggregate that names the people it concerns.
type Party interface {
	// Parties are the codici fiscali of the people the aggregate concerns.
	Parties() []string
}

// Parties of a booklet: its owner (the user, or the deceased) and every
// heir who ever claimed it — a co-heir rejecting another heir, correcting
// the date of death or paying out the balance acts in their own interest.
func (b *Booklet) Parties() []string {
	out := make([]string, 0, 1+len(b.claims))
	out = append(out, b.owner.String())
	for _, c := range b.claims {
		out = append(out, c.heir)
	}
	return out
}

// Parties of a claim and of its refund: see ClaimParties.
func (c *Claim) Parties() []string {
	if !c.exists {
		return nil
	}
	workers := make([]string, len(c.prior))
	for i, p := range c.prior {
		workers[i] = p.WorkerCF
	}
	return ClaimParties(c.heir, c.deceased, workers...)
}

// ClaimParties are the parties of a claim (and of its refund): its heir,
// the deceased and the worker of every prior service inserted through it
// (validating the claim releases their pay). A page that shows a claim from
// a read model asks CheckNoConflict with these, as the command does.
func ClaimParties(heir, deceased string, priorWorkers ...string) []string {
	return append([]string{heir, deceased}, priorWorkers...)
}

// Parties of a worker: the worker.
func (w *Worker) Parties() []string { return []string{w.cf.String()} }

// CheckNoConflict refuses an operator who is one of parties with 403
// conflict_of_interest. The refusal does not say which party they are, nor
// who the others are. An empty operator (no person) is no party.
func CheckNoConflict(operatorCF string, parties ...string) error {
	operatorCF = strings.TrimSpace(operatorCF)
	if operatorCF == "" {
		return nil
	}
	for _, p := range parties {
		if p != "" && strings.EqualFold(p, operatorCF) {
			return ForbiddenError(CodeConflictOfInterest, "you are a party to this: another operator must act on it")
		}
	}
	return nil
}

// CheckFourEyes refuses the operator who approved a refund recording its
// payment, with 409 four_eyes_required: another operator must record it.
func CheckFourEyes(approverCF, operatorCF string) error {
	if approverCF != "" && strings.EqualFold(strings.TrimSpace(approverCF), strings.TrimSpace(operatorCF)) {
		return ConflictError(CodeFourEyesRequired, "you approved this refund: another operator must record its payment")
	}
	return nil
}

// Parties of a notice: the owner of the booklet it tops up.
func (n *Notice) Parties() []string {
	if !n.exists {
		return nil
	}
	return []string{n.issued.UserCF}
}
