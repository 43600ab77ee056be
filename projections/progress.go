package projections

import (
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
)

// ProgressBar returns a Rebuild progress callback that draws a bar on w with
// the events folded, events/s and the time left, and the function that ends
// the bar.
func ProgressBar(w io.Writer, description string) (progress func(done, total int64), finish func()) {
	var bar *progressbar.ProgressBar
	progress = func(done, total int64) {
		if bar == nil {
			bar = progressbar.NewOptions64(max(total, 1),
				progressbar.OptionSetWriter(w),
				progressbar.OptionSetDescription(description),
				progressbar.OptionShowCount(),
				progressbar.OptionShowIts(),
				progressbar.OptionSetItsString("events"),
				progressbar.OptionSetPredictTime(true),
				progressbar.OptionSetElapsedTime(true),
				progressbar.OptionThrottle(100*time.Millisecond),
				progressbar.OptionSetWidth(30),
			)
		}
		if total > bar.GetMax64() {
			bar.ChangeMax64(total)
		}
		_ = bar.Set64(done)
	}
	finish = func() {
		if bar != nil {
			_ = bar.Finish()
			_, _ = io.WriteString(w, "\n")
		}
	}
	return progress, finish
}
