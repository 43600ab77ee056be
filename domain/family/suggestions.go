package family

import (
	"fmt"
	"net/url"
	"slices"
	"time"

	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/domain/simulators"
)

// Portal links the suggestions point at (the portal serves them).
const (
	LinkAUUSimulator  = "/simulatori/auu"
	LinkNidoSimulator = "/simulatori/bonus-nido"
	LinkAssistant     = "/assistente"
)

// AssistantLink is the assistant page asking question.
func AssistantLink(question string) string {
	return LinkAssistant + "?domanda=" + url.QueryEscape(question)
}

// Suggestion codes (API).
const (
	SuggestISEEMissing      = "isee_missing"
	SuggestISEEExpired      = "isee_expired"
	SuggestISEEExpiring     = "isee_expiring"
	SuggestAUUMissing       = "auu_missing"
	SuggestBonusNidoMissing = "bonus_nido_missing"
	SuggestBonusBebeMissing = "bonus_bebe_missing"
)

// Rule parameters of the suggestions.
const (
	// ISEEExpiryWarningDays is how long before its expiry an ISEE is flagged (SPEC §6).
	ISEEExpiryWarningDays = 30
	// BonusBebeWindowDays is the time to apply for the bonus nuovi nati after
	// the birth (L. 207/2024 art. 1: 1,000 € for children born from 2025,
	// application within 120 days).
	BonusBebeWindowDays = 120
	// BonusBebeMaxISEECents is that bonus's ISEE ceiling (40,000 €).
	BonusBebeMaxISEECents = 4000000
	// AUUMaxAge is the age the Assegno Unico stops at, except for disabled children.
	AUUMaxAge = 21
	// NidoMaxAge is the age the bonus asilo nido stops at.
	NidoMaxAge = 3
)

var bonusBebeFrom = time.Date(2025, time.January, 1, 0, 0, 0, 0, time.UTC)

// Suggestion is something the family could do, with why and where.
type Suggestion struct {
	Code    string `json:"code"`
	Title   string `json:"title"`
	Reason  string `json:"reason"`
	Link    string `json:"link"`
	ChildCF string `json:"child_cf,omitempty"`
	// EstimateCents is what the simulator gives for it (monthly for the AUU,
	// yearly for the bonus nido, one-off for the bonus nuovi nati), when known.
	EstimateCents int64 `json:"estimate_cents,omitempty"`
}

// Suggest derives the suggestions of a family on today, most urgent first:
// ISEE problems, then missing applications (AUU for the family, then per child
// from the youngest: bonus nuovi nati, bonus asilo nido).
func Suggest(f Facts, today domain.Date) []Suggestion {
	now := Day(today)
	out := []Suggestion{}
	cur := f.Current()
	var iseeCents *int64
	switch {
	case cur == nil:
		out = append(out, Suggestion{
			Code:   SuggestISEEMissing,
			Title:  "Presenta la DSU per avere l'ISEE",
			Reason: "Non risulta un ISEE: senza ISEE l'Assegno Unico è pagato nella misura minima e il bonus asilo nido nella fascia più bassa.",
			Link:   AssistantLink("Come presento la DSU per l'ISEE?"),
		})
	case cur.ValidUntil < today.String():
		out = append(out, Suggestion{
			Code:   SuggestISEEExpired,
			Title:  "Rinnova l'ISEE",
			Reason: fmt.Sprintf("L'ISEE (protocollo %s) è scaduto il %s: presenta una nuova DSU per non ricevere le prestazioni nella misura minima.", cur.Protocol, domain.ItalianDate(cur.ValidUntil)),
			Link:   AssistantLink("Come rinnovo l'ISEE?"),
		})
	default:
		v := cur.ValueCents
		iseeCents = &v
		until, _ := time.Parse(time.DateOnly, cur.ValidUntil)
		if days := int(until.Sub(now).Hours() / 24); days <= ISEEExpiryWarningDays {
			out = append(out, Suggestion{
				Code:   SuggestISEEExpiring,
				Title:  "L'ISEE sta per scadere",
				Reason: fmt.Sprintf("L'ISEE (protocollo %s) scade il %s, tra %d giorni: presenta per tempo una nuova DSU.", cur.Protocol, domain.ItalianDate(cur.ValidUntil), days),
				Link:   AssistantLink("Come rinnovo l'ISEE?"),
			})
		}
	}

	type kid struct {
		Child
		birth time.Time
		age   int
	}
	var kids []kid
	for _, c := range f.Children {
		b, err := time.Parse(time.DateOnly, c.BirthDate)
		if err != nil || b.After(now) {
			continue
		}
		kids = append(kids, kid{Child: c, birth: b, age: simulators.AgeYears(b, now)})
	}
	// Youngest first: the most time-bound suggestions concern them.
	slices.SortStableFunc(kids, func(a, b kid) int { return b.birth.Compare(a.birth) })

	var auuChildren []simulators.AUUChild
	for _, k := range kids {
		if k.age < AUUMaxAge || (k.Disability != "" && k.Disability != simulators.DisabilityNone) {
			auuChildren = append(auuChildren, simulators.AUUChild{BirthDate: k.BirthDate, Disability: k.Disability})
		}
	}
	if len(auuChildren) > 0 && !f.hasLive(BenefitAUU, "", 0) {
		s := Suggestion{
			Code:   SuggestAUUMissing,
			Title:  "Chiedi l'Assegno Unico Universale",
			Reason: fmt.Sprintf("Hai %s e non risulta una domanda di Assegno Unico: spetta per ogni figlio fino a 21 anni.", childrenPhrase(len(auuChildren))),
			Link:   LinkAUUSimulator,
		}
		if year, ok := tableYear(today.Year()); ok {
			if r, err := simulators.SimulateAUU(simulators.AUURequest{Year: year, ISEECents: iseeCents, OnDate: today.String(), Children: auuChildren}); err == nil {
				s.EstimateCents = r.MonthlyTotalCents
				s.Reason += fmt.Sprintf(" Con i dati noti il simulatore stima %s al mese.", domain.Euro(r.MonthlyTotalCents))
			}
		}
		out = append(out, s)
	}

	for _, k := range kids {
		if !k.birth.Before(bonusBebeFrom) && now.Sub(k.birth) <= BonusBebeWindowDays*24*time.Hour &&
			(iseeCents == nil || *iseeCents <= BonusBebeMaxISEECents) && !f.hasLive(BenefitBonusBebe, k.CF, 0) {
			deadline := k.birth.AddDate(0, 0, BonusBebeWindowDays)
			out = append(out, Suggestion{
				Code:    SuggestBonusBebeMissing,
				Title:   "Chiedi il bonus nuovi nati",
				Reason:  fmt.Sprintf("Per il figlio nato il %s spetta il bonus nuovi nati di 1.000 € (ISEE fino a 40.000 €): la domanda va presentata entro 120 giorni dalla nascita, cioè entro il %s.", domain.ItalianDate(k.BirthDate), domain.ItalianDate(deadline.Format(time.DateOnly))),
				Link:    AssistantLink("Cos'è il bonus nuovi nati?"),
				ChildCF: k.CF,

				EstimateCents: 100000,
			})
		}
	}

	for _, k := range kids {
		if k.age >= NidoMaxAge || f.hasLive(BenefitBonusNido, k.CF, today.Year()) {
			continue
		}
		s := Suggestion{
			Code:    SuggestBonusNidoMissing,
			Title:   "Chiedi il bonus asilo nido",
			Reason:  fmt.Sprintf("Il figlio nato il %s ha meno di 3 anni e non risulta una domanda di bonus asilo nido per il %d.", domain.ItalianDate(k.BirthDate), today.Year()),
			Link:    LinkNidoSimulator,
			ChildCF: k.CF,
		}
		if year, ok := tableYear(today.Year()); ok {
			if r, err := simulators.SimulateNido(simulators.NidoRequest{Year: year, ISEECents: iseeCents, BirthDate: k.BirthDate}); err == nil {
				s.EstimateCents = r.YearlyCents
				s.Reason += fmt.Sprintf(" Il simulatore stima %s all'anno.", domain.Euro(r.YearlyCents))
			}
		}
		out = append(out, s)
	}
	return out
}

// hasLive reports whether the family has a live application (not rejected
// or withdrawn) for benefit; for a child, one naming that child or no child;
// for a year (when not 0), one submitted in that year.
func (f Facts) hasLive(benefit Benefit, childCF string, year int) bool {
	for _, a := range f.Applications {
		if a.Benefit != benefit || !a.Status.Live() {
			continue
		}
		if childCF != "" && a.ChildCF != "" && a.ChildCF != childCF {
			continue
		}
		if year != 0 && (len(a.SubmittedOn) < 4 || a.SubmittedOn[:4] != fmt.Sprint(year)) {
			continue
		}
		return true
	}
	return false
}

// tableYear is the simulators' year for a calendar year: itself when its
// tables exist, else the latest earlier one.
func tableYear(year int) (int, bool) {
	best, ok := 0, false
	for _, y := range simulators.Years() {
		if y <= year {
			best, ok = y, true
		}
	}
	return best, ok
}

func childrenPhrase(n int) string {
	if n == 1 {
		return "un figlio"
	}
	return fmt.Sprintf("%d figli", n)
}
