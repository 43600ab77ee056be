package family_test

import (
	"strings"
	"testing"

	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/domain/family"
)

func codes(s []family.Suggestion) []string {
	out := []string{}
	for _, x := range s {
		c := x.Code
		if x.ChildCF != "" {
			c += ":" + x.ChildCF
		}
		out = append(out, c)
	}
	return out
}

func TestSuggestions(t *testing.T) {
	t.Parallel()
	validISEE := family.ISEE{ValueCents: 1500000, Protocol: "P1", DSUSubmittedOn: "2025-01-20", ValidUntil: "2025-12-31"}
	toddler := family.Child{CF: childA, BirthDate: "2023-03-15", Disability: "none"}
	newborn := family.Child{CF: childB, BirthDate: "2025-05-01", Disability: "none"}
	teen := family.Child{CF: childC, BirthDate: "2010-05-05", Disability: "none"}
	adult := family.Child{CF: childC, BirthDate: "2000-05-05", Disability: "none"}
	auu := family.Application{ID: "A", Benefit: family.BenefitAUU, SubmittedOn: "2025-01-25", Status: family.StatusApproved}
	tests := []struct {
		name  string
		facts family.Facts
		today string
		want  []string
	}{
		{
			name:  "a family with no facts is told to get an ISEE",
			facts: family.Facts{},
			today: "2025-06-01",
			want:  []string{"isee_missing"},
		},
		{
			name:  "an ISEE expiring within 30 days is flagged",
			facts: family.Facts{ISEEs: []family.ISEE{validISEE}},
			today: "2025-12-01",
			want:  []string{"isee_expiring"},
		},
		{
			name:  "an ISEE expiring in 31 days is not flagged",
			facts: family.Facts{ISEEs: []family.ISEE{validISEE}},
			today: "2025-11-30",
			want:  []string{},
		},
		{
			name:  "an ISEE expiring today is still expiring, not expired",
			facts: family.Facts{ISEEs: []family.ISEE{validISEE}},
			today: "2025-12-31",
			want:  []string{"isee_expiring"},
		},
		{
			name:  "an ISEE past its validity is expired",
			facts: family.Facts{ISEEs: []family.ISEE{validISEE}},
			today: "2026-01-01",
			want:  []string{"isee_expired"},
		},
		{
			name:  "children and no AUU application suggest the AUU",
			facts: family.Facts{ISEEs: []family.ISEE{validISEE}, Children: []family.Child{teen}},
			today: "2025-06-01",
			want:  []string{"auu_missing"},
		},
		{
			name: "a rejected AUU application does not count",
			facts: family.Facts{ISEEs: []family.ISEE{validISEE}, Children: []family.Child{teen},
				Applications: []family.Application{{ID: "A", Benefit: family.BenefitAUU, SubmittedOn: "2025-01-25", Status: family.StatusRejected}}},
			today: "2025-06-01",
			want:  []string{"auu_missing"},
		},
		{
			name:  "a child of 21 or more without disability does not suggest the AUU",
			facts: family.Facts{ISEEs: []family.ISEE{validISEE}, Children: []family.Child{adult}},
			today: "2025-06-01",
			want:  []string{},
		},
		{
			name:  "a child under 3 and no BONUS_NIDO application suggests the bonus nido",
			facts: family.Facts{ISEEs: []family.ISEE{validISEE}, Children: []family.Child{toddler}, Applications: []family.Application{auu}},
			today: "2025-06-01",
			want:  []string{"bonus_nido_missing:" + childA},
		},
		{
			name: "a bonus nido application of this year for the child silences it",
			facts: family.Facts{ISEEs: []family.ISEE{validISEE}, Children: []family.Child{toddler}, Applications: []family.Application{auu,
				{ID: "N", Benefit: family.BenefitBonusNido, ChildCF: childA, SubmittedOn: "2025-02-01", Status: family.StatusSubmitted}}},
			today: "2025-06-01",
			want:  []string{},
		},
		{
			name: "last year's bonus nido application does not cover this year",
			facts: family.Facts{ISEEs: []family.ISEE{validISEE}, Children: []family.Child{toddler}, Applications: []family.Application{auu,
				{ID: "N", Benefit: family.BenefitBonusNido, ChildCF: childA, SubmittedOn: "2024-02-01", Status: family.StatusApproved}}},
			today: "2025-06-01",
			want:  []string{"bonus_nido_missing:" + childA},
		},
		{
			name: "a bonus nido application for another child does not count",
			facts: family.Facts{ISEEs: []family.ISEE{validISEE}, Children: []family.Child{toddler}, Applications: []family.Application{auu,
				{ID: "N", Benefit: family.BenefitBonusNido, ChildCF: childB, SubmittedOn: "2025-02-01", Status: family.StatusSubmitted}}},
			today: "2025-06-01",
			want:  []string{"bonus_nido_missing:" + childA},
		},
		{
			name:  "a child turned 3 no longer suggests the bonus nido",
			facts: family.Facts{ISEEs: []family.ISEE{validISEE}, Children: []family.Child{toddler}, Applications: []family.Application{auu}},
			today: "2026-03-15",
			want:  []string{"isee_expired"},
		},
		{
			name:  "a newborn with no BONUS_BEBE application suggests the bonus nuovi nati, then the bonus nido",
			facts: family.Facts{ISEEs: []family.ISEE{validISEE}, Children: []family.Child{newborn}, Applications: []family.Application{auu}},
			today: "2025-06-01",
			want:  []string{"bonus_bebe_missing:" + childB, "bonus_nido_missing:" + childB},
		},
		{
			name:  "the bonus nuovi nati is no longer suggested after 120 days",
			facts: family.Facts{ISEEs: []family.ISEE{validISEE}, Children: []family.Child{newborn}, Applications: []family.Application{auu}},
			today: "2025-08-30",
			want:  []string{"bonus_nido_missing:" + childB},
		},
		{
			name: "the bonus nuovi nati is not suggested with an ISEE above 40,000",
			facts: family.Facts{ISEEs: []family.ISEE{{ValueCents: 4000001, Protocol: "P", DSUSubmittedOn: "2025-01-20", ValidUntil: "2025-12-31"}},
				Children: []family.Child{newborn}, Applications: []family.Application{auu}},
			today: "2025-06-01",
			want:  []string{"bonus_nido_missing:" + childB},
		},
		{
			name:  "everything at once comes in order: ISEE, AUU, per child from the youngest",
			facts: family.Facts{Children: []family.Child{teen, toddler, newborn}},
			today: "2025-06-01",
			want:  []string{"isee_missing", "auu_missing", "bonus_bebe_missing:" + childB, "bonus_nido_missing:" + childB, "bonus_nido_missing:" + childA},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := family.Suggest(tt.facts, date(t, tt.today))
			if strings.Join(codes(got), ",") != strings.Join(tt.want, ",") {
				t.Fatalf("suggestions %v, want %v", codes(got), tt.want)
			}
			for _, s := range got {
				if s.Reason == "" || s.Link == "" || s.Title == "" {
					t.Errorf("suggestion %s lacks reason, title or link: %+v", s.Code, s)
				}
			}
		})
	}
}

func TestSuggestionEstimatesUseTheSimulators(t *testing.T) {
	t.Parallel()
	facts := family.Facts{
		ISEEs:    []family.ISEE{{ValueCents: 1000000, Protocol: "P", DSUSubmittedOn: "2025-01-20", ValidUntil: "2025-12-31"}},
		Children: []family.Child{{CF: childA, BirthDate: "2023-03-15", Disability: "none"}},
	}
	got := family.Suggest(facts, date(t, "2025-06-01"))
	if len(got) != 2 {
		t.Fatalf("suggestions %v", codes(got))
	}
	if got[0].Code != "auu_missing" || got[0].EstimateCents != 20100 || !strings.Contains(got[0].Reason, "201,00 €") {
		t.Errorf("AUU estimate %+v", got[0])
	}
	if got[1].Code != "bonus_nido_missing" || got[1].EstimateCents != 300000 || got[1].Link != family.LinkNidoSimulator {
		t.Errorf("bonus nido estimate %+v", got[1])
	}
}

func TestEuro(t *testing.T) {
	t.Parallel()
	for cents, want := range map[int64]string{0: "0,00 €", 5: "0,05 €", 20100: "201,00 €", 123456789: "1.234.567,89 €", -2875: "-28,75 €"} {
		if got := domain.Euro(cents); got != want {
			t.Errorf("Euro(%d) = %q, want %q", cents, got, want)
		}
	}
}
