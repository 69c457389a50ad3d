// Command gen writes the fixtures of testdata/shapes whose producer is Go
// code or a published specification: each shape's input objects, in the
// bytes its producer writes, and its truth file, events.csv, from what the
// producer was asked to log (never parsed back from the output).
//
// It is a module of its own so that logsmith does not link the producers'
// code (moby, the OpenTelemetry collector's pdata, Cloud Logging's protos).
// Every run writes the same bytes: the random source is seeded, the clock
// is the plan's, and nothing reads the machine's time or names.
//
// usage: go run . -out ../.. [shape ...]
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// shapes maps each shape this generator writes to its writer. The writer
// fills dir/input and returns the truth.
var shapes = map[string]func(dir string) (*truth, error){
	"docker":                  genDocker,
	"cri":                     genCRI,
	"cloudwatch-export":       genCloudWatchExport,
	"cloudwatch-subscription": genCloudWatchSubscription,
	"firehose":                genFirehose,
	"cloudtrail":              genCloudTrail,
	"otlp-json":               genOTLP,
	"gcp":                     genGCP,
	"journald":                genJournald,
	"alb":                     genALB,
}

func main() {
	out := flag.String("out", "", "the testdata/shapes folder")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "gen: -out is required")
		os.Exit(2)
	}
	names := flag.Args()
	if len(names) == 0 {
		for name := range shapes {
			names = append(names, name)
		}
		slices.Sort(names)
	}
	for _, name := range names {
		gen, ok := shapes[name]
		if !ok {
			fmt.Fprintf(os.Stderr, "gen: no shape %q\n", name)
			os.Exit(2)
		}
		dir := filepath.Join(*out, name)
		if err := os.RemoveAll(filepath.Join(dir, "input")); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
		tr, err := gen(dir)
		if err == nil {
			err = tr.write(filepath.Join(dir, "events.csv"))
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "gen %s: %v\n", name, err)
			os.Exit(1)
		}
		fmt.Printf("%s: %d events\n", name, len(tr.rows))
	}
}

// rng is splitmix64: small, seeded, and the same on every Go version
// (math/rand's derived methods may change between releases).
type rng struct{ s uint64 }

func newRNG(seed uint64) *rng { return &rng{s: seed} }

func (r *rng) u64() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// between returns an integer in [lo, hi].
func (r *rng) between(lo, hi int64) int64 { return lo + int64(r.u64()%uint64(hi-lo+1)) }

func (r *rng) chance(p float64) bool { return float64(r.u64()>>11)/(1<<53) < p }

func pick[T any](r *rng, xs []T) T { return xs[r.u64()%uint64(len(xs))] }

// hex returns n random lowercase hex digits.
func (r *rng) hex(n int) string {
	var b strings.Builder
	for range n {
		b.WriteByte("0123456789abcdef"[r.u64()%16])
	}
	return b.String()
}

// digits returns n random decimal digits.
func (r *rng) digits(n int) string {
	var b strings.Builder
	for range n {
		b.WriteByte(byte('0' + r.u64()%10))
	}
	return b.String()
}

// The fixtures' time range: 2025-11-08 10:00 to 12:00 UTC, 24 windows of
// five minutes.
var (
	start = time.Date(2025, 11, 8, 10, 0, 0, 0, time.UTC)
	span  = 2 * time.Hour
)

// times returns n sorted instants in the range at the given resolution,
// with a burst at 10:37 so that some windows are busy.
func times(r *rng, n int, res time.Duration) []time.Time {
	ts := make([]time.Time, n)
	for i := range ts {
		d := time.Duration(r.between(0, int64(span-1)))
		if r.chance(0.15) {
			d = 37*time.Minute + time.Duration(r.between(0, int64(2*time.Minute)))
		}
		ts[i] = start.Add(d).Truncate(res)
	}
	slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
	return ts
}

// truth is the events a producer was asked to write.
type truth struct{ rows []truthRow }

type truthRow struct {
	t       time.Time
	level   string        // error, warn or info
	latency time.Duration // < 0: none
	status  int           // 0: none
	bytes   int64         // < 0: none
}

// none marks a missing latency or bytes value.
const none = -1

func (tr *truth) add(t time.Time, level string, latency time.Duration, status int, bytes int64) {
	switch level {
	case "error", "warn", "info":
	default:
		panic("level class " + level)
	}
	tr.rows = append(tr.rows, truthRow{t, level, latency, status, bytes})
}

func (tr *truth) write(path string) error {
	var b bytes.Buffer
	b.WriteString("time_ns,level,latency_ns,status,bytes\n")
	for _, r := range tr.rows {
		b.WriteString(strconv.FormatInt(r.t.UnixNano(), 10) + "," + r.level + ",")
		if r.latency >= 0 {
			b.WriteString(strconv.FormatInt(int64(r.latency), 10))
		}
		b.WriteByte(',')
		if r.status != 0 {
			b.WriteString(strconv.Itoa(r.status))
		}
		b.WriteByte(',')
		if r.bytes >= 0 {
			b.WriteString(strconv.FormatInt(r.bytes, 10))
		}
		b.WriteByte('\n')
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

// writeFile writes data to path, creating its folders.
func writeFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

// gz compresses data as one gzip member with no name and no time.
func gz(data []byte) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write(data)
	w.Close()
	return b.Bytes()
}

// mustJSON marshals v; the values here always marshal.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// statusOf draws an HTTP status: mostly 2xx, some 3xx, 4xx and 5xx.
func statusOf(r *rng) int {
	switch x := r.between(0, 99); {
	case x < 78:
		return pick(r, []int{200, 200, 200, 201, 204})
	case x < 84:
		return pick(r, []int{301, 304})
	case x < 94:
		return pick(r, []int{400, 401, 404, 404, 429})
	default:
		return pick(r, []int{500, 502, 503})
	}
}

// latencyOf draws a latency at microsecond resolution: mostly a few ms,
// some slow ones.
func latencyOf(r *rng, status int) time.Duration {
	us := r.between(150, 45000)
	if r.chance(0.1) {
		us = r.between(100000, 2500000)
	}
	if status >= 500 && r.chance(0.5) {
		us = r.between(3000000, 30000000)
	}
	return time.Duration(us) * time.Microsecond
}

// classOfStatus is the level an application gives a request by its status.
func classOfStatus(status int) string {
	switch {
	case status >= 500:
		return "error"
	case status >= 400:
		return "warn"
	}
	return "info"
}

// appEvent is one line an application writes: a JSON object, as zap,
// logrus, pino or structlog would write it, or a line of plain text.
type appEvent struct {
	line    []byte
	level   string // class
	latency time.Duration
	status  int
}

// appRecord is the JSON an application writes. Timestamp is filled only
// for shapes whose events carry no outer time (firehose).
type appRecord struct {
	Timestamp string   `json:"timestamp,omitempty"`
	Level     string   `json:"level"`
	Msg       string   `json:"msg"`
	Method    string   `json:"method,omitempty"`
	Path      string   `json:"path,omitempty"`
	Status    int      `json:"status,omitempty"`
	LatencyMS *float64 `json:"latency_ms,omitempty"`
	Payload   string   `json:"payload,omitempty"`
}

var (
	textLines = []string{
		"Starting server on :8080",
		"goroutine 1 [running]:",
		"\tmain.main()",
		"Grüße aus Köln — 👋 こんにちは",
		"WARNING: this is plain text, not a level",
		"panic: runtime error: index out of range [3] with length 3",
	}
	appMessages = []struct{ level, class, msg string }{
		{"info", "info", "cache warmed"},
		{"debug", "info", "pool stats"},
		{"warn", "warn", "slow upstream: inventory"},
		{"WARNING", "warn", "disk 91% full"},
		{"error", "error", "payment provider timeout"},
		{"ERROR", "error", "ledger write failed"},
		{"fatal", "error", "cannot bind :8080"},
		{"CRITICAL", "error", "replica lag 300s"},
		{"info", "info", "Bestellung bestätigt ✓ 注文を受け付けました"},
	}
	paths = []string{"/api/cart", "/api/items?page=2", "/api/checkout", "/api/items/%E2%9C%93", "/healthz", "/api/users/42/orders"}
)

// newAppEvent draws an application line: a request log (level by status,
// latency in ms), another JSON log, or plain text when text is allowed.
// With ts set the record carries its own timestamp.
func newAppEvent(r *rng, t time.Time, text bool, ts bool) appEvent {
	if text && r.chance(0.08) {
		return appEvent{line: []byte(pick(r, textLines)), level: "info", latency: none}
	}
	rec := appRecord{}
	if ts {
		rec.Timestamp = t.Format("2006-01-02T15:04:05.000Z07:00")
	}
	if r.chance(0.3) {
		m := pick(r, appMessages)
		rec.Level, rec.Msg = m.level, m.msg
		return appEvent{line: mustJSON(rec), level: m.class, latency: none}
	}
	rec.Status = statusOf(r)
	lat := latencyOf(r, rec.Status)
	ms := float64(lat/time.Microsecond) / 1000
	rec.LatencyMS = &ms
	rec.Level = classOfStatus(rec.Status)
	rec.Msg, rec.Method, rec.Path = "request", pick(r, []string{"GET", "GET", "POST", "PUT", "DELETE"}), pick(r, paths)
	return appEvent{line: mustJSON(rec), level: rec.Level, latency: lat, status: rec.Status}
}

// bigAppEvent is a request log longer than 16 KiB (a large payload echoed
// into the log), which container runtimes split into partial lines.
func bigAppEvent(r *rng, t time.Time, size int) appEvent {
	ev := newAppEvent(r, t, false, false)
	var rec appRecord
	json.Unmarshal(ev.line, &rec)
	var b strings.Builder
	for b.Len() < size {
		b.WriteString("Größe-" + r.hex(10) + " ")
	}
	rec.Payload = b.String()
	ev.line = mustJSON(rec)
	return ev
}
