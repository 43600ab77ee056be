// Command libretto is the one Libretto binary: the server (serve), schema
// migrations (migrate), the development database finder (devdb) and the
// operator tools.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newRoot().ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "libretto:", err)
		stop()
		os.Exit(1)
	}
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:           "libretto",
		Short:         "Libretto Famiglia: event-sourced back end and portal",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newServe(), newMigrate(), newDevDB(), newProjections(), newAudit(), newSeed(), newNotifications())
	return root
}
