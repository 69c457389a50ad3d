package report

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/table"
)

// Partition is one committed date partition of a table, summed per window
// across its groups.
type Partition struct {
	Window   string          // the table's window name, e.g. 5m or 15m-every-5m
	Date     string          // YYYY-MM-DD
	Manifest *table.Manifest // the commit read
	// Points are the partition's windows in start order, each the sum of
	// its rows (one per group).
	Points []Point
	// Rows is the number of rows read: the manifest's count.
	Rows int
}

// Point is one window of a table, over all its groups.
type Point struct {
	Start time.Time `json:"window_start"`
	End   time.Time `json:"window_end"`
	// Events and Errors are the sums of request_count and error_count.
	Events int64 `json:"events"`
	Errors int64 `json:"errors"`
	// P99 is the highest latency_p99_ms of the window's groups (a
	// percentile does not add up across groups), nil when none has one.
	P99 *float64 `json:"p99_ms"`
}

// ErrorRate is Errors / Events, nil without events.
func (p Point) ErrorRate() *float64 { return rate(p.Errors, p.Events) }

func rate(errs, events int64) *float64 {
	if events == 0 {
		return nil
	}
	r := float64(errs) / float64(events)
	return &r
}

// ErrNoParquet means a committed partition holds no Parquet file, which is
// what the pictures are drawn from.
var ErrNoParquet = errors.New("no Parquet file: the pictures read Parquet (add parquet to the run's --format)")

// Read reads the commit in force of t's partition of date (waiting up to
// wait for one being published) and sums its rows per window. The Parquet
// object read must be the one the manifest lists, by size and SHA-256, and
// hold the rows it counts; anything else is an error, never a partial
// picture. A partition without a commit fails with storage.ErrNotExist.
func Read(ctx context.Context, t table.Table, date string, wait time.Duration) (*Partition, error) {
	m, err := t.Committed(ctx, date, wait)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", t.ManifestKey(date), err)
	}
	if m == nil {
		return nil, fmt.Errorf("read %s: no committed partition: %w", t.PartitionPrefix(date), storage.ErrNotExist)
	}
	fs := m.FilesOf("parquet")
	if len(fs) != 1 {
		return nil, fmt.Errorf("read %s: %w", t.PartitionPrefix(date), ErrNoParquet)
	}
	key := t.PartitionPrefix(date) + fs[0].Path
	points, rows, err := readParquet(ctx, t.Bucket, key, fs[0])
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	return &Partition{Window: cmpOr(m.Window, t.Window), Date: date, Manifest: m, Points: points, Rows: rows}, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// chartRow is the part of a feature table's row the pictures use.
type chartRow struct {
	WindowStart  time.Time `parquet:"window_start,timestamp(millisecond:utc)"`
	WindowEnd    time.Time `parquet:"window_end,timestamp(millisecond:utc)"`
	RequestCount int64     `parquet:"request_count"`
	ErrorCount   int64     `parquet:"error_count"`
	LatencyP99   *float64  `parquet:"latency_p99_ms,optional"`
}

// readParquet copies the object to a temporary file (Parquet is read from
// its end), checks it is f, and sums its rows per window.
func readParquet(ctx context.Context, b table.Bucket, key string, f table.File) ([]Point, int, error) {
	tmp, err := os.CreateTemp("", "logsmith-report-*.parquet")
	if err != nil {
		return nil, 0, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	rc, err := b.Open(ctx, key, 0)
	if err != nil {
		return nil, 0, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), rc)
	rc.Close()
	if err != nil {
		return nil, 0, err
	}
	if n != f.Size {
		return nil, 0, fmt.Errorf("read %d bytes, the manifest lists %d: not the committed object", n, f.Size)
	}
	if sum := hex.EncodeToString(h.Sum(nil)); f.SHA256 != "" && sum != f.SHA256 {
		return nil, 0, fmt.Errorf("sha256 %s, the manifest lists %s: not the committed object", sum, f.SHA256)
	}
	pf, err := parquet.OpenFile(tmp, n)
	if err != nil {
		return nil, 0, err
	}
	for _, col := range []string{"window_start", "window_end", "request_count", "error_count", "latency_p99_ms"} {
		if _, ok := pf.Schema().Lookup(col); !ok {
			return nil, 0, fmt.Errorf("no column %s: not a logsmith feature table", col)
		}
	}
	r := parquet.NewGenericReader[chartRow](pf)
	defer r.Close()
	var points []Point
	byStart := map[int64]int{} // window start (ms) -> index in points
	buf := make([]chartRow, 256)
	rows := 0
	for {
		k, err := r.Read(buf)
		for _, row := range buf[:k] {
			rows++
			ms := row.WindowStart.UnixMilli()
			i, ok := byStart[ms]
			if !ok {
				i = len(points)
				byStart[ms] = i
				points = append(points, Point{Start: row.WindowStart.UTC(), End: row.WindowEnd.UTC()})
			}
			p := &points[i]
			if !p.End.Equal(row.WindowEnd) {
				return nil, 0, fmt.Errorf("window starting %s ends at both %s and %s", p.Start.Format(time.RFC3339), p.End.Format(time.RFC3339), row.WindowEnd.UTC().Format(time.RFC3339))
			}
			p.Events += row.RequestCount
			p.Errors += row.ErrorCount
			if row.LatencyP99 != nil && (p.P99 == nil || *row.LatencyP99 > *p.P99) {
				v := *row.LatencyP99
				p.P99 = &v
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, 0, err
		}
	}
	if rows != f.Rows {
		return nil, 0, fmt.Errorf("read %d rows, the manifest lists %d", rows, f.Rows)
	}
	slices.SortFunc(points, func(a, b Point) int { return a.Start.Compare(b.Start) })
	return points, rows, nil
}

// sliding reports whether a table's windows overlap: its name is
// LENGTH-every-SLIDE.
func sliding(window string) bool { return strings.Contains(window, "-every-") }
