package simulators_test

import (
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/domain/simulators"
)

func isee(cents int64) *int64 { return &cents }

func TestAUUBaseAmountAtAndAroundThresholds(t *testing.T) {
	t.Parallel()
	// One child aged 5, no maggiorazioni: the total is the base amount.
	tests := []struct {
		name string
		year int
		isee *int64
		want int64
	}{
		{"2025: no ISEE pays the minimum", 2025, nil, 5750},
		{"2025: ISEE zero pays the maximum", 2025, isee(0), 20100},
		{"2025: ISEE one cent below the lower threshold pays the maximum", 2025, isee(1722732), 20100},
		{"2025: ISEE at the lower threshold 17,227.33 pays the maximum 201.00", 2025, isee(1722733), 20100},
		{"2025: ISEE one euro above the lower threshold rounds back to the maximum", 2025, isee(1722833), 20100},
		{"2025: ISEE two euro above the lower threshold falls by one cent", 2025, isee(1722933), 20099},
		{"2025: ISEE 25,000 falls linearly", 2025, isee(2500000), 16215},
		{"2025: ISEE 30,000 falls linearly", 2025, isee(3000000), 13716},
		{"2025: ISEE 40,000 falls linearly", 2025, isee(4000000), 8719},
		{"2025: ISEE one cent below the upper threshold rounds to the minimum", 2025, isee(4593955), 5750},
		{"2025: ISEE at the upper threshold 45,939.56 pays the minimum 57.50", 2025, isee(4593956), 5750},
		{"2025: ISEE above the upper threshold pays the minimum", 2025, isee(9000000), 5750},
		{"2026: no ISEE pays the minimum", 2026, nil, 5830},
		{"2026: ISEE below the lower threshold pays the maximum 203.80", 2026, isee(1746850), 20380},
		{"2026: ISEE at the lower threshold 17,468.51 pays the maximum", 2026, isee(1746851), 20380},
		{"2026: ISEE 25,000 falls linearly", 2026, isee(2500000), 16616},
		{"2026: ISEE 30,000 falls linearly", 2026, isee(3000000), 14117},
		{"2026: ISEE 40,000 falls linearly", 2026, isee(4000000), 9120},
		{"2026: ISEE at the upper threshold 46,582.71 pays the minimum 58.30", 2026, isee(4658271), 5830},
		{"2026: ISEE above the upper threshold pays the minimum", 2026, isee(4658272), 5830},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := simulators.SimulateAUU(simulators.AUURequest{
				Year: tt.year, ISEECents: tt.isee, OnDate: "2025-06-01",
				Children: []simulators.AUUChild{{BirthDate: "2020-01-15"}},
			})
			if err != nil {
				t.Fatal(err)
			}
			if got.PerChild[0].BaseCents != tt.want || got.MonthlyTotalCents != tt.want {
				t.Fatalf("base %d total %d, want %d", got.PerChild[0].BaseCents, got.MonthlyTotalCents, tt.want)
			}
			if len(got.PerChild[0].Increments) != 0 || len(got.FamilyIncrements) != 0 {
				t.Fatalf("unexpected increments %+v %+v", got.PerChild[0].Increments, got.FamilyIncrements)
			}
		})
	}
}

func TestAUUBaseAmountIsMonotonic(t *testing.T) {
	t.Parallel()
	for _, year := range simulators.Years() {
		prev := int64(1 << 40)
		for v := int64(1700000); v <= 4700000; v += 997 {
			got, err := simulators.SimulateAUU(simulators.AUURequest{
				Year: year, ISEECents: isee(v), OnDate: "2025-06-01",
				Children: []simulators.AUUChild{{BirthDate: "2020-01-15"}},
			})
			if err != nil {
				t.Fatal(err)
			}
			if got.MonthlyTotalCents > prev {
				t.Fatalf("%d: ISEE %d pays %d, more than %d at a lower ISEE", year, v, got.MonthlyTotalCents, prev)
			}
			prev = got.MonthlyTotalCents
		}
	}
}

func TestAUUMaggiorazioni(t *testing.T) {
	t.Parallel()
	inc := func(kind string, cents int64) simulators.Increment {
		return simulators.Increment{Kind: kind, Cents: cents}
	}
	child := func(birth string) simulators.AUUChild { return simulators.AUUChild{BirthDate: birth} }
	tests := []struct {
		name   string
		req    simulators.AUURequest
		want   []simulators.AUUChildResult
		family []simulators.Increment
		total  int64
	}{
		{
			name:  "2025: a child under one gets +50% of the base (100.50 at the maximum)",
			req:   simulators.AUURequest{Year: 2025, ISEECents: isee(1000000), OnDate: "2025-06-01", Children: []simulators.AUUChild{child("2025-01-10")}},
			want:  []simulators.AUUChildResult{{BaseCents: 20100, Increments: []simulators.Increment{inc("under_one", 10050)}}},
			total: 30150,
		},
		{
			name:  "2025: a child under one with no ISEE gets +50% of the minimum (28.75)",
			req:   simulators.AUURequest{Year: 2025, OnDate: "2025-06-01", Children: []simulators.AUUChild{child("2025-01-10")}},
			want:  []simulators.AUUChildResult{{BaseCents: 5750, Increments: []simulators.Increment{inc("under_one", 2875)}}},
			total: 8625,
		},
		{
			name: "2026: +50% of an odd base rounds half up",
			// ISEE 30,000 → base 141.17; 50% = 70.585 → 70.59.
			req:   simulators.AUURequest{Year: 2026, ISEECents: isee(3000000), OnDate: "2026-03-01", Children: []simulators.AUUChild{child("2025-12-01")}},
			want:  []simulators.AUUChildResult{{BaseCents: 14117, Increments: []simulators.Increment{inc("under_one", 7059)}}},
			total: 21176,
		},
		{
			name: "2025: three children, the youngest aged 1-3 with ISEE up to 40,000 gets +50% and the third child increment",
			req: simulators.AUURequest{Year: 2025, ISEECents: isee(1500000), OnDate: "2025-06-01",
				Children: []simulators.AUUChild{child("2023-02-01"), child("2015-05-05"), child("2018-07-07")}},
			want: []simulators.AUUChildResult{
				{BaseCents: 20100, Increments: []simulators.Increment{inc("toddler_large_family", 10050), inc("third_or_later_child", 9770)}},
				{BaseCents: 20100, Increments: []simulators.Increment{}},
				{BaseCents: 20100, Increments: []simulators.Increment{}},
			},
			total: 3*20100 + 10050 + 9770,
		},
		{
			name: "2025: the 1-3 increment stops above ISEE 40,000",
			req: simulators.AUURequest{Year: 2025, ISEECents: isee(4000001), OnDate: "2025-06-01",
				Children: []simulators.AUUChild{child("2023-02-01"), child("2015-05-05"), child("2018-07-07")}},
			want: []simulators.AUUChildResult{
				{BaseCents: 8719, Increments: []simulators.Increment{inc("third_or_later_child", 3385)}},
				{BaseCents: 8719, Increments: []simulators.Increment{}},
				{BaseCents: 8719, Increments: []simulators.Increment{}},
			},
			total: 3*8719 + 3385,
		},
		{
			name: "2025: the 1-3 increment applies at ISEE exactly 40,000",
			req: simulators.AUURequest{Year: 2025, ISEECents: isee(4000000), OnDate: "2025-06-01",
				Children: []simulators.AUUChild{child("2023-02-01"), child("2015-05-05"), child("2018-07-07")}},
			want: []simulators.AUUChildResult{
				{BaseCents: 8719, Increments: []simulators.Increment{inc("toddler_large_family", 4360), inc("third_or_later_child", 3385)}},
				{BaseCents: 8719, Increments: []simulators.Increment{}},
				{BaseCents: 8719, Increments: []simulators.Increment{}},
			},
			total: 3*8719 + 4360 + 3385,
		},
		{
			name: "2025: a child aged 1-3 in a family of two gets no toddler increment",
			req: simulators.AUURequest{Year: 2025, ISEECents: isee(1000000), OnDate: "2025-06-01",
				Children: []simulators.AUUChild{child("2023-02-01"), child("2015-05-05")}},
			want: []simulators.AUUChildResult{
				{BaseCents: 20100, Increments: []simulators.Increment{}},
				{BaseCents: 20100, Increments: []simulators.Increment{}},
			},
			total: 40200,
		},
		{
			name: "2025: four children get 150 € per family and two third-or-later increments; no ISEE pays minima",
			req: simulators.AUURequest{Year: 2025, OnDate: "2025-06-01",
				Children: []simulators.AUUChild{child("2010-01-01"), child("2012-01-01"), child("2014-01-01"), child("2016-01-01")}},
			want: []simulators.AUUChildResult{
				{BaseCents: 5750, Increments: []simulators.Increment{}},
				{BaseCents: 5750, Increments: []simulators.Increment{}},
				{BaseCents: 5750, Increments: []simulators.Increment{inc("third_or_later_child", 1720)}},
				{BaseCents: 5750, Increments: []simulators.Increment{inc("third_or_later_child", 1720)}},
			},
			family: []simulators.Increment{inc("four_or_more_children", 15000)},
			total:  4*5750 + 2*1720 + 15000,
		},
		{
			name: "2026: mother under 21 adds 23.30 per child",
			req: simulators.AUURequest{Year: 2026, ISEECents: isee(500000), OnDate: "2026-06-01", MotherUnder21: true,
				Children: []simulators.AUUChild{child("2024-06-02")}},
			want:  []simulators.AUUChildResult{{BaseCents: 20380, Increments: []simulators.Increment{inc("mother_under_21", 2330)}}},
			total: 22710,
		},
		{
			name: "2025: both parents earning adds 34.40 at the lower threshold, nothing at the upper",
			req: simulators.AUURequest{Year: 2025, ISEECents: isee(1722733), OnDate: "2025-06-01", BothParentsEarning: true,
				Children: []simulators.AUUChild{child("2019-03-03")}},
			want:  []simulators.AUUChildResult{{BaseCents: 20100, Increments: []simulators.Increment{inc("both_parents_earning", 3440)}}},
			total: 23540,
		},
		{
			name: "2025: both parents earning falls linearly to zero (ISEE 30,000: 19.10)",
			req: simulators.AUURequest{Year: 2025, ISEECents: isee(3000000), OnDate: "2025-06-01", BothParentsEarning: true,
				Children: []simulators.AUUChild{child("2019-03-03")}},
			want:  []simulators.AUUChildResult{{BaseCents: 13716, Increments: []simulators.Increment{inc("both_parents_earning", 1910)}}},
			total: 13716 + 1910,
		},
		{
			name: "2025: both parents earning is nothing without ISEE",
			req: simulators.AUURequest{Year: 2025, OnDate: "2025-06-01", BothParentsEarning: true,
				Children: []simulators.AUUChild{child("2019-03-03")}},
			want:  []simulators.AUUChildResult{{BaseCents: 5750, Increments: []simulators.Increment{}}},
			total: 5750,
		},
		{
			name: "2025: disabled minor children get their level's increment whatever the ISEE",
			req: simulators.AUURequest{Year: 2025, OnDate: "2025-06-01", Children: []simulators.AUUChild{
				{BirthDate: "2012-01-01", Disability: simulators.DisabilityMedia},
				{BirthDate: "2013-01-01", Disability: simulators.DisabilityGrave},
				{BirthDate: "2014-01-01", Disability: simulators.DisabilityNonAutosufficiente},
			}},
			want: []simulators.AUUChildResult{
				{BaseCents: 5750, Increments: []simulators.Increment{inc("disability_media", 9770)}},
				{BaseCents: 5750, Increments: []simulators.Increment{inc("disability_grave", 10910)}},
				{BaseCents: 5750, Increments: []simulators.Increment{inc("third_or_later_child", 1720), inc("disability_non_autosufficiente", 12060)}},
			},
			total: 3*5750 + 9770 + 10910 + 1720 + 12060,
		},
		{
			name: "2026: disability increments are revalued",
			req: simulators.AUURequest{Year: 2026, OnDate: "2026-06-01", Children: []simulators.AUUChild{
				{BirthDate: "2012-01-01", Disability: simulators.DisabilityNonAutosufficiente},
			}},
			want:  []simulators.AUUChildResult{{BaseCents: 5830, Increments: []simulators.Increment{inc("disability_non_autosufficiente", 12230)}}},
			total: 5830 + 12230,
		},
		{
			name: "2025: a child aged 18-20 gets the adult amount (97.70 at the maximum) and no minor-only increments",
			req: simulators.AUURequest{Year: 2025, ISEECents: isee(1000000), OnDate: "2025-06-01", BothParentsEarning: true,
				Children: []simulators.AUUChild{{BirthDate: "2006-01-01", Disability: simulators.DisabilityGrave}}},
			want:  []simulators.AUUChildResult{{BaseCents: 9770, Increments: []simulators.Increment{}}},
			total: 9770,
		},
		{
			name: "2025: a child of 21 without disability is not entitled and does not count",
			req: simulators.AUURequest{Year: 2025, ISEECents: isee(1000000), OnDate: "2025-06-01",
				Children: []simulators.AUUChild{child("2004-01-01"), child("2010-01-01"), child("2012-01-01")}},
			want: []simulators.AUUChildResult{
				{BaseCents: 0, Increments: []simulators.Increment{}},
				{BaseCents: 20100, Increments: []simulators.Increment{}},
				{BaseCents: 20100, Increments: []simulators.Increment{}},
			},
			total: 40200,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := simulators.SimulateAUU(tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.PerChild, tt.want) {
				t.Errorf("per child\n got %+v\nwant %+v", got.PerChild, tt.want)
			}
			family := tt.family
			if family == nil {
				family = []simulators.Increment{}
			}
			if !reflect.DeepEqual(got.FamilyIncrements, family) {
				t.Errorf("family increments %+v, want %+v", got.FamilyIncrements, family)
			}
			if got.MonthlyTotalCents != tt.total {
				t.Errorf("total %d, want %d", got.MonthlyTotalCents, tt.total)
			}
		})
	}
}

func TestAUURefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		req  simulators.AUURequest
		code string
	}{
		{"a year without parameters is refused", simulators.AUURequest{Year: 2019, OnDate: "2019-06-01", Children: []simulators.AUUChild{{BirthDate: "2015-01-01"}}}, simulators.CodeUnsupportedYear},
		{"a child born after on_date is refused", simulators.AUURequest{Year: 2025, OnDate: "2025-06-01", Children: []simulators.AUUChild{{BirthDate: "2025-07-01"}}}, domain.CodeFutureDate},
		{"a malformed birth date is refused", simulators.AUURequest{Year: 2025, OnDate: "2025-06-01", Children: []simulators.AUUChild{{BirthDate: "01/07/2020"}}}, domain.CodeInvalidDate},
		{"an unknown disability level is refused", simulators.AUURequest{Year: 2025, OnDate: "2025-06-01", Children: []simulators.AUUChild{{BirthDate: "2020-01-01", Disability: "lieve"}}}, simulators.CodeInvalidDisability},
		{"a negative ISEE is refused", simulators.AUURequest{Year: 2025, ISEECents: isee(-1), OnDate: "2025-06-01", Children: []simulators.AUUChild{{BirthDate: "2020-01-01"}}}, domain.CodeInvalidAmount},
		{"no children is refused", simulators.AUURequest{Year: 2025, OnDate: "2025-06-01"}, simulators.CodeNotEligible},
		{"more than 20 children are refused", simulators.AUURequest{Year: 2025, OnDate: "2025-06-01", Children: slices.Repeat([]simulators.AUUChild{{BirthDate: "2020-01-01"}}, 21)}, simulators.CodeTooManyChildren},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := simulators.SimulateAUU(tt.req)
			var de *domain.Error
			if !errors.As(err, &de) || de.Code != tt.code || de.Kind != domain.KindRule {
				t.Fatalf("err %v, want rule error %s", err, tt.code)
			}
		})
	}
}

func TestBonusNido(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		year   int
		isee   *int64
		birth  string
		yearly int64
		band   string
		each   int64
		last   int64
	}{
		{"2025: ISEE up to 25,000 gives 3,000 € (10 × 272.72 + 272.80)", 2025, isee(2500000), "2023-05-01", 300000, simulators.NidoBandLow, 27272, 27280},
		{"2025: ISEE one cent above 25,000 gives 2,500 €", 2025, isee(2500001), "2023-05-01", 250000, simulators.NidoBandMiddle, 22727, 22730},
		{"2025: ISEE exactly 40,000 gives 2,500 €", 2025, isee(4000000), "2023-05-01", 250000, simulators.NidoBandMiddle, 22727, 22730},
		{"2025: ISEE above 40,000 gives 1,500 € (10 × 136.36 + 136.40)", 2025, isee(4000001), "2023-05-01", 150000, simulators.NidoBandHigh, 13636, 13640},
		{"2025: no ISEE gives 1,500 €", 2025, nil, "2023-05-01", 150000, simulators.NidoBandHigh, 13636, 13640},
		{"2025: born from 2024 with ISEE up to 40,000 gives 3,600 € (10 × 327.27 + 327.30)", 2025, isee(4000000), "2024-01-01", 360000, simulators.NidoBandEnhanced, 32727, 32730},
		{"2025: born from 2024 with a low ISEE gives 3,600 €", 2025, isee(100000), "2025-03-01", 360000, simulators.NidoBandEnhanced, 32727, 32730},
		{"2025: born on 31 December 2023 with ISEE 20,000 gives 3,000 €", 2025, isee(2000000), "2023-12-31", 300000, simulators.NidoBandLow, 27272, 27280},
		{"2025: born from 2024 with ISEE above 40,000 gives 1,500 €", 2025, isee(4000001), "2024-06-01", 150000, simulators.NidoBandHigh, 13636, 13640},
		{"2025: born from 2024 with no ISEE gives 1,500 €", 2025, nil, "2024-06-01", 150000, simulators.NidoBandHigh, 13636, 13640},
		{"2026: born from 2024 with ISEE up to 40,000 gives 3,600 €", 2026, isee(3999999), "2026-02-01", 360000, simulators.NidoBandEnhanced, 32727, 32730},
		{"2026: born in 2023 with ISEE 25,000 gives 3,000 €", 2026, isee(2500000), "2023-06-01", 300000, simulators.NidoBandLow, 27272, 27280},
		{"2026: born in 2023 with ISEE 25,000.01 gives 2,500 €", 2026, isee(2500001), "2023-06-01", 250000, simulators.NidoBandMiddle, 22727, 22730},
		{"2026: born in 2023 above 40,000 gives 1,500 €", 2026, isee(5000000), "2023-06-01", 150000, simulators.NidoBandHigh, 13636, 13640},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := simulators.SimulateNido(simulators.NidoRequest{Year: tt.year, ISEECents: tt.isee, BirthDate: tt.birth})
			if err != nil {
				t.Fatal(err)
			}
			if got.YearlyCents != tt.yearly || got.Band != tt.band {
				t.Fatalf("yearly %d band %s, want %d %s", got.YearlyCents, got.Band, tt.yearly, tt.band)
			}
			if len(got.Instalments) != 11 {
				t.Fatalf("%d instalments, want 11", len(got.Instalments))
			}
			var sum int64
			for i, in := range got.Instalments {
				sum += in.Cents
				want := tt.each
				if i == 10 {
					want = tt.last
				}
				if in.Cents != want || in.Number != i+1 {
					t.Fatalf("instalment %d = %+v, want %d", i+1, in, want)
				}
			}
			if sum != tt.yearly {
				t.Fatalf("instalments sum to %d, want %d", sum, tt.yearly)
			}
		})
	}
}

func TestBonusNidoRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		req  simulators.NidoRequest
		code string
	}{
		{"a child three or older on 1 January is not eligible", simulators.NidoRequest{Year: 2025, BirthDate: "2022-01-01"}, simulators.CodeNotEligible},
		{"a child born after the year is not eligible", simulators.NidoRequest{Year: 2025, BirthDate: "2026-01-01"}, simulators.CodeNotEligible},
		{"a year without parameters is refused", simulators.NidoRequest{Year: 2030, BirthDate: "2029-01-01"}, simulators.CodeUnsupportedYear},
		{"a malformed birth date is refused", simulators.NidoRequest{Year: 2025, BirthDate: "2025-13-01"}, domain.CodeInvalidDate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := simulators.SimulateNido(tt.req)
			var de *domain.Error
			if !errors.As(err, &de) || de.Code != tt.code {
				t.Fatalf("err %v, want %s", err, tt.code)
			}
		})
	}
	if _, err := simulators.SimulateNido(simulators.NidoRequest{Year: 2025, BirthDate: "2022-01-02"}); err != nil {
		t.Fatalf("a child turning three during the year is eligible: %v", err)
	}
}

func TestEveryParameterHasASource(t *testing.T) {
	t.Parallel()
	for _, y := range simulators.Years() {
		a, _ := simulators.AUUTable(y)
		n, _ := simulators.NidoTable(y)
		for _, v := range []any{a, n} {
			rv := reflect.ValueOf(v)
			for i := 0; i < rv.NumField(); i++ {
				switch f := rv.Field(i).Interface().(type) {
				case simulators.Value:
					if f.Source == "" || f.V <= 0 {
						t.Errorf("%d %s: value %d source %q", y, rv.Type().Field(i).Name, f.V, f.Source)
					}
				case simulators.Text:
					if f.Source == "" || f.V == "" {
						t.Errorf("%d %s: no source", y, rv.Type().Field(i).Name)
					}
				}
			}
		}
	}
}
