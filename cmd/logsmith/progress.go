package main

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
)

// barProgress shows what a run does on a terminal: the phase it is in
// (checking the output, listing, reading, merging, building tables,
// committing a date, gc) with a spinner and the time spent, and while
// reading, the bytes read from storage and objects done of the total, the
// read rate and ETA; a storage call being retried shows its attempt and
// error. It redraws at least twice a second, so no phase is silent.
type barProgress struct {
	w       io.Writer
	mu      sync.Mutex
	bar     *progressbar.ProgressBar
	readBar atomic.Pointer[progressbar.ProgressBar] // bar while reading: Read takes no lock
	phase   string
	reading bool
	objects int
	done    atomic.Int64
	retry   string // the last retry, until the next object or phase
	stop    chan struct{}
	stopped sync.WaitGroup
}

// refreshEvery is how often the display is redrawn without news.
const refreshEvery = 500 * time.Millisecond

func newBarProgress(w io.Writer) *barProgress {
	p := &barProgress{w: w, stop: make(chan struct{})}
	p.stopped.Add(1)
	go func() {
		defer p.stopped.Done()
		t := time.NewTicker(refreshEvery)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.mu.Lock()
				if p.bar != nil {
					_ = p.bar.RenderBlank()
				}
				p.mu.Unlock()
			}
		}
	}()
	return p
}

// Phase shows a spinner naming the phase, but while reading, which shows
// the byte bar Listed made.
func (p *barProgress) Phase(name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.phase, p.retry = name, ""
	if name == "reading" && p.bar != nil && p.reading {
		p.describe()
		return
	}
	p.reading = false
	p.readBar.Store(nil)
	p.newBar(progressbar.NewOptions64(-1,
		progressbar.OptionSetWriter(p.w),
		progressbar.OptionSpinnerType(14),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetDescription(name),
	))
}

func (p *barProgress) Listed(objects int, bytes int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.objects, p.reading = objects, true
	p.newBar(progressbar.NewOptions64(bytes,
		progressbar.OptionSetWriter(p.w),
		progressbar.OptionShowBytes(true),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100_000_000), // 100ms
		progressbar.OptionClearOnFinish(),
	))
	p.readBar.Store(p.bar)
	p.describe()
}

// newBar replaces the bar shown; the caller holds p.mu.
func (p *barProgress) newBar(b *progressbar.ProgressBar) {
	if p.bar != nil {
		_ = p.bar.Finish()
		_ = p.bar.Clear()
	}
	p.bar = b
	_ = p.bar.RenderBlank()
}

// describe sets the bar's text from the state; the caller holds p.mu.
func (p *barProgress) describe() {
	if p.bar == nil {
		return
	}
	d := p.phase
	if p.reading {
		// The bar's bytes and rate are of storage: what was read, before
		// decompression (the summary gives both rates).
		d = fmt.Sprintf("reading %d/%d objects, read from storage", p.done.Load(), p.objects)
	}
	if p.retry != "" {
		d += " · " + p.retry
	}
	p.bar.Describe(d)
	_ = p.bar.RenderBlank() // now, not at the next byte
}

func (p *barProgress) Read(n int64) {
	if b := p.readBar.Load(); b != nil {
		_ = b.Add64(n)
	}
}

func (p *barProgress) ObjectDone() {
	p.done.Add(1)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.retry = ""
	p.describe()
}

// Retrying shows the retry beside the phase until the next object or phase.
func (p *barProgress) Retrying(attempt int, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	msg := err.Error()
	if len(msg) > 80 {
		msg = msg[:77] + "..."
	}
	p.retry = fmt.Sprintf("retrying (attempt %d failed: %s)", attempt, msg)
	p.describe()
}

// Stop stops redrawing and leaves the display's last state as it is: what
// a run that failed was doing when it stopped.
func (p *barProgress) Stop() {
	close(p.stop)
	p.stopped.Wait()
}

// Finish removes the bar before the summary is printed and stops redrawing.
func (p *barProgress) Finish() {
	p.Stop()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		_ = p.bar.Finish()
		_ = p.bar.Clear()
	}
}

// dateProgress shows a backfill's dates done of the total, with each date's
// outcome printed above the bar.
type dateProgress struct {
	w   io.Writer
	mu  sync.Mutex
	bar *progressbar.ProgressBar
}

func newDateProgress(w io.Writer, dates int) *dateProgress {
	return &dateProgress{w: w, bar: progressbar.NewOptions(dates,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionSetDescription("dates"),
		progressbar.OptionClearOnFinish(),
	)}
}

func (p *dateProgress) done(date, status, reason string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	_ = p.bar.Clear()
	fmt.Fprintf(p.w, "%s  %s %s\n", date, status, reason)
	_ = p.bar.Add(1)
}

// eraseLine returns a terminal's cursor to the start of its line and
// erases the line.
const eraseLine = "\r\x1b[K"

// termLines is a terminal shared by a progress display, which redraws one
// line and leaves the cursor after its text, and everything else a command
// writes there (log records, the final error): each of those starts on a
// line of its own, never after the display's text. Writes through it are
// for the others; Display gives the display's writer.
type termLines struct {
	mu   sync.Mutex
	w    io.Writer
	open bool // the cursor is after text on an unfinished line
}

func newTermLines(w io.Writer) *termLines { return &termLines{w: w} }

// Write erases the display's line, if it shows one, and writes p from the
// start of the line; the display redraws below it.
func (t *termLines) Write(p []byte) (int, error) {
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
func (t *termLines) write(p []byte) (int, error) {
	n, err := t.w.Write(p)
	if n > 0 {
		last := p[n-1]
		t.open = last != '\n' && last != '\r'
	}
	return n, err
}

// Display returns the writer of the progress display: its redraws go
// through as they are.
func (t *termLines) Display() io.Writer { return displayWriter{t} }

// EndLine finishes with a newline a line the display left unfinished: its
// last state (what a failed or interrupted command was doing) stays on the
// screen, and what is written next, through t or not (main's last message,
// a summary on stdout), starts a line.
func (t *termLines) EndLine() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.open {
		_, _ = io.WriteString(t.w, "\n")
		t.open = false
	}
}

type displayWriter struct{ t *termLines }

func (d displayWriter) Write(p []byte) (int, error) {
	d.t.mu.Lock()
	defer d.t.mu.Unlock()
	return d.t.write(p)
}
