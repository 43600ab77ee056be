package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/inps/libretto/cmd/libretto/devdb"
)

func newDevDB() *cobra.Command {
	var dataDir string
	cmd := &cobra.Command{
		Use:   "devdb",
		Short: "Print a DATABASE_URL for development and tests, starting a private PostgreSQL when needed",
		Long: `Print a DATABASE_URL on stdout (SPEC §7): $DATABASE_URL when set; else the
database "libretto" on a PostgreSQL listening on $LIBRETTO_PG_PROBE (default
127.0.0.1:5432); else on a private cluster under .data/pg, created and started
on its own port (installing Debian's postgresql package first when it is
missing and we are root). Progress goes to stderr.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o := devdb.OptionsFromEnv()
			o.DataDir = dataDir
			o.Log = cmd.ErrOrStderr()
			url, _, err := devdb.Resolve(cmd.Context(), o)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), url)
			return nil
		},
	}
	cmd.PersistentFlags().StringVar(&dataDir, "data", ".data", "directory of the private cluster")
	cmd.AddCommand(&cobra.Command{
		Use:   "stop",
		Short: "Stop the private cluster under --data (never any other server)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return devdb.Stop(cmd.Context(), dataDir, cmd.ErrOrStderr())
		},
	})
	return cmd
}
