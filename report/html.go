package report

import (
	"errors"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Chart geometry of the HTML report, in SVG user units.
const (
	svgWidth, svgHeight = 720.0, 150.0
	svgPad              = 30.0
)

// WriteHTML writes one self-contained HTML page of the partitions: per
// date and table, a line chart each of the events, error rate and p99
// latency of every window, a table of the hourly sums (for tumbling tables
// of windows of an hour or less) and the run's bad lines by reason. The
// page loads nothing: no script, stylesheet, font or image from anywhere.
func WriteHTML(w io.Writer, title string, parts []*Partition) error {
	page := htmlPage{Title: title}
	var date *htmlDate
	for _, p := range parts {
		if date == nil || date.Date != p.Date {
			page.Dates = append(page.Dates, htmlDate{Date: p.Date})
			date = &page.Dates[len(page.Dates)-1]
		}
		t, err := newHTMLTable(p)
		if err != nil {
			return err
		}
		date.Tables = append(date.Tables, t)
	}
	return pageTemplate.Execute(w, page)
}

type htmlPage struct {
	Title string
	Dates []htmlDate
}

type htmlDate struct {
	Date   string
	Tables []htmlTable
}

type htmlTable struct {
	P         *Partition
	Events    int64
	Charts    []htmlChart
	Hours     []Hour
	NoHours   string // why there are no hourly sums, or ""
	Bad       []Reason
	Quality   string
	Committed string
}

type htmlChart struct {
	Metric, Title string
	Points        int // points drawn
	Lines         []string
	Top, Bottom   string // the axis labels
}

func newHTMLTable(p *Partition) (htmlTable, error) {
	t := htmlTable{P: p, Bad: p.BadLines(), Committed: p.Manifest.CommittedAt.UTC().Format(time.RFC3339)}
	for _, w := range p.Points {
		t.Events += w.Events
	}
	hours, err := p.Hours()
	switch {
	case errors.Is(err, ErrNotHourly):
		t.NoHours = err.Error()
	case err != nil:
		return t, err
	default:
		t.Hours = hours
	}
	if q := p.Manifest.Quality; q != nil {
		t.Quality = fmt.Sprintf("judged on %s lines, %s bad; %s objects, %s damaged",
			trimFloat(q.Lines), trimFloat(q.BadLines), trimFloat(q.Objects), trimFloat(q.DamagedObjects))
	}
	get := []struct {
		metric, title string
		v             func(Point) *float64
		label         func(float64) string
	}{
		{"events", "events per window", func(w Point) *float64 { v := float64(w.Events); return &v }, func(v float64) string { return groupDigits(int64(v)) }},
		{"error_rate", "error rate per window", Point.ErrorRate, func(v float64) string { return percent(&v) }},
		{"p99", "p99 latency per window, worst group (ms)", func(w Point) *float64 { return w.P99 }, func(v float64) string { return millis(&v) }},
	}
	for _, g := range get {
		t.Charts = append(t.Charts, lineChart(p, g.metric, g.title, g.v, g.label))
	}
	return t, nil
}

// lineChart draws v of each window against time of day: one polyline per
// run of windows with a value, so a window without one is a gap, not a
// zero.
func lineChart(p *Partition, metric, title string, v func(Point) *float64, label func(float64) string) htmlChart {
	c := htmlChart{Metric: metric, Title: title}
	day, _ := time.Parse(time.DateOnly, p.Date)
	var top float64
	for _, w := range p.Points {
		if x := v(w); x != nil {
			top = max(top, *x)
		}
	}
	c.Top, c.Bottom = label(top), label(0)
	var cur []string
	flush := func() {
		if len(cur) > 0 {
			c.Lines = append(c.Lines, strings.Join(cur, " "))
		}
		cur = nil
	}
	for _, w := range p.Points {
		x := v(w)
		if x == nil {
			flush()
			continue
		}
		px := svgPad + (svgWidth-2*svgPad)*float64(w.Start.Sub(day))/float64(24*time.Hour)
		py := svgHeight - svgPad
		if top > 0 {
			py -= (svgHeight - 2*svgPad) * *x / top
		}
		cur = append(cur, strconv.FormatFloat(px, 'f', 1, 64)+","+strconv.FormatFloat(py, 'f', 1, 64))
		c.Points++
	}
	flush()
	return c
}

// trimFloat renders a count that may be a fraction (see table.Quality).
func trimFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// exact renders a value for a data-value attribute: every digit, "" when
// nil.
func exact(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'g', -1, 64)
}

var pageTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"digits":  groupDigits,
	"percent": percent,
	"millis":  millis,
	"exact":   exact,
	"hour":    func(t time.Time) string { return t.Format("15:04") },
	"width":   func() float64 { return svgWidth },
	"height":  func() float64 { return svgHeight },
	"pad":     func() float64 { return svgPad },
	"barW": func(n, top int64) string {
		if top <= 0 {
			return "0"
		}
		return strconv.FormatFloat(400*float64(n)/float64(top), 'f', 1, 64)
	},
	"topBad": func(rs []Reason) int64 {
		if len(rs) == 0 {
			return 0
		}
		return rs[0].Lines
	},
	"mul": func(i int, f float64) float64 { return float64(i) * f },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>{{.Title}}</title>
<style>
body { font-family: sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
td, th { border: 1px solid #ccc; padding: 2px 8px; text-align: right; }
th { background: #f4f4f4; }
td.reason { text-align: left; }
svg { display: block; margin: 0.5em 0; background: #fafafa; border: 1px solid #ddd; }
polyline { fill: none; stroke-width: 1.5; }
.events polyline { stroke: #1f77b4; }
.error_rate polyline { stroke: #d62728; }
.p99 polyline { stroke: #ff7f0e; }
rect.bad { fill: #9467bd; }
.note { color: #666; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
{{- if not .Dates}}
<p class="note">Nothing committed.</p>
{{- end}}
{{- range .Dates}}
<section class="date" data-date="{{.Date}}">
<h2>{{.Date}}</h2>
{{- range .Tables}}
<section class="table" data-window="{{.P.Window}}" data-events="{{.Events}}" data-rows="{{.P.Rows}}">
<h3>table {{.P.Window}}</h3>
<p>run {{.P.Manifest.RunID}}, committed {{.Committed}}: {{.P.Rows}} rows, {{digits .Events}} events in {{len .P.Points}} windows.</p>
{{- range .Charts}}
<figure class="chart {{.Metric}}" data-metric="{{.Metric}}" data-points="{{.Points}}">
<figcaption>{{.Title}}</figcaption>
<svg xmlns="http://www.w3.org/2000/svg" width="{{width}}" height="{{height}}" viewBox="0 0 {{width}} {{height}}" role="img" aria-label="{{.Title}}">
<line x1="{{pad}}" y1="{{pad}}" x2="{{pad}}" y2="120" stroke="#999"/>
<line x1="{{pad}}" y1="120" x2="690" y2="120" stroke="#999"/>
<text x="2" y="{{pad}}" font-size="10">{{.Top}}</text>
<text x="2" y="120" font-size="10">{{.Bottom}}</text>
<text x="{{pad}}" y="140" font-size="10">00:00</text>
<text x="345" y="140" font-size="10">12:00</text>
<text x="660" y="140" font-size="10">24:00</text>
{{- range .Lines}}
<polyline points="{{.}}"/>
{{- end}}
</svg>
</figure>
{{- end}}
{{- if .Hours}}
<table class="hours">
<caption>per UTC hour: sums over the hour's windows; p99 is its worst window's</caption>
<tr><th>hour</th><th>events</th><th>errors</th><th>error rate</th><th>p99 (ms)</th></tr>
{{- range .Hours}}
<tr class="hour" data-hour="{{hour .Start}}"><td>{{hour .Start}}</td><td class="events" data-value="{{.Events}}">{{digits .Events}}</td><td class="errors" data-value="{{.Errors}}">{{digits .Errors}}</td><td class="error_rate" data-value="{{exact .ErrorRate}}">{{percent .ErrorRate}}</td><td class="p99" data-value="{{exact .P99}}">{{millis .P99}}</td></tr>
{{- end}}
</table>
{{- else}}
<p class="note">No hourly sums: {{.NoHours}}.</p>
{{- end}}
<h4>quality</h4>
<p>{{.P.Manifest.Lines}} lines read by the run, {{.P.Manifest.BadLines}} bad{{if .Quality}}; the date was {{.Quality}}{{end}}. A bad line has no time anyone can trust: these are the run's, not an hour's.</p>
{{- if .Bad}}
{{- $top := topBad .Bad}}
<table class="bad">
<tr><th>reason</th><th>bad lines</th></tr>
{{- range .Bad}}
<tr class="reason" data-reason="{{.Reason}}"><td class="reason">{{.Reason}}</td><td class="lines" data-value="{{.Lines}}">{{digits .Lines}}</td></tr>
{{- end}}
</table>
<svg class="bad" xmlns="http://www.w3.org/2000/svg" width="{{width}}" height="{{mul (len .Bad) 20}}" role="img" aria-label="bad lines by reason">
{{- range $i, $r := .Bad}}
<rect class="bad" x="200" y="{{mul $i 20}}" width="{{barW $r.Lines $top}}" height="16"/><text x="0" y="{{mul $i 20}}" dy="12" font-size="11">{{$r.Reason}}</text>
{{- end}}
</svg>
{{- else}}
<p>No bad lines.</p>
{{- end}}
</section>
{{- end}}
</section>
{{- end}}
</body>
</html>
`))

// WriteHTMLFile writes WriteHTML's page to path through a temporary file
// in its folder, synced and renamed into place: a reader never sees half a
// page.
func WriteHTMLFile(path, title string, parts []*Partition) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	err = tmp.Chmod(0o644) // a page to share, as a file the shell would create
	if err == nil {
		err = WriteHTML(tmp, title, parts)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
