package domain

import "fmt"

// Kind says how a domain error is to be answered.
type Kind uint8

const (
	// KindRule is a business rule refusing the command (HTTP 422).
	KindRule Kind = iota
	// KindConflict is a state conflict (HTTP 409).
	KindConflict
	// KindNotFound is an unknown aggregate or one the caller may not see (HTTP 404).
	KindNotFound
	// KindForbidden is a caller who may do this in general but not here:
	// an operator acting on something they are a party to (HTTP 403).
	KindForbidden
)

// Stable error codes of SPEC §5 (and a few more). They are API: never rename.
const (
	CodeInvalidCF              = "invalid_cf"
	CodeInvalidIBAN            = "invalid_iban"
	CodeInvalidDate            = "invalid_date"
	CodeInvalidAmount          = "invalid_amount"
	CodeInvalidActivity        = "invalid_activity"
	CodeInvalidChannel         = "invalid_channel"
	CodeInvalidCategory        = "invalid_category"
	CodeInvalidHeirKind        = "invalid_heir_kind"
	CodeInvalidHours           = "invalid_hours"
	CodeInvalidWill            = "invalid_will"     // a will that is empty or over 10 MiB
	CodeInvalidDocument        = "invalid_document" // an upload that is not really a PDF, PNG or JPEG
	CodeInsufficientFunds      = "insufficient_funds"
	CodeCapExceeded            = "cap_exceeded"
	CodeVouchersBelowHours     = "vouchers_below_hours"
	CodeDeadlinePassed         = "deadline_passed"
	CodeFutureDate             = "future_date"
	CodeServiceAfterDeath      = "service_after_death"
	CodeHeirIsWorker           = "heir_is_worker"
	CodeHeirIsDeceased         = "heir_is_deceased"
	CodeWillRequired           = "will_required"
	CodeDateOfDeathMismatch    = "date_of_death_mismatch"
	CodeRefundAlreadyRequested = "refund_already_requested"
	CodeNothingToRefund        = "nothing_to_refund"
	CodeClaimNotValidated      = "claim_not_validated"
	CodeWorkerNotRegistered    = "worker_not_registered"
	CodeUserNotRegistered      = "user_not_registered"
	CodeDeclarationRequired    = "declaration_required"
	CodeAlreadyExists          = "already_exists"
	CodeInvalidState           = "invalid_state" // e.g. revoking a paid service, approving a rejected refund
	CodeNotFound               = "not_found"
	CodeBookletNotActive       = "booklet_not_active"
	CodeOwnerNotDeceased       = "owner_not_deceased"
	CodeSelfEmployment         = "worker_is_user"
	CodeIdempotencyKeyReused   = "idempotency_key_reused"
	CodeConcurrency            = "concurrency_conflict"
	CodeInvalidCharacter       = "invalid_character"       // text holding U+0000, which PostgreSQL cannot store
	CodeReasonRequired         = "reason_required"         // a compensating command without its reason
	CodeBankReferenceRequired  = "bank_reference_required" // a refund marked paid without the transfer's reference
	CodeConflictOfInterest     = "conflict_of_interest"    // an operator acting on what they are a party to (SPEC §8)
	CodeFourEyesRequired       = "four_eyes_required"      // the refund's approver recording its payment (SPEC §8)
	CodeInvalidDepositStatus   = "invalid_deposit_status"  // a deposit's status other than pending or credited
	CodeAlreadyCredited        = "deposit_already_credited"
	CodeInvalidNoticeNumber    = "invalid_notice_number"
	CodeNoticeMismatch         = "notice_mismatch"     // a payment whose amount, user or channel is not its notice's
	CodeNoticeAlreadyPaid      = "notice_already_paid" // 409
	CodeNoticeExpired          = "notice_expired"
)

// Error is a typed domain error: a stable code, the field it concerns (a JSON
// field name of the request, when one is to blame), a sentence for people and
// the facts behind it (which cap, how much is left).
//
// Facts about someone other than the person the command acts for (another
// heir's date of death or refund, a worker's earnings from other users) are
// added with WithOthers: the error keeps them for operators and auditors,
// and CallerFacts leaves them out for a citizen (SPEC §8). Detail never
// holds them.
type Error struct {
	Kind   Kind
	Code   string
	Field  string
	Detail string
	Facts  map[string]any
	others map[string]bool // keys of Facts about someone else
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s (%s): %s", e.Code, e.Field, e.Detail)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Detail)
}

// Is makes errors.Is match on Code, so callers may test against a sentinel
// built with the same code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// RuleError returns a KindRule error.
func RuleError(code, field, detail string) *Error {
	return &Error{Kind: KindRule, Code: code, Field: field, Detail: detail}
}

// ConflictError returns a KindConflict error.
func ConflictError(code, detail string) *Error {
	return &Error{Kind: KindConflict, Code: code, Detail: detail}
}

// ForbiddenError returns a KindForbidden error.
func ForbiddenError(code, detail string) *Error {
	return &Error{Kind: KindForbidden, Code: code, Detail: detail}
}

// NotFoundError returns a KindNotFound error.
func NotFoundError(detail string) *Error {
	return &Error{Kind: KindNotFound, Code: CodeNotFound, Detail: detail}
}

// With adds a fact that is the caller's own (or public, like a cap's
// limit) and returns e.
func (e *Error) With(key string, value any) *Error {
	if e.Facts == nil {
		e.Facts = map[string]any{}
	}
	e.Facts[key] = value
	delete(e.others, key)
	return e
}

// WithOthers adds a fact about someone other than the caller and returns e:
// operators and auditors see it, a citizen does not.
func (e *Error) WithOthers(key string, value any) *Error {
	e.With(key, value)
	if e.others == nil {
		e.others = map[string]bool{}
	}
	e.others[key] = true
	return e
}

// CallerFacts returns the facts without those about someone else: what a
// citizen may be told. It is nil when none is left.
func (e *Error) CallerFacts() map[string]any {
	var own map[string]any
	for k, v := range e.Facts {
		if e.others[k] {
			continue
		}
		if own == nil {
			own = make(map[string]any, len(e.Facts))
		}
		own[k] = v
	}
	return own
}
