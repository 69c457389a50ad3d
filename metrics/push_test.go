package metrics

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// pushed is one request the fake Pushgateway received, decoded.
type pushed struct {
	method, path string
	families     map[string]*dto.MetricFamily
}

func pushgateway(t *testing.T) (*httptest.Server, func() []pushed) {
	var mu sync.Mutex
	var got []pushed
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := pushed{method: r.Method, path: r.URL.Path, families: map[string]*dto.MetricFamily{}}
		dec := expfmt.NewDecoder(r.Body, expfmt.ResponseFormat(r.Header))
		for {
			var mf dto.MetricFamily
			if err := dec.Decode(&mf); err == io.EOF {
				break
			} else if err != nil {
				t.Errorf("decode pushed metrics: %v", err)
				break
			}
			p.families[mf.GetName()] = &mf
		}
		mu.Lock()
		got = append(got, p)
		mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []pushed {
		mu.Lock()
		defer mu.Unlock()
		return append([]pushed(nil), got...)
	}
}

func TestPushMetrics(t *testing.T) {
	srv, got := pushgateway(t)
	start := time.Date(2025, 11, 9, 1, 30, 0, 0, time.UTC)
	ok := Run{Mode: "daily", Success: true, Start: start, End: start.Add(90 * time.Second),
		Lines: 1000, Bad: map[string]int64{"not_json": 3, "bad_latency": 2}, BytesRead: 5000, Rows: 288, Retries: 4,
		Version: "v1.0.0", Commit: "abc"}
	if err := Push(context.Background(), srv.URL, ok); err != nil {
		t.Fatal(err)
	}
	failed := ok
	failed.Success, failed.Mode = false, "backfill"
	if err := Push(context.Background(), srv.URL, failed); err != nil {
		t.Fatal(err)
	}
	reqs := got()
	if len(reqs) != 2 {
		t.Fatalf("%d pushes", len(reqs))
	}
	p := reqs[0]
	if p.method != http.MethodPost || p.path != "/metrics/job/logsmith/mode/daily" {
		t.Errorf("push %s %s, want POST (Add) to /metrics/job/logsmith/mode/daily", p.method, p.path)
	}
	value := func(p pushed, name string) float64 {
		mf := p.families[name]
		if mf == nil || len(mf.Metric) == 0 {
			t.Errorf("%s not pushed", name)
			return -1
		}
		m := mf.Metric[0]
		if m.Gauge != nil {
			return m.Gauge.GetValue()
		}
		return m.Counter.GetValue()
	}
	for name, want := range map[string]float64{
		"logsmith_last_success_timestamp_seconds":    float64(start.Add(90 * time.Second).Unix()),
		"logsmith_last_completion_timestamp_seconds": float64(start.Add(90 * time.Second).Unix()),
		"logsmith_duration_seconds":                  90,
		"logsmith_lines_total":                       1000,
		"logsmith_bytes_read_total":                  5000,
		"logsmith_rows_written_total":                288,
		"logsmith_retries_total":                     4,
	} {
		if got := value(p, name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	bad := p.families["logsmith_bad_lines_total"]
	if bad == nil || len(bad.Metric) != 2 {
		t.Fatalf("logsmith_bad_lines_total = %v", bad)
	}
	for _, m := range bad.Metric {
		if l := m.Label[0]; l.GetName() != "reason" || (l.GetValue() == "not_json" && m.Counter.GetValue() != 3) {
			t.Errorf("bad line metric %v", m)
		}
	}
	for _, p := range reqs {
		for _, mf := range p.families {
			for _, m := range mf.Metric {
				for _, l := range m.Label {
					if l.GetName() == "date" {
						t.Errorf("%s carries a date label", mf.GetName())
					}
				}
			}
		}
	}
	if f := reqs[1]; f.path != "/metrics/job/logsmith/mode/backfill" || f.families["logsmith_last_success_timestamp_seconds"] != nil ||
		f.families["logsmith_last_completion_timestamp_seconds"] == nil {
		t.Errorf("failed run pushed %s with success timestamp %v", f.path, f.families["logsmith_last_success_timestamp_seconds"])
	}
}
