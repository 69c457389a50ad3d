package memory

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/logsmith/logsmith/features"
)

// fitGroups inverts drawn: the group count fitted to n draws giving d
// distinct gives d back from n draws, for counts from one to far more
// than the draws.
func TestFitGroupsInvertsDrawn(t *testing.T) {
	for _, k := range []float64{1, 2, 10, 1000, 1e5, 1e7} {
		for _, n := range []float64{1, 5, 100, 10000, 1e6} {
			d := drawn(k, n)
			if d >= n-1e-9 {
				continue // every draw distinct: nothing to fit
			}
			got := fitGroups(n, d)
			if back := drawn(got, n); math.Abs(back-d) > 1e-6*d+1e-9 {
				t.Errorf("k %g, n %g: d %g, fitted %g gives %g", k, n, d, got, back)
			}
		}
	}
	if !math.IsInf(fitGroups(10, 10), 1) {
		t.Error("all draws distinct: want +Inf groups")
	}
}

// windows are the window sets the tests draw from.
var windows = [][]features.Window{
	{{Size: 5 * time.Minute, Slide: 5 * time.Minute}},
	{{Size: time.Minute, Slide: time.Minute}},
	{{Size: time.Minute, Slide: time.Minute}, {Size: 15 * time.Minute, Slide: 5 * time.Minute}},
	{{Size: time.Hour, Slide: time.Hour}},
}

// The data model's invariants, over random runs and samples: its cells
// never exceed the caps' (panes × groups) nor the events, nor fall below
// the cells the sample itself holds (within the caps); sketched cells hold
// 33 events each within the events; more input never estimates less; the
// fixed costs are the caps'.
func TestFromDataBounds(t *testing.T) {
	r := rand.New(rand.NewPCG(27, 3))
	for i := range 500 {
		run := Run{Dated: r.IntN(3) > 0, MaxPanes: 200000, MaxGroups: []int{10, 1000, 100000}[r.IntN(3)], MaxDimension: 1024,
			Latency: r.IntN(4) > 0, Distinct: r.IntN(4) == 0, Workers: 1 + r.IntN(8), MaxLineBytes: 1 << 20,
			Formats: [][]string{{"parquet"}, {"csv"}, {"parquet", "csv"}}[r.IntN(3)], Sparse: r.IntN(2) == 0}
		run.Windows = windows[r.IntN(len(windows))]
		if r.IntN(2) == 0 {
			run.GroupBy = 1
		}
		caps := AtCaps(run)
		lines := int64(1 + r.IntN(40000))
		groups := int64(1)
		if run.GroupBy > 0 {
			groups = 1 + r.Int64N(lines)
		}
		s := Sample{Objects: 1 + r.IntN(16), Bytes: lines * int64(50+r.IntN(500)), Lines: lines, Events: lines,
			Groups: groups, Cells: min(lines, groups*int64(1+r.IntN(20))), KeyBytes: groups * 8, SpanPanes: r.Int64N(1500)}
		s.Once = r.Int64N(groups + 1)
		unc := s.Bytes * (1 + r.Int64N(10000))
		units := 1 + r.IntN(64)
		e := FromData(caps, run, unc, units, s)
		d := e.Data
		if e.Basis != "sampled" || d == nil {
			t.Fatalf("case %d: basis %q", i, e.Basis)
		}
		capCells := satMul(caps.Panes, caps.Groups)
		if d.Cells > capCells || d.Cells > max(d.Events, s.Cells) {
			t.Errorf("case %d: %d cells over the caps %d or the events %d", i, d.Cells, capCells, d.Events)
		}
		if d.Cells < min(s.Cells, capCells) {
			t.Errorf("case %d: %d cells, fewer than the sample's %d", i, d.Cells, s.Cells)
		}
		if d.SketchedCells > d.Cells || d.SketchedCells*33+(d.Cells-d.SketchedCells) > max(d.Events, d.Cells) {
			t.Errorf("case %d: %d sketched of %d cells holding %d events", i, d.SketchedCells, d.Cells, d.Events)
		}
		if e.Total != e.Fixed+e.Aggregate || e.Fixed != caps.Fixed || e.CapsTotal != caps.Total {
			t.Errorf("case %d: total %d, fixed %d, aggregate %d, caps %d", i, e.Total, e.Fixed, e.Aggregate, e.CapsTotal)
		}
		if more := FromData(caps, run, 2*unc, units, s); more.Total < e.Total {
			t.Errorf("case %d: twice the input estimates less: %d < %d", i, more.Total, e.Total)
		}
	}
}

// With no line sampled there is nothing to estimate from: the caps stand.
func TestFromDataWithoutSample(t *testing.T) {
	run := Run{Windows: windows[0], Dated: true, Latency: true, Workers: 2, MaxLineBytes: 1 << 20}
	caps := AtCaps(run)
	if e := FromData(caps, run, 1<<30, 4, Sample{}); e.Basis != "caps" || e.Total != caps.Total {
		t.Errorf("got %+v", e)
	}
}
