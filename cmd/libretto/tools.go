package main

import (
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/inps/libretto/cmd/libretto/app"
)

// openTools connects to $DATABASE_URL for an operator tool: the store, the
// commands and the projection runner, with no server and no projectors running.
func openTools(cmd *cobra.Command) (*app.App, error) {
	cfg := app.FromEnv()
	if cfg.LogLevel == "" {
		cfg.LogLevel = "warn" // keep the tool's own output readable
	}
	cfg.Logger = app.NewLogger(cmd.ErrOrStderr(), cfg.LogLevel, cfg.Mode)
	return app.Open(cmd.Context(), cfg)
}

// newBar is a progress bar on w with a count, a rate and an ETA.
func newBar(w io.Writer, total int64, what, unit string) *progressbar.ProgressBar {
	return progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString(unit),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetWidth(30),
		progressbar.OptionSetVisibility(isTerminal(w)),
		progressbar.OptionOnCompletion(func() { _, _ = io.WriteString(w, "\n") }),
	)
}

// isTerminal reports whether w is a character device: a progress bar in a
// log file is noise.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
