package portal

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/domain/access"
	"github.com/inps/libretto/domain/assistant"
	"github.com/inps/libretto/domain/family"
	"github.com/inps/libretto/domain/simulators"
	"github.com/inps/libretto/projections"
)

// familyRoutes registers the Portale delle Famiglie pages: the family
// section of the dashboard (/famiglia), the two simulators and the virtual
// assistant. The simulators and the assistant are open to anyone and read
// their input from the query string (GET forms: they change nothing, so they
// need no CSRF token).
func (p *Portal) familyRoutes() {
	p.page("GET /famiglia", commands.RoleCitizen, access.ReadFamily, p.familyHome)
	p.handle("GET /simulatori", anyone, p.simulatorsHome)
	p.handle("GET "+family.LinkAUUSimulator, anyone, p.auuSimulator)
	p.handle("GET "+family.LinkNidoSimulator, anyone, p.nidoSimulator)
	p.handle("GET "+family.LinkAssistant, anyone, p.assistantPage)
}

// familyCards are the family section's activities on a citizen's home page.
func familyCards(u *User) []Card {
	if !u.Is(commands.RoleCitizen) {
		return nil
	}
	return []Card{
		{Title: "Portale delle Famiglie", Icon: "it-user",
			Text: "ISEE e data di presentazione della DSU, figli, domande e pagamenti delle prestazioni per la famiglia, con i suggerimenti per te.",
			Href: "/famiglia", Action: "Apri il Portale delle Famiglie"},
		{Title: "Simulatore Assegno Unico", Icon: "it-chart-line",
			Text: "Stima l'importo mensile dell'Assegno Unico Universale in base all'ISEE e ai figli, con tutte le maggiorazioni.",
			Href: family.LinkAUUSimulator, Action: "Simula l'Assegno Unico"},
		{Title: "Simulatore bonus asilo nido", Icon: "it-calendar",
			Text: "Stima il bonus asilo nido annuo e le sue 11 mensilità in base all'ISEE e alla data di nascita.",
			Href: family.LinkNidoSimulator, Action: "Simula il bonus nido"},
		{Title: "Assistente virtuale", Icon: "it-help-circle",
			Text: "Fai una domanda su Libretto Famiglia, eredi, Assegno Unico, bonus nido e ISEE.",
			Href: family.LinkAssistant, Action: "Chiedi all'assistente"},
	}
}

// familyNav are the family section's entries of a citizen's main menu.
func familyNav(u *User) []NavItem {
	if !u.Is(commands.RoleCitizen) {
		return nil
	}
	return []NavItem{{Label: "Famiglia", Href: "/famiglia"}, {Label: "Simulatori", Href: "/simulatori"}, {Label: "Assistente", Href: family.LinkAssistant}}
}

// The family section's labels and messages, beside the core's in render.go.
func init() {
	labels["disability"] = map[string]string{
		"none":                "Nessuna",
		"media":               "Disabilità media",
		"grave":               "Disabilità grave",
		"non_autosufficiente": "Non autosufficienza",
	}
	labels["increment"] = map[string]string{
		simulators.IncUnderOne:                                 "Figlio con meno di un anno (+50%)",
		simulators.IncToddlerLargeFamily:                       "Figlio tra 1 e 3 anni in nucleo con almeno 3 figli (+50%)",
		simulators.IncThirdOrLaterChild:                        "Figlio successivo al secondo",
		simulators.IncMotherUnder21:                            "Madre con meno di 21 anni",
		simulators.IncBothParentsEarning:                       "Entrambi i genitori con reddito da lavoro",
		simulators.IncDisabilityPrefix + "media":               "Figlio con disabilità media",
		simulators.IncDisabilityPrefix + "grave":               "Figlio con disabilità grave",
		simulators.IncDisabilityPrefix + "non_autosufficiente": "Figlio non autosufficiente",
		simulators.IncFourOrMoreChildren:                       "Nucleo con quattro o più figli (forfettaria)",
	}
	labels["nido_band"] = map[string]string{
		simulators.NidoBandEnhanced: "Nato dal 2024 con ISEE fino a 40.000 €",
		simulators.NidoBandLow:      "ISEE fino a 25.000 €",
		simulators.NidoBandMiddle:   "ISEE da 25.000,01 a 40.000 €",
		simulators.NidoBandHigh:     "ISEE oltre 40.000 € o senza ISEE",
	}
	for code, text := range map[string]string{
		simulators.CodeUnsupportedYear:   "Per quest'anno non sono disponibili i parametri del simulatore.",
		simulators.CodeInvalidDisability: "Scegli un livello di disabilità tra quelli indicati.",
		simulators.CodeNotEligible:       "Con questi dati la prestazione non spetta.",
	} {
		messages[code] = text
	}
}

// familyData is the family section.
type familyData struct {
	Family projections.Family
	Today  string
}

func (p *Portal) familyHome(w http.ResponseWriter, r *http.Request) {
	fq, ok := p.cfg.Queries.(projections.FamilyQueries)
	if !ok {
		p.serverError(w, r, errors.New("portal: the read models do not answer family queries"))
		return
	}
	f, err := fq.Family(r.Context(), currentUser(r).CF, p.today())
	if err != nil {
		p.serverError(w, r, err)
		return
	}
	p.render(w, r, "family_home", familyData{Family: f, Today: p.today()})
}

// maxSimChildren is how many child rows the AUU form offers.
const maxSimChildren = 6

// simChild is a child row of the AUU form.
type simChild struct {
	Index      int
	BirthName  string
	DisName    string
	BirthDate  string
	Disability string
	Error      string
}

type auuData struct {
	Form     *Form
	Years    []int
	Year     int
	Children []simChild
	Result   *simulators.AUUResult
	Params   simulators.AUUParams
	// Rows pairs each simulated child with its result, for the table.
	Rows []auuRow
}

type auuRow struct {
	N         int
	BirthDate string
	simulators.AUUChildResult
}

// simYear reads the year field, defaulting to this year when it has tables,
// else the latest year that has.
func (p *Portal) simYear(f *Form) int {
	years := simulators.Years()
	def := years[len(years)-1]
	this := p.now().In(rome).Year()
	for _, y := range years {
		if y == this {
			def = y
		}
	}
	if v := f.Get("anno"); v != "" {
		if y, err := strconv.Atoi(v); err == nil {
			return y
		}
		f.Fail("anno", "Scegli un anno.")
	}
	return def
}

// iseeCents reads the optional ISEE field: empty means no ISEE.
func iseeCents(f *Form) *int64 {
	raw := f.Get("isee")
	if raw == "" {
		return nil
	}
	c, ok := euroCents(raw)
	if !ok {
		f.Fail("isee", "Indica l'ISEE in euro, per esempio 18.500,00, oppure lascia vuoto se non hai un ISEE.")
		return nil
	}
	return &c
}

func queryForm(r *http.Request) *Form {
	f := newForm()
	for k, v := range r.URL.Query() {
		f.Values[k] = v
	}
	return f
}

func (p *Portal) auuSimulator(w http.ResponseWriter, r *http.Request) {
	f := queryForm(r)
	d := auuData{Form: f, Years: simulators.Years(), Year: p.simYear(f)}
	d.Params, _ = simulators.AUUTable(d.Year)
	for i := range maxSimChildren {
		c := simChild{Index: i + 1, BirthName: "nascita" + strconv.Itoa(i+1), DisName: "disabilita" + strconv.Itoa(i+1)}
		c.BirthDate = f.Get(c.BirthName)
		c.Disability = f.Get(c.DisName)
		d.Children = append(d.Children, c)
	}
	if f.Get("calcola") == "" {
		p.render(w, r, "family_auu", d)
		return
	}
	req := simulators.AUURequest{Year: d.Year, ISEECents: iseeCents(f), OnDate: p.today(),
		MotherUnder21: f.Checked("madre_under21"), BothParentsEarning: f.Checked("entrambi_reddito")}
	if on := f.Date("data_riferimento"); on != "" {
		req.OnDate = on
	}
	var rows []auuRow
	for i, c := range d.Children {
		if c.BirthDate == "" {
			continue
		}
		if f.Date(c.BirthName); f.Err(c.BirthName) != "" {
			d.Children[i].Error = f.Err(c.BirthName)
			continue
		}
		req.Children = append(req.Children, simulators.AUUChild{BirthDate: c.BirthDate, Disability: simulators.Disability(c.Disability)})
		rows = append(rows, auuRow{N: c.Index, BirthDate: c.BirthDate})
	}
	if len(req.Children) == 0 && f.OK() {
		f.Fail("nascita1", "Indica la data di nascita di almeno un figlio.")
		d.Children[0].Error = f.Err("nascita1")
	}
	if f.OK() {
		res, err := simulators.SimulateAUU(req)
		var de *domain.Error
		switch {
		case err == nil:
			d.Result = &res
			for i := range rows {
				rows[i].AUUChildResult = res.PerChild[i]
			}
			d.Rows = rows
		case errors.As(err, &de) && de.Field == "children.birth_date" && childOf(de, len(rows)) >= 0:
			// The simulator names the child by its place among those given.
			c := rows[childOf(de, len(rows))].N
			f.Fail("nascita"+strconv.Itoa(c), errorMessage(de))
			d.Children[c-1].Error = f.Err("nascita" + strconv.Itoa(c))
		case !applyError(f, err, "isee", "anno"):
			p.serverError(w, r, err)
			return
		}
	}
	p.render(w, r, "family_auu", d)
}

// childOf is the index of the child a simulator error names, -1 if none of n.
func childOf(de *domain.Error, n int) int {
	if i, ok := de.Facts["child"].(int); ok && i >= 0 && i < n {
		return i
	}
	return -1
}

type simulatorsData struct {
	Years []simulatorYear
}

type simulatorYear struct {
	Year int
	AUU  simulators.AUUParams
	Nido simulators.NidoParams
}

// simulatorsHome lists the simulators and their parameter tables with sources.
func (p *Portal) simulatorsHome(w http.ResponseWriter, r *http.Request) {
	var d simulatorsData
	for _, y := range simulators.Years() {
		a, _ := simulators.AUUTable(y)
		n, _ := simulators.NidoTable(y)
		d.Years = append(d.Years, simulatorYear{Year: y, AUU: a, Nido: n})
	}
	p.render(w, r, "family_simulators", d)
}

type nidoData struct {
	Form   *Form
	Years  []int
	Year   int
	Result *simulators.NidoResult
	Params simulators.NidoParams
}

func (p *Portal) nidoSimulator(w http.ResponseWriter, r *http.Request) {
	f := queryForm(r)
	d := nidoData{Form: f, Years: simulators.Years(), Year: p.simYear(f)}
	d.Params, _ = simulators.NidoTable(d.Year)
	if f.Get("calcola") == "" {
		p.render(w, r, "family_nido", d)
		return
	}
	isee := iseeCents(f)
	f.Required("nascita")
	birth := f.Date("nascita")
	if f.OK() {
		res, err := simulators.SimulateNido(simulators.NidoRequest{Year: d.Year, ISEECents: isee, BirthDate: birth})
		if err != nil {
			var de *domain.Error
			if errors.As(err, &de) && de.Field == "birth_date" {
				f.Fail("nascita", errorMessage(de))
			} else if !applyError(f, err, "isee", "anno") {
				p.serverError(w, r, err)
				return
			}
		} else {
			d.Result = &res
		}
	}
	p.render(w, r, "family_nido", d)
}

type assistantData struct {
	Form     *Form
	Answer   *assistant.Answer
	Examples []string
}

// assistantExamples are questions the page offers as links.
var assistantExamples = []string{
	"Quanto vale un titolo del Libretto Famiglia?",
	"Entro quando devo comunicare una prestazione?",
	"Come chiedo il rimborso del libretto di un familiare deceduto?",
	"Quanto spetta di Assegno Unico nel 2026?",
	"Come presento la DSU per l'ISEE?",
	"Cos'è il bonus nuovi nati?",
}

func (p *Portal) assistantPage(w http.ResponseWriter, r *http.Request) {
	f := queryForm(r)
	d := assistantData{Form: f, Examples: assistantExamples}
	if q := f.Get("domanda"); q != "" {
		if len(q) > 1000 {
			f.Fail("domanda", "La domanda può avere al massimo 1000 caratteri.")
		} else {
			a := assistant.Default().Ask(q)
			d.Answer = &a
		}
	}
	p.render(w, r, "family_assistant", d)
}

// ageText writes an age for people: "3 mesi", "1 anno", "4 anni".
func ageText(years, months int) string {
	switch {
	case years == 0 && months == 1:
		return "1 mese"
	case years == 0:
		return strconv.Itoa(months) + " mesi"
	case years == 1:
		return "1 anno"
	}
	return strconv.Itoa(years) + " anni"
}

func init() {
	templateFuncs["ageText"] = ageText
	templateFuncs["benefitLabel"] = func(code string) string {
		if l := family.Benefit(code).Label(); l != "" {
			return l
		}
		return code
	}
	templateFuncs["statusLabel"] = func(code string) string {
		if l := family.Status(code).Label(); l != "" {
			return l
		}
		return code
	}
}
