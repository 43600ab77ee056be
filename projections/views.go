// Package projections owns the read models: Watermill projectors that fold the
// event log into PostgreSQL tables (annual pay statements, heir operation
// histories, claims, family dashboards, the back-office worklist), the typed
// queries the HTTP layer reads them with, and rebuilds.
//
// It imports domain and eventstore; it must not import commands or http.
package projections

import (
	"context"
	"errors"

	"github.com/inps/libretto/domain"
)

// ErrNotFound means the read model has no such row.
var ErrNotFound = errors.New("projections: not found")

// Refund is a claim's refund as GET /heir-claims/{id} shows it.
type Refund struct {
	RefundID    string `json:"refund_id"`
	AmountCents int64  `json:"amount_cents"`
	IBAN        string `json:"iban"`
	Status      string `json:"status"` // requested, approved, paid, rejected
}

// PriorService is a service an heir inserted through a claim.
type PriorService struct {
	ServiceID string  `json:"service_id"`
	WorkerCF  string  `json:"worker_cf"`
	Activity  string  `json:"activity"`
	StartDate string  `json:"start_date"`
	EndDate   string  `json:"end_date"`
	Hours     float64 `json:"hours"`
	Vouchers  int     `json:"vouchers"`
	Status    string  `json:"status"` // recorded, reversed, paid
	// Held is true for a recorded service no payroll pays while its claim
	// is not validated (SPEC §8, domain.Claim.ReleasesPriorServices).
	Held bool `json:"held"`
}

// GrossCents is what the service commits on the deceased's booklet:
// vouchers × 1000 cents.
func (p PriorService) GrossCents() int64 { return int64(p.Vouchers) * domain.VoucherCents }

// UnpaidPriorServices are the claim's prior services still recorded: held
// while the claim is not validated, and reversed if its heir is rejected.
func (c Claim) UnpaidPriorServices() []PriorService {
	var out []PriorService
	for _, p := range c.PriorServices {
		if p.Status == domain.ServiceRecordedState.String() {
			out = append(out, p)
		}
	}
	return out
}

// Claim is GET /heir-claims/{id}.
type Claim struct {
	ClaimID       string         `json:"claim_id"`
	HeirCF        string         `json:"heir_cf"`
	DeceasedCF    string         `json:"deceased_cf"`
	DateOfDeath   string         `json:"date_of_death"`
	HeirKind      string         `json:"heir_kind"`
	Status        string         `json:"status"` // registered, validated, rejected
	Refund        *Refund        `json:"refund"`
	PriorServices []PriorService `json:"prior_services"`
	Will          *WillRef       `json:"will,omitempty"`
	RegisteredAt  string         `json:"registered_at"`
}

// WillRef points at a stored will.
type WillRef struct {
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
}

// HistoryEntry is one operation of a claim.
type HistoryEntry struct {
	At        string         `json:"at"` // RFC 3339
	Operation string         `json:"operation"`
	Details   map[string]any `json:"details"`
}

// History is GET /heir-claims/{id}/history.
type History struct {
	ClaimID string         `json:"claim_id"`
	Entries []HistoryEntry `json:"entries"`
}

// AnOperator is how the heir's history names the operator who acted.
const AnOperator = "un operatore INPS"

// ForHeir returns the history as its heir reads it: an operator's entries
// say "operator": "un operatore INPS" instead of the operator's codice
// fiscale, which is the operator's personal data, not the heir's (SPEC §8).
// Operators and auditors read the history whole. It is the one place that
// decides what of the history a heir sees; h is not changed.
func (h History) ForHeir() History {
	out := History{ClaimID: h.ClaimID, Entries: make([]HistoryEntry, len(h.Entries))}
	for i, e := range h.Entries {
		out.Entries[i] = e
		if _, ok := e.Details["operator_cf"]; !ok {
			continue
		}
		d := make(map[string]any, len(e.Details))
		for k, v := range e.Details {
			if k != "operator_cf" {
				d[k] = v
			}
		}
		d["operator"] = AnOperator
		out.Entries[i].Details = d
	}
	if h.Entries == nil {
		out.Entries = nil
	}
	return out
}

// StatementFigures are the sums of a statement line.
type StatementFigures struct {
	Services   int     `json:"services"`
	Hours      float64 `json:"hours"`
	Vouchers   int     `json:"vouchers"`
	GrossCents int64   `json:"gross_cents"`
	NetCents   int64   `json:"net_cents"`
	IVSCents   int64   `json:"ivs_cents"`
	INAILCents int64   `json:"inail_cents"`
	FeesCents  int64   `json:"fees_cents"`
	PaidCents  int64   `json:"paid_cents"`
}

// StatementByUser is a statement line per user.
type StatementByUser struct {
	UserCF         string `json:"user_cf"`
	InsertedByHeir bool   `json:"inserted_by_heir"`
	StatementFigures
}

// StatementByMonth is a statement line per month of payment.
type StatementByMonth struct {
	Month int `json:"month"` // 1..12
	StatementFigures
}

// Statement is GET /workers/{cf}/statements/{year}.
type Statement struct {
	WorkerCF string             `json:"worker_cf"`
	Year     int                `json:"year"`
	Totals   StatementFigures   `json:"totals"`
	ByUser   []StatementByUser  `json:"by_user"`
	ByMonth  []StatementByMonth `json:"by_month"`
}

// PayslipFigures are the sums of a payslip row or of the whole payslip.
type PayslipFigures struct {
	Services   int   `json:"services"`
	Vouchers   int   `json:"vouchers"`
	NetCents   int64 `json:"net_cents"`
	IVSCents   int64 `json:"ivs_cents"`
	INAILCents int64 `json:"inail_cents"`
	FeeCents   int64 `json:"fee_cents"` // bonifico domiciliato, on one row of its run
	PaidCents  int64 `json:"paid_cents"`
}

// PayslipPayment is what one payroll run paid a worker for one user's
// services (their own and those an heir inserted on their booklet).
type PayslipPayment struct {
	RunID  string `json:"run_id"`
	PaidOn string `json:"paid_on"` // the run date
	UserCF string `json:"user_cf"`
	PayslipFigures
}

// Payslip is GET /workers/{cf}/payslips/{YYYY-MM}: a worker's payments of
// one month of payment (prospetto paga mensile).
type Payslip struct {
	WorkerCF string           `json:"worker_cf"`
	Month    string           `json:"month"` // YYYY-MM
	Payments []PayslipPayment `json:"payments"`
	Totals   PayslipFigures   `json:"totals"`
}

// Booklet is the balance part of the dashboard.
type Booklet struct {
	Status         string `json:"status"` // active, owner_deceased, closed
	DepositedCents int64  `json:"deposited_cents"`
	CommittedCents int64  `json:"committed_cents"`
	ReservedCents  int64  `json:"reserved_cents"`
	RefundedCents  int64  `json:"refunded_cents"`
	AvailableCents int64  `json:"available_cents"`
	PendingCents   int64  `json:"pending_cents"` // deposits seen, not yet credited: not in deposited, not available
	DateOfDeath    string `json:"date_of_death,omitempty"`
	// RefundHeld: a refund holds the balance (domain.RefundHeld), so no heir
	// may request another. For the pages: the API leaves it out.
	RefundHeld bool `json:"-"`
}

// DashboardDeposit is a deposit on the dashboard.
type DashboardDeposit struct {
	DepositID   string `json:"deposit_id"`
	Channel     string `json:"channel"` // F24, PAGOPA
	PaidOn      string `json:"paid_on"`
	AmountCents int64  `json:"amount_cents"`
	Status      string `json:"status"` // pending, credited
}

// DashboardService is a service on the dashboard.
type DashboardService struct {
	ServiceID      string  `json:"service_id"`
	WorkerCF       string  `json:"worker_cf"`
	Activity       string  `json:"activity"`
	StartDate      string  `json:"start_date"`
	EndDate        string  `json:"end_date"`
	Hours          float64 `json:"hours"`
	Vouchers       int     `json:"vouchers"`
	GrossCents     int64   `json:"gross_cents"`
	NetCents       int64   `json:"net_cents"`
	Status         string  `json:"status"` // recorded, revoked, reversed, paid
	InsertedByHeir bool    `json:"inserted_by_heir"`
	RecordedAt     string  `json:"recorded_at"`
	RevocableUntil string  `json:"revocable_until,omitempty"`
	// CanRevoke: the user may revoke it on the day the dashboard was read
	// for (domain.ServiceRevocable). For the pages: the API leaves it out.
	CanRevoke bool `json:"-"`
}

// Notice statuses, as the read models keep them: the domain's names.
var (
	NoticeOpen    = domain.NoticeOpen.String()
	NoticePaid    = domain.NoticePaid.String()
	NoticeExpired = domain.NoticeExpired.String()
)

// Notice is a pagoPA payment notice (GET /deposits/notices/{n}).
type Notice struct {
	NoticeNumber string `json:"notice_number"`
	IUV          string `json:"iuv"`
	UserCF       string `json:"user_cf"`
	AmountCents  int64  `json:"amount_cents"`
	IssuedOn     string `json:"issued_on"`
	ExpiresOn    string `json:"expires_on"`
	Status       string `json:"status"` // open, paid, expired (unpaid after expires_on)
	PaidOn       string `json:"paid_on,omitempty"`
	DepositID    string `json:"deposit_id,omitempty"`
}

// NoticeQueries reads pagoPA notices; PGQueries implements it.
type NoticeQueries interface {
	// Notice is one notice, its status as of today; ErrNotFound when unknown.
	Notice(ctx context.Context, number, today string) (Notice, error)
	// OpenNotices are a user's notices neither paid nor expired on today,
	// latest issued first.
	OpenNotices(ctx context.Context, userCF, today string) ([]Notice, error)
}

// WorkerCap is the cap usage of one worker for the user.
type WorkerCap struct {
	WorkerCF string `json:"worker_cf"`
	NetCents int64  `json:"net_cents"`
	CapCents int64  `json:"cap_cents"`
}

// Caps is the cap usage of the current year.
type Caps struct {
	Year         int         `json:"year"`
	UserNetCents int64       `json:"user_net_cents"`
	UserCapCents int64       `json:"user_cap_cents"`
	PerWorker    []WorkerCap `json:"per_worker"`
}

// MonthSpend is the chart of the year's spending.
type MonthSpend struct {
	Month      int   `json:"month"`
	GrossCents int64 `json:"gross_cents"`
}

// Dashboard is GET /families/{cf}/dashboard. Family (ISEE, children,
// applications, payments, suggestions) is filled by the family read model.
type Dashboard struct {
	UserCF   string             `json:"user_cf"`
	Booklet  Booklet            `json:"booklet"`
	Services []DashboardService `json:"services"`
	Deposits []DashboardDeposit `json:"deposits"` // latest paid first
	Caps     Caps               `json:"caps"`
	Spending []MonthSpend       `json:"spending_by_month"`
	Family   *Family            `json:"family,omitempty"`
}

// Family is the Portale delle Famiglie part of the dashboard; its element
// types are defined with the family read model (family.go). ISEE is null
// when the family has none.
type Family struct {
	ISEE         *FamilyISEE         `json:"isee"`
	Children     []FamilyChild       `json:"children"`
	Applications []FamilyApplication `json:"applications"`
	Payments     []FamilyPayment     `json:"payments"`
	Suggestions  []FamilySuggestion  `json:"suggestions"`
}

// WorklistClaim is a claim awaiting validation.
type WorklistClaim struct {
	ClaimID      string `json:"claim_id"`
	HeirCF       string `json:"heir_cf"`
	DeceasedCF   string `json:"deceased_cf"`
	DateOfDeath  string `json:"date_of_death"`
	HeirKind     string `json:"heir_kind"`
	RegisteredAt string `json:"registered_at"`
}

// WorklistRefund is a refund awaiting approval (or, once approved, payment).
type WorklistRefund struct {
	RefundID    string `json:"refund_id"`
	ClaimID     string `json:"claim_id"`
	HeirCF      string `json:"heir_cf"`
	DeceasedCF  string `json:"deceased_cf"`
	AmountCents int64  `json:"amount_cents"`
	IBAN        string `json:"iban"`
	Status      string `json:"status"` // requested, approved
	ClaimStatus string `json:"claim_status"`
	RequestedAt string `json:"requested_at"`
	// ApprovedBy is the CF of the operator who approved it (four eyes:
	// another operator records the payment); "" while requested.
	ApprovedBy string `json:"approved_by"`
}

// Worklist is GET /backoffice/worklist.
type Worklist struct {
	ClaimsToValidate []WorklistClaim  `json:"claims_to_validate"`
	RefundsToApprove []WorklistRefund `json:"refunds_to_approve"`
	RefundsToPay     []WorklistRefund `json:"refunds_to_pay"`
}

// WorklistWindow is a window of the worklist (Queries.WorklistWindow): the
// rows of each list that fall in it, and each list's total.
type WorklistWindow struct {
	Worklist
	Totals [3]int // claims to validate, refunds to approve, refunds to pay
}

// Queries is what the HTTP layer and the portal read. Every method answers
// from PostgreSQL read models; none touches the event store.
type Queries interface {
	Claim(ctx context.Context, claimID string) (Claim, error)
	ClaimsByHeir(ctx context.Context, heirCF string) ([]Claim, error)
	History(ctx context.Context, claimID string) (History, error)
	Statement(ctx context.Context, workerCF string, year int) (Statement, error)
	// Payslip is the worker's payments of month "YYYY-MM", oldest run
	// first; ErrNotFound when that month paid them nothing.
	Payslip(ctx context.Context, workerCF, month string) (Payslip, error)
	// PayslipMonths are the months ("YYYY-MM") in which the worker was
	// paid, newest first; none is an empty list.
	PayslipMonths(ctx context.Context, workerCF string) ([]string, error)
	// Dashboard's caps are those of the calendar year of today (a civil date).
	Dashboard(ctx context.Context, userCF string, today string) (Dashboard, error)
	Worklist(ctx context.Context) (Worklist, error)
	// WorklistWindow is at most limit rows of the worklist from offset, the
	// three lists read as one queue in the order an operator works them
	// (claims to validate, refunds to approve, refunds to pay, each oldest
	// first), with the totals of the three lists.
	WorklistWindow(ctx context.Context, offset, limit int) (WorklistWindow, error)
	// OpenRefund is the worklist's row of a refund still to be worked
	// (requested or approved); ErrNotFound for any other.
	OpenRefund(ctx context.Context, refundID string) (WorklistRefund, error)
	// WaitFor returns once every projector has applied the event at the
	// global position (or ctx ends).
	WaitFor(ctx context.Context, position int64) error
}
