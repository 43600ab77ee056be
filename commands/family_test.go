package commands_test

import (
	"errors"
	"testing"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/domain/family"
	"github.com/inps/libretto/eventstore"
)

func familyEvents(t *testing.T, f *fixture, cf string) []string {
	t.Helper()
	events, err := f.store.ReadStream(ctx(), domain.FamilyStream(cf), eventstore.ReadOptions{})
	if errors.Is(err, eventstore.ErrStreamNotFound) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range events {
		types = append(types, e.Type)
	}
	return types
}

func TestFamilyFactsAreAppendedToTheFamilyStream(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	child := cf("RSSLCU23C15H501")
	r1 := f.must(f.h.RecordISEE(ctx(), system(), commands.RecordISEE{FamilyCF: laura, ValueCents: 1500000, Protocol: "INPS-ISEE-2026-1", DSUSubmittedOn: "2026-01-15"}))
	r2 := f.must(f.h.RecordChild(ctx(), system(), commands.RecordChild{FamilyCF: laura, ChildCF: child, BirthDate: "2023-03-15"}))
	r3 := f.must(f.h.RecordApplication(ctx(), system(), commands.RecordApplication{FamilyCF: laura, ApplicationID: "AUU-1", Benefit: "AUU", SubmittedOn: "2026-01-20"}))
	r4 := f.must(f.h.ChangeApplicationStatus(ctx(), system(), commands.ChangeApplicationStatus{FamilyCF: laura, ApplicationID: "AUU-1", Status: "approved"}))
	r5 := f.must(f.h.RecordBenefitPayment(ctx(), system(), commands.RecordBenefitPayment{FamilyCF: laura, ApplicationID: "AUU-1", AmountCents: 20380, PaidOn: "2026-02-20"}))
	if !(r1.Position < r2.Position && r2.Position < r3.Position && r3.Position < r4.Position && r4.Position < r5.Position) {
		t.Fatalf("positions do not grow: %d %d %d %d %d", r1.Position, r2.Position, r3.Position, r4.Position, r5.Position)
	}
	if r3.ID != "AUU-1" || r5.ID == "" {
		t.Fatalf("ids: application %q payment %q", r3.ID, r5.ID)
	}
	want := []string{family.TypeISEERecorded, family.TypeChildRecorded, family.TypeApplicationRecorded, family.TypeApplicationStatusChanged, family.TypeBenefitPaymentRecorded}
	if got := familyEvents(t, f, laura); len(got) != len(want) {
		t.Fatalf("events %v, want %v", got, want)
	}
}

func TestResendingAKnownFamilyFactAppendsNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	child := cf("RSSLCU23C15H501")
	first := f.must(f.h.RecordChild(ctx(), system(), commands.RecordChild{FamilyCF: laura, ChildCF: child, BirthDate: "2023-03-15"}))
	again := f.must(f.h.RecordChild(ctx(), system(), commands.RecordChild{FamilyCF: laura, ChildCF: child, BirthDate: "2023-03-15", Disability: "none"}))
	if again.Position != first.Position {
		t.Fatalf("a resent child answers the family's last position %d, got %d", first.Position, again.Position)
	}
	if got := familyEvents(t, f, laura); len(got) != 1 {
		t.Fatalf("events %v, want one", got)
	}
}

func TestFamilyCommandIdempotencyKey(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	m := system()
	m.IdempotencyKey, m.RequestHash = "k1", "h1"
	cmd := commands.RecordBenefitPayment{FamilyCF: laura, ApplicationID: "AUU-1", AmountCents: 100, PaidOn: "2026-02-20"}
	f.must(f.h.RecordApplication(ctx(), system(), commands.RecordApplication{FamilyCF: laura, ApplicationID: "AUU-1", Benefit: "AUU", SubmittedOn: "2026-01-20"}))
	a := f.must(f.h.RecordBenefitPayment(ctx(), m, cmd))
	b := f.must(f.h.RecordBenefitPayment(ctx(), m, cmd))
	if a != b {
		t.Fatalf("a repeat with the same key answers the first result: %+v %+v", a, b)
	}
	if got := familyEvents(t, f, laura); len(got) != 2 {
		t.Fatalf("events %v, want application and one payment", got)
	}
	m.RequestHash = "h2"
	_, err := f.h.RecordBenefitPayment(ctx(), m, cmd)
	var de *domain.Error
	if !errors.As(err, &de) || de.Code != domain.CodeIdempotencyKeyReused {
		t.Fatalf("the same key with another body: %v", err)
	}
}

func TestFamilyCommandRefusals(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tests := []struct {
		name string
		run  func() (commands.Result, error)
		code string
	}{
		{"a family with an invalid CF is refused", func() (commands.Result, error) {
			return f.h.RecordISEE(ctx(), system(), commands.RecordISEE{FamilyCF: "NOTACF", ValueCents: 1, Protocol: "P", DSUSubmittedOn: "2026-01-01"})
		}, domain.CodeInvalidCF},
		{"a payment of an unknown application is refused", func() (commands.Result, error) {
			return f.h.RecordBenefitPayment(ctx(), system(), commands.RecordBenefitPayment{FamilyCF: giulia, ApplicationID: "X", AmountCents: 1, PaidOn: "2026-01-01"})
		}, family.CodeUnknownApplication},
		{"a status change of an unknown application is not found", func() (commands.Result, error) {
			return f.h.ChangeApplicationStatus(ctx(), system(), commands.ChangeApplicationStatus{FamilyCF: giulia, ApplicationID: "X", Status: "approved"})
		}, domain.CodeNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.run()
			var de *domain.Error
			if !errors.As(err, &de) || de.Code != tt.code {
				t.Fatalf("err %v, want %s", err, tt.code)
			}
		})
	}
}
