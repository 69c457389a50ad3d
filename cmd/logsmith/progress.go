package main

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/schollz/progressbar/v3"
)

// barProgress shows bytes and objects done of the total, rate and ETA on a
// terminal.
type barProgress struct {
	w       io.Writer
	mu      sync.Mutex
	bar     *progressbar.ProgressBar
	objects int
	done    atomic.Int64
}

func newBarProgress(w io.Writer) *barProgress { return &barProgress{w: w} }

func (p *barProgress) Listed(objects int, bytes int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.objects = objects
	p.bar = progressbar.NewOptions64(bytes,
		progressbar.OptionSetWriter(p.w),
		progressbar.OptionShowBytes(true),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100_000_000), // 100ms
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetDescription(fmt.Sprintf("0/%d objects", objects)),
	)
}

func (p *barProgress) Read(n int64) {
	if p.bar != nil {
		_ = p.bar.Add64(n)
	}
}

func (p *barProgress) ObjectDone() {
	d := p.done.Add(1)
	if p.bar != nil {
		p.mu.Lock()
		p.bar.Describe(fmt.Sprintf("%d/%d objects", d, p.objects))
		p.mu.Unlock()
	}
}

// Finish removes the bar before the summary is printed.
func (p *barProgress) Finish() {
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
