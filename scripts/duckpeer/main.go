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
	flag.Parse()
	if *glob == "" {
		fmt.Fprintln(os.Stderr, "duckpeer: --glob is required")
		os.Exit(2)
	}
	if err := run(*glob, *threads, *groupBy, *window); err != nil {
		fmt.Fprintln(os.Stderr, "duckpeer:", err)
		os.Exit(1)
	}
}

// query reads only the three fields the table needs, skips malformed lines
// as logsmith does, and buckets by 5 minutes in UTC.
const query = `
SELECT count(*) AS windows, sum(events) AS events FROM (
  SELECT time_bucket(INTERVAL 5 MINUTES, ts) AS window_start,
         count(*) AS events,
         count(*) FILTER (WHERE status >= 500) AS errors,
         count(latency_ms) AS latency_count,
         avg(latency_ms), min(latency_ms), max(latency_ms), stddev_samp(latency_ms),
         approx_quantile(latency_ms, [0.5, 0.9, 0.95, 0.99])
  FROM read_ndjson(%s,
         columns = {'timestamp': 'TIMESTAMPTZ', 'status': 'INTEGER', 'latency_ms': 'DOUBLE'},
         ignore_errors = true)
       AS t(ts, status, latency_ms)
  WHERE ts IS NOT NULL
  GROUP BY window_start
)`

// groupedQuery is query per window and group, with exact quantiles.
const groupedQuery = `
SELECT count(*) AS rows, sum(events) AS events FROM (
  SELECT time_bucket(INTERVAL %d SECONDS, ts) AS window_start, entity,
         count(*) AS events,
         count(*) FILTER (WHERE status >= 500) AS errors,
         count(latency_ms) AS latency_count,
         avg(latency_ms), min(latency_ms), max(latency_ms), stddev_pop(latency_ms),
         quantile_disc(latency_ms, [0.5, 0.9, 0.95, 0.99])
  FROM read_ndjson(%s,
         columns = {'timestamp': 'TIMESTAMPTZ', 'status': 'INTEGER', 'latency_ms': 'DOUBLE', %s: 'VARCHAR'},
         ignore_errors = true)
       AS t(ts, status, latency_ms, entity)
  WHERE ts IS NOT NULL
  GROUP BY window_start, entity
)`

func run(glob string, threads int, groupBy string, window time.Duration) error {
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
	start := time.Now()
	var windows, events int64
	lit := func(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
	q := fmt.Sprintf(query, lit(glob))
	if groupBy != "" {
		q = fmt.Sprintf(groupedQuery, int64(window/time.Second), lit(glob), lit(groupBy))
	}
	if err := db.QueryRow(q).Scan(&windows, &events); err != nil {
		return fmt.Errorf("query: %w", err)
	}
	fmt.Printf("%d %d %.4f\n", windows, events, time.Since(start).Seconds())
	return nil
}
