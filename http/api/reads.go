package api

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/domain/access"
	"github.com/inps/libretto/eventstore"
	"github.com/inps/libretto/http/attachment"
	"github.com/inps/libretto/projections"
)

var rome = mustLoadLocation("Europe/Rome")

func mustLoadLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// WaitForPosition honours ?min_position=N: it returns once the read models
// have applied the event at global position N, or writes a problem (400 for
// a bad N, 504 read_model_timeout after the wait bound) and returns false.
func (s *Server) WaitForPosition(w http.ResponseWriter, r *http.Request) bool {
	n, err := minPosition(r)
	if err != nil || n == 0 {
		if err != nil {
			s.Problem(w, r, err)
		}
		return err == nil
	}
	if s.unreachable(w, r, n) {
		return false
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.ReadWait)
	defer cancel()
	if err := s.q.WaitFor(ctx, n); err != nil {
		if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
			s.Problem(w, r, s.waitTimedOut("the read models", n))
			return false
		}
		// A projector stopped by a poison event will not reach n: say so.
		s.Problem(w, r, &httpError{Status: http.StatusServiceUnavailable, Code: "read_model_unavailable",
			Detail: "a read model is stopped; operators have been alerted"})
		s.log.ErrorContext(r.Context(), "read model wait failed", "request_id", requestIDOf(r.Context()), "error", err)
		return false
	}
	return true
}

// minPosition reads ?min_position: 0 when absent, a 400 problem when it is
// not a non-negative integer.
func minPosition(r *http.Request) (int64, error) {
	raw := r.URL.Query().Get("min_position")
	if raw == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || n < 0 {
		return 0, badRequest("invalid_min_position", "min_position", "min_position must be a non-negative integer")
	}
	return n, nil
}

// unreachable answers 504 read_model_timeout at once, and reports true,
// when position n is further past the head of the log than the log can
// grow within the wait: the wait could only end the same way, 5 s later.
func (s *Server) unreachable(w http.ResponseWriter, r *http.Request, n int64) bool {
	slack := int64(s.cfg.ReadWait.Seconds() * float64(s.cfg.MaxLogRate))
	far, head := s.head.beyond(r.Context(), n, slack)
	if !far {
		return false
	}
	s.Problem(w, r, &httpError{Status: http.StatusGatewayTimeout, Code: "read_model_timeout",
		Detail: fmt.Sprintf("position %d is beyond the head of the log (%d) by more than can be appended within %s", n, head, s.cfg.ReadWait)})
	return true
}

// waitTimedOut is the 504 of a ?min_position wait that what did not end
// within the bound.
func (s *Server) waitTimedOut(what string, n int64) *httpError {
	return &httpError{Status: http.StatusGatewayTimeout, Code: "read_model_timeout",
		Detail: fmt.Sprintf("%s did not reach position %d within %s", what, n, s.cfg.ReadWait)}
}

// claimFor reads the claim in the path when the access table lets the
// caller do the request's action on it: its heir, or any operator or
// auditor. Others get 404 as if it did not exist.
func (s *Server) claimFor(r *http.Request) (projections.Claim, error) {
	id := chi.URLParam(r, "id")
	if _, err := uuid.Parse(id); err != nil {
		return projections.Claim{}, notFound("no such claim")
	}
	c, err := s.q.Claim(r.Context(), id)
	if err != nil {
		return projections.Claim{}, err
	}
	if err := s.Decide(r, access.Parties{Heir: c.HeirCF}, "no such claim"); err != nil {
		return projections.Claim{}, err
	}
	return c, nil
}

func (s *Server) getHeirClaims(w http.ResponseWriter, r *http.Request) {
	if !s.WaitForPosition(w, r) {
		return
	}
	claims, err := s.q.ClaimsByHeir(r.Context(), s.Person(r))
	if err != nil && !errors.Is(err, projections.ErrNotFound) {
		s.Problem(w, r, err)
		return
	}
	if claims == nil {
		claims = []projections.Claim{}
	}
	for i := range claims {
		normalizeClaim(&claims[i])
	}
	// SPEC §5 answers "the caller's claims": a JSON array, oldest first.
	s.JSON(w, http.StatusOK, claims)
}

func normalizeClaim(c *projections.Claim) {
	if c.PriorServices == nil {
		c.PriorServices = []projections.PriorService{}
	}
}

func (s *Server) getHeirClaim(w http.ResponseWriter, r *http.Request) {
	if !s.WaitForPosition(w, r) {
		return
	}
	c, err := s.claimFor(r)
	if err != nil {
		s.Problem(w, r, err)
		return
	}
	normalizeClaim(&c)
	s.JSON(w, http.StatusOK, c)
}

func (s *Server) getHistory(w http.ResponseWriter, r *http.Request) {
	if !s.WaitForPosition(w, r) {
		return
	}
	c, err := s.claimFor(r)
	if err != nil {
		s.Problem(w, r, err)
		return
	}
	h, err := s.q.History(r.Context(), c.ClaimID)
	if errors.Is(err, projections.ErrNotFound) {
		h, err = projections.History{ClaimID: c.ClaimID}, nil
	}
	if err != nil {
		s.Problem(w, r, err)
		return
	}
	if _, role, _ := s.Principal(r); role != commands.RoleOperator && role != commands.RoleAuditor {
		h = h.ForHeir() // the heir is told "un operatore INPS", not who
	}
	if h.Entries == nil {
		h.Entries = []projections.HistoryEntry{}
	}
	for i := range h.Entries {
		if h.Entries[i].Details == nil {
			h.Entries[i].Details = map[string]any{}
		}
	}
	s.JSON(w, http.StatusOK, h)
}

// getWill returns the claim's will to its heir and to the operators and
// auditors who check it, as an attachment (SPEC §8): a claim without a will,
// or a will whose bytes the document store does not hold, is 404.
func (s *Server) getWill(w http.ResponseWriter, r *http.Request) {
	if !s.WaitForPosition(w, r) {
		return
	}
	c, err := s.claimFor(r)
	if err != nil {
		s.Problem(w, r, err)
		return
	}
	if c.Will == nil || s.cfg.Documents == nil {
		s.Problem(w, r, notFound("this claim has no will"))
		return
	}
	ct, content, err := s.cfg.Documents.Get(r.Context(), c.Will.SHA256)
	if errors.Is(err, fs.ErrNotExist) {
		s.Problem(w, r, notFound("the will's document is not in the document store"))
		return
	}
	if err != nil {
		s.Problem(w, r, err)
		return
	}
	w.Header().Set("X-Content-SHA256", c.Will.SHA256)
	attachment.Serve(w, attachment.WillName(c.ClaimID), ct, content)
}

func (s *Server) getWorklist(w http.ResponseWriter, r *http.Request) {
	if !s.WaitForPosition(w, r) {
		return
	}
	wl, err := s.q.Worklist(r.Context())
	if err != nil {
		s.Problem(w, r, err)
		return
	}
	if wl.ClaimsToValidate == nil {
		wl.ClaimsToValidate = []projections.WorklistClaim{}
	}
	if wl.RefundsToApprove == nil {
		wl.RefundsToApprove = []projections.WorklistRefund{}
	}
	if wl.RefundsToPay == nil {
		wl.RefundsToPay = []projections.WorklistRefund{}
	}
	s.JSON(w, http.StatusOK, wl)
}

// pathCF reads a {cf} path parameter, the person the data belongs to as
// party, when the access table lets the caller do the request's action on
// it; anything else is 404 so that a citizen learns nothing of others.
func (s *Server) pathCF(r *http.Request, as func(cf string) access.Parties) (string, error) {
	cf, err := domain.ParseCF(chi.URLParam(r, "cf"))
	if err != nil {
		return "", notFound("no such person")
	}
	if err := s.Decide(r, as(cf.String()), "no such person"); err != nil {
		return "", err
	}
	return cf.String(), nil
}

// asOwner and asWorker name the person of a path: a booklet's and family's
// user, a statement's worker.
func asOwner(cf string) access.Parties  { return access.Parties{Owner: cf} }
func asWorker(cf string) access.Parties { return access.Parties{Worker: cf} }

func (s *Server) getStatement(w http.ResponseWriter, r *http.Request) {
	if !s.WaitForPosition(w, r) {
		return
	}
	cf, err := s.pathCF(r, asWorker)
	if err != nil {
		s.Problem(w, r, err)
		return
	}
	year, err := strconv.Atoi(chi.URLParam(r, "year"))
	if err != nil || year < 2000 || year > 2100 {
		s.Problem(w, r, notFound("no statement for that year"))
		return
	}
	st, err := s.q.Statement(r.Context(), cf, year)
	st, err = orEmpty(s, r.Context(), cf, st, err, projections.Statement{WorkerCF: cf, Year: year})
	if err != nil {
		s.Problem(w, r, err)
		return
	}
	if st.ByUser == nil {
		st.ByUser = []projections.StatementByUser{}
	}
	if st.ByMonth == nil {
		st.ByMonth = []projections.StatementByMonth{}
	}
	if wantsPDF(r) {
		s.servePDF(w, r, fmt.Sprintf("prospetto-%s-%d.pdf", cf, year), func(now time.Time) ([]byte, error) { return StatementPDF(st, now) })
		return
	}
	s.JSON(w, http.StatusOK, st)
}

// getPayslip answers a worker's monthly payslip (SPEC §9): their payments
// of a month of payment, as JSON or, with Accept: application/pdf, as the
// PDF. Someone else's is 404 before the month is even read, so a stranger
// learns nothing from a 400.
func (s *Server) getPayslip(w http.ResponseWriter, r *http.Request) {
	if !s.WaitForPosition(w, r) {
		return
	}
	cf, err := s.pathCF(r, asWorker)
	if err != nil {
		s.Problem(w, r, err)
		return
	}
	month, err := parseMonth(chi.URLParam(r, "month"))
	if err != nil {
		s.Problem(w, r, err)
		return
	}
	p, err := s.q.Payslip(r.Context(), cf, month)
	p, err = orEmpty(s, r.Context(), cf, p, err, projections.Payslip{WorkerCF: cf, Month: month, Payments: []projections.PayslipPayment{}})
	if err != nil {
		s.Problem(w, r, err)
		return
	}
	if wantsPDF(r) {
		s.servePDF(w, r, fmt.Sprintf("prospetto-paga-%s-%s.pdf", cf, month), func(now time.Time) ([]byte, error) { return PayslipPDF(p, now) })
		return
	}
	s.JSON(w, http.StatusOK, p)
}

// orEmpty is a worker's document as read (doc, err), or empty when the read
// model holds none: a registered worker's year or month without payments
// has an empty statement or payslip; a CF that never registered as a
// worker stays unknown (404).
func orEmpty[T any](s *Server, ctx context.Context, cf string, doc T, err error, empty T) (T, error) {
	if errors.Is(err, projections.ErrNotFound) {
		return empty, s.workerExists(ctx, cf)
	}
	return doc, err
}

// servePDF answers the PDF render draws at the server's instant in Rome,
// inline under name and never cached (it holds personal data).
func (s *Server) servePDF(w http.ResponseWriter, r *http.Request, name string, render func(now time.Time) ([]byte, error)) {
	pdf, err := render(s.cfg.Now().In(rome))
	if err != nil {
		s.Problem(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", fmt.Sprintf("inline; filename=%q", name))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(pdf)
}

// parseMonth reads a {month} path parameter "YYYY-MM"; anything else is 400
// invalid_month.
func parseMonth(raw string) (string, error) {
	t, err := time.Parse("2006-01", raw)
	if err != nil || len(raw) != 7 || t.Year() < 1000 {
		return "", badRequest("invalid_month", "month", "the month must be YYYY-MM, e.g. 2026-03")
	}
	return raw, nil
}

// wantsPDF reports whether the client asked for application/pdf.
func wantsPDF(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(mt), "application/pdf") {
			return true
		}
	}
	return false
}

func (s *Server) getDashboard(w http.ResponseWriter, r *http.Request) {
	if !s.WaitForPosition(w, r) {
		return
	}
	cf, err := s.pathCF(r, asOwner)
	if err != nil {
		s.Problem(w, r, err)
		return
	}
	today := s.today()
	d, err := s.q.Dashboard(r.Context(), cf, today)
	if errors.Is(err, projections.ErrNotFound) {
		d, err = s.dashboardWithoutBooklet(r.Context(), cf, today)
	}
	if err != nil {
		s.Problem(w, r, err)
		return
	}
	if d.Services == nil {
		d.Services = []projections.DashboardService{}
	}
	if d.Deposits == nil {
		d.Deposits = []projections.DashboardDeposit{}
	}
	if d.Caps.PerWorker == nil {
		d.Caps.PerWorker = []projections.WorkerCap{}
	}
	if d.Spending == nil {
		d.Spending = []projections.MonthSpend{}
	}
	s.JSON(w, http.StatusOK, d)
}

// BookletNone is the dashboard's booklet status for a person who has not
// opened a Libretto Famiglia: every amount is zero.
const BookletNone = "none"

// dashboardWithoutBooklet answers the dashboard of a person INPS knows
// through the Portale delle Famiglie (ISEE, children, applications,
// payments) or as an heir, but who has no booklet: a zero booklet with
// status "none", no services, no cap used. Nothing known at all is 404.
func (s *Server) dashboardWithoutBooklet(ctx context.Context, cf, today string) (projections.Dashboard, error) {
	year, _ := strconv.Atoi(today[:4])
	d := projections.Dashboard{
		UserCF:   cf,
		Booklet:  projections.Booklet{Status: BookletNone},
		Services: []projections.DashboardService{},
		Deposits: []projections.DashboardDeposit{},
		Caps:     projections.Caps{Year: year, UserCapCents: domain.UserCap, PerWorker: []projections.WorkerCap{}},
		Spending: []projections.MonthSpend{},
	}
	known := false
	if fq, ok := s.q.(projections.FamilyQueries); ok {
		f, err := fq.Family(ctx, cf, today)
		if err != nil {
			return projections.Dashboard{}, err
		}
		d.Family = &f
		known = f.ISEE != nil || len(f.Children) > 0 || len(f.Applications) > 0 || len(f.Payments) > 0
	}
	if !known {
		claims, err := s.q.ClaimsByHeir(ctx, cf)
		if err != nil && !errors.Is(err, projections.ErrNotFound) {
			return projections.Dashboard{}, err
		}
		known = len(claims) > 0
	}
	if !known {
		return projections.Dashboard{}, notFound("no booklet and no family data for this person")
	}
	return d, nil
}

// workerExists answers nil when cf registered as a worker, 404 otherwise.
// It reads the worker's stream, and only for statements without payments.
func (s *Server) workerExists(ctx context.Context, cf string) error {
	evs, err := s.store.ReadStream(ctx, domain.WorkerStream(cf), eventstore.ReadOptions{})
	if errors.Is(err, eventstore.ErrStreamNotFound) || (err == nil && len(evs) == 0) {
		return notFound("no such worker")
	}
	return err
}
