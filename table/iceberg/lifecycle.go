package iceberg

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	stdfs "io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	iceio "github.com/apache/iceberg-go/io"
	icetable "github.com/apache/iceberg-go/table"
)

// File is one data file of a table's current snapshot.
type File struct {
	URL  string `json:"url"`  // s3://… or file://…
	Date string `json:"date"` // the UTC date of its rows' window_start
	Rows int64  `json:"rows"`
	Size int64  `json:"size"`
}

// Files lists the data files of the current snapshot (or of snapshot id,
// when not 0), sorted by date and URL: what a reader of that snapshot reads.
func (t *Table) Files(ctx context.Context, snapshotID int64) ([]File, error) {
	ctx = t.c.with(ctx)
	var tasks []icetable.FileScanTask
	for attempt := 0; ; attempt++ {
		tbl, err := t.load(ctx)
		if err != nil {
			return nil, err
		}
		if tbl.CurrentSnapshot() == nil {
			return nil, nil
		}
		var opts []icetable.ScanOption
		if snapshotID != 0 {
			opts = append(opts, icetable.WithSnapshotID(snapshotID))
		}
		tasks, err = tbl.Scan(opts...).PlanFiles(ctx)
		if snapshotID == 0 && attempt < maxAttempts && t.movedOn(ctx, tbl, err) {
			// The snapshot current when loaded expired meanwhile: list
			// the new current one.
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("list files of %s: %w", t.Identifier(), err)
		}
		break
	}
	files := make([]File, 0, len(tasks))
	seen := map[string]bool{} // a large file is planned as several splits
	for _, task := range tasks {
		if seen[task.File.FilePath()] {
			continue
		}
		seen[task.File.FilePath()] = true
		f := File{URL: task.File.FilePath(), Rows: task.File.Count(), Size: task.File.FileSizeBytes()}
		if d, ok := partitionDay(task.File); ok {
			f.Date = time.Unix(d*86400, 0).UTC().Format(time.DateOnly)
		}
		files = append(files, f)
	}
	slices.SortFunc(files, func(a, b File) int {
		return strings.Compare(a.Date+" "+a.URL, b.Date+" "+b.URL)
	})
	return files, nil
}

// Snapshot is one snapshot of a table, as show prints it.
type Snapshot struct {
	ID          int64
	ParentID    int64 // 0 for the first
	CommittedAt time.Time
	Operation   string // append, overwrite, delete, replace
	Current     bool
	// Set by logsmith's commits; empty for a snapshot another writer made.
	Date, RunID, Version, ConfigHash, Inputs string
	Rows, Events                             int64
}

// Snapshots lists the table's retained snapshots, oldest first.
func (t *Table) Snapshots(ctx context.Context) ([]Snapshot, error) {
	ctx = t.c.with(ctx)
	tbl, err := t.load(ctx)
	if err != nil {
		return nil, err
	}
	var cur int64
	if s := tbl.CurrentSnapshot(); s != nil {
		cur = s.SnapshotID
	}
	var out []Snapshot
	for _, s := range tbl.Metadata().Snapshots() {
		o := Snapshot{ID: s.SnapshotID, CommittedAt: time.UnixMilli(s.TimestampMs).UTC(), Current: s.SnapshotID == cur}
		if s.ParentSnapshotID != nil {
			o.ParentID = *s.ParentSnapshotID
		}
		if s.Summary != nil {
			p := s.Summary.Properties
			o.Operation = string(s.Summary.Operation)
			o.Date, o.RunID, o.Version, o.ConfigHash, o.Inputs = p[summaryDate], p[summaryRunID], p[summaryVersion], p[summaryConfigHash], p[summaryInputs]
			o.Rows, _ = strconv.ParseInt(p[summaryRows], 10, 64)
			o.Events, _ = strconv.ParseInt(p[summaryEvents], 10, 64)
		}
		out = append(out, o)
	}
	slices.SortFunc(out, func(a, b Snapshot) int { return a.CommittedAt.Compare(b.CommittedAt) })
	return out, nil
}

// GCOptions bound what GC removes.
type GCOptions struct {
	// ExpireOlderThan expires snapshots older than this (0: every one),
	// but RetainLast (0: 1) snapshots of the main branch are always kept,
	// and so is the current one. It is the caller's setting (logsmith's
	// --iceberg-snapshot-retention): there is no default here.
	ExpireOlderThan time.Duration
	RetainLast      int
	// OrphanOlderThan removes files under the table's location that no
	// retained snapshot or metadata file references and that are older
	// than this (0: 3 days, Iceberg's default). It must exceed the longest
	// commit: a commit's files exist before the commit does. Negative
	// skips orphan removal.
	OrphanOlderThan time.Duration
}

// GCResult says what GC did.
type GCResult struct {
	ExpiredSnapshots int `json:"expired_snapshots"`
	// RemovedFiles are the orphan files removed (data, manifests, metadata
	// and input ledgers no retained snapshot or head refers to).
	RemovedFiles []string `json:"removed_files"`
}

// GC expires old snapshots (deleting the files only they referenced) and
// then removes orphan files. Files of retained snapshots, the metadata and
// the input ledgers that retained snapshots and heads refer to are never
// removed.
func (t *Table) GC(ctx context.Context, o GCOptions) (GCResult, error) {
	ctx = t.c.with(ctx)
	if o.RetainLast == 0 {
		o.RetainLast = 1
	}
	if o.OrphanOlderThan == 0 {
		o.OrphanOlderThan = 72 * time.Hour
	}
	var res GCResult
	var tbl *icetable.Table
	for attempt := 0; ; attempt++ {
		var err error
		if tbl, err = t.load(ctx); err != nil {
			return res, err
		}
		before := len(tbl.Metadata().Snapshots())
		tx := tbl.NewTransaction()
		if err := tx.ExpireSnapshots(icetable.WithOlderThan(o.ExpireOlderThan), icetable.WithRetainLast(o.RetainLast)); err != nil {
			return res, fmt.Errorf("expire snapshots of %s: %w", t.Identifier(), err)
		}
		next, err := tx.Commit(ctx)
		if next != nil && err != nil && onlyNotExist(err) {
			// The expiry landed; iceberg-go's deletion of the expired
			// snapshots' files after it found some already gone (an
			// earlier expiry removed a file that a later expired
			// manifest still lists as deleted), and reports each.
			err = nil
		}
		if next == nil && err != nil && conflict(err) && attempt < 20 {
			if err := sleep(ctx, attempt); err != nil {
				return res, err
			}
			continue
		}
		if next != nil && err != nil {
			return res, fmt.Errorf("expired snapshots of %s, but removing their files: %w (orphan removal retries)", t.Identifier(), err)
		}
		if err != nil {
			return res, fmt.Errorf("expire snapshots of %s: %w", t.Identifier(), err)
		}
		res.ExpiredSnapshots = before - len(next.Metadata().Snapshots())
		tbl = next
		break
	}
	if o.OrphanOlderThan < 0 {
		return res, nil
	}
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			var err error
			if tbl, err = t.load(ctx); err != nil {
				return res, err
			}
		}
		removed, err := t.removeOrphans(ctx, tbl, o.OrphanOlderThan)
		res.RemovedFiles = append(res.RemovedFiles, removed...)
		if attempt < maxAttempts && t.movedOn(ctx, tbl, err) {
			// A commit's expiry removed a snapshot this state lists,
			// with its manifests: walk the new state.
			continue
		}
		slices.Sort(res.RemovedFiles)
		if err != nil {
			return res, fmt.Errorf("remove orphan files of %s: %w", t.Identifier(), err)
		}
		return res, nil
	}
}

// removeOrphans removes the files under tbl's location that tbl does not
// reference and that are older than grace, and returns them. It spares
// what Iceberg does not know is live: the input ledgers that retained
// snapshots and heads refer to, and the metadata files the metadata log
// no longer lists that list a retained snapshot (a reader may have pinned
// the snapshot through one).
func (t *Table) removeOrphans(ctx context.Context, tbl *icetable.Table, grace time.Duration) ([]string, error) {
	live := map[string]bool{}
	retained := map[int64]bool{}
	for _, s := range tbl.Metadata().Snapshots() {
		retained[s.SnapshotID] = true
		if s.Summary != nil && s.Summary.Properties[summaryInputs] != "" {
			live[path.Base(s.Summary.Properties[summaryInputs])] = true
		}
	}
	hs, err := heads(tbl)
	if err != nil {
		return nil, err
	}
	for _, h := range hs {
		if h.Inputs != "" {
			live[path.Base(h.Inputs)] = true
		}
	}
	fs, err := tbl.FS(ctx)
	if err != nil {
		return nil, err
	}
	var mu sync.Mutex // the delete function runs on several goroutines
	var removed []string
	_, err = tbl.DeleteOrphanFiles(ctx,
		icetable.WithFilesOlderThan(grace),
		icetable.WithDeleteFunc(func(p string) error {
			base := path.Base(p)
			if strings.HasPrefix(base, "logsmith-inputs-") && live[base] {
				return nil
			}
			if strings.HasSuffix(base, ".metadata.json") {
				pinned, err := listsRetained(fs, p, retained)
				if err != nil || pinned {
					return err
				}
			}
			if err := fs.Remove(p); errors.Is(err, stdfs.ErrNotExist) {
				return nil // gone already: not this gc's removal
			} else if err != nil {
				return err
			}
			mu.Lock()
			removed = append(removed, p)
			mu.Unlock()
			return nil
		}))
	return removed, err
}

// listsRetained tells whether the metadata file at p lists a snapshot in
// retained, so that it must be kept. A file that is not table metadata
// lists none. One the file IO reports missing is kept: if it is gone there
// is nothing to remove, and the report is not trusted to mean it is gone
// (gocloud's S3 driver reads a 404 from a proxy, or an error body naming
// NoSuchKey under any status, as "not found").
func listsRetained(fs iceio.IO, p string, retained map[int64]bool) (bool, error) {
	f, err := fs.Open(p)
	if errors.Is(err, stdfs.ErrNotExist) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("read metadata file %s: %w", p, err)
	}
	defer f.Close()
	var m struct {
		Snapshots []struct {
			ID int64 `json:"snapshot-id"`
		} `json:"snapshots"`
	}
	if err := json.NewDecoder(f).Decode(&m); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		if errors.As(err, &syn) || errors.As(err, &typ) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return false, nil // half written by a killed commit: no reader has it
		}
		return false, fmt.Errorf("read metadata file %s: %w", p, err)
	}
	for _, s := range m.Snapshots {
		if retained[s.ID] {
			return true, nil
		}
	}
	return false, nil
}

// onlyNotExist tells whether err, and every error joined in it, says a file
// does not exist.
func onlyNotExist(err error) bool {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			if !onlyNotExist(e) {
				return false
			}
		}
		return len(j.Unwrap()) > 0
	}
	if errors.Is(err, stdfs.ErrNotExist) {
		return true
	}
	if w := errors.Unwrap(err); w != nil {
		return onlyNotExist(w)
	}
	return false
}
