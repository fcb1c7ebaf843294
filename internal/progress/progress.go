// Package progress draws progress bars on standard error for long-running
// commands, in one style for all of t2c. Bars are drawn only when stderr is
// a terminal, so logs and CI output stay clean; Quiet disables them outright.
package progress

import (
	"fmt"
	"io"
	"os"

	"github.com/schollz/progressbar/v3"
)

// Quiet suppresses all bars when set (the CLI's --quiet flag).
var Quiet = false

// Bar is a progress bar over a known number of steps.
type Bar struct {
	bar *progressbar.ProgressBar
}

// New starts a bar with the given description and total step count.
func New(total int, description string) *Bar {
	if Quiet || !isTerminal(os.Stderr) {
		return &Bar{}
	}
	return &Bar{bar: progressbar.NewOptions(total,
		progressbar.OptionSetWriter(os.Stderr),
		progressbar.OptionSetDescription(description),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100_000_000),
		progressbar.OptionClearOnFinish(),
	)}
}

// Add advances the bar by n steps and shows status (e.g. "top1 91.2%").
func (b *Bar) Add(n int, status string) {
	if b.bar == nil {
		return
	}
	if status != "" {
		b.bar.Describe(status)
	}
	_ = b.bar.Add(n)
}

// Done finishes and clears the bar.
func (b *Bar) Done() {
	if b.bar != nil {
		_ = b.bar.Finish()
	}
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// Logf prints a human-readable line on stderr (stdout is reserved for
// --json output).
func Logf(format string, args ...any) {
	fmt.Fprintf(logOut, format+"\n", args...)
}

var logOut io.Writer = os.Stderr
