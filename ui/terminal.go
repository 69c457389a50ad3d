package ui

import (
	"io"
	"os"
	"sync"

	"golang.org/x/term"
)

// eraseLine returns a terminal's cursor to the start of its line and
// erases the line.
const eraseLine = "\r\x1b[K"

// TermLines is a terminal shared by a progress display, which redraws one
// line and leaves the cursor after its text, and everything else a command
// writes there (log records, the final error): each of those starts on a
// line of its own, never after the display's text. Writes through it are
// for the others; Display gives the display's writer.
type TermLines struct {
	mu   sync.Mutex
	w    io.Writer
	open bool // the cursor is after text on an unfinished line
}

// NewTermLines returns the terminal w, shared as TermLines says.
func NewTermLines(w io.Writer) *TermLines { return &TermLines{w: w} }

// Write erases the display's line, if it shows one, and writes p from the
// start of the line; the display redraws below it.
func (t *TermLines) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.open {
		if _, err := io.WriteString(t.w, eraseLine); err != nil {
			return 0, err
		}
		t.open = false
	}
	return t.write(p)
}

// write writes p and notes where it left the cursor; the caller holds
// t.mu.
func (t *TermLines) write(p []byte) (int, error) {
	n, err := t.w.Write(p)
	if n > 0 {
		last := p[n-1]
		t.open = last != '\n' && last != '\r'
	}
	return n, err
}

// Display returns the writer of the progress display: its redraws go
// through as they are.
func (t *TermLines) Display() io.Writer { return displayWriter{t} }

// EndLine finishes with a newline a line the display left unfinished: its
// last state (what a failed or interrupted command was doing) stays on the
// screen, and what is written next, through t or not (main's last message,
// a summary on stdout), starts a line.
func (t *TermLines) EndLine() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.open {
		_, _ = io.WriteString(t.w, "\n")
		t.open = false
	}
}

type displayWriter struct{ t *TermLines }

func (d displayWriter) Write(p []byte) (int, error) {
	d.t.mu.Lock()
	defer d.t.mu.Unlock()
	return d.t.write(p)
}

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
