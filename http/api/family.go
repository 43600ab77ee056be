package api

import (
	"context"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/domain/access"
	"github.com/inps/libretto/domain/assistant"
	"github.com/inps/libretto/domain/simulators"
	"github.com/inps/libretto/projections"
)

// FamilyCommands are the Portale delle Famiglie commands (*commands.Handler
// has them).
type FamilyCommands interface {
	RecordISEE(context.Context, commands.Meta, commands.RecordISEE) (commands.Result, error)
	RecordChild(context.Context, commands.Meta, commands.RecordChild) (commands.Result, error)
	RecordApplication(context.Context, commands.Meta, commands.RecordApplication) (commands.Result, error)
	ChangeApplicationStatus(context.Context, commands.Meta, commands.ChangeApplicationStatus) (commands.Result, error)
	RecordBenefitPayment(context.Context, commands.Meta, commands.RecordBenefitPayment) (commands.Result, error)
}

// familyRoutes serves SPEC §6: the system feeds of family facts, the
// family's own read, the simulators and the assistant. The feeds are served
// when Config.Commands has the family commands (a *commands.Handler does).
//
//	POST /families/{cf}/isee                       system
//	POST /families/{cf}/children                   system
//	POST /families/{cf}/applications               system
//	POST /families/{cf}/applications/{id}/status   system
//	POST /families/{cf}/payments                   system
//	GET  /families/{cf}                            that citizen, operator, auditor
//	POST /simulators/auu, /simulators/bonus-nido   none
//	GET  /simulators/parameters                    none
//	POST /assistant                                none
func (s *Server) familyRoutes(r chi.Router) {
	cmd, _ := s.cmd.(FamilyCommands)
	h := familyHandlers{s: s, cmd: cmd, assistant: assistant.Default()}
	if cmd != nil {
		s.Handle(r, http.MethodPost, "/families/{cf}/isee", access.FeedFamily, h.postISEE)
		s.Handle(r, http.MethodPost, "/families/{cf}/children", access.FeedFamily, h.postChild)
		s.Handle(r, http.MethodPost, "/families/{cf}/applications", access.FeedFamily, h.postApplication)
		s.Handle(r, http.MethodPost, "/families/{cf}/applications/{id}/status", access.FeedFamily, h.postApplicationStatus)
		s.Handle(r, http.MethodPost, "/families/{cf}/payments", access.FeedFamily, h.postPayment)
	}
	s.Handle(r, http.MethodGet, "/families/{cf}", access.ReadFamily, h.getFamily)
	anon := r.With(s.LimitAnonymous) // one budget per client address for the three
	s.Handle(anon, http.MethodPost, "/simulators/auu", access.Simulate, h.postAUU)
	s.Handle(anon, http.MethodPost, "/simulators/bonus-nido", access.Simulate, h.postNido)
	s.Handle(r, http.MethodGet, "/simulators/parameters", access.Simulate, h.getParameters)
	s.Handle(anon, http.MethodPost, "/assistant", access.AskAssistant, h.postAssistant)
}

type familyHandlers struct {
	s         *Server
	cmd       FamilyCommands
	assistant *assistant.Assistant
}

type (
	iseeBody struct {
		ValueCents     int64  `json:"value_cents"`
		Protocol       string `json:"protocol"`
		DSUSubmittedOn string `json:"dsu_submitted_on"`
		ValidUntil     string `json:"valid_until"`
	}
	childBody struct {
		ChildCF    string `json:"child_cf"`
		BirthDate  string `json:"birth_date"`
		Disability string `json:"disability"`
	}
	applicationBody struct {
		ApplicationID string `json:"application_id"`
		Benefit       string `json:"benefit"`
		ChildCF       string `json:"child_cf"`
		SubmittedOn   string `json:"submitted_on"`
		Status        string `json:"status"`
		ChangedOn     string `json:"changed_on"`
	}
	applicationStatusBody struct {
		Status    string `json:"status"`
		ChangedOn string `json:"changed_on"`
		Note      string `json:"note"`
	}
	paymentBody struct {
		PaymentID     string `json:"payment_id"`
		ApplicationID string `json:"application_id"`
		AmountCents   int64  `json:"amount_cents"`
		PaidOn        string `json:"paid_on"`
	}
	applicationResponse struct {
		ApplicationID string `json:"application_id"`
		Position      int64  `json:"position"`
	}
	paymentResponse struct {
		PaymentID string `json:"payment_id"`
		Position  int64  `json:"position"`
	}

	auuChildBody struct {
		BirthDate  string `json:"birth_date"`
		Disability string `json:"disability"`
	}
	auuBody struct {
		Year               int            `json:"year"`
		ISEECents          *int64         `json:"isee_cents"`
		OnDate             string         `json:"on_date"`
		Children           []auuChildBody `json:"children"`
		MotherUnder21      bool           `json:"mother_under_21"`
		BothParentsEarning bool           `json:"both_parents_earning"`
	}
	nidoBody struct {
		Year      int    `json:"year"`
		ISEECents *int64 `json:"isee_cents"`
		BirthDate string `json:"birth_date"`
	}
	assistantBody struct {
		Question string `json:"question"`
	}
)

// maxQuestion bounds an assistant question (characters of the body).
const maxQuestion = 1000

func (h familyHandlers) postISEE(w http.ResponseWriter, r *http.Request) {
	var b iseeBody
	m, ok := h.s.Decode(w, r, MaxBody, &b)
	if !ok {
		return
	}
	res, err := h.cmd.RecordISEE(r.Context(), m, commands.RecordISEE{FamilyCF: chi.URLParam(r, "cf"),
		ValueCents: b.ValueCents, Protocol: b.Protocol, DSUSubmittedOn: b.DSUSubmittedOn, ValidUntil: b.ValidUntil})
	h.s.Done(w, r, "RecordISEE", http.StatusCreated, positionResponse{Position: res.Position}, err)
}

func (h familyHandlers) postChild(w http.ResponseWriter, r *http.Request) {
	var b childBody
	m, ok := h.s.Decode(w, r, MaxBody, &b)
	if !ok {
		return
	}
	res, err := h.cmd.RecordChild(r.Context(), m, commands.RecordChild{FamilyCF: chi.URLParam(r, "cf"),
		ChildCF: b.ChildCF, BirthDate: b.BirthDate, Disability: b.Disability})
	h.s.Done(w, r, "RecordChild", http.StatusCreated, positionResponse{Position: res.Position}, err)
}

func (h familyHandlers) postApplication(w http.ResponseWriter, r *http.Request) {
	var b applicationBody
	m, ok := h.s.Decode(w, r, MaxBody, &b)
	if !ok {
		return
	}
	res, err := h.cmd.RecordApplication(r.Context(), m, commands.RecordApplication{FamilyCF: chi.URLParam(r, "cf"),
		ApplicationID: b.ApplicationID, Benefit: b.Benefit, ChildCF: b.ChildCF, SubmittedOn: b.SubmittedOn,
		Status: b.Status, ChangedOn: b.ChangedOn})
	h.s.Done(w, r, "RecordApplication", http.StatusCreated, applicationResponse{ApplicationID: res.ID, Position: res.Position}, err)
}

func (h familyHandlers) postApplicationStatus(w http.ResponseWriter, r *http.Request) {
	var b applicationStatusBody
	m, ok := h.s.Decode(w, r, MaxBody, &b)
	if !ok {
		return
	}
	res, err := h.cmd.ChangeApplicationStatus(r.Context(), m, commands.ChangeApplicationStatus{FamilyCF: chi.URLParam(r, "cf"),
		ApplicationID: chi.URLParam(r, "id"), Status: b.Status, ChangedOn: b.ChangedOn, Note: b.Note})
	h.s.Done(w, r, "ChangeApplicationStatus", http.StatusOK, applicationResponse{ApplicationID: res.ID, Position: res.Position}, err)
}

func (h familyHandlers) postPayment(w http.ResponseWriter, r *http.Request) {
	var b paymentBody
	m, ok := h.s.Decode(w, r, MaxBody, &b)
	if !ok {
		return
	}
	res, err := h.cmd.RecordBenefitPayment(r.Context(), m, commands.RecordBenefitPayment{FamilyCF: chi.URLParam(r, "cf"),
		PaymentID: b.PaymentID, ApplicationID: b.ApplicationID, AmountCents: b.AmountCents, PaidOn: b.PaidOn})
	h.s.Done(w, r, "RecordBenefitPayment", http.StatusCreated, paymentResponse{PaymentID: res.ID, Position: res.Position}, err)
}

// getFamily answers the Portale delle Famiglie part of the dashboard on its
// own: it exists for every valid CF (a family nothing is known of has empty
// lists), even one without a Libretto Famiglia.
func (h familyHandlers) getFamily(w http.ResponseWriter, r *http.Request) {
	if !h.s.WaitForPosition(w, r) {
		return
	}
	cf, err := h.s.pathCF(r, asOwner)
	if err != nil {
		h.s.Problem(w, r, err)
		return
	}
	fq, ok := h.s.q.(projections.FamilyQueries)
	if !ok {
		h.s.Problem(w, r, notFound("the family read model is not available"))
		return
	}
	f, err := fq.Family(r.Context(), cf, h.s.today())
	if err != nil {
		h.s.Problem(w, r, err)
		return
	}
	h.s.JSON(w, http.StatusOK, f)
}

// civilDate is t's date in Rome.
func civilDate(t time.Time) string { return t.In(rome).Format(time.DateOnly) }

func (h familyHandlers) postAUU(w http.ResponseWriter, r *http.Request) {
	var b auuBody
	m, ok := h.s.Decode(w, r, MaxAnonymousBody, &b)
	if !ok {
		return
	}
	req := simulators.AUURequest{Year: b.Year, ISEECents: b.ISEECents, OnDate: b.OnDate,
		MotherUnder21: b.MotherUnder21, BothParentsEarning: b.BothParentsEarning}
	for _, c := range b.Children {
		req.Children = append(req.Children, simulators.AUUChild{BirthDate: c.BirthDate, Disability: simulators.Disability(c.Disability)})
	}
	h.answer(w, r, m, "SimulateAUU", func(now time.Time) (any, error) {
		if req.OnDate == "" {
			req.OnDate = civilDate(now) // a repeat's today is the first request's
		}
		return simulators.SimulateAUU(req)
	})
}

func (h familyHandlers) postNido(w http.ResponseWriter, r *http.Request) {
	var b nidoBody
	m, ok := h.s.Decode(w, r, MaxAnonymousBody, &b)
	if !ok {
		return
	}
	h.answer(w, r, m, "SimulateNido", func(time.Time) (any, error) {
		return simulators.SimulateNido(simulators.NidoRequest{Year: b.Year, ISEECents: b.ISEECents, BirthDate: b.BirthDate})
	})
}

// getParameters lists the simulators' parameter tables with their sources.
func (h familyHandlers) getParameters(w http.ResponseWriter, r *http.Request) {
	type year struct {
		Year int                   `json:"year"`
		AUU  simulators.AUUParams  `json:"auu"`
		Nido simulators.NidoParams `json:"bonus_nido"`
	}
	out := struct {
		Years []year `json:"years"`
	}{Years: []year{}}
	for _, y := range simulators.Years() {
		a, _ := simulators.AUUTable(y)
		n, _ := simulators.NidoTable(y)
		out.Years = append(out.Years, year{Year: y, AUU: a, Nido: n})
	}
	h.s.JSON(w, http.StatusOK, out)
}

func (h familyHandlers) postAssistant(w http.ResponseWriter, r *http.Request) {
	var b assistantBody
	m, ok := h.s.Decode(w, r, MaxAnonymousBody, &b)
	if !ok {
		return
	}
	if len(b.Question) > maxQuestion {
		h.s.Problem(w, r, domain.RuleError("question_too_long", "question", "a question has at most 1000 characters"))
		return
	}
	h.answer(w, r, m, "Assistant", func(time.Time) (any, error) { return h.assistant.Ask(b.Question), nil })
}
