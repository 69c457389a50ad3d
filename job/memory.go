package job

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"path"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/logsmith/logsmith/features"
)

// The memory model of a run, in bytes. See MemoryEstimate and
// docs/performance.md, "Memory".
const (
	// memGroupBase is one group of one pane without sketches: its
	// accumulator, map entry and key (~300 bytes measured), and its row
	// while the table is built and encoded (~700 bytes measured: a
	// 1.44-million-row day peaked at 1.05 GB with a small aggregate).
	memGroupBase = 1 << 10
	// memLatencySketch is a DDSketch of a busy group: measured 2.0–2.5
	// KiB for 1,000–10,000 latencies spread like `logsmith generate`'s,
	// 7 KiB for a hundredfold spread. With memGroupBase it makes the
	// ~4 KiB per pane and group of docs/performance.md.
	memLatencySketch = 3 << 10
	// memDistinctSketch is a dense HyperLogLog of 2^14 registers
	// (measured 16.3 KiB; a sparse one of a few hundred values is less).
	memDistinctSketch = 16 << 10
	// memRuntime is the Go runtime, the binary and the encoders. The
	// Iceberg dependencies' package initialisation alone holds ~56 MiB
	// (--version peaks at 68 MiB); the benchmarks' peak RSS is 72–101 MiB
	// in all.
	memRuntime = 96 << 20
	// memReadBuffer and memZstdWindow are each worker's decompressor
	// buffer and, for zstd input, its window: frames declaring more than
	// features.MaxZstdWindow are refused, and the decoder's ring holds the
	// window plus two blocks (128 KiB each) and its block buffers.
	memReadBuffer = 256 << 10
	memZstdWindow = features.MaxZstdWindow + 1<<20
	// memDimensionCopies is how many copies of a group's dimension values
	// a run holds per pane: the pane's map key and the row's values (the
	// encoded column is one table's at a time). Each value is counted at
	// --max-dimension-bytes: 3,000 groups of 1 KiB values in 24 panes
	// measured ~5 KiB per pane and group with a latency sketch
	// (TestMemoryCheckBoundsPeak), where the model counts 4 + 2.
	memDimensionCopies = 2
)

// MemoryEstimate is what a run of a config is expected to hold at most:
// the aggregate of every pane and group at the caps, plus fixed costs.
type MemoryEstimate struct {
	Panes    int64 `json:"panes"`           // finest windows held: one day's plus the sliding reach, or --max-panes undated
	Groups   int64 `json:"groups"`          // per pane: --max-groups with --group-by, else 1
	PerGroup int64 `json:"per_group_bytes"` // one pane and group, with its sketches
	// Aggregate is Panes × Groups × PerGroup.
	Aggregate int64 `json:"aggregate_bytes"`
	// Fixed is the runtime plus every worker's line and read buffers,
	// zstd window and read-ahead.
	Fixed int64 `json:"fixed_bytes"`
	Total int64 `json:"total_bytes"`
	Dated bool  `json:"dated"`
}

// EstimateMemory returns the memory budget of one run of cfg, as Resolve
// resolved it into res: dated when res is. It is an upper bound at the
// caps (every pane holding --max-groups busy groups), not a forecast: real
// cardinality is often far lower. The per-unit partials a run holds before
// merging them are not counted: they are bounded by the same panes ×
// groups when each object covers its own stretch of the day (hourly
// files), and grow with the objects when many objects each span the whole
// day.
func EstimateMemory(cfg *Config, res *Resolved) MemoryEstimate {
	pane := features.PaneFor(res.Windows)
	var reach time.Duration
	for _, w := range res.Windows {
		reach = max(reach, w.Size-w.Slide)
	}
	e := MemoryEstimate{Groups: 1, PerGroup: memGroupBase, Dated: res.Date != ""}
	if e.Dated {
		e.Panes = int64((24*time.Hour + reach + pane - 1) / pane)
	} else {
		e.Panes = int64(cfg.MaxPanes)
	}
	if len(cfg.GroupBy) > 0 {
		e.Groups = int64(res.MaxGroups)
	}
	if cfg.LatencyField != "" {
		e.PerGroup += memLatencySketch
	}
	if cfg.DistinctField != "" {
		e.PerGroup += memDistinctSketch
	}
	if len(cfg.GroupBy) > 0 {
		e.PerGroup += memDimensionCopies * int64(len(cfg.GroupBy)) * int64(cfg.MaxDimension)
	}
	e.Aggregate = satMul(satMul(e.Panes, e.Groups), e.PerGroup)
	workers := int64(res.Workers)
	e.Fixed = memRuntime + workers*(int64(cfg.MaxLineBytes)+memReadBuffer+memZstdWindow)
	if res.Input.Scheme == "s3" {
		e.Fixed += (workers + 1) * cfg.ReadAhead
	}
	e.Total = satAdd(e.Aggregate, e.Fixed)
	return e
}

func satMul(a, b int64) int64 {
	if a != 0 && b > math.MaxInt64/a {
		return math.MaxInt64
	}
	return a * b
}

func satAdd(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// MemoryLimit is the memory limit a process sees, and where it comes from.
type MemoryLimit struct {
	Bytes  int64  // 0: no limit
	Source string // "GOMEMLIMIT", or the cgroup file
}

// unlimited is the smallest value taken as "no limit": cgroup v1 writes
// 9223372036854771712 (the largest page multiple) for none.
const unlimited = 1 << 62

// SeenMemoryLimit returns the lower of the Go runtime's soft limit
// (GOMEMLIMIT, or debug.SetMemoryLimit) and the cgroup's memory limit
// (see CgroupMemoryLimit), or a zero MemoryLimit when neither is set.
func SeenMemoryLimit(fsys fs.FS) MemoryLimit {
	var lim MemoryLimit
	if soft := debug.SetMemoryLimit(-1); soft > 0 && soft < unlimited {
		lim = MemoryLimit{Bytes: soft, Source: "GOMEMLIMIT"}
	}
	if cg := CgroupMemoryLimit(fsys); cg.Bytes > 0 && (lim.Bytes == 0 || cg.Bytes < lim.Bytes) {
		lim = cg
	}
	return lim
}

// CgroupMemoryLimit returns the tightest memory limit of the process's
// cgroup and its ancestors, read from fsys (the root file system, as
// os.DirFS("/")): cgroup v2's memory.max under /sys/fs/cgroup, or cgroup
// v1's memory.limit_in_bytes under /sys/fs/cgroup/memory. The process's own
// cgroup comes from /proc/self/cgroup; inside a container that is usually
// the mount's root, which is read in any case. "max", a missing file and
// v1's huge "no limit" value mean no limit.
func CgroupMemoryLimit(fsys fs.FS) MemoryLimit {
	var v1, v2 string // the process's cgroup paths
	if f, err := fsys.Open("proc/self/cgroup"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			// hierarchy-ID:controller-list:path
			parts := strings.SplitN(sc.Text(), ":", 3)
			if len(parts) != 3 {
				continue
			}
			switch {
			case parts[0] == "0" && parts[1] == "":
				v2 = parts[2]
			case slices.Contains(strings.Split(parts[1], ","), "memory"):
				v1 = parts[2]
			}
		}
		f.Close()
	}
	var best MemoryLimit
	try := func(mount, own, file string) {
		dirs := []string{mount}
		for p := path.Clean("/" + own); p != "/"; p = path.Dir(p) {
			dirs = append(dirs, mount+p)
		}
		for _, d := range dirs {
			name := d + "/" + file
			b, err := fs.ReadFile(fsys, name)
			if err != nil {
				continue
			}
			s := strings.TrimSpace(string(b))
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n <= 0 || n >= unlimited {
				continue // "max", or no limit
			}
			if best.Bytes == 0 || n < best.Bytes {
				best = MemoryLimit{Bytes: n, Source: "/" + name}
			}
		}
	}
	try("sys/fs/cgroup", v2, "memory.max")
	try("sys/fs/cgroup/memory", v1, "memory.limit_in_bytes")
	return best
}

// CheckMemory refuses, with a *ConfigError naming the settings to change,
// a run whose memory estimate (see EstimateMemory), times parallel dates
// computed at once, exceeds lim. It passes when lim is zero (no limit) and
// when --memory-check is off. It resolves cfg as a run does at now, so a
// bad setting is refused as the run would refuse it.
func CheckMemory(cfg *Config, parallel int, lim MemoryLimit, now time.Time) error {
	if lim.Bytes <= 0 || !cfg.MemoryCheck {
		return nil
	}
	res, err := cfg.Resolve(now)
	if err != nil {
		return err
	}
	e := EstimateMemory(cfg, res)
	parallel = max(parallel, 1)
	total := satMul(e.Total, int64(parallel))
	if total <= lim.Bytes {
		return nil
	}
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
	if e.Dated {
		fmt.Fprintf(&b, "%d panes (a day of --window %s)", e.Panes, windowSpecs(res.Windows))
	} else {
		fmt.Fprintf(&b, "%d panes (--max-panes, an undated run)", e.Panes)
	}
	if len(cfg.GroupBy) > 0 {
		fmt.Fprintf(&b, " × %d groups (--max-groups)", e.Groups)
	}
	fmt.Fprintf(&b, " × %s ≈ %s, plus %s for %d workers", fmtBytes(e.PerGroup), fmtBytes(e.Aggregate), fmtBytes(e.Fixed), res.Workers)
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
	return settingError(cfg, field, errors.New(b.String()))
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
