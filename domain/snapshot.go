package domain

import "time"

// ClaimSnapshot is a claim as GET /heir-claims/{id} shows it, folded from
// the claim's own events only, for an auditor's replay as of an instant. Its
// JSON has the shape of projections.Claim.
type ClaimSnapshot struct {
	ClaimID       string                 `json:"claim_id"`
	HeirCF        string                 `json:"heir_cf"`
	DeceasedCF    string                 `json:"deceased_cf"`
	DateOfDeath   string                 `json:"date_of_death"`
	HeirKind      string                 `json:"heir_kind"`
	Status        string                 `json:"status"`
	Refund        *SnapshotRefund        `json:"refund"`
	PriorServices []SnapshotPriorService `json:"prior_services"`
	Will          *Will                  `json:"will,omitempty"`
	RegisteredAt  string                 `json:"registered_at"`
}

// SnapshotRefund is a claim's latest refund.
type SnapshotRefund struct {
	RefundID    string `json:"refund_id"`
	AmountCents int64  `json:"amount_cents"`
	IBAN        string `json:"iban"`
	Status      string `json:"status"`
}

// SnapshotPriorService is a service an heir inserted.
type SnapshotPriorService struct {
	ServiceID string  `json:"service_id"`
	WorkerCF  string  `json:"worker_cf"`
	Activity  string  `json:"activity"`
	StartDate string  `json:"start_date"`
	EndDate   string  `json:"end_date"`
	Hours     float64 `json:"hours"`
	Vouchers  int     `json:"vouchers"`
	Status    string  `json:"status"`
	Held      bool    `json:"held"` // recorded, and the claim does not release it (ReleasesPriorServices)
}

// Snapshot returns the claim as it stands.
func (c *Claim) Snapshot() ClaimSnapshot {
	s := ClaimSnapshot{
		ClaimID:       c.id,
		HeirCF:        c.heir,
		DeceasedCF:    c.deceased,
		DateOfDeath:   c.dod.String(),
		HeirKind:      c.kind,
		Status:        c.status.String(),
		PriorServices: []SnapshotPriorService{},
		Will:          c.will,
	}
	if !c.at.IsZero() {
		s.RegisteredAt = c.at.UTC().Format(time.RFC3339)
	}
	if r := c.refund; r != nil {
		s.Refund = &SnapshotRefund{RefundID: r.RefundID, AmountCents: r.AmountCents, IBAN: r.IBAN, Status: r.status.String()}
	}
	for _, p := range c.prior {
		s.PriorServices = append(s.PriorServices, SnapshotPriorService{
			ServiceID: p.ServiceID, WorkerCF: p.WorkerCF, Activity: p.Activity, StartDate: p.StartDate,
			EndDate: p.EndDate, Hours: p.Hours, Vouchers: p.Vouchers, Status: p.status.String(),
			Held: p.status == ServiceRecordedState && !c.ReleasesPriorServices(),
		})
	}
	return s
}
