package job

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/klauspost/compress/zstd"

	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/table"
)

// ShardFormatVersion is the version of shard partial objects.
// Version 2 added the heads the shard started from; 3 names them by
// commit (table.Head.CommitID) instead of ETag.
const ShardFormatVersion = 3

var shardMagic = []byte("LSSHARD1")

// ShardHeader describes a shard partial: which run, date and shard it is,
// the whole listing every shard of the run saw, and the units it covered.
type ShardHeader struct {
	FormatVersion int             `json:"format_version"`
	RunID         string          `json:"run_id"`
	Date          string          `json:"date"`
	Shard         int             `json:"shard"`
	Shards        int             `json:"shards"`
	ConfigHash    string          `json:"config_hash"`
	Version       string          `json:"logsmith_version"`
	Inputs        []ManifestInput `json:"inputs"`  // every input object of the run, listed by this shard
	Units         []string        `json:"units"`   // every unit of the run
	Covered       []string        `json:"covered"` // the units this shard read
	BytesRead     int64           `json:"bytes_read"`
	BytesDecoded  int64           `json:"bytes_decoded"`
	Damaged       []DamagedObject `json:"damaged_objects,omitempty"`
	Rejects       []Reject        `json:"rejects,omitempty"`
	// Heads are the manifest ETags of the date in each table (by table
	// folder) when the shard started: the merge commits against them.
	Heads map[string]map[string]string `json:"heads"`
}

func shardName(i, n int) string { return fmt.Sprintf("shard-%d-of-%d", i, n) }

// writeShard stores this shard's partial under
// <output>/_partials/date=D/run=ID/shard-i-of-n:
//
//	"LSSHARD1" | uvarint header length | header JSON | zstd(partial binary)
func (rs *runState) writeShard(ctx context.Context, shard, shards int, all, mine []unit, agg *aggregate) (*Summary, error) {
	h := ShardHeader{
		FormatVersion: ShardFormatVersion, RunID: rs.runID, Date: rs.date, Shard: shard, Shards: shards,
		ConfigHash: rs.configHash, Version: rs.opts.Version, Inputs: rs.manifestInputs,
		BytesRead: agg.bytesRead, BytesDecoded: agg.bytesDecoded, Damaged: agg.damaged, Rejects: agg.rejects,
		Heads: rs.heads,
	}
	for _, u := range all {
		h.Units = append(h.Units, u.shardID())
	}
	for _, u := range mine {
		h.Covered = append(h.Covered, u.shardID())
	}
	slices.Sort(h.Units)
	hj, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("encode shard header: %w", err)
	}
	pb, err := agg.partial.MarshalBinary()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.Write(shardMagic)
	buf.Write(binary.AppendUvarint(nil, uint64(len(hj))))
	buf.Write(hj)
	zw, _ := zstd.NewWriter(&buf, zstd.WithEncoderConcurrency(1))
	_, _ = zw.Write(pb)
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("compress shard: %w", err)
	}
	key := rs.output().PartialsPrefix(rs.date, rs.runID) + shardName(shard, shards)
	if _, err := rs.out.Put(ctx, key, bytes.NewReader(buf.Bytes()), int64(buf.Len()), storage.PutOptions{}); err != nil {
		return nil, storageErr(fmt.Errorf("write shard: %w", err))
	}
	rs.log.Info("shard written", "run_id", rs.runID, "date", rs.date, "shard", shard, "shards", shards, "units", len(mine), "key", key)
	sum := rs.sum
	sum.BytesRead, sum.BytesDecoded, sum.Damaged = agg.bytesRead, agg.bytesDecoded, agg.damaged
	c := agg.partial.Counts
	sum.Lines, sum.BlankLines, sum.Events, sum.BadLines = c.Lines, c.Blank, c.Events, c.BadTotal()
	sum.BadByReason = c.BadByReason()
	sum.Objects = len(mine)
	sum.Files = []string{key}
	return rs.done(), nil
}

// readShard decodes a shard object.
func readShard(data []byte) (*ShardHeader, *features.Partial, error) {
	if !bytes.HasPrefix(data, shardMagic) {
		return nil, nil, errors.New("not a logsmith shard (bad magic)")
	}
	rest := data[len(shardMagic):]
	n, k := binary.Uvarint(rest)
	if k <= 0 || n > uint64(len(rest)-k) {
		return nil, nil, errors.New("corrupt shard header")
	}
	var h ShardHeader
	if err := json.Unmarshal(rest[k:k+int(n)], &h); err != nil {
		return nil, nil, fmt.Errorf("decode shard header: %w", err)
	}
	if h.FormatVersion != ShardFormatVersion {
		return nil, nil, fmt.Errorf("shard format %d, want %d", h.FormatVersion, ShardFormatVersion)
	}
	zr, err := zstd.NewReader(bytes.NewReader(rest[k+int(n):]), zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(8<<30))
	if err != nil {
		return nil, nil, err
	}
	defer zr.Close()
	pb, err := io.ReadAll(zr)
	if err != nil {
		return nil, nil, fmt.Errorf("decompress shard: %w", err)
	}
	p, err := features.UnmarshalPartial(pb)
	if err != nil {
		return nil, nil, err
	}
	return &h, p, nil
}

// Merge checks that every shard of a run is present, from this run and this
// config, and that together they cover every unit of the listing exactly
// once; then it merges their partials and commits the date's partitions like
// a single-process run. The run's partials are deleted after the commit.
func Merge(ctx context.Context, cfg Config, opts Options) (*Summary, error) {
	if cfg.RunID == "" {
		return nil, settingError(&cfg, "RunID", errors.New("required: the run id the shards were written with"))
	}
	cfg.Shard, cfg.Shards = "", 0
	rs, err := newRunState(&cfg, opts)
	if err != nil {
		return nil, err
	}
	if rs.date == "" {
		return nil, settingError(&cfg, "Date", errors.New("required: the date the shards computed"))
	}
	prefix := rs.output().PartialsPrefix(rs.date, rs.runID)
	var objs []storage.ObjectInfo
	err = rs.out.List(ctx, prefix, func(o storage.ObjectInfo) error { objs = append(objs, o); return nil })
	if err != nil {
		return nil, storageErr(fmt.Errorf("list shards: %w", err))
	}
	if len(objs) == 0 {
		return nil, &kindError{KindStorage, fmt.Errorf("merge %s run %s: no shards under %s", rs.date, rs.runID, prefix)}
	}
	shards := -1
	byIndex := map[int]storage.ObjectInfo{}
	for _, o := range objs {
		name := strings.TrimPrefix(o.Key, prefix)
		var i, n int
		if _, err := fmt.Sscanf(name, "shard-%d-of-%d", &i, &n); err != nil || shardName(i, n) != name {
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
			return nil, &kindError{KindStorage, fmt.Errorf("merge: shard %d of %d is missing (%s): has every map pod finished?", i, shards, prefix+shardName(i, shards))}
		}
	}
	agg := &aggregate{partial: rs.newPartial()}
	covered := map[string]int{}
	var units []string
	for i := range shards {
		o := byIndex[i]
		var data []byte
		err := rs.policy().Do(ctx, "read "+o.Key, func(ctx context.Context) error {
			rc, err := rs.out.Open(ctx, o.Key, 0)
			if err != nil {
				return err
			}
			defer rc.Close()
			data, err = io.ReadAll(io.LimitReader(rc, 16<<30))
			return err
		})
		if err != nil {
			return nil, storageErr(err)
		}
		h, p, err := readShard(data)
		if err != nil {
			return nil, mergeErr("%s: %v", o.Key, err)
		}
		switch {
		case h.RunID != rs.runID:
			return nil, mergeErr("%s belongs to run %s, not %s", o.Key, h.RunID, rs.runID)
		case h.Date != rs.date:
			return nil, mergeErr("%s computed date %s, not %s", o.Key, h.Date, rs.date)
		case h.Shard != i || h.Shards != shards:
			return nil, mergeErr("%s holds shard %d of %d (a duplicate or misplaced shard)", o.Key, h.Shard, h.Shards)
		case h.ConfigHash != rs.configHash:
			return nil, mergeErr("%s was computed with another config (hash %s, merge has %s)", o.Key, h.ConfigHash, rs.configHash)
		}
		if units == nil {
			units, rs.manifestInputs, rs.heads = h.Units, h.Inputs, h.Heads
		} else if !slices.Equal(units, h.Units) || !slices.Equal(rs.manifestInputs, h.Inputs) {
			return nil, mergeErr("%s saw a different input listing than shard 0 (a stale shard: rerun it)", o.Key)
		} else if !sameHeads(rs.heads, h.Heads) {
			// A run committed the date while the shards started: the
			// sharded run started before that commit, so it lost.
			return nil, &kindError{KindLostRace, fmt.Errorf("merge %s run %s: the date was committed while its shards started (%s saw another head than shard 0): %w",
				rs.date, rs.runID, o.Key, table.ErrLostRace)}
		}
		for _, u := range h.Covered {
			covered[u]++
		}
		agg.bytesRead += h.BytesRead
		agg.bytesDecoded += h.BytesDecoded
		agg.damaged = append(agg.damaged, h.Damaged...)
		agg.rejects = append(agg.rejects, h.Rejects...)
		if err := agg.partial.Merge(p); err != nil {
			return nil, mergeErr("%s: %v", o.Key, err)
		}
	}
	for _, u := range units {
		if covered[u] != 1 {
			return nil, mergeErr("input %s is covered by %d shards, want exactly 1", u, covered[u])
		}
		delete(covered, u)
	}
	for u := range covered {
		return nil, mergeErr("a shard covered %s, which is not in the listing", u)
	}
	rs.sum.Objects = len(rs.manifestInputs)
	rs.log.Info("merging shards", "run_id", rs.runID, "date", rs.date, "shards", shards, "objects", len(rs.manifestInputs))
	sum, err := rs.finish(ctx, agg)
	if err == nil {
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

func mergeErr(format string, args ...any) error {
	return &kindError{KindBadData, fmt.Errorf("merge: "+format, args...)}
}
