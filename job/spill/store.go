package spill

import (
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"maps"
	"math"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/logsmith/logsmith/features"
)

// Options shape a Store.
type Options struct {
	// Dir is the folder the spill file is created in (in a folder of its
	// own, made at the first spill and removed by Close); empty is
	// os.TempDir().
	Dir string
	// Budget is the estimated bytes (features.Partial.Footprint) the
	// in-memory aggregate may hold before its panes are spilled; 0 never
	// spills.
	Budget int64
	// Range is the length of the ranges panes are spilled and read back
	// by (see RangeFor); ranges are aligned to the Unix epoch.
	Range time.Duration
	// Dense says the rows will be asked for dense (TableOptions.Dense),
	// which needs every group of the run: the store then keeps the keys
	// of the groups it spills. Rows of a store without it are sparse only.
	Dense bool
}

// Stats say what a Store spilled.
type Stats struct {
	Spills   int    `json:"spills"`   // times the in-memory aggregate went over its budget and was spilled
	Sections int    `json:"sections"` // range sections written, by spills and by AddSpilled
	Bytes    int64  `json:"bytes"`    // bytes written to the spill file
	Budget   int64  `json:"budget_bytes"`
	Dir      string `json:"dir,omitempty"`
}

// section is one range's panes as spilled once: where its encoded partial
// is in the spill file and its checksum.
type section struct {
	off, n int64
	crc    uint32
}

// spillFile is where a store's sections are written and read back: an
// *os.File (a test gives another).
type spillFile interface {
	io.ReaderAt
	io.WriterAt
	Close() error
	Name() string
}

// Store is a run's merged aggregate: an in-memory partial, which holds the
// run's counts and the panes not spilled, and the panes spilled, by range.
// Add and the reads are not safe for concurrent use.
type Store struct {
	opt      Options
	mem      *features.Partial
	held     int64 // mem's footprint (features.Partial.Footprint)
	tmp      string
	file     spillFile
	size     int64
	sections map[int64][]section // by range start
	// groups and panes are the spilled panes' group keys and events by
	// pane start.
	groups  map[string]bool
	panes   map[int64]int64
	stats   Stats
	buf     []byte     // the last section encoded, for the next
	paneBuf [][2]int64 // its panes' events, by start
	noDir   bool       // AddSpilled could not make or write the spill folder
	mu      sync.Mutex // Close against a read in progress
	// The units' partials waiting for those before them (see AddAt).
	order   sync.Mutex
	next    int
	waiting map[int]*features.Partial
	err     error
}

// New returns a store whose in-memory part is mem (empty, as the run's
// partials are made).
func New(mem *features.Partial, o Options) *Store {
	if o.Range <= 0 {
		o.Range = 24 * time.Hour
	}
	return &Store{opt: o, mem: mem, sections: map[int64][]section{}, stats: Stats{Budget: o.Budget}}
}

// Partial returns the in-memory partial: the run's counts and days, and the
// panes not spilled.
func (s *Store) Partial() *features.Partial { return s.mem }

// Stats returns what the store spilled so far.
func (s *Store) Stats() Stats { return s.stats }

// Spilled says whether any pane is spilled.
func (s *Store) Spilled() bool { return len(s.sections) > 0 }

// Sections calls add with the whole aggregate as partials to merge: one
// per range, in time order (read back and merged with the in-memory panes;
// each shares those, to read only), then one holding the counts alone. It
// holds one range at a time.
func (s *Store) Sections(add func(*features.Partial) error) error {
	rl := int64(s.opt.Range)
	ranges := map[int64]bool{}
	for r := range s.sections {
		ranges[r] = true
	}
	for _, k := range s.mem.PaneStarts() {
		ranges[floorTo(k, rl)] = true
	}
	for _, r := range slices.Sorted(maps.Keys(ranges)) {
		p, err := s.load(r)
		if err != nil {
			return err
		}
		if err := add(p); err != nil {
			return err
		}
	}
	counts := s.mem.Slice(0, 0)
	counts.Counts = s.mem.Counts
	return add(counts)
}

// AddAt hands over unit i's partial (nil when the unit counts for nothing)
// and adds every partial now next in unit order: the store holds only the
// partials that finished ahead of an unfinished unit, and adds them in the
// same order whatever order the units complete in. It returns the first
// error of an Add. It is safe for concurrent use.
func (s *Store) AddAt(i int, p *features.Partial) error {
	s.order.Lock()
	defer s.order.Unlock()
	if s.waiting == nil {
		s.waiting = map[int]*features.Partial{}
	}
	s.waiting[i] = p
	for {
		q, ok := s.waiting[s.next]
		if !ok {
			return s.err
		}
		delete(s.waiting, s.next)
		s.next++
		if q != nil && s.err == nil {
			s.err = s.Add(q)
		}
	}
}

// Add merges p into the aggregate (p must not be used afterwards) and
// spills the in-memory panes when they reach the budget.
func (s *Store) Add(p *features.Partial) error {
	grown, err := s.mem.MergeGrown(p)
	if err != nil {
		return err
	}
	// What the merge added, not p's own footprint: partials that share
	// cells (objects that each span the day) hold more between them than
	// their merge, and cells that turn to sketches as they merge, less.
	if s.held += grown; s.opt.Budget <= 0 || s.held < s.opt.Budget {
		return nil
	}
	return s.Spill()
}

// AddSpilled merges p into the aggregate (p must not be used afterwards)
// as Add does, but writes p's panes straight to the spill file, one
// section per range, never into memory: what stays in memory is p's
// counts. A merge of shards adds each shard's sections this way and so
// holds one range of them at a time (in Rows), not the whole aggregate
// up to the budget. A store that never spills (budget 0), or whose spill
// folder cannot be made or written, adds p (what of it was not written)
// as Add does: the folder is then needed only once the budget is
// reached, as without AddSpilled.
func (s *Store) AddSpilled(p *features.Partial) error {
	if s.opt.Budget <= 0 || s.noDir {
		return s.Add(p)
	}
	if err := s.mem.Mergeable(p); err != nil {
		return err // before any of p is written
	}
	// A folder that cannot be made or written (a full disk, a quota):
	// what was not written stays in p, and is merged in memory.
	if err := s.spillFrom(p); err != nil {
		if de := (*DirError)(nil); errors.As(err, &de) {
			s.noDir = true
			return s.Add(p)
		}
		return err
	}
	grown, err := s.mem.MergeGrown(p) // p's panes are spilled: its counts and days
	s.held += grown
	return err
}

// Spill moves every in-memory pane to the spill file, one section per
// range.
func (s *Store) Spill() error {
	if s.mem.Panes() == 0 {
		return nil
	}
	if err := s.spillFrom(s.mem); err != nil {
		return err
	}
	s.stats.Spills++
	s.held = s.mem.Footprint()
	return nil
}

// spillFrom moves every pane of src to the spill file, one section per
// range.
func (s *Store) spillFrom(src *features.Partial) error {
	starts := src.PaneStarts()
	if len(starts) == 0 {
		return nil
	}
	if err := s.open(); err != nil {
		return err
	}
	rl := int64(s.opt.Range)
	if s.panes == nil {
		s.groups, s.panes = map[string]bool{}, map[int64]int64{}
	}
	for i := 0; i < len(starts); {
		r := floorTo(starts[i], rl)
		for i < len(starts) && starts[i] < r+rl {
			i++
		}
		// Written from a view, then taken: a range whose write fails
		// stays in src, whole.
		part := src.Slice(r, r+rl)
		s.paneBuf = s.paneBuf[:0]
		// Map order: the file is read back by this process alone.
		data, err := part.AppendUnordered(s.buf[:0], func(k, n int64) { s.paneBuf = append(s.paneBuf, [2]int64{k, n}) })
		s.buf = data
		if err != nil {
			return fmt.Errorf("spill: encode range %s: %w", time.Unix(0, r).UTC().Format(time.RFC3339), err)
		}
		// At the end of what was written, whatever a failed write left.
		if _, err := s.file.WriteAt(data, s.size); err != nil {
			return &DirError{Dir: s.opt.Dir, Made: true, Err: fileErr("write", s.file.Name(), err)}
		}
		if s.opt.Dense {
			part.Groups(func(g string) { s.groups[g] = true })
		}
		for _, kn := range s.paneBuf {
			s.panes[kn[0]] += kn[1]
		}
		src.Take(r, r+rl)
		s.sections[r] = append(s.sections[r], section{off: s.size, n: int64(len(data)), crc: crc32.Checksum(data, castagnoli)})
		s.size += int64(len(data))
		s.stats.Sections++
		s.stats.Bytes += int64(len(data))
	}
	return nil
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// DirError is a failure of the spill folder: it cannot be written, or is full.
type DirError struct {
	Dir string
	// Made says the store's own folder in Dir was made: a later write or
	// read failed, not Dir itself.
	Made bool
	Err  error
}

func (e *DirError) Error() string { return fmt.Sprintf("spill folder %s: %v", e.Dir, e.Err) }

func (e *DirError) Unwrap() error { return e.Err }

// fileErr says that op on the spill file name failed: err as it is when
// it names the file already (an *fs.PathError), else with the name.
func fileErr(op, name string, err error) error {
	if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
		return err
	}
	return fmt.Errorf("%s %s: %w", op, name, err)
}

// open creates the spill file, in a folder of its own, at the first spill.
func (s *Store) open() error {
	if s.file != nil {
		return nil
	}
	if s.opt.Dir == "" {
		s.opt.Dir = os.TempDir()
	}
	tmp, err := os.MkdirTemp(s.opt.Dir, "logsmith-spill-")
	if err != nil {
		return &DirError{Dir: s.opt.Dir, Err: err}
	}
	f, err := os.Create(tmp + "/aggregate.lspart")
	if err != nil {
		_ = os.RemoveAll(tmp)
		return &DirError{Dir: s.opt.Dir, Err: err}
	}
	s.tmp, s.file, s.stats.Dir = tmp, f, tmp
	return nil
}

// Close removes the spill file and its folder. It may be called more than
// once.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.file == nil {
		return nil
	}
	err := errors.Join(s.file.Close(), os.RemoveAll(s.tmp))
	s.file = nil
	if err != nil {
		return &DirError{Dir: s.opt.Dir, Made: true, Err: err}
	}
	return nil
}

// ErrCorrupt is returned when a spilled section does not read back as it
// was written.
var ErrCorrupt = errors.New("spilled section corrupt")

// load returns range r's spilled panes merged with the in-memory ones,
// shared with the in-memory partial: to read only.
func (s *Store) load(r int64) (*features.Partial, error) {
	rl := int64(s.opt.Range)
	secs := s.sections[r]
	if len(secs) == 0 {
		return s.mem.Slice(r, r+rl), nil
	}
	var p *features.Partial
	for _, sec := range secs {
		q, err := s.read(r, sec)
		if err != nil {
			return nil, err
		}
		if p == nil {
			p = q
		} else if err := p.Merge(q); err != nil {
			return nil, err
		}
	}
	// The in-memory panes last: they are shared, never merged into.
	if err := p.Merge(s.mem.Slice(r, r+rl)); err != nil {
		return nil, err
	}
	return p, nil
}

func (s *Store) read(r int64, sec section) (*features.Partial, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.file == nil {
		return nil, errors.New("spill: read after close")
	}
	buf := make([]byte, sec.n)
	if _, err := s.file.ReadAt(buf, sec.off); err != nil && !(errors.Is(err, io.EOF) && int64(len(buf)) == sec.n) {
		return nil, &DirError{Dir: s.opt.Dir, Made: true, Err: fileErr("read", s.file.Name(), err)}
	}
	when := time.Unix(0, r).UTC().Format(time.RFC3339)
	if crc32.Checksum(buf, castagnoli) != sec.crc {
		return nil, fmt.Errorf("%s, range %s at byte %d: %w", s.file.Name(), when, sec.off, ErrCorrupt)
	}
	p, err := features.UnmarshalPartial(buf)
	if err != nil {
		return nil, fmt.Errorf("%s, range %s at byte %d: %w: %v", s.file.Name(), when, sec.off, ErrCorrupt, err)
	}
	return p, nil
}

// paneEvents returns the events of every pane, spilled or not, by start.
func (s *Store) paneEvents() map[int64]int64 {
	m := maps.Clone(s.panes)
	if m == nil {
		m = map[int64]int64{}
	}
	s.mem.PaneEvents(func(k, n int64) { m[k] += n })
	return m
}

// Panes returns the number of non-empty panes (see Partial.Panes).
func (s *Store) Panes() int {
	if !s.Spilled() {
		return s.mem.Panes()
	}
	return len(s.paneEvents())
}

// Span returns what Partial.Span returns for the whole aggregate.
func (s *Store) Span() (from, to time.Time, ok bool) {
	if !s.Spilled() {
		return s.mem.Span()
	}
	ks := slices.Sorted(maps.Keys(s.paneEvents()))
	if len(ks) == 0 {
		return time.Time{}, time.Time{}, false
	}
	return time.Unix(0, ks[0]).UTC(), time.Unix(0, ks[len(ks)-1]+int64(s.mem.Pane())).UTC(), true
}

// Events returns what Partial.Events returns for the whole aggregate.
func (s *Store) Events(w features.Window, from, to time.Time) int64 {
	if !s.Spilled() {
		return s.mem.Events(w, from, to)
	}
	return features.EventsIn(s.paneEvents(), w, from, to)
}

// EventsOn counts the events in window w's partition of date d (YYYY-MM-DD),
// each once however many windows hold it: a table's count does not depend
// on its windows, so a rerun with other windows compares events.
func (s *Store) EventsOn(w features.Window, d string) int64 {
	day, _ := time.Parse(time.DateOnly, d)
	return s.Events(w, day, day.AddDate(0, 0, 1))
}

// Table returns what Partial.Table returns for the whole aggregate.
func (s *Store) Table(w features.Window, o features.TableOptions) ([]features.Row, error) {
	var rows []features.Row
	err := s.Rows(w, o, func(rs []features.Row) error {
		rows = append(rows, rs...)
		return nil
	})
	return rows, err
}

// Rows calls fn with the rows Partial.Rows would give for the whole
// aggregate, in the same order: with nothing spilled, from the in-memory
// partial; otherwise a range of window starts at a time, from that range's
// panes and those its windows reach into, read back from the spill file
// and merged with the in-memory ones. It holds at most those ranges.
func (s *Store) Rows(w features.Window, o features.TableOptions, fn func([]features.Row) error) error {
	if o.Dense && !s.opt.Dense {
		// Refused spilled or not, so that a store made for the wrong rows
		// fails every time, not only when memory runs short.
		return errors.New("spill: dense rows from a store made for sparse ones (Options.Dense)")
	}
	if !s.Spilled() {
		return s.mem.Rows(w, o, fn)
	}
	rl, size := int64(s.opt.Range), int64(w.Size)
	events := s.paneEvents()
	keys := slices.Sorted(maps.Keys(events))
	var groups *features.Partial // a dense table's groups: the whole run's
	if o.Dense {
		all := maps.Clone(s.groups)
		s.mem.Groups(func(g string) { all[g] = true })
		groups = s.mem.Slice(0, 0).WithGroups(all)
	}
	ranges := s.windowRanges(keys, size, o)
	loaded := map[int64]*features.Partial{}
	for _, r := range ranges {
		// The ranges this one's windows read: up to the end of its last
		// window.
		for q := range loaded {
			if q < r {
				delete(loaded, q)
			}
		}
		view := s.mem.Slice(0, 0)
		if groups != nil {
			_ = view.Merge(groups.Slice(math.MinInt64, math.MinInt64+1)) // one range: cannot fail
		}
		for q := r; q < r+rl+size; q += rl {
			lp, ok := loaded[q]
			if !ok {
				var err error
				if lp, err = s.load(q); err != nil {
					return err
				}
				loaded[q] = lp
			}
			if err := view.Merge(lp.Slice(q, q+rl)); err != nil {
				return err
			}
		}
		ro := o
		ro.From, ro.To = time.Unix(0, r).UTC(), time.Unix(0, r+rl).UTC()
		if !o.From.IsZero() {
			ro.From = maxTime(ro.From, o.From)
			ro.To = minTime(ro.To, o.To)
			if !ro.To.After(ro.From) {
				continue
			}
		}
		if err := view.Rows(w, ro, fn); err != nil {
			return err
		}
	}
	return nil
}

// windowRanges lists, in order, the ranges holding the starts of the
// windows Partial.Rows would emit (a superset: a range may emit none).
func (s *Store) windowRanges(keys []int64, size int64, o features.TableOptions) []int64 {
	rl := int64(s.opt.Range)
	seen := map[int64]bool{}
	add := func(r int64) { seen[r] = true }
	switch {
	case !o.From.IsZero():
		for r := floorTo(o.From.UnixNano(), rl); r < o.To.UnixNano(); r += rl {
			add(r)
		}
	case o.Dense:
		for _, k := range keys {
			d := floorTo(k, dayNs)
			for r := d; r < d+dayNs; r += rl {
				add(r)
			}
		}
	default:
		for _, k := range keys {
			// Windows starting in (k-size, k] hold pane k.
			for r := floorTo(k-size+1, rl); r <= k; r += rl {
				add(r)
			}
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

func floorTo(t, size int64) int64 {
	r := t % size
	if r < 0 {
		r += size
	}
	return t - r
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
