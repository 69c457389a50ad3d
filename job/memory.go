package job

import (
	"bufio"
	"bytes"
	"context"
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

// The data model's costs, in bytes of peak RSS (garbage the collector has
// not yet returned included: measured without GOMEMLIMIT), fitted to runs
// of scripts/entitygen's input (docs/performance.md, "Memory").
const (
	// memCell is one cell (one pane of one group): its accumulator, map
	// entry and key, and its share of the row built from it. Runs of 10 to
	// 100,000 groups per 5-minute window and of 1,000 per 1-minute window
	// peaked at 460–600 bytes per cell held (the merged cells and the
	// partials being read).
	memCell = 576
	// memRawLatency is one latency held as it is (a cell keeps up to
	// exactLatencies so), with its slice's spare capacity.
	memRawLatency = 16
	// memRowParquet and memRowCSV are one output row in the encoded file a
	// table's date is built in (a growing buffer: up to twice its final
	// size): measured 25 and 143 bytes per dense row at 10,000 groups.
	memRowParquet = 32
	memRowCSV     = 160
	// memSketchEvents is the fewest latencies of a cell with a DDSketch:
	// exactLatencies + 1.
	memSketchEvents = 33
)

// MemoryEstimate is what a run of a config is expected to hold at most:
// fixed costs plus the aggregate, from the input's data when it was
// sampled (Basis "sampled"), else at the caps (Basis "caps").
type MemoryEstimate struct {
	Panes    int64 `json:"panes"`           // finest windows held: one day's plus the sliding reach, or --max-panes undated
	Groups   int64 `json:"groups"`          // per pane: --max-groups with --group-by, else 1
	PerGroup int64 `json:"per_group_bytes"` // one pane and group at the caps, with its sketches
	// Aggregate is the aggregate's bytes: Panes × Groups × PerGroup at the
	// caps, or with Basis "sampled" the data model's cells, latencies,
	// sketches and encoded output rows.
	Aggregate int64 `json:"aggregate_bytes"`
	// Fixed is the runtime plus every worker's line and read buffers,
	// zstd window and read-ahead.
	Fixed int64 `json:"fixed_bytes"`
	Total int64 `json:"total_bytes"` // Fixed + Aggregate
	Dated bool  `json:"dated"`
	// Basis is "caps" (Panes × Groups at the caps) or "sampled" (from the
	// input's size and a sample of its events: see Data).
	Basis string `json:"basis"`
	// CapsTotal is the estimate at the caps, whatever the basis.
	CapsTotal int64 `json:"caps_total_bytes"`
	// Data is the data model's inputs and results, with Basis "sampled".
	Data *DataEstimate `json:"data,omitempty"`
}

// DataEstimate is how a memory estimate follows the input: its events,
// estimated from its uncompressed size and the sampled bytes per line, and
// the cells they fill, extrapolated from the distinct groups sampled.
type DataEstimate struct {
	Sample MemorySample `json:"sample"`
	// UncompressedBytes is the input's estimated decoded size.
	UncompressedBytes int64 `json:"uncompressed_bytes"`
	// Events is UncompressedBytes ÷ the sampled bytes per line: every line
	// counted as an event.
	Events int64 `json:"events"`
	// GroupsPerDay is the distinct groups the run is expected to see: the
	// count that, drawn uniformly, gives the sample's distinct groups from
	// its events; Events at most (1 without --group-by).
	GroupsPerDay int64 `json:"groups_estimate"`
	// Cells is the merged aggregate's (pane, group) cells: Events spread
	// evenly over the panes (what fills the most cells), each pane holding
	// the distinct groups its share draws; at most the caps and Events.
	Cells int64 `json:"cells"`
	// PartialCells is what the partials being read hold beside it: one per
	// worker, each as if its unit's events spanned every pane.
	PartialCells int64 `json:"partial_cells"`
	// SketchedCells is the cells with a DDSketch (more than 32 latencies):
	// at most (Events − Cells) ÷ 32.
	SketchedCells int64 `json:"sketched_cells"`
	// OutputRows is the rows of every table, the encoded files of which
	// are held until they are written.
	OutputRows int64 `json:"output_rows"`
}

// MemorySample is what the sampled starts of input objects decoded to,
// as a run decodes them.
type MemorySample struct {
	Objects int   `json:"objects"`
	Bytes   int64 `json:"decoded_bytes"` // whole lines decoded
	Lines   int64 `json:"lines"`
	Events  int64 `json:"events"` // aggregated: in the run's range
	Cells   int64 `json:"cells"`
	Groups  int64 `json:"groups"`
	// Once is the groups seen in one event: how fast new ones turn up.
	Once     int64 `json:"groups_seen_once"`
	KeyBytes int64 `json:"group_key_bytes"` // the distinct groups' keys, summed
	// SpanPanes is the panes from the first sampled event's to the last's.
	SpanPanes int64 `json:"span_panes"`
}

// EstimateMemory returns the memory budget of one run of cfg, dated when
// date is not empty. It is an upper bound at the caps (every pane holding
// --max-groups busy groups), not a forecast: real cardinality is often far
// lower. The per-unit partials a run holds before merging them are not
// counted: they are bounded by the same panes × groups when each object
// covers its own stretch of the day (hourly files), and grow with the
// objects when many objects each span the whole day.
func EstimateMemory(cfg *Config, date string) (MemoryEstimate, error) {
	ws, err := cfg.Windows()
	if err != nil {
		return MemoryEstimate{}, err
	}
	pane := features.PaneFor(ws)
	var reach time.Duration
	for _, w := range ws {
		reach = max(reach, w.Size-w.Slide)
	}
	e := MemoryEstimate{Groups: 1, PerGroup: memGroupBase, Dated: date != "", Basis: "caps"}
	if e.Dated {
		e.Panes = int64((24*time.Hour + reach + pane - 1) / pane)
	} else {
		e.Panes = int64(cfg.MaxPanes)
	}
	if len(cfg.GroupBy) > 0 {
		e.Groups = int64(cfg.MaxGroups)
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
	workers := int64(cfg.EffectiveWorkers())
	e.Fixed = memRuntime + workers*(int64(cfg.MaxLineBytes)+memReadBuffer+memZstdWindow)
	if strings.HasPrefix(cfg.Input, "s3://") {
		e.Fixed += (workers + 1) * cfg.ReadAhead
	}
	e.Total = satAdd(e.Aggregate, e.Fixed)
	e.CapsTotal = e.Total
	return e, nil
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
// a run whose memory estimate at the caps (see EstimateMemory), times
// parallel dates computed at once, exceeds lim. It passes when lim is zero
// (no limit), when --memory-check is off, and when the windows do not
// parse (Validate reports that). now resolves the date as a run would.
// It reads nothing: merge uses it before reading the shards' partials; a
// run checks once its input is listed, from the data (see MemoryGuard).
func CheckMemory(cfg *Config, parallel int, lim MemoryLimit, now time.Time) error {
	if lim.Bytes <= 0 || !cfg.MemoryCheck {
		return nil
	}
	date := cfg.targetDate(now)
	e, err := EstimateMemory(cfg, date)
	if err != nil {
		return nil
	}
	if fitsMemory(e, parallel, lim) {
		return nil
	}
	return memoryError(cfg, e, parallel, lim)
}

// MemoryGuard is the memory check a run makes once its input is listed:
// the limit it must fit in, shared by Parallel runs at once (a backfill's
// dates). A zero MemoryGuard checks nothing.
type MemoryGuard struct {
	Limit    MemoryLimit
	Parallel int // 0 means 1
}

// checkMemory refuses, as CheckMemory does, a run of units whose memory
// estimate times the guard's Parallel exceeds its limit. The estimate at
// the caps is tried first, reading nothing; when it does not fit, the
// units' objects are sampled as plan samples them (at most 16 per codec
// class, 1 MiB of each) and the run is estimated from its data (see
// estimateFromData), and refused only if that does not fit either.
// Standard input cannot be sampled: it is checked at the caps.
func (rs *runState) checkMemory(ctx context.Context, units []unit) error {
	g, cfg := rs.opts.Memory, rs.cfg
	if g.Limit.Bytes <= 0 || !cfg.MemoryCheck {
		return nil
	}
	caps, err := EstimateMemory(cfg, rs.res.Date)
	if err != nil {
		return settingError(cfg, "Window", err)
	}
	if fitsMemory(caps, g.Parallel, g.Limit) {
		return nil
	}
	if rs.res.Stdin {
		return memoryError(cfg, caps, g.Parallel, g.Limit)
	}
	var inputs []input
	seen := map[string]bool{}
	for _, u := range units {
		if url := u.in.url(); !seen[url] {
			seen[url] = true
			inputs = append(inputs, u.in)
		}
	}
	est, err := estimateUncompressed(ctx, cfg, inputs, memSampleBytes)
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
	ms, err := sampleMemory(ctx, cfg, rs.res, est.heads)
	if err != nil {
		return err
	}
	e := estimateFromData(caps, cfg, rs.res, uncompressed, len(units), ms)
	if !fitsMemory(e, g.Parallel, g.Limit) {
		return memoryError(cfg, e, g.Parallel, g.Limit)
	}
	rs.log.Info("memory check: the estimate from the input fits", "estimate", fmtBytes(e.Total), "caps_estimate", fmtBytes(caps.Total),
		"limit", fmtBytes(g.Limit.Bytes), "events", e.Data.Events, "cells", e.Data.Cells)
	return nil
}

// fitsMemory says whether parallel runs of estimate e fit in lim.
func fitsMemory(e MemoryEstimate, parallel int, lim MemoryLimit) bool {
	return satMul(e.Total, int64(max(parallel, 1))) <= lim.Bytes
}

// memoryError is the *ConfigError refusing parallel runs of estimate e
// over lim: what the estimate is made of and the settings that lower it.
func memoryError(cfg *Config, e MemoryEstimate, parallel int, lim MemoryLimit) error {
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
			fmt.Fprintf(&b, "%d panes (a day of --window %s)", e.Panes, strings.Join(cfg.Window, ","))
		} else {
			fmt.Fprintf(&b, "%d panes (--max-panes, an undated run)", e.Panes)
		}
		if len(cfg.GroupBy) > 0 {
			fmt.Fprintf(&b, " × %d groups (--max-groups)", e.Groups)
		}
		fmt.Fprintf(&b, " × %s ≈ %s", fmtBytes(e.PerGroup), fmtBytes(e.Aggregate))
	}
	fmt.Fprintf(&b, ", plus %s for %d workers", fmtBytes(e.Fixed), cfg.EffectiveWorkers())
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

// memRow is one row of the window being built, before it is encoded
// (~700 bytes measured; see memGroupBase).
const memRow = 768

// estimateFromData returns caps's run re-estimated from its input: units
// units of uncompressed bytes in all, whose sampled starts decoded to s.
// It keeps caps (Basis "caps") when the sample holds no line to measure.
// The model is an upper bound as far as the sample is like the rest of
// the input: every line counts as an event; events are spread evenly over
// the panes, which fills the most cells; a pane's cells are the distinct
// groups its events draw from GroupsPerDay groups; the cells never exceed
// the caps or the events; a cell with a sketch holds at least 33 events.
func estimateFromData(caps MemoryEstimate, cfg *Config, res *Resolved, uncompressed int64, units int, s MemorySample) MemoryEstimate {
	if s.Lines == 0 || s.Bytes == 0 || uncompressed <= 0 {
		return caps
	}
	d := &DataEstimate{Sample: s, UncompressedBytes: uncompressed}
	d.Events = max(mulDiv(uncompressed, s.Lines, s.Bytes), 1)
	events := float64(d.Events)
	panes := caps.Panes
	if !caps.Dated {
		panes = min(panes, d.Events) // each pane holds an event
	}
	grouped := len(cfg.GroupBy) > 0
	groups := 1.0
	if grouped {
		groups = min(fitGroups(float64(s.Events), float64(s.Groups)), events)
	}
	d.GroupsPerDay = int64(math.Ceil(groups))
	capCells := satMul(panes, caps.Groups)
	// cellsOf is the cells n events fill at most, spread over the panes.
	cellsOf := func(n float64) int64 {
		perPane := min(drawn(groups, n/float64(panes)), float64(caps.Groups))
		return min(int64(math.Ceil(float64(panes)*perPane)), capCells, int64(math.Ceil(n)))
	}
	d.Cells = max(cellsOf(events), min(s.Cells, capCells))
	units = max(units, 1)
	d.PartialCells = int64(min(res.Workers, units-1)) * cellsOf(events/float64(units))
	if cfg.LatencyField != "" {
		d.SketchedCells = min(d.Cells, max(d.Events-d.Cells, 0)/(memSketchEvents-1))
	}
	held := d.Cells + d.PartialCells
	perCell := int64(memCell)
	if grouped {
		perCell += memDimensionCopies * perCellKey(s)
	}
	agg := satMul(held, perCell)
	agg = satAdd(agg, satMul(min(d.Events, satMul(held, memSketchEvents-1)), memRawLatency))
	agg = satAdd(agg, satMul(d.SketchedCells, memLatencySketch))
	if cfg.DistinctField != "" {
		agg = satAdd(agg, satMul(held, memDistinctSketch))
	}
	// Tables: each window's rows are built in turn and encoded into files
	// held until they are written.
	var rowBytes int64
	for _, f := range cfg.Format {
		if f == "csv" {
			rowBytes += memRowCSV + memDimensionCopies*perCellKey(s)
		} else {
			rowBytes += memRowParquet
		}
	}
	// A dense table has every window of the span the input covers: a dated
	// run's day, or an undated run's first event to its last. The sampled
	// objects' starts, evenly spaced in the listing, cover about (k − 1)/k
	// of that when k objects each cover their own stretch of it; with one
	// sample nothing tells the span, and each pane may hold one event.
	spanPanes := panes
	if !caps.Dated && s.Objects > 1 && s.SpanPanes > 0 {
		spanPanes = min(panes, ceilDiv(s.SpanPanes*int64(s.Objects), int64(s.Objects-1)))
	}
	span := time.Duration(spanPanes) * features.PaneFor(res.Windows)
	var widest int64
	for _, w := range res.Windows {
		n := max(int64(span/w.Slide), 1)
		rows := int64(1)
		if grouped {
			perWindow := events * float64(w.Size) / float64(span)
			rows = min(int64(math.Ceil(drawn(groups, perWindow))), int64(cfg.MaxGroups)+1, d.Events)
			if !cfg.Sparse {
				// Dense: a row for every group of the day in every window.
				rows = max(rows, min(d.GroupsPerDay, d.Cells))
			}
		}
		d.OutputRows = satAdd(d.OutputRows, satMul(n, rows))
		widest = max(widest, rows)
	}
	agg = satAdd(agg, satMul(d.OutputRows, rowBytes))
	agg = satAdd(agg, satMul(widest, memRow))
	e := caps
	e.Basis, e.Data, e.Aggregate = "sampled", d, agg
	e.Total = satAdd(e.Fixed, agg)
	return e
}

// perCellKey is the sampled groups' mean key length.
func perCellKey(s MemorySample) int64 {
	if s.Groups == 0 {
		return 0
	}
	return ceilDiv(s.KeyBytes, s.Groups)
}

// drawn is how many distinct values n uniform draws from k values give,
// on average: k(1 − e^(−n/k)).
func drawn(k, n float64) float64 {
	if k <= 0 || n <= 0 {
		return 0
	}
	return -k * math.Expm1(-n/k)
}

// fitGroups returns the number of values k from which n uniform draws give
// d distinct on average (drawn(k, n) = d), or +Inf when every draw was
// distinct (nothing bounds k). A skewed mix (a few busy groups, many rare
// ones) gives a smaller k than it has; the sample, of several objects'
// starts, is usually larger than a pane's events, so the cells per pane
// are interpolated, not extrapolated.
func fitGroups(n, d float64) float64 {
	switch {
	case d <= 0:
		return 1
	case d >= n:
		return math.Inf(1)
	}
	lo, hi := d, d
	for drawn(hi, n) < d {
		hi *= 2
	}
	for range 100 {
		mid := (lo + hi) / 2
		if drawn(mid, n) < d {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}

// memSampleBytes is how many decoded bytes of each sampled object (see
// sampleClass) the memory model decodes into events.
const memSampleBytes = 256 << 10

// sampleMemory decodes heads, the sampled starts of input objects, as a
// run of cfg resolved as res decodes them, and counts what they hold. Bad
// lines and damage are the run's to report: a sample counts what decoded.
func sampleMemory(ctx context.Context, cfg *Config, res *Resolved, heads [][]byte) (MemorySample, error) {
	var ms MemorySample
	all := newPartial(cfg, res)
	or := features.NewObjectReader(res.Spec, features.ObjectOptions{MaxObjectBytes: cfg.MaxObjectBytes, MaxLine: cfg.MaxLineBytes})
	for _, h := range heads {
		p := newPartial(cfg, res)
		if _, err := or.Read(ctx, "sample", bytes.NewReader(h), p, false); err != nil && ctx.Err() != nil {
			return ms, ctx.Err()
		}
		ms.Objects++
		ms.Bytes += int64(len(h))
		if err := all.Merge(p); err != nil {
			return ms, err
		}
	}
	c := all.Cardinality()
	ms.Lines = all.Counts.Lines
	ms.Events, ms.Cells, ms.Groups, ms.Once, ms.KeyBytes = c.Events, c.Cells, c.Groups, c.Once, c.KeyBytes
	if from, to, ok := all.Span(); ok {
		ms.SpanPanes = int64(to.Sub(from) / all.Pane())
	}
	return ms, nil
}
