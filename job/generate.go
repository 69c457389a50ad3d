package job

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/alitto/pond/v2"

	"github.com/logsmith/logsmith/features/synth"
	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/storage"
)

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
func Generate(ctx context.Context, cfg settings.GenerateConfig) (*GenerateSummary, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	loc, err := settings.ParseLocation(cfg.Output)
	if err != nil {
		return nil, settings.SettingError(&cfg, "Output", err)
	}
	b, err := OpenBucket(loc, cfg.S3, defaultPolicy)
	if err != nil {
		return nil, err
	}
	// Generate is for demos and tests: make the bucket when the store can.
	if eb, ok := b.Backend().(interface{ EnsureBucket(context.Context) error }); ok {
		// A store just started may answer "not initialized yet" (503).
		if err := b.Policy().Do(ctx, "create the bucket", eb.EnsureBucket); err != nil {
			return nil, failure.Storage(err)
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
		return nil, failure.Storage(err)
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
