package job_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/logsmith/logsmith/job"
	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/table"
)

// The race rule and the no-silent-loss cases of the commit protocol, on
// MinIO: whatever the interleaving, every (table, date) partition ends up
// committed by one run, the same run in every table of a date, its files in
// place with the hashes its manifest lists; the run that lost exits 4 at
// once having written no data object and left no claim.

const raceDate = "2025-11-08"

// twoTables are the tables of a run with the window specs {5m, 15m/5m}.
var twoTables = []string{"5m", "15m-every-5m"}

// raceConfig is the fixture's dated config for racing runs, with one table
// or two: the retry deadline is short, so a lost race retried as if it
// were transient shows as a slow loser instead of stalling the test.
func raceConfig(f *fixture, date, runID string, tables []string) settings.Config {
	cfg := f.config(date)
	cfg.RunID = runID
	cfg.ReadRetryDeadline = 20 * time.Second
	if len(tables) > 1 {
		cfg.Window = []string{"5m", "15m/5m"}
	}
	return cfg
}

// maxLoss bounds how long a loser may take from start to exit 4: far less
// than the retry deadline, far more than a run of the fixture takes.
const maxLoss = 10 * time.Second

// raced is how one run of a race ended.
type raced struct {
	id   string
	sum  *job.Summary
	err  error
	took time.Duration
}

func (r raced) String() string { return fmt.Sprintf("%s (%v)", r.id, r.err) }

// raceAll starts fn(0) … fn(n-1) at the same moment and returns how each
// ended, in order; ids names the runs.
func raceAll(n int, fn func(i int) (*job.Summary, error), ids func(i int) string) []raced {
	out := make([]raced, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			t0 := time.Now()
			sum, err := fn(i)
			out[i] = raced{id: ids(i), sum: sum, err: err, took: time.Since(t0)}
		}()
	}
	close(start)
	wg.Wait()
	return out
}

// lineUp holds the first BeforePublish call of each of n runs until all n
// have made it, so that they claim at the same moment. Later calls pass at
// once: a run that lost its first claim never makes them, and one that won
// must not wait for it. A run that does not arrive within timeout lets the
// others go (counted in late) rather than deadlock the test.
type lineUp struct {
	n       int
	timeout time.Duration
	mu      sync.Mutex
	arrived int
	all     chan struct{}
	late    atomic.Int32
}

func newLineUp(n int, timeout time.Duration) *lineUp {
	return &lineUp{n: n, timeout: timeout, all: make(chan struct{})}
}

// hook returns one run's BeforePublish.
func (l *lineUp) hook() func(context.Context, string) {
	var once sync.Once
	return func(ctx context.Context, _ string) {
		once.Do(func() {
			l.mu.Lock()
			if l.arrived++; l.arrived == l.n {
				close(l.all)
			}
			l.mu.Unlock()
			t := time.NewTimer(l.timeout)
			defer t.Stop()
			select {
			case <-l.all:
			case <-t.C:
				l.late.Add(1)
			case <-ctx.Done():
			}
		})
	}
}

// verdict sorts a race's runs into winners (no error) and losers (exit 4,
// fast); any other outcome fails the test.
func verdict(t *testing.T, what string, rs []raced) (winners, losers []raced) {
	t.Helper()
	for _, r := range rs {
		switch {
		case r.err == nil:
			winners = append(winners, r)
		case failure.KindOf(r.err) == failure.KindLostRace && failure.ExitCode(r.err) == failure.ExitLostRace && errors.Is(r.err, table.ErrLostRace):
			if r.took > maxLoss {
				t.Fatalf("%s: run %s took %v to lose: a lost race must not be retried", what, r.id, r.took.Round(time.Millisecond))
			}
			losers = append(losers, r)
		default:
			t.Fatalf("%s: run %s: %v (exit %d), want success or a lost race (exit %d)", what, r.id, r.err, failure.ExitCode(r.err), failure.ExitLostRace)
		}
	}
	if len(winners) == 0 {
		t.Fatalf("%s: every run lost: %v", what, rs)
	}
	return winners, losers
}

// tableLoc returns the location of a table of the output out: out itself
// when the run has one window spec, else its window=W folder.
func tableLoc(t *testing.T, out string, tables []string, name string) settings.Location {
	t.Helper()
	if len(tables) > 1 {
		return mustLoc(t, out+"/window="+name)
	}
	return mustLoc(t, out)
}

// owner checks the partition of date in every table (checkPartition: a
// final commit, its files in place with their hashes, nothing else in the
// folder) and returns its manifest in each, failing unless one run
// committed all of them.
func owner(t *testing.T, b job.Bucket, out string, tables []string, date string) []*job.Manifest {
	t.Helper()
	var ms []*job.Manifest
	for _, name := range tables {
		m := checkPartition(t, b, tableLoc(t, out, tables, name), date)
		if len(ms) > 0 && m.RunID != ms[0].RunID {
			t.Fatalf("date %s: table %s committed by run %s, table %s by run %s; want one owner", date, tables[0], ms[0].RunID, name, m.RunID)
		}
		ms = append(ms, m)
	}
	return ms
}

// settled checks the end of a race on dates: every table's partition of
// every date is committed by one and the same run, which is a winner; when
// both runs succeeded they cannot have overlapped, so the owner superseded
// the other. It returns the owner.
func settled(t *testing.T, what string, b job.Bucket, out string, tables, dates []string, winners []raced) string {
	t.Helper()
	var id string
	for _, d := range dates {
		ms := owner(t, b, out, tables, d)
		if id == "" {
			id = ms[0].RunID
		} else if ms[0].RunID != id {
			t.Fatalf("%s: date %s committed by run %s, an earlier date by %s; want one owner", what, d, ms[0].RunID, id)
		}
		for _, w := range winners {
			for _, m := range ms {
				if w.id != id && m.Supersedes != w.id {
					t.Fatalf("%s: runs %v both succeeded, but table %s of %s (run %s) supersedes %q, not %s",
						what, winners, m.Window, d, id, m.Supersedes, w.id)
				}
			}
		}
	}
	if !slices.ContainsFunc(winners, func(w raced) bool { return w.id == id }) {
		t.Fatalf("%s: the partitions are committed by %s, which did not win (winners %v)", what, id, winners)
	}
	return id
}

// onlyPartitions fails unless every object under out belongs to one of the
// given tables' partitions of dates, or to a folder in allowed (such as
// _rejects/: a failed run keeps its samples of bad lines too).
func onlyPartitions(t *testing.T, b job.Bucket, out string, tables, dates []string, allowed ...string) {
	t.Helper()
	root := mustLoc(t, out)
	var folders []string
	for _, name := range tables {
		for _, d := range dates {
			folders = append(folders, tableLoc(t, out, tables, name).Key("date="+d+"/"))
		}
	}
	for _, a := range allowed {
		folders = append(folders, root.Key(a))
	}
	folders = append(folders, root.Key(table.ShapeName)) // the output's head
	err := b.List(context.Background(), root.Key(""), func(o storage.ObjectInfo) error {
		if !slices.ContainsFunc(folders, func(f string) bool { return strings.HasPrefix(o.Key, f) }) {
			return fmt.Errorf("the output holds %s, outside every committed partition", o.Key)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Two runs of one date, each writing two tables, race again and again:
// lined up to claim at the same moment, and left free. One wins and one
// exits 4 (or, when they did not overlap, the later supersedes the
// earlier); both tables are the winner's, whole, and the loser wrote
// nothing: the racers count warnings differently, so a data object the loser wrote
// after the winner's would not match the winner's manifest.
func TestRaceTwoWindowsLoop(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	const lined, free = 20, 10
	var sequential int
	for it := range lined + free {
		what := fmt.Sprintf("iteration %d", it)
		ids := func(i int) string { return fmt.Sprintf("it%02d-racer%d", it, i) }
		l := newLineUp(2, 10*time.Second)
		rs := raceAll(2, func(i int) (*job.Summary, error) {
			cfg := raceConfig(f, raceDate, ids(i), twoTables)
			if i == 1 {
				// Rows that differ from the other racer's (INFO counted
				// as a warning), of the same events and the same shape:
				// the output's head admits no other group-by (issue 24
				// item 3).
				cfg.LevelMap = "info=warn"
			}
			opts := job.Options{}
			if it < lined {
				opts.BeforePublish = l.hook()
			}
			return job.Run(ctx, cfg, opts)
		}, ids)
		winners, losers := verdict(t, what, rs)
		if it < lined && (len(winners) != 1 || len(losers) != 1 || l.late.Load() > 0) {
			t.Fatalf("%s: lined up (%d late): winners %v, losers %v; want one each", what, l.late.Load(), winners, losers)
		}
		if len(winners) == 2 {
			sequential++
		}
		settled(t, what, f.bucket, f.out, twoTables, []string{raceDate}, winners)
		onlyPartitions(t, f.bucket, f.out, twoTables, []string{raceDate}, "_rejects/")
	}
	t.Logf("%d lined-up and %d free races; %d free ones ran in sequence", lined, free, sequential)
}

// GC collecting the output in a loop while runs commit: every commit's
// files stay in place with their hashes. Each run drops or adds the CSV
// format, and an unlisted folder of the version 1 layout is planted before
// each, so GC always has something of the partition to delete; its deletes
// are slowed down, widening the window between its checks and its deletes.
func TestRunRacingGCLoop(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	loc := f.outLoc(t)
	stop := make(chan struct{})
	gcErr := make(chan error, 1)
	var collections, deleted atomic.Int64
	go func() {
		defer close(gcErr)
		slow := slowDeletes{f.bucket, 20 * time.Millisecond}
		for {
			select {
			case <-stop:
				return
			default:
			}
			res, err := job.GC(ctx, slow, loc, table.GCOptions{Now: time.Now().Add(24 * time.Hour), Grace: 0})
			if err != nil {
				gcErr <- err
				return
			}
			collections.Add(1)
			deleted.Add(int64(len(res.Deleted)))
		}
	}()
	var stopOnce sync.Once
	defer func() {
		stopOnce.Do(func() { close(stop) })
		for range gcErr { // the collector is done with the bucket
		}
	}()
	const runs = 30
	var lost int
	for i := range runs {
		put(t, f.bucket, loc.Key(fmt.Sprintf("date=%s/run=old-%d/part-00000.parquet", raceDate, i)), []byte("v1"))
		cfg := raceConfig(f, raceDate, fmt.Sprintf("run-%02d", i), nil)
		if i%2 == 1 {
			cfg.Format = []string{"parquet"}
		}
		_, err := job.Run(ctx, cfg, job.Options{})
		switch {
		case err == nil:
		case failure.KindOf(err) == failure.KindLostRace:
			lost++ // it committed nothing: its files are not the question
		default:
			t.Fatalf("run %d: %v", i, err)
		}
		m, _, err := readManifest(ctx, f.bucket, loc, raceDate)
		if err != nil {
			t.Fatal(err)
		}
		if c := m.Committed(); c != nil {
			checkFiles(t, f.bucket, loc, raceDate, c)
		}
	}
	stopOnce.Do(func() { close(stop) })
	if err := <-gcErr; err != nil {
		t.Fatalf("gc: %v", err)
	}
	if deleted.Load() < runs/2 {
		t.Errorf("%d collections deleted %d objects: GC did not race the commits", collections.Load(), deleted.Load())
	}
	// Once GC has run alone, the partition is exactly its last commit.
	if _, err := job.GC(ctx, f.bucket, loc, table.GCOptions{Now: time.Now().Add(24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	checkPartition(t, f.bucket, loc, raceDate)
	onlyPartitions(t, f.bucket, f.out, []string{""}, []string{raceDate}, "_rejects/")
	t.Logf("%d runs (%d lost), %d collections deleted %d objects", runs, lost, collections.Load(), deleted.Load())
}

// slowDeletes delays every delete, as a slow store would.
type slowDeletes struct {
	job.Bucket
	delay time.Duration
}

func (s slowDeletes) Delete(ctx context.Context, key string) error {
	time.Sleep(s.delay)
	return s.Bucket.Delete(ctx, key)
}

// checkFiles checks that every file m lists is in place with its hash.
func checkFiles(t *testing.T, b job.Bucket, loc settings.Location, date string, m *job.Manifest) {
	t.Helper()
	ctx := context.Background()
	for _, fl := range m.Files {
		key := loc.Key("date=" + date + "/" + fl.Path)
		rc, err := b.Open(ctx, key, 0)
		if err != nil {
			t.Fatalf("the manifest of run %s lists %s: %v", m.RunID, key, err)
		}
		sum, err := sha256Of(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if sum != fl.SHA256 {
			t.Fatalf("%s: sha256 %s, the manifest of run %s lists %s", key, sum, m.RunID, fl.SHA256)
		}
	}
}

func sha256Of(r io.Reader) (string, error) {
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// A run that started before another committed loses, with one table and
// with two: run A is held after reading its heads (before computing), or
// just before its first claim, while run B, started later, commits;
// released, A exits 4 and B's commit stands in every table. A run started
// afterwards supersedes B.
func TestEarlierStartedRunLoses(t *testing.T) {
	for _, tables := range [][]string{{""}, twoTables} {
		for _, at := range []string{"after reading heads", "before claiming"} {
			t.Run(fmt.Sprintf("%d tables, held %s", len(tables), at), func(t *testing.T) {
				ctx := context.Background()
				f := newFixture(t)
				if _, err := job.Run(ctx, raceConfig(f, raceDate, "first", tables), job.Options{}); err != nil {
					t.Fatal(err)
				}
				held, release := make(chan struct{}), make(chan struct{})
				var once sync.Once
				hold := func() {
					once.Do(func() {
						close(held)
						select {
						case <-release:
						case <-time.After(30 * time.Second):
						}
					})
				}
				opts := job.Options{Progress: holdProgress{hold}}
				if at == "before claiming" {
					opts = job.Options{BeforePublish: func(context.Context, string) { hold() }}
				}
				a := make(chan error, 1)
				go func() {
					_, err := job.Run(ctx, raceConfig(f, raceDate, "early", tables), opts)
					a <- err
				}()
				<-held
				if _, err := job.Run(ctx, raceConfig(f, raceDate, "late", tables), job.Options{}); err != nil {
					close(release)
					t.Fatalf("the later run: %v", err)
				}
				t0 := time.Now()
				close(release)
				err := <-a
				if took := time.Since(t0); took > maxLoss {
					t.Errorf("the earlier run took %v to lose", took)
				}
				if failure.ExitCode(err) != failure.ExitLostRace || !errors.Is(err, table.ErrLostRace) || !strings.Contains(err.Error(), "run late") {
					t.Fatalf("the earlier run: %v (exit %d), want a race lost to run late (exit %d)", err, failure.ExitCode(err), failure.ExitLostRace)
				}
				for _, m := range owner(t, f.bucket, f.out, tables, raceDate) {
					if m.RunID != "late" || m.Supersedes != "first" {
						t.Errorf("%s: committed by %s superseding %s; want late superseding first", m.Window, m.RunID, m.Supersedes)
					}
				}
				onlyPartitions(t, f.bucket, f.out, tables, []string{raceDate}, "_rejects/")

				// A run that starts after a commit supersedes it.
				if _, err := job.Run(ctx, raceConfig(f, raceDate, "rerun", tables), job.Options{}); err != nil {
					t.Fatalf("rerun: %v", err)
				}
				for _, m := range owner(t, f.bucket, f.out, tables, raceDate) {
					if m.RunID != "rerun" || m.Supersedes != "late" {
						t.Errorf("%s: committed by %s superseding %s; want rerun superseding late", m.Window, m.RunID, m.Supersedes)
					}
				}
			})
		}
	}
}

// holdProgress calls hold when the run has listed its input, which is
// after it read its heads and before it reads any input.
type holdProgress struct{ hold func() }

func (p holdProgress) Listed(int, int64) { p.hold() }
func (holdProgress) Read(int64)          {}
func (holdProgress) ObjectDone()         {}
func (holdProgress) Phase(string)        {}
func (holdProgress) Retrying(int, error) {}

// A run that starts while another holds a claim on its first table waits
// for that claim, and loses once the other publishes: the other started
// first and commits both tables.
func TestRunStartedDuringAClaimLoses(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	if _, err := job.Run(ctx, raceConfig(f, raceDate, "first", twoTables), job.Options{}); err != nil {
		t.Fatal(err)
	}
	held, release := make(chan struct{}), make(chan struct{})
	var calls atomic.Int32
	hold := func(context.Context, string) {
		if calls.Add(1) == 2 { // the first table is claimed
			close(held)
			select {
			case <-release:
			case <-time.After(30 * time.Second):
			}
		}
	}
	a := make(chan error, 1)
	go func() {
		_, err := job.Run(ctx, raceConfig(f, raceDate, "claimer", twoTables), job.Options{BeforePublish: hold})
		a <- err
	}()
	<-held
	claiming := make(chan struct{})
	var once sync.Once
	b := make(chan error, 1)
	go func() {
		_, err := job.Run(ctx, raceConfig(f, raceDate, "waiter", twoTables), job.Options{BeforePublish: func(context.Context, string) {
			once.Do(func() { close(claiming) })
		}})
		b <- err
	}()
	select {
	case <-claiming:
	case err := <-b:
		close(release)
		t.Fatalf("the run started during the claim ended before claiming: %v", err)
	}
	time.Sleep(200 * time.Millisecond) // it now polls the claim
	close(release)
	if err := <-a; err != nil {
		t.Fatalf("the claiming run: %v", err)
	}
	if err := <-b; failure.ExitCode(err) != failure.ExitLostRace || !strings.Contains(err.Error(), "run claimer") {
		t.Fatalf("the run started during the claim: %v (exit %d), want a race lost to claimer (exit %d)", err, failure.ExitCode(err), failure.ExitLostRace)
	}
	for _, m := range owner(t, f.bucket, f.out, twoTables, raceDate) {
		if m.RunID != "claimer" || m.Supersedes != "first" {
			t.Errorf("%s: committed by %s superseding %s, want claimer superseding first", m.Window, m.RunID, m.Supersedes)
		}
	}
	onlyPartitions(t, f.bucket, f.out, twoTables, []string{raceDate}, "_rejects/")
}

// A loser that had claimed some partitions before a claim failed puts each
// back as it was: run B (tables 1h and 5m) claims 1h, then finds 5m
// committed by run A (tables 15m-every-5m and 5m), which started with it;
// B exits 4 and the 1h partition is the byte-identical commit it was.
func TestLoserReleasesItsClaims(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	all := []string{"5m", "15m-every-5m", "1h"}
	seed := raceConfig(f, raceDate, "first", all)
	seed.Window = []string{"5m", "15m/5m", "1h"}
	if _, err := job.Run(ctx, seed, job.Options{}); err != nil {
		t.Fatal(err)
	}
	hourly := tableLoc(t, f.out, all, "1h")
	before := readAll(t, f.bucket, hourly.Key("date="+raceDate+"/"))
	bClaimed, aDone := make(chan struct{}), make(chan struct{})
	wait := func(c chan struct{}) {
		select {
		case <-c:
		case <-time.After(30 * time.Second):
		}
	}
	var aOnce sync.Once
	var bCalls atomic.Int32
	rs := raceAll(2, func(i int) (*job.Summary, error) {
		if i == 0 {
			defer close(aDone)
			cfg := raceConfig(f, raceDate, "A", twoTables)
			return job.Run(ctx, cfg, job.Options{BeforePublish: func(context.Context, string) {
				aOnce.Do(func() { wait(bClaimed) }) // B holds its 1h claim
			}})
		}
		cfg := raceConfig(f, raceDate, "B", nil)
		cfg.Window = []string{"5m", "1h"}
		return job.Run(ctx, cfg, job.Options{BeforePublish: func(context.Context, string) {
			if bCalls.Add(1) == 2 { // 1h is claimed; 5m is next
				close(bClaimed)
				wait(aDone)
			}
		}})
	}, func(i int) string { return []string{"A", "B"}[i] })
	winners, losers := verdict(t, "A and B", rs)
	if len(winners) != 1 || winners[0].id != "A" || len(losers) != 1 {
		t.Fatalf("winners %v, losers %v; want A to win", winners, losers)
	}
	for _, m := range owner(t, f.bucket, f.out, twoTables, raceDate) {
		if m.RunID != "A" {
			t.Errorf("%s: committed by %s, want A", m.Window, m.RunID)
		}
	}
	if m := checkPartition(t, f.bucket, hourly, raceDate); m.RunID != "first" {
		t.Errorf("1h: committed by %s, want first", m.RunID)
	}
	after := readAll(t, f.bucket, hourly.Key("date="+raceDate+"/"))
	for k, v := range before {
		if string(after[k]) != string(v) {
			t.Errorf("%s changed: the loser did not put its claim back byte for byte", k)
		}
	}
	onlyPartitions(t, f.bucket, f.out, all, []string{raceDate}, "_rejects/")
}

// Two undated runs over the same folder commit every date of the input in
// both tables, again and again: one run owns every date, and the loser
// left nothing.
func TestUndatedRunsRace(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	in := "s3://" + f.bucket.Bucket() + "/logs/"
	const lined, free = 4, 4
	var dates []string
	for it := range lined + free {
		what := fmt.Sprintf("iteration %d", it)
		ids := func(i int) string { return fmt.Sprintf("it%02d-undated%d", it, i) }
		l := newLineUp(2, 20*time.Second)
		rs := raceAll(2, func(i int) (*job.Summary, error) {
			cfg := raceConfig(f, "", ids(i), twoTables)
			cfg.Input = in
			if i == 1 {
				// Rows that differ from the other racer's (INFO counted
				// as a warning), of the same events and the same shape:
				// the output's head admits no other group-by (issue 24
				// item 3).
				cfg.LevelMap = "info=warn"
			}
			opts := job.Options{}
			if it < lined {
				opts.BeforePublish = l.hook()
			}
			return job.Run(ctx, cfg, opts)
		}, ids)
		winners, losers := verdict(t, what, rs)
		if it < lined && (len(winners) != 1 || len(losers) != 1 || l.late.Load() > 0) {
			t.Fatalf("%s: lined up (%d late): winners %v, losers %v; want one each", what, l.late.Load(), winners, losers)
		}
		got, err := tableAt(f.bucket, tableLoc(t, f.out, twoTables, "5m")).Dates(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if dates == nil {
			dates = got
			if len(dates) < 3 {
				t.Fatalf("undated runs committed dates %v, want at least the 3 generated", dates)
			}
		} else if !slices.Equal(got, dates) {
			t.Fatalf("%s: dates %v, before %v", what, got, dates)
		}
		settled(t, what, f.bucket, f.out, twoTables, dates, winners)
		onlyPartitions(t, f.bucket, f.out, twoTables, dates, "_rejects/")
	}

	// An undated run that started before a dated run committed one of its
	// dates loses every date.
	prev := owner(t, f.bucket, f.out, twoTables, dates[0])[0].RunID
	held, release := make(chan struct{}), make(chan struct{})
	a := make(chan error, 1)
	go func() {
		cfg := raceConfig(f, "", "undated-early", twoTables)
		cfg.Input = in
		_, err := job.Run(ctx, cfg, job.Options{Progress: holdProgress{func() {
			close(held)
			<-release
		}}})
		a <- err
	}()
	<-held
	// The dated run reads one day's objects: fewer events than the
	// undated runs, which also read the stray lines of the days beside it.
	dated := raceConfig(f, raceDate, "dated-late", twoTables)
	dated.AllowFewer = true
	_, err := job.Run(ctx, dated, job.Options{})
	close(release)
	if err != nil {
		t.Fatalf("the dated run: %v", err)
	}
	if err := <-a; failure.ExitCode(err) != failure.ExitLostRace || !strings.Contains(err.Error(), "run dated-late") {
		t.Fatalf("the undated run: %v (exit %d), want a race lost to dated-late (exit %d)", err, failure.ExitCode(err), failure.ExitLostRace)
	}
	for _, d := range dates {
		want := prev
		if d == raceDate {
			want = "dated-late"
		}
		for _, m := range owner(t, f.bucket, f.out, twoTables, d) {
			if m.RunID != want {
				t.Errorf("%s of %s: committed by %s, want %s", m.Window, d, m.RunID, want)
			}
		}
	}
	onlyPartitions(t, f.bucket, f.out, twoTables, dates, "_rejects/")
}

// mapPods runs the n map pods of a sharded run; before, when set, runs
// just before each pod.
func mapPods(t *testing.T, f *fixture, runID string, tables []string, n int, before func(i int)) {
	t.Helper()
	for i := range n {
		if before != nil {
			before(i)
		}
		cfg := raceConfig(f, raceDate, runID, tables)
		cfg.Shard = fmt.Sprintf("%d/%d", i, n)
		if _, err := job.Run(context.Background(), cfg, job.Options{}); err != nil {
			t.Fatalf("shard %d/%d of %s: %v", i, n, runID, err)
		}
	}
}

// Merge follows the race rule with the heads its map pods read: a sharded
// run whose pods started after a commit supersedes it; a commit after the
// pods ran makes the merge lose; so do pods that saw different heads.
func TestMergeRaces(t *testing.T) {
	ctx := context.Background()
	merge := func(f *fixture, runID string, tables []string) error {
		_, err := job.Merge(ctx, raceConfig(f, raceDate, runID, tables), job.Options{})
		return err
	}
	for _, tables := range [][]string{{""}, twoTables} {
		t.Run(fmt.Sprintf("later sharded run supersedes, %d tables", len(tables)), func(t *testing.T) {
			f := newFixture(t)
			if _, err := job.Run(ctx, raceConfig(f, raceDate, "single", tables), job.Options{}); err != nil {
				t.Fatal(err)
			}
			mapPods(t, f, "sharded", tables, 3, nil)
			if err := merge(f, "sharded", tables); err != nil {
				t.Fatalf("merge: %v", err)
			}
			for _, m := range owner(t, f.bucket, f.out, tables, raceDate) {
				if m.RunID != "sharded" || m.Supersedes != "single" {
					t.Errorf("%s: committed by %s superseding %s; want sharded superseding single", m.Window, m.RunID, m.Supersedes)
				}
			}
			onlyPartitions(t, f.bucket, f.out, tables, []string{raceDate}, "_rejects/")
		})
	}
	t.Run("commit between the pods and the merge", func(t *testing.T) {
		f := newFixture(t)
		if _, err := job.Run(ctx, raceConfig(f, raceDate, "single", twoTables), job.Options{}); err != nil {
			t.Fatal(err)
		}
		mapPods(t, f, "sharded", twoTables, 2, nil)
		if _, err := job.Run(ctx, raceConfig(f, raceDate, "between", twoTables), job.Options{}); err != nil {
			t.Fatal(err)
		}
		if err := merge(f, "sharded", twoTables); failure.ExitCode(err) != failure.ExitLostRace || !errors.Is(err, table.ErrLostRace) {
			t.Fatalf("merge: %v (exit %d), want a lost race (exit %d)", err, failure.ExitCode(err), failure.ExitLostRace)
		}
		for _, m := range owner(t, f.bucket, f.out, twoTables, raceDate) {
			if m.RunID != "between" || m.Supersedes != "single" {
				t.Errorf("%s: committed by %s superseding %s, want between superseding single", m.Window, m.RunID, m.Supersedes)
			}
		}
		// The partials stay for GC (or a look); nothing else does.
		onlyPartitions(t, f.bucket, f.out, twoTables, []string{raceDate}, "_rejects/", "_partials/")
	})
	t.Run("pods that saw different heads", func(t *testing.T) {
		f := newFixture(t)
		mapPods(t, f, "sharded", twoTables, 3, func(i int) {
			if i == 2 {
				if _, err := job.Run(ctx, raceConfig(f, raceDate, "between", twoTables), job.Options{}); err != nil {
					t.Fatal(err)
				}
			}
		})
		err := merge(f, "sharded", twoTables)
		if failure.ExitCode(err) != failure.ExitLostRace || !errors.Is(err, table.ErrLostRace) || !strings.Contains(err.Error(), "another head") {
			t.Fatalf("merge: %v (exit %d), want a lost race over the pods' heads (exit %d)", err, failure.ExitCode(err), failure.ExitLostRace)
		}
		for _, m := range owner(t, f.bucket, f.out, twoTables, raceDate) {
			if m.RunID != "between" || m.Supersedes != "" {
				t.Errorf("%s: committed by %s superseding %q, want between superseding nothing", m.Window, m.RunID, m.Supersedes)
			}
		}
		onlyPartitions(t, f.bucket, f.out, twoTables, []string{raceDate}, "_rejects/", "_partials/")
	})
}

// Two backfills of the same dates with --force at once, round after round:
// every date ends committed by one run in both tables, whole; the date's
// other run lost (exit 4), or ran before it and was superseded.
func TestConcurrentBackfills(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	dates := []string{"2025-11-07", "2025-11-08", "2025-11-09"}
	const rounds = 4
	for round := range rounds {
		what := fmt.Sprintf("round %d", round)
		var results [2][]job.DateResult
		var errs [2]error
		raceAll(2, func(i int) (*job.Summary, error) {
			cfg := settings.BackfillConfig{Config: raceConfig(f, "", "", twoTables), To: dates[len(dates)-1], Parallel: len(dates), Force: true}
			cfg.From = dates[0]
			if i == 1 {
				// Rows that differ from the other racer's (INFO counted
				// as a warning), of the same events and the same shape:
				// the output's head admits no other group-by (issue 24
				// item 3).
				cfg.LevelMap = "info=warn"
			}
			results[i], errs[i] = job.Backfill(ctx, cfg, job.Options{}, nil)
			return nil, nil
		}, func(int) string { return "" })
		for di, d := range dates {
			var winners []raced
			for i := range 2 {
				if len(results[i]) != len(dates) {
					t.Fatalf("%s: backfill %d: %v, results %+v", what, i, errs[i], results[i])
				}
				r := results[i][di]
				switch {
				case r.Date != d || r.Summary == nil:
					t.Fatalf("%s: backfill %d: result %+v for %s", what, i, r, d)
				case r.Status == job.StatusCommitted:
					winners = append(winners, raced{id: r.RunID, sum: r.Summary})
				case r.Status == "failed" && strings.Contains(r.Error, table.ErrLostRace.Error()):
					// A DateResult keeps its error as text; the backfill's
					// error is classified like its first failure.
					if failure.ExitCode(errs[i]) != failure.ExitLostRace {
						t.Fatalf("%s: backfill %d lost %s, yet returned %v (exit %d)", what, i, d, errs[i], failure.ExitCode(errs[i]))
					}
				default:
					t.Fatalf("%s: backfill %d: %s %s: %s", what, i, d, r.Status, r.Error)
				}
			}
			if len(winners) == 0 {
				t.Fatalf("%s: both backfills lost %s", what, d)
			}
			settled(t, what+" "+d, f.bucket, f.out, twoTables, []string{d}, winners)
		}
		onlyPartitions(t, f.bucket, f.out, twoTables, dates, "_rejects/")
	}
}
