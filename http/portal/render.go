package portal

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"math"
	"net/http"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/http/auth"
)

// pages holds one template set per page: the shared layout and partials
// (templates/_*.html) plus the page's own file, which defines "title" and
// "content". Every templates/*.html not starting with "_" is a page named
// after its file: family_*.html files are picked up without registration.
type pages struct {
	byName map[string]*template.Template
}

func parsePages(fsys fs.FS) (*pages, error) {
	base, err := template.New("").Funcs(templateFuncs).ParseFS(fsys, "templates/_*.html")
	if err != nil {
		return nil, fmt.Errorf("portal: parse layout: %w", err)
	}
	files, err := fs.Glob(fsys, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pg := &pages{byName: map[string]*template.Template{}}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if strings.HasPrefix(name, "_") {
			continue
		}
		t, err := base.Clone()
		if err != nil {
			return nil, err
		}
		if _, err := t.ParseFS(fsys, f); err != nil {
			return nil, fmt.Errorf("portal: parse %s: %w", f, err)
		}
		pg.byName[name] = t
	}
	return pg, nil
}

// View is what the layout renders: the page's own data is in Data.
type View struct {
	User   *User
	CSRF   string
	Flash  *flash
	Vendor bool // Bootstrap Italia's files are installed
	Dev    bool
	Path   string
	Nav    []NavItem
	Unread int // the citizen's unread notifications: the bell
	// Persons are whom a citizen may act for with the header's switch
	// (their active delegations received); none hides the switch.
	Persons []personOption
	Data    any
}

// render writes page with data and status 200. Family pages use it too:
//
//	p.render(w, r, "family_dashboard", data)
func (p *Portal) render(w http.ResponseWriter, r *http.Request, page string, data any) {
	p.renderStatus(w, r, http.StatusOK, page, data)
}

// renderStatus writes page with data and status. The page is rendered into
// a buffer first, so a template failure becomes a clean 500.
func (p *Portal) renderStatus(w http.ResponseWriter, r *http.Request, status int, page string, data any) {
	t, ok := p.pages.byName[page]
	if !ok {
		p.cfg.Logger.Error("portal: unknown page", "page", page)
		http.Error(w, "pagina non disponibile", http.StatusInternalServerError)
		return
	}
	s := sessionOf(r)
	var persons []personOption
	if u := currentUser(r); u.Is(commands.RoleCitizen) {
		persons = p.switchOptions(r, u)
	}
	v := View{
		Persons: persons,
		User:    currentUser(r),
		CSRF:    s.CSRF,
		Flash:   takeFlash(r),
		Vendor:  p.hasVendor,
		Dev:     p.cfg.Dev,
		Path:    r.URL.Path,
		Nav:     navFor(currentUser(r), r.URL.Path),
		Unread:  p.unread(r),
		Data:    data,
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		p.cfg.Logger.Error("portal: render", "page", page, "err", err)
		http.Error(w, "errore interno", http.StatusInternalServerError)
		return
	}
	p.saveSession(w, r)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

type errorPage struct {
	Title   string
	Message string
}

func (p *Portal) notFound(w http.ResponseWriter, r *http.Request) {
	p.renderStatus(w, r, http.StatusNotFound, "error", errorPage{
		Title:   "Pagina non trovata",
		Message: "La pagina o la pratica richiesta non esiste, oppure non è associata alla tua utenza.",
	})
}

// tooManyRequests is the 429 page of a client address over its login limit;
// the Retry-After header is already set.
func (p *Portal) tooManyRequests(w http.ResponseWriter, r *http.Request, retryAfter time.Duration) {
	p.renderStatus(w, r, http.StatusTooManyRequests, "error", errorPage{
		Title: "Troppi tentativi",
		Message: fmt.Sprintf("Sono arrivati troppi tentativi di accesso da questo indirizzo. Attendi %d secondi e riprova.",
			int(retryAfter/time.Second)),
	})
}

// serverError logs err and shows a generic page: people never see internals.
func (p *Portal) serverError(w http.ResponseWriter, r *http.Request, err error) {
	p.cfg.Logger.Error("portal: request failed", "path", r.URL.Path, "err", err)
	p.renderStatus(w, r, http.StatusInternalServerError, "error", errorPage{
		Title:   "Servizio momentaneamente non disponibile",
		Message: "Si è verificato un errore imprevisto. Riprova tra qualche minuto; se il problema persiste contatta il Contact Center INPS.",
	})
}

var templateFuncs = template.FuncMap{
	"euro":        domain.Euro,
	"date":        domain.ItalianDate,
	"datetime":    instant,
	"pct":         pct,
	"month":       monthName,
	"yearMonth":   yearMonthName,
	"hours":       formatHours,
	"label":       label,
	"field":       newField,
	"roleName":    func(r any) string { return label("role", fmt.Sprint(r)) },
	"add":         func(a, b int) int { return a + b },
	"crumbs":      crumbs,
	"detailLabel": func(k string) string { return label("detail", k) },
	"detailValue": detailValue,
	"detailPairs": detailPairs,
	"icon":        func(name string) string { return "/assets/vendor/svg/sprites.svg#" + name },
	"upper":       strings.ToUpper,
	"hex":         func(b []byte) string { return hex.EncodeToString(b) },
	"join":        strings.Join,
	"contains":    strings.Contains,
	"hasPrefix":   strings.HasPrefix,
	// The domain's statuses by their Go names, for the templates'
	// conditions ({{if eq .Status ServiceRecordedState}}): no page spells one.
	"ClaimRegistered":       domain.ClaimRegistered.String,
	"ClaimValidated":        domain.ClaimValidated.String,
	"ClaimRejected":         domain.ClaimRejected.String,
	"RefundRequestedState":  domain.RefundRequestedState.String,
	"RefundApprovedState":   domain.RefundApprovedState.String,
	"ServiceRecordedState":  domain.ServiceRecordedState.String,
	"BookletActive":         domain.BookletActive.String,
	"BookletClosed":         domain.BookletClosed.String,
	"DepositPendingStatus":  domain.DepositPendingStatus.String,
	"NoticeOpen":            domain.NoticeOpen.String,
	"DelegationActiveState": domain.DelegationActiveState.String,
}

// instant shows an RFC 3339 instant in Rome time.
func instant(v any) string {
	var t time.Time
	switch x := v.(type) {
	case time.Time:
		t = x
	case string:
		var err error
		if t, err = time.Parse(time.RFC3339Nano, x); err != nil {
			return x
		}
	default:
		return fmt.Sprint(v)
	}
	return t.In(rome).Format("02/01/2006 15:04:05")
}

// pct is part/whole in whole percent, clamped to 0..100 for the CSS classes.
func pct(part, whole int64) int {
	if whole <= 0 || part <= 0 {
		return 0
	}
	v := int(math.Round(float64(part) * 100 / float64(whole)))
	if v > 100 {
		return 100
	}
	if v == 0 {
		return 1
	}
	return v
}

var monthNames = [...]string{"", "gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio",
	"agosto", "settembre", "ottobre", "novembre", "dicembre"}

func monthName(m int) string {
	if m < 1 || m > 12 {
		return strconv.Itoa(m)
	}
	return monthNames[m]
}

// yearMonthName turns "2026-03" into "marzo 2026"; anything else is shown
// as is.
func yearMonthName(s string) string {
	t, err := time.Parse("2006-01", s)
	if err != nil {
		return s
	}
	return monthNames[t.Month()] + " " + strconv.Itoa(t.Year())
}

func formatHours(h float64) string {
	return strings.Replace(strconv.FormatFloat(h, 'f', -1, 64), ".", ",", 1)
}

// labels are the Italian names of the codes the portal shows.
var labels = map[string]map[string]string{
	"activity": {
		"lavori_domestici":       "Lavori domestici, giardinaggio, pulizia e manutenzione",
		"assistenza_domiciliare": "Assistenza domiciliare a bambini, anziani, ammalati o persone con disabilità",
		"insegnamento_privato":   "Insegnamento privato supplementare",
	},
	"heir_kind": {
		"legittimo":     "Erede legittimo",
		"testamentario": "Erede testamentario",
	},
	"claim": {
		domain.ClaimRegistered.String(): "In attesa di verifica",
		domain.ClaimValidated.String():  "Convalidata",
		domain.ClaimRejected.String():   "Respinta",
	},
	"refund": {
		domain.RefundRequestedState.String(): "Richiesto, in attesa di approvazione",
		domain.RefundApprovedState.String():  "Approvato, in pagamento",
		domain.RefundPaidState.String():      "Pagato",
		domain.RefundRejectedState.String():  "Respinto",
	},
	"service": {
		domain.ServiceRecordedState.String(): "Comunicata, da pagare",
		domain.ServiceRevokedState.String():  "Revocata",
		domain.ServiceReversedState.String(): "Stornata dall'INPS",
		domain.ServicePaidState.String():     "Pagata",
	},
	"notice": {
		domain.NoticeOpen.String():    "Da pagare",
		domain.NoticePaid.String():    "Pagato",
		domain.NoticeExpired.String(): "Scaduto",
	},
	"deposit": {
		domain.DepositPendingStatus.String():  "In accredito",
		domain.DepositCreditedStatus.String(): "Accreditato",
	},
	"booklet": {
		domain.BookletActive.String():        "Attivo",
		domain.BookletOwnerDeceased.String(): "Titolare deceduto",
		domain.BookletClosed.String():        "Chiuso",
	},
	"category": {
		"altro":            "Nessuna delle categorie seguenti",
		"pensionato":       "Titolare di pensione di vecchiaia o di invalidità",
		"studente_under25": "Studente con meno di 25 anni",
		"disoccupato":      "Disoccupato",
		"sostegno_reddito": "Percettore di prestazioni di sostegno del reddito",
	},
	"role_login": {
		"citizen":  "Cittadino (utilizzatore, prestatore, erede)",
		"operator": "Operatore di sede INPS",
		"auditor":  "Revisore (audit interno)",
	},
	"acr": {
		auth.ACRSpidL1: "SPID livello 1 (nome utente e password)",
		auth.ACRSpidL2: "SPID livello 2 (password e codice temporaneo)",
		auth.ACRSpidL3: "SPID livello 3 (dispositivo di firma)",
		auth.ACRCIE:    "Carta d'identità elettronica (CIE)",
		auth.ACRCNS:    "Carta nazionale dei servizi (CNS)",
	},
	"role": {
		"citizen":  "Cittadino",
		"operator": "Operatore di sede INPS",
		"auditor":  "Revisore (audit interno)",
		"system":   "Sistema",
	},
	"operation": {
		"heir_registered":         "Pratica erede registrata",
		"heir_validated":          "Dichiarazione di erede convalidata",
		"heir_rejected":           "Dichiarazione di erede respinta",
		"refund_requested":        "Rimborso richiesto",
		"refund_approved":         "Rimborso approvato",
		"refund_rejected":         "Rimborso respinto",
		"refund_paid":             "Rimborso pagato",
		"prior_service_inserted":  "Prestazione pregressa inserita",
		"prior_service_reversed":  "Prestazione pregressa stornata",
		"prior_service_paid":      "Prestazione pregressa pagata al prestatore",
		"date_of_death_corrected": "Data del decesso corretta",
	},
	"detail": {
		"deceased_cf":    "Defunto",
		"date_of_death":  "Data del decesso",
		"heir_kind":      "Qualità",
		"will":           "Testamento",
		"note":           "Nota",
		"operator_cf":    "Operatore",
		"operator":       "Eseguita da",
		"reason":         "Motivo",
		"refund_id":      "Rimborso n.",
		"amount_cents":   "Importo",
		"iban":           "IBAN",
		"paid_on":        "Pagato il",
		"bank_reference": "Riferimento bonifico",
		"service_id":     "Prestazione n.",
		"worker_cf":      "Prestatore",
		"activity":       "Attività",
		"start_date":     "Dal",
		"end_date":       "Al",
		"hours":          "Ore",
		"vouchers":       "Titoli",
		"run_id":         "Elaborazione n.",
		"previous":       "Data precedente",
	},
	"scope": {
		"libretto": "Libretto Famiglia: comunicare e revocare prestazioni, ricaricare il libretto, consultarlo",
		"eredi":    "Sezione eredi: pratiche di erede, prestazioni pregresse, rimborso",
	},
	"delegation": {
		domain.DelegationActiveState.String():  "Attiva",
		domain.DelegationExpiredState.String(): "Scaduta",
		domain.DelegationRevokedState.String(): "Revocata",
	},
	"channel": {
		"F24":    "Modello F24 (causale LIFA)",
		"PAGOPA": "pagoPA",
	},
}

// label returns the Italian name of a code, or the code itself.
func label(kind, code string) string {
	if l, ok := labels[kind][code]; ok {
		return l
	}
	return code
}

type crumb struct{ Label, Href string }

// crumbs pairs its arguments into breadcrumb items: label, href, label,
// href…; the last item (the current page) has an empty href.
func crumbs(args ...string) []crumb {
	var out []crumb
	for i := 0; i+1 < len(args); i += 2 {
		out = append(out, crumb{Label: args[i], Href: args[i+1]})
	}
	return out
}

// detailValue formats one detail of a history entry for people.
func detailValue(key string, v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case float64:
		if strings.HasSuffix(key, "_cents") {
			return domain.Euro(int64(x))
		}
		return formatHours(x)
	case string:
		switch {
		case key == "heir_kind":
			return label("heir_kind", x)
		case key == "activity":
			return label("activity", x)
		case strings.HasSuffix(key, "_date") || key == "paid_on" || key == "date_of_death" || key == "previous":
			return domain.ItalianDate(x)
		}
		return x
	case map[string]any:
		if f, ok := x["filename"].(string); ok {
			return f
		}
	}
	return fmt.Sprint(v)
}

// detailOrder is the order people read a history entry's details in; the
// technical ids come last.
var detailOrder = []string{
	"deceased_cf", "date_of_death", "heir_kind", "will", "worker_cf", "activity", "start_date", "end_date",
	"hours", "vouchers", "amount_cents", "iban", "paid_on", "bank_reference", "previous", "note", "reason",
	"operator_cf", "operator", "service_id", "refund_id", "run_id",
}

type detailPair struct {
	Key   string
	Value any
}

// detailPairs lists a history entry's details in detailOrder, the unknown
// ones after, by name; empty values are left out.
func detailPairs(details map[string]any) []detailPair {
	var out []detailPair
	seen := map[string]bool{}
	for _, k := range detailOrder {
		if v, ok := details[k]; ok {
			seen[k] = true
			if v != nil && v != "" {
				out = append(out, detailPair{k, v})
			}
		}
	}
	var rest []string
	for k := range details {
		if !seen[k] {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	for _, k := range rest {
		if v := details[k]; v != nil && v != "" {
			out = append(out, detailPair{k, v})
		}
	}
	return out
}
