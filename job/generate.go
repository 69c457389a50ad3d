package job

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/alitto/pond/v2"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/logsmith/logsmith/storage"
)

// GenerateConfig configures synthetic log generation.
type GenerateConfig struct {
	Output   string     `env:"OUTPUT" flag:"output" desc:"where to write the logs: s3://bucket/prefix, file:///dir or a path"`
	Objects  int        `env:"OBJECTS" envDefault:"8" flag:"objects" desc:"objects per day"`
	Lines    int        `env:"LINES" envDefault:"10000" flag:"lines" desc:"lines per object"`
	Seed     uint64     `env:"SEED" envDefault:"1" flag:"seed" desc:"random seed; the same seed gives the same bytes"`
	Gzip     bool       `env:"GZIP" flag:"gzip" desc:"gzip-compress objects (.jsonl.gz)"`
	Zstd     bool       `env:"ZSTD" flag:"zstd" desc:"zstd-compress objects (.jsonl.zst)"`
	Start    time.Time  `env:"START" envDefault:"2025-11-08T00:00:00Z" flag:"start" desc:"first day (RFC 3339; the UTC date is used)"`
	Days     int        `env:"DAYS" envDefault:"1" flag:"days" desc:"number of days"`
	BadRatio float64    `env:"BAD_RATIO" envDefault:"0.001" flag:"bad-ratio" desc:"share of malformed lines"`
	Workers  int        `env:"WORKERS" flag:"workers" desc:"objects written at once; 0 means the number of CPUs"`
	S3       S3Settings `envPrefix:"S3_"`
}

// Validate checks every setting and names the first bad one.
func (c *GenerateConfig) Validate() error {
	bad := func(field, format string, args ...any) error {
		return settingError(c, field, fmt.Errorf(format, args...))
	}
	if err := checkWritableOutput(c.Output); err != nil {
		return settingError(c, "Output", err)
	}
	if c.Objects < 1 || c.Objects > 100000 {
		return bad("Objects", "%d: want 1 to 100000", c.Objects)
	}
	if c.Lines < 1 {
		return bad("Lines", "%d: want at least 1", c.Lines)
	}
	if c.Days < 1 || c.Days > 3660 {
		return bad("Days", "%d: want 1 to 3660", c.Days)
	}
	if c.Gzip && c.Zstd {
		return bad("Zstd", "--gzip and --zstd exclude each other")
	}
	if c.BadRatio < 0 || c.BadRatio > 1 || math.IsNaN(c.BadRatio) {
		return bad("BadRatio", "%v: want 0 to 1", c.BadRatio)
	}
	if c.Workers < 0 {
		return bad("Workers", "%d: want 0 or more", c.Workers)
	}
	return nil
}

// GenerateSummary reports what Generate wrote.
type GenerateSummary struct {
	Output  string `json:"output"`
	Objects int    `json:"objects"`
	Lines   int64  `json:"lines"`
	Bytes   int64  `json:"bytes"` // uncompressed
}

// Generate writes synthetic JSON-lines logs: for each day, Objects objects
// of Lines lines under <prefix>/YYYY/MM/DD/. The bytes depend only on the
// config, never on timing or worker count.
func Generate(ctx context.Context, cfg GenerateConfig) (*GenerateSummary, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	loc, _ := ParseLocation(cfg.Output)
	b, err := OpenBucket(loc, cfg.S3, defaultPolicy)
	if err != nil {
		return nil, err
	}
	// Generate is for demos and tests: make the bucket when the store can.
	if eb, ok := b.Backend().(interface{ EnsureBucket(context.Context) error }); ok {
		if err := eb.EnsureBucket(ctx); err != nil {
			return nil, storageErr(err)
		}
	}
	ext := ".jsonl"
	switch {
	case cfg.Gzip:
		ext += ".gz"
	case cfg.Zstd:
		ext += ".zst"
	}
	workers := cfg.Workers
	if workers == 0 {
		workers = 2
	}
	pool := pond.NewResultPool[int64](workers, pond.WithContext(ctx))
	defer pool.StopAndWait()
	group := pool.NewGroupContext(ctx)
	day0 := time.Date(cfg.Start.Year(), cfg.Start.Month(), cfg.Start.Day(), 0, 0, 0, 0, time.UTC)
	for d := range cfg.Days {
		day := day0.AddDate(0, 0, d)
		for i := range cfg.Objects {
			key := loc.Key(fmt.Sprintf("%s/app-%05d%s", day.Format("2006/01/02"), i, ext))
			group.SubmitErr(func() (int64, error) {
				return writeObject(ctx, b, key, &cfg, day, i)
			})
		}
	}
	sizes, err := group.Wait()
	if err != nil {
		return nil, storageErr(err)
	}
	s := &GenerateSummary{Output: loc.String(), Objects: len(sizes), Lines: int64(len(sizes)) * int64(cfg.Lines)}
	for _, n := range sizes {
		s.Bytes += n
	}
	return s, nil
}

func writeObject(ctx context.Context, b Bucket, key string, cfg *GenerateConfig, day time.Time, index int) (int64, error) {
	pr, pw := io.Pipe()
	var written int64
	go func() {
		var w io.Writer = pw
		var closer io.Closer
		switch {
		case cfg.Gzip:
			gz, _ := gzip.NewWriterLevel(pw, gzip.DefaultCompression)
			w, closer = gz, gz
		case cfg.Zstd:
			zw, _ := zstd.NewWriter(pw, zstd.WithEncoderConcurrency(1))
			w, closer = zw, zw
		}
		bw := bufio.NewWriterSize(w, 256<<10)
		g := newLineGen(cfg.Seed, day, index, cfg.Objects, cfg.Lines, cfg.BadRatio)
		var buf []byte
		var err error
		for j := 0; j < cfg.Lines && err == nil; j++ {
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
		pw.CloseWithError(err)
	}()
	_, err := b.Put(ctx, key, pr, -1, storage.PutOptions{ContentType: "application/x-ndjson"})
	pr.CloseWithError(err) // unblocks the writer if Put gave up early
	if err != nil {
		return 0, fmt.Errorf("generate %s: %w", key, err)
	}
	return written, nil
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
