package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/domain/access"
	"github.com/inps/libretto/projections"
)

// pagoPA payment notices (SPEC §9): a citizen issues one for their own
// booklet, reads it as JSON or as the printable PDF with its QR code, and
// lists their open ones; the system role pays it with POST /deposits.

type noticeBody struct {
	AmountCents int64 `json:"amount_cents"`
}

type noticeCreated struct {
	NoticeNumber string `json:"notice_number"`
	IUV          string `json:"iuv"`
	AmountCents  int64  `json:"amount_cents"`
	ExpiresOn    string `json:"expires_on"`
	Position     int64  `json:"position"`
}

// noticeView is a notice as GET answers it: the read model and its payee.
type noticeView struct {
	projections.Notice
	PayeeCF string `json:"payee_cf"`
}

type noticeList struct {
	Notices []noticeView `json:"notices"`
}

func (s *Server) postNotice(w http.ResponseWriter, r *http.Request) {
	var b noticeBody
	m, ok := s.Decode(w, r, MaxBody, &b)
	if !ok {
		return
	}
	res, err := s.cmd.IssueNotice(r.Context(), m, commands.IssueNotice{AmountCents: b.AmountCents})
	body := noticeCreated{NoticeNumber: res.ID, AmountCents: res.AmountCents, ExpiresOn: res.ExpiresOn, Position: res.Position}
	if len(res.ID) == 18 {
		body.IUV = res.ID[1:]
	}
	s.Done(w, r, "IssueNotice", http.StatusCreated, body, err)
}

// notices is the read side of notices, when the queries offer it.
func (s *Server) notices() (projections.NoticeQueries, error) {
	nq, ok := s.q.(projections.NoticeQueries)
	if !ok {
		return nil, notFound("no such notice")
	}
	return nq, nil
}

func (s *Server) today() string { return civilDate(s.cfg.Now()) }

func (s *Server) getNotices(w http.ResponseWriter, r *http.Request) {
	if !s.WaitForPosition(w, r) {
		return
	}
	nq, err := s.notices()
	if err != nil {
		s.Problem(w, r, err)
		return
	}
	cf, err := domain.ParseCF(s.Person(r))
	if err != nil {
		s.JSON(w, http.StatusOK, noticeList{Notices: []noticeView{}})
		return
	}
	open, err := nq.OpenNotices(r.Context(), cf.String(), s.today())
	if err != nil {
		s.Problem(w, r, err)
		return
	}
	out := noticeList{Notices: make([]noticeView, len(open))}
	for i, n := range open {
		out.Notices[i] = noticeView{Notice: n, PayeeCF: domain.PayeeCF}
	}
	s.JSON(w, http.StatusOK, out)
}

// getNotice answers a notice to its owner, operators and auditors; anyone
// else, and a malformed number, gets 404.
func (s *Server) getNotice(w http.ResponseWriter, r *http.Request) {
	if !s.WaitForPosition(w, r) {
		return
	}
	nq, err := s.notices()
	if err != nil {
		s.Problem(w, r, err)
		return
	}
	number, err := domain.ParseNoticeNumber(chi.URLParam(r, "n"), "")
	if err != nil {
		s.Problem(w, r, notFound("no such notice"))
		return
	}
	n, err := nq.Notice(r.Context(), number.String(), s.today())
	if errors.Is(err, projections.ErrNotFound) {
		err = notFound("no such notice")
	}
	if err == nil {
		err = s.Decide(r, access.Parties{Owner: n.UserCF}, "no such notice")
	}
	if err != nil {
		s.Problem(w, r, err)
		return
	}
	if wantsPDF(r) {
		s.servePDF(w, r, "avviso-pagopa-"+n.NoticeNumber+".pdf", func(now time.Time) ([]byte, error) { return NoticePDF(n, now) })
		return
	}
	s.JSON(w, http.StatusOK, noticeView{Notice: n, PayeeCF: domain.PayeeCF})
}
