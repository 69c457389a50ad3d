package job

import (
	"context"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/alitto/pond/v2"

	"github.com/logsmith/logsmith/features/synth"
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
	S3       S3Settings `envPrefix:"S3_" group:"storage"`

	FileSettings `group:"command"`
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
	loc, err := ParseLocation(cfg.Output)
	if err != nil {
		return nil, settingError(&cfg, "Output", err)
	}
	b, err := OpenBucket(loc, cfg.S3, defaultPolicy)
	if err != nil {
		return nil, err
	}
	// Generate is for demos and tests: make the bucket when the store can.
	if eb, ok := b.Backend().(interface{ EnsureBucket(context.Context) error }); ok {
		// A store just started may answer "not initialized yet" (503).
		if err := b.Policy().Do(ctx, "create the bucket", eb.EnsureBucket); err != nil {
			return nil, storageErr(err)
		}
	}
	o := synth.Options{Objects: cfg.Objects, Lines: cfg.Lines, Seed: cfg.Seed, Gzip: cfg.Gzip, Zstd: cfg.Zstd, BadRatio: cfg.BadRatio}
	ext := o.Ext()
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
				return writeObject(ctx, b, key, o, day, i)
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

func writeObject(ctx context.Context, b Bucket, key string, o synth.Options, day time.Time, index int) (int64, error) {
	pr, pw := io.Pipe()
	var written int64
	go func() {
		var err error
		written, err = synth.Write(pw, o, day, index)
		pw.CloseWithError(err)
	}()
	_, err := b.Put(ctx, key, pr, -1, storage.PutOptions{ContentType: "application/x-ndjson"})
	pr.CloseWithError(err) // unblocks the writer if Put gave up early
	if err != nil {
		return 0, fmt.Errorf("generate %s: %w", key, err)
	}
	return written, nil
}
