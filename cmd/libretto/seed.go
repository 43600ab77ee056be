package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/inps/libretto/commands/seed"
)

func newSeed() *cobra.Command {
	return &cobra.Command{
		Use:   "seed",
		Short: "Load the demo data (families, workers, a deceased user with two heirs, paid services) into $DATABASE_URL",
		Long: `Load the demo data through the command handler, as make run does on an empty
database. It is idempotent: running it again appends nothing, and it leaves a
store that holds other people's data alone. The projectors run while it
seeds, since the demo's payroll runs read them.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := openTools(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			before, err := a.Store.Head(cmd.Context())
			if err != nil {
				return err
			}
			// Payroll runs find the services to pay through the read models,
			// so the projectors run here too (beside any server: safe).
			if err := a.StartProjectors(); err != nil { // stopped by Close, which then waits for them
				return err
			}
			if err := seed.Seed(cmd.Context(), a.Commands, time.Now(), seed.WaitFor(a.Runner.WaitFor)); err != nil {
				return err
			}
			after, err := a.Store.Head(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "seeded: %d events appended (%d in the log)\n", after.Events-before.Events, after.Events)
			return nil
		},
	}
}
