package main

import (
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/inps/libretto/cmd/libretto/app"
)

func newServe() *cobra.Command {
	var migrate bool
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the API under /api/v1 and the portal at / until SIGINT or SIGTERM",
		Long: `Serve the API under /api/v1 and the portal at / on $LIBRETTO_ADDR
(default 127.0.0.1:$PORT, PORT default 8080) until SIGINT or SIGTERM, then
shut down gracefully. Configuration comes from the environment (see README).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			cfg := app.FromEnv()
			if cmd.Flags().Changed("seed") {
				cfg.Seed, _ = cmd.Flags().GetBool("seed")
			}
			if migrate {
				if err := app.Migrate(ctx, cfg.DatabaseURL); err != nil {
					return err
				}
			}
			a, err := app.New(ctx, cfg)
			if err != nil {
				return err
			}
			defer a.Close()
			// What logs through the default logger (the EventStoreDB
			// client, the family feed's handler) is masked too.
			slog.SetDefault(a.Config.Logger)
			return a.ListenAndServe(ctx)
		},
	}
	cmd.Flags().BoolVar(&migrate, "migrate", false, "apply migrations before serving")
	cmd.Flags().Bool("seed", false, "load demo data when the event store is empty (default $LIBRETTO_SEED)")
	return cmd
}
