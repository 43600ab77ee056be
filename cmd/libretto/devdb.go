package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/inps/libretto/cmd/libretto/devdb"
)

func newDevDB() *cobra.Command {
	var dataDir string
	resolve := func(cmd *cobra.Command) (devdb.Result, error) {
		o := devdb.OptionsFromEnv()
		o.DataDir = dataDir
		o.Log = cmd.ErrOrStderr()
		return devdb.Resolve(cmd.Context(), o)
	}
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
			r, err := resolve(cmd)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), r.URL)
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
	cmd.AddCommand(&cobra.Command{
		Use:   "exec -- command [args…]",
		Short: "Run a command with DATABASE_URL set, stopping the private cluster afterwards if this started it",
		Long: `Resolve the database as devdb does, run the command with DATABASE_URL in its
environment, and when the private cluster was started for it, stop the cluster
once the command ends. The command's exit status is devdb exec's.
make run and make test go through it.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := resolve(cmd)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "devdb: DATABASE_URL=%s (%s)\n", r.URL, r.Source)
			code, runErr := run(args, r.URL)
			if r.Started {
				// The command's ctx may be cancelled by the signal that ended it.
				ctx, cancel := context.WithTimeout(context.WithoutCancel(cmd.Context()), time.Minute)
				defer cancel()
				if err := devdb.Stop(ctx, dataDir, cmd.ErrOrStderr()); err != nil {
					fmt.Fprintln(cmd.ErrOrStderr(), "libretto:", err)
				}
			}
			if runErr != nil {
				return runErr
			}
			if code != 0 {
				os.Exit(code)
			}
			return nil
		},
	})
	return cmd
}

// run runs args with DATABASE_URL=url, forwarding SIGINT and SIGTERM to it,
// and returns its exit code.
func run(args []string, url string) (int, error) {
	c := exec.Command(args[0], args[1:]...)
	c.Env = append(os.Environ(), "DATABASE_URL="+url)
	c.Stdin, c.Stdout, c.Stderr = os.Stdin, os.Stdout, os.Stderr
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	if err := c.Start(); err != nil {
		return 0, err
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case s := <-sigs:
				_ = c.Process.Signal(s)
			case <-done:
				return
			}
		}
	}()
	err := c.Wait()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		if code := exit.ExitCode(); code >= 0 {
			return code, nil
		}
		return 1, nil // killed by a signal
	}
	return 0, err
}
