package job

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/job/input"
	"github.com/logsmith/logsmith/job/quality"
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/job/shard"
	"github.com/logsmith/logsmith/job/spill"
	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/storage/objio"
	"github.com/logsmith/logsmith/table"
)

// writeShard stores this shard's partial under <output>/_partials/date=D/run=ID/shard-i-of-n:
// the header and the partial's sections, one per time range (see shard.Encode).
func (rs *runState) writeShard(ctx context.Context, i, n int, all, mine []input.Unit, agg *aggregate) (*Summary, error) {
	h := shard.Header{
		RunID: rs.runID, Date: rs.res.Date, Shard: i, Shards: n,
		ConfigHash: rs.configHash, Version: rs.opts.Version, Inputs: rs.manifestInputs,
		BytesRead: agg.bytesRead, BytesDecoded: agg.bytesDecoded, Damaged: agg.damaged, Rejects: agg.rejects,
		Skipped: rs.sum.Skipped, Unlisted: agg.unlisted, Heads: rs.heads, Quality: agg.quality,
	}
	for _, u := range all {
		h.Units = append(h.Units, u.ShardID())
	}
	for _, u := range mine {
		h.Covered = append(h.Covered, u.ShardID())
	}
	slices.Sort(h.Units)
	data, err := shard.Encode(h, agg.store.Sections)
	if err != nil {
		return nil, spillErr(err)
	}
	key := rs.output().PartialsPrefix(rs.res.Date, rs.runID) + shard.Name(i, n)
	if rs.cfg.DryRun {
		rs.log.Info("dry run: shard not written", "key", key)
	} else if _, err := rs.out.Put(ctx, key, bytes.NewReader(data), int64(len(data)), storage.PutOptions{}); err != nil {
		return nil, failure.Storage(fmt.Errorf("write shard: %w", err))
	}
	rs.log.Info("shard written", "run_id", rs.runID, "date", rs.res.Date, "shard", i, "shards", n, "units", len(mine), "key", key)
	sum := rs.sum
	sum.BytesRead, sum.BytesDecoded, sum.Damaged = agg.bytesRead, agg.bytesDecoded, agg.damaged
	c := agg.partial.Counts
	sum.Lines, sum.BlankLines, sum.Events, sum.BadLines = c.Lines, c.Blank, c.Events, c.BadTotal()
	sum.BadByReason = c.BadByReason()
	sum.Objects = len(mine)
	if !rs.cfg.DryRun {
		sum.Files = []string{key}
	}
	return rs.done(), nil
}

// Merge checks that every shard of a run is there, of this run and config,
// and that together they cover every unit of the listing once; then it merges
// their partials and commits like a run, and deletes them after the commit.
func Merge(ctx context.Context, cfg settings.Config, opts Options) (*Summary, error) {
	if cfg.RunID == "" {
		return nil, settings.SettingError(&cfg, "RunID", errors.New("required: the run id the shards were written with"))
	}
	rs, err := newRunState(cfg.ForMerge(), opts)
	if err != nil {
		return nil, err
	}
	if rs.res.Date == "" {
		return nil, settings.SettingError(&cfg, "Date", errors.New("required: the date the shards computed"))
	}
	rs.phase("checking the output")
	if err := probe(ctx, rs.out, "output", rs.res.Output); err != nil {
		return nil, err
	}
	if rs.format, err = rs.openFormat(ctx); err != nil {
		return nil, err
	}
	defer rs.format.Close()
	// The tables are checked as a run's; the heads the merge commits
	// against are the shards', read below.
	if _, err := rs.format.Start(ctx, rs.res.Date); err != nil {
		return nil, formatErr(err)
	}
	prefix := rs.output().PartialsPrefix(rs.res.Date, rs.runID)
	var objs []storage.ObjectInfo
	err = rs.out.List(ctx, prefix, func(o storage.ObjectInfo) error {
		if o.Size == 0 && strings.HasSuffix(o.Key, "/") {
			return nil // a folder marker a console made: no shard
		}
		objs = append(objs, o)
		return nil
	})
	if err != nil {
		return nil, failure.Storage(fmt.Errorf("list shards: %w", err))
	}
	if opts.AfterList != nil {
		opts.AfterList(ctx)
	}
	if len(objs) == 0 {
		// A merge that committed deletes its shards: its rerun has nothing to do.
		if done, err := rs.format.CommittedBy(ctx, rs.res.Date, rs.runID); err != nil {
			return nil, formatErr(err)
		} else if done != nil {
			rs.log.Info("already committed by this run; nothing to merge", "date", rs.res.Date, "run_id", rs.runID)
			rs.sum.Partitions = done
			return rs.done(), nil
		}
		return nil, failure.New(failure.KindNotReady, fmt.Errorf("merge %s run %s: no shards under %s", rs.res.Date, rs.runID, prefix))
	}
	// A shard gone after the listing while this run's commit is in place:
	// another merge of the run committed (and deleted them) as this one read.
	shardGone := func(err error) error {
		if done, derr := rs.format.CommittedBy(ctx, rs.res.Date, rs.runID); derr == nil && done != nil {
			return failure.New(failure.KindLostRace, fmt.Errorf("merge %s run %s: another merge of this run committed it while this one read the shards (%v): %w",
				rs.res.Date, rs.runID, err, table.ErrLostRace))
		}
		return err
	}
	shards := -1
	byIndex := map[int]storage.ObjectInfo{}
	for _, o := range objs {
		name := strings.TrimPrefix(o.Key, prefix)
		i, n, ok := shard.ParseName(name)
		if !ok {
			return nil, mergeErr("unexpected object %s among the shards", o.Key)
		}
		if shards >= 0 && n != shards {
			return nil, mergeErr("shards of different counts: %s and %d", name, shards)
		}
		shards = n
		byIndex[i] = o
	}
	for i := range shards {
		if _, ok := byIndex[i]; !ok {
			return nil, shardGone(failure.New(failure.KindNotReady, fmt.Errorf("merge: shard %d of %d is missing (%s): has every map pod finished?", i, shards, prefix+shard.Name(i, shards))))
		}
	}
	rs.phase("merging")
	store := rs.newStore()
	defer rs.closeStore(store)
	agg := &aggregate{partial: store.Partial(), store: store}
	var covered [][]string
	var units []string
	for i := range shards {
		o := byIndex[i]
		var h *shard.Header
		var secs shard.Sections // compressed: decoded one at a time into the store
		err := rs.policy().Do(ctx, "read shard "+o.Key, func(ctx context.Context) error {
			rc, err := rs.out.Open(ctx, o.Key, 0)
			if err != nil {
				return err
			}
			defer rc.Close()
			raw := &features.CountingReader{R: rc}
			h, secs, err = shard.Read(raw)
			if err != nil && raw.Err == nil {
				return objio.Final(&badShard{err}) // the object, not the store
			}
			return err
		})
		var bad *badShard
		if errors.As(err, &bad) {
			return nil, mergeErr("%s: %v", o.Key, bad.err)
		}
		if errors.Is(err, storage.ErrNotExist) {
			return nil, shardGone(failure.Storage(err))
		}
		if err != nil {
			return nil, failure.Storage(err)
		}
		switch {
		case h.RunID != rs.runID:
			return nil, mergeErr("%s belongs to run %s, not %s", o.Key, h.RunID, rs.runID)
		case h.Date != rs.res.Date:
			return nil, mergeErr("%s computed date %s, not %s", o.Key, h.Date, rs.res.Date)
		case h.Shard != i || h.Shards != shards:
			return nil, mergeErr("%s holds shard %d of %d (a duplicate or misplaced shard)", o.Key, h.Shard, h.Shards)
		case h.ConfigHash != rs.configHash:
			return nil, mergeErr("%s was computed with another config (hash %s, merge has %s)", o.Key, h.ConfigHash, rs.configHash)
		}
		if units == nil {
			units, rs.manifestInputs, rs.heads, rs.sum.Skipped = h.Units, h.Inputs, h.Heads, h.Skipped
			for key := range h.Heads {
				if f := headsFormat(key); f != cfg.TableFormat {
					return nil, mergeErr("%s was computed for --table-format %s, the merge has %s", o.Key, f, cfg.TableFormat)
				}
			}
		} else if !slices.Equal(units, h.Units) || !slices.Equal(rs.manifestInputs, h.Inputs) || !maps.Equal(rs.sum.Skipped, h.Skipped) {
			return nil, mergeErr("%s saw a different input listing than shard 0 (a stale shard: rerun it)", o.Key)
		} else if !sameHeads(rs.heads, h.Heads) {
			// A run committed the date while the shards started: the
			// sharded run started before that commit, so it lost.
			return nil, failure.New(failure.KindLostRace, fmt.Errorf("merge %s run %s: the date was committed while its shards started (%s saw another head than shard 0): %w",
				rs.res.Date, rs.runID, o.Key, table.ErrLostRace))
		}
		covered = append(covered, h.Covered)
		agg.bytesRead += h.BytesRead
		agg.bytesDecoded += h.BytesDecoded
		agg.damaged = append(agg.damaged, h.Damaged...)
		agg.rejects = append(agg.rejects, h.Rejects...)
		agg.unlisted[0] += h.Unlisted[0]
		agg.unlisted[1] += h.Unlisted[1]
		quality.Add(&agg.quality, h.Quality)
		// Each shard's panes go straight to the spill file: the merge
		// holds one range of every shard at a time when it builds the
		// rows, instead of its budget's worth of panes (see
		// spill.Store.AddSpilled).
		if err := secs.Each(store.AddSpilled); errors.As(err, new(*spill.DirError)) {
			return nil, spillErr(err)
		} else if err != nil {
			return nil, mergeErr("%s: %v", o.Key, err)
		}
	}
	if err := shard.CheckCoverage(units, covered); err != nil {
		return nil, mergeErr("%v", err)
	}
	rs.sum.Objects = len(rs.manifestInputs)
	rs.log.Info("merging shards", "run_id", rs.runID, "date", rs.res.Date, "shards", shards, "objects", len(rs.manifestInputs))
	sum, err := rs.finish(ctx, agg)
	if errors.Is(err, table.ErrLostRace) {
		if done, derr := rs.format.CommittedBy(ctx, rs.res.Date, rs.runID); derr == nil && done != nil {
			sum.Partitions, err = done, nil // lost to a merge of this run (a retried pod): done
		}
	}
	if err == nil && !cfg.DryRun {
		if derr := rs.output().DeletePrefix(ctx, prefix); derr != nil {
			rs.log.Warn("delete merged partials", "prefix", prefix, "error", derr)
		}
	}
	return sum, err
}

func sameHeads(a, b map[string]map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for t, ha := range a {
		hb, ok := b[t]
		if !ok || !maps.Equal(ha, hb) {
			return false
		}
	}
	return true
}

// badShard is a shard object that cannot be decoded: retrying its read
// cannot help.
type badShard struct{ err error }

func (b *badShard) Error() string { return b.err.Error() }

func mergeErr(format string, args ...any) error {
	return failure.New(failure.KindHalt, fmt.Errorf("merge: "+format, args...))
}
