package main

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// progress draws a one-line progress bar on a terminal.
type progress struct {
	w       io.Writer
	name    string
	total   int
	enabled bool
	last    int
}

func newProgress(w io.Writer, name string, total int, enabled bool) *progress {
	return &progress{w: w, name: name, total: total, enabled: enabled, last: -1}
}

func (p *progress) step(n int) {
	if !p.enabled || p.total <= 0 {
		return
	}
	pct := min(100, n*100/p.total)
	if pct == p.last {
		return
	}
	p.last = pct
	const width = 30
	fill := pct * width / 100
	fmt.Fprintf(p.w, "\r%s [%s%s] %3d%% %d/%d", p.name, strings.Repeat("#", fill), strings.Repeat(".", width-fill), pct, n, p.total)
}

func (p *progress) done() {
	if p.enabled && p.last >= 0 {
		fmt.Fprintln(p.w)
	}
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
