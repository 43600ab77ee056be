package domain

import (
	"fmt"
	"strconv"
	"strings"
)

// pagoPA payment notices (avvisi di pagamento, SPEC §9). A notice number
// is 18 digits: the aux digit 3, then the 17-digit IUV — the segregation
// code, a 13-digit IUV base and two check digits, which are the 16
// preceding digits (aux digit included) read as one number, mod 93.
const (
	// NoticeAuxDigit is the aux digit of an IUV of 17 digits with a
	// segregation code (pagoPA, "Avviso di pagamento").
	NoticeAuxDigit = "3"
	// NoticeSegregationCode is the 2-digit segregation code of every notice
	// Libretto issues: the one INPS assigns this service's IUVs, so that
	// they never collide with IUVs its other services issue.
	NoticeSegregationCode = "02"
	// PayeeCF is INPS's codice fiscale, the notice's payee (ente creditore).
	PayeeCF = "80078750587"
	// NoticeValidityDays is how long a notice may be paid: it expires this
	// many days after the day it is issued, that day included as paid.
	NoticeValidityDays = 30
	// MinNoticeCents and MaxNoticeCents bound a notice's amount, a multiple
	// of 1000 cents.
	MinNoticeCents int64 = 1000
	MaxNoticeCents int64 = 500000
	// noticeBaseLimit is 10^13: an IUV base has 13 digits.
	noticeBaseLimit uint64 = 10_000_000_000_000
)

// NoticeNumber is an 18-digit pagoPA notice number with valid check digits.
type NoticeNumber struct{ s string }

// NoticeNumberOf makes the notice number of an IUV base (taken mod 10^13,
// so any 64-bit value will do).
func NoticeNumberOf(base uint64) NoticeNumber {
	first := fmt.Sprintf("%s%s%013d", NoticeAuxDigit, NoticeSegregationCode, base%noticeBaseLimit)
	return NoticeNumber{first + NoticeCheckDigits(first)}
}

// NoticeCheckDigits returns the two check digits of the 16 digits first16:
// that number mod 93, zero-padded. It panics on anything but 16 digits.
func NoticeCheckDigits(first16 string) string {
	n, err := strconv.ParseUint(first16, 10, 64)
	if err != nil || len(first16) != 16 {
		panic(fmt.Sprintf("domain: %q is not 16 digits", first16))
	}
	return fmt.Sprintf("%02d", n%93)
}

// ParseNoticeNumber returns the notice number s (spaces allowed, as printed
// on a notice), or invalid_notice_number for anything but 18 digits with
// Libretto's aux digit and segregation code and valid check digits.
func ParseNoticeNumber(s, field string) (NoticeNumber, error) {
	s = strings.ReplaceAll(strings.TrimSpace(s), " ", "")
	bad := RuleError(CodeInvalidNoticeNumber, field, "a notice number is 18 digits: 3, the segregation code "+NoticeSegregationCode+", 13 digits and 2 check digits")
	if len(s) != 18 || strings.Trim(s, "0123456789") != "" {
		return NoticeNumber{}, bad
	}
	if !strings.HasPrefix(s, NoticeAuxDigit+NoticeSegregationCode) || NoticeCheckDigits(s[:16]) != s[16:] {
		return NoticeNumber{}, bad
	}
	return NoticeNumber{s}, nil
}

func (n NoticeNumber) String() string { return n.s }

// IsZero reports whether n is the zero value.
func (n NoticeNumber) IsZero() bool { return n.s == "" }

// IUV is the notice number without its aux digit.
func (n NoticeNumber) IUV() string { return n.s[1:] }

// Grouped is the notice number as printed on notices: groups of four
// digits and the last two, e.g. "3020 0000 0000 0001 84".
func (n NoticeNumber) Grouped() string {
	var b strings.Builder
	for i := 0; i < len(n.s); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(n.s[i:min(i+4, len(n.s))])
	}
	return b.String()
}

// NoticeQR is the content of a notice's QR code (SPEC §9):
// PAGOPA|002|<notice number>|<payee CF>|<amount in cents>.
func NoticeQR(number string, amountCents int64) string {
	return fmt.Sprintf("PAGOPA|002|%s|%s|%d", number, PayeeCF, amountCents)
}

// Notice is a pagoPA payment notice a citizen issued for their own booklet,
// stream notice-<notice number>: issued once, paid at most once, before it
// expires.
type Notice struct {
	version int64
	number  NoticeNumber
	issued  PaymentNoticeIssued
	exists  bool
	paid    bool
}

// NewNotice returns the notice of number, not yet issued.
func NewNotice(number NoticeNumber) *Notice { return &Notice{number: number} }

// Version is the stream version the notice was folded to.
func (n *Notice) Version() int64 { return n.version }

// Exists reports whether the notice was issued.
func (n *Notice) Exists() bool { return n.exists }

// Issued is the notice as issued (zero before).
func (n *Notice) Issued() PaymentNoticeIssued { return n.issued }

// Paid reports whether the notice was paid.
func (n *Notice) Paid() bool { return n.paid }

// Apply folds stored events into the notice; it never fails.
func (n *Notice) Apply(events ...Recorded) {
	for _, r := range events {
		if r.Version > n.version {
			n.version = r.Version
		}
		switch e := r.Data.(type) {
		case PaymentNoticeIssued:
			n.issued, n.exists = e, true
		case PaymentNoticePaid:
			n.paid = true
		}
	}
}

// Issue issues the notice for amount cents on the booklet b of its owner,
// today: the booklet is open and active, the amount a multiple of 1000
// cents from 1000 to 500000. A number already issued is already_exists
// (the caller draws another).
func (n *Notice) Issue(b *Booklet, amountCents int64, today Date) ([]Pending, error) {
	if amountCents < MinNoticeCents || amountCents > MaxNoticeCents || amountCents%VoucherCents != 0 {
		return nil, RuleError(CodeInvalidAmount, "amount_cents", fmt.Sprintf("a notice is a multiple of 1000 cents from %d to %d", MinNoticeCents, MaxNoticeCents)).
			With("amount_cents", amountCents)
	}
	if !b.exists {
		return nil, RuleError(CodeUserNotRegistered, "", "open the booklet first")
	}
	if b.status != BookletActive {
		return nil, ConflictError(CodeBookletNotActive, "only an active booklet is topped up with a notice")
	}
	if n.exists {
		return nil, ConflictError(CodeAlreadyExists, "this notice number is taken")
	}
	return pending(PaymentNoticeIssued{
		NoticeNumber: n.number.String(), IUV: n.number.IUV(), UserCF: b.owner.String(), AmountCents: amountCents,
		IssuedOn: today.String(), ExpiresOn: today.AddDays(NoticeValidityDays).String(),
	}), nil
}

// NoticePayment is a pagoPA payment of a notice as the system role feeds it.
type NoticePayment struct {
	DepositID   string
	UserCF      string // optional; when given it must be the notice's
	AmountCents int64
	Channel     string // PAGOPA, or empty
	PaidOn      string
	Status      string // empty or credited: a pagoPA payment is credited at once
}

// Pay records the payment of the notice on its owner's booklet b, today:
// the notice's events and the booklet's deposit, to append together. An
// unissued notice is not_found; a paid one notice_already_paid (409); a
// payment whose user, amount or channel is not the notice's is
// notice_mismatch, one paid after the expiry date notice_expired.
func (n *Notice) Pay(b *Booklet, in NoticePayment, today Date) (notice, booklet []Pending, err error) {
	if !n.exists {
		return nil, nil, NotFoundError("no such notice")
	}
	if n.paid {
		return nil, nil, ConflictError(CodeNoticeAlreadyPaid, "this notice is already paid")
	}
	if in.UserCF != "" && in.UserCF != n.issued.UserCF {
		return nil, nil, RuleError(CodeNoticeMismatch, "user_cf", "the notice was issued for another booklet")
	}
	if in.AmountCents != n.issued.AmountCents {
		return nil, nil, RuleError(CodeNoticeMismatch, "amount_cents", "the amount paid is not the notice's").
			With("notice_amount_cents", n.issued.AmountCents).With("amount_cents", in.AmountCents)
	}
	if in.Channel != "" && in.Channel != ChannelPagoPA.String() {
		return nil, nil, RuleError(CodeNoticeMismatch, "channel", "a notice is paid through pagoPA")
	}
	if st, err := ParseDepositStatus(in.Status); err != nil || st != DepositCreditedStatus {
		return nil, nil, RuleError(CodeInvalidDepositStatus, "status", "a pagoPA notice's payment is credited at once")
	}
	paidOn, err := ParseDate(in.PaidOn, "paid_on")
	if err != nil {
		return nil, nil, err
	}
	expires, _ := ParseDate(n.issued.ExpiresOn, "")
	if noticeExpiredOn(expires, paidOn) {
		return nil, nil, RuleError(CodeNoticeExpired, "paid_on", "the notice expired on "+expires.String()).With("expires_on", expires.String())
	}
	booklet, err = b.RecordDeposit(DepositInput{DepositID: in.DepositID, AmountCents: in.AmountCents, Channel: ChannelPagoPA.String(), PaidOn: in.PaidOn}, today)
	if err != nil {
		return nil, nil, err
	}
	notice = pending(PaymentNoticePaid{NoticeNumber: n.number.String(), DepositID: in.DepositID, AmountCents: in.AmountCents, PaidOn: paidOn.String()})
	return notice, booklet, nil
}
