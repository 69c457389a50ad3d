package job

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/alitto/pond/v2"

	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/storage"
)

// Summary reports what a run did.
type Summary struct {
	Input        string           `json:"input"`
	Output       string           `json:"output"`
	Objects      int              `json:"objects"`
	BytesRead    int64            `json:"bytes_read"`
	BytesDecoded int64            `json:"bytes_decoded"`
	Lines        int64            `json:"lines"`
	BlankLines   int64            `json:"blank_lines"`
	Events       int64            `json:"events"`
	BadLines     int64            `json:"bad_lines"`
	BadByReason  map[string]int64 `json:"bad_by_reason"`
	Windows      int              `json:"windows"`
	Rows         int              `json:"rows"`
	Files        []string         `json:"files"`
	Duration     time.Duration    `json:"-"`
	DurationSec  float64          `json:"duration_seconds"`
	MBPerSec     float64          `json:"mb_per_second"`
	Workers      int              `json:"workers"`
}

// Options carry what a run needs besides its config.
type Options struct {
	Logger *slog.Logger
	Stdin  io.Reader // read when the input is "-"; os.Stdin when nil
}

// objectResult is what one task hands back: the partial it alone built.
type objectResult struct {
	partial      *features.Partial
	bytesRead    int64
	bytesDecoded int64
}

// taskState is reused across tasks to keep buffers and decoders warm.
type taskState struct {
	dec features.Decompressor
	jd  *features.Decoder
}

// Run executes one run: list, fan out, merge, write. It returns the summary
// and an error classified by KindOf.
func Run(ctx context.Context, cfg Config, opts Options) (*Summary, error) {
	start := time.Now()
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	inLoc, _ := ParseLocation(cfg.Input)
	outLoc, _ := ParseLocation(cfg.Output)
	out, err := OpenBucket(outLoc, cfg.S3)
	if err != nil {
		return nil, err
	}
	sum := &Summary{Input: inLoc.String(), Output: outLoc.String(), Workers: cfg.EffectiveWorkers(), BadByReason: map[string]int64{}}

	states := sync.Pool{New: func() any { return &taskState{jd: features.NewDecoder(cfg.Fields())} }}
	var results []objectResult
	if inLoc.Scheme == "-" {
		stdin := opts.Stdin
		if stdin == nil {
			stdin = os.Stdin
		}
		r, err := ingest(ctx, &cfg, states.Get().(*taskState), "-", stdin)
		if err != nil {
			return nil, err
		}
		results = []objectResult{r}
		sum.Objects = 1
	} else {
		in, err := OpenBucket(inLoc, cfg.S3)
		if err != nil {
			return nil, err
		}
		objs, err := listInputs(ctx, in, inLoc)
		if err != nil {
			return nil, err
		}
		sum.Objects = len(objs)
		log.Info("listed input", "input", inLoc.String(), "objects", len(objs))
		results, err = processAll(ctx, &cfg, in, objs, &states, log)
		if err != nil {
			return nil, err
		}
	}

	total := features.NewPartial(cfg.Window)
	for _, r := range results {
		sum.BytesRead += r.bytesRead
		sum.BytesDecoded += r.bytesDecoded
		if err := total.Merge(r.partial); err != nil {
			return nil, err
		}
	}
	c := total.Counts
	sum.Lines, sum.BlankLines, sum.Events, sum.BadLines = c.Lines, c.Blank, c.Events, c.BadTotal()
	sum.BadByReason = c.BadByReason()
	rows := total.Rows()
	sum.Windows, sum.Rows = total.Len(), len(rows)

	files, err := writePartitions(ctx, out, outLoc, cfg.Format, rows)
	sum.Files = files
	if err != nil {
		return sum, err
	}
	sum.Duration = time.Since(start)
	sum.DurationSec = sum.Duration.Seconds()
	if s := sum.Duration.Seconds(); s > 0 {
		sum.MBPerSec = float64(sum.BytesDecoded) / 1e6 / s
	}
	return sum, nil
}

func storageErr(err error) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return &kindError{KindStorage, err}
}

func listInputs(ctx context.Context, b Bucket, loc Location) ([]storage.ObjectInfo, error) {
	var objs []storage.ObjectInfo
	err := b.List(ctx, loc.Prefix, func(o storage.ObjectInfo) error {
		objs = append(objs, o)
		return nil
	})
	if err != nil {
		return nil, storageErr(fmt.Errorf("list input %s: %w", loc, err))
	}
	return objs, nil
}

// processAll runs one pool task per object. Each task owns the partial it
// builds; the first error cancels the others and is returned.
func processAll(ctx context.Context, cfg *Config, in Bucket, objs []storage.ObjectInfo, states *sync.Pool, log *slog.Logger) ([]objectResult, error) {
	pool := pond.NewResultPool[objectResult](cfg.EffectiveWorkers(), pond.WithContext(ctx))
	defer pool.StopAndWait()
	gctx, cancel := context.WithCancel(ctx)
	defer cancel()
	group := pool.NewGroupContext(gctx)
	for _, o := range objs {
		group.SubmitErr(func() (res objectResult, err error) {
			defer func() {
				if err != nil {
					cancel() // stop the other tasks' I/O at once
				}
			}()
			st := states.Get().(*taskState)
			defer states.Put(st)
			t0 := time.Now()
			rc, err := in.Open(gctx, o.Key, 0)
			if err != nil {
				return objectResult{}, storageErr(fmt.Errorf("read input: %w", err))
			}
			defer rc.Close()
			r, err := ingest(gctx, cfg, st, o.Key, rc)
			if err != nil {
				return r, err
			}
			log.Debug("object done", "key", o.Key, "bytes", r.bytesRead, "decoded", r.bytesDecoded,
				"lines", r.partial.Counts.Lines, "bad", r.partial.Counts.BadTotal(), "seconds", time.Since(t0).Seconds())
			return r, nil
		})
	}
	results, err := group.Wait()
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, err
	}
	return results, nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// ingest decodes one stream into a fresh partial.
func ingest(ctx context.Context, cfg *Config, st *taskState, name string, r io.Reader) (objectResult, error) {
	raw := &countingReader{r: r}
	dr, codec, err := st.dec.Open(raw)
	if err != nil {
		return objectResult{}, storageErr(fmt.Errorf("read %s: %w", name, err))
	}
	decoded := &countingReader{r: dr}
	p := features.NewPartial(cfg.Window)
	if err := features.Ingest(ctx, decoded, st.jd, p, cfg.MaxLineBytes); err != nil {
		if ctx.Err() != nil {
			return objectResult{}, ctx.Err()
		}
		return objectResult{}, storageErr(fmt.Errorf("read %s (%s): %w", name, codec, err))
	}
	return objectResult{partial: p, bytesRead: raw.n, bytesDecoded: decoded.n}, nil
}

// writePartitions writes rows into one file per date and format under
// date=YYYY-MM-DD/, rows sorted by window start.
func writePartitions(ctx context.Context, out Bucket, loc Location, formats []string, rows []features.Row) ([]string, error) {
	var files []string
	for i := 0; i < len(rows); {
		date := rows[i].WindowStart.UTC().Format(time.DateOnly)
		j := i
		for j < len(rows) && rows[j].WindowStart.UTC().Format(time.DateOnly) == date {
			j++
		}
		for _, f := range formats {
			var buf bytes.Buffer
			var err error
			switch f {
			case "parquet":
				err = features.WriteParquet(&buf, rows[i:j])
			case "csv":
				err = features.WriteCSV(&buf, rows[i:j])
			}
			if err != nil {
				return files, fmt.Errorf("encode %s for %s: %w", f, date, err)
			}
			key := loc.Key(fmt.Sprintf("date=%s/part-00000.%s", date, f))
			if _, err := out.Put(ctx, key, bytes.NewReader(buf.Bytes()), int64(buf.Len()), storage.PutOptions{}); err != nil {
				return files, storageErr(fmt.Errorf("write output: %w", err))
			}
			files = append(files, key)
		}
		i = j
	}
	return files, nil
}
