package portal

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/inps/libretto/commands"
	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/domain/access"
	"github.com/inps/libretto/eventstore"
	"github.com/inps/libretto/projections"
)

// The auditor's pages: a claim's timeline with its state as of any instant
// (folded from the events by the command layer, not read from a read
// model), and the hash-chain check. Auditors read everything and write
// nothing.
func (p *Portal) auditRoutes() {
	p.page("GET /audit", commands.RoleAuditor, access.AuditReplay, p.auditHome)
	p.page("GET /audit/pratiche/{id}", commands.RoleAuditor, access.AuditReplay, p.auditClaim)
	p.page("GET /audit/verifica", commands.RoleAuditor, access.AuditVerify, p.auditVerify)
}

type auditHomeData struct {
	Worklist projections.Worklist
	Form     *Form
}

func (p *Portal) auditHome(w http.ResponseWriter, r *http.Request) {
	f := newForm()
	if id := strings.TrimSpace(r.URL.Query().Get("pratica")); id != "" {
		if _, err := uuid.Parse(id); err == nil {
			http.Redirect(w, r, "/audit/pratiche/"+id, http.StatusSeeOther)
			return
		}
		f.Set("pratica", id)
		f.Fail("pratica", "Il numero di pratica è un identificativo di 36 caratteri, per esempio 0b5e…")
	}
	wl, err := p.cfg.Queries.Worklist(r.Context())
	if err != nil {
		p.serverError(w, r, err)
		return
	}
	status := http.StatusOK
	if !f.OK() {
		status = http.StatusUnprocessableEntity
	}
	p.renderStatus(w, r, status, "audit_home", auditHomeData{Worklist: wl, Form: f})
}

type timelineEvent struct {
	eventstore.Event
	Pretty string
	AsOf   string // the instant to replay up to this event, RFC 3339
}

type auditClaimData struct {
	ClaimID string
	AsOf    time.Time
	Now     bool
	State   domain.ClaimSnapshot
	Found   bool
	Count   int // events recorded at or before AsOf
	All     []timelineEvent
	Form    *Form
}

// auditClaim shows the claim as it stood at ?al= (a datetime-local in Rome
// time, or RFC 3339), now by default, and every event of its stream with
// the ones after that instant greyed out.
func (p *Portal) auditClaim(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	f := newForm()
	asOf := p.now()
	isNow := true // the current state: every event, whatever the clock says
	if v := strings.TrimSpace(r.URL.Query().Get("al")); v != "" {
		f.Set("al", v)
		t, err := parseInstant(v)
		if err != nil {
			f.Fail("al", "Indica data e ora nel formato gg/mm/aaaa hh:mm:ss.")
		} else {
			asOf, isNow = t, false
		}
	}
	_, allEvents, err := p.cfg.Commands.ReplayClaim(r.Context(), id, endOfTime)
	if err != nil {
		p.commandFailed(w, r, err)
		return
	}
	d := auditClaimData{ClaimID: id, AsOf: asOf, Now: isNow, Form: f}
	if isNow {
		asOf = endOfTime
	}
	state, events, err := p.cfg.Commands.ReplayClaim(r.Context(), id, asOf)
	switch {
	case err == nil:
		d.State, d.Found = state, true
	case !isNotFound(err):
		p.serverError(w, r, err)
		return
	}
	for _, e := range allEvents {
		te := timelineEvent{Event: e, Pretty: prettyJSON(e.Data), AsOf: e.RecordedAt.Format(time.RFC3339Nano)}
		d.All = append(d.All, te)
	}
	d.Count = len(events)
	status := http.StatusOK
	if !f.OK() {
		status = http.StatusUnprocessableEntity
	}
	p.renderStatus(w, r, status, "audit_claim", d)
}

// endOfTime is after every recorded event.
var endOfTime = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

// parseInstant reads an instant typed by a person (datetime-local, Rome) or
// linked by the timeline (RFC 3339).
func parseInstant(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "02/01/2006 15:04:05", "02/01/2006 15:04"} {
		if t, err := time.ParseInLocation(layout, v, rome); err == nil {
			return t, nil
		}
	}
	_, err := time.Parse(time.RFC3339, v)
	return time.Time{}, err
}

func prettyJSON(raw []byte) string {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return string(raw)
	}
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

type verifyData struct {
	Available bool
	Ran       bool
	Report    eventstore.VerifyReport
	Took      time.Duration
}

// auditVerify walks every hash chain on request (a GET form: it changes
// nothing).
func (p *Portal) auditVerify(w http.ResponseWriter, r *http.Request) {
	d := verifyData{Available: p.cfg.Store != nil}
	if d.Available && r.URL.Query().Get("esegui") != "" {
		start := time.Now()
		rep, err := p.cfg.Store.Verify(r.Context(), nil)
		if err != nil {
			p.serverError(w, r, err)
			return
		}
		d.Ran, d.Report, d.Took = true, rep, time.Since(start)
	}
	p.render(w, r, "audit_verify", d)
}
