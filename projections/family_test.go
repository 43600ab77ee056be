package projections

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/domain/family"
	"github.com/inps/libretto/eventstore"
	"github.com/inps/libretto/eventstore/memory"
)

const (
	famCF   = "RSSMRA80A01H501U"
	famKidA = "RSSLCU23C15H501R" // 2023-03-15
	famKidB = "RSSGLI25A10H501L" // 2025-01-10
)

// appendFamily appends family events to family-<famCF>, one append each.
func appendFamily(t *testing.T, store eventstore.Store, events ...domain.Event) int64 {
	t.Helper()
	var last int64
	for _, e := range events {
		raw, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		stored, err := store.Append(context.Background(), eventstore.StreamAppend{
			Stream: domain.FamilyStream(famCF), Expected: eventstore.Any,
			Events: []eventstore.EventData{{ID: uuid.New(), Type: e.EventType(), SchemaVersion: domain.SchemaVersion, Data: raw,
				OccurredAt: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), Actor: eventstore.Actor{ID: "feed", Role: "system"}, CorrelationID: uuid.New()}},
		})
		if err != nil {
			t.Fatal(err)
		}
		last = stored[0].Position
	}
	return last
}

func familyHistory() []domain.Event {
	return []domain.Event{
		family.ISEERecorded{ValueCents: 2500000, Protocol: "OLD", DSUSubmittedOn: "2025-02-01", ValidUntil: "2025-12-31"},
		family.ISEERecorded{ValueCents: 1500000, Protocol: "INPS-ISEE-2026-1", DSUSubmittedOn: "2026-01-15", ValidUntil: "2026-12-31"},
		family.ChildRecorded{ChildCF: famKidB, BirthDate: "2025-01-10", Disability: "none"},
		family.ChildRecorded{ChildCF: famKidA, BirthDate: "2023-03-15", Disability: "none"},
		family.ChildRecorded{ChildCF: famKidA, BirthDate: "2023-03-15", Disability: "media"},
		family.ApplicationRecorded{ApplicationID: "AUU-1", Benefit: "AUU", SubmittedOn: "2025-03-01", Status: "submitted"},
		family.ApplicationStatusChanged{ApplicationID: "AUU-1", Status: "approved", Previous: "submitted", ChangedOn: "2025-03-20"},
		family.ApplicationRecorded{ApplicationID: "BN-1", Benefit: "BONUS_NIDO", ChildCF: famKidA, SubmittedOn: "2026-02-01", Status: "in_review"},
		family.BenefitPaymentRecorded{PaymentID: "P1", ApplicationID: "AUU-1", Benefit: "AUU", AmountCents: 40200, PaidOn: "2025-04-20"},
		family.BenefitPaymentRecorded{PaymentID: "P2", ApplicationID: "AUU-1", Benefit: "AUU", AmountCents: 40760, PaidOn: "2026-02-20"},
	}
}

func TestFamilyReadModel(t *testing.T) {
	t.Parallel()
	pool := newPool(t)
	store := memory.New()
	r := NewRunner(pool, store, quietLogger())
	startRunner(t, r)
	q := r.PGQueries()

	empty, err := q.Family(context.Background(), famCF, "2026-03-02")
	if err != nil {
		t.Fatal(err)
	}
	if empty.ISEE != nil || len(empty.Children) != 0 || len(empty.Suggestions) != 1 || empty.Suggestions[0].Code != family.SuggestISEEMissing {
		t.Fatalf("a family nothing is known of: %+v", empty)
	}

	waitFor(t, r, appendFamily(t, store, familyHistory()...))
	got, err := q.Family(context.Background(), famCF, "2026-03-02")
	if err != nil {
		t.Fatal(err)
	}
	wantISEE := &FamilyISEE{ValueCents: 1500000, Protocol: "INPS-ISEE-2026-1", DSUSubmittedOn: "2026-01-15", ValidUntil: "2026-12-31", Valid: true, DaysToExpiry: 304}
	if !reflect.DeepEqual(got.ISEE, wantISEE) {
		t.Errorf("the current ISEE is the latest DSU's, with its submission date:\n got %+v\nwant %+v", got.ISEE, wantISEE)
	}
	wantChildren := []FamilyChild{
		{ChildCF: famKidA, BirthDate: "2023-03-15", Disability: "media", AgeYears: 2, AgeMonths: 35, Minor: true},
		{ChildCF: famKidB, BirthDate: "2025-01-10", Disability: "none", AgeYears: 1, AgeMonths: 13, Minor: true},
	}
	if !reflect.DeepEqual(got.Children, wantChildren) {
		t.Errorf("children with ages, eldest first:\n got %+v\nwant %+v", got.Children, wantChildren)
	}
	wantApps := []FamilyApplication{
		{ApplicationID: "BN-1", Benefit: "BONUS_NIDO", BenefitLabel: "Bonus asilo nido", ChildCF: famKidA, SubmittedOn: "2026-02-01",
			Status: "in_review", StatusLabel: "in istruttoria", UpdatedOn: "2026-02-01",
			History: []FamilyStatusChange{{Status: "in_review", ChangedOn: "2026-02-01"}}},
		{ApplicationID: "AUU-1", Benefit: "AUU", BenefitLabel: "Assegno Unico Universale", SubmittedOn: "2025-03-01",
			Status: "approved", StatusLabel: "accolta", UpdatedOn: "2025-03-20",
			History: []FamilyStatusChange{{Status: "submitted", ChangedOn: "2025-03-01"}, {Status: "approved", ChangedOn: "2025-03-20"}}},
	}
	if !reflect.DeepEqual(got.Applications, wantApps) {
		t.Errorf("applications newest first with their status history:\n got %+v\nwant %+v", got.Applications, wantApps)
	}
	wantPayments := []FamilyPayment{
		{PaymentID: "P2", ApplicationID: "AUU-1", Benefit: "AUU", AmountCents: 40760, PaidOn: "2026-02-20"},
		{PaymentID: "P1", ApplicationID: "AUU-1", Benefit: "AUU", AmountCents: 40200, PaidOn: "2025-04-20"},
	}
	if !reflect.DeepEqual(got.Payments, wantPayments) {
		t.Errorf("payments newest first:\n got %+v\nwant %+v", got.Payments, wantPayments)
	}
	// Child B (born 2025) has no bonus nido application this year; child A has one.
	if len(got.Suggestions) != 1 || got.Suggestions[0].Code != family.SuggestBonusNidoMissing || got.Suggestions[0].ChildCF != famKidB {
		t.Errorf("suggestions %+v", got.Suggestions)
	}

	// The dashboard of a registered user carries the same family part.
	waitFor(t, r, appendUser(t, store, famCF))
	d, err := q.Dashboard(context.Background(), famCF, "2026-03-02")
	if err != nil {
		t.Fatal(err)
	}
	if d.Family == nil || !reflect.DeepEqual(*d.Family, got) {
		t.Errorf("dashboard family part:\n got %+v\nwant %+v", d.Family, got)
	}

	// A rebuild gives the same rows.
	before := dump(t, pool, []string{FamilyProjector})
	if err := r.Rebuild(context.Background(), []string{FamilyProjector}, nil); err != nil {
		t.Fatal(err)
	}
	compareDumps(t, "family rebuild", before, dump(t, pool, []string{FamilyProjector}))
}

func appendUser(t *testing.T, store eventstore.Store, cf string) int64 {
	t.Helper()
	raw, _ := json.Marshal(domain.UserRegistered{UserCF: cf})
	stored, err := store.Append(context.Background(), eventstore.StreamAppend{
		Stream: domain.BookletStream(cf), Expected: eventstore.Any,
		Events: []eventstore.EventData{{ID: uuid.New(), Type: domain.TypeUserRegistered, SchemaVersion: 1, Data: raw,
			OccurredAt: time.Now(), Actor: eventstore.Actor{ID: cf, Role: "citizen"}, CorrelationID: uuid.New()}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return stored[0].Position
}
