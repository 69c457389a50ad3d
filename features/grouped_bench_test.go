package features

import (
	"io"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"
)

// groupedEvents are 3 hours of events spread uniformly over 100,000 groups,
// ~8,900 an hour-twelfth: the shape of scalebench (e)'s 100,000-group point,
// where most (window, group) cells hold one event.
func groupedEvents() []Event {
	rng := rand.New(rand.NewPCG(11, 11))
	evs := randomEvents(rng, 36*8900)
	keys := make([][]byte, 100000)
	for i := range keys {
		keys[i] = []byte(EncodeGroup([]string{"k" + strconv.Itoa(i)}))
	}
	for i := range evs {
		evs[i].Group = keys[rng.IntN(len(keys))]
	}
	return evs
}

// BenchmarkGroupedPath is a grouped run's per-row path at many groups and
// few events per cell: "add" aggregates the events into a partial, "rows"
// builds the rows window by window, "parquet" builds them and encodes them
// as the run does (rows into a ParquetWriter, one window at a time). ns/row
// is per output (window, group) row; the output rows are ~300,000.
func BenchmarkGroupedPath(b *testing.B) {
	evs := groupedEvents()
	w := Window{Size: 5 * time.Minute}
	opts := TableOptions{Dims: 1, MaxGroups: 1 << 20}
	fill := func() *Partial {
		p := NewPartial(5*time.Minute, 1<<20)
		for i := range evs {
			p.Add(&evs[i])
		}
		return p
	}
	p := fill()
	var n int
	if err := p.Rows(w, opts, func(rs []Row) error { n += len(rs); return nil }); err != nil {
		b.Fatal(err)
	}
	perRow := func(b *testing.B) {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/row")
	}
	b.Run("add", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			fill()
		}
		perRow(b)
	})
	b.Run("rows", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := p.Rows(w, opts, func([]Row) error { return nil }); err != nil {
				b.Fatal(err)
			}
		}
		perRow(b)
	})
	b.Run("parquet", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			pw := NewParquetWriter(io.Discard, Columns{Dims: []string{"e100k"}}, nil)
			if err := p.Rows(w, opts, pw.Write); err != nil {
				b.Fatal(err)
			}
			if err := pw.Close(); err != nil {
				b.Fatal(err)
			}
		}
		perRow(b)
	})
}
