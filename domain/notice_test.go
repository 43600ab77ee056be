package domain_test

import (
	"testing"

	"github.com/inps/libretto/domain"
)

// The check digits are the 16 digits before them (aux digit 3, segregation
// code 02, 13-digit IUV base) read as one number, mod 93. Worked by hand:
//
//	3020000000000001 = 93 × 32473118279569 + 84  → "84"
//	3021234567890123 = 93 × 32486393203119 + 56  → "56"
//	3029999999999999 = 93 × 32580645161290 + 29  → "29"
//	3020000000000000 = 93 × 32473118279569 + 83  → "83"
//	3020000000000010 = 93 × 32473118279570 + 0   → "00" (zero-padded)
//	3020000000000017 = 93 × 32473118279570 + 7   → "07" (zero-padded)
//
// (93 × 32473118279569 = 3019999999999917; + 93 = 3020000000000010.)
func TestNoticeCheckDigitsAreTheFirst16DigitsMod93(t *testing.T) {
	t.Parallel()
	tests := []struct {
		base    uint64
		number  string
		grouped string
	}{
		{1, "302000000000000184", "3020 0000 0000 0001 84"},
		{1234567890123, "302123456789012356", "3021 2345 6789 0123 56"},
		{9999999999999, "302999999999999929", "3029 9999 9999 9999 29"},
		{0, "302000000000000083", "3020 0000 0000 0000 83"},
		{10, "302000000000001000", "3020 0000 0000 0010 00"},
		{17, "302000000000001707", "3020 0000 0000 0017 07"},
		{10_000_000_000_017, "302000000000001707", "3020 0000 0000 0017 07"}, // the base is taken mod 10^13
	}
	for _, tt := range tests {
		t.Run(tt.number, func(t *testing.T) {
			t.Parallel()
			n := domain.NoticeNumberOf(tt.base)
			if n.String() != tt.number || n.Grouped() != tt.grouped || n.IUV() != tt.number[1:] {
				t.Fatalf("base %d: %s (%s), IUV %s; want %s (%s)", tt.base, n, n.Grouped(), n.IUV(), tt.number, tt.grouped)
			}
			if got := domain.NoticeCheckDigits(tt.number[:16]); got != tt.number[16:] {
				t.Fatalf("check digits %s, want %s", got, tt.number[16:])
			}
			if p, err := domain.ParseNoticeNumber(tt.grouped, "n"); err != nil || p != n {
				t.Fatalf("the grouped number parses to %v, %v", p, err)
			}
		})
	}
}

func TestParseNoticeNumber(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ name, in string }{
		{"a wrong check digit is refused", "302000000000000185"},
		{"another segregation code is refused", "301000000000000120"},
		{"another aux digit is refused", "002000000000000184"},
		{"17 digits are refused", "30200000000000018"},
		{"letters are refused", "30200000000000018A"},
		{"an empty number is refused", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := domain.ParseNoticeNumber(tt.in, "notice_number")
			wantCode(t, err, domain.CodeInvalidNoticeNumber)
		})
	}
}

func TestNoticeQRIsTheSPECString(t *testing.T) {
	t.Parallel()
	if got := domain.NoticeQR("302000000000000184", 25000); got != "PAGOPA|002|302000000000000184|80078750587|25000" {
		t.Fatal(got)
	}
}

const noticeNo = "302000000000000184"

func noticeOf(events ...domain.Event) *domain.Notice {
	n := domain.NewNotice(domain.NoticeNumberOf(1))
	n.Apply(recorded("notice", events)...)
	return n
}

func issued(cents int64) domain.PaymentNoticeIssued {
	return domain.PaymentNoticeIssued{NoticeNumber: noticeNo, IUV: noticeNo[1:], UserCF: user, AmountCents: cents, IssuedOn: "2026-03-01", ExpiresOn: "2026-03-31"}
}

func TestIssueNotice(t *testing.T) {
	t.Parallel()
	open := []domain.Event{opened(user)}
	tests := []struct {
		name    string
		booklet []domain.Event
		notice  []domain.Event
		cents   int64
		code    string
	}{
		{name: "a notice of 10 euro is issued", booklet: open, cents: 1000},
		{name: "a notice of 5000 euro is issued", booklet: open, cents: 500000},
		{name: "a notice above 5000 euro is refused", booklet: open, cents: 501000, code: domain.CodeInvalidAmount},
		{name: "a notice not a multiple of 10 euro is refused", booklet: open, cents: 1500, code: domain.CodeInvalidAmount},
		{name: "a zero notice is refused", booklet: open, cents: 0, code: domain.CodeInvalidAmount},
		{name: "a negative notice is refused", booklet: open, cents: -1000, code: domain.CodeInvalidAmount},
		{name: "a user without a booklet is refused", cents: 1000, code: domain.CodeUserNotRegistered},
		{name: "a deceased owner's booklet is not topped up", booklet: []domain.Event{opened(user), domain.HeirClaimAttached{ClaimID: claimID, HeirCF: heir, DateOfDeath: "2026-02-20"}}, cents: 1000, code: domain.CodeBookletNotActive},
		{name: "a number already issued is taken", booklet: open, notice: []domain.Event{issued(1000)}, cents: 1000, code: domain.CodeAlreadyExists},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := noticeOf(tt.notice...).Issue(bookletOf(user, tt.booklet...), tt.cents, date("2026-03-01"))
			wantCode(t, err, tt.code)
			if err == nil {
				want := issued(tt.cents)
				wantEvents(t, got, want)
			}
		})
	}
}

func TestPayNotice(t *testing.T) {
	t.Parallel()
	pay := func(edit func(*domain.NoticePayment)) domain.NoticePayment {
		p := domain.NoticePayment{DepositID: "dep", AmountCents: 25000, Channel: "PAGOPA", PaidOn: "2026-03-10"}
		if edit != nil {
			edit(&p)
		}
		return p
	}
	tests := []struct {
		name   string
		notice []domain.Event
		in     domain.NoticePayment
		code   string
	}{
		{name: "a notice is paid by its amount", notice: []domain.Event{issued(25000)}, in: pay(nil)},
		{name: "a notice is paid on its last day", notice: []domain.Event{issued(25000)}, in: pay(func(p *domain.NoticePayment) { p.PaidOn = "2026-03-31" })},
		{name: "the user may be named if it is the notice's", notice: []domain.Event{issued(25000)}, in: pay(func(p *domain.NoticePayment) { p.UserCF = user })},
		{name: "an unissued notice is not found", in: pay(nil), code: domain.CodeNotFound},
		{name: "a notice is paid once", notice: []domain.Event{issued(25000), domain.PaymentNoticePaid{NoticeNumber: noticeNo, DepositID: "d0", AmountCents: 25000, PaidOn: "2026-03-02"}}, in: pay(nil), code: domain.CodeNoticeAlreadyPaid},
		{name: "another amount is a mismatch", notice: []domain.Event{issued(25000)}, in: pay(func(p *domain.NoticePayment) { p.AmountCents = 26000 }), code: domain.CodeNoticeMismatch},
		{name: "another user is a mismatch", notice: []domain.Event{issued(25000)}, in: pay(func(p *domain.NoticePayment) { p.UserCF = user2 }), code: domain.CodeNoticeMismatch},
		{name: "an F24 does not pay a notice", notice: []domain.Event{issued(25000)}, in: pay(func(p *domain.NoticePayment) { p.Channel = "F24" }), code: domain.CodeNoticeMismatch},
		{name: "a notice's payment is not pending", notice: []domain.Event{issued(25000)}, in: pay(func(p *domain.NoticePayment) { p.Status = "pending" }), code: domain.CodeInvalidDepositStatus},
		{name: "a notice paid after its expiry is refused", notice: []domain.Event{issued(25000)}, in: pay(func(p *domain.NoticePayment) { p.PaidOn = "2026-04-01" }), code: domain.CodeNoticeExpired},
		{name: "a payment in the future is refused", notice: []domain.Event{issued(25000)}, in: pay(func(p *domain.NoticePayment) { p.PaidOn = "2026-03-12" }), code: domain.CodeFutureDate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			today := "2026-03-11"
			if tt.in.PaidOn == "2026-03-31" {
				today = "2026-04-02" // recorded after the notice expired, paid on its last day
			}
			notice, booklet, err := noticeOf(tt.notice...).Pay(bookletOf(user, opened(user)), tt.in, date(today))
			wantCode(t, err, tt.code)
			if err != nil {
				if tt.code == domain.CodeNoticeAlreadyPaid && kindOf(err) != domain.KindConflict {
					t.Fatal("a second payment is a conflict (409)")
				}
				return
			}
			wantEvents(t, notice, domain.PaymentNoticePaid{NoticeNumber: noticeNo, DepositID: "dep", AmountCents: 25000, PaidOn: tt.in.PaidOn})
			wantEvents(t, booklet, domain.DepositRecorded{DepositID: "dep", AmountCents: 25000, Channel: "PAGOPA", PaidOn: tt.in.PaidOn})
		})
	}
}
