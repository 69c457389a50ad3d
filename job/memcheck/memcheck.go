package memcheck

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/job/memory"
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/job/spill"
)

// Estimate returns the memory budget at the caps of one run of cfg,
// as Resolve resolved it into res (dated when res is): see memory.AtCaps.
func Estimate(cfg *settings.Config, res *settings.Resolved) memory.Estimate {
	return memory.AtCaps(Model(cfg, res))
}

// Model is the memory model's view of a run of cfg resolved as res.
func Model(cfg *settings.Config, res *settings.Resolved) memory.Run {
	r := memory.Run{Windows: res.Windows, Dated: res.Date != "", MaxPanes: cfg.MaxPanes, GroupBy: len(cfg.GroupBy), MaxGroups: res.MaxGroups,
		MaxDimension: cfg.MaxDimension, Latency: cfg.LatencyField != "", Distinct: cfg.DistinctField != "",
		Workers: res.Workers, MaxLineBytes: cfg.MaxLineBytes, Formats: cfg.Format, Sparse: cfg.Sparse,
		RangePanes: int64(spill.RangeFor(features.PaneFor(res.Windows), res.Windows) / features.PaneFor(res.Windows))}
	if res.Input.Remote() {
		r.ReadAhead = cfg.ReadAhead
	}
	return r
}

// SatMul returns a*b of non-negative a and b, or math.MaxInt64 when the
// product overflows.
func SatMul(a, b int64) int64 {
	if a != 0 && b > math.MaxInt64/a {
		return math.MaxInt64
	}
	return a * b
}

// Check refuses, with a *ConfigError naming the settings to change,
// a run whose memory estimate at the caps (see Estimate), times
// parallel dates computed at once, exceeds lim. It passes when lim is zero
// (no limit) and when --memory-check is off. It resolves cfg as a run does
// at now, so a bad setting is refused as the run would refuse it. It reads
// nothing: merge uses it before reading the shards' partials; a run checks
// once its input is listed, from the data (see job.MemoryGuard).
func Check(cfg *settings.Config, parallel int, lim memory.Limit, now time.Time) error {
	if lim.Bytes <= 0 || !cfg.MemoryCheck {
		return nil
	}
	res, err := cfg.Resolve(now)
	if err != nil {
		return err
	}
	e := Estimate(cfg, res)
	if Fits(e, parallel, lim) {
		return nil
	}
	return Refusal(cfg, res, e, parallel, lim)
}

// Fits says whether parallel runs of estimate e, their aggregates
// spilled to disk past their budget, fit in lim.
func Fits(e memory.Estimate, parallel int, lim memory.Limit) bool {
	return SatMul(e.Spilling, int64(max(parallel, 1))) <= lim.Bytes
}

// Refusal is the *ConfigError refusing parallel runs of estimate e
// over lim: what the estimate is made of and the settings that lower it.
func Refusal(cfg *settings.Config, res *settings.Resolved, e memory.Estimate, parallel int, lim memory.Limit) error {
	parallel = max(parallel, 1)
	// Name the setting behind the larger share.
	field := "Window"
	switch {
	case e.Fixed >= e.Spilling-e.Fixed:
		field = "Workers"
	case len(cfg.GroupBy) > 0:
		field = "MaxGroups"
	case !e.Dated:
		field = "MaxPanes"
	}
	var b strings.Builder
	if d := e.Data; d != nil {
		fmt.Fprintf(&b, "the input's ~%d events (%s uncompressed, sampled)", d.Events, FormatBytes(d.UncompressedBytes))
		if len(cfg.GroupBy) > 0 {
			fmt.Fprintf(&b, " in ~%d groups", d.GroupsPerDay)
		}
		fmt.Fprintf(&b, " fill ~%d cells of %d panes", d.Cells+d.PartialCells, e.Panes)
		if len(cfg.GroupBy) > 0 {
			fmt.Fprintf(&b, " × at most %d groups (--max-groups)", e.Groups)
		}
		fmt.Fprintf(&b, " ≈ %s with their tables, %d panes held at once (the rest spilled)", FormatBytes(e.Spilling-e.Fixed), e.HeldPanes)
	} else {
		if e.Dated {
			fmt.Fprintf(&b, "%d panes held at once, the rest spilled (of a day of --window %s)", e.HeldPanes, windowSpecs(res.Windows))
		} else {
			fmt.Fprintf(&b, "%d panes held at once, the rest spilled (of --max-panes, an undated run)", e.HeldPanes)
		}
		if len(cfg.GroupBy) > 0 {
			fmt.Fprintf(&b, " × %d groups (--max-groups)", e.Groups)
		}
		fmt.Fprintf(&b, " × %s ≈ %s", FormatBytes(e.PerGroup), FormatBytes(e.Spilling-e.Fixed))
	}
	fmt.Fprintf(&b, ", plus %s for %d workers", FormatBytes(e.Fixed), res.Workers)
	if parallel > 1 {
		fmt.Fprintf(&b, ", times %d dates at once (--parallel)", parallel)
	}
	fmt.Fprintf(&b, ", is over the memory limit %s (%s): ", FormatBytes(lim.Bytes), lim.Source)
	var fixes []string
	if !e.Dated {
		fixes = append(fixes, "run dated (--date or a templated --input)", "lower --max-panes")
	}
	if len(cfg.GroupBy) > 0 {
		room := lim.Bytes/int64(parallel) - e.Fixed
		if fit := room / max(e.HeldPanes*e.PerGroup, 1); fit >= 1 {
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

// FormatBytes renders n in binary units with three significant digits.
func FormatBytes(n int64) string {
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
