package api

import (
	"context"
	"net/http"
	"time"
)

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	s.JSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 when the store is reachable and no projector has
// stopped, else 503 with the reason.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		if err := s.cfg.Ready(ctx); err != nil {
			s.Problem(w, r, &httpError{Status: http.StatusServiceUnavailable, Code: "not_ready", Detail: err.Error()})
			return
		}
	}
	s.JSON(w, http.StatusOK, map[string]string{"status": "ready"})
}
