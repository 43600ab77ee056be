package commands_test

import (
	"testing"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/domain"
)

func TestVerticalSlice(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.user(mario, 10000)
	f.worker(laura, ibanOK, "")
	res := f.must(f.h.RecordService(ctx(), citizen(mario), service(laura, 2)))
	if res.ID == "" || res.Position == 0 {
		t.Fatalf("result %+v", res)
	}
	evs := f.stream(domain.BookletStream(mario))
	if got := evs[len(evs)-1].Type; got != domain.TypeServiceRecorded {
		t.Fatalf("last booklet event %s", got)
	}
	claim := f.must(f.h.RegisterHeir(ctx(), citizen(heirCF), heirOfMario()))
	ref := f.must(f.h.RequestRefund(ctx(), citizen(heirCF), commands.RequestRefund{ClaimID: claim.ID, IBAN: ibanOK}))
	if ref.AmountCents != 8000 {
		t.Fatalf("refund %d, want 8000", ref.AmountCents)
	}
}
