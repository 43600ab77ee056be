// Package commands holds one file per command: each loads the aggregates it
// needs from the event store, lets the domain decide, and appends to every
// touched stream atomically with expected versions, retrying a bounded number
// of times on concurrency conflicts.
//
// It imports domain (and domain/access, the table of who may do what, for
// the ownership of the data it loads) and eventstore; it must not import
// projections or http.
package commands

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/inps/libretto/eventstore"
)

// Role is what an authenticated actor may do (SPEC §1).
type Role string

// The roles of SPEC §1.
const (
	RoleCitizen  Role = "citizen"
	RoleOperator Role = "operator"
	RoleAuditor  Role = "auditor"
	RoleSystem   Role = "system"
)

// Meta is the context of one command: who, when, and how it correlates.
type Meta struct {
	ActorCF        string    // the authenticated subject (a CF for people, a name for system feeds)
	Role           Role      // the role the command is issued under
	Now            time.Time // the instant the command is decided at; the domain has no clock
	CorrelationID  uuid.UUID // the request's correlation id
	IdempotencyKey string    // optional; see Idempotency
	RequestHash    string    // SHA-256 of the request body, compared for idempotency
	dryRun         bool      // set by Check: decide, but append and store nothing

	// OnBehalfOf is the person the actor acts for under a delegation (SPEC
	// §9), "" when they act for themselves. The command then acts on that
	// person's data as they would, within Scopes, and its events record
	// both: the actor and on_behalf_of. Whoever sets it (the API's and the
	// portal's middleware) has checked the delegation active.
	OnBehalfOf string
	Scopes     []string // the delegation's scopes, with OnBehalfOf
}

// Result is what every command returns: the global position of its last event
// and the ids or figures the API reports.
type Result struct {
	Position    int64  `json:"position"`
	ID          string `json:"id,omitempty"`           // user_cf, worker_cf, deposit_id, service_id, claim_id, refund_id, run_id
	AmountCents int64  `json:"amount_cents,omitempty"` // refund amount
	Payments    int    `json:"payments,omitempty"`     // payroll: one per worker
	PaidCents   int64  `json:"paid_cents,omitempty"`   // payroll: sum paid
	ExpiresOn   string `json:"expires_on,omitempty"`   // notice: the last day it may be paid
}

// Idempotency stores the first result of a command under its key.
type Idempotency interface {
	// Lookup returns the stored result for (scope, key) and the request hash
	// it was stored with; found is false when there is none.
	Lookup(ctx context.Context, scope, key string) (res []byte, requestHash string, found bool, err error)
	// Save stores the result; a second Save of the same (scope, key) keeps the first.
	Save(ctx context.Context, scope, key, requestHash string, res []byte) error
}

// Documents keeps uploaded files once, keyed by their SHA-256 (hex).
type Documents interface {
	Put(ctx context.Context, sha256Hex, contentType string, content []byte) error
	Get(ctx context.Context, sha256Hex string) (contentType string, content []byte, err error)
}

// Handler executes commands against a store.
type Handler struct {
	store       eventstore.Store
	idempotency Idempotency
	documents   Documents
	maxRetries  int
	unpaid      UnpaidBooklets // optional; see WithUnpaidBooklets
	states      *stateCache    // folded aggregates by stream, checked by version
	codes       CodeSender     // optional; see SetCodeSender
}

// NewHandler returns a Handler over store, idempotency and document stores.
func NewHandler(store eventstore.Store, idem Idempotency, docs Documents, opts ...Option) *Handler {
	h := &Handler{store: store, idempotency: idem, documents: docs, maxRetries: 20, states: newStateCache(defaultCacheEntries)}
	for _, o := range opts {
		o(h)
	}
	return h
}

// Option configures a Handler at construction.
type Option func(*Handler)

// WithUnpaidBooklets lets RunPayroll find the booklets to pay from a read
// model instead of scanning the event log.
func WithUnpaidBooklets(u UnpaidBooklets) Option { return func(h *Handler) { h.unpaid = u } }

// The commands. Each has its own file with its handler method:
//
//	func (h *Handler) RegisterUser(ctx, Meta, RegisterUser) (Result, error)
//	... and so on for every type below.

// RegisterUser opens the caller's booklet (ID = user CF).
type RegisterUser struct{}

// RegisterWorker registers the caller as a worker (ID = worker CF).
type RegisterWorker struct {
	IBAN     string // optional
	Category string // default "altro"
}

// RecordDeposit records an F24/pagoPA deposit (system, operator) (ID =
// deposit id).
type RecordDeposit struct {
	UserCF      string
	AmountCents int64
	Channel     string
	PaidOn      string
	Status      string // "pending" (not available until credited), or "credited" (the default)
	// NoticeNumber, when set, makes the deposit the pagoPA payment of that
	// notice: UserCF may then be empty (it is the notice's).
	NoticeNumber string
}

// IssueNotice issues a pagoPA notice for the caller's booklet (citizen) (ID
// = notice number, AmountCents, ExpiresOn).
type IssueNotice struct {
	AmountCents int64
}

// CreditDeposit makes a pending deposit available (system) (ID = deposit id).
type CreditDeposit struct {
	DepositID string
}

// RecordService records a service on the caller's booklet (ID = service id).
type RecordService struct {
	WorkerCF           string
	Activity           string
	StartDate          string
	EndDate            string
	Hours              float64
	Vouchers           int
	NoRecentEmployment bool
}

// RevokeService withdraws one of the caller's unpaid services.
type RevokeService struct {
	ServiceID string
}

// WillUpload is a testamentary heir's will as uploaded.
type WillUpload struct {
	Filename string
	Content  []byte
}

// RegisterHeir opens a claim on a deceased user's booklet (ID = claim id).
type RegisterHeir struct {
	DeceasedCF  string
	DateOfDeath string
	HeirKind    string
	Will        *WillUpload
}

// RequestRefund asks for the booklet's available balance (ID = refund id).
type RequestRefund struct {
	ClaimID string
	IBAN    string
}

// InsertPriorService records a service the deceased received (ID = service id).
type InsertPriorService struct {
	ClaimID           string
	WorkerCF          string
	Activity          string
	StartDate         string
	EndDate           string
	Hours             float64
	Vouchers          int
	NoKnownEmployment bool
}

// ValidateHeir is an operator accepting a claim.
type ValidateHeir struct {
	ClaimID string
	Note    string
}

// RejectHeir is an operator rejecting a claim.
type RejectHeir struct {
	ClaimID string
	Reason  string
}

// ApproveRefund is an operator approving a refund.
type ApproveRefund struct {
	RefundID string
}

// RejectRefund is an operator rejecting a refund; the reservation is released.
type RejectRefund struct {
	RefundID string
	Reason   string
}

// MarkRefundPaid records the transfer of an approved refund.
type MarkRefundPaid struct {
	RefundID      string
	PaidOn        string
	BankReference string
}

// ReverseService is an operator compensating an unpaid service.
type ReverseService struct {
	ServiceID string
	Reason    string
}

// CorrectDateOfDeath is an operator correcting a deceased's date of death.
type CorrectDateOfDeath struct {
	DeceasedCF  string
	DateOfDeath string
	Reason      string
}

// GrantDelegation lets DelegateCF act for the caller within Scope (libretto,
// eredi) until ExpiresOn, that day included (ID = delegation id).
type GrantDelegation struct {
	DelegateCF string
	Scope      []string
	ExpiresOn  string
}

// RevokeDelegation ends one of the caller's delegations.
type RevokeDelegation struct {
	DelegationID string
}

// RunPayroll pays every recorded, unrevoked, unpaid service ending on or
// before RunDate (ID = run id).
type RunPayroll struct {
	RunDate string
}

// UnpaidBooklets lists the booklets (user CFs) that hold recorded, unpaid
// services. Projections implement it for RunPayroll, and must answer for
// every service committed before the call (a read model waits to catch up):
// a run pays the service recorded an instant before it. When nil,
// RunPayroll scans the event log.
type UnpaidBooklets interface {
	UnpaidBooklets(ctx context.Context) ([]string, error)
}
