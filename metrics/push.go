package metrics

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/push"

	"github.com/logsmith/logsmith/job"
)

// Run is what one run (or backfill) reports to Prometheus.
type Run struct {
	Mode      string // "daily" or "backfill": a grouping label, never the date
	Success   bool
	Start     time.Time
	End       time.Time
	Lines     int64
	Bad       map[string]int64
	BytesRead int64
	Rows      int64
	Retries   int64
	Version   string
	Commit    string
}

// Add adds a run's counts to m (for backfills, which push once at the end).
func (m *Run) Add(s *job.Summary) {
	if s == nil {
		return
	}
	m.Lines += s.Lines
	m.BytesRead += s.BytesRead
	m.Rows += int64(s.Rows)
	m.Retries += s.Retries
	if m.Bad == nil {
		m.Bad = map[string]int64{}
	}
	for k, v := range s.BadByReason {
		m.Bad[k] += v
	}
}

// Push sends m to the Pushgateway at url with Add (HTTP POST), so a
// failed run replaces only the metrics it sends: the last success timestamp
// of an earlier run survives. The grouping key is job="logsmith" and mode.
func Push(ctx context.Context, url string, m Run) error {
	reg := prometheus.NewRegistry()
	gauge := func(name, help string, v float64) {
		g := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
		g.Set(v)
		reg.MustRegister(g)
	}
	counter := func(name, help string, v float64) {
		c := prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
		c.Add(v)
		reg.MustRegister(c)
	}
	if m.Success {
		gauge("logsmith_last_success_timestamp_seconds", "End time of the last successful run, Unix seconds.", float64(m.End.UnixNano())/1e9)
	}
	gauge("logsmith_last_completion_timestamp_seconds", "End time of the last run, successful or not, Unix seconds.", float64(m.End.UnixNano())/1e9)
	gauge("logsmith_duration_seconds", "Duration of the last run.", m.End.Sub(m.Start).Seconds())
	counter("logsmith_lines_total", "Lines read by the last run.", float64(m.Lines))
	counter("logsmith_bytes_read_total", "Bytes read from storage by the last run.", float64(m.BytesRead))
	counter("logsmith_rows_written_total", "Feature rows written by the last run.", float64(m.Rows))
	counter("logsmith_retries_total", "Storage retries of the last run.", float64(m.Retries))
	bad := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "logsmith_bad_lines_total", Help: "Lines skipped by the last run, by reason."}, []string{"reason"})
	for r, v := range m.Bad {
		bad.WithLabelValues(r).Add(float64(v))
	}
	reg.MustRegister(bad)
	info := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "logsmith_build_info", Help: "Version of the binary that ran."}, []string{"version", "commit", "goversion"})
	info.WithLabelValues(m.Version, m.Commit, runtime.Version()).Set(1)
	reg.MustRegister(info)

	p := push.New(url, "logsmith").Grouping("mode", m.Mode).Gatherer(reg)
	if err := p.AddContext(ctx); err != nil {
		return fmt.Errorf("push metrics to %s: %w", url, err)
	}
	return nil
}

// Send pushes m to the Pushgateway at url and logs a failure to log:
// metrics never change the exit code. The push has 10 seconds, even when
// ctx is cancelled (an interrupted run still reports it failed).
func Send(ctx context.Context, url string, m Run, log *slog.Logger) {
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := Push(pctx, url, m); err != nil {
		log.Warn("push metrics", "error", err)
	}
}
