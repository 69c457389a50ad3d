package report_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/logsmith/logsmith/report"
)

// browser starts a headless Chromium for the test. Without one it fails
// under scripts/test.sh (and so .ci/run), which installs Debian's chromium
// and sets LOGSMITH_TEST_BROWSER, and in CI (CI=true); elsewhere it skips,
// saying so loudly.
func browser(t *testing.T) context.Context {
	t.Helper()
	var path string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("CI") != "" || os.Getenv("LOGSMITH_TEST_BROWSER") != "" {
			t.Fatal("no chromium on PATH, yet CI or LOGSMITH_TEST_BROWSER is set: scripts/test.sh installs it (apt-get install chromium)")
		}
		t.Skip("SKIPPED, NOT TESTED: the HTML report is rendered in no browser: no chromium on PATH (apt-get install chromium, or run scripts/test.sh)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.Flag("disable-dev-shm-usage", true))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[string](`navigator.userAgent`)); err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	return ctx
}

// rendered is what a page loaded in the browser did and shows.
type rendered struct {
	requests []string // URLs requested besides the page itself
	problems []string // console errors and uncaught exceptions
	tables   []renderedTable
}

type renderedTable struct {
	Date   string `json:"date"`
	Window string `json:"window"`
	Charts []struct {
		Metric string  `json:"metric"`
		SVGs   int     `json:"svgs"`
		Points int     `json:"points"`
		Width  float64 `json:"width"`
	} `json:"charts"`
	Hours []struct {
		Hour, Events, Errors, Rate, P99, EventsText string
	} `json:"hours"`
	Bad []struct {
		Reason, Lines string
	} `json:"bad"`
}

// domQuery reads the report's charts and tables from the rendered DOM: the
// polylines' points as the browser parsed them, the cells' values.
const domQuery = `JSON.stringify([...document.querySelectorAll('section.table')].map(s => ({
  date: s.closest('section.date').dataset.date,
  window: s.dataset.window,
  charts: [...s.querySelectorAll('figure.chart')].map(f => ({
    metric: f.dataset.metric,
    svgs: f.querySelectorAll('svg').length,
    points: [...f.querySelectorAll('polyline')].reduce((n, p) => n + p.points.numberOfItems, 0),
    width: f.querySelector('svg') ? f.querySelector('svg').getBoundingClientRect().width : 0,
  })),
  hours: [...s.querySelectorAll('table.hours tr.hour')].map(r => ({
    Hour: r.dataset.hour,
    Events: r.querySelector('td.events').dataset.value,
    Errors: r.querySelector('td.errors').dataset.value,
    Rate: r.querySelector('td.error_rate').dataset.value,
    P99: r.querySelector('td.p99').dataset.value,
    EventsText: r.querySelector('td.events').textContent,
  })),
  bad: [...s.querySelectorAll('table.bad tr.reason')].map(r => ({
    Reason: r.dataset.reason, Lines: r.querySelector('td.lines').dataset.value,
  })),
})))`

// render loads the HTML file at path in the browser and reads it back.
func render(t *testing.T, ctx context.Context, path string) rendered {
	t.Helper()
	ctx, cancel := chromedp.NewContext(ctx) // a new tab
	defer cancel()
	ctx, tcancel := context.WithTimeout(ctx, 2*time.Minute)
	defer tcancel()
	page := "file://" + path
	var mu sync.Mutex
	var r rendered
	err := chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			if ev.Request.URL != page {
				r.requests = append(r.requests, ev.Request.URL)
			}
		case *runtime.EventConsoleAPICalled:
			if ty := string(ev.Type); ty == "error" || ty == "warning" || ty == "assert" {
				r.problems = append(r.problems, "console."+ty)
			}
		case *runtime.EventExceptionThrown:
			r.problems = append(r.problems, "exception: "+ev.ExceptionDetails.Text)
		case *cdplog.EventEntryAdded:
			if ev.Entry.Level == cdplog.EntryLevelError || ev.Entry.Level == cdplog.EntryLevelWarning {
				r.problems = append(r.problems, "log: "+ev.Entry.Text)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(page)); err != nil {
		t.Fatalf("render %s: %v", path, err)
	}
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](domQuery))
	if err != nil {
		t.Fatalf("read the DOM of %s: %v", path, err)
	}
	if err := json.Unmarshal([]byte(out), &r.tables); err != nil {
		t.Fatal(err)
	}
	// A round trip after the page loaded: the events it caused are in.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.readyState`)); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	return r
}

// TestBrowserNoticesRequestsAndErrors checks the checker: a page that
// loads an image and logs an error is caught, so that "none" in
// TestHTMLReportInChromium means none.
func TestBrowserNoticesRequestsAndErrors(t *testing.T) {
	ctx := browser(t)
	path := filepath.Join(t.TempDir(), "bad.html")
	page := `<!DOCTYPE html><html><body><img src="http://127.0.0.1:9/x.png"><script>console.error("boom")</script></body></html>`
	if err := os.WriteFile(path, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	r := render(t, ctx, path)
	if len(r.requests) == 0 || len(r.problems) == 0 {
		t.Fatalf("requests %q, problems %q: the checker misses them", r.requests, r.problems)
	}
}

// TestHTMLReportInChromium renders the report of each fixture output in
// headless Chromium: it loads nothing from anywhere and logs no error;
// each table has its three charts, drawn with one point per window that
// has the value (DuckDB's count over the committed file); and its tables'
// numbers are DuckDB's.
func TestHTMLReportInChromium(t *testing.T) {
	ctx := browser(t)
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, f := range localOutputs(t) {
		parts := f.partitions(t)
		files := f.copyOut(t)
		path := filepath.Join(t.TempDir(), f.name+".html")
		w, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := report.WriteHTML(w, "logsmith: "+f.out, parts); err != nil {
			t.Fatal(err)
		}
		w.Close()
		page, _ := os.ReadFile(path)
		for _, ref := range []string{"<script", "src=", "href=", "url(", "@import", "@font-face"} {
			if strings.Contains(string(page), ref) {
				t.Errorf("%s: the page has %q: not self-contained", f.name, ref)
			}
		}
		r := render(t, ctx, path)
		if len(r.requests) > 0 || len(r.problems) > 0 {
			t.Errorf("%s: requests %q, console problems %q", f.name, r.requests, r.problems)
		}
		if len(r.tables) != len(parts) {
			t.Fatalf("%s: %d tables rendered, %d committed", f.name, len(r.tables), len(parts))
		}
		for i, rt := range r.tables {
			p := parts[i]
			name := f.name + "/" + rt.Window
			if rt.Window != p.Window || rt.Date != day {
				t.Errorf("%s: table %d is %s %s, want %s %s", f.name, i, rt.Window, rt.Date, p.Window, day)
			}
			d := duckdbOf(t, db, files[rt.Window])
			want := map[string]int{}
			for _, w := range d.windows {
				want["events"]++
				if w.events > 0 {
					want["error_rate"]++
				}
				if w.p99 != nil {
					want["p99"]++
				}
			}
			if len(rt.Charts) != 3 {
				t.Errorf("%s: %d charts, want 3", name, len(rt.Charts))
			}
			for _, c := range rt.Charts {
				if c.SVGs != 1 || c.Points != want[c.Metric] || c.Width <= 0 {
					t.Errorf("%s: chart %s: %d svg, %d points, %.0f px wide; want 1 svg, %d points (DuckDB)", name, c.Metric, c.SVGs, c.Points, c.Width, want[c.Metric])
				}
			}
			checkHourCells(t, name, rt, d)
			var bad []string
			for _, b := range rt.Bad {
				bad = append(bad, b.Reason+"="+b.Lines)
			}
			var wantBad []string
			for _, b := range p.BadLines() {
				wantBad = append(wantBad, b.Reason+"="+strconv.FormatInt(b.Lines, 10))
			}
			if strings.Join(bad, ",") != strings.Join(wantBad, ",") || len(bad) == 0 {
				t.Errorf("%s: bad lines %v, the manifest %v", name, bad, wantBad)
			}
		}
	}
}

// checkHourCells compares the hourly table of a rendered report with
// DuckDB's sums; a table whose windows do not add up per hour has none.
func checkHourCells(t *testing.T, name string, rt renderedTable, d duck) {
	t.Helper()
	if d.notHourly {
		if len(rt.Hours) != 0 {
			t.Errorf("%s: its windows do not add up per hour, yet the report has %d hourly rows", name, len(rt.Hours))
		}
		return
	}
	if len(rt.Hours) != 24 {
		t.Fatalf("%s: %d hourly rows, want 24", name, len(rt.Hours))
	}
	byHour := map[string]duckRow{}
	for _, r := range d.hours {
		byHour[time.UnixMilli(r.start).UTC().Format("15:04")] = r
	}
	for _, h := range rt.Hours {
		r := byHour[h.Hour]
		rate := ""
		if r.events > 0 {
			rate = strconv.FormatFloat(float64(r.errors)/float64(r.events), 'g', -1, 64)
		}
		p99 := ""
		if r.p99 != nil {
			p99 = strconv.FormatFloat(*r.p99, 'g', -1, 64)
		}
		ev := strconv.FormatInt(r.events, 10)
		if h.Events != ev || strings.ReplaceAll(h.EventsText, ",", "") != ev || h.Errors != strconv.FormatInt(r.errors, 10) || h.Rate != rate || h.P99 != p99 {
			t.Errorf("%s: hour %s shows %+v; DuckDB: events %d, errors %d, rate %q, p99 %q", name, h.Hour, h, r.events, r.errors, rate, p99)
		}
	}
}
