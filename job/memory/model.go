package memory

import (
	"bytes"
	"context"
	"math"
	"time"

	"github.com/logsmith/logsmith/features"
)

// The memory model of a run, in bytes. See Estimate and
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
	// entry and key, and its share of the row built from it. Since the
	// cell store (features/cell.go: small cells of ~114 bytes, rows
	// written to the encoders without boxing), runs of 1,000 and 100,000
	// groups a day peaked at 230–290 bytes per cell held (the merged
	// cells and the partials being read) above the ungrouped run
	// (TestMemoryEstimateFollowsPeak, docs/performance.md "Memory").
	memCell = 256
	// memRawLatency is one latency held as it is (a cell keeps up to
	// features keeps up to 32 so), with its slice's spare capacity.
	memRawLatency = 16
	// memRowParquet and memRowCSV are one output row in the encoded file a
	// table's date is built in (a growing buffer: up to twice its final
	// size): measured 25 and 143 bytes per dense row at 10,000 groups.
	memRowParquet = 32
	memRowCSV     = 160
	// memSketchEvents is the fewest latencies of a cell with a DDSketch:
	// one more than features keeps as they are.
	memSketchEvents = 33
)

// Run is what the model needs of a run's settings.
type Run struct {
	Windows      []features.Window
	Dated        bool
	MaxPanes     int // an undated run's
	GroupBy      int // fields; 0 without --group-by
	MaxGroups    int
	MaxDimension int // --max-dimension-bytes
	Latency      bool
	Distinct     bool
	Workers      int
	MaxLineBytes int
	ReadAhead    int64 // per object read ahead, 0 when the input is not S3
	Formats      []string
	Sparse       bool
	// RangePanes are the panes of one range the aggregate spills and is
	// read back by (job/spill); 0 when it does not spill.
	RangePanes int64
}

// Estimate is what a run of a config is expected to hold at most:
// fixed costs plus the aggregate, from the input's data when it was
// sampled (Basis "sampled"), else at the caps (Basis "caps").
type Estimate struct {
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
	// HeldPanes are the panes held at once when the aggregate spills
	// (see Run.RangePanes): two ranges' worth (a range and the windows
	// reaching past it), at most Panes.
	HeldPanes int64 `json:"held_panes"`
	// Spilling is Total for an aggregate spilled to disk: its cells held
	// HeldPanes at a time, its encoded output rows whole.
	Spilling int64 `json:"spilling_total_bytes"`
	Dated    bool  `json:"dated"`
	// Basis is "caps" (Panes × Groups at the caps) or "sampled" (from the
	// input's size and a sample of its events: see Data).
	Basis string `json:"basis"`
	// CapsTotal is the estimate at the caps, whatever the basis.
	CapsTotal int64 `json:"caps_total_bytes"`
	// Data is the data model's inputs and results, with Basis "sampled".
	Data *Data `json:"data,omitempty"`
}

// Data is how a memory estimate follows the input: its events,
// estimated from its uncompressed size and the sampled bytes per line, and
// the cells they fill, extrapolated from the distinct groups sampled.
type Data struct {
	Sample Sample `json:"sample"`
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

// Sample is what the sampled starts of input objects decoded to,
// as a run decodes them.
type Sample struct {
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

// AtCaps returns the memory budget of run r. It is an upper bound at the caps (every pane holding
// --max-groups busy groups), not a forecast: real cardinality is often far
// lower. The per-unit partials a run holds before merging them are not
// counted: they are bounded by the same panes × groups when each object
// covers its own stretch of the day (hourly files), and grow with the
// objects when many objects each span the whole day.
func AtCaps(r Run) Estimate {
	pane := features.PaneFor(r.Windows)
	var reach time.Duration
	for _, w := range r.Windows {
		reach = max(reach, w.Size-w.Slide)
	}
	e := Estimate{Groups: 1, PerGroup: memGroupBase, Dated: r.Dated, Basis: "caps"}
	if e.Dated {
		e.Panes = int64((24*time.Hour + reach + pane - 1) / pane)
	} else {
		e.Panes = int64(r.MaxPanes)
	}
	if r.GroupBy > 0 {
		e.Groups = int64(r.MaxGroups)
	}
	if r.Latency {
		e.PerGroup += memLatencySketch
	}
	if r.Distinct {
		e.PerGroup += memDistinctSketch
	}
	if r.GroupBy > 0 {
		e.PerGroup += memDimensionCopies * int64(r.GroupBy) * int64(r.MaxDimension)
	}
	e.Aggregate = satMul(satMul(e.Panes, e.Groups), e.PerGroup)
	workers := int64(r.Workers)
	e.Fixed = memRuntime + workers*(int64(r.MaxLineBytes)+memReadBuffer+memZstdWindow) + (workers+1)*r.ReadAhead
	e.Total = satAdd(e.Aggregate, e.Fixed)
	e.CapsTotal = e.Total
	e.HeldPanes = e.Panes
	if r.RangePanes > 0 {
		e.HeldPanes = min(e.Panes, 2*r.RangePanes)
	}
	e.Spilling = satAdd(e.Fixed, spilled(e.Aggregate, e.HeldPanes, e.Panes))
	return e
}

// spilled is the part of cells' bytes, spread over panes, held at once
// when held of them are.
func spilled(cells, held, panes int64) int64 {
	if held >= panes || panes <= 0 {
		return cells
	}
	return mulDiv(cells, held, panes)
}

// memRow is one row of the window being built, before it is encoded
// (~700 bytes measured; see memGroupBase).
const memRow = 768

// FromData returns run r, estimated at the caps as caps, re-estimated from
// its input: units units of uncompressed bytes in all, whose sampled
// starts decoded to s (see Take).
// It keeps caps (Basis "caps") when the sample holds no line to measure.
// The model is an upper bound as far as the sample is like the rest of
// the input: every line counts as an event; events are spread evenly over
// the panes, which fills the most cells; a pane's cells are the distinct
// groups its events draw from GroupsPerDay groups; the cells never exceed
// the caps or the events; a cell with a sketch holds at least 33 events.
func FromData(caps Estimate, r Run, uncompressed int64, units int, s Sample) Estimate {
	if s.Lines == 0 || s.Bytes == 0 || uncompressed <= 0 {
		return caps
	}
	d := &Data{Sample: s, UncompressedBytes: uncompressed}
	d.Events = max(mulDiv(uncompressed, s.Lines, s.Bytes), 1)
	events := float64(d.Events)
	panes := caps.Panes
	if !caps.Dated {
		panes = min(panes, d.Events) // each pane holds an event
	}
	grouped := r.GroupBy > 0
	groups := 1.0
	if grouped {
		// No sampled event in range tells nothing of the groups: as many
		// as the events, then.
		groups = events
		if s.Events > 0 {
			groups = min(fitGroups(float64(s.Events), float64(s.Groups)), events)
		}
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
	d.PartialCells = int64(min(r.Workers, units-1)) * cellsOf(events/float64(units))
	if r.Latency {
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
	if r.Distinct {
		agg = satAdd(agg, satMul(held, memDistinctSketch))
	}
	// Tables: each window's rows are built in turn and encoded into files
	// held until they are written.
	var rowBytes int64
	for _, f := range r.Formats {
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
	span := time.Duration(spanPanes) * features.PaneFor(r.Windows)
	var widest int64
	for _, w := range r.Windows {
		n := max(int64(span/w.Slide), 1)
		rows := int64(1)
		if grouped {
			perWindow := events * float64(w.Size) / float64(span)
			rows = min(int64(math.Ceil(drawn(groups, perWindow))), int64(r.MaxGroups)+1, d.Events)
			if !r.Sparse {
				// Dense: a row for every group of the day in every window.
				rows = max(rows, min(d.GroupsPerDay, d.Cells))
			}
		}
		d.OutputRows = satAdd(d.OutputRows, satMul(n, rows))
		widest = max(widest, rows)
	}
	cells := agg
	rowsHeld := satAdd(satMul(d.OutputRows, rowBytes), satMul(widest, memRow))
	agg = satAdd(agg, rowsHeld)
	e := caps
	e.Basis, e.Data, e.Aggregate = "sampled", d, agg
	e.Total = satAdd(e.Fixed, agg)
	e.Spilling = satAdd(satAdd(e.Fixed, spilled(cells, min(e.HeldPanes, panes), panes)), rowsHeld)
	return e
}

// perCellKey is the sampled groups' mean key length.
func perCellKey(s Sample) int64 {
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

// SampleBytes is how many decoded bytes of each sampled object the model
// decodes into events (Take).
const SampleBytes = 256 << 10

// Take decodes heads, the sampled starts of input objects, with or into
// partials from newPartial, as a run decodes them, and counts what they
// hold. Bad lines and damage are the run's to report: a sample counts what
// decoded.
func Take(ctx context.Context, or *features.ObjectReader, newPartial func() *features.Partial, heads [][]byte) (Sample, error) {
	var ms Sample
	all := newPartial()
	for _, h := range heads {
		p := newPartial()
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

// ceilDiv returns a÷b rounded up; b > 0.
func ceilDiv(a, b int64) int64 { return (a + b - 1) / b }

// mulDiv returns a×b÷c rounded down, saturating; a, b ≥ 0, c > 0.
func mulDiv(a, b, c int64) int64 {
	if q := satMul(a, b); q < math.MaxInt64 {
		return q / c
	}
	return int64(min(float64(a)*float64(b)/float64(c), math.MaxInt64))
}
