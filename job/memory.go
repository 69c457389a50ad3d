package job

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/job/memory"
	"github.com/logsmith/logsmith/job/settings"
)

// EstimateMemory returns the memory budget at the caps of one run of cfg,
// as Resolve resolved it into res (dated when res is): see memory.AtCaps.
func EstimateMemory(cfg *settings.Config, res *settings.Resolved) memory.Estimate {
	return memory.AtCaps(memoryRun(cfg, res))
}

// memoryRun is the memory model's view of a run of cfg resolved as res.
func memoryRun(cfg *settings.Config, res *settings.Resolved) memory.Run {
	r := memory.Run{Windows: res.Windows, Dated: res.Date != "", MaxPanes: cfg.MaxPanes, GroupBy: len(cfg.GroupBy), MaxGroups: res.MaxGroups,
		MaxDimension: cfg.MaxDimension, Latency: cfg.LatencyField != "", Distinct: cfg.DistinctField != "",
		Workers: res.Workers, MaxLineBytes: cfg.MaxLineBytes, Formats: cfg.Format, Sparse: cfg.Sparse}
	if res.Input.Remote() {
		r.ReadAhead = cfg.ReadAhead
	}
	return r
}

// memoryFromData estimates a run of cfg resolved as res from its input:
// units units of uncompressed bytes in all, whose sampled starts are
// heads (see estimateUncompressed); see memory.FromData.
func memoryFromData(ctx context.Context, cfg *settings.Config, res *settings.Resolved, heads [][]byte, uncompressed int64, units int) (memory.Estimate, error) {
	r := memoryRun(cfg, res)
	or := features.NewObjectReader(res.Spec, features.ObjectOptions{MaxObjectBytes: cfg.MaxObjectBytes, MaxLine: cfg.MaxLineBytes})
	s, err := memory.Take(ctx, or, (&runState{cfg: cfg, res: res}).newPartial, heads)
	if err != nil {
		return memory.Estimate{}, err
	}
	return memory.FromData(memory.AtCaps(r), r, uncompressed, units, s), nil
}

func satMul(a, b int64) int64 {
	if a != 0 && b > math.MaxInt64/a {
		return math.MaxInt64
	}
	return a * b
}

// CheckMemory refuses, with a *ConfigError naming the settings to change,
// a run whose memory estimate at the caps (see EstimateMemory), times
// parallel dates computed at once, exceeds lim. It passes when lim is zero
// (no limit) and when --memory-check is off. It resolves cfg as a run does
// at now, so a bad setting is refused as the run would refuse it. It reads
// nothing: merge uses it before reading the shards' partials; a run checks
// once its input is listed, from the data (see MemoryGuard).
func CheckMemory(cfg *settings.Config, parallel int, lim memory.Limit, now time.Time) error {
	if lim.Bytes <= 0 || !cfg.MemoryCheck {
		return nil
	}
	res, err := cfg.Resolve(now)
	if err != nil {
		return err
	}
	e := EstimateMemory(cfg, res)
	if fitsMemory(e, parallel, lim) {
		return nil
	}
	return memoryError(cfg, res, e, parallel, lim)
}

// MemoryGuard is the memory check a run makes once its input is listed:
// the limit it must fit in, shared by Parallel runs at once (a backfill's
// dates). A zero MemoryGuard checks nothing.
type MemoryGuard struct {
	Limit    memory.Limit
	Parallel int // 0 means 1
}

// checkMemory refuses, as CheckMemory does, a run of units whose memory
// estimate times the guard's Parallel exceeds its limit. The estimate at
// the caps is tried first, reading nothing; when it does not fit, the
// units' objects are sampled as plan samples them (at most 16 per codec
// class, 1 MiB of each) and the run is estimated from its data (see
// memory.FromData), and refused only if that does not fit either.
// Standard input cannot be sampled: it is checked at the caps.
func (rs *runState) checkMemory(ctx context.Context, units []unit) error {
	g, cfg := rs.opts.Memory, rs.cfg
	if g.Limit.Bytes <= 0 || !cfg.MemoryCheck {
		return nil
	}
	caps := EstimateMemory(cfg, rs.res)
	if fitsMemory(caps, g.Parallel, g.Limit) {
		return nil
	}
	if rs.res.Stdin {
		return memoryError(cfg, rs.res, caps, g.Parallel, g.Limit)
	}
	var inputs []input
	seen := map[string]bool{}
	for _, u := range units {
		if url := u.in.url(); !seen[url] {
			seen[url] = true
			inputs = append(inputs, u.in)
		}
	}
	est, err := estimateUncompressed(ctx, rs.res.Workers, inputs, memory.SampleBytes)
	if err != nil {
		return err
	}
	var uncompressed int64
	for _, u := range units {
		n := u.size() // a range is of a plain object: its size
		if u.whole() {
			n = est.bytes[u.in.url()]
		}
		uncompressed += n
	}
	e, err := memoryFromData(ctx, cfg, rs.res, est.heads, uncompressed, len(units))
	if err != nil {
		return err
	}
	if !fitsMemory(e, g.Parallel, g.Limit) {
		return memoryError(cfg, rs.res, e, g.Parallel, g.Limit)
	}
	rs.log.Info("memory check: the estimate from the input fits", "estimate", fmtBytes(e.Total), "caps_estimate", fmtBytes(caps.Total),
		"limit", fmtBytes(g.Limit.Bytes), "events", e.Data.Events, "cells", e.Data.Cells)
	return nil
}

// fitsMemory says whether parallel runs of estimate e fit in lim.
func fitsMemory(e memory.Estimate, parallel int, lim memory.Limit) bool {
	return satMul(e.Total, int64(max(parallel, 1))) <= lim.Bytes
}

// memoryError is the *ConfigError refusing parallel runs of estimate e
// over lim: what the estimate is made of and the settings that lower it.
func memoryError(cfg *settings.Config, res *settings.Resolved, e memory.Estimate, parallel int, lim memory.Limit) error {
	parallel = max(parallel, 1)
	// Name the setting behind the larger share.
	field := "Window"
	switch {
	case e.Fixed >= e.Aggregate:
		field = "Workers"
	case len(cfg.GroupBy) > 0:
		field = "MaxGroups"
	case !e.Dated:
		field = "MaxPanes"
	}
	var b strings.Builder
	if d := e.Data; d != nil {
		fmt.Fprintf(&b, "the input's ~%d events (%s uncompressed, sampled)", d.Events, fmtBytes(d.UncompressedBytes))
		if len(cfg.GroupBy) > 0 {
			fmt.Fprintf(&b, " in ~%d groups", d.GroupsPerDay)
		}
		fmt.Fprintf(&b, " fill ~%d cells of %d panes", d.Cells+d.PartialCells, e.Panes)
		if len(cfg.GroupBy) > 0 {
			fmt.Fprintf(&b, " × at most %d groups (--max-groups)", e.Groups)
		}
		fmt.Fprintf(&b, " ≈ %s with their tables", fmtBytes(e.Aggregate))
	} else {
		if e.Dated {
			fmt.Fprintf(&b, "%d panes (a day of --window %s)", e.Panes, windowSpecs(res.Windows))
		} else {
			fmt.Fprintf(&b, "%d panes (--max-panes, an undated run)", e.Panes)
		}
		if len(cfg.GroupBy) > 0 {
			fmt.Fprintf(&b, " × %d groups (--max-groups)", e.Groups)
		}
		fmt.Fprintf(&b, " × %s ≈ %s", fmtBytes(e.PerGroup), fmtBytes(e.Aggregate))
	}
	fmt.Fprintf(&b, ", plus %s for %d workers", fmtBytes(e.Fixed), res.Workers)
	if parallel > 1 {
		fmt.Fprintf(&b, ", times %d dates at once (--parallel)", parallel)
	}
	fmt.Fprintf(&b, ", is over the memory limit %s (%s): ", fmtBytes(lim.Bytes), lim.Source)
	var fixes []string
	if !e.Dated {
		fixes = append(fixes, "run dated (--date or a templated --input)", "lower --max-panes")
	}
	if len(cfg.GroupBy) > 0 {
		room := lim.Bytes/int64(parallel) - e.Fixed
		if fit := room / max(e.Panes*e.PerGroup, 1); fit >= 1 {
			fixes = append(fixes, fmt.Sprintf("lower --max-groups to %d or less", fit))
		} else {
			fixes = append(fixes, "lower --max-groups")
		}
	}
	if e.Dated {
		fixes = append(fixes, "use longer --window lengths (fewer panes)")
	}
	if parallel > 1 {
		fixes = append(fixes, "lower --parallel")
	}
	if field == "Workers" {
		fixes = append([]string{"lower --workers"}, fixes...)
	} else {
		fixes = append(fixes, "lower --workers")
	}
	fixes = append(fixes, "or raise the limit (--memory-check=false skips this check)")
	b.WriteString(strings.Join(fixes, ", "))
	return settings.SettingError(cfg, field, errors.New(b.String()))
}

// fmtBytes renders n in binary units with three significant digits.
func fmtBytes(n int64) string {
	const units = "KMGTPE"
	if n < 1024 {
		return strconv.FormatInt(n, 10) + " B"
	}
	v, i := float64(n)/1024, 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + " " + units[i:i+1] + "iB"
}

// windowSpecs spells windows as --window does, comma-separated.
func windowSpecs(ws []features.Window) string {
	specs := make([]string, len(ws))
	for i, w := range ws {
		specs[i] = w.Spec()
	}
	return strings.Join(specs, ",")
}
