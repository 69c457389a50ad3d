package spill

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/logsmith/logsmith/features"
)

var day = time.Date(2025, 11, 8, 0, 0, 0, 0, time.UTC)

// partialOf returns a partial of 5-minute panes holding n events of seed
// over days days from day, in groups of up to groups values.
func partialOf(n, days, groups int, seed uint64) *features.Partial {
	p := features.NewPartial(5*time.Minute, 0)
	r := rand.New(rand.NewPCG(seed, 1))
	for range n {
		e := features.Event{
			Time:    day.Add(time.Duration(r.Int64N(int64(days) * int64(24*time.Hour)))).UnixNano(),
			Latency: int64(1+r.IntN(900)) * int64(time.Millisecond), HasLatency: true,
			Group: []byte(features.EncodeGroup([]string{fmt.Sprintf("g%d", r.IntN(groups))})),
		}
		p.Add(&e)
	}
	return p
}

var windows = []features.Window{{Size: 5 * time.Minute, Slide: 5 * time.Minute}, {Size: 15 * time.Minute, Slide: 5 * time.Minute}, {Size: time.Hour, Slide: time.Hour}}

// storeOf adds parts partials to a store of budget (0: none), kept for
// dense rows, and returns it.
func storeOf(t *testing.T, dir string, budget int64, parts int) *Store {
	t.Helper()
	return storeFor(t, dir, budget, parts, true)
}

func storeFor(t *testing.T, dir string, budget int64, parts int, dense bool) *Store {
	t.Helper()
	s := New(features.NewPartial(5*time.Minute, 0), Options{Dir: dir, Budget: budget, Range: RangeFor(5*time.Minute, windows), Dense: dense})
	t.Cleanup(func() { s.Close() })
	for i := range parts {
		if err := s.AddAt(i, partialOf(400, 2, 40, uint64(i))); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// Rows, Events, Span and Panes of a store read back from the spill file
// are those of the same partials held in memory, for dense and sparse
// tables and every window.
func TestSpilledReadsAsInMemory(t *testing.T) {
	want := storeOf(t, t.TempDir(), 0, 8)
	for _, budget := range []int64{1, 20 << 10, 200 << 10} {
		got := storeOf(t, t.TempDir(), budget, 8)
		if !got.Spilled() {
			t.Fatalf("budget %d: nothing spilled", budget)
		}
		for _, w := range windows {
			for _, dense := range []bool{false, true} {
				o := features.TableOptions{Dense: dense, Dims: 1}
				a, err := want.Table(w, o)
				if err != nil {
					t.Fatal(err)
				}
				b, err := got.Table(w, o)
				if err != nil {
					t.Fatal(err)
				}
				if len(a) == 0 || !reflect.DeepEqual(a, b) {
					t.Errorf("budget %d, window %v, dense %v: %d rows read back, %d in memory", budget, w, dense, len(b), len(a))
				}
			}
			if a, b := want.EventsOn(w, "2025-11-09"), got.EventsOn(w, "2025-11-09"); a != b || a == 0 {
				t.Errorf("events %d read back, %d in memory", b, a)
			}
		}
		// A store made for sparse rows keeps no group keys: the same
		// sparse rows, and dense ones refused rather than short of groups,
		// spilled or not.
		if _, err := storeFor(t, t.TempDir(), 0, 8, false).Table(windows[0], features.TableOptions{Dims: 1, Dense: true}); err == nil {
			t.Error("an unspilled sparse store gave dense rows")
		}
		sparse := storeFor(t, t.TempDir(), budget, 8, false)
		for _, w := range windows {
			a, _ := want.Table(w, features.TableOptions{Dims: 1})
			b, err := sparse.Table(w, features.TableOptions{Dims: 1})
			if err != nil || len(a) == 0 || !reflect.DeepEqual(a, b) {
				t.Errorf("budget %d, window %v, sparse store: %d rows read back (%v), %d in memory", budget, w, len(b), err, len(a))
			}
			if _, err := sparse.Table(w, features.TableOptions{Dims: 1, Dense: true}); err == nil {
				t.Errorf("budget %d, window %v: a sparse store gave dense rows", budget, w)
			}
		}
		if want.Panes() != got.Panes() {
			t.Errorf("%d panes read back, %d in memory", got.Panes(), want.Panes())
		}
		f1, t1, _ := want.Span()
		f2, t2, _ := got.Span()
		if !f1.Equal(f2) || !t1.Equal(t2) {
			t.Errorf("span %v–%v read back, %v–%v in memory", f2, t2, f1, t1)
		}
	}
}

// A spilled section changed on disk is an error naming the file, never
// rows silently different.
func TestCorruptSpillIsAnError(t *testing.T) {
	dir := t.TempDir()
	s := storeOf(t, dir, 1, 4)
	name := filepath.Join(s.Stats().Dir, "aggregate.lspart")
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0x40
	if err := os.WriteFile(name, data, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = s.Table(windows[0], features.TableOptions{})
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("err = %v, want ErrCorrupt", err)
	}
}

// Close removes the spill file and its folder, and only them.
func TestCloseRemovesSpill(t *testing.T) {
	dir := t.TempDir()
	keep := filepath.Join(dir, "other")
	if err := os.WriteFile(keep, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s := storeOf(t, dir, 1, 2)
	if !s.Spilled() {
		t.Fatal("nothing spilled")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "other" {
		t.Errorf("left in the spill folder: %v", entries)
	}
}

// A spill folder that does not exist is a DirError naming it, not Made.
func TestSpillDirMissing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "missing")
	s := New(features.NewPartial(5*time.Minute, 0), Options{Dir: dir, Budget: 1, Range: time.Hour})
	err := s.Add(partialOf(100, 1, 10, 1))
	var de *DirError
	if !errors.As(err, &de) || de.Made || de.Dir != dir {
		t.Fatalf("err = %v, want a DirError of %s", err, dir)
	}
}

// RangeFor's ranges hold whole windows' starts and tile a day.
func TestRangeFor(t *testing.T) {
	w := func(size, slide time.Duration) features.Window { return features.Window{Size: size, Slide: slide} }
	for _, tc := range []struct {
		pane time.Duration
		ws   []features.Window
		want time.Duration
	}{
		{5 * time.Minute, []features.Window{w(5*time.Minute, 5*time.Minute)}, time.Hour},
		{time.Second, []features.Window{w(time.Second, time.Second)}, time.Hour},
		{5 * time.Minute, []features.Window{w(15*time.Minute, 5*time.Minute), w(2*time.Hour, 2*time.Hour)}, 2 * time.Hour},
		{7*time.Minute + 30*time.Second, []features.Window{w(45*time.Minute, 45*time.Minute)}, 90 * time.Minute},
		{time.Hour, []features.Window{w(24*time.Hour, 24*time.Hour)}, 24 * time.Hour},
		{5 * time.Minute, []features.Window{w(5*time.Minute, 0)}, time.Hour},
	} {
		if got := RangeFor(tc.pane, tc.ws); got != tc.want {
			t.Errorf("RangeFor(%v, %v) = %v, want %v", tc.pane, tc.ws, got, tc.want)
		}
	}
}

// A store spills when what it holds reaches the budget, and only then,
// whatever its partials' own footprints add up to: partials that share
// their cells (objects that each span the whole day) add up to many
// budgets while their merge fits in one, and stay in memory; cells whose
// latencies turn into a sketch as they merge hold more than their
// partials did; partials of cells of their own spill as soon as they
// pass the budget. After every Add the store knows what it holds, and
// that is under the budget.
func TestSpillsAtTheBudget(t *testing.T) {
	const parts = 12
	same := func(int) *features.Partial { return partialOf(3000, 1, 30, 7) }
	// Partial i's groups are its own.
	own := func(i int) *features.Partial {
		p := features.NewPartial(5*time.Minute, 0)
		r := rand.New(rand.NewPCG(uint64(i), 2))
		for range 3000 {
			e := features.Event{Time: day.Add(time.Duration(r.Int64N(int64(24 * time.Hour)))).UnixNano(),
				Group: []byte(features.EncodeGroup([]string{fmt.Sprintf("p%d-g%d", i, r.IntN(30))}))}
			p.Add(&e)
		}
		return p
	}
	// Each cell of 17 latencies, exact; two merged are 34, a sketch.
	sketching := func(i int) *features.Partial {
		p := features.NewPartial(5*time.Minute, 0)
		for c := range 288 {
			for k := range 17 {
				e := features.Event{Time: day.Add(time.Duration(c) * 5 * time.Minute).UnixNano(), Latency: int64(1 + k + 100*i), HasLatency: true}
				p.Add(&e)
			}
		}
		return p
	}
	for _, tc := range []struct {
		name string
		make func(int) *features.Partial
	}{{"same cells", same}, {"own cells", own}, {"cells that turn to sketches", sketching}} {
		merged := features.NewPartial(5*time.Minute, 0)
		var sum int64
		for i := range parts {
			p := tc.make(i)
			sum += p.Footprint()
			if err := merged.Merge(p); err != nil {
				t.Fatal(err)
			}
		}
		m := merged.Footprint()
		for _, budget := range []int64{1, tc.make(0).Footprint(), m / 3, m - 1, m, m + 1, (m + sum) / 2, sum + 1} {
			s := New(features.NewPartial(5*time.Minute, 0), Options{Dir: t.TempDir(), Budget: budget, Range: time.Hour})
			for i := range parts {
				if err := s.AddAt(i, tc.make(i)); err != nil {
					t.Fatal(err)
				}
				if fp := s.Partial().Footprint(); fp != s.held || fp >= budget {
					t.Fatalf("%s, budget %d: holds %d after partial %d, counted %d", tc.name, budget, fp, i, s.held)
				}
			}
			if spilled := s.Spilled(); spilled != (budget <= m) {
				t.Errorf("%s, budget %d: the merge holds %d, its partials %d in all: spilled %v", tc.name, budget, m, sum, spilled)
			}
			s.Close()
		}
	}
}

// A store given its partials through AddSpilled — as a merge adds its
// shards' sections — holds none of their panes in memory whatever the
// budget, and reads as the same partials merged in memory: every window,
// dense and sparse rows, events, panes and span. Interleaved with Add
// (one shard's sections spilled, a unit's partial merged), too.
func TestAddSpilledHoldsNoPanes(t *testing.T) {
	want := storeOf(t, t.TempDir(), 0, 8)
	empty := features.NewPartial(5*time.Minute, 0).Footprint()
	for _, budget := range []int64{1, 20 << 10, 1 << 40} {
		for _, mixed := range []bool{false, true} {
			s := New(features.NewPartial(5*time.Minute, 0), Options{Dir: t.TempDir(), Budget: budget, Range: RangeFor(5*time.Minute, windows), Dense: true})
			t.Cleanup(func() { s.Close() })
			for i := range 8 {
				add := s.AddSpilled
				if mixed && i%2 == 1 {
					add = s.Add
				}
				if err := add(partialOf(400, 2, 40, uint64(i))); err != nil {
					t.Fatal(err)
				}
				if !mixed && s.Partial().Panes() != 0 {
					t.Fatalf("budget %d: %d panes in memory after AddSpilled", budget, s.Partial().Panes())
				}
			}
			if !mixed && s.Partial().Footprint() > empty+1<<10 {
				t.Errorf("budget %d: %d bytes held after AddSpilled, an empty partial holds %d", budget, s.Partial().Footprint(), empty)
			}
			what := fmt.Sprintf("budget %d, mixed %v", budget, mixed)
			sameReads(t, what, s, want)
			if c1, c2 := want.Partial().Counts, s.Partial().Counts; !reflect.DeepEqual(c1, c2) {
				t.Errorf("%s: counts %+v, %+v in memory", what, c2, c1)
			}
		}
	}
	// A spill folder that cannot be made: AddSpilled merges in memory, as
	// Add does, and the store fails only once it must spill at its
	// budget, as it would without AddSpilled.
	notDir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notDir, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, budget := range []int64{1 << 40, 1} {
		s := New(features.NewPartial(5*time.Minute, 0), Options{Dir: filepath.Join(notDir, "spill"), Budget: budget, Range: RangeFor(5*time.Minute, windows), Dense: true})
		var err error
		for i := range 8 {
			if err = s.AddSpilled(partialOf(400, 2, 40, uint64(i))); err != nil {
				break
			}
		}
		if budget == 1 {
			if de := (*DirError)(nil); !errors.As(err, &de) || de.Made {
				t.Errorf("no spill folder, budget 1: %v, want the folder's error", err)
			}
			continue
		}
		if err != nil || s.Spilled() {
			t.Fatalf("no spill folder: %v (spilled %v)", err, s.Spilled())
		}
		a, _ := want.Table(windows[1], features.TableOptions{Dims: 1})
		if b, err := s.Table(windows[1], features.TableOptions{Dims: 1}); err != nil || !reflect.DeepEqual(a, b) {
			t.Errorf("no spill folder: %d rows (%v), %d in memory", len(b), err, len(a))
		}
	}
	// A partial of other panes is refused before any of it is written.
	s := New(features.NewPartial(5*time.Minute, 0), Options{Dir: t.TempDir(), Budget: 1 << 40, Range: RangeFor(5*time.Minute, windows)})
	t.Cleanup(func() { s.Close() })
	if err := s.AddSpilled(features.NewPartial(time.Minute, 0)); err == nil || s.Stats().Sections != 0 {
		t.Errorf("a partial of 1-minute panes: %v, %d sections written", err, s.Stats().Sections)
	}
	// AddSpilled writes sections but is no spill over the budget.
	if err := s.AddSpilled(partialOf(400, 2, 40, 1)); err != nil || s.Stats().Spills != 0 || s.Stats().Sections == 0 {
		t.Errorf("AddSpilled: %v, stats %+v: want sections and no spill", err, s.Stats())
	}
	// Without a budget nothing is spilled: AddSpilled is Add.
	s = New(features.NewPartial(5*time.Minute, 0), Options{Dir: t.TempDir(), Range: RangeFor(5*time.Minute, windows)})
	if err := s.AddSpilled(partialOf(400, 2, 40, 1)); err != nil || s.Spilled() || s.Partial().Panes() == 0 {
		t.Errorf("no budget: AddSpilled spilled %v (%v)", s.Spilled(), err)
	}
}

// A spill folder made but not written — a full disk, a quota — fails no
// merge that fits its budget: what AddSpilled could not write stays in
// the partial and is merged in memory, nothing lost nor counted twice;
// past the budget the store fails as a run's would. The spill file is
// swapped for /dev/full, where every write fails with ENOSPC, once the
// store has made it: once before anything is written, once after some
// ranges were.
func TestAddSpilledOnAFullDisk(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full here to fill a disk with")
	}
	want := storeOf(t, t.TempDir(), 0, 8)
	for _, fullAfter := range []int{0, 3} {
		for _, budget := range []int64{1 << 40, 1} {
			s := New(features.NewPartial(5*time.Minute, 0), Options{Dir: t.TempDir(), Budget: budget, Range: RangeFor(5*time.Minute, windows), Dense: true})
			t.Cleanup(func() { s.Close() })
			if err := s.open(); err != nil {
				t.Fatal(err)
			}
			var err error
			for i := range 8 {
				if i == fullAfter {
					full, ferr := os.OpenFile("/dev/full", os.O_RDWR, 0)
					if ferr != nil {
						t.Skip(ferr)
					}
					// Sections already written are read back from the
					// real file; every write from now on fails.
					s.file = &fullFile{File: s.file.(*os.File), full: full}
				}
				if err = s.AddSpilled(partialOf(400, 2, 40, uint64(i))); err != nil {
					break
				}
			}
			what := fmt.Sprintf("full after %d partials, budget %d", fullAfter, budget)
			if budget == 1 {
				if de := (*DirError)(nil); !errors.As(err, &de) || !de.Made || strings.Count(err.Error(), "write ") != 1 {
					t.Errorf("%s: %v, want the spill file's write error, said once", what, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			sameReads(t, what, s, want)
		}
	}
}

// fullFile reads from File and writes to full.
type fullFile struct {
	*os.File
	full *os.File
}

func (f *fullFile) WriteAt(b []byte, _ int64) (int, error) { return f.full.Write(b) }

func (f *fullFile) Close() error { return errors.Join(f.File.Close(), f.full.Close()) }

// sameReads fails t unless got reads as want, every table of every window
// (dense and sparse), events, panes and span.
func sameReads(t *testing.T, what string, got, want *Store) {
	t.Helper()
	for _, w := range windows {
		for _, dense := range []bool{false, true} {
			o := features.TableOptions{Dense: dense, Dims: 1}
			a, _ := want.Table(w, o)
			b, err := got.Table(w, o)
			if err != nil || len(a) == 0 || !reflect.DeepEqual(a, b) {
				t.Errorf("%s, window %v, dense %v: %d rows (%v), %d in memory", what, w, dense, len(b), err, len(a))
			}
		}
		if a, b := want.EventsOn(w, "2025-11-09"), got.EventsOn(w, "2025-11-09"); a != b || a == 0 {
			t.Errorf("%s: events %d, %d in memory", what, b, a)
		}
	}
	if want.Panes() != got.Panes() {
		t.Errorf("%s: %d panes, %d in memory", what, got.Panes(), want.Panes())
	}
	f1, t1, _ := want.Span()
	f2, t2, _ := got.Span()
	if !f1.Equal(f2) || !t1.Equal(t2) {
		t.Errorf("%s: span %v–%v, %v–%v in memory", what, f2, t2, f1, t1)
	}
}
