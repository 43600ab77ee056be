package main

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/eventstore"
)

func newAudit() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Replay streams and verify the hash chains (what the auditor role sees)",
	}
	var asOf string
	var asJSON bool
	replay := &cobra.Command{
		Use:   "replay <stream>",
		Short: "Print a stream's events and the state after each, optionally as of an instant",
		Long: `Print the events of a stream (booklet-<CF>, claim-<id>, worker-<CF>,
payroll-<id>, family-<CF>) recorded up to --as-of (RFC 3339, or a date
YYYY-MM-DD meaning the end of that day in Europe/Rome), each with the
aggregate's state after it where the domain can fold one.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			until, err := parseAsOf(asOf)
			if err != nil {
				return err
			}
			a, err := openTools(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			events, err := a.Store.ReadStream(cmd.Context(), args[0], eventstore.ReadOptions{Until: until})
			if errors.Is(err, eventstore.ErrStreamNotFound) || (err == nil && len(events) == 0) {
				return fmt.Errorf("no stream %q (as of %s)", args[0], describeAsOf(until))
			}
			if err != nil {
				return err
			}
			steps := replaySteps(args[0], events)
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(map[string]any{"stream_id": args[0], "as_of": describeAsOf(until), "events": steps})
			}
			printReplay(cmd.OutOrStdout(), args[0], until, steps)
			return nil
		},
	}
	replay.Flags().StringVar(&asOf, "as-of", "", "replay events recorded at or before this instant (RFC 3339 or YYYY-MM-DD)")
	replay.Flags().BoolVar(&asJSON, "json", false, "print JSON")

	var verifyJSON bool
	verify := &cobra.Command{
		Use:   "verify",
		Short: "Walk every stream's hash chain and report each broken link; exit 1 when any",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := openTools(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			head, err := a.Store.Head(cmd.Context())
			if err != nil {
				return err
			}
			bar := newBar(cmd.ErrOrStderr(), head.Events, "verifying", "events")
			report, err := a.Store.Verify(cmd.Context(), func(n int) { _ = bar.Set64(int64(n)) })
			_ = bar.Finish()
			if err != nil {
				return err
			}
			if verifyJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				if err := enc.Encode(report); err != nil {
					return err
				}
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "%d streams, %d events checked, %d broken links\n", report.StreamsChecked, report.EventsChecked, len(report.Broken))
				for _, b := range report.Broken {
					fmt.Fprintf(cmd.OutOrStdout(), "BROKEN %s version %d (position %d): %s\n", b.Stream, b.Version, b.Position, b.Reason)
				}
			}
			if len(report.Broken) > 0 {
				return fmt.Errorf("%d broken links in the hash chains", len(report.Broken))
			}
			return nil
		},
	}
	verify.Flags().BoolVar(&verifyJSON, "json", false, "print JSON")
	cmd.AddCommand(replay, verify)
	return cmd
}

var rome = mustLoadRome()

func mustLoadRome() *time.Location {
	l, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		return time.FixedZone("CET", 3600)
	}
	return l
}

// parseAsOf reads --as-of: empty is now (zero: no limit), RFC 3339 an
// instant, a civil date the end of that day in Europe/Rome.
func parseAsOf(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseInLocation("2006-01-02", s, rome); err == nil {
		return d.AddDate(0, 0, 1).Add(-time.Nanosecond), nil
	}
	return time.Time{}, fmt.Errorf("--as-of %q is neither RFC 3339 (2026-03-01T12:00:00Z) nor a date (2026-03-01)", s)
}

func describeAsOf(t time.Time) string {
	if t.IsZero() {
		return "now"
	}
	return t.Format(time.RFC3339Nano)
}

// step is one replayed event and the state after it.
type step struct {
	Position      int64            `json:"position"`
	Version       int64            `json:"version"`
	Type          string           `json:"type"`
	RecordedAt    time.Time        `json:"recorded_at"`
	Actor         eventstore.Actor `json:"actor"`
	CorrelationID string           `json:"correlation_id"`
	CausationID   string           `json:"causation_id,omitempty"`
	Hash          string           `json:"hash"`
	Data          json.RawMessage  `json:"data"`
	State         any              `json:"state,omitempty"`
}

// replaySteps folds the stream's aggregate event by event. Streams the
// domain has no snapshot for (payroll, family) get no state: their events
// are their record.
func replaySteps(stream string, events []eventstore.Event) []step {
	fold := folder(stream)
	out := make([]step, len(events))
	for i, e := range events {
		s := step{
			Position: e.Position, Version: e.Version, Type: e.Type, RecordedAt: e.RecordedAt, Actor: e.Actor,
			CorrelationID: e.CorrelationID.String(), Hash: hex.EncodeToString(e.Hash), Data: json.RawMessage(e.Data),
		}
		if e.CausationID != uuid.Nil {
			s.CausationID = e.CausationID.String()
		}
		if fold != nil {
			data, err := domain.Decode(e.Type, e.SchemaVersion, e.Data)
			if err != nil {
				data = nil
			}
			s.State = fold(domain.Recorded{ID: e.ID, Version: e.Version, At: e.RecordedAt, Data: data})
		}
		out[i] = s
	}
	return out
}

// folder returns a function that applies one event to the stream's
// aggregate and returns the state after it, or nil for streams without one.
func folder(stream string) func(domain.Recorded) any {
	kind, id, _ := strings.Cut(stream, "-")
	switch kind {
	case "claim":
		c := domain.NewClaim(id)
		return func(r domain.Recorded) any { c.Apply(r); return c.Snapshot() }
	case "booklet":
		cf, err := domain.ParseCF(id)
		if err != nil {
			return nil
		}
		b := domain.NewBooklet(cf)
		return func(r domain.Recorded) any {
			b.Apply(r)
			dep, com, res, ref := b.Balance()
			claims := b.ClaimIDs()
			sort.Strings(claims)
			state := map[string]any{
				"registered": b.Exists(), "status": b.Status().String(),
				"deposited_cents": dep, "committed_cents": com, "reserved_cents": res, "refunded_cents": ref,
				"available_cents": b.Available(), "pending_cents": b.Pending(), "claims": claims,
			}
			if d := b.DateOfDeath(); !d.IsZero() {
				state["date_of_death"] = d.String()
			}
			return state
		}
	case "worker":
		cf, err := domain.ParseCF(id)
		if err != nil {
			return nil
		}
		w := domain.NewWorker(cf)
		years := map[int]bool{}
		return func(r domain.Recorded) any {
			w.Apply(r)
			if e, ok := r.Data.(domain.WorkerServiceBooked); ok {
				years[e.Year] = true
			}
			net := map[string]int64{}
			for y := range years {
				net[fmt.Sprint(y)] = w.NetBooked(y)
			}
			return map[string]any{"registered": w.Exists(), "iban": w.IBAN(), "category": w.Category().String(), "net_booked_cents_by_year": net}
		}
	}
	return nil
}

func printReplay(w io.Writer, stream string, until time.Time, steps []step) {
	fmt.Fprintf(w, "%s as of %s: %d events\n", stream, describeAsOf(until), len(steps))
	for _, s := range steps {
		fmt.Fprintf(w, "\n#%d  position %d  %s  %s  by %s (%s)\n", s.Version, s.Position, s.RecordedAt.Format(time.RFC3339Nano), s.Type, s.Actor.ID, s.Actor.Role)
		fmt.Fprintf(w, "    hash %s  correlation %s", s.Hash, s.CorrelationID)
		if s.CausationID != "" {
			fmt.Fprintf(w, "  caused by %s", s.CausationID)
		}
		fmt.Fprintf(w, "\n    data  %s\n", compact(s.Data))
		if s.State != nil {
			b, _ := json.Marshal(s.State)
			fmt.Fprintf(w, "    state %s\n", b)
		}
	}
}

func compact(raw []byte) string {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return string(raw)
	}
	b, _ := json.Marshal(v)
	return string(b)
}
