package domain

// Event type names are stored with every event and are part of the audit
// contract: they never change and are never derived from Go type names.
// Every payload below is schema version 1 unless its comment says otherwise.
const (
	// booklet-<CF>
	TypeUserRegistered         = "UserRegistered"
	TypeDepositRecorded        = "DepositRecorded"        // credited at once
	TypePendingDepositRecorded = "PendingDepositRecorded" // seen (an F24) but not yet credited: not available
	TypeDepositCredited        = "DepositCredited"        // a pending deposit made available
	TypeServiceRecorded        = "ServiceRecorded"        // also for services inserted by an heir (ClaimID set)
	TypeServiceRevoked         = "ServiceRevoked"
	TypeServiceReversed        = "ServiceReversed"
	TypeServicePaid            = "ServicePaid"
	TypeHeirClaimAttached      = "HeirClaimAttached" // a claim was registered on the booklet of its deceased owner
	TypeHeirClaimDetached      = "HeirClaimDetached" // an operator rejected that heir
	TypeDateOfDeathCorrected   = "DateOfDeathCorrected"
	TypeDateOfDeathWithdrawn   = "DateOfDeathWithdrawn" // the last live heir was rejected
	TypeRefundReserved         = "RefundReserved"
	TypeRefundReservationFreed = "RefundReservationReleased"
	TypeRefundDisbursed        = "RefundDisbursed"

	// claim-<uuid>
	TypeHeirRegistered            = "HeirRegistered"
	TypeHeirValidated             = "HeirValidated"
	TypeHeirRejected              = "HeirRejected"
	TypeClaimDateOfDeathCorrected = "ClaimDateOfDeathCorrected"
	TypeRefundRequested           = "RefundRequested"
	TypeRefundApproved            = "RefundApproved"
	TypeRefundRejected            = "RefundRejected"
	TypeRefundPaid                = "RefundPaid"
	TypePriorServiceInserted      = "PriorServiceInserted"
	TypePriorServiceReversed      = "PriorServiceReversed" // the claim's side of ServiceReversed
	TypePriorServicePaid          = "PriorServicePaid"     // the claim's side of ServicePaid

	// worker-<CF>
	TypeWorkerRegistered    = "WorkerRegistered"
	TypeWorkerServiceBooked = "WorkerServiceBooked"   // counts towards the worker's yearly cap
	TypeWorkerServiceFreed  = "WorkerServiceReleased" // revoked or reversed: no longer counts
	TypeWorkerPaid          = "WorkerPaid"

	// payroll-<uuid>
	TypePayrollRunCompleted = "PayrollRunCompleted"

	// notice-<notice number>: a pagoPA payment notice
	TypePaymentNoticeIssued = "PaymentNoticeIssued"
	TypePaymentNoticePaid   = "PaymentNoticePaid" // with the booklet's DepositRecorded, in one append

	// service-<uuid> and refund-<uuid>: one-event locator streams written in
	// the same atomic append as the entity, so a command that names only the
	// id can find the aggregate that owns it.
	TypeServiceLocated = "ServiceLocated"
	TypeRefundLocated  = "RefundLocated"
	TypeDepositLocated = "DepositLocated" // deposit-<uuid>, so that crediting by id finds the booklet
)

// Stream names: <type>-<id>.
func BookletStream(userCF string) string     { return "booklet-" + userCF }
func ClaimStream(claimID string) string      { return "claim-" + claimID }
func WorkerStream(workerCF string) string    { return "worker-" + workerCF }
func PayrollStream(runID string) string      { return "payroll-" + runID }
func FamilyStream(cf string) string          { return "family-" + cf }
func ServiceLocator(serviceID string) string { return "service-" + serviceID }
func RefundLocator(refundID string) string   { return "refund-" + refundID }
func DepositLocator(depositID string) string { return "deposit-" + depositID }
func NoticeStream(number string) string      { return "notice-" + number }

// Dates are civil dates "YYYY-MM-DD" (Europe/Rome); money is integer cents;
// hours are decimal hours (at most two decimals).

// UserRegistered opens a booklet.
type UserRegistered struct {
	UserCF string `json:"user_cf"`
}

// DepositRecorded adds funds to a booklet (F24 or pagoPA).
type DepositRecorded struct {
	DepositID   string `json:"deposit_id"`
	AmountCents int64  `json:"amount_cents"`
	Channel     string `json:"channel"` // "F24" or "PAGOPA"
	PaidOn      string `json:"paid_on"`
}

// PendingDepositRecorded is a deposit seen but not yet credited (an F24
// INPS credits days later): it counts as pending, never as available, until
// DepositCredited. Its payload is DepositRecorded's.
type PendingDepositRecorded struct {
	DepositID   string `json:"deposit_id"`
	AmountCents int64  `json:"amount_cents"`
	Channel     string `json:"channel"` // "F24" or "PAGOPA"
	PaidOn      string `json:"paid_on"`
}

// DepositCredited makes a pending deposit available; its causation id names
// the PendingDepositRecorded it credits.
type DepositCredited struct {
	DepositID   string `json:"deposit_id"`
	AmountCents int64  `json:"amount_cents"`
	CreditedOn  string `json:"credited_on"`
}

// ServiceRecorded commits vouchers of a booklet to a worker. When an heir
// inserts a prior service, ClaimID and HeirCF are set.
type ServiceRecorded struct {
	ServiceID    string  `json:"service_id"`
	UserCF       string  `json:"user_cf"`
	WorkerCF     string  `json:"worker_cf"`
	Activity     string  `json:"activity"`
	StartDate    string  `json:"start_date"`
	EndDate      string  `json:"end_date"`
	Hours        float64 `json:"hours"`
	Vouchers     int     `json:"vouchers"`
	GrossCents   int64   `json:"gross_cents"`    // vouchers × 1000, committed on the booklet
	NetCents     int64   `json:"net_cents"`      // vouchers × 800
	UserCapCents int64   `json:"user_cap_cents"` // what counts towards the user's cap (75% for reduced categories)
	Year         int     `json:"year"`           // calendar year of the service (of its end date)
	Deadline     string  `json:"deadline"`       // last day to record or revoke; empty for prior services
	ClaimID      string  `json:"claim_id,omitempty"`
	HeirCF       string  `json:"heir_cf,omitempty"`
}

// ServiceRevoked is the user withdrawing an unpaid service before its deadline.
type ServiceRevoked struct {
	ServiceID string `json:"service_id"`
}

// ServiceReversed is an operator's compensation of an unpaid service; the
// event's causation id names the ServiceRecorded it compensates.
type ServiceReversed struct {
	ServiceID  string `json:"service_id"`
	Reason     string `json:"reason"`
	OperatorCF string `json:"operator_cf"`
}

// ServicePaid marks a service paid by a payroll run.
type ServicePaid struct {
	ServiceID string `json:"service_id"`
	RunID     string `json:"run_id"`
	PaidOn    string `json:"paid_on"`
}

// HeirClaimAttached records a claim on the deceased owner's booklet. The
// first one sets the owner deceased with DateOfDeath.
type HeirClaimAttached struct {
	ClaimID     string `json:"claim_id"`
	HeirCF      string `json:"heir_cf"`
	DateOfDeath string `json:"date_of_death"`
}

// HeirClaimDetached removes a rejected heir from the booklet.
type HeirClaimDetached struct {
	ClaimID string `json:"claim_id"`
	Reason  string `json:"reason"`
}

// DateOfDeathWithdrawn takes back the owner's death from the booklet when
// an operator rejects the last heir whose claim declared it (the claim was
// the only evidence of the death): the booklet is active again. Causation
// id names the event that had set the date.
type DateOfDeathWithdrawn struct {
	DateOfDeath string `json:"date_of_death"` // the date withdrawn
	ClaimID     string `json:"claim_id"`      // the rejected claim
	Reason      string `json:"reason"`
	OperatorCF  string `json:"operator_cf"`
}

// DateOfDeathCorrected is an operator's correction of the owner's date of
// death (booklet); causation id names the event it compensates.
type DateOfDeathCorrected struct {
	DateOfDeath string `json:"date_of_death"`
	Previous    string `json:"previous"`
	Reason      string `json:"reason"`
	OperatorCF  string `json:"operator_cf"`
}

// RefundReserved holds the whole available balance for a refund.
type RefundReserved struct {
	RefundID    string `json:"refund_id"`
	ClaimID     string `json:"claim_id"`
	AmountCents int64  `json:"amount_cents"`
}

// RefundReservationReleased returns a rejected refund's amount to the booklet.
type RefundReservationReleased struct {
	RefundID    string `json:"refund_id"`
	AmountCents int64  `json:"amount_cents"`
}

// RefundDisbursed moves a paid refund's amount from reserved to refunded.
type RefundDisbursed struct {
	RefundID    string `json:"refund_id"`
	AmountCents int64  `json:"amount_cents"`
}

// Will is the reference to a testamentary heir's will; its bytes live in the
// document table keyed by SHA256.
type Will struct {
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"` // hex
}

// HeirRegistered opens a claim.
type HeirRegistered struct {
	ClaimID     string `json:"claim_id"`
	HeirCF      string `json:"heir_cf"`
	DeceasedCF  string `json:"deceased_cf"`
	DateOfDeath string `json:"date_of_death"`
	HeirKind    string `json:"heir_kind"` // "legittimo" or "testamentario"
	Will        *Will  `json:"will,omitempty"`
}

// HeirValidated is an operator accepting the heir's declaration.
type HeirValidated struct {
	Note       string `json:"note,omitempty"`
	OperatorCF string `json:"operator_cf"`
}

// HeirRejected is an operator rejecting the heir (compensating).
type HeirRejected struct {
	Reason     string `json:"reason"`
	OperatorCF string `json:"operator_cf"`
}

// ClaimDateOfDeathCorrected mirrors a correction on each claim of the deceased.
type ClaimDateOfDeathCorrected struct {
	DateOfDeath string `json:"date_of_death"`
	Previous    string `json:"previous"`
	Reason      string `json:"reason"`
	OperatorCF  string `json:"operator_cf"`
}

// RefundRequested is the heir asking for the booklet's available balance.
type RefundRequested struct {
	RefundID    string `json:"refund_id"`
	AmountCents int64  `json:"amount_cents"`
	IBAN        string `json:"iban"`
}

// RefundApproved is an operator approving a refund of a validated claim.
type RefundApproved struct {
	RefundID   string `json:"refund_id"`
	OperatorCF string `json:"operator_cf"`
}

// RefundRejected is an operator rejecting a refund (compensating).
type RefundRejected struct {
	RefundID   string `json:"refund_id"`
	Reason     string `json:"reason"`
	OperatorCF string `json:"operator_cf"`
}

// RefundPaid records the bank transfer of an approved refund.
type RefundPaid struct {
	RefundID      string `json:"refund_id"`
	PaidOn        string `json:"paid_on"`
	BankReference string `json:"bank_reference"`
	OperatorCF    string `json:"operator_cf"`
}

// PriorServiceInserted is the claim's side of a prior service; the booklet
// holds the matching ServiceRecorded with the same ServiceID.
type PriorServiceInserted struct {
	ServiceID string  `json:"service_id"`
	WorkerCF  string  `json:"worker_cf"`
	Activity  string  `json:"activity"`
	StartDate string  `json:"start_date"`
	EndDate   string  `json:"end_date"`
	Hours     float64 `json:"hours"`
	Vouchers  int     `json:"vouchers"`
}

// PriorServiceReversed is the claim's side of an operator reversing a prior
// service; causation id names the PriorServiceInserted it compensates.
type PriorServiceReversed struct {
	ServiceID  string `json:"service_id"`
	Reason     string `json:"reason"`
	OperatorCF string `json:"operator_cf"`
}

// PriorServicePaid is the claim's side of a payroll run paying a prior service.
type PriorServicePaid struct {
	ServiceID string `json:"service_id"`
	RunID     string `json:"run_id"`
	PaidOn    string `json:"paid_on"`
}

// WorkerRegistered registers a worker (prestatore).
type WorkerRegistered struct {
	WorkerCF string `json:"worker_cf"`
	IBAN     string `json:"iban,omitempty"`
	Category string `json:"category"`
}

// WorkerServiceBooked counts a service towards the worker's yearly cap.
type WorkerServiceBooked struct {
	ServiceID string `json:"service_id"`
	UserCF    string `json:"user_cf"`
	Year      int    `json:"year"`
	NetCents  int64  `json:"net_cents"`
}

// WorkerServiceReleased stops a revoked or reversed service counting.
type WorkerServiceReleased struct {
	ServiceID string `json:"service_id"`
}

// PaidService is one service in a worker's payment.
type PaidService struct {
	ServiceID       string  `json:"service_id"`
	UserCF          string  `json:"user_cf"`
	InsertedByHeir  bool    `json:"inserted_by_heir"`
	Hours           float64 `json:"hours"`
	Vouchers        int     `json:"vouchers"`
	GrossCents      int64   `json:"gross_cents"`
	NetCents        int64   `json:"net_cents"`
	IVSCents        int64   `json:"ivs_cents"`
	INAILCents      int64   `json:"inail_cents"`
	ManagementCents int64   `json:"management_cents"`
}

// WorkerPaid is one payment of a payroll run to a worker.
type WorkerPaid struct {
	RunID     string        `json:"run_id"`
	RunDate   string        `json:"run_date"`
	Services  []PaidService `json:"services"`
	NetCents  int64         `json:"net_cents"`
	FeeCents  int64         `json:"fee_cents"` // bonifico domiciliato, 260 when no IBAN
	PaidCents int64         `json:"paid_cents"`
	IBAN      string        `json:"iban,omitempty"`
}

// Payment is one line of a payroll run.
type Payment struct {
	WorkerCF   string   `json:"worker_cf"`
	ServiceIDs []string `json:"service_ids"`
	NetCents   int64    `json:"net_cents"`
	FeeCents   int64    `json:"fee_cents"`
	PaidCents  int64    `json:"paid_cents"`
}

// PayrollRunCompleted summarises a run.
type PayrollRunCompleted struct {
	RunID     string    `json:"run_id"`
	RunDate   string    `json:"run_date"`
	Payments  []Payment `json:"payments"`
	PaidCents int64     `json:"paid_cents"`
}

// PaymentNoticeIssued is a pagoPA payment notice a citizen issued to top up
// their own booklet.
type PaymentNoticeIssued struct {
	NoticeNumber string `json:"notice_number"` // 18 digits: aux digit 3 + IUV
	IUV          string `json:"iuv"`           // 17 digits
	UserCF       string `json:"user_cf"`
	AmountCents  int64  `json:"amount_cents"`
	IssuedOn     string `json:"issued_on"`
	ExpiresOn    string `json:"expires_on"` // the last day it may be paid
}

// PaymentNoticePaid is the payment of a notice; the booklet's
// DepositRecorded with DepositID is appended with it.
type PaymentNoticePaid struct {
	NoticeNumber string `json:"notice_number"`
	DepositID    string `json:"deposit_id"`
	AmountCents  int64  `json:"amount_cents"`
	PaidOn       string `json:"paid_on"`
}

// ServiceLocated points a service id at its booklet.
type ServiceLocated struct {
	ServiceID string `json:"service_id"`
	UserCF    string `json:"user_cf"`
	ClaimID   string `json:"claim_id,omitempty"`
}

// DepositLocated points a deposit id at its booklet.
type DepositLocated struct {
	DepositID string `json:"deposit_id"`
	UserCF    string `json:"user_cf"`
}

// RefundLocated points a refund id at its claim and booklet.
type RefundLocated struct {
	RefundID string `json:"refund_id"`
	ClaimID  string `json:"claim_id"`
	UserCF   string `json:"user_cf"`
}
