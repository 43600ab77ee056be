package main

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/inps/libretto/projections"
)

func newProjections() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "projections",
		Short: "Inspect and rebuild the read models",
	}
	var asJSON bool
	status := &cobra.Command{
		Use:   "status",
		Short: "Each projector's checkpoint and lag behind the head of the log, in events and seconds",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := openTools(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			if err := a.Runner.Setup(cmd.Context()); err != nil {
				return err
			}
			st, err := a.Runner.Status(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(st)
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintln(w, "PROJECTOR\tSCHEMA\tPOSITION\tEVENTS\tLAG EVENTS\tLAG\tSTOPPED")
			for _, s := range st {
				lag := time.Duration(s.LagSeconds * float64(time.Second)).Round(time.Millisecond)
				stopped := "-"
				if s.Stopped != "" {
					stopped = s.Stopped
				}
				fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%d\t%s\t%s\n", s.Name, s.Schema, s.Position, s.Events, s.LagEvents, lag, stopped)
			}
			return w.Flush()
		},
	}
	status.Flags().BoolVar(&asJSON, "json", false, "print JSON")

	rebuild := &cobra.Command{
		Use:   "rebuild [name…]",
		Short: "Rebuild read models from the first event into fresh tables, then swap them in atomically",
		Long: `Rebuild the named projectors (all when none is named) from the first event
into fresh tables while the live tables keep serving, then swap them in
atomically. Interrupting it (Ctrl-C) and running it again is safe.`,
		RunE: func(cmd *cobra.Command, names []string) error {
			a, err := openTools(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			if len(names) == 0 {
				names = a.Runner.Names()
			}
			w := cmd.ErrOrStderr()
			if !isTerminal(w) {
				w = io.Discard // a progress bar in a log file is noise
			}
			progress, finish := projections.ProgressBar(w, "rebuilding")
			started := time.Now()
			var events int64
			err = a.Runner.Rebuild(cmd.Context(), names, func(done, total int64) {
				progress(done, total)
				events = done
			})
			finish()
			if err != nil {
				return err
			}
			elapsed := time.Since(started)
			rate := float64(events) / elapsed.Seconds()
			fmt.Fprintf(cmd.OutOrStdout(), "rebuilt %v: %d events in %s (%.0f events/s)\n", names, events, elapsed.Round(time.Millisecond), rate)
			return nil
		},
	}
	cmd.AddCommand(status, rebuild)
	return cmd
}
