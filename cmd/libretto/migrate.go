package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/inps/libretto/cmd/libretto/app"
)

func newMigrate() *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Apply the database migrations to $DATABASE_URL",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			url := os.Getenv("DATABASE_URL")
			if url == "" {
				return errors.New("DATABASE_URL is not set (try: DATABASE_URL=$(libretto devdb) libretto migrate)")
			}
			if err := app.Migrate(cmd.Context(), url); err != nil {
				return err
			}
			fmt.Fprintln(cmd.ErrOrStderr(), "migrations applied")
			return nil
		},
	}
}
