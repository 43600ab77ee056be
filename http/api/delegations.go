package api

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/domain"
)

// Delegations (SPEC §9): a citizen grants, lists and revokes them; a
// delegate uses one with X-On-Behalf-Of (middleware.go, actFor).

type delegationBody struct {
	DelegateCF string   `json:"delegate_cf"`
	Scope      []string `json:"scope"`
	ExpiresOn  string   `json:"expires_on"`
}

type delegationResponse struct {
	DelegationID string `json:"delegation_id"`
	Position     int64  `json:"position"`
}

// delegationView is a delegation as GET /delegations shows it; status is
// active, expired or revoked as of today.
type delegationView struct {
	DelegationID string   `json:"delegation_id"`
	GrantorCF    string   `json:"grantor_cf"`
	DelegateCF   string   `json:"delegate_cf"`
	Scope        []string `json:"scope"`
	GrantedOn    string   `json:"granted_on"`
	ExpiresOn    string   `json:"expires_on"`
	RevokedOn    string   `json:"revoked_on,omitempty"`
	Status       string   `json:"status"`
}

type delegationList struct {
	Granted  []delegationView `json:"granted"`
	Received []delegationView `json:"received"`
}

func (s *Server) postDelegation(w http.ResponseWriter, r *http.Request) {
	var b delegationBody
	m, ok := s.Decode(w, r, MaxBody, &b)
	if !ok {
		return
	}
	res, err := s.cmd.GrantDelegation(r.Context(), m, commands.GrantDelegation{DelegateCF: b.DelegateCF, Scope: b.Scope, ExpiresOn: b.ExpiresOn})
	s.Done(w, r, "GrantDelegation", http.StatusCreated, delegationResponse{DelegationID: res.ID, Position: res.Position}, err)
}

func (s *Server) deleteDelegation(w http.ResponseWriter, r *http.Request) {
	m := s.meta(r, r.Header.Get("Idempotency-Key"), "DELETE "+r.URL.Path)
	id := chi.URLParam(r, "id")
	res, err := s.cmd.RevokeDelegation(r.Context(), m, commands.RevokeDelegation{DelegationID: id})
	s.Done(w, r, "RevokeDelegation", http.StatusOK, delegationResponse{DelegationID: id, Position: res.Position}, err)
}

func (s *Server) getDelegations(w http.ResponseWriter, r *http.Request) {
	granted, received, err := s.cmd.Delegations(r.Context(), s.Person(r))
	if err != nil {
		s.Problem(w, r, err)
		return
	}
	today := domain.DateOf(s.cfg.Now(), rome)
	out := delegationList{Granted: views(granted, today), Received: views(received, today)}
	s.JSON(w, http.StatusOK, out)
}

func views(ds []domain.Delegation, today domain.Date) []delegationView {
	out := make([]delegationView, 0, len(ds))
	for _, d := range ds {
		out = append(out, delegationView{
			DelegationID: d.DelegationID, GrantorCF: d.GrantorCF, DelegateCF: d.DelegateCF, Scope: d.Scope,
			GrantedOn: d.GrantedOn, ExpiresOn: d.ExpiresOn, RevokedOn: d.RevokedOn, Status: d.Status(today).String(),
		})
	}
	return out
}
