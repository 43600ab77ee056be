package api

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/eventstore"
)

// auditEvent is one stored event with its whole envelope, as an auditor
// sees it.
type auditEvent struct {
	Position      int64            `json:"position"`
	Stream        string           `json:"stream"`
	Version       int64            `json:"version"`
	EventID       string           `json:"event_id"`
	Type          string           `json:"type"`
	SchemaVersion int              `json:"schema_version"`
	OccurredAt    string           `json:"occurred_at"`
	RecordedAt    string           `json:"recorded_at"`
	Actor         eventstore.Actor `json:"actor"`
	CorrelationID *string          `json:"correlation_id"`
	CausationID   *string          `json:"causation_id"`
	Hash          string           `json:"hash"`
	Data          json.RawMessage  `json:"data"`
}

func auditEvents(evs []eventstore.Event) []auditEvent {
	out := make([]auditEvent, 0, len(evs))
	for _, e := range evs {
		data := json.RawMessage(e.Data)
		if !json.Valid(data) {
			data = json.RawMessage("null")
		}
		out = append(out, auditEvent{
			Position:      e.Position,
			Stream:        e.Stream,
			Version:       e.Version,
			EventID:       e.ID.String(),
			Type:          e.Type,
			SchemaVersion: e.SchemaVersion,
			OccurredAt:    e.OccurredAt.UTC().Format(time.RFC3339Nano),
			RecordedAt:    e.RecordedAt.UTC().Format(time.RFC3339Nano),
			Actor:         e.Actor,
			CorrelationID: uuidOrNull(e.CorrelationID),
			CausationID:   uuidOrNull(e.CausationID),
			Hash:          hex.EncodeToString(e.Hash),
			Data:          data,
		})
	}
	return out
}

func uuidOrNull(id uuid.UUID) *string {
	if id == uuid.Nil {
		return nil
	}
	s := id.String()
	return &s
}

func (s *Server) getAuditStream(w http.ResponseWriter, r *http.Request) {
	if !s.waitForLog(w, r) {
		return
	}
	id := chi.URLParam(r, "stream_id")
	evs, err := s.store.ReadStream(r.Context(), id, eventstore.ReadOptions{})
	if err != nil {
		s.Problem(w, r, err)
		return
	}
	s.JSON(w, http.StatusOK, struct {
		StreamID string       `json:"stream_id"`
		Events   []auditEvent `json:"events"`
	}{id, auditEvents(evs)})
}

func (s *Server) getVerify(w http.ResponseWriter, r *http.Request) {
	if !s.waitForLog(w, r) {
		return
	}
	rep, err := s.store.Verify(r.Context(), nil)
	if err != nil {
		s.Problem(w, r, err)
		return
	}
	if rep.Broken == nil {
		rep.Broken = []eventstore.BrokenLink{}
	}
	s.JSON(w, http.StatusOK, rep)
}

// waitForLog honours ?min_position on the audit routes, which read
// the event store itself: every position a command answered with is
// already there, and a position past the end of the log is waited for as
// a read model's is (the same bound, then 504 read_model_timeout), so a
// client reads the log as of at least the position it names.
func (s *Server) waitForLog(w http.ResponseWriter, r *http.Request) bool {
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
	for {
		head, err := s.store.Head(ctx)
		if err == nil && head.Position >= n {
			return true
		}
		if err != nil && ctx.Err() == nil {
			s.Problem(w, r, err)
			return false
		}
		t := time.NewTimer(10 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			s.Problem(w, r, s.waitTimedOut("the event log", n))
			return false
		case <-t.C:
		}
	}
}

// asOf reads ?as_of (RFC 3339). Absent, it is the zero time: every event
// recorded so far (the store's clock stamps recorded_at, not the server's).
func (s *Server) asOf(r *http.Request) (time.Time, error) {
	raw := r.URL.Query().Get("as_of")
	if raw == "" {
		return time.Time{}, nil
	}
	// An unescaped "+01:00" arrives as " 01:00".
	t, err := time.Parse(time.RFC3339Nano, strings.ReplaceAll(raw, " ", "+"))
	if err != nil {
		return time.Time{}, badRequest("invalid_as_of", "as_of", "as_of must be an RFC 3339 instant, e.g. 2026-03-01T12:00:00Z")
	}
	return t, nil
}

// getReplay answers the state of a claim as it stood at ?as_of, folded from
// its events up to that instant, with those events.
func (s *Server) getReplay(w http.ResponseWriter, r *http.Request) {
	if !s.waitForLog(w, r) {
		return
	}
	asOf, err := s.asOf(r)
	if err != nil {
		s.Problem(w, r, err)
		return
	}
	id := chi.URLParam(r, "id")
	if _, err := uuid.Parse(id); err != nil {
		s.Problem(w, r, notFound("no such claim"))
		return
	}
	state, evs, err := s.cmd.ReplayClaim(r.Context(), id, asOf)
	if err != nil {
		s.Problem(w, r, err)
		return
	}
	if state.PriorServices == nil {
		state.PriorServices = []domain.SnapshotPriorService{}
	}
	shown := asOf
	if shown.IsZero() {
		shown = time.Now()
		if n := len(evs); n > 0 && evs[n-1].RecordedAt.After(shown) {
			shown = evs[n-1].RecordedAt
		}
	}
	s.JSON(w, http.StatusOK, struct {
		AsOf   string               `json:"as_of"`
		State  domain.ClaimSnapshot `json:"state"`
		Events []auditEvent         `json:"events"`
	}{shown.UTC().Format(time.RFC3339Nano), state, auditEvents(evs)})
}
