package report

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Width is the most columns a terminal chart takes.
const Width = 100

// TextOptions say how a terminal chart is drawn.
type TextOptions struct {
	// Color draws the bars in ANSI colours: for a terminal, and not when
	// NO_COLOR is set (the caller decides).
	Color bool
}

// barWidth is the width of one bar column of the hourly chart: three bars
// of it, their values and the hour fit Width.
const barWidth = 18

// ANSI colours of the bars.
const (
	colorEvents = "\x1b[36m" // cyan
	colorErrors = "\x1b[31m" // red
	colorP99    = "\x1b[33m" // yellow
	colorBad    = "\x1b[35m" // magenta
	colorReset  = "\x1b[0m"
)

// WriteText draws p's hours and bad lines on w: one line per hour with a
// bar each for events, error rate and p99 latency, each scaled to its
// largest hour, then the run's bad lines by reason.
func WriteText(w io.Writer, p *Partition, hours []Hour, o TextOptions) error {
	var maxEv int64
	var maxRate, maxP99 float64
	for _, h := range hours {
		maxEv = max(maxEv, h.Events)
		if h.ErrorRate != nil {
			maxRate = max(maxRate, *h.ErrorRate)
		}
		if h.P99 != nil {
			maxP99 = max(maxP99, *h.P99)
		}
	}
	var b strings.Builder
	m := p.Manifest
	fmt.Fprintf(&b, "%s, table %s: %s events in %d rows (run %s), per UTC hour\n", p.Date, p.Window, groupDigits(total(hours)), p.Rows, m.RunID)
	fmt.Fprintf(&b, "%-4s%-*s  %-*s  %-*s\n", "UTC", barWidth+10, "EVENTS", barWidth+10, "ERROR RATE", barWidth+10, "P99 LATENCY, WORST WINDOW (ms)")
	for _, h := range hours {
		fmt.Fprintf(&b, "%02d  ", h.Start.Hour())
		b.WriteString(paint(bar(float64(h.Events), float64(maxEv), barWidth), colorEvents, o.Color))
		fmt.Fprintf(&b, " %9s  ", groupDigits(h.Events))
		if h.ErrorRate != nil {
			b.WriteString(paint(bar(*h.ErrorRate, maxRate, barWidth), colorErrors, o.Color))
		} else {
			b.WriteString(strings.Repeat(" ", barWidth))
		}
		fmt.Fprintf(&b, " %9s  ", percent(h.ErrorRate))
		if h.P99 != nil {
			b.WriteString(paint(bar(*h.P99, maxP99, barWidth), colorP99, o.Color))
		} else {
			b.WriteString(strings.Repeat(" ", barWidth))
		}
		fmt.Fprintf(&b, " %9s\n", millis(h.P99))
	}
	bad := p.BadLines()
	fmt.Fprintf(&b, "\nbad lines of the run, by reason (a bad line has no trusted time): %s of %s lines\n", groupDigits(m.BadLines), groupDigits(m.Lines))
	var maxBad int64
	label := 0
	for _, r := range bad {
		maxBad = max(maxBad, r.Lines)
		label = max(label, utf8.RuneCountInString(r.Reason))
	}
	label = min(label, 28)
	for _, r := range bad {
		name := r.Reason
		if utf8.RuneCountInString(name) > label {
			name = string([]rune(name)[:label-1]) + "…"
		}
		width := Width - label - 2 - 1 - 12
		fmt.Fprintf(&b, "%-*s  %s %s\n", label, name, paint(bar(float64(r.Lines), float64(maxBad), width), colorBad, o.Color), groupDigits(r.Lines))
	}
	if len(bad) == 0 {
		b.WriteString("none\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func total(hours []Hour) int64 {
	var n int64
	for _, h := range hours {
		n += h.Events
	}
	return n
}

// eighths are the partial blocks of a bar, by eighths filled.
var eighths = []string{"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"}

// bar draws v of top as a bar of width columns, in eighths of a column,
// padded to width. A value above zero shows at least an eighth.
func bar(v, top float64, width int) string {
	n := 0
	if top > 0 && v > 0 {
		n = int(math.Round(v / top * float64(width*8)))
		n = min(max(n, 1), width*8)
	}
	s := strings.Repeat("█", n/8) + eighths[n%8]
	return s + strings.Repeat(" ", width-utf8.RuneCountInString(s))
}

func paint(s, color string, on bool) string {
	if !on {
		return s
	}
	return color + s + colorReset
}

// groupDigits writes n with thin groups of thousands: 12,345.
func groupDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

// percent renders a rate as a percentage, "-" when nil.
func percent(r *float64) string {
	if r == nil {
		return "-"
	}
	return strconv.FormatFloat(*r*100, 'f', 2, 64) + "%"
}

// millis renders a latency in ms, "-" when nil.
func millis(v *float64) string {
	if v == nil {
		return "-"
	}
	return strconv.FormatFloat(*v, 'f', 1, 64)
}
