package job

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/alitto/pond/v2"

	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/job/spill"
	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/storage/objio"
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
	Skipped      map[string]int64  `json:"skipped_objects,omitempty"` // objects listed and not read, by reason (see SkipHidden); not in the ledger
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

// objectResult is what one task hands back: the partial it alone built.
type objectResult struct {
	object       string // the object's URL, the same for each of its ranges
	partial      *features.Partial
	bytesRead    int64
	bytesDecoded int64
	damaged      *DamagedObject
	rejects      []features.Reject
	// unlisted counts the events of the dates before and after a dated
	// run's that this unit held and that date's own run does not list.
	unlisted [2]int64
	// quality is the unit's input attributed to dates (unitQuality).
	quality map[string]Quality
}

// taskState is reused across tasks to keep buffers and decoders warm.
type taskState struct {
	or *features.ObjectReader
}

// input is one object to read, with the bucket and location it is in.
type input struct {
	bucket *objio.Bucket
	loc    Location
	info   storage.ObjectInfo
	// listedNear says whether the runs of the dates before and after a
	// dated run's list this object too (a template's folder both read, or
	// an input without a template): then their events in it are theirs.
	listedNear [2]bool
	// folderDate is the UTC date a templated input's folder of this
	// object covers, when it covers one: whose input the object is when
	// none of its lines says (see unitQuality).
	folderDate string
}

// url names the object as the manifest records it: a URL that
// ParseLocation reads back to exactly this bucket and key.
func (in input) url() string {
	loc := in.loc
	loc.Prefix = in.info.Key
	return loc.String()
}

// runState is one run in progress: its settings, identity and output.
type runState struct {
	cfg            *Config
	res            *Resolved
	opts           Options
	log            *slog.Logger
	started        time.Time
	runID          string
	out            *objio.Bucket // res.Output, retried
	snapshot       map[string]string
	configHash     string
	manifestInputs []ManifestInput
	// format holds and commits the run's tables; heads are, by table key
	// and date, what each partition held as the run started (see
	// tableFormat.Start).
	format     tableFormat
	heads      map[string]map[string]string
	sum        *Summary
	ownRejects bool // the run wrote sum.Rejects (see writeRejects)
	// covered is the span the run's input covers (see cover).
	covered table.Span
	// quality is the run's input attributed to dates, counts and days its
	// merged counts, verdicts each judged date's (see judge).
	quality  map[string]Quality
	counts   features.Counts
	days     map[string]*features.DayCounts
	verdicts map[string]error
}

// aggregate is the merged result of reading some units.
type aggregate struct {
	partial      *features.Partial // the run's counts, and the panes not spilled
	store        *spill.Store      // every pane: partial's and those spilled
	bytesRead    int64
	bytesDecoded int64
	damaged      []DamagedObject
	rejects      []features.Reject
	unlisted     [2]int64 // see objectResult
	quality      map[string]Quality
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

func newRunState(cfg *Config, opts Options) (*runState, error) {
	opts = opts.withDefaults()
	started := opts.Now()
	res, err := cfg.Resolve(started)
	if err != nil {
		return nil, err
	}
	rs := &runState{cfg: cfg, res: res, opts: opts, log: opts.Logger, started: started, runID: cfg.RunID}
	if rs.runID == "" {
		rs.runID = newRunID(rs.started)
	}
	open := OpenBucket
	if cfg.DryRun {
		open = openDryRun
	}
	if rs.out, err = open(rs.res.Output, rs.res.S3, cfg.policy(opts)); err != nil {
		return nil, err
	}
	rs.sum = &Summary{RunID: rs.runID, Input: cfg.Input, Output: rs.res.Output.String(), Date: rs.res.Date,
		Workers: res.Workers, BadByReason: map[string]int64{}}
	rs.snapshot, rs.configHash = ConfigSnapshot(cfg)
	return rs, nil
}

// phase tells the progress (when set) what the run does from now on.
func (rs *runState) phase(name string) {
	if rs.opts.Progress != nil {
		rs.opts.Progress.Phase(name)
	}
}

func (rs *runState) policy() objio.Policy { return rs.cfg.policy(rs.opts) }

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

// Run executes one run: resolve the date and inputs, fan out, merge, and
// commit each date partition; or, with --shard, compute one shard's partial
// for a later merge. It returns the summary and an error classified by
// KindOf.
func Run(ctx context.Context, cfg Config, opts Options) (*Summary, error) {
	rs, err := newRunState(&cfg, opts)
	if err != nil {
		return nil, err
	}
	log, sum := rs.log, rs.sum
	// The output is checked before anything is read, and before an
	// Iceberg catalog is opened (which creates its namespace).
	rs.phase("checking the output")
	if err := probe(ctx, rs.out, "output", rs.res.Output); err != nil {
		return nil, err
	}
	// The heads the run's commits are conditional on, read as it starts and
	// before it lists its inputs: a run that listed before another run
	// committed may miss objects that run read, so it must not supersede it.
	if rs.format, err = rs.openFormat(ctx); err != nil {
		return nil, err
	}
	defer rs.format.Close()
	if rs.heads, err = rs.format.Start(ctx, rs.res.Date); err != nil {
		return nil, formatErr(err)
	}
	rs.phase("listing")
	listed, err := resolveInputs(ctx, &cfg, rs.res, rs.policy(), opts.Stdin, log)
	if err != nil {
		return nil, err
	}
	if opts.AfterList != nil {
		opts.AfterList(ctx)
	}
	for _, w := range listed.warnings() {
		log.Warn(w)
		sum.Warnings = append(sum.Warnings, w)
	}
	inputs := listed.inputs
	sum.Objects = len(inputs)
	if len(listed.skipped) > 0 {
		sum.Skipped = listed.skipped
	}
	if len(inputs) == 0 {
		// Committing an empty table would hide missing upstream logs.
		return nil, listed.noInputs()
	}
	rs.manifestInputs = []ManifestInput{}
	for _, in := range inputs {
		if in.loc.Scheme == "-" {
			continue // no name, size or version to record
		}
		rs.manifestInputs = append(rs.manifestInputs, ManifestInput{URL: in.url(), Size: in.info.Size, ETag: in.info.ETag})
	}
	log.Info("run start", "run_id", rs.runID, "input", cfg.Input, "date", rs.res.Date, "objects", len(inputs))

	shard, shards, sharded := rs.res.Shard, rs.res.Shards, rs.res.Sharded()
	// Standard input cannot be told the same as a committed run's.
	if rs.res.Date != "" && !sharded && cfg.SkipCommitted && !rs.res.Stdin {
		if skipped := rs.format.Committed(ctx, rs.res.Date, rs.manifestInputs, rs.configHash); skipped != nil {
			log.Info("already committed from the same inputs and config; skipping", "date", rs.res.Date, "run_id", skipped[0].RunID)
			sum.Partitions = skipped
			return rs.done(), nil
		}
	}

	units, err := planUnits(ctx, inputs, splitRuleOf(&cfg, rs.res))
	if err != nil {
		return nil, err
	}
	all := units
	sum.Units = len(units)
	if sharded {
		units = assignShard(units, shard, shards)
	}
	if err := rs.checkMemory(ctx, units); err != nil {
		return nil, err
	}
	if opts.Progress != nil {
		var total int64
		for _, u := range units {
			total += max(u.size(), 0) // standard input's size is unknown
		}
		opts.Progress.Listed(len(units), total)
	}
	rs.phase("reading")
	store := rs.newStore()
	defer rs.closeStore(store)
	agg, err := rs.process(ctx, units, store)
	if err != nil {
		return nil, err
	}
	if sharded {
		return rs.writeShard(ctx, shard, shards, all, units, agg)
	}
	return rs.finish(ctx, agg)
}

// process reads units in the worker pool and merges their partials.
func (rs *runState) process(ctx context.Context, units []unit, store *spill.Store) (*aggregate, error) {
	results, err := rs.readUnits(ctx, units, store)
	if err != nil {
		return nil, err
	}
	return rs.collect(results, store), nil
}

// collect merges per-unit results in unit order.
func (rs *runState) collect(results []objectResult, store *spill.Store) *aggregate {
	agg := &aggregate{partial: store.Partial(), store: store}
	// --reject-samples is per object: an object read as ranges keeps its
	// first samples, as read whole, not each range's.
	samples := map[string]int{}
	for _, r := range results {
		agg.bytesRead += r.bytesRead
		agg.bytesDecoded += r.bytesDecoded
		rejects := r.rejects
		if left := max(rs.cfg.RejectSamples-samples[r.object], 0); len(rejects) > left {
			rejects = rejects[:left]
		}
		samples[r.object] += len(rejects)
		agg.rejects = append(agg.rejects, rejects...)
		agg.unlisted[0] += r.unlisted[0]
		agg.unlisted[1] += r.unlisted[1]
		addQuality(&agg.quality, r.quality)
		if r.damaged != nil {
			agg.damaged = append(agg.damaged, *r.damaged)
			rs.log.Warn("damaged input object", "url", r.damaged.URL, "reason", r.damaged.Reason, "rejected", r.damaged.Rejected)
		}
	}
	return agg
}

// finish reports what was read, keeps the sample of bad lines, refuses input
// too broken (or empty) to commit, then builds and commits every partition.
func (rs *runState) finish(ctx context.Context, agg *aggregate) (*Summary, error) {
	rs.summarize(agg)
	rs.checkNeighbours(&agg.partial.Counts, agg.unlisted)
	if len(agg.rejects) > 0 && !rs.cfg.DryRun {
		var err error
		if rs.sum.Rejects, rs.ownRejects, err = writeRejects(ctx, rs.out, rs.res.Output, rs.res.Date, rs.runID, agg.rejects); err != nil {
			return rs.done(), err
		}
	}
	rs.quality, rs.counts, rs.days = agg.quality, agg.partial.Counts, agg.partial.Days()
	rs.verdicts = map[string]error{}
	if err := rs.checkInput(&agg.partial.Counts); err != nil {
		rs.dropRejectsIfRefused(ctx, err)
		return rs.done(), err
	}
	sum, err := rs.commit(ctx, agg.store)
	if err != nil {
		rs.dropRejectsIfRefused(ctx, err)
		return rs.done(), err
	}
	// Dates that failed were left out; the others are committed.
	return sum, rs.failedDatesErr()
}

// summarize records the merged counts in the summary.
func (rs *runState) summarize(agg *aggregate) {
	sum, c := rs.sum, &agg.partial.Counts
	sum.BytesRead, sum.BytesDecoded, sum.Damaged = agg.bytesRead, agg.bytesDecoded, agg.damaged
	sum.Lines, sum.BlankLines, sum.Events, sum.BadLines = c.Lines, c.Blank, c.Events, c.BadTotal()
	sum.OutOfRange, sum.Folded = c.OutOfRange, c.Folded
	sum.BadByReason = c.BadByReason()
	sum.Windows = agg.store.Panes()
}

// checkInput records and warns of missing fields and unknown levels, and
// refuses to commit input that holds too many windows for an undated run,
// or no event at all. Whether each date's input is too broken to commit
// (--max-bad-ratio, --strict-fields) is judge's.
func (rs *runState) checkInput(c *features.Counts) error {
	cfg := rs.cfg
	rs.checkFields(c)
	rs.checkLevels(c)
	if rs.res.Date != "" && rs.judge(rs.res.Date) != nil {
		return rs.failedDatesErr() // its one date: nothing to commit
	}
	if c.Events == 0 {
		// No event, so no date: what was read is judged as a whole, and
		// input all bad or damaged is bad data, not missing input.
		if why := rs.tooBroken(rs.quality[runWide]); len(why) > 0 {
			return &kindError{KindHalt, fmt.Errorf("input too broken to commit: %s; nothing committed", strings.Join(why, "; "))}
		}
	}
	if c.TooManyPanes > 0 {
		return &kindError{KindHalt, fmt.Errorf(
			"the input spans more than %d windows (--max-panes; %d events beyond); run dated with --date or a templated input; nothing committed",
			cfg.MaxPanes, c.TooManyPanes)}
	}
	if c.Events-c.OutOfRange == 0 && !cfg.AllowEmpty {
		// An empty stdin, a broken upstream pipe or inputs holding no
		// event of the date: committing would hide it.
		return &kindError{KindNotReady, fmt.Errorf(
			"the input holds no event%s (%d lines, %d events outside the date); nothing committed (--allow-empty commits empty partitions)", rs.forDate(), c.Lines, c.OutOfRange)}
	}
	return nil
}

// commit builds the tables from total, commits their partitions against
// the heads the run started from, and collects what they supersede.
func (rs *runState) commit(ctx context.Context, total *spill.Store) (*Summary, error) {
	sum := rs.sum
	out, err := rs.format.Commit(ctx, rs.batch(total))
	sum.Rows += out.Rows
	sum.DroppedFormats = append(sum.DroppedFormats, out.Dropped...)
	sum.Partitions = append(sum.Partitions, out.Partitions...)
	sum.Files = append(sum.Files, out.Files...)
	if err != nil {
		rs.dropRejectsIfRefused(ctx, err)
		return rs.done(), formatErr(err)
	}
	if rs.cfg.DryRun {
		sum.DryRun = out.Planned
		return rs.done(), nil
	}
	rs.phase("gc")
	removed, err := rs.format.Collect(ctx, rs.res.Date)
	if err != nil {
		rs.log.Warn("garbage collection", "error", err)
	}
	sum.Removed = removed
	return rs.done(), nil
}

// batch is the run's commit of the rows in total, for its table format.
func (rs *runState) batch(total *spill.Store) *table.Batch {
	sum, c := rs.sum, total.Partial().Counts
	return &table.Batch{
		Heads: rs.heads,
		Record: Manifest{
			RunID: rs.runID, Version: rs.opts.Version, StartedAt: rs.started.UTC(),
			Inputs: rs.manifestInputs, SkippedObjects: sum.Skipped, Lines: c.Lines, Events: c.Events, OutOfRange: c.OutOfRange, FoldedEvents: c.Folded,
			BadLines: c.BadTotal(), BadByReason: c.BadByReason(), Warnings: sum.Warnings,
			Config: rs.snapshot, ConfigHash: rs.configHash, Damaged: sum.Damaged, Rejects: sum.Rejects,
			UnknownLevels: sum.UnknownLevels,
		},
		Rows:          &runRows{rs: rs, total: total},
		NotWorse:      rs.checkNotWorse,
		DryRun:        rs.cfg.DryRun,
		Phase:         rs.phase,
		BeforePublish: rs.opts.BeforePublish,
		Log:           rs.log,
	}
}

// dropRejectsIfRefused removes the run's sample of bad lines when it ends with
// err having committed no date: refused, beaten in a race or interrupted. It
// is kept on bad input, a date committed (or maybe: table.ErrOutcomeUnknown),
// or if an earlier run of the id wrote it (a retried merge). Idempotent.
func (rs *runState) dropRejectsIfRefused(ctx context.Context, err error) {
	if err == nil || !rs.ownRejects || KindOf(err) == KindBadData || rs.committedByThisRun() > 0 || errors.Is(err, table.ErrOutcomeUnknown) {
		return
	}
	if derr := rs.out.Delete(context.WithoutCancel(ctx), rs.sum.Rejects); derr != nil {
		rs.log.Warn("remove the lost run's rejects", "key", rs.sum.Rejects, "error", derr)
		return
	}
	rs.sum.Rejects, rs.ownRejects = "", false
}

// committedByThisRun counts the partitions this run committed.
func (rs *runState) committedByThisRun() int {
	n := 0
	for _, p := range rs.sum.Partitions {
		if p.Status == StatusCommitted {
			n++
		}
	}
	return n
}

func (rs *runState) forDate() string {
	if rs.res.Date == "" {
		return ""
	}
	return " of " + rs.res.Date
}

// runRows are a run's rows for its table format (see table.Rows): built
// from the merged partial as the format reads them, with the run's dates
// to commit and what each date's records say.
type runRows struct {
	rs    *runState
	total *spill.Store
}

func (r *runRows) Stream(w features.Window, fn func([]features.Row) error) error {
	return rowsErr(spillErr(r.total.Rows(w, r.rs.tableOptions(r.total), fn)))
}

func (r *runRows) All(w features.Window) ([]features.Row, error) {
	rows, err := r.total.Table(w, r.rs.tableOptions(r.total))
	return rows, rowsErr(spillErr(err))
}

// Dates are a dated run's date (even without rows: it had no events), or
// every date with rows; either less the dates judge refuses.
func (r *runRows) Dates(have []string) []string {
	dates := slices.Clone(have)
	if d := r.rs.res.Date; d != "" {
		dates = []string{d}
	}
	// A date whose input is too broken is not committed; the others are.
	return slices.DeleteFunc(dates, func(d string) bool { return r.rs.judge(d) != nil })
}

func (r *runRows) Events(w features.Window, d string) int64 { return r.total.EventsOn(w, d) }

func (r *runRows) Quality(d string) *Quality {
	if q, ok := r.rs.sum.Quality[d]; ok {
		return &q
	}
	return nil
}

func (r *runRows) Covered(d string) *table.Span { return r.rs.coveredOn(d) }

// rowsErr marks a failure to build rows (or to encode them, an error of
// the format that reads them) as a bug, unless it is a kind already.
func rowsErr(err error) error {
	var ke *kindError
	if err == nil || errors.As(err, &ke) {
		return err
	}
	return &kindError{KindBug, err}
}

// tableOptions are the options of the run's tables from total: dense or
// sparse, the group cap, the dated run's date, and the span the input
// covers (recorded for the manifests).
func (rs *runState) tableOptions(total *spill.Store) features.TableOptions {
	cfg := rs.cfg
	opt := features.TableOptions{Dense: !cfg.Sparse, MaxGroups: rs.res.MaxGroups, Dims: len(rs.res.Columns.Dims)}
	if rs.res.Date != "" {
		opt.From, opt.To = rs.res.Day, rs.res.Day.AddDate(0, 0, 1)
	}
	opt.CoverFrom, opt.CoverTo = rs.cover(total)
	rs.covered = table.Span{From: opt.CoverFrom, To: opt.CoverTo}
	return opt
}

// cover returns the span the run's input covers, [from, to) (see
// spill.Store.Cover): a templated dated run's input names its date, which
// it covers whole.
func (rs *runState) cover(total *spill.Store) (from, to time.Time) {
	return total.Cover(rs.res.Day, rs.res.Date != "" && IsTemplate(rs.cfg.Input))
}

// coveredOn returns the part of the date d the run's input covers (an
// empty span at the date's start when it covers none of it).
func (rs *runState) coveredOn(d string) *table.Span {
	day, _ := time.Parse(time.DateOnly, d)
	end := day.AddDate(0, 0, 1)
	s := table.Span{From: rs.covered.From, To: rs.covered.To}
	if s.From.Before(day) {
		s.From = day
	}
	if s.To.After(end) {
		s.To = end
	}
	if !s.To.After(s.From) {
		s = table.Span{From: day, To: day}
	}
	return &s
}

// checkNotWorse refuses to replace a committed partition (of date d, table
// t, run prev) holding events with one holding fewer: the input objects it
// was read from were deleted, expired or damaged since, or are partly
// missing from this run's listing (an undated run holding a few stray
// lines of a neighbour day). --allow-empty replaces it with an empty one,
// --allow-fewer-events with any. exact is false when the committed count
// is only a stand-in (rows of an old manifest): then only an empty
// replacement is refused.
func (rs *runState) checkNotWorse(d, t, prev string, events, committed int64, exact bool) error {
	switch {
	case committed <= 0 || events >= committed:
		return nil
	case events == 0 && !rs.cfg.AllowEmpty:
		return &kindError{KindFewerEvents, fmt.Errorf(
			"date %s of table %s: this run has no event for it, the committed run %s has; nothing committed (--allow-empty replaces it): %w",
			d, t, prev, errWorse)}
	case events > 0 && exact && !rs.cfg.AllowFewer:
		return &kindError{KindFewerEvents, fmt.Errorf(
			"date %s of table %s: this run's partition counts %d events, fewer than the %d of the committed run %s (input objects missing or damaged since, or a config that keeps fewer); nothing committed (--allow-fewer-events replaces it): %w",
			d, t, events, committed, prev, errWorse)}
	}
	return nil
}

// errWorse marks a run refused for replacing a commit with fewer events.
var errWorse = errors.New("the committed partition holds more events")

// endpointHint says which setting to check for an S3 endpoint that cannot
// be talked with, or "".
func endpointHint(err error) string {
	var ee *storage.EndpointError
	if !errors.As(err, &ee) {
		return ""
	}
	switch ee.Problem {
	case storage.Unreachable:
		return "check LOGSMITH_S3_ENDPOINT (--s3-endpoint): is the address right and the server up?"
	case storage.PlainHTTP:
		return "the endpoint speaks plain http: set LOGSMITH_S3_INSECURE=true (--s3-insecure) or give an http:// endpoint"
	case storage.TLSOnly:
		return "the endpoint speaks https: unset LOGSMITH_S3_INSECURE (--s3-insecure) or give an https:// endpoint"
	case storage.Certificate:
		return "trust its certificate's CA with LOGSMITH_S3_CA_FILE (--s3-ca-file)"
	case storage.Region:
		return "check LOGSMITH_S3_REGION (--s3-region)"
	}
	return ""
}

// probe checks, before a command's other calls, that the objects of loc
// (its what: "input", "output") can be listed; see objio.Bucket.Probe. Its
// error names the location, the endpoint and the setting to check.
func probe(ctx context.Context, b *objio.Bucket, what string, loc Location) error {
	err := b.Probe(ctx, loc.Key(""))
	if err == nil {
		return nil
	}
	err = fmt.Errorf("%s %s: %w", what, loc, err)
	if errors.Is(err, storage.ErrPermission) && loc.Scheme == "s3" {
		err = fmt.Errorf("%w; check LOGSMITH_S3_ACCESS_KEY and LOGSMITH_S3_SECRET_KEY (or the AWS credentials the process has) and LOGSMITH_S3_REGION", err)
	}
	return storageErr(err)
}

// storageErr marks err as a storage failure: access refused (KindFixAccess) or
// anything else the store did (KindRetry). Cancellation stays as it is.
func storageErr(err error) error {
	switch {
	case err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return err
	case endpointHint(err) != "":
		err = fmt.Errorf("%w; %s", err, endpointHint(err))
	case errors.Is(err, storage.ErrPermission):
		return &kindError{KindFixAccess, err}
	case errors.Is(err, table.ErrManifestTooLarge):
		// Too many input objects for one date: no retry can help.
		return &kindError{KindHalt, err}
	}
	return &kindError{KindRetry, err}
}

// readUnits runs one pool task per unit. Each task owns the partial it
// builds until it hands it to the in-order merge; the first error cancels
// the others and is returned. It returns the per-unit results (without
// their partials); the partials are merged into store.
func (rs *runState) readUnits(ctx context.Context, units []unit, store *spill.Store) ([]objectResult, error) {
	cfg, progress, log := rs.cfg, rs.opts.Progress, rs.log
	oo := features.ObjectOptions{MaxObjectBytes: cfg.MaxObjectBytes, MaxLine: cfg.MaxLineBytes, Samples: cfg.RejectSamples}
	states := sync.Pool{New: func() any { return &taskState{or: features.NewObjectReader(rs.res.Spec, oo)} }}
	// A bounded queue: tasks (and their closures) are submitted as workers
	// free up, not all at once.
	pool := pond.NewResultPool[objectResult](rs.res.Workers, pond.WithContext(ctx), pond.WithQueueSize(2*rs.res.Workers))
	defer pool.StopAndWait()
	gctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var firstErr error
	var once sync.Once
	group := pool.NewGroupContext(gctx)
	// Each unit's stream is read ahead of its decoding by its own
	// goroutine, and the next unit's read starts before a worker is free.
	// Streams are opened as they are claimed or read ahead.
	streams := &unitStreams{ctx: gctx, units: units, ahead: cfg.ReadAhead, open: map[int]unitStream{}}
	defer streams.closeAll() // also stops reads ahead that no task claimed
	pf := objio.NewPrefetcher(len(units), 1, streams.readAhead)
	for i, u := range units {
		group.SubmitErr(func() (res objectResult, err error) {
			defer func() {
				if err != nil {
					// Keep the cause, not the cancellations it triggers.
					once.Do(func() { firstErr = err })
					cancel() // stop the other tasks' I/O at once
				}
			}()
			st := states.Get().(*taskState)
			defer states.Put(st)
			t0 := time.Now()
			pf.Claim(i)
			us := streams.take(i)
			defer us.close()
			src := us.src
			if us.ahead != nil {
				src = us.ahead
			}
			if progress != nil {
				src = &progressReader{r: src, p: progress}
				defer progress.ObjectDone()
			}
			// A range after the first is the middle of a text object
			// (planUnits splits nothing else): no head of its own to judge.
			r, err := readUnit(gctx, st.or, u.id(), src, rs.newPartial(), !u.whole() && u.off > 0)
			r.object = u.in.url()
			if err != nil {
				return r, err
			}
			log.Debug("object done", "url", u.id(), "bytes", r.bytesRead, "decoded", r.bytesDecoded,
				"lines", r.partial.Counts.Lines, "bad", r.partial.Counts.BadTotal(), "seconds", time.Since(t0).Seconds())
			p := r.partial
			r.quality = unitQuality(u, &r, p)
			if r.damaged != nil && r.damaged.Rejected {
				p = nil
			} else {
				r.unlisted = unlistedNear(u.in, &p.Counts)
			}
			r.partial = nil
			return r, spillErr(store.AddAt(i, p))
		})
	}
	results, err := group.Wait()
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		once.Do(func() { firstErr = err })
		return nil, firstErr
	}
	return results, nil
}

// unitStreams opens the units' streams when they are read ahead or taken,
// so that what a run holds does not grow with its number of objects.
type unitStreams struct {
	ctx   context.Context
	units []unit
	ahead int64
	mu    sync.Mutex
	open  map[int]unitStream // opened and not yet taken
	done  bool               // closeAll was called
}

// readAhead opens unit i for reading ahead, for objio.Prefetcher: it
// returns its read-ahead, or nil (opening nothing) when unit i is not read
// ahead.
func (s *unitStreams) readAhead(i int) *objio.ReadAhead {
	if s.ahead <= 0 || !s.units[i].in.bucket.ReadAheadPays() {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return nil
	}
	us, ok := s.open[i]
	if !ok {
		us = openUnit(s.ctx, s.units[i], s.ahead)
		s.open[i] = us
	}
	return us.ahead
}

// take returns unit i's stream, opening it unless it was read ahead; the
// caller closes it.
func (s *unitStreams) take(i int) unitStream {
	s.mu.Lock()
	us, ok := s.open[i]
	delete(s.open, i)
	s.mu.Unlock()
	if !ok {
		us = openUnit(s.ctx, s.units[i], s.ahead)
	}
	return us
}

// closeAll closes the streams opened and not taken.
func (s *unitStreams) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.done = true
	for i, us := range s.open {
		us.close()
		delete(s.open, i)
	}
}

// unitStream is the byte stream of one unit: the object (or range) as
// read from storage, and its read-ahead when enabled.
type unitStream struct {
	src    io.Reader
	ahead  *objio.ReadAhead
	rc     *objio.Stream
	cancel context.CancelFunc
}

// openUnit prepares u's stream, read up to ahead bytes ahead when its
// bucket says that pays; nothing is read before the first Read (or the
// read-ahead's start).
func openUnit(ctx context.Context, u unit, ahead int64) unitStream {
	ctx, cancel := context.WithCancel(ctx)
	var rc *objio.Stream
	var src io.Reader
	length := u.size()
	if u.whole() {
		rc = u.in.bucket.Stream(ctx, u.in.info, 0)
		src = rc
	} else {
		// From the byte before the range, to tell whether it starts a line,
		// to where it stops (see splitRule.stop).
		rc = u.in.bucket.StreamRange(ctx, u.in.info, max(u.off-1, 0), u.stop)
		src = newRangeReader(rc, u.off, u.end)
		length = -1 // the last line runs past the range's end
	}
	s := unitStream{src: src, rc: rc, cancel: cancel}
	if ahead > 0 && u.in.bucket.ReadAheadPays() {
		s.ahead = objio.NewReadAhead(ctx, cancel, s.src, length, ahead)
	}
	return s
}

// close stops the stream's reads; it may be called more than once.
func (s unitStream) close() {
	if s.ahead != nil {
		s.ahead.Close()
	}
	s.cancel()
	s.rc.Close()
}

type progressReader struct {
	r io.Reader
	p Progress
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.p.Read(int64(n))
	return n, err
}

// readUnit reads one unit's stream into p with or. Damage in the data is
// reported in the result's damaged field, with the lines before it kept
// only for a clean truncation (features.DamageError): any other damage
// rejects the object whole; a failure of the stream is a storage error.
func readUnit(ctx context.Context, or *features.ObjectReader, name string, r io.Reader, p *features.Partial, middle bool) (objectResult, error) {
	st, err := or.Read(ctx, name, r, p, middle)
	res := objectResult{partial: p, bytesRead: st.BytesRead, bytesDecoded: st.BytesDecoded, rejects: st.Rejects}
	var de *features.DamageError
	var se *features.SourceError
	switch {
	case errors.As(err, &de):
		res.damaged = &DamagedObject{URL: name, Reason: de.Reason(), Lines: de.Lines, Rejected: de.Rejected}
		if de.Rejected {
			res.damaged.Lines = 0 // none kept: the caller discards the partial
		}
		return res, nil
	case errors.As(err, &se):
		return res, storageErr(err)
	}
	return res, err
}

// writeRejects writes the bad lines' sample unless the run id's is there; ok says it did.
func writeRejects(ctx context.Context, out Bucket, loc Location, date, runID string, rejects []features.Reject) (key string, ok bool, err error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, r := range rejects {
		_ = enc.Encode(r) // strings only: cannot fail
	}
	key = table.NewOutput(out, loc.Prefix).RejectsKey(date, runID)
	_, err = out.Stat(ctx, key) // not If-None-Match: a retry after a lost answer would say "not ours"
	if err == nil {
		return key, false, nil // not ours to replace or remove: a commit may name it
	} else if errors.Is(err, storage.ErrNotExist) {
		_, err = out.Put(ctx, key, bytes.NewReader(buf.Bytes()), int64(buf.Len()), storage.PutOptions{ContentType: "application/x-ndjson"})
	}
	if err != nil {
		return "", false, storageErr(fmt.Errorf("write rejects: %w", err))
	}
	return key, true, nil
}
