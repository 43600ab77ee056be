package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/inps/libretto/notify"
)

func newNotifications() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "notifications",
		Short: "Inspect the notifications' outbox",
	}
	var asJSON bool
	status := &cobra.Command{
		Use:   "status",
		Short: "Per channel: messages pending (and retrying), the oldest pending, sent and given up",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := openTools(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			if err := notify.Setup(cmd.Context(), a.Pool); err != nil {
				return err
			}
			st, err := notify.Status(cmd.Context(), a.Pool)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(st)
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintln(w, "CHANNEL\tPENDING\tRETRYING\tOLDEST PENDING\tSENT\tFAILED")
			for _, s := range st {
				oldest := "-"
				if s.OldestPending != nil {
					oldest = fmt.Sprintf("%s (%s ago)", s.OldestPending.Format(time.RFC3339), time.Since(*s.OldestPending).Round(time.Second))
				}
				fmt.Fprintf(w, "%s\t%d\t%d\t%s\t%d\t%d\n", s.Channel, s.Pending, s.Retrying, oldest, s.Sent, s.Failed)
			}
			return w.Flush()
		},
	}
	status.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.AddCommand(status)
	return cmd
}
