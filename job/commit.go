package job

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/storage"
)

// SchemaVersion is the version of the feature table's schema.
const SchemaVersion = features.SchemaVersion

// Partition outcomes.
const (
	StatusCommitted = "committed"
	StatusSkipped   = "skipped"   // already committed from the same inputs and config
	StatusLost      = "lost_race" // another run committed first
)

// PartitionResult is what happened to one date partition.
type PartitionResult struct {
	Window string   `json:"window"`
	Date   string   `json:"date"`
	Status string   `json:"status"`
	RunID  string   `json:"run_id"`
	Rows   int      `json:"rows"`
	Files  []string `json:"files"`
}

// committer publishes date partitions of one run.
type committer struct {
	out   Bucket
	loc   Location
	runID string
	grace time.Duration
	log   *slog.Logger
	now   func() time.Time
	// beforePublish is Options.BeforePublish.
	beforePublish func(ctx context.Context, date string)
	cols          features.Columns
	meta          map[string]string // Parquet key-value metadata
	retry         retrier
}

// tableMetadata is stored in every Parquet file: the schema contract.
func tableMetadata(w features.Window, cols features.Columns) map[string]string {
	schema, _ := json.Marshal(cols.Schema())
	return map[string]string{
		"logsmith.schema_version": SchemaVersion,
		"logsmith.schema":         string(schema),
		"logsmith.window":         w.String(),
	}
}

// encodeFiles renders rows in every format.
func encodeFiles(formats []string, cols features.Columns, meta map[string]string, rows []features.Row) (map[string][]byte, error) {
	files := map[string][]byte{}
	for _, f := range formats {
		var buf bytes.Buffer
		var err error
		switch f {
		case "parquet":
			err = features.WriteParquet(&buf, cols, rows, meta)
		case "csv":
			err = features.WriteCSV(&buf, cols, rows)
		default:
			err = fmt.Errorf("unknown format %q", f)
		}
		if err != nil {
			return nil, fmt.Errorf("encode %s: %w", f, err)
		}
		files[f] = buf.Bytes()
	}
	return files, nil
}

// commit writes the partition's files under its run prefix, verifies them,
// and publishes them by writing the manifest last with a conditional PUT.
// prevETag is the ETag of the manifest read before the run ("" if none).
// On any failure before the manifest is in place, it removes its run prefix;
// the previously committed manifest, if any, stays in force.
func (c *committer) commit(ctx context.Context, m *Manifest, prev *Manifest, prevETag string, formats []string, rows []features.Row) (res PartitionResult, err error) {
	res = PartitionResult{Date: m.Date, RunID: c.runID, Rows: len(rows)}
	prefix := runPrefix(c.loc, m.Date, c.runID)
	published := false
	defer func() {
		if err != nil && !published {
			c.cleanup(ctx, prefix)
		}
	}()
	files, err := encodeFiles(formats, c.cols, c.meta, rows)
	if err != nil {
		return res, err
	}
	for _, f := range formats {
		data := files[f]
		key := prefix + "part-00000." + f
		var info, st storage.ObjectInfo
		err := c.retry.do(ctx, "write "+key, func(ctx context.Context) (err error) {
			info, err = c.out.Put(ctx, key, bytes.NewReader(data), int64(len(data)), storage.PutOptions{})
			return err
		})
		if err != nil {
			return res, storageErr(fmt.Errorf("write %s: %w", key, err))
		}
		// Verify: the stored object is the one we wrote.
		err = c.retry.do(ctx, "stat "+key, func(ctx context.Context) (err error) {
			st, err = c.out.Stat(ctx, key)
			return err
		})
		if err != nil {
			return res, storageErr(fmt.Errorf("verify %s: %w", key, err))
		}
		if st.Size != int64(len(data)) || (info.ETag != "" && st.ETag != info.ETag) {
			return res, storageErr(fmt.Errorf("verify %s: stored %d bytes (etag %s), wrote %d (etag %s)", key, st.Size, st.ETag, len(data), info.ETag))
		}
		sum := sha256.Sum256(data)
		m.Files = append(m.Files, ManifestFile{
			Path:   strings.TrimPrefix(key, partitionPrefix(c.loc, m.Date)),
			Format: f, Size: int64(len(data)), Rows: len(rows), SHA256: hex.EncodeToString(sum[:]),
		})
		res.Files = append(res.Files, key)
	}
	if c.beforePublish != nil {
		c.beforePublish(ctx, m.Date)
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	now := c.now()
	m.CommittedAt = now.UTC()
	if prev != nil {
		m.Superseded = append(m.Superseded, prev.Superseded...)
		m.Superseded = append(m.Superseded, SupersededRun{RunID: prev.RunID, Since: now.UTC()})
	}
	body := encodeManifest(m)
	key := partitionPrefix(c.loc, m.Date) + ManifestName
	opts := storage.PutOptions{IfMatch: prevETag, IfNoneMatch: prevETag == "", ContentType: "application/json"}
	// The PUT may fail, or succeed with its answer lost: after any failure,
	// the manifest now in place decides. Ours: committed. The one we read
	// before: our PUT did not land, try again. Anything else: we lost.
	perr := c.retry.do(ctx, "publish "+key, func(ctx context.Context) error {
		_, err := c.out.Put(ctx, key, bytes.NewReader(body), int64(len(body)), opts)
		if err == nil || errors.Is(err, storage.ErrPrecondition) || permanent(err) {
			return err
		}
		cur, etag, rerr := ReadManifest(ctx, c.out, c.loc, m.Date)
		switch {
		case rerr == nil && cur.RunID == c.runID:
			return nil
		case rerr == nil && etag != prevETag, rerr == nil && prevETag == "":
			return fmt.Errorf("%w: manifest replaced by run %s", storage.ErrPrecondition, cur.RunID)
		case errors.Is(rerr, storage.ErrNotExist) && prevETag != "":
			return fmt.Errorf("%w: manifest removed", storage.ErrPrecondition)
		}
		return err // transient: retry the PUT
	})
	if perr == nil {
		published = true
		res.Status = StatusCommitted
		return res, nil
	}
	// Read the outcome even if ctx is done: a PUT in flight may have landed.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	cur, _, rerr := ReadManifest(rctx, c.out, c.loc, m.Date)
	if rerr == nil && cur.RunID == c.runID {
		published = true
		res.Status = StatusCommitted
		return res, nil
	}
	if errors.Is(perr, storage.ErrPrecondition) {
		res.Status = StatusLost
		winner := "unknown"
		if cur != nil {
			winner = cur.RunID
		}
		return res, &kindError{KindLostRace, fmt.Errorf("commit %s: run %s committed first", m.Date, winner)}
	}
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	return res, storageErr(fmt.Errorf("commit %s: %w", m.Date, perr))
}

// cleanup removes a run prefix after a failure, with its own deadline so
// that it runs even when ctx was cancelled.
func (c *committer) cleanup(ctx context.Context, prefix string) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := deletePrefix(cctx, c.out, prefix); err != nil {
		c.log.Warn("remove run files after failure", "prefix", prefix, "error", err)
	}
}

func deletePrefix(ctx context.Context, b Bucket, prefix string) error {
	var keys []string
	if err := b.List(ctx, prefix, func(o storage.ObjectInfo) error {
		keys = append(keys, o.Key)
		return nil
	}); err != nil {
		return err
	}
	for _, k := range keys {
		if err := b.Delete(ctx, k); err != nil {
			return err
		}
	}
	return nil
}

// GCResult reports what a garbage collection removed.
type GCResult struct {
	Deleted []string `json:"deleted_runs"` // date=D/run=ID
	Kept    []string `json:"kept_runs"`    // uncommitted runs within their grace period
}

// runFolders maps each "date=D/run=ID" folder under base to the time of its
// newest object. With dates it lists only those dates' folders, so a daily
// run's GC does not list the whole history.
func runFolders(ctx context.Context, b Bucket, base string, dates []string) (map[string]time.Time, error) {
	prefixes := []string{base + "date="}
	if len(dates) > 0 {
		prefixes = prefixes[:0]
		for _, d := range dates {
			prefixes = append(prefixes, base+"date="+d+"/")
		}
	}
	runs := map[string]time.Time{}
	for _, p := range prefixes {
		err := b.List(ctx, p, func(o storage.ObjectInfo) error {
			parts := strings.SplitN(strings.TrimPrefix(o.Key, base), "/", 3)
			if len(parts) == 3 && strings.HasPrefix(parts[0], "date=") && strings.HasPrefix(parts[1], "run=") {
				id := parts[0] + "/" + parts[1]
				if t, ok := runs[id]; !ok || o.Modified.After(t) {
					runs[id] = o.Modified
				}
			}
			return nil
		})
		if err != nil {
			return nil, storageErr(fmt.Errorf("gc list %s: %w", p, err))
		}
	}
	return runs, nil
}

// GC deletes the files of runs that no committed manifest references: runs
// superseded more than grace ago, and uncommitted runs (crashed or lost)
// whose newest file is older than grace. The committed run is never deleted.
// Shard partials of runs that never merged go once their newest shard is
// older than grace (a successful merge deletes its own).
func GC(ctx context.Context, b Bucket, out Location, grace time.Duration, now time.Time, dates ...string) (*GCResult, error) {
	runs, err := runFolders(ctx, b, out.Key(""), dates)
	if err != nil {
		return nil, err
	}
	manifests := map[string]*Manifest{}
	res := &GCResult{}
	for id, newest := range runs {
		dateDir, runDir, _ := strings.Cut(id, "/")
		date := strings.TrimPrefix(dateDir, "date=")
		runID := strings.TrimPrefix(runDir, "run=")
		m, ok := manifests[date]
		if !ok {
			m, _, err = ReadManifest(ctx, b, out, date)
			if err != nil && !errors.Is(err, storage.ErrNotExist) {
				return res, storageErr(err)
			}
			manifests[date] = m
		}
		if m != nil && m.RunID == runID {
			continue
		}
		expired := now.Sub(newest) > grace
		if m != nil {
			for _, s := range m.Superseded {
				if s.RunID == runID {
					expired = now.Sub(s.Since) > grace
				}
			}
		}
		if !expired {
			res.Kept = append(res.Kept, id)
			continue
		}
		if err := deletePrefix(ctx, b, out.Key(id+"/")); err != nil {
			return res, storageErr(fmt.Errorf("gc %s: %w", id, err))
		}
		res.Deleted = append(res.Deleted, id)
	}
	partials, err := runFolders(ctx, b, out.Key("_partials/"), dates)
	if err != nil {
		return res, err
	}
	for id, newest := range partials {
		if now.Sub(newest) <= grace {
			continue
		}
		if err := deletePrefix(ctx, b, out.Key("_partials/"+id+"/")); err != nil {
			return res, storageErr(fmt.Errorf("gc partials %s: %w", id, err))
		}
		res.Deleted = append(res.Deleted, "_partials/"+id)
	}
	return res, nil
}
