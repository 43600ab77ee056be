package family_test

import (
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/domain/family"
)

const (
	parentCF = "RSSMRA80A01H501U"
	childA   = "RSSLCU23C15H501R" // born 2023-03-15
	childB   = "RSSGLI25A10H501L" // born 2025-01-10
	childC   = "RSSMTT20E05H501A"
)

func mustCF(t *testing.T, s string) domain.CF {
	t.Helper()
	cf, err := domain.ParseCF(s)
	if err != nil {
		t.Fatal(err)
	}
	return cf
}

func date(t *testing.T, s string) domain.Date {
	t.Helper()
	d, err := domain.ParseDate(s, "")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// given folds events into a new family as if stored.
func given(t *testing.T, events ...domain.Event) *family.Family {
	t.Helper()
	f := family.New(mustCF(t, parentCF))
	for i, e := range events {
		f.Apply(domain.Recorded{ID: uuid.New(), Version: int64(i + 1), Data: e})
	}
	return f
}

func payloads(p []domain.Pending) []domain.Event {
	out := []domain.Event{}
	for _, x := range p {
		out = append(out, x.Data)
	}
	return out
}

func TestFamilyCommands(t *testing.T) {
	t.Parallel()
	app := family.ApplicationRecorded{ApplicationID: "AUU-1", Benefit: "AUU", SubmittedOn: "2025-02-01", Status: "submitted"}
	isee := family.ISEERecorded{ValueCents: 1500000, Protocol: "INPS-ISEE-2025-00000001A-00", DSUSubmittedOn: "2025-01-20", ValidUntil: "2025-12-31"}
	tests := []struct {
		name  string
		given []domain.Event
		when  func(f *family.Family, today domain.Date) ([]domain.Pending, error)
		then  []domain.Event
		code  string
	}{
		{
			name: "an ISEE without valid_until is valid until 31 December of its DSU year",
			when: func(f *family.Family, d domain.Date) ([]domain.Pending, error) {
				return f.RecordISEE(family.ISEEInput{ValueCents: 1500000, Protocol: " INPS-ISEE-2025-00000001A-00 ", DSUSubmittedOn: "2025-01-20"}, d)
			},
			then: []domain.Event{isee},
		},
		{
			name:  "the same ISEE again records nothing",
			given: []domain.Event{isee},
			when: func(f *family.Family, d domain.Date) ([]domain.Pending, error) {
				return f.RecordISEE(family.ISEEInput{ValueCents: 1500000, Protocol: "INPS-ISEE-2025-00000001A-00", DSUSubmittedOn: "2025-01-20", ValidUntil: "2025-12-31"}, d)
			},
			then: []domain.Event{},
		},
		{
			name:  "the same ISEE protocol with another value is a conflict",
			given: []domain.Event{isee},
			when: func(f *family.Family, d domain.Date) ([]domain.Pending, error) {
				return f.RecordISEE(family.ISEEInput{ValueCents: 1, Protocol: "INPS-ISEE-2025-00000001A-00", DSUSubmittedOn: "2025-01-20"}, d)
			},
			code: domain.CodeAlreadyExists,
		},
		{
			name: "an ISEE expiring before its DSU is refused",
			when: func(f *family.Family, d domain.Date) ([]domain.Pending, error) {
				return f.RecordISEE(family.ISEEInput{ValueCents: 1, Protocol: "P", DSUSubmittedOn: "2025-01-20", ValidUntil: "2025-01-19"}, d)
			},
			code: domain.CodeInvalidDate,
		},
		{
			name: "a DSU submitted in the future is refused",
			when: func(f *family.Family, d domain.Date) ([]domain.Pending, error) {
				return f.RecordISEE(family.ISEEInput{ValueCents: 1, Protocol: "P", DSUSubmittedOn: "2025-06-02"}, d)
			},
			code: domain.CodeFutureDate,
		},
		{
			name: "an ISEE without protocol is refused",
			when: func(f *family.Family, d domain.Date) ([]domain.Pending, error) {
				return f.RecordISEE(family.ISEEInput{ValueCents: 1, DSUSubmittedOn: "2025-01-20"}, d)
			},
			code: family.CodeInvalidProtocol,
		},
		{
			name: "a child is recorded with an upper-case CF and no disability",
			when: func(f *family.Family, d domain.Date) ([]domain.Pending, error) {
				return f.RecordChild(family.ChildInput{ChildCF: "rsslcu23c15h501r", BirthDate: "2023-03-15"}, d)
			},
			then: []domain.Event{family.ChildRecorded{ChildCF: childA, BirthDate: "2023-03-15", Disability: "none"}},
		},
		{
			name: "a child with an invalid CF is refused",
			when: func(f *family.Family, d domain.Date) ([]domain.Pending, error) {
				return f.RecordChild(family.ChildInput{ChildCF: "RSSLCU23C15H501X", BirthDate: "2023-03-15"}, d)
			},
			code: domain.CodeInvalidCF,
		},
		{
			name: "a child with the parent's CF is refused",
			when: func(f *family.Family, d domain.Date) ([]domain.Pending, error) {
				return f.RecordChild(family.ChildInput{ChildCF: parentCF, BirthDate: "2023-03-15"}, d)
			},
			code: domain.CodeInvalidCF,
		},
		{
			name: "a child born in the future is refused",
			when: func(f *family.Family, d domain.Date) ([]domain.Pending, error) {
				return f.RecordChild(family.ChildInput{ChildCF: childA, BirthDate: "2025-06-02"}, d)
			},
			code: domain.CodeFutureDate,
		},
		{
			name: "an unknown disability level is refused",
			when: func(f *family.Family, d domain.Date) ([]domain.Pending, error) {
				return f.RecordChild(family.ChildInput{ChildCF: childA, BirthDate: "2023-03-15", Disability: "lieve"}, d)
			},
			code: "invalid_disability",
		},
		{
			name:  "a known child with a new disability level is recorded again",
			given: []domain.Event{family.ChildRecorded{ChildCF: childA, BirthDate: "2023-03-15", Disability: "none"}},
			when: func(f *family.Family, d domain.Date) ([]domain.Pending, error) {
				return f.RecordChild(family.ChildInput{ChildCF: childA, BirthDate: "2023-03-15", Disability: "grave"}, d)
			},
			then: []domain.Event{family.ChildRecorded{ChildCF: childA, BirthDate: "2023-03-15", Disability: "grave"}},
		},
		{
			name:  "a known child with the same facts records nothing",
			given: []domain.Event{family.ChildRecorded{ChildCF: childA, BirthDate: "2023-03-15", Disability: "none"}},
			when: func(f *family.Family, d domain.Date) ([]domain.Pending, error) {
				return f.RecordChild(family.ChildInput{ChildCF: childA, BirthDate: "2023-03-15", Disability: "none"}, d)
			},
			then: []domain.Event{},
		},
		{
			name: "an application is recorded as submitted by default",
			when: func(f *family.Family, d domain.Date) ([]domain.Pending, error) {
				return f.RecordApplication(family.ApplicationInput{ApplicationID: "AUU-1", Benefit: "AUU", SubmittedOn: "2025-02-01"}, d)
			},
			then: []domain.Event{app},
		},
		{
			name: "a new application already approved on a date records both steps",
			when: func(f *family.Family, d domain.Date) ([]domain.Pending, error) {
				return f.RecordApplication(family.ApplicationInput{ApplicationID: "AUU-1", Benefit: "AUU", SubmittedOn: "2025-02-01", Status: "approved", ChangedOn: "2025-02-10"}, d)
			},
			then: []domain.Event{app, family.ApplicationStatusChanged{ApplicationID: "AUU-1", Status: "approved", Previous: "submitted", ChangedOn: "2025-02-10"}},
		},
		{
			name: "a new application already approved without a date records its status",
			when: func(f *family.Family, d domain.Date) ([]domain.Pending, error) {
				return f.RecordApplication(family.ApplicationInput{ApplicationID: "AUU-1", Benefit: "AUU", SubmittedOn: "2025-02-01", Status: "approved"}, d)
			},
			then: []domain.Event{family.ApplicationRecorded{ApplicationID: "AUU-1", Benefit: "AUU", SubmittedOn: "2025-02-01", Status: "approved"}},
		},
		{
			name: "an application for an unknown benefit is refused",
			when: func(f *family.Family, d domain.Date) ([]domain.Pending, error) {
				return f.RecordApplication(family.ApplicationInput{ApplicationID: "X", Benefit: "REDDITO", SubmittedOn: "2025-02-01"}, d)
			},
			code: family.CodeInvalidBenefit,
		},
		{
			name: "an application with an unknown status is refused",
			when: func(f *family.Family, d domain.Date) ([]domain.Pending, error) {
				return f.RecordApplication(family.ApplicationInput{ApplicationID: "X", Benefit: "AUU", SubmittedOn: "2025-02-01", Status: "pagata"}, d)
			},
			code: family.CodeInvalidStatus,
		},
		{
			name:  "recording a known application with a new status changes its status",
			given: []domain.Event{app},
			when: func(f *family.Family, d domain.Date) ([]domain.Pending, error) {
				return f.RecordApplication(family.ApplicationInput{ApplicationID: "AUU-1", Benefit: "AUU", SubmittedOn: "2025-02-01", Status: "approved", ChangedOn: "2025-03-01"}, d)
			},
			then: []domain.Event{family.ApplicationStatusChanged{ApplicationID: "AUU-1", Status: "approved", Previous: "submitted", ChangedOn: "2025-03-01"}},
		},
		{
			name:  "recording a known application id for another benefit is a conflict",
			given: []domain.Event{app},
			when: func(f *family.Family, d domain.Date) ([]domain.Pending, error) {
				return f.RecordApplication(family.ApplicationInput{ApplicationID: "AUU-1", Benefit: "BONUS_NIDO", SubmittedOn: "2025-02-01"}, d)
			},
			code: domain.CodeAlreadyExists,
		},
		{
			name:  "a status change defaults to today",
			given: []domain.Event{app},
			when: func(f *family.Family, d domain.Date) ([]domain.Pending, error) {
				return f.ChangeApplicationStatus(family.StatusInput{ApplicationID: "AUU-1", Status: "rejected", Note: "ISEE non valido"}, d)
			},
			then: []domain.Event{family.ApplicationStatusChanged{ApplicationID: "AUU-1", Status: "rejected", Previous: "submitted", ChangedOn: "2025-06-01", Note: "ISEE non valido"}},
		},
		{
			name:  "the same status again records nothing",
			given: []domain.Event{app},
			when: func(f *family.Family, d domain.Date) ([]domain.Pending, error) {
				return f.ChangeApplicationStatus(family.StatusInput{ApplicationID: "AUU-1", Status: "submitted"}, d)
			},
			then: []domain.Event{},
		},
		{
			name:  "a status change before the submission is refused",
			given: []domain.Event{app},
			when: func(f *family.Family, d domain.Date) ([]domain.Pending, error) {
				return f.ChangeApplicationStatus(family.StatusInput{ApplicationID: "AUU-1", Status: "approved", ChangedOn: "2025-01-31"}, d)
			},
			code: domain.CodeInvalidDate,
		},
		{
			name: "a status change of an unknown application is not found",
			when: func(f *family.Family, d domain.Date) ([]domain.Pending, error) {
				return f.ChangeApplicationStatus(family.StatusInput{ApplicationID: "NOPE", Status: "approved"}, d)
			},
			code: domain.CodeNotFound,
		},
		{
			name:  "a payment of a known application is recorded with its benefit",
			given: []domain.Event{app},
			when: func(f *family.Family, d domain.Date) ([]domain.Pending, error) {
				return f.RecordBenefitPayment(family.PaymentInput{PaymentID: "PAY-1", ApplicationID: "AUU-1", AmountCents: 20100, PaidOn: "2025-03-20"}, d)
			},
			then: []domain.Event{family.BenefitPaymentRecorded{PaymentID: "PAY-1", ApplicationID: "AUU-1", Benefit: "AUU", AmountCents: 20100, PaidOn: "2025-03-20"}},
		},
		{
			name:  "the same payment again records nothing",
			given: []domain.Event{app, family.BenefitPaymentRecorded{PaymentID: "PAY-1", ApplicationID: "AUU-1", Benefit: "AUU", AmountCents: 20100, PaidOn: "2025-03-20"}},
			when: func(f *family.Family, d domain.Date) ([]domain.Pending, error) {
				return f.RecordBenefitPayment(family.PaymentInput{PaymentID: "PAY-1", ApplicationID: "AUU-1", AmountCents: 20100, PaidOn: "2025-03-20"}, d)
			},
			then: []domain.Event{},
		},
		{
			name:  "a payment id reused with another amount is a conflict",
			given: []domain.Event{app, family.BenefitPaymentRecorded{PaymentID: "PAY-1", ApplicationID: "AUU-1", Benefit: "AUU", AmountCents: 20100, PaidOn: "2025-03-20"}},
			when: func(f *family.Family, d domain.Date) ([]domain.Pending, error) {
				return f.RecordBenefitPayment(family.PaymentInput{PaymentID: "PAY-1", ApplicationID: "AUU-1", AmountCents: 1, PaidOn: "2025-03-20"}, d)
			},
			code: domain.CodeAlreadyExists,
		},
		{
			name: "a payment of an unknown application is refused",
			when: func(f *family.Family, d domain.Date) ([]domain.Pending, error) {
				return f.RecordBenefitPayment(family.PaymentInput{PaymentID: "PAY-1", ApplicationID: "AUU-1", AmountCents: 1, PaidOn: "2025-03-20"}, d)
			},
			code: family.CodeUnknownApplication,
		},
		{
			name:  "a payment before its application is refused",
			given: []domain.Event{app},
			when: func(f *family.Family, d domain.Date) ([]domain.Pending, error) {
				return f.RecordBenefitPayment(family.PaymentInput{PaymentID: "PAY-1", ApplicationID: "AUU-1", AmountCents: 1, PaidOn: "2025-01-20"}, d)
			},
			code: domain.CodeInvalidDate,
		},
		{
			name:  "a payment of zero is refused",
			given: []domain.Event{app},
			when: func(f *family.Family, d domain.Date) ([]domain.Pending, error) {
				return f.RecordBenefitPayment(family.PaymentInput{PaymentID: "PAY-1", ApplicationID: "AUU-1", AmountCents: 0, PaidOn: "2025-03-20"}, d)
			},
			code: domain.CodeInvalidAmount,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := given(t, tt.given...)
			got, err := tt.when(f, date(t, "2025-06-01"))
			if tt.code != "" {
				var de *domain.Error
				if !errors.As(err, &de) || de.Code != tt.code {
					t.Fatalf("err %v, want %s", err, tt.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(payloads(got), tt.then) {
				t.Fatalf("events\n got %#v\nwant %#v", payloads(got), tt.then)
			}
		})
	}
}

func TestFactsFoldTheEvents(t *testing.T) {
	t.Parallel()
	f := given(t,
		family.ISEERecorded{ValueCents: 2000000, Protocol: "B", DSUSubmittedOn: "2025-03-01", ValidUntil: "2025-12-31"},
		family.ISEERecorded{ValueCents: 1000000, Protocol: "A", DSUSubmittedOn: "2025-01-10", ValidUntil: "2025-12-31"},
		family.ChildRecorded{ChildCF: childA, BirthDate: "2023-03-15", Disability: "none"},
		family.ChildRecorded{ChildCF: childA, BirthDate: "2023-03-15", Disability: "media"},
		family.ApplicationRecorded{ApplicationID: "N1", Benefit: "BONUS_NIDO", ChildCF: childA, SubmittedOn: "2025-02-01", Status: "submitted"},
		family.ApplicationStatusChanged{ApplicationID: "N1", Status: "approved", Previous: "submitted", ChangedOn: "2025-02-20"},
	)
	facts := f.Facts()
	if f.Version() != 6 {
		t.Errorf("version %d, want 6", f.Version())
	}
	if cur := facts.Current(); cur == nil || cur.Protocol != "B" {
		t.Errorf("the current ISEE is the one with the latest DSU, got %+v", cur)
	}
	if len(facts.Children) != 1 || facts.Children[0].Disability != "media" {
		t.Errorf("a re-recorded child replaces its facts: %+v", facts.Children)
	}
	a := facts.Applications[0]
	if a.Status != family.StatusApproved || len(a.History) != 2 || a.History[1].ChangedOn != "2025-02-20" {
		t.Errorf("application %+v", a)
	}
}

func TestFamilyEventsDecodeThroughTheDomainRegistry(t *testing.T) {
	t.Parallel()
	e, err := domain.Decode(family.TypeChildRecorded, 1, []byte(`{"child_cf":"X","birth_date":"2020-01-01","disability":"grave"}`))
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := e.(family.ChildRecorded); !ok || c.Disability != "grave" {
		t.Fatalf("decoded %#v", e)
	}
	for _, typ := range []string{family.TypeISEERecorded, family.TypeChildRecorded, family.TypeApplicationRecorded,
		family.TypeApplicationStatusChanged, family.TypeBenefitPaymentRecorded} {
		if !slices.Contains(domain.Types(), typ) {
			t.Errorf("%s is not in the registry", typ)
		}
	}
}
