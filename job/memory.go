package job

import (
	"context"

	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/job/input"
	"github.com/logsmith/logsmith/job/memcheck"
	"github.com/logsmith/logsmith/job/memory"
	"github.com/logsmith/logsmith/job/settings"
)

// memoryFromData estimates a run of cfg resolved as res from its input:
// units units of uncompressed bytes in all, whose sampled starts are
// heads (see input.EstimateUncompressed); see memory.FromData.
func memoryFromData(ctx context.Context, cfg *settings.Config, res *settings.Resolved, heads [][]byte, uncompressed int64, units int) (memory.Estimate, error) {
	r := memcheck.Model(cfg, res)
	or := features.NewObjectReader(res.Spec, features.ObjectOptions{MaxObjectBytes: cfg.MaxObjectBytes, MaxLine: cfg.MaxLineBytes})
	s, err := memory.Take(ctx, or, (&runState{cfg: cfg, res: res}).newPartial, heads)
	if err != nil {
		return memory.Estimate{}, err
	}
	return memory.FromData(memory.AtCaps(r), r, uncompressed, units, s), nil
}

// MemoryGuard is the memory check a run makes once its input is listed:
// the limit it must fit in, shared by Parallel runs at once (a backfill's
// dates). A zero MemoryGuard checks nothing.
type MemoryGuard struct {
	Limit    memory.Limit
	Parallel int // 0 means 1
}

// checkMemory refuses, as memcheck.Check does, a run of units whose memory
// estimate times the guard's Parallel exceeds its limit. The estimate at
// the caps is tried first, reading nothing; when it does not fit, the
// units' objects are sampled as plan samples them (at most 16 per codec
// class, 1 MiB of each) and the run is estimated from its data (see
// memory.FromData), and refused only if that does not fit either.
// Standard input cannot be sampled: it is checked at the caps.
func (rs *runState) checkMemory(ctx context.Context, units []input.Unit) error {
	g, cfg := rs.opts.Memory, rs.cfg
	if g.Limit.Bytes <= 0 || !cfg.MemoryCheck {
		return nil
	}
	caps := memcheck.Estimate(cfg, rs.res)
	if memcheck.Fits(caps, g.Parallel, g.Limit) {
		return nil
	}
	if rs.res.Stdin {
		return memcheck.Refusal(cfg, rs.res, caps, g.Parallel, g.Limit)
	}
	est, err := input.EstimateUncompressed(ctx, rs.res.Workers, input.Objects(units), memory.SampleBytes)
	if err != nil {
		return err
	}
	var uncompressed int64
	for _, u := range units {
		uncompressed += est.Of(u)
	}
	e, err := memoryFromData(ctx, cfg, rs.res, est.Heads, uncompressed, len(units))
	if err != nil {
		return err
	}
	if !memcheck.Fits(e, g.Parallel, g.Limit) {
		return memcheck.Refusal(cfg, rs.res, e, g.Parallel, g.Limit)
	}
	rs.log.Info("memory check: the estimate from the input fits", "estimate", memcheck.FormatBytes(e.Spilling), "unspilled", memcheck.FormatBytes(e.Total), "caps_estimate", memcheck.FormatBytes(caps.Total),
		"limit", memcheck.FormatBytes(g.Limit.Bytes), "events", e.Data.Events, "cells", e.Data.Cells)
	return nil
}
