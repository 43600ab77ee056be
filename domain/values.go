package domain

import (
	"math"
	"time"
)

// Date is a civil date (Europe/Rome) without a time of day. The zero value
// is no date.
type Date struct{ t time.Time }

// ParseDate parses "YYYY-MM-DD"; the error is invalid_date on field.
func ParseDate(s, field string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, RuleError(CodeInvalidDate, field, "a date is written YYYY-MM-DD")
	}
	return Date{t: t}, nil
}

// LibrettoStart is the first day of the Libretto Famiglia (art. 54-bis D.L.
// 50/2017; INPS circ. 107/2017 opened the booklets on 10 July 2017). No
// death, service or deposit a booklet knows of can be dated before it: such
// a date is a mistake or a forgery (SPEC §8), and each year before it would
// otherwise bring fresh caps.
var LibrettoStart = NewDate(2017, time.July, 10)

// CheckLibrettoDate refuses a date before LibrettoStart: invalid_date on
// field. Every command that takes a date of death, a service's start or a
// deposit's paid_on calls it.
func CheckLibrettoDate(d Date, field string) error {
	if d.Before(LibrettoStart) {
		return RuleError(CodeInvalidDate, field, "a date cannot be before "+LibrettoStart.String()+", the start of the Libretto Famiglia").
			With("earliest", LibrettoStart.String())
	}
	return nil
}

// DateOf returns the civil date of the instant t in loc (Europe/Rome for
// Libretto); the caller owns the clock and the time zone database.
func DateOf(t time.Time, loc *time.Location) Date {
	y, m, d := t.In(loc).Date()
	return NewDate(y, m, d)
}

// NewDate returns the civil date y-m-d (normalised as time.Date does).
func NewDate(y int, m time.Month, d int) Date {
	return Date{t: time.Date(y, m, d, 0, 0, 0, 0, time.UTC)}
}

// String returns "YYYY-MM-DD", or "" for the zero Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.t.Format(time.DateOnly)
}

// IsZero reports whether d is no date.
func (d Date) IsZero() bool { return d.t.IsZero() }

// Year returns d's calendar year.
func (d Date) Year() int { return d.t.Year() }

// Before reports whether d is before o.
func (d Date) Before(o Date) bool { return d.t.Before(o.t) }

// After reports whether d is after o.
func (d Date) After(o Date) bool { return d.t.After(o.t) }

// AddDays returns the date n days after d.
func (d Date) AddDays(n int) Date { return Date{t: d.t.AddDate(0, 0, n)} }

// RecordingDeadline is the last day to record or revoke a service ending on
// end: the 3rd day of the month after end's month.
func RecordingDeadline(end Date) Date {
	return NewDate(end.t.Year(), end.t.Month()+1, 3)
}

// Activity is one of the three activities of the Libretto Famiglia.
type Activity struct{ s string }

// The activities of SPEC §2.
var (
	ActivityDomesticWork   = Activity{"lavori_domestici"}
	ActivityHomeCare       = Activity{"assistenza_domiciliare"}
	ActivityPrivateTeacher = Activity{"insegnamento_privato"}
)

func (a Activity) String() string { return a.s }

// ParseActivity returns the activity named s, or invalid_activity.
func ParseActivity(s string) (Activity, error) {
	for _, a := range []Activity{ActivityDomesticWork, ActivityHomeCare, ActivityPrivateTeacher} {
		if a.s == s {
			return a, nil
		}
	}
	return Activity{}, RuleError(CodeInvalidActivity, "activity", "the activity must be lavori_domestici, assistenza_domiciliare or insegnamento_privato")
}

// HeirKind is the kind of an heir: legittimo or testamentario.
type HeirKind struct{ s string }

// The heir kinds.
var (
	HeirLegitimate   = HeirKind{"legittimo"}
	HeirTestamentary = HeirKind{"testamentario"}
)

func (k HeirKind) String() string { return k.s }

// ParseHeirKind returns the heir kind named s, or invalid_heir_kind.
func ParseHeirKind(s string) (HeirKind, error) {
	switch s {
	case HeirLegitimate.s:
		return HeirLegitimate, nil
	case HeirTestamentary.s:
		return HeirTestamentary, nil
	}
	return HeirKind{}, RuleError(CodeInvalidHeirKind, "heir_kind", "the heir kind must be legittimo or testamentario")
}

// WorkerCategory is what a worker declared at registration; some categories
// count at 75% towards the user's cap (art. 54-bis c. 8).
type WorkerCategory struct{ s string }

// The worker categories.
var (
	CategoryPensioner     = WorkerCategory{"pensionato"}
	CategoryStudent       = WorkerCategory{"studente_under25"}
	CategoryUnemployed    = WorkerCategory{"disoccupato"}
	CategoryIncomeSupport = WorkerCategory{"sostegno_reddito"}
	CategoryOther         = WorkerCategory{"altro"}
)

func (c WorkerCategory) String() string { return c.s }

// Reduced reports whether pay to a worker of this category counts at 75%
// towards the user's cap.
func (c WorkerCategory) Reduced() bool { return c != CategoryOther && c.s != "" }

// ParseWorkerCategory returns the category named s; "" is altro.
func ParseWorkerCategory(s string) (WorkerCategory, error) {
	if s == "" {
		return CategoryOther, nil
	}
	for _, c := range []WorkerCategory{CategoryPensioner, CategoryStudent, CategoryUnemployed, CategoryIncomeSupport, CategoryOther} {
		if c.s == s {
			return c, nil
		}
	}
	return WorkerCategory{}, RuleError(CodeInvalidCategory, "category", "the category must be pensionato, studente_under25, disoccupato, sostegno_reddito or altro")
}

// Channel is how a deposit was paid: F24 (causale LIFA) or pagoPA.
type Channel struct{ s string }

// The deposit channels.
var (
	ChannelF24    = Channel{"F24"}
	ChannelPagoPA = Channel{"PAGOPA"}
)

func (c Channel) String() string { return c.s }

// ParseChannel returns the channel named s, or invalid_channel.
func ParseChannel(s string) (Channel, error) {
	switch s {
	case ChannelF24.s:
		return ChannelF24, nil
	case ChannelPagoPA.s:
		return ChannelPagoPA, nil
	}
	return Channel{}, RuleError(CodeInvalidChannel, "channel", "the channel must be F24 or PAGOPA")
}

// DepositStatus is whether a deposit's money is available: credited (at
// once, or later by DepositCredited) or pending (seen, not yet credited).
type DepositStatus struct{ s string }

// The deposit statuses.
var (
	DepositPendingStatus  = DepositStatus{"pending"}
	DepositCreditedStatus = DepositStatus{"credited"}
)

func (s DepositStatus) String() string { return s.s }

// ParseDepositStatus returns the status named s; empty is credited (a
// deposit is available at once unless said pending), anything else is
// invalid_deposit_status.
func ParseDepositStatus(s string) (DepositStatus, error) {
	switch s {
	case "", DepositCreditedStatus.s:
		return DepositCreditedStatus, nil
	case DepositPendingStatus.s:
		return DepositPendingStatus, nil
	}
	return DepositStatus{}, RuleError(CodeInvalidDepositStatus, "status", "a deposit's status is pending or credited (the default)")
}

// Voucher figures (SPEC §2): a voucher of 1000 cents pays 800 net to the
// worker, 165 IVS contribution, 25 INAIL premium and 10 management costs.
const (
	VoucherCents     int64 = 1000
	VoucherNet       int64 = 800
	VoucherIVS       int64 = 165
	VoucherINAIL     int64 = 25
	VoucherFee       int64 = 10
	DomiciledFee     int64 = 260 // bonifico domiciliato, once per worker per run
	WorkerCap        int64 = 500000
	UserCap          int64 = 1000000
	WorkerForUserCap int64 = 250000
)

// ReducedShare counts net pay at 75% towards the user's cap. Net pay is a
// multiple of 800 cents, so 75% of it is exact (600 per voucher); integer
// division would round down if that ever changed.
func ReducedShare(net int64) int64 { return net * 3 / 4 }

// Hours are decimal hours with at most two decimals, kept as hundredths.
type Hours struct{ hundredths int64 }

// ParseHours checks hours > 0 with at most two decimals (invalid_hours).
func ParseHours(h float64) (Hours, error) {
	if math.IsNaN(h) || math.IsInf(h, 0) || h <= 0 {
		return Hours{}, RuleError(CodeInvalidHours, "hours", "hours must be more than zero")
	}
	if h > 10000 {
		return Hours{}, RuleError(CodeInvalidHours, "hours", "hours must be at most 10000")
	}
	c := math.Round(h * 100)
	if math.Abs(h*100-c) > 1e-6 {
		return Hours{}, RuleError(CodeInvalidHours, "hours", "hours have at most two decimals")
	}
	return Hours{hundredths: int64(c)}, nil
}

// Ceil returns the hours rounded up to a whole hour.
func (h Hours) Ceil() int64 { return (h.hundredths + 99) / 100 }

// Float returns the hours as a float64 (for events).
func (h Hours) Float() float64 { return float64(h.hundredths) / 100 }
