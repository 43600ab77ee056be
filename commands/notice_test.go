package commands_test

import (
	"sync"
	"testing"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/domain"
)

func TestANoticeIsPaidOnceOnItsOwnersBooklet(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.user(laura, 0)
	m := citizen(laura)
	m.IdempotencyKey, m.RequestHash = "notice-1", "h"
	n := f.must(f.h.IssueNotice(ctx(), m, commands.IssueNotice{AmountCents: 25000}))
	if _, err := domain.ParseNoticeNumber(n.ID, ""); err != nil || n.ExpiresOn != "2026-04-01" || n.AmountCents != 25000 {
		t.Fatalf("notice %+v: %v", n, err)
	}
	// The same request again, even by a handler that lost the first answer,
	// is the same notice.
	again := f.must(commands.NewHandler(f.store, nil, f.docs).IssueNotice(ctx(), m, commands.IssueNotice{AmountCents: 25000}))
	if again != n {
		t.Fatalf("a retried issue answered %+v, the first %+v", again, n)
	}
	other := f.must(f.h.IssueNotice(ctx(), citizen(laura), commands.IssueNotice{AmountCents: 25000}))
	if other.ID == n.ID {
		t.Fatal("two requests drew one notice number")
	}

	pay := commands.RecordDeposit{NoticeNumber: n.ID, AmountCents: 25000, Channel: "PAGOPA", PaidOn: "2026-03-02"}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var paid, refused int
	for range 4 {
		wg.Go(func() {
			_, err := f.h.RecordDeposit(ctx(), system(), pay)
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				paid++
				return
			}
			wantCode(t, err, domain.CodeNoticeAlreadyPaid)
			refused++
		})
	}
	wg.Wait()
	if paid != 1 || refused != 3 {
		t.Fatalf("%d payments recorded, %d refused; want 1 and 3", paid, refused)
	}
	var deposits int
	for _, e := range f.stream(domain.BookletStream(laura)) {
		if e.Type == domain.TypeDepositRecorded {
			deposits++
		}
	}
	if deposits != 1 {
		t.Fatalf("%d deposits on the booklet", deposits)
	}

	_, err := f.h.RecordDeposit(ctx(), system(), commands.RecordDeposit{NoticeNumber: other.ID, AmountCents: 1000, Channel: "PAGOPA", PaidOn: "2026-03-02"})
	wantCode(t, err, domain.CodeNoticeMismatch)
	_, err = f.h.RecordDeposit(ctx(), system(), commands.RecordDeposit{NoticeNumber: other.ID, UserCF: giulia, AmountCents: 25000, Channel: "PAGOPA", PaidOn: "2026-03-02"})
	wantCode(t, err, domain.CodeNoticeMismatch)
	_, err = f.h.RecordDeposit(ctx(), system(), commands.RecordDeposit{NoticeNumber: domain.NoticeNumberOf(42).String(), AmountCents: 25000, Channel: "PAGOPA", PaidOn: "2026-03-02"})
	wantCode(t, err, domain.CodeNotFound)
	_, err = f.h.RecordDeposit(ctx(), system(), commands.RecordDeposit{NoticeNumber: "302000000000000185", AmountCents: 25000, Channel: "PAGOPA", PaidOn: "2026-03-02"})
	wantCode(t, err, domain.CodeInvalidNoticeNumber)
}
