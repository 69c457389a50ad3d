package report_test

import (
	"database/sql"
	"errors"
	"math"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/logsmith/logsmith/report"
)

// duck holds what DuckDB computes over one committed Parquet file.
type duck struct {
	windows []duckRow // per window start
	hours   []duckRow // per UTC hour that has a row
	total   int64
	// notHourly: some window overlaps another or is not inside one hour.
	notHourly bool
}

type duckRow struct {
	start, end     int64 // epoch ms
	events, errors int64
	p99            *float64
}

// duckdbOf runs the independent computation over path.
func duckdbOf(t *testing.T, db *sql.DB, path string) duck {
	t.Helper()
	var d duck
	rows := func(q string) []duckRow {
		rs, err := db.Query(q, path)
		if err != nil {
			t.Fatal(err)
		}
		defer rs.Close()
		var out []duckRow
		for rs.Next() {
			var r duckRow
			var p99 sql.NullFloat64
			if err := rs.Scan(&r.start, &r.end, &r.events, &r.errors, &p99); err != nil {
				t.Fatal(err)
			}
			if p99.Valid {
				r.p99 = &p99.Float64
			}
			out = append(out, r)
		}
		if err := rs.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	d.windows = rows(`SELECT epoch_ms(window_start), epoch_ms(max(window_end)), sum(request_count)::BIGINT, sum(error_count)::BIGINT, max(latency_p99_ms)
		FROM read_parquet(?) GROUP BY window_start ORDER BY window_start`)
	d.hours = rows(`SELECT epoch_ms(date_trunc('hour', window_start AT TIME ZONE 'UTC')), 0, sum(request_count)::BIGINT, sum(error_count)::BIGINT, max(latency_p99_ms)
		FROM read_parquet(?) GROUP BY 1 ORDER BY 1`)
	if err := db.QueryRow(`SELECT coalesce(sum(request_count), 0)::BIGINT FROM read_parquet(?)`, path).Scan(&d.total); err != nil {
		t.Fatal(err)
	}
	var bad int64
	if err := db.QueryRow(`WITH w AS (SELECT DISTINCT window_start s, window_end e FROM read_parquet(?))
		SELECT (SELECT count(*) FROM w a JOIN w b ON a.s < b.s AND b.s < a.e)
		     + (SELECT count(*) FROM w WHERE date_trunc('hour', s AT TIME ZONE 'UTC') <> date_trunc('hour', (e - INTERVAL 1 millisecond) AT TIME ZONE 'UTC'))`,
		path).Scan(&bad); err != nil {
		t.Fatal(err)
	}
	d.notHourly = bad > 0
	return d
}

func sameP99(a, b *float64) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}

func sameRate(got *float64, errs, events int64) bool {
	if events == 0 {
		return got == nil
	}
	return got != nil && math.Abs(*got-float64(errs)/float64(events)) <= 1e-12
}

// checkAgainstDuckDB compares what the pictures draw of each table of
// each fixture with DuckDB's sums over the same committed files.
func checkAgainstDuckDB(t *testing.T, fixtures []fixture) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, f := range fixtures {
		files := f.copyOut(t)
		for _, p := range f.partitions(t) {
			d := duckdbOf(t, db, files[p.Window])
			name := f.name + "/" + p.Window
			if len(p.Points) != len(d.windows) {
				t.Errorf("%s: %d windows, DuckDB %d", name, len(p.Points), len(d.windows))
				continue
			}
			for i, w := range p.Points {
				r := d.windows[i]
				if w.Start.UnixMilli() != r.start || w.End.UnixMilli() != r.end || w.Events != r.events || w.Errors != r.errors ||
					!sameP99(w.P99, r.p99) || !sameRate(w.ErrorRate(), r.errors, r.events) {
					t.Errorf("%s: window %s = %+v, DuckDB %+v", name, w.Start, w, r)
				}
			}
			hours, err := p.Hours()
			if d.notHourly {
				if !errors.Is(err, report.ErrNotHourly) {
					t.Errorf("%s: its windows overlap or straddle an hour, yet Hours() = %v, %v", name, hours, err)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s: Hours: %v", name, err)
				continue
			}
			if len(hours) != 24 {
				t.Fatalf("%s: %d hours", name, len(hours))
			}
			byHour := map[int64]duckRow{}
			for _, r := range d.hours {
				byHour[r.start] = r
			}
			var sum int64
			for _, h := range hours {
				r := byHour[h.Start.UnixMilli()] // zero when DuckDB has no row of the hour
				sum += h.Events
				if h.Events != r.events || h.Errors != r.errors || !sameP99(h.P99, r.p99) || !sameRate(h.ErrorRate, r.errors, r.events) {
					t.Errorf("%s: hour %s = %+v, DuckDB %+v", name, h.Start.Format(time.TimeOnly), h, r)
				}
			}
			if sum != d.total || (p.Manifest.EventsOnce && sum != p.Manifest.PartitionEvents) {
				t.Errorf("%s: hours hold %d events, DuckDB %d, the manifest %d", name, sum, d.total, p.Manifest.PartitionEvents)
			}
			var bad int64
			for _, r := range p.BadLines() {
				bad += r.Lines
			}
			if bad != p.Manifest.BadLines || bad == 0 {
				t.Errorf("%s: bad lines by reason sum to %d, the manifest has %d", name, bad, p.Manifest.BadLines)
			}
		}
	}
}

// TestPicturesAgainstDuckDB: the per-window and per-hour numbers the
// pictures draw equal DuckDB's over the committed files, for tables with
// groups, gaps, null latencies, windows of a minute to two hours and a
// sliding table (refused for hourly sums), on a local output.
func TestPicturesAgainstDuckDB(t *testing.T) {
	checkAgainstDuckDB(t, localOutputs(t))
}

// TestPicturesAgainstDuckDBOnMinIO is TestPicturesAgainstDuckDB with the
// output in a real MinIO.
func TestPicturesAgainstDuckDBOnMinIO(t *testing.T) {
	checkAgainstDuckDB(t, minioOutputs(t))
}
