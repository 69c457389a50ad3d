package report

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
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
// largest hour, then the run's bad lines by reason. No line is wider than
// Width: the bars give way to wide numbers.
func WriteText(w io.Writer, p *Partition, hours []Hour, o TextOptions) error {
	var maxEv int64
	var maxRate, maxP99 float64
	cells := make([][3]string, len(hours))
	var valW [3]int
	for i, h := range hours {
		maxEv = max(maxEv, h.Events)
		if h.ErrorRate != nil {
			maxRate = max(maxRate, *h.ErrorRate)
		}
		if h.P99 != nil {
			maxP99 = max(maxP99, *h.P99)
		}
		cells[i] = [3]string{groupDigits(h.Events), percent(h.ErrorRate), millis(h.P99)}
		for j, c := range cells[i] {
			valW[j] = max(valW[j], len(c))
		}
	}
	// "HH  " then three columns of bar, a space, the value and two spaces.
	barW := max((Width-4-(valW[0]+valW[1]+valW[2])-3*3)/3, 1)
	var b strings.Builder
	m := p.Manifest
	b.WriteString(fit(fmt.Sprintf("%s, table %s, run %s", p.Date, p.Window, m.RunID)) + "\n")
	b.WriteString(fit(fmt.Sprintf("%s events in %s rows, per UTC hour; p99 is the hour's worst window", groupDigits(total(hours)), groupDigits(int64(p.Rows)))) + "\n")
	head := "UTC "
	for j, l := range []string{"EVENTS", "ERROR RATE", "P99 LATENCY (ms)"} {
		head += fmt.Sprintf("%-*s", barW+1+valW[j]+2, l)
	}
	b.WriteString(fit(strings.TrimRight(head, " ")) + "\n")
	for i, h := range hours {
		fmt.Fprintf(&b, "%02d  ", h.Start.Hour())
		bars := [3]string{bar(float64(h.Events), float64(maxEv), barW), strings.Repeat(" ", barW), strings.Repeat(" ", barW)}
		if h.ErrorRate != nil {
			bars[1] = bar(*h.ErrorRate, maxRate, barW)
		}
		if h.P99 != nil {
			bars[2] = bar(*h.P99, maxP99, barW)
		}
		for j, c := range []string{colorEvents, colorErrors, colorP99} {
			sep := "  "
			if j == 2 {
				sep = ""
			}
			fmt.Fprintf(&b, "%s %*s%s", paint(bars[j], c, o.Color), valW[j], cells[i][j], sep)
		}
		b.WriteString("\n")
	}
	bad := p.BadLines()
	b.WriteString("\n" + fit(fmt.Sprintf("bad lines of the run by reason (no trusted time): %s of %s lines", groupDigits(m.BadLines), groupDigits(m.Lines))) + "\n")
	var maxBad int64
	label, numW := 0, 0
	for _, r := range bad {
		maxBad = max(maxBad, r.Lines)
		label = max(label, utf8.RuneCountInString(r.Reason))
		numW = max(numW, len(groupDigits(r.Lines)))
	}
	label = min(label, 28)
	for _, r := range bad {
		name := r.Reason
		if utf8.RuneCountInString(name) > label {
			name = string([]rune(name)[:label-1]) + "…"
		}
		width := max(Width-label-2-1-numW, 1)
		fmt.Fprintf(&b, "%-*s  %s %*s\n", label, name, paint(bar(float64(r.Lines), float64(maxBad), width), colorBad, o.Color), numW, groupDigits(r.Lines))
	}
	if len(bad) == 0 {
		b.WriteString("none\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// fit cuts a line of text to Width columns.
func fit(s string) string {
	if utf8.RuneCountInString(s) <= Width {
		return s
	}
	return string([]rune(s)[:Width-1]) + "…"
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

// Numbers are the numbers WriteText draws, for JSON.
type Numbers struct {
	Date     string   `json:"date"`
	Window   string   `json:"window"`
	RunID    string   `json:"run_id"`
	Rows     int      `json:"rows"`
	Hours    []Hour   `json:"hours"`
	BadLines []Reason `json:"bad_lines_by_reason"`
}

// NumbersOf returns p's numbers with its hours.
func NumbersOf(p *Partition, hours []Hour) Numbers {
	return Numbers{p.Date, p.Window, p.Manifest.RunID, p.Rows, hours, p.BadLines()}
}

// WriteTable prints the numbers WriteText draws as a table.
func WriteTable(w io.Writer, p *Partition, hours []Hour) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s, table %s (run %s), per UTC hour:\n", p.Date, p.Window, p.Manifest.RunID)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "HOUR\tEVENTS\tERRORS\tERROR_RATE\tP99_MS\t")
	for _, h := range hours {
		rate, p99 := "-", "-"
		if h.ErrorRate != nil {
			rate = strconv.FormatFloat(*h.ErrorRate, 'f', 6, 64)
		}
		if h.P99 != nil {
			p99 = strconv.FormatFloat(*h.P99, 'f', 3, 64)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t\n", h.Start.Format("15:04"), h.Events, h.Errors, rate, p99)
	}
	tw.Flush()
	fmt.Fprintf(&b, "bad lines of the run by reason: %d of %d lines\n", p.Manifest.BadLines, p.Manifest.Lines)
	for _, r := range p.BadLines() {
		fmt.Fprintf(&b, "  %s\t%d\n", r.Reason, r.Lines)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
