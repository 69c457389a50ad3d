package synth

import (
	"bufio"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Options say what objects look like.
type Options struct {
	Objects  int     // objects per day; each covers 1/Objects of it
	Lines    int     // lines per object
	Seed     uint64  // the same seed gives the same bytes
	Gzip     bool    // gzip-compress
	Zstd     bool    // zstd-compress
	BadRatio float64 // share of malformed lines
}

// Ext is the file extension of the objects o makes.
func (o Options) Ext() string {
	switch {
	case o.Gzip:
		return ".jsonl.gz"
	case o.Zstd:
		return ".jsonl.zst"
	}
	return ".jsonl"
}

// Write writes object index of day (a UTC midnight) to w, compressed as o
// says, and returns its uncompressed size.
func Write(w io.Writer, o Options, day time.Time, index int) (int64, error) {
	var closer io.Closer
	switch {
	case o.Gzip:
		gz, _ := gzip.NewWriterLevel(w, gzip.DefaultCompression)
		w, closer = gz, gz
	case o.Zstd:
		zw, _ := zstd.NewWriter(w, zstd.WithEncoderConcurrency(1))
		w, closer = zw, zw
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	g := newLineGen(o.Seed, day, index, o.Objects, o.Lines, o.BadRatio)
	var buf []byte
	var written int64
	var err error
	for j := 0; j < o.Lines && err == nil; j++ {
		buf = g.line(buf[:0], j)
		written += int64(len(buf))
		_, err = bw.Write(buf)
	}
	if err == nil {
		err = bw.Flush()
	}
	if err == nil && closer != nil {
		err = closer.Close()
	}
	return written, err
}

var (
	services = []struct {
		name  string
		paths []string
		mu    float64 // log of median latency in ms
	}{
		{"checkout", []string{"/api/v1/cart", "/api/v1/checkout", "/api/v1/payment"}, math.Log(80)},
		{"search", []string{"/api/v1/search", "/api/v1/suggest"}, math.Log(25)},
		{"auth", []string{"/api/v1/login", "/api/v1/token"}, math.Log(12)},
		{"catalog", []string{"/api/v1/items", "/api/v1/items/detail", "/api/v1/categories"}, math.Log(40)},
	}
	methods = []string{"GET", "GET", "GET", "POST", "PUT", "DELETE"}
)

// lineGen makes the lines of one object, deterministically from its seed.
type lineGen struct {
	rng      *rand.Rand
	start    int64 // ns
	span     int64 // ns covered by the object
	lines    int
	badRatio float64
}

func newLineGen(seed uint64, day time.Time, index, objects, lines int, badRatio float64) *lineGen {
	span := int64(24*time.Hour) / int64(objects)
	return &lineGen{
		rng:      rand.New(rand.NewPCG(seed, uint64(day.Unix())<<20|uint64(index))),
		start:    day.UnixNano() + int64(index)*span,
		span:     span,
		lines:    lines,
		badRatio: badRatio,
	}
}

func (g *lineGen) line(buf []byte, j int) []byte {
	r := g.rng
	ts := g.start + int64(float64(g.span)*float64(j)/float64(g.lines)) + r.Int64N(int64(time.Second))
	if r.IntN(50) == 0 { // 2% arrive late, up to 3 minutes out of order
		ts -= r.Int64N(int64(3 * time.Minute))
	}
	if g.badRatio > 0 && r.Float64() < g.badRatio {
		return g.badLine(buf, ts)
	}
	svc := &services[r.IntN(len(services))]
	status := 200
	level := "INFO"
	switch x := r.IntN(1000); {
	case x < 5:
		status, level = 503, "FATAL"
	case x < 30:
		status, level = 500, "ERROR"
	case x < 90:
		status, level = 429, "WARN"
	case x < 130:
		status, level = 404, "INFO"
	case x < 180:
		status, level = 200, "DEBUG"
	}
	lat := math.Exp(svc.mu + 0.6*r.NormFloat64())
	buf = append(buf, `{"timestamp":"`...)
	buf = appendTime(buf, ts, r.IntN(20) == 0)
	buf = append(buf, `","level":"`...)
	if r.IntN(10) == 0 {
		buf = append(buf, toLower(level)...)
	} else {
		buf = append(buf, level...)
	}
	buf = append(buf, `","service":"`...)
	buf = append(buf, svc.name...)
	buf = append(buf, `","method":"`...)
	buf = append(buf, methods[r.IntN(len(methods))]...)
	buf = append(buf, `","path":"`...)
	buf = append(buf, svc.paths[r.IntN(len(svc.paths))]...)
	buf = append(buf, `","status":`...)
	buf = strconv.AppendInt(buf, int64(status), 10)
	if r.IntN(100) != 0 { // 1% carry no latency
		buf = append(buf, `,"latency_ms":`...)
		buf = strconv.AppendFloat(buf, math.Round(lat*1000)/1000, 'f', -1, 64)
	}
	buf = append(buf, `,"bytes":`...)
	buf = strconv.AppendInt(buf, 200+r.Int64N(20000), 10)
	buf = append(buf, `,"user_id":"u`...)
	buf = strconv.AppendInt(buf, int64(r.IntN(5000)), 10)
	buf = append(buf, `","client_ip":"10.`...)
	buf = strconv.AppendInt(buf, int64(r.IntN(256)), 10)
	buf = append(buf, '.')
	buf = strconv.AppendInt(buf, int64(r.IntN(256)), 10)
	buf = append(buf, '.')
	buf = strconv.AppendInt(buf, int64(r.IntN(256)), 10)
	buf = append(buf, `","trace_id":"`...)
	buf = strconv.AppendUint(buf, r.Uint64()|1<<63, 16)
	buf = append(buf, `","msg":"request completed"}`...)
	return append(buf, '\n')
}

func (g *lineGen) badLine(buf []byte, ts int64) []byte {
	switch g.rng.IntN(5) {
	case 0:
		buf = append(buf, "panic: runtime error: index out of range [3] with length 3"...)
	case 1:
		buf = append(buf, `{"timestamp":"`...)
		buf = appendTime(buf, ts, false)
		buf = append(buf, `","level":"INFO","latency_ms":12`...) // truncated
	case 2:
		buf = append(buf, `{"level":"INFO","latency_ms":5,"msg":"no time"}`...)
	case 3:
		buf = append(buf, `{"timestamp":"yesterday","level":"INFO","latency_ms":5}`...)
	default:
		buf = append(buf, `{"timestamp":"`...)
		buf = appendTime(buf, ts, false)
		buf = append(buf, `","level":"INFO","latency_ms":"fast"}`...)
	}
	return append(buf, '\n')
}

// appendTime writes ts as RFC 3339 with milliseconds, in UTC or at +02:00.
func appendTime(buf []byte, ts int64, offset bool) []byte {
	t := time.Unix(0, ts).UTC()
	if offset {
		t = t.In(time.FixedZone("", 2*3600))
	}
	return t.AppendFormat(buf, "2006-01-02T15:04:05.000Z07:00")
}

func toLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
