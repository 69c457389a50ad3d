package job

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/logsmith/logsmith/job/spill"
	"github.com/logsmith/logsmith/table"
)

// Summary reports what a run did.
type Summary struct {
	// Error and ExitCode, for a run that failed, say why and with which
	// exit code (see docs/operations.md); a run that succeeded has neither.
	Error        string            `json:"error,omitempty"`
	ExitCode     int               `json:"exit_code,omitempty"`
	RunID        string            `json:"run_id"`
	Input        string            `json:"input"`
	Output       string            `json:"output"`
	Date         string            `json:"date,omitempty"`
	Objects      int               `json:"objects"`
	Units        int               `json:"units"` // objects and byte ranges read
	BytesRead    int64             `json:"bytes_read"`
	BytesDecoded int64             `json:"bytes_decoded"`
	Lines        int64             `json:"lines"`
	BlankLines   int64             `json:"blank_lines"`
	Events       int64             `json:"events"`
	OutOfRange   int64             `json:"out_of_range"`
	Folded       int64             `json:"folded_events"` // events of groups beyond the cap, in __other__
	BadLines     int64             `json:"bad_lines"`
	BadByReason  map[string]int64  `json:"bad_by_reason"`
	Warnings     []string          `json:"warnings,omitempty"`
	Missing      []MissingField    `json:"missing_fields,omitempty"`
	Windows      int               `json:"windows"` // non-empty panes (the finest windows)
	Rows         int               `json:"rows"`
	Files        []string          `json:"files"`     // keys in the output's bucket (or folder)
	FileURLs     []string          `json:"file_urls"` // Files as URLs, as logsmith files prints them
	Partitions   []PartitionResult `json:"partitions"`
	Duration     time.Duration     `json:"-"`
	DurationSec  float64           `json:"duration_seconds"`
	MBPerSec     float64           `json:"mb_per_second"`
	Workers      int               `json:"workers"`
	Damaged      []DamagedObject   `json:"damaged_objects"`
	Rejects      string            `json:"rejects_file,omitempty"` // a key, as Files
	RejectsURL   string            `json:"rejects_url,omitempty"`
	Retries      int64             `json:"retries"`
	Skipped      map[string]int64  `json:"skipped_objects,omitempty"` // objects listed and not read, by reason (see input.SkipHidden); not in the ledger
	Neighbours   []NeighbourDate   `json:"neighbour_dates,omitempty"` // events of the dates either side of a dated run's (see NeighbourDate)
	// DryRun, for a run with --dry-run, lists the partitions it would
	// have committed; it wrote nothing.
	DryRun []PlannedPartition `json:"dry_run,omitempty"`
	// DroppedFormats are the formats a partition's commit had that this
	// run's commit of it does not write: their files are deleted.
	DroppedFormats []DroppedFormat `json:"dropped_formats,omitempty"`
	// Removed are the keys the collection after the commit deleted:
	// dropped formats' files, superseded and expired files.
	Removed []string `json:"removed,omitempty"`
	// RemovedURLs are Removed as URLs.
	RemovedURLs []string `json:"removed_urls,omitempty"`
	// UnknownLevels, when some events had a level that is not a known
	// one, are those levels.
	UnknownLevels *UnknownLevels `json:"unknown_levels,omitempty"`

	// Quality is, by date judged, the input it was judged on (see
	// Quality); FailedDates the dates whose input was too broken to
	// commit, with why (a backfill's failed dates have the same shape).
	Quality     map[string]Quality `json:"quality_by_date,omitempty"`
	FailedDates []DateResult       `json:"failed_dates,omitempty"`
	// Spill says what the aggregate spilled to local disk, when it did.
	Spill *spill.Stats `json:"spill,omitempty"`
}

// DroppedFormat is a format a partition had before a run's commit
// replaced it without that format (a run without --format csv over one
// with it): the format's file is deleted, not kept stale.
type DroppedFormat = table.DroppedFormat

// Options carry what a run needs besides its config.
type Options struct {
	Logger  *slog.Logger
	Stdin   io.Reader        // read when the input is "-"; os.Stdin when nil
	Now     func() time.Time // the clock; time.Now when nil
	Version string           // recorded in manifests
	// BeforePublish, when set, is called after a partition's files are
	// written and verified and before its manifest is published.
	BeforePublish func(ctx context.Context, date string)
	// Retries, when set, counts storage retries (for metrics).
	Retries *atomic.Int64
	// AfterList, when set, is called once the inputs are listed (by
	// merge, once the shards are).
	AfterList func(ctx context.Context)
	// Progress, when set, hears how far the run has got.
	Progress Progress
	// ManifestLimit, when set, lowers the bound on the manifests the run
	// writes (table.Committer.ManifestLimit), for tests.
	ManifestLimit int
	Memory        MemoryGuard // when set, a run refuses input that would not fit (see MemoryGuard)
	// SpillBudget, when set, is the aggregate's budget (see spill.Options)
	// instead of spill.Budget's, for tests; negative never spills.
	SpillBudget int64
}

// Progress receives a run's progress; calls may come from many goroutines.
type Progress interface {
	// Phase says what the run does from now on: "checking the output",
	// "listing", "reading", "merging", "building tables", "committing
	// DATE", "gc".
	Phase(name string)
	// Retrying reports a storage call that failed and is retried: the
	// attempt that failed (1 for the first) and its error.
	Retrying(attempt int, err error)
	// Listed gives the totals once the inputs are listed.
	Listed(objects int, bytes int64)
	// Read reports n more bytes read from storage.
	Read(n int64)
	// ObjectDone reports one more object finished.
	ObjectDone()
}

// withDefaults fills the options a caller left unset: no logging, the
// wall clock, a fresh retry counter.
func (opts Options) withDefaults() Options {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Retries == nil {
		opts.Retries = new(atomic.Int64)
	}
	return opts
}

func (rs *runState) done() *Summary {
	rs.sum.Duration = rs.opts.Now().Sub(rs.started)
	rs.sum.DurationSec = rs.sum.Duration.Seconds()
	if s := rs.sum.Duration.Seconds(); s > 0 {
		rs.sum.MBPerSec = float64(rs.sum.BytesDecoded) / 1e6 / s
	}
	rs.sum.Retries = rs.opts.Retries.Load()
	rs.objectURLs()
	return rs.sum
}

// objectURLs names, beside each object key of the summary, its URL in the
// form logsmith files prints, so that a script can hand either on.
func (rs *runState) objectURLs() {
	if rs.res == nil {
		return
	}
	loc := rs.res.Output
	url := func(key string) string {
		if key == "" {
			return ""
		}
		u := loc
		u.Prefix, u.File = key, false
		return u.String()
	}
	urls := func(keys []string) []string {
		if keys == nil {
			return nil
		}
		out := make([]string, len(keys))
		for i, k := range keys {
			out[i] = url(k)
		}
		return out
	}
	sum := rs.sum
	sum.FileURLs = urls(sum.Files)
	for i := range sum.Partitions {
		sum.Partitions[i].FileURLs = urls(sum.Partitions[i].Files)
	}
	sum.RejectsURL = url(sum.Rejects)
	sum.RemovedURLs = urls(sum.Removed)
	for i := range sum.DroppedFormats {
		sum.DroppedFormats[i].URL = url(sum.DroppedFormats[i].Key)
	}
}
