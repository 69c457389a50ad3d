package features

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"
)

// SchemaVersion is the version of the Row schema: the minor part grows when
// a column is added, the major part when one is renamed or removed.
const SchemaVersion = "1.0"

// Row is one window of features. Latency columns are in milliseconds and are
// null when no event in the window carried a latency.
type Row struct {
	WindowStart   time.Time `parquet:"window_start,timestamp(millisecond:utc)"`
	WindowEnd     time.Time `parquet:"window_end,timestamp(millisecond:utc)"`
	RequestCount  int64     `parquet:"request_count"`
	ErrorCount    int64     `parquet:"error_count"`
	WarnCount     int64     `parquet:"warn_count"`
	ErrorRate     float64   `parquet:"error_rate"`
	AvgLatency    *float64  `parquet:"avg_latency,optional"`
	MinLatency    *float64  `parquet:"min_latency,optional"`
	MaxLatency    *float64  `parquet:"max_latency,optional"`
	StddevLatency *float64  `parquet:"stddev_latency,optional"`
	P50Latency    *float64  `parquet:"p50_latency,optional"`
	P90Latency    *float64  `parquet:"p90_latency,optional"`
	P95Latency    *float64  `parquet:"p95_latency,optional"`
	P99Latency    *float64  `parquet:"p99_latency,optional"`
}

// Columns lists the output columns in order, as written to Parquet and CSV.
var Columns = []string{
	"window_start", "window_end", "request_count", "error_count", "warn_count", "error_rate",
	"avg_latency", "min_latency", "max_latency", "stddev_latency",
	"p50_latency", "p90_latency", "p95_latency", "p99_latency",
}

// WriteParquet writes rows as one zstd-compressed Parquet file. The output
// depends only on rows.
func WriteParquet(w io.Writer, rows []Row) error {
	pw := parquet.NewGenericWriter[Row](w,
		parquet.Compression(&zstd.Codec{Level: zstd.SpeedDefault}),
		parquet.CreatedBy("logsmith", "", ""),
	)
	if _, err := pw.Write(rows); err != nil {
		return fmt.Errorf("write parquet rows: %w", err)
	}
	if err := pw.Close(); err != nil {
		return fmt.Errorf("close parquet writer: %w", err)
	}
	return nil
}

// WriteCSV writes rows as CSV with a header row. Timestamps are RFC 3339 in
// UTC; null latencies are empty fields.
func WriteCSV(w io.Writer, rows []Row) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(Columns); err != nil {
		return fmt.Errorf("write csv header: %w", err)
	}
	rec := make([]string, len(Columns))
	for _, r := range rows {
		rec[0] = r.WindowStart.UTC().Format(time.RFC3339)
		rec[1] = r.WindowEnd.UTC().Format(time.RFC3339)
		rec[2] = strconv.FormatInt(r.RequestCount, 10)
		rec[3] = strconv.FormatInt(r.ErrorCount, 10)
		rec[4] = strconv.FormatInt(r.WarnCount, 10)
		rec[5] = formatFloat(r.ErrorRate)
		for i, p := range []*float64{r.AvgLatency, r.MinLatency, r.MaxLatency, r.StddevLatency,
			r.P50Latency, r.P90Latency, r.P95Latency, r.P99Latency} {
			rec[6+i] = ""
			if p != nil {
				rec[6+i] = formatFloat(*p)
			}
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("write csv row: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("flush csv: %w", err)
	}
	return nil
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
