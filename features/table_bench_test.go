package features

import (
	"math/rand/v2"
	"strconv"
	"testing"
	"time"
)

// BenchmarkTableGroups builds the rows of 3 hours of 5-minute windows with
// 1,000 groups per window (36,000 rows): the per-row cost of Partial.Table
// that dominates runs with many groups (docs/benchmarks.md, scale curve b).
func BenchmarkTableGroups(b *testing.B) {
	p := NewPartial(5*time.Minute, 0)
	p.maxGroups = 1 << 20
	rng := rand.New(rand.NewPCG(7, 7))
	evs := randomEvents(rng, 200000)
	groups := make([][]byte, 1000)
	for i := range groups {
		groups[i] = []byte(EncodeGroup([]string{"u" + strconv.Itoa(i)}))
	}
	for i := range evs {
		evs[i].Group = groups[i%len(groups)]
		p.Add(&evs[i])
	}
	b.ReportAllocs()
	var n int
	for b.Loop() {
		rows, err := p.Table(Window{Size: 5 * time.Minute}, TableOptions{Dims: 1, MaxGroups: 1 << 20})
		if err != nil {
			b.Fatal(err)
		}
		n = len(rows)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/row")
}

// The reused big numbers of moments give the bits fresh ones give, in any
// order of rows: tiny, huge (sums past 2^64 and 2^128) and ordinary ones.
func TestMomentsReuse(t *testing.T) {
	fresh := func(a *acc) (float64, float64) {
		var m moments
		return m.moments(a)
	}
	rng := rand.New(rand.NewPCG(3, 3))
	var accs []*acc
	for i := range 300 {
		a := newAcc()
		n := 1 + rng.IntN(50)
		for range n {
			var lat int64
			switch i % 3 {
			case 0:
				lat = rng.Int64N(10)
			case 1:
				lat = rng.Int64N(1 << 62)
			default:
				lat = rng.Int64N(int64(time.Second))
			}
			a.add(&Event{HasLatency: true, Latency: lat})
		}
		accs = append(accs, a)
	}
	var reused moments
	for _, a := range accs {
		avg1, std1 := reused.moments(a)
		avg2, std2 := fresh(a)
		if avg1 != avg2 || std1 != std2 {
			t.Fatalf("reused %v %v, fresh %v %v", avg1, std1, avg2, std2)
		}
	}
}
