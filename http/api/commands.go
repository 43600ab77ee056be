package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/domain"
)

// Request bodies. Field names are SPEC §5's; unknown fields are refused.
type (
	emptyBody struct{}

	workerBody struct {
		IBAN     string `json:"iban"`
		Category string `json:"category"`
	}

	depositBody struct {
		UserCF      string `json:"user_cf"`
		AmountCents int64  `json:"amount_cents"`
		Channel     string `json:"channel"`
		PaidOn      string `json:"paid_on"`
		Status      string `json:"status"` // "pending" or "credited"; absent is credited
		// NoticeNumber makes the deposit a pagoPA notice's payment; user_cf
		// is then optional (it is the notice's).
		NoticeNumber string `json:"notice_number"`
	}

	serviceDeclarations struct {
		NoRecentEmployment bool `json:"no_recent_employment"`
		NoKnownEmployment  bool `json:"no_known_employment"`
	}

	serviceBody struct {
		WorkerCF     string              `json:"worker_cf"`
		Activity     string              `json:"activity"`
		StartDate    string              `json:"start_date"`
		EndDate      string              `json:"end_date"`
		Hours        float64             `json:"hours"`
		Vouchers     int                 `json:"vouchers"`
		Declarations serviceDeclarations `json:"declarations"`
	}

	willBody struct {
		Filename      string `json:"filename"`
		ContentBase64 []byte `json:"content_base64"` // encoding/json decodes base64 into []byte
	}

	heirClaimBody struct {
		DeceasedCF  string    `json:"deceased_cf"`
		DateOfDeath string    `json:"date_of_death"`
		HeirKind    string    `json:"heir_kind"`
		Will        *willBody `json:"will"`
	}

	refundBody struct {
		IBAN string `json:"iban"`
	}

	noteBody struct {
		Note string `json:"note"`
	}

	reasonBody struct {
		Reason string `json:"reason"`
	}

	refundPaidBody struct {
		PaidOn        string `json:"paid_on"`
		BankReference string `json:"bank_reference"`
	}

	dateOfDeathBody struct {
		DateOfDeath string `json:"date_of_death"`
		Reason      string `json:"reason"`
	}

	payrollBody struct {
		RunDate string `json:"run_date"`
	}
)

// Responses of SPEC §5.
type (
	positionResponse struct {
		Position int64 `json:"position"`
	}
	userResponse struct {
		UserCF   string `json:"user_cf"`
		Position int64  `json:"position"`
	}
	workerResponse struct {
		WorkerCF string `json:"worker_cf"`
		Position int64  `json:"position"`
	}
	depositResponse struct {
		DepositID string `json:"deposit_id"`
		Position  int64  `json:"position"`
	}
	serviceResponse struct {
		ServiceID string `json:"service_id"`
		Position  int64  `json:"position"`
	}
	claimResponse struct {
		ClaimID  string `json:"claim_id"`
		Position int64  `json:"position"`
	}
	refundResponse struct {
		RefundID    string `json:"refund_id"`
		AmountCents int64  `json:"amount_cents"`
		Position    int64  `json:"position"`
	}
	claimPositionResponse struct {
		ClaimID  string `json:"claim_id"`
		Position int64  `json:"position"`
	}
	refundPositionResponse struct {
		RefundID string `json:"refund_id"`
		Position int64  `json:"position"`
	}
	servicePositionResponse struct {
		ServiceID string `json:"service_id"`
		Position  int64  `json:"position"`
	}
	payrollResponse struct {
		RunID     string `json:"run_id"`
		Payments  int    `json:"payments"`
		PaidCents int64  `json:"paid_cents"`
		Position  int64  `json:"position"`
	}
)

// Done answers a command: the problem when err is not nil, else status and
// body. name labels the command in the metrics.
func (s *Server) Done(w http.ResponseWriter, r *http.Request, name string, status int, body any, err error) {
	st := stateOf(r.Context())
	st.command = name
	if err != nil {
		s.Problem(w, r, err)
		return
	}
	st.outcome = "ok"
	s.JSON(w, status, body)
}

func (s *Server) postUser(w http.ResponseWriter, r *http.Request) {
	var b emptyBody
	m, ok := s.Decode(w, r, MaxBody, &b)
	if !ok {
		return
	}
	res, err := s.cmd.RegisterUser(r.Context(), m, commands.RegisterUser{})
	s.Done(w, r, "RegisterUser", http.StatusCreated, userResponse{UserCF: res.ID, Position: res.Position}, err)
}

func (s *Server) postWorker(w http.ResponseWriter, r *http.Request) {
	var b workerBody
	m, ok := s.Decode(w, r, MaxBody, &b)
	if !ok {
		return
	}
	res, err := s.cmd.RegisterWorker(r.Context(), m, commands.RegisterWorker{IBAN: b.IBAN, Category: b.Category})
	s.Done(w, r, "RegisterWorker", http.StatusCreated, workerResponse{WorkerCF: res.ID, Position: res.Position}, err)
}

func (s *Server) postDeposit(w http.ResponseWriter, r *http.Request) {
	var b depositBody
	m, ok := s.Decode(w, r, MaxBody, &b)
	if !ok {
		return
	}
	res, err := s.cmd.RecordDeposit(r.Context(), m, commands.RecordDeposit{
		UserCF: b.UserCF, AmountCents: b.AmountCents, Channel: b.Channel, PaidOn: b.PaidOn, Status: b.Status, NoticeNumber: b.NoticeNumber,
	})
	s.Done(w, r, "RecordDeposit", http.StatusCreated, depositResponse{DepositID: res.ID, Position: res.Position}, err)
}

func (s *Server) postCreditDeposit(w http.ResponseWriter, r *http.Request) {
	var b emptyBody
	m, ok := s.Decode(w, r, MaxBody, &b)
	if !ok {
		return
	}
	id := chi.URLParam(r, "id")
	res, err := s.cmd.CreditDeposit(r.Context(), m, commands.CreditDeposit{DepositID: id})
	s.Done(w, r, "CreditDeposit", http.StatusOK, depositResponse{DepositID: id, Position: res.Position}, err)
}

func (s *Server) postService(w http.ResponseWriter, r *http.Request) {
	var b serviceBody
	m, ok := s.Decode(w, r, MaxBody, &b)
	if !ok {
		return
	}
	res, err := s.cmd.RecordService(r.Context(), m, commands.RecordService{
		WorkerCF: b.WorkerCF, Activity: b.Activity, StartDate: b.StartDate, EndDate: b.EndDate,
		Hours: b.Hours, Vouchers: b.Vouchers, NoRecentEmployment: b.Declarations.NoRecentEmployment,
	})
	s.Done(w, r, "RecordService", http.StatusCreated, serviceResponse{ServiceID: res.ID, Position: res.Position}, err)
}

func (s *Server) postRevoke(w http.ResponseWriter, r *http.Request) {
	var b emptyBody
	m, ok := s.Decode(w, r, MaxBody, &b)
	if !ok {
		return
	}
	id := chi.URLParam(r, "id")
	res, err := s.cmd.RevokeService(r.Context(), m, commands.RevokeService{ServiceID: id})
	s.Done(w, r, "RevokeService", http.StatusOK, servicePositionResponse{ServiceID: id, Position: res.Position}, err)
}

func (s *Server) postHeirClaim(w http.ResponseWriter, r *http.Request) {
	var b heirClaimBody
	m, ok := s.Decode(w, r, MaxClaimBody, &b)
	if !ok {
		return
	}
	c := commands.RegisterHeir{DeceasedCF: b.DeceasedCF, DateOfDeath: b.DateOfDeath, HeirKind: b.HeirKind}
	if b.Will != nil {
		c.Will = &commands.WillUpload{Filename: b.Will.Filename, Content: b.Will.ContentBase64}
	}
	res, err := s.cmd.RegisterHeir(r.Context(), m, c)
	s.Done(w, r, "RegisterHeir", http.StatusCreated, claimResponse{ClaimID: res.ID, Position: res.Position}, err)
}

func (s *Server) postRefund(w http.ResponseWriter, r *http.Request) {
	var b refundBody
	m, ok := s.Decode(w, r, MaxBody, &b)
	if !ok {
		return
	}
	res, err := s.cmd.RequestRefund(r.Context(), m, commands.RequestRefund{ClaimID: chi.URLParam(r, "id"), IBAN: b.IBAN})
	s.Done(w, r, "RequestRefund", http.StatusCreated,
		refundResponse{RefundID: res.ID, AmountCents: res.AmountCents, Position: res.Position}, err)
}

func (s *Server) postPriorService(w http.ResponseWriter, r *http.Request) {
	var b serviceBody
	m, ok := s.Decode(w, r, MaxBody, &b)
	if !ok {
		return
	}
	res, err := s.cmd.InsertPriorService(r.Context(), m, commands.InsertPriorService{
		ClaimID: chi.URLParam(r, "id"), WorkerCF: b.WorkerCF, Activity: b.Activity,
		StartDate: b.StartDate, EndDate: b.EndDate, Hours: b.Hours, Vouchers: b.Vouchers,
		NoKnownEmployment: b.Declarations.NoKnownEmployment,
	})
	s.Done(w, r, "InsertPriorService", http.StatusCreated, serviceResponse{ServiceID: res.ID, Position: res.Position}, err)
}

func (s *Server) postValidateHeir(w http.ResponseWriter, r *http.Request) {
	var b noteBody
	m, ok := s.Decode(w, r, MaxBody, &b)
	if !ok {
		return
	}
	id := chi.URLParam(r, "id")
	res, err := s.cmd.ValidateHeir(r.Context(), m, commands.ValidateHeir{ClaimID: id, Note: b.Note})
	s.Done(w, r, "ValidateHeir", http.StatusOK, claimPositionResponse{ClaimID: id, Position: res.Position}, err)
}

func (s *Server) postRejectHeir(w http.ResponseWriter, r *http.Request) {
	var b reasonBody
	m, ok := s.Decode(w, r, MaxBody, &b)
	if !ok {
		return
	}
	id := chi.URLParam(r, "id")
	res, err := s.cmd.RejectHeir(r.Context(), m, commands.RejectHeir{ClaimID: id, Reason: b.Reason})
	s.Done(w, r, "RejectHeir", http.StatusOK, claimPositionResponse{ClaimID: id, Position: res.Position}, err)
}

func (s *Server) postApproveRefund(w http.ResponseWriter, r *http.Request) {
	var b emptyBody
	m, ok := s.Decode(w, r, MaxBody, &b)
	if !ok {
		return
	}
	id := chi.URLParam(r, "id")
	res, err := s.cmd.ApproveRefund(r.Context(), m, commands.ApproveRefund{RefundID: id})
	s.Done(w, r, "ApproveRefund", http.StatusOK, refundPositionResponse{RefundID: id, Position: res.Position}, err)
}

func (s *Server) postRejectRefund(w http.ResponseWriter, r *http.Request) {
	var b reasonBody
	m, ok := s.Decode(w, r, MaxBody, &b)
	if !ok {
		return
	}
	id := chi.URLParam(r, "id")
	res, err := s.cmd.RejectRefund(r.Context(), m, commands.RejectRefund{RefundID: id, Reason: b.Reason})
	s.Done(w, r, "RejectRefund", http.StatusOK, refundPositionResponse{RefundID: id, Position: res.Position}, err)
}

func (s *Server) postRefundPaid(w http.ResponseWriter, r *http.Request) {
	var b refundPaidBody
	m, ok := s.Decode(w, r, MaxBody, &b)
	if !ok {
		return
	}
	id := chi.URLParam(r, "id")
	res, err := s.cmd.MarkRefundPaid(r.Context(), m, commands.MarkRefundPaid{RefundID: id, PaidOn: b.PaidOn, BankReference: b.BankReference})
	s.Done(w, r, "MarkRefundPaid", http.StatusOK, refundPositionResponse{RefundID: id, Position: res.Position}, err)
}

func (s *Server) postReverseService(w http.ResponseWriter, r *http.Request) {
	var b reasonBody
	m, ok := s.Decode(w, r, MaxBody, &b)
	if !ok {
		return
	}
	id := chi.URLParam(r, "id")
	res, err := s.cmd.ReverseService(r.Context(), m, commands.ReverseService{ServiceID: id, Reason: b.Reason})
	s.Done(w, r, "ReverseService", http.StatusOK, servicePositionResponse{ServiceID: id, Position: res.Position}, err)
}

func (s *Server) postCorrectDateOfDeath(w http.ResponseWriter, r *http.Request) {
	var b dateOfDeathBody
	m, ok := s.Decode(w, r, MaxBody, &b)
	if !ok {
		return
	}
	res, err := s.cmd.CorrectDateOfDeath(r.Context(), m, commands.CorrectDateOfDeath{
		DeceasedCF: chi.URLParam(r, "cf"), DateOfDeath: b.DateOfDeath, Reason: b.Reason,
	})
	s.Done(w, r, "CorrectDateOfDeath", http.StatusOK, positionResponse{Position: res.Position}, err)
}

var endOfTime = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)

// postCorrectClaimDateOfDeath is the correction reached from a claim, as the
// operator meets the mismatch: it corrects the claim's deceased's date on
// the booklet and every claim. The claim is read from the event store, so a
// claim registered an instant ago is found.
func (s *Server) postCorrectClaimDateOfDeath(w http.ResponseWriter, r *http.Request) {
	var b dateOfDeathBody
	m, ok := s.Decode(w, r, MaxBody, &b)
	if !ok {
		return
	}
	id := chi.URLParam(r, "id")
	if _, err := uuid.Parse(id); err != nil {
		s.Done(w, r, "CorrectDateOfDeath", 0, nil, notFound("no such claim"))
		return
	}
	// Every event of the claim, whatever the clocks say.
	claim, _, err := s.cmd.ReplayClaim(r.Context(), id, endOfTime)
	if err != nil {
		if de := (*domain.Error)(nil); errors.As(err, &de) && de.Kind == domain.KindNotFound {
			err = notFound("no such claim")
		}
		s.Done(w, r, "CorrectDateOfDeath", 0, nil, err)
		return
	}
	res, err := s.cmd.CorrectDateOfDeath(r.Context(), m, commands.CorrectDateOfDeath{
		DeceasedCF: claim.DeceasedCF, DateOfDeath: b.DateOfDeath, Reason: b.Reason,
	})
	s.Done(w, r, "CorrectDateOfDeath", http.StatusOK, positionResponse{Position: res.Position}, err)
}

func (s *Server) postPayrollRun(w http.ResponseWriter, r *http.Request) {
	var b payrollBody
	m, ok := s.Decode(w, r, MaxBody, &b)
	if !ok {
		return
	}
	res, err := s.cmd.RunPayroll(r.Context(), m, commands.RunPayroll{RunDate: b.RunDate})
	s.Done(w, r, "RunPayroll", http.StatusCreated,
		payrollResponse{RunID: res.ID, Payments: res.Payments, PaidCents: res.PaidCents, Position: res.Position}, err)
}
