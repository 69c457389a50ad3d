// Command duckpeer computes, with DuckDB, what a default logsmith run
// computes from the benchmark's logs: per 5-minute window the event count,
// errors (status >= 500), and latency count, average, minimum, maximum,
// standard deviation and p50/p90/p95/p99 (approximate, as logsmith's
// sketches are). scripts/bench.sh runs it in the same run as logsmith, so
// that logsmith's wall time is judged against a peer's.
//
//	duckpeer --glob 'DIR/**/*.jsonl.gz' --threads 2
//
// With --group-by FIELD it computes the same columns per window and value
// of FIELD (a string field), with exact quantiles (quantile_disc), as
// scripts/scalebench.sh's entity curves compare with logsmith's
// --group-by; --window sets the window (default 5m).
//
// By default the rows are only counted: the query is wrapped in
// SELECT count(*), sum(events), and DuckDB's optimizer then drops every
// aggregate the count does not read (EXPLAIN ANALYZE shows the grouped
// aggregate computing count_star() alone: no quantiles, no deviation).
// That is a peer that does less than logsmith. With --out FILE the rows
// are materialized as logsmith writes them: COPY to a zstd-compressed
// Parquet file with the columns of logsmith's default table (window start
// and end, the group, counts, error rate, latency statistics), so every
// aggregate is computed and encoded. --explain prints the query's
// EXPLAIN ANALYZE to standard error.
//
// It prints "<rows> <events> <seconds>" (rows: windows, or windows ×
// groups; seconds of the query alone, DuckDB's start-up excluded).
package main

import (
	"database/sql"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
)

func main() {
	glob := flag.String("glob", "", "files to read, a DuckDB glob")
	threads := flag.Int("threads", 2, "DuckDB threads")
	groupBy := flag.String("group-by", "", "string field to group by within each window (exact quantiles)")
	window := flag.Duration("window", 5*time.Minute, "window length")
	out := flag.String("out", "", "write the rows to this Parquet file (zstd), as logsmith does, instead of only counting them")
	explain := flag.Bool("explain", false, "print the query's EXPLAIN ANALYZE to standard error")
	level := flag.Int("zstd-level", 0, "with --out: the zstd level (0: DuckDB's default, 3; 1 is what logsmith's --parquet-compression zstd-fastest stands for)")
	flag.Parse()
	if *glob == "" {
		fmt.Fprintln(os.Stderr, "duckpeer: --glob is required")
		os.Exit(2)
	}
	if err := run(*glob, *threads, *groupBy, *window, *out, *level, *explain); err != nil {
		fmt.Fprintln(os.Stderr, "duckpeer:", err)
		os.Exit(1)
	}
}

// rowsQuery reads only the fields the table needs, skips malformed lines
// as logsmith does, and buckets by the window in UTC: one row per window
// (and group, with %[3]s the group-by field), with logsmith's default
// columns but window_end, which the materialized query adds. %[1]d is the window in seconds, %[2]s the glob, %[4]s the
// quantile function.
const rowsQuery = `
  SELECT time_bucket(INTERVAL %[1]d SECONDS, ts) AS window_start,
         %[5]s
         count(*) AS events,
         count(*) FILTER (WHERE status >= 500) AS errors,
         count(*) FILTER (WHERE level IN ('WARN', 'WARNING')) AS warns,
         (count(*) FILTER (WHERE status >= 500)) / count(*) AS error_rate,
         avg(latency_ms) AS latency_avg_ms, min(latency_ms) AS latency_min_ms,
         max(latency_ms) AS latency_max_ms, %[6]s(latency_ms) AS latency_stddev_ms,
         %[4]s(latency_ms, [0.5, 0.9, 0.95, 0.99]) AS q
  FROM read_ndjson(%[2]s,
         columns = {'timestamp': 'TIMESTAMPTZ', 'level': 'VARCHAR', 'status': 'INTEGER', 'latency_ms': 'DOUBLE'%[3]s},
         ignore_errors = true)
       AS t(ts, level, status, latency_ms%[7]s)
  WHERE ts IS NOT NULL
  GROUP BY ALL`

// query builds the rows query: ungrouped with approximate quantiles and
// the sample deviation, grouped with exact ones and the population
// deviation, as logsmith's columns are.
func query(glob, groupBy string, window time.Duration) string {
	lit := func(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
	if groupBy == "" {
		return fmt.Sprintf(rowsQuery, int64(window/time.Second), lit(glob), "", "approx_quantile", "", "stddev_samp", "")
	}
	return fmt.Sprintf(rowsQuery, int64(window/time.Second), lit(glob), ", "+lit(groupBy)+": 'VARCHAR'",
		"quantile_disc", "entity,", "stddev_pop", ", entity")
}

func run(glob string, threads int, groupBy string, window time.Duration, out string, level int, explain bool) error {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	for _, s := range []string{fmt.Sprintf("SET threads = %d", threads), "SET TimeZone = 'UTC'"} {
		if _, err := db.Exec(s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	inner := query(glob, groupBy, window)
	order := "" // rows sorted as logsmith writes them: by window, then group
	if groupBy != "" {
		order = ", entity"
	}
	// Materialized: the quantile list spread into logsmith's four columns.
	materialized := fmt.Sprintf("SELECT window_start, window_start + INTERVAL %d SECONDS AS window_end, * EXCLUDE (window_start, q), q[1] AS latency_p50_ms, q[2] AS latency_p90_ms, q[3] AS latency_p95_ms, q[4] AS latency_p99_ms FROM (%s) ORDER BY window_start%s", int64(window/time.Second), inner, order)
	lit := func(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
	var q string
	if out != "" {
		comp := "COMPRESSION zstd"
		if level != 0 {
			comp += fmt.Sprintf(", COMPRESSION_LEVEL %d", level)
		}
		q = "COPY (" + materialized + ") TO " + lit(out) + " (FORMAT parquet, " + comp + ")"
	} else {
		q = "SELECT count(*) AS rows, sum(events) AS events FROM (" + inner + ")"
	}
	if explain {
		var kind, plan string
		if err := db.QueryRow("EXPLAIN ANALYZE "+q).Scan(&kind, &plan); err != nil {
			return fmt.Errorf("explain: %w", err)
		}
		fmt.Fprintln(os.Stderr, plan)
		if out != "" {
			if err := os.Remove(out); err != nil {
				return err
			}
		}
	}
	start := time.Now()
	var rows, events int64
	if out == "" {
		if err := db.QueryRow(q).Scan(&rows, &events); err != nil {
			return fmt.Errorf("query: %w", err)
		}
	} else {
		if _, err := db.Exec(q); err != nil {
			return fmt.Errorf("copy: %w", err)
		}
		// The file's own count, read back: what was written.
		if err := db.QueryRow("SELECT count(*), sum(events) FROM read_parquet("+lit(out)+")").Scan(&rows, &events); err != nil {
			return fmt.Errorf("read back %s: %w", out, err)
		}
	}
	fmt.Printf("%d %d %.4f\n", rows, events, time.Since(start).Seconds())
	return nil
}
