// Package simulators holds the Portale delle Famiglie simulators: the monthly
// Assegno Unico Universale and the yearly bonus asilo nido. They are pure
// functions over the yearly parameter tables of tables.go, the one file
// where amounts and thresholds live, each with its source.
//
// Rounding (cent-exact, documented in docs/family.md):
//   - an amount that falls linearly between two ISEE thresholds is
//     max − (max − min) × (ISEE − lower) / (upper − lower), the product
//     rounded half up to the cent;
//   - a percentage increment is rounded half up to the cent;
//   - a yearly amount is split into instalments of whole cents, the
//     remainder going to the last instalment.
//
// It imports only domain (for typed errors); it must not import commands,
// projections or http.
package simulators

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/inps/libretto/domain"
)

// Error codes of the simulators (API: never rename).
const (
	CodeUnsupportedYear   = "unsupported_year"
	CodeInvalidDisability = "invalid_disability"
	CodeNotEligible       = "not_eligible"
	CodeTooManyChildren   = "too_many_children"
)

// MaxChildren is the most children one AUU simulation takes (SPEC §8: the
// anonymous endpoints are bounded). Families with more are a handful in
// Italy; the bound keeps an anonymous request's work and answer small.
const MaxChildren = 20

// Value is an integer parameter (cents, percent or a count) and its source.
type Value struct {
	V      int64  `json:"value"`
	Source string `json:"source"`
}

// Text is a textual parameter (a date) and its source.
type Text struct {
	V      string `json:"value"`
	Source string `json:"source"`
}

// AUUParams are one year's Assegno Unico Universale parameters; cents unless
// the name says otherwise.
type AUUParams struct {
	Year                         int   `json:"year"`
	LowerISEE                    Value `json:"lower_isee_cents"`
	UpperISEE                    Value `json:"upper_isee_cents"`
	MinorMax                     Value `json:"minor_max_cents"`
	MinorMin                     Value `json:"minor_min_cents"`
	AdultMax                     Value `json:"adult_max_cents"`
	AdultMin                     Value `json:"adult_min_cents"`
	ThirdChildMax                Value `json:"third_child_max_cents"`
	ThirdChildMin                Value `json:"third_child_min_cents"`
	MotherUnder21                Value `json:"mother_under_21_cents"`
	TwoEarnersMax                Value `json:"both_parents_earning_max_cents"`
	DisabilityMedia              Value `json:"disability_media_cents"`
	DisabilityGrave              Value `json:"disability_grave_cents"`
	DisabilityNonAutosufficiente Value `json:"disability_non_autosufficiente_cents"`
	UnderOnePercent              Value `json:"under_one_percent"`
	ToddlerPercent               Value `json:"toddler_percent"`
	ToddlerMaxISEE               Value `json:"toddler_max_isee_cents"`
	ToddlerMinChildren           Value `json:"toddler_min_children"`
	LargeFamily                  Value `json:"large_family_cents"`
	LargeFamilyMinChildren       Value `json:"large_family_min_children"`
}

// NidoParams are one year's bonus asilo nido parameters.
type NidoParams struct {
	Year               int   `json:"year"`
	LowBandMaxISEE     Value `json:"low_band_max_isee_cents"`
	LowBand            Value `json:"low_band_cents"`
	MiddleBandMaxISEE  Value `json:"middle_band_max_isee_cents"`
	MiddleBand         Value `json:"middle_band_cents"`
	HighBand           Value `json:"high_band_cents"`
	EnhancedBornFrom   Text  `json:"enhanced_born_from"`
	EnhancedMaxISEE    Value `json:"enhanced_max_isee_cents"`
	Enhanced           Value `json:"enhanced_cents"`
	Instalments        Value `json:"instalments"`
	MaxAgeYearsAtStart Value `json:"max_age_years_at_start"`
}

// Years returns the years the simulators have tables for, ascending.
func Years() []int {
	ys := make([]int, 0, len(auuTables))
	for y := range auuTables {
		if _, ok := nidoTables[y]; ok {
			ys = append(ys, y)
		}
	}
	sort.Ints(ys)
	return ys
}

// AUUTable returns the AUU parameters of year.
func AUUTable(year int) (AUUParams, error) {
	p, ok := auuTables[year]
	if !ok {
		return AUUParams{}, unsupportedYear(year)
	}
	return p, nil
}

// NidoTable returns the bonus asilo nido parameters of year.
func NidoTable(year int) (NidoParams, error) {
	p, ok := nidoTables[year]
	if !ok {
		return NidoParams{}, unsupportedYear(year)
	}
	return p, nil
}

func unsupportedYear(year int) error {
	return domain.RuleError(CodeUnsupportedYear, "year", "no parameters for this year").
		With("year", year).With("supported", Years())
}

// Disability is a child's disability level as INPS assesses it for the AUU.
type Disability string

// The disability levels; the zero value means none.
const (
	DisabilityNone               Disability = "none"
	DisabilityMedia              Disability = "media"
	DisabilityGrave              Disability = "grave"
	DisabilityNonAutosufficiente Disability = "non_autosufficiente"
	disabilityUnset              Disability = ""
)

// ParseDisability accepts "", "none", "media", "grave", "non_autosufficiente".
func ParseDisability(s string) (Disability, error) {
	switch d := Disability(s); d {
	case disabilityUnset, DisabilityNone:
		return DisabilityNone, nil
	case DisabilityMedia, DisabilityGrave, DisabilityNonAutosufficiente:
		return d, nil
	}
	return "", domain.RuleError(CodeInvalidDisability, "disability",
		"disability must be none, media, grave or non_autosufficiente")
}

// parseDate parses a civil date "YYYY-MM-DD"; field names the request field.
func parseDate(field, s string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, domain.RuleError(domain.CodeInvalidDate, field, "a date is YYYY-MM-DD")
	}
	return t, nil
}

// AgeYears is the age in whole years on day of someone born on birth.
func AgeYears(birth, day time.Time) int {
	age := day.Year() - birth.Year()
	if day.Month() < birth.Month() || (day.Month() == birth.Month() && day.Day() < birth.Day()) {
		age--
	}
	return age
}

// linear is the amount falling from max at ISEE ≤ lower to min at ISEE ≥
// upper, rounded half up to the cent. No ISEE means min.
func linear(isee *int64, lower, upper, max, min int64) int64 {
	if isee == nil || *isee >= upper {
		return min
	}
	if *isee <= lower {
		return max
	}
	num := (max - min) * (*isee - lower)
	den := upper - lower
	return max - (2*num+den)/(2*den)
}

// percent is p% of cents, rounded half up.
func percent(cents, p int64) int64 {
	return (cents*p*2 + 100) / 200
}

// split divides total into n instalments of whole cents; the last takes the
// remainder.
func split(total int64, n int) []Instalment {
	out := make([]Instalment, n)
	each := total / int64(n)
	for i := range out {
		out[i] = Instalment{Number: i + 1, Cents: each}
	}
	out[n-1].Cents += total - each*int64(n)
	return out
}

// Instalment is one monthly payment of a yearly benefit.
type Instalment struct {
	Number int   `json:"number"`
	Cents  int64 `json:"cents"`
}

// AUUChild is a child in an AUU simulation.
type AUUChild struct {
	BirthDate  string
	Disability Disability
}

// AUURequest is POST /simulators/auu. OnDate is the day ages are taken on;
// the caller sets it (today when the request names none).
type AUURequest struct {
	Year               int
	ISEECents          *int64 // nil: no ISEE
	OnDate             string
	Children           []AUUChild
	MotherUnder21      bool
	BothParentsEarning bool
}

// Increment kinds (API).
const (
	IncUnderOne           = "under_one"
	IncToddlerLargeFamily = "toddler_large_family"
	IncThirdOrLaterChild  = "third_or_later_child"
	IncMotherUnder21      = "mother_under_21"
	IncBothParentsEarning = "both_parents_earning"
	IncDisabilityPrefix   = "disability_" // + media, grave, non_autosufficiente
	IncFourOrMoreChildren = "four_or_more_children"
)

// Increment is one maggiorazione.
type Increment struct {
	Kind  string `json:"kind"`
	Cents int64  `json:"cents"`
}

// AUUChildResult is the monthly amount for one child, in request order. A
// child who is not entitled (21 or older) has zero base and no increments.
type AUUChildResult struct {
	BaseCents  int64       `json:"base_cents"`
	Increments []Increment `json:"increments"`
}

// AUUResult is the monthly AUU of a family.
type AUUResult struct {
	Year              int              `json:"year"`
	MonthlyTotalCents int64            `json:"monthly_total_cents"`
	PerChild          []AUUChildResult `json:"per_child"`
	FamilyIncrements  []Increment      `json:"family_increments"`
}

type auuChild struct {
	index      int
	birth      time.Time
	age        int
	disability Disability
}

// SimulateAUU computes the monthly Assegno Unico Universale.
//
// A child is entitled until 21 (disabled children at any age). Children are
// ranked by birth date, eldest first, to find the third and later ones; ties
// keep request order. Entitled children are those who count for the family
// size (3+ children, 4+ children).
func SimulateAUU(r AUURequest) (AUUResult, error) {
	if len(r.Children) > MaxChildren {
		return AUUResult{}, domain.RuleError(CodeTooManyChildren, "children",
			fmt.Sprintf("a simulation takes at most %d children", MaxChildren)).With("max_children", MaxChildren)
	}
	p, err := AUUTable(r.Year)
	if err != nil {
		return AUUResult{}, err
	}
	if r.ISEECents != nil && *r.ISEECents < 0 {
		return AUUResult{}, domain.RuleError(domain.CodeInvalidAmount, "isee_cents", "ISEE cannot be negative")
	}
	on, err := parseDate("on_date", r.OnDate)
	if err != nil {
		return AUUResult{}, err
	}
	if len(r.Children) == 0 {
		return AUUResult{}, domain.RuleError(CodeNotEligible, "children", "the Assegno Unico needs at least one child")
	}
	entitled := make([]auuChild, 0, len(r.Children))
	for i, c := range r.Children {
		b, err := parseDate("children.birth_date", c.BirthDate)
		if err != nil {
			return AUUResult{}, err
		}
		if b.After(on) {
			return AUUResult{}, domain.RuleError(domain.CodeFutureDate, "children.birth_date",
				"a child's birth date cannot be after on_date").With("child", i)
		}
		d, err := ParseDisability(string(c.Disability))
		if err != nil {
			return AUUResult{}, err
		}
		age := AgeYears(b, on)
		if age >= 21 && d == DisabilityNone {
			continue
		}
		entitled = append(entitled, auuChild{index: i, birth: b, age: age, disability: d})
	}
	slices.SortStableFunc(entitled, func(a, b auuChild) int { return a.birth.Compare(b.birth) })

	lower, upper := p.LowerISEE.V, p.UpperISEE.V
	isee := r.ISEECents
	n := len(entitled)
	res := AUUResult{Year: r.Year, PerChild: make([]AUUChildResult, len(r.Children)), FamilyIncrements: []Increment{}}
	for i := range res.PerChild {
		res.PerChild[i].Increments = []Increment{}
	}
	for rank, c := range entitled {
		minor := c.age < 18
		var base int64
		if minor {
			base = linear(isee, lower, upper, p.MinorMax.V, p.MinorMin.V)
		} else {
			base = linear(isee, lower, upper, p.AdultMax.V, p.AdultMin.V)
		}
		var inc []Increment
		add := func(kind string, cents int64) {
			if cents > 0 {
				inc = append(inc, Increment{Kind: kind, Cents: cents})
			}
		}
		switch {
		case c.age < 1:
			add(IncUnderOne, percent(base, p.UnderOnePercent.V))
		case c.age < 3 && n >= int(p.ToddlerMinChildren.V) && isee != nil && *isee <= p.ToddlerMaxISEE.V:
			add(IncToddlerLargeFamily, percent(base, p.ToddlerPercent.V))
		}
		if rank >= 2 {
			add(IncThirdOrLaterChild, linear(isee, lower, upper, p.ThirdChildMax.V, p.ThirdChildMin.V))
		}
		if r.MotherUnder21 {
			add(IncMotherUnder21, p.MotherUnder21.V)
		}
		if r.BothParentsEarning && minor {
			add(IncBothParentsEarning, linear(isee, lower, upper, p.TwoEarnersMax.V, 0))
		}
		if minor {
			switch c.disability {
			case DisabilityMedia:
				add(IncDisabilityPrefix+string(DisabilityMedia), p.DisabilityMedia.V)
			case DisabilityGrave:
				add(IncDisabilityPrefix+string(DisabilityGrave), p.DisabilityGrave.V)
			case DisabilityNonAutosufficiente:
				add(IncDisabilityPrefix+string(DisabilityNonAutosufficiente), p.DisabilityNonAutosufficiente.V)
			}
		}
		if inc == nil {
			inc = []Increment{}
		}
		res.PerChild[c.index] = AUUChildResult{BaseCents: base, Increments: inc}
		res.MonthlyTotalCents += base
		for _, x := range inc {
			res.MonthlyTotalCents += x.Cents
		}
	}
	if n >= int(p.LargeFamilyMinChildren.V) {
		res.FamilyIncrements = append(res.FamilyIncrements, Increment{Kind: IncFourOrMoreChildren, Cents: p.LargeFamily.V})
		res.MonthlyTotalCents += p.LargeFamily.V
	}
	return res, nil
}

// NidoRequest is POST /simulators/bonus-nido.
type NidoRequest struct {
	Year      int
	ISEECents *int64 // nil: no ISEE
	BirthDate string
}

// Bonus nido bands (API).
const (
	NidoBandEnhanced = "born_from_2024_isee_up_to_40000"
	NidoBandLow      = "isee_up_to_25000"
	NidoBandMiddle   = "isee_up_to_40000"
	NidoBandHigh     = "isee_above_40000_or_none"
)

// NidoResult is the yearly bonus asilo nido and its monthly instalments.
type NidoResult struct {
	Year        int          `json:"year"`
	YearlyCents int64        `json:"yearly_cents"`
	Band        string       `json:"band"`
	Instalments []Instalment `json:"instalments"`
}

// SimulateNido computes the yearly bonus asilo nido for a child. The child
// must be born by the end of the year and be under three on 1 January.
func SimulateNido(r NidoRequest) (NidoResult, error) {
	p, err := NidoTable(r.Year)
	if err != nil {
		return NidoResult{}, err
	}
	if r.ISEECents != nil && *r.ISEECents < 0 {
		return NidoResult{}, domain.RuleError(domain.CodeInvalidAmount, "isee_cents", "ISEE cannot be negative")
	}
	birth, err := parseDate("birth_date", r.BirthDate)
	if err != nil {
		return NidoResult{}, err
	}
	start := time.Date(r.Year, time.January, 1, 0, 0, 0, 0, time.UTC)
	if birth.Year() > r.Year {
		return NidoResult{}, domain.RuleError(CodeNotEligible, "birth_date", "the child is born after the simulated year")
	}
	if !birth.After(start) && AgeYears(birth, start) >= int(p.MaxAgeYearsAtStart.V) {
		return NidoResult{}, domain.RuleError(CodeNotEligible, "birth_date", "the bonus asilo nido is for children under three").
			With("max_age_years", p.MaxAgeYearsAtStart.V)
	}
	enhancedFrom, err := parseDate("enhanced_born_from", p.EnhancedBornFrom.V)
	if err != nil {
		return NidoResult{}, err
	}
	isee := r.ISEECents
	var yearly int64
	var band string
	switch {
	case isee != nil && *isee <= p.EnhancedMaxISEE.V && !birth.Before(enhancedFrom):
		yearly, band = p.Enhanced.V, NidoBandEnhanced
	case isee != nil && *isee <= p.LowBandMaxISEE.V:
		yearly, band = p.LowBand.V, NidoBandLow
	case isee != nil && *isee <= p.MiddleBandMaxISEE.V:
		yearly, band = p.MiddleBand.V, NidoBandMiddle
	default:
		yearly, band = p.HighBand.V, NidoBandHigh
	}
	return NidoResult{Year: r.Year, YearlyCents: yearly, Band: band, Instalments: split(yearly, int(p.Instalments.V))}, nil
}
