package job

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/alitto/pond/v2"

	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/job/input"
	"github.com/logsmith/logsmith/job/quality"
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/job/spill"
	"github.com/logsmith/logsmith/storage/objio"
	"github.com/logsmith/logsmith/table"
)

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
	// quality is the unit's input attributed to dates (quality.Attribute).
	quality map[string]Quality
}

// taskState is reused across tasks to keep buffers and decoders warm.
type taskState struct {
	or *features.ObjectReader
}

// runState is one run in progress: its settings, identity and output.
type runState struct {
	cfg            *settings.Config
	res            *settings.Resolved
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

func newRunState(cfg *settings.Config, opts Options) (*runState, error) {
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
	if rs.out, err = open(rs.res.Output, rs.res.S3, readPolicy(&cfg.ReadSettings, opts)); err != nil {
		return nil, err
	}
	rs.sum = &Summary{RunID: rs.runID, Input: cfg.Input, Output: rs.res.Output.String(), Date: rs.res.Date,
		Workers: res.Workers, BadByReason: map[string]int64{}}
	rs.snapshot, rs.configHash = settings.ConfigSnapshot(cfg)
	return rs, nil
}

// phase tells the progress (when set) what the run does from now on.
func (rs *runState) phase(name string) {
	if rs.opts.Progress != nil {
		rs.opts.Progress.Phase(name)
	}
}

func (rs *runState) policy() objio.Policy { return readPolicy(&rs.cfg.ReadSettings, rs.opts) }

// Run executes one run: resolve the date and inputs, fan out, merge, and
// commit each date partition; or, with --shard, compute one shard's partial
// for a later merge. It returns the summary and an error classified by
// KindOf.
func Run(ctx context.Context, cfg settings.Config, opts Options) (*Summary, error) {
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
	listed, err := listInputs(ctx, &cfg, rs.res, rs.policy(), opts.Stdin, log)
	if err != nil {
		return nil, err
	}
	if opts.AfterList != nil {
		opts.AfterList(ctx)
	}
	for _, w := range listed.Warnings() {
		log.Warn(w)
		sum.Warnings = append(sum.Warnings, w)
	}
	inputs := listed.Objects
	sum.Objects = len(inputs)
	if len(listed.Skipped) > 0 {
		sum.Skipped = listed.Skipped
	}
	if len(inputs) == 0 {
		// Committing an empty table would hide missing upstream logs.
		return nil, listed.NoInputs()
	}
	rs.manifestInputs = []ManifestInput{}
	for _, in := range inputs {
		if in.Loc.Scheme == "-" {
			continue // no name, size or version to record
		}
		rs.manifestInputs = append(rs.manifestInputs, ManifestInput{URL: in.URL(), Size: in.Info.Size, ETag: in.Info.ETag})
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

	units, err := input.PlanUnits(ctx, inputs, input.SplitRuleOf(&cfg, rs.res))
	if err != nil {
		return nil, err
	}
	all := units
	sum.Units = len(units)
	if sharded {
		units = input.AssignShard(units, shard, shards)
	}
	if err := rs.checkMemory(ctx, units); err != nil {
		return nil, err
	}
	if opts.Progress != nil {
		var total int64
		for _, u := range units {
			total += max(u.Size(), 0) // standard input's size is unknown
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
func (rs *runState) process(ctx context.Context, units []input.Unit, store *spill.Store) (*aggregate, error) {
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
		quality.Add(&agg.quality, r.quality)
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
	if err == nil || failure.Marked(err) {
		return err
	}
	return failure.New(failure.KindBug, err)
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
	return total.Cover(rs.res.Day, rs.res.Date != "" && settings.IsTemplate(rs.cfg.Input))
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
		return failure.New(failure.KindFewerEvents, fmt.Errorf(
			"date %s of table %s: this run has no event for it, the committed run %s has; nothing committed (--allow-empty replaces it): %w",
			d, t, prev, errWorse))
	case events > 0 && exact && !rs.cfg.AllowFewer:
		return failure.New(failure.KindFewerEvents, fmt.Errorf(
			"date %s of table %s: this run's partition counts %d events, fewer than the %d of the committed run %s (input objects missing or damaged since, or a config that keeps fewer); nothing committed (--allow-fewer-events replaces it): %w",
			d, t, events, committed, prev, errWorse))
	}
	return nil
}

// errWorse marks a run refused for replacing a commit with fewer events.
var errWorse = errors.New("the committed partition holds more events")

// readUnits runs one pool task per unit. Each task owns the partial it
// builds until it hands it to the in-order merge; the first error cancels
// the others and is returned. It returns the per-unit results (without
// their partials); the partials are merged into store.
func (rs *runState) readUnits(ctx context.Context, units []input.Unit, store *spill.Store) ([]objectResult, error) {
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
	streams := input.NewStreams(gctx, units, cfg.ReadAhead)
	defer streams.CloseAll() // also stops reads ahead that no task claimed
	pf := objio.NewPrefetcher(len(units), 1, streams.ReadAhead)
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
			us := streams.Take(i)
			defer us.Close()
			src := us.Reader()
			if progress != nil {
				src = &progressReader{r: src, p: progress}
				defer progress.ObjectDone()
			}
			// A range after the first is the middle of a text object
			// (input.PlanUnits splits nothing else): no head of its own to judge.
			r, err := readUnit(gctx, st.or, u.ID(), src, rs.newPartial(), !u.Whole() && u.Off > 0)
			r.object = u.In.URL()
			if err != nil {
				return r, err
			}
			log.Debug("object done", "url", u.ID(), "bytes", r.bytesRead, "decoded", r.bytesDecoded,
				"lines", r.partial.Counts.Lines, "bad", r.partial.Counts.BadTotal(), "seconds", time.Since(t0).Seconds())
			p := r.partial
			r.quality = quality.Attribute(u, quality.Read{Partial: p, BytesRead: r.bytesRead,
				Damaged: r.damaged != nil, Rejected: r.damaged != nil && r.damaged.Rejected})
			if r.damaged != nil && r.damaged.Rejected {
				p = nil
			} else {
				r.unlisted = u.In.UnlistedNear(&p.Counts)
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
