package portal

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/http/auth"
	"github.com/inps/libretto/projections"
)

// Form is what a person typed and what was wrong with it. A form that fails
// is rendered again with its values and each error beside its field.
type Form struct {
	Values url.Values
	Errors map[string]string // field name → message in Italian
	Error  string            // a message that concerns no single field
	// Key is the idempotency key of this form instance: a double submit runs
	// the command once.
	Key string
}

// newForm returns an empty form with a fresh idempotency key.
func newForm() *Form {
	return &Form{Values: url.Values{}, Errors: map[string]string{}, Key: uuid.NewString()}
}

// formFrom returns the request's submitted form.
func formFrom(r *http.Request) *Form {
	f := &Form{Values: url.Values{}, Errors: map[string]string{}, Key: r.PostFormValue("idempotency_key")}
	for k, v := range r.PostForm {
		if k == "csrf_token" || k == "idempotency_key" {
			continue
		}
		f.Values[k] = v
	}
	if f.Key == "" {
		f.Key = uuid.NewString()
	}
	return f
}

// Get returns a field's value, trimmed.
func (f *Form) Get(name string) string { return strings.TrimSpace(f.Values.Get(name)) }

// Set sets a field's value.
func (f *Form) Set(name, value string) { f.Values.Set(name, value) }

// Checked reports whether a checkbox was ticked.
func (f *Form) Checked(name string) bool { return f.Values.Get(name) != "" }

// Err returns the error of a field.
func (f *Form) Err(name string) string { return f.Errors[name] }

// Fail sets a field's error.
func (f *Form) Fail(name, msg string) { f.Errors[name] = msg }

// OK reports whether no error was found.
func (f *Form) OK() bool { return len(f.Errors) == 0 && f.Error == "" }

// HasErrors reports whether the summary box should show.
func (f *Form) HasErrors() bool { return !f.OK() }

// ErrorList is every error in the order of the fields on the page, for the
// summary at the top; each names its field and links to it.
func (f *Form) ErrorList() []fieldError {
	var out []fieldError
	for k, v := range f.Errors {
		out = append(out, fieldError{Field: k, Label: fieldLabels[k], Message: v})
	}
	rank := func(name string) int {
		for i, n := range fieldOrder {
			if n == name {
				return i
			}
		}
		return len(fieldOrder)
	}
	sort.Slice(out, func(i, j int) bool {
		ri, rj := rank(out[i].Field), rank(out[j].Field)
		if ri != rj {
			return ri < rj
		}
		return out[i].Field < out[j].Field
	})
	return out
}

type fieldError struct{ Field, Label, Message string }

// fieldOrder is the order fields appear in on the portal's forms; the error
// summary follows it.
var fieldOrder = []string{
	"cf", "role", "deceased_cf", "date_of_death", "heir_kind", "will",
	"worker_cf", "activity", "start_date", "end_date", "hours", "vouchers", "declaration",
	"iban", "category", "note", "reason", "service_id", "paid_on", "bank_reference", "run_date",
	"user_cf", "amount", "channel", "al", "pratica",
}

// fieldLabels name the fields in the error summary.
var fieldLabels = map[string]string{
	"cf": "Codice fiscale", "role": "Profilo", "deceased_cf": "Codice fiscale del defunto",
	"date_of_death": "Data del decesso", "heir_kind": "Qualità di erede", "will": "Testamento",
	"worker_cf": "Codice fiscale del prestatore", "activity": "Attività", "start_date": "Data di inizio",
	"end_date": "Data di fine", "hours": "Ore", "vouchers": "Titoli di pagamento", "declaration": "Dichiarazione",
	"iban": "IBAN", "category": "Categoria", "note": "Nota", "reason": "Motivo", "service_id": "Numero della prestazione",
	"paid_on": "Data", "bank_reference": "Riferimento del bonifico", "run_date": "Data dell'elaborazione",
	"user_cf": "Codice fiscale dell'utilizzatore", "amount": "Importo", "channel": "Canale", "al": "Data e ora",
	"pratica": "Numero della pratica",
}

// hash is the SHA-256 of the submitted values (sorted), the request hash the
// command handler compares for idempotency.
func (f *Form) hash() string {
	keys := make([]string, 0, len(f.Values))
	for k := range f.Values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		for _, v := range f.Values[k] {
			h.Write([]byte(k + "=" + v + "\n"))
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Required marks empty fields.
func (f *Form) Required(names ...string) {
	for _, n := range names {
		if f.Get(n) == "" && f.Errors[n] == "" {
			f.Errors[n] = "Campo obbligatorio."
		}
	}
}

// Date reads a civil date field (YYYY-MM-DD as input type=date sends it).
func (f *Form) Date(name string) string {
	v := f.Get(name)
	if v == "" {
		return ""
	}
	if _, err := time.Parse(time.DateOnly, v); err != nil {
		f.Fail(name, "Indica una data valida (gg/mm/aaaa).")
	}
	return v
}

// Int reads a positive whole number.
func (f *Form) Int(name string) int {
	v := f.Get(name)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		f.Fail(name, "Indica un numero intero maggiore di zero.")
		return 0
	}
	return n
}

// Hours reads decimal hours, accepting the Italian comma.
func (f *Form) Hours(name string) float64 {
	v := strings.Replace(f.Get(name), ",", ".", 1)
	if v == "" {
		return 0
	}
	h, err := strconv.ParseFloat(v, 64)
	if err != nil || h <= 0 {
		f.Fail(name, "Indica le ore come numero, per esempio 3 oppure 2,5.")
		return 0
	}
	return h
}

// CF reads a codice fiscale, upper-cased and without spaces.
func (f *Form) CF(name string) string {
	v := strings.ToUpper(strings.ReplaceAll(f.Get(name), " ", ""))
	f.Values.Set(name, v)
	return v
}

// CheckCF fails name, when it holds a value and no error yet, unless the
// value is a codice fiscale with its check character.
func (f *Form) CheckCF(name string) {
	if v := f.Get(name); v != "" && f.Err(name) == "" {
		if _, err := domain.ParseCF(v); err != nil {
			f.Fail(name, messages[domain.CodeInvalidCF])
		}
	}
}

// Cents reads an amount in euro ("150" or "150,00") as cents.
func (f *Form) Cents(name string) int64 {
	if f.Get(name) == "" {
		return 0
	}
	c, ok := euroCents(f.Get(name))
	if !ok || c <= 0 {
		f.Fail(name, "Indica un importo in euro, per esempio 150 oppure 150,00.")
		return 0
	}
	return c
}

// euroAmount is an amount in euro written the Italian way: dots group the
// thousands, a comma starts at most two decimals.
var euroAmount = regexp.MustCompile(`^(\d{1,3}(\.\d{3})+|\d+)(,\d{1,2})?$`)

// euroCents reads an amount in euro ("150", "150,50", "1.234,56 €") as
// cents. A dot that does not group three digits is refused rather than
// dropped: "150.00" is 150 € to whoever typed it, and 15.000 € without it.
func euroCents(raw string) (int64, bool) {
	v := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(raw), "€"))
	if !euroAmount.MatchString(v) {
		return 0, false
	}
	whole, dec, _ := strings.Cut(strings.ReplaceAll(v, ".", ""), ",")
	e, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || e > math.MaxInt64/100-1 {
		return 0, false
	}
	c, _ := strconv.ParseInt((dec + "00")[:2], 10, 64)
	return e*100 + c, true
}

// fieldView is what the "input" partial renders.
type fieldView struct {
	Form         *Form
	Name         string
	Label        string
	Type         string
	Help         string
	Required     bool
	Min          string
	Max          string
	Step         string
	Pattern      string
	Autocomplete string
	InputMode    string
	MaxLength    string
	Accept       string
	Options      []option
}

type option struct{ Value, Label string }

// optionOrder is the order choices are offered in where the alphabet of
// their codes would mislead (the common choice first).
var optionOrder = map[string][]string{
	"role_login": {"citizen", "operator", "auditor"},
	"acr":        {auth.ACRSpidL2, auth.ACRSpidL3, auth.ACRCIE, auth.ACRCNS, auth.ACRSpidL1},
	"heir_kind":  {"legittimo", "testamentario"},
	"category":   {"altro", "pensionato", "studente_under25", "disoccupato", "sostegno_reddito"},
	"activity":   {"lavori_domestici", "assistenza_domiciliare", "insegnamento_privato"},
	"channel":    {"PAGOPA", "F24"},
}

// newField builds a field for the partials: name, label, type, help and
// then "key=value" options: required, min, max, step, pattern,
// autocomplete, inputmode, maxlength, accept, and options=kind (the labels
// of that kind, for a select or radio group).
func newField(f *Form, name, lbl, typ, help string, opts ...string) fieldView {
	fv := fieldView{Form: f, Name: name, Label: lbl, Type: typ, Help: help}
	for _, o := range opts {
		k, v, _ := strings.Cut(o, "=")
		switch k {
		case "required":
			fv.Required = true
		case "min":
			fv.Min = v
		case "max":
			fv.Max = v
		case "step":
			fv.Step = v
		case "pattern":
			fv.Pattern = v
		case "autocomplete":
			fv.Autocomplete = v
		case "inputmode":
			fv.InputMode = v
		case "maxlength":
			fv.MaxLength = v
		case "accept":
			fv.Accept = v
		case "options":
			keys := optionOrder[v]
			if keys == nil {
				for code := range labels[v] {
					keys = append(keys, code)
				}
				sort.Strings(keys)
			}
			for _, code := range keys {
				fv.Options = append(fv.Options, option{Value: code, Label: labels[v][code]})
			}
		}
	}
	return fv
}

// Value is the field's current value.
func (fv fieldView) Value() string {
	if fv.Form == nil {
		return ""
	}
	return fv.Form.Values.Get(fv.Name)
}

// Error is the field's error.
func (fv fieldView) Error() string {
	if fv.Form == nil {
		return ""
	}
	return fv.Form.Errors[fv.Name]
}

// ID is the element id: field names are safe ids already.
func (fv fieldView) ID() string { return "f-" + fv.Name }

// DescribedBy lists the help and error ids tied to the field.
func (fv fieldView) DescribedBy() string {
	var ids []string
	if fv.Help != "" {
		ids = append(ids, fv.ID()+"-help")
	}
	if fv.Error() != "" {
		ids = append(ids, fv.ID()+"-error")
	}
	return strings.Join(ids, " ")
}

// meta is the command context of a form submission.
func (p *Portal) meta(r *http.Request, f *Form) commands.Meta {
	u := currentUser(r)
	m := commands.Meta{Now: p.now(), CorrelationID: uuid.New()}
	if u != nil {
		m.ActorCF, m.Role = u.CF, u.Role
		m.OnBehalfOf, m.Scopes = u.For, u.Scopes
	}
	if f != nil {
		m.IdempotencyKey = f.Key
		m.RequestHash = f.hash()
	}
	return m
}

// readYourWritesWait bounds how long a page waits for the read models after
// a command: generous, because the page after it would otherwise not show
// (or not find) what the person just did.
const readYourWritesWait = 15 * time.Second

// waitFor lets the read models catch up with a command before the redirect,
// so the next page shows what was just done. A slow projector only delays
// the page; it never fails the request.
func (p *Portal) waitFor(r *http.Request, res commands.Result) {
	ctx, cancel := context.WithTimeout(r.Context(), readYourWritesWait)
	defer cancel()
	if err := p.cfg.Queries.WaitFor(ctx, res.Position); err != nil {
		p.cfg.Logger.Warn("portal: read model behind", "position", res.Position, "err", err)
	}
}

// fieldAliases maps the domain's field names to the form's where they differ.
var fieldAliases = map[string]string{
	"declarations":                      "declaration",
	"declarations.no_recent_employment": "declaration",
	"declarations.no_known_employment":  "declaration",
	"no_recent_employment":              "declaration",
	"no_known_employment":               "declaration",
	"will.content_base64":               "will",
	"will.filename":                     "will",
	"amount_cents":                      "amount",
}

// applyError puts a command's error on the form. It reports false for
// errors that are not the person's to fix (not found, internal), which the
// caller answers with a page of their own. A field that already has an
// error of the form's own (a value it could not read) keeps that message.
func applyError(f *Form, err error, fields ...string) bool {
	var de *domain.Error
	if !errors.As(err, &de) || de.Kind == domain.KindNotFound {
		return false
	}
	msg := errorMessage(de)
	field := de.Field
	if a, ok := fieldAliases[field]; ok {
		field = a
	}
	if field == "" {
		field = defaultField[de.Code]
	}
	for _, name := range fields {
		if name == field {
			if f.Err(field) == "" {
				f.Fail(field, msg)
			}
			return true
		}
	}
	f.Error = msg
	return true
}

// refusalStatus is the status of a page that shows a refusal on its form:
// as the API answers the separation of duties (SPEC §8), 403 for an
// operator who is a party and 409 for the approver paying; else 422, a
// value to correct or a state that forbids it.
func refusalStatus(err error) int {
	var de *domain.Error
	switch {
	case !errors.As(err, &de):
	case de.Kind == domain.KindForbidden:
		return http.StatusForbidden
	case de.Code == domain.CodeFourEyesRequired:
		return http.StatusConflict
	}
	return http.StatusUnprocessableEntity
}

// defaultField names the field an error without one most likely concerns.
var defaultField = map[string]string{
	domain.CodeInvalidCF:           "",
	domain.CodeInvalidIBAN:         "iban",
	domain.CodeVouchersBelowHours:  "vouchers",
	domain.CodeServiceAfterDeath:   "end_date",
	domain.CodeHeirIsWorker:        "worker_cf",
	domain.CodeSelfEmployment:      "worker_cf",
	domain.CodeWillRequired:        "will",
	domain.CodeInvalidWill:         "will",
	domain.CodeInvalidDocument:     "will",
	domain.CodeDateOfDeathMismatch: "date_of_death",
	domain.CodeWorkerNotRegistered: "worker_cf",
	domain.CodeDeadlinePassed:      "end_date",
	domain.CodeFutureDate:          "end_date",
	domain.CodeDeclarationRequired: "declaration",
	domain.CodeInvalidActivity:     "activity",
	domain.CodeInvalidHours:        "hours",
	domain.CodeInvalidHeirKind:     "heir_kind",
	domain.CodeInvalidCategory:     "category",
	domain.CodeUserNotRegistered:   "deceased_cf",
	domain.CodeOwnerNotDeceased:    "deceased_cf",
	domain.CodeHeirIsDeceased:      "deceased_cf",
	domain.CodeInsufficientFunds:   "vouchers",
	domain.CodeCapExceeded:         "vouchers",
	domain.CodeInvalidChannel:      "channel",
	domain.CodeInvalidAmount:       "amount",
	domain.CodeReasonRequired:      "reason",
}

// messages are the Italian texts of the stable error codes.
var messages = map[string]string{
	domain.CodeInvalidCF:              "Il codice fiscale non è valido: controlla i 16 caratteri.",
	domain.CodeInvalidIBAN:            "L'IBAN non è valido: controlla i caratteri (per l'Italia sono 27, inizia con IT).",
	domain.CodeInvalidDate:            "La data non è valida.",
	domain.CodeInvalidAmount:          "L'importo non è valido: i versamenti sono multipli di 10,00 €.",
	domain.CodeInvalidScope:           "Scegli almeno un ambito della delega: libretto, eredi o entrambi.",
	noticeAmount:                      "Indica un importo da 10 € a 5.000 €, multiplo di 10 €.",
	domain.CodeInvalidActivity:        "Scegli una delle attività ammesse.",
	domain.CodeInvalidChannel:         "Scegli il canale del versamento (F24 o pagoPA).",
	domain.CodeInvalidCategory:        "Scegli una delle categorie indicate.",
	domain.CodeInvalidHeirKind:        "Scegli se sei erede legittimo o testamentario.",
	domain.CodeInvalidHours:           "Le ore devono essere maggiori di zero, con al massimo due decimali.",
	domain.CodeInvalidWill:            "Il testamento deve essere un PDF o un'immagine (JPEG, PNG) di al massimo 10 MB.",
	domain.CodeInvalidDocument:        "Il file allegato non è un PDF o un'immagine (JPEG, PNG) leggibile: allega il testamento scansionato in uno di questi formati.",
	domain.CodeInsufficientFunds:      "Il saldo disponibile del libretto non basta per questi titoli di pagamento.",
	domain.CodeCapExceeded:            "La prestazione supera uno dei limiti annui di compenso (5.000 € per prestatore, 10.000 € per utilizzatore, 2.500 € per la stessa coppia).",
	domain.CodeVouchersBelowHours:     "Ogni titolo paga al massimo un'ora: i titoli devono essere almeno pari alle ore (arrotondate per eccesso).",
	domain.CodeDeadlinePassed:         "Il termine è scaduto: la prestazione si comunica (o si revoca) entro il giorno 3 del mese successivo alla sua fine.",
	domain.CodeFutureDate:             "La data non può essere nel futuro.",
	domain.CodeServiceAfterDeath:      "La prestazione deve essere terminata entro la data del decesso.",
	domain.CodeHeirIsWorker:           "L'erede non può essere il prestatore della prestazione.",
	domain.CodeHeirIsDeceased:         "Il codice fiscale del defunto non può essere il tuo.",
	domain.CodeWillRequired:           "L'erede testamentario deve allegare il testamento.",
	domain.CodeDateOfDeathMismatch:    "La data del decesso non coincide con quella già indicata da un altro erede. Contatta la sede INPS per la correzione.",
	domain.CodeRefundAlreadyRequested: "Il rimborso per questo libretto è già stato richiesto (anche da un altro erede): se ne può chiedere uno solo.",
	domain.CodeNothingToRefund:        "Sul libretto non ci sono somme disponibili da rimborsare.",
	domain.CodeClaimNotValidated:      "La dichiarazione di erede non è ancora stata convalidata da un operatore.",
	domain.CodeWorkerNotRegistered:    "Il prestatore non risulta registrato alla procedura Libretto Famiglia.",
	domain.CodeUserNotRegistered:      "Il defunto non risulta titolare di un Libretto Famiglia.",
	domain.CodeDeclarationRequired:    "Per proseguire devi confermare la dichiarazione.",
	domain.CodeAlreadyExists:          "Risulta già registrato.",
	domain.CodeInvalidState:           "L'operazione non è possibile nello stato attuale della pratica.",
	domain.CodeNotFound:               "Non trovato.",
	domain.CodeBookletNotActive:       "Il libretto non è attivo: il titolare è deceduto, oppure il libretto è chiuso perché il rimborso del saldo è stato pagato.",
	domain.CodeOwnerNotDeceased:       "Il titolare del libretto non risulta deceduto.",
	domain.CodeSelfEmployment:         "Non puoi comunicare una prestazione resa a te stesso.",
	domain.CodeIdempotencyKeyReused:   "Il modulo è già stato inviato con dati diversi: ricarica la pagina e riprova.",
	domain.CodeConcurrency:            "Un'altra operazione sulla stessa pratica è in corso: riprova.",
	domain.CodeReasonRequired:         "Indica il motivo.",
	domain.CodeConflictOfInterest:     "Conflitto di interessi: risulti parte di questa pratica (erede, defunto, utilizzatore o prestatore), quindi non puoi lavorarla. Deve procedere un altro operatore.",
	domain.CodeFourEyesRequired:       "Hai approvato tu questo rimborso: il pagamento deve registrarlo un altro operatore (principio dei quattro occhi).",
}

// errorMessage is the Italian text of a domain error, with its facts when
// they help (how much is left under a cap, how much is available): only the
// caller's own facts, whoever the caller is, since no page of the portal
// needs another person's (SPEC §8).
func errorMessage(e *domain.Error) string {
	msg, ok := messages[e.Code]
	if !ok {
		msg = "La richiesta non può essere accolta (" + e.Code + ")."
	}
	facts := e.CallerFacts()
	if earliest, ok := facts["earliest"].(string); ok && e.Code == domain.CodeInvalidDate {
		msg = "La data non può essere anteriore al " + domain.ItalianDate(earliest) + ", avvio del Libretto Famiglia."
	}
	if left, ok := centsFact(facts, "remaining_cents"); ok {
		msg += " Margine residuo: " + domain.Euro(left) + "."
	} else if avail, ok := centsFact(facts, "available"); ok {
		msg += " Disponibile: " + domain.Euro(avail) + "."
	}
	return msg
}

func centsFact(facts map[string]any, key string) (int64, bool) {
	switch v := facts[key].(type) {
	case int64:
		return v, true
	case int:
		return int64(v), true
	case float64:
		return int64(v), true
	}
	return 0, false
}

// isNotFound reports whether err means "no such thing, or not yours".
func isNotFound(err error) bool {
	var de *domain.Error
	if errors.As(err, &de) && de.Kind == domain.KindNotFound {
		return true
	}
	return errors.Is(err, projections.ErrNotFound)
}
