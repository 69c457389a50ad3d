package ui

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
)

// Progress shows what a run does on a terminal: the phase it is in
// (checking the output, listing, reading, merging, building tables,
// committing a date, gc) with a spinner and the time spent, and while
// reading, the bytes read from storage and objects done of the total, the
// read rate and ETA; a storage call being retried shows its attempt and
// error. It redraws at least twice a second, so no phase is silent.
type Progress struct {
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

// NewProgress returns the display of a run, drawn on w; Stop or Finish
// ends its redrawing.
func NewProgress(w io.Writer) *Progress {
	p := &Progress{w: w, stop: make(chan struct{})}
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
func (p *Progress) Phase(name string) {
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

// Listed shows the byte bar of the reading to come: objects listed,
// bytes to read from storage.
func (p *Progress) Listed(objects int, bytes int64) {
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
func (p *Progress) newBar(b *progressbar.ProgressBar) {
	if p.bar != nil {
		_ = p.bar.Finish()
		_ = p.bar.Clear()
	}
	p.bar = b
	_ = p.bar.RenderBlank()
}

// describe sets the bar's text from the state; the caller holds p.mu.
func (p *Progress) describe() {
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

// Read adds n bytes read from storage to the bar; it takes no lock.
func (p *Progress) Read(n int64) {
	if b := p.readBar.Load(); b != nil {
		_ = b.Add64(n)
	}
}

// ObjectDone counts an object read and clears the retry shown.
func (p *Progress) ObjectDone() {
	p.done.Add(1)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.retry = ""
	p.describe()
}

// Retrying shows the retry beside the phase until the next object or phase.
func (p *Progress) Retrying(attempt int, err error) {
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
func (p *Progress) Stop() {
	close(p.stop)
	p.stopped.Wait()
}

// Finish removes the bar before the summary is printed and stops redrawing.
func (p *Progress) Finish() {
	p.Stop()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		_ = p.bar.Finish()
		_ = p.bar.Clear()
	}
}

// DateProgress shows a backfill's dates done of the total, with each date's
// outcome printed above the bar.
type DateProgress struct {
	w   io.Writer
	mu  sync.Mutex
	bar *progressbar.ProgressBar
}

// NewDateProgress returns the display of a backfill of dates dates,
// drawn on w.
func NewDateProgress(w io.Writer, dates int) *DateProgress {
	return &DateProgress{w: w, bar: progressbar.NewOptions(dates,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionSetDescription("dates"),
		progressbar.OptionClearOnFinish(),
	)}
}

// Done prints a date's outcome above the bar and counts it done.
func (p *DateProgress) Done(date, status, reason string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	_ = p.bar.Clear()
	fmt.Fprintf(p.w, "%s  %s %s\n", date, status, reason)
	_ = p.bar.Add(1)
}
