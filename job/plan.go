package job

import (
	"context"
	"time"

	"github.com/logsmith/logsmith/job/input"
	"github.com/logsmith/logsmith/job/memcheck"
	"github.com/logsmith/logsmith/job/memory"
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/job/shard"
)

// Plan is what logsmith plan prints: the date's input and the shard count
// that reads it within the budget.
type Plan struct {
	RunID   string `json:"run_id"`
	Date    string `json:"date"`
	Input   string `json:"input"`
	Objects int    `json:"objects"`
	Bytes   int64  `json:"bytes"` // as stored (compressed)
	// Skipped counts the objects listed and not read, by reason (see
	// input.SkipHidden): a run skips the same.
	Skipped map[string]int64 `json:"skipped_objects,omitempty"`
	// EstimatedUncompressedBytes is the input's decompressed size: exact
	// for plain objects and for compressed objects read whole, else
	// estimated; see UncompressedEstimate.
	EstimatedUncompressedBytes int64                      `json:"estimated_uncompressed_bytes"`
	UncompressedEstimate       input.UncompressedEstimate `json:"uncompressed_estimate"`
	Units                      int                        `json:"units"` // objects and byte ranges, as a run deals them to shards
	BudgetSeconds              int64                      `json:"budget_seconds"`
	ThroughputBytesPerSecond   int64                      `json:"throughput_bytes_per_second"`
	MaxShards                  int                        `json:"max_shards"`
	// ShardsForBudget is ceil(uncompressed ÷ (throughput × budget)), before
	// the caps and the balance check.
	ShardsForBudget int `json:"shards_for_budget"`
	// Shards is the shard count to run: ShardsForBudget, raised until the
	// slowest shard fits the budget, capped by Units and MaxShards, and at
	// least 1.
	Shards int `json:"shards"`
	// CappedBy says why Shards does not fit the budget: "units" (one
	// shard per unit already), "max_shards", or "largest_unit" (the
	// slowest shard holds one unit alone, which takes longer than the
	// budget: more shards would not help). Empty when it fits.
	CappedBy  string `json:"capped_by,omitempty"`
	ShardList []int  `json:"shard_list"` // 0 to Shards-1, for Argo's withParam
	// SlowestShardBytes is the estimated uncompressed bytes of the shard
	// with the most, as a run with Shards shards deals the units.
	SlowestShardBytes int64 `json:"slowest_shard_uncompressed_bytes"`
	EstimatedSeconds  int64 `json:"estimated_seconds"` // the slowest shard at the throughput, rounded up
	FitsBudget        bool  `json:"fits_budget"`
	// Memory is one map pod's (and the merge's) memory estimate: from the
	// whole input's size and sampled events (Basis "sampled"), or at the
	// caps when the samples hold no line.
	Memory memory.Estimate `json:"memory"`
}

// PlanRun lists the date's input as a run would, estimates its
// uncompressed size and chooses the shard count; it reads no more than the
// samples. The result depends only on the listing and the objects' bytes
// (and the run id, fresh unless --run is given). No input objects is a
// KindNotReady error, as for a run.
func PlanRun(ctx context.Context, cfg settings.PlanConfig, opts Options) (*Plan, error) {
	opts = opts.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	now := opts.Now()
	res, err := cfg.Config.Resolve(now)
	if err != nil {
		return nil, err
	}
	p := &Plan{RunID: cfg.RunID, Date: res.Date, Input: cfg.Input,
		BudgetSeconds: int64(cfg.Budget / time.Second), ThroughputBytesPerSecond: cfg.Throughput, MaxShards: cfg.MaxShards}
	if p.RunID == "" {
		p.RunID = newRunID(now)
	}
	listed, err := listInputs(ctx, &cfg.Config, res, readPolicy(&cfg.ReadSettings, opts), nil, opts.Logger)
	if err != nil {
		return nil, err
	}
	inputs := listed.Objects
	if len(inputs) == 0 {
		return nil, listed.NoInputs()
	}
	if len(listed.Skipped) > 0 {
		p.Skipped = listed.Skipped
	}
	units, err := input.PlanUnits(ctx, inputs, input.SplitRuleOf(&cfg.Config, res))
	if err != nil {
		return nil, err
	}
	est, err := input.EstimateUncompressed(ctx, res.Workers, inputs, memory.SampleBytes)
	if err != nil {
		return nil, err
	}
	p.Objects, p.Units, p.UncompressedEstimate = len(inputs), len(units), est.Summary
	for _, in := range inputs {
		p.Bytes += in.Info.Size
	}
	sizes := make([]int64, len(units))
	for k, u := range units {
		sizes[k] = est.Of(u)
		p.EstimatedUncompressedBytes += sizes[k]
	}
	c := shard.Choose(input.ShardUnits(units), sizes, memcheck.SatMul(p.ThroughputBytesPerSecond, p.BudgetSeconds), p.ThroughputBytesPerSecond, p.MaxShards)
	p.ShardsForBudget, p.Shards, p.SlowestShardBytes, p.EstimatedSeconds = c.ForBudget, c.Shards, c.SlowestBytes, c.Seconds
	p.FitsBudget, p.CappedBy = c.Fits, c.CappedBy
	p.ShardList = make([]int, p.Shards)
	for i := range p.ShardList {
		p.ShardList[i] = i
	}
	if p.Memory, err = memoryFromData(ctx, &cfg.Config, res, est.Heads, p.EstimatedUncompressedBytes, len(units)); err != nil {
		return nil, err
	}
	opts.Logger.Info("planned", "run_id", p.RunID, "date", p.Date, "objects", p.Objects, "bytes", p.Bytes,
		"uncompressed", p.EstimatedUncompressedBytes, "units", p.Units, "shards", p.Shards, "fits_budget", p.FitsBudget)
	return p, nil
}
