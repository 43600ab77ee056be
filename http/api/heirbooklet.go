package api

import (
	"errors"
	"net/http"

	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/projections"
)

// heirBooklet is what the deceased left, as their heir sees it (SPEC §9):
// the deposits and the services of the booklet, with their status, so that
// the heir can tell which services were never recorded before inserting
// prior services, and the available balance.
type heirBooklet struct {
	ClaimID        string                         `json:"claim_id"`
	DeceasedCF     string                         `json:"deceased_cf"`
	DateOfDeath    string                         `json:"date_of_death"`
	Status         string                         `json:"status"` // the booklet's: active, owner_deceased, closed
	Deposits       []projections.DashboardDeposit `json:"deposits"`
	Services       []projections.DashboardService `json:"services"`
	AvailableCents int64                          `json:"available_cents"`
}

// getHeirBooklet answers the heir of a registered or validated claim (or
// their delegate in scope eredi); a rejected heir, like anyone else, finds
// nothing (404). Operators and auditors read the booklet on the dashboard.
func (s *Server) getHeirBooklet(w http.ResponseWriter, r *http.Request) {
	if !s.WaitForPosition(w, r) {
		return
	}
	c, err := s.claimFor(r)
	if err != nil {
		s.Problem(w, r, err)
		return
	}
	if st, ok := domain.ClaimStatusOf(c.Status); !ok || !domain.ClaimActs(st) { // a rejected heir sees nothing of it
		s.Problem(w, r, notFound("no such claim"))
		return
	}
	out := heirBooklet{ClaimID: c.ClaimID, DeceasedCF: c.DeceasedCF, DateOfDeath: c.DateOfDeath,
		Deposits: []projections.DashboardDeposit{}, Services: []projections.DashboardService{}}
	d, err := s.q.Dashboard(r.Context(), c.DeceasedCF, s.today())
	switch {
	case errors.Is(err, projections.ErrNotFound):
		out.Status = BookletNone // a claim on a CF that never opened a booklet
	case err != nil:
		s.Problem(w, r, err)
		return
	default:
		out.Status, out.AvailableCents = d.Booklet.Status, d.Booklet.AvailableCents
		if d.Deposits != nil {
			out.Deposits = d.Deposits
		}
		if d.Services != nil {
			out.Services = d.Services
		}
	}
	s.JSON(w, http.StatusOK, out)
}
