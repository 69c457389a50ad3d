package job_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"crypto/sha256"
	"encoding/hex"

	"github.com/parquet-go/parquet-go"

	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/job"
	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/storage/storagetest"
	"github.com/logsmith/logsmith/table"
)

// fixture is a MinIO bucket with three days of generated logs.
type fixture struct {
	bucket *storage.S3
	s3     settings.S3Settings
	in     string // templated input URL
	out    string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	b, c := storagetest.NewBucket(t)
	f := &fixture{bucket: b, s3: s3Settings(c),
		in:  "s3://" + b.Bucket() + "/logs/{yyyy}/{mm}/{dd}/",
		out: "s3://" + b.Bucket() + "/features"}
	gen := settings.GenerateConfig{Output: "s3://" + b.Bucket() + "/logs", Objects: 2, Lines: 1500, Seed: 3,
		Start: time.Date(2025, 11, 7, 0, 0, 0, 0, time.UTC), Days: 3, BadRatio: 0.005, S3: f.s3, Gzip: true}
	if _, err := job.Generate(context.Background(), gen); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) config(date string) settings.Config {
	cfg := runConfig(f.in, f.out, f.s3)
	cfg.Date = date
	cfg.Format = []string{"parquet", "csv"}
	return cfg
}

func (f *fixture) outLoc(t *testing.T) settings.Location {
	loc, err := settings.ParseLocation(f.out)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// checkPartition verifies a committed partition: its manifest is a final
// commit, every data object it lists is in place with the listed size and
// hash, and the folder holds nothing else. It returns the manifest.
func checkPartition(t *testing.T, b job.Bucket, loc settings.Location, date string) *job.Manifest {
	t.Helper()
	ctx := context.Background()
	m, _, err := readManifest(ctx, b, loc, date)
	if err != nil {
		t.Fatalf("partition %s: %v", date, err)
	}
	if m.State != table.StateCommitted {
		t.Fatalf("partition %s is %s by run %s", date, m.State, m.RunID)
	}
	prefix := loc.Key("date=" + date + "/")
	want := map[string]string{prefix + table.ManifestName: ""}
	for _, f := range m.Files {
		want[prefix+f.Path] = f.SHA256
	}
	err = b.List(ctx, prefix, func(o storage.ObjectInfo) error {
		sum, ok := want[o.Key]
		if !ok {
			return fmt.Errorf("%s holds %s, which its manifest (run %s) does not list", prefix, o.Key, m.RunID)
		}
		delete(want, o.Key)
		if sum == "" {
			return nil
		}
		rc, err := b.Open(ctx, o.Key, 0)
		if err != nil {
			return err
		}
		defer rc.Close()
		h := sha256.New()
		if _, err := io.Copy(h, rc); err != nil {
			return err
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != sum {
			return fmt.Errorf("%s: sha256 %s, manifest of run %s lists %s", o.Key, got, m.RunID, sum)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(want) > 0 {
		t.Fatalf("partition %s: missing %v", date, want)
	}
	return m
}

func TestCommitAndReadThroughManifest(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	sum, err := job.Run(ctx, f.config("2025-11-08"), job.Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Partitions) != 1 || sum.Partitions[0].Status != job.StatusCommitted {
		t.Fatalf("partitions = %+v", sum.Partitions)
	}
	loc := f.outLoc(t)
	keys, m, err := committedFiles(ctx, f.bucket, loc, "2025-11-08", "parquet")
	if err != nil {
		t.Fatal(err)
	}
	if m.RunID != sum.RunID || m.Version != "test" || m.SchemaVersion != features.SchemaVersion || len(m.Inputs) != 2 ||
		m.Lines != 3000 || m.BadLines == 0 || m.ConfigHash == "" || m.Config["LOGSMITH_WINDOW"] != "5m" {
		t.Errorf("manifest = %+v", m)
	}
	for k := range m.Config {
		if strings.Contains(k, "SECRET") || strings.Contains(k, "ACCESS_KEY") {
			t.Errorf("manifest config holds %s", k)
		}
	}
	if len(keys) != 1 {
		t.Fatalf("parquet files = %v", keys)
	}
	// Read only committed data, as a downstream job does.
	rc, err := f.bucket.Open(ctx, keys[0], 0)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(rc)
	rc.Close()
	rows, err := parquet.Read[pqRow](bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != m.Rows || m.Rows != 288 || m.Files[0].Size != int64(len(data)) {
		t.Errorf("%d rows read, manifest says %d (size %d vs %d)", len(rows), m.Rows, m.Files[0].Size, len(data))
	}
	var events int64
	for _, r := range rows {
		if r.WindowStart.Format(time.DateOnly) != "2025-11-08" {
			t.Errorf("row of %v in the 2025-11-08 partition", r.WindowStart)
		}
		events += r.RequestCount
	}
	if events+m.OutOfRange != m.Events {
		t.Errorf("rows hold %d events + %d out of range, manifest counts %d events", events, m.OutOfRange, m.Events)
	}
	if m.OutOfRange == 0 {
		t.Error("expected some late lines of 11-08's objects to fall on 11-07 (out_of_range)")
	}
}

// Re-running the same input and config gives byte-identical data files.
func TestDeterministicOutput(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	var files []map[string][]byte
	for range 2 {
		if _, err := job.Run(ctx, f.config("2025-11-08"), job.Options{}); err != nil {
			t.Fatal(err)
		}
		files = append(files, committed(t, f.bucket, f.out))
	}
	if len(files[0]) != 2 {
		t.Fatalf("files = %d", len(files[0]))
	}
	for k, v := range files[0] {
		if !bytes.Equal(files[1][k], v) {
			t.Errorf("%s differs between two runs", k)
		}
	}
}

// Readers looping over the partition while it is rewritten always see one
// whole commit: a glob reader reading the data object directly, and a
// manifest reader whose object matches the manifest's hash (or, when a
// rerun replaced it meanwhile, whose manifest changed too).
func TestRerunReplacesAtomically(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	if _, err := job.Run(ctx, f.config("2025-11-08"), job.Options{}); err != nil {
		t.Fatal(err)
	}
	loc := f.outLoc(t)
	key := loc.Key("date=2025-11-08/part-00000.csv")
	done := make(chan struct{})
	var reads, runsSeen atomic.Int64
	var readerErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		last := ""
		for {
			select {
			case <-done:
				return
			default:
			}
			_, m, err := committedFiles(ctx, f.bucket, loc, "2025-11-08", "csv")
			if err != nil {
				readerErr = fmt.Errorf("read manifest: %w", err)
				return
			}
			if m.RunID != last {
				runsSeen.Add(1)
				last = m.RunID
			}
			rc, err := f.bucket.Open(ctx, key, 0)
			if err != nil {
				readerErr = fmt.Errorf("open %s: %w", key, err)
				return
			}
			data, _ := io.ReadAll(rc)
			rc.Close()
			// Whatever the manifest says, the object is one whole table
			// of 288 five-minute windows (and, below, one run's bytes).
			if lines := bytes.Count(data, []byte("\n")) - 1; lines != 288 {
				readerErr = fmt.Errorf("%s holds %d rows: not one whole commit", key, lines)
				return
			}
			sum := sha256.Sum256(data)
			if hex.EncodeToString(sum[:]) != m.FilesOf("csv")[0].SHA256 {
				if _, m2, err := committedFiles(ctx, f.bucket, loc, "2025-11-08", "csv"); err == nil && m2.RunID == m.RunID {
					readerErr = fmt.Errorf("%s does not match the manifest of run %s, which is still in force", key, m.RunID)
					return
				}
				continue // replaced between the two reads: read again
			}
			reads.Add(1)
		}
	}()
	for i := range 4 {
		cfg := f.config("2025-11-08")
		if i%2 == 0 {
			// Other bytes for the same table (its shape cannot change),
			// so that a mix would show.
			cfg.LevelMap = "info=warn"
		}
		if _, err := job.Run(ctx, cfg, job.Options{}); err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	wg.Wait()
	if readerErr != nil {
		t.Fatal(readerErr)
	}
	if reads.Load() < 4 || runsSeen.Load() < 2 {
		t.Errorf("reader made %d reads and saw %d runs; the test did not exercise replacement", reads.Load(), runsSeen.Load())
	}
}

// Two runs racing on one date: exactly one commits; the loser exits with
// the lost-race code and its files are gone.
func TestRaceOneWins(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	if _, err := job.Run(ctx, f.config("2025-11-08"), job.Options{}); err != nil {
		t.Fatal(err)
	}
	var arrived sync.WaitGroup
	arrived.Add(2)
	barrier := func(context.Context, string) {
		arrived.Done()
		arrived.Wait() // both have read the old manifest and written their files
	}
	type result struct {
		sum *job.Summary
		err error
	}
	results := make(chan result, 2)
	for i := range 2 {
		go func() {
			cfg := f.config("2025-11-08")
			cfg.RunID = fmt.Sprintf("racer-%d", i)
			sum, err := job.Run(ctx, cfg, job.Options{BeforePublish: barrier})
			results <- result{sum, err}
		}()
	}
	var winners, losers []string
	for range 2 {
		r := <-results
		switch {
		case r.err == nil:
			winners = append(winners, r.sum.RunID)
		case failure.KindOf(r.err) == failure.KindLostRace && failure.ExitCode(r.err) == failure.ExitLostRace:
			losers = append(losers, r.sum.RunID)
		default:
			t.Fatalf("unexpected error: %v", r.err)
		}
	}
	if len(winners) != 1 || len(losers) != 1 {
		t.Fatalf("winners %v, losers %v; want one each", winners, losers)
	}
	// The loser left nothing of its own: the folder holds exactly the
	// winner's commit.
	if m := checkPartition(t, f.bucket, f.outLoc(t), "2025-11-08"); m.RunID != winners[0] {
		t.Fatalf("committed run %s, want winner %s", m.RunID, winners[0])
	}
}

// A run cancelled after writing its files but before publishing leaves the
// previous partition in force and removes its own files.
func TestCancelledRunLeavesOldPartition(t *testing.T) {
	f := newFixture(t)
	first, err := job.Run(context.Background(), f.config("2025-11-08"), job.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cfg := f.config("2025-11-08")
	cfg.RunID = "cancelled"
	_, err = job.Run(ctx, cfg, job.Options{BeforePublish: func(context.Context, string) { cancel() }})
	if !errors.Is(err, context.Canceled) || failure.ExitCode(err) != failure.ExitInterrupted {
		t.Fatalf("err = %v, want cancellation (exit %d)", err, failure.ExitInterrupted)
	}
	if m := checkPartition(t, f.bucket, f.outLoc(t), "2025-11-08"); m.RunID != first.RunID {
		t.Fatalf("committed run after cancel: %s, want %s", m.RunID, first.RunID)
	}
}

// A backfill killed half-way and re-run ends with every date committed
// exactly once: dates done before the kill are skipped, not redone.
func TestBackfillResumes(t *testing.T) {
	f := newFixture(t)
	bcfg := settings.BackfillConfig{Config: f.config(""), To: "2025-11-09", Parallel: 1}
	bcfg.From = "2025-11-07"
	ctx, cancel := context.WithCancel(context.Background())
	var done atomic.Int64
	results, err := job.Backfill(ctx, bcfg, job.Options{}, func(r job.DateResult) {
		if r.Status == job.StatusCommitted && done.Add(1) == 1 {
			cancel() // killed after the first date committed
		}
	})
	if err == nil {
		t.Fatalf("killed backfill returned no error: %+v", results)
	}
	first := map[string]string{}
	for _, r := range results {
		if r.Status == job.StatusCommitted {
			first[r.Date] = r.RunID
		}
	}
	if len(first) != 1 {
		t.Fatalf("first pass committed %v, want exactly one date", first)
	}
	results, err = job.Backfill(context.Background(), bcfg, job.Options{}, nil)
	if err != nil {
		t.Fatalf("re-run: %v", err)
	}
	loc := f.outLoc(t)
	for _, r := range results {
		if id, ok := first[r.Date]; ok {
			if r.Status != job.StatusSkipped || r.RunID != id {
				t.Errorf("%s: %s by %s, want skipped (committed before by %s)", r.Date, r.Status, r.RunID, id)
			}
		} else if r.Status != job.StatusCommitted {
			t.Errorf("%s: %s %s, want committed", r.Date, r.Status, r.Error)
		}
		_, m, err := committedFiles(context.Background(), f.bucket, loc, r.Date, "parquet")
		if err != nil || m.RunID != r.RunID {
			t.Errorf("%s: manifest %v %v, want run %s", r.Date, m, err, r.RunID)
		}
	}
	ms, err := listManifests(context.Background(), f.bucket, loc)
	if err != nil || len(ms) != 3 {
		t.Fatalf("%d manifests (%v), want 3", len(ms), err)
	}
	// --force recomputes.
	bcfg.Force = true
	results, err = job.Backfill(context.Background(), bcfg, job.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if r.Status != job.StatusCommitted {
			t.Errorf("--force: %s %s", r.Date, r.Status)
		}
	}
}

// GC removes, once past the grace period, what no commit lists: run=ID
// folders of the version 1 layout, the data object of a format the commit
// no longer has, partials of runs never merged; never a listed file.
func TestGC(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	loc := f.outLoc(t)
	// A version 1 folder beside the commit, as an older logsmith left it.
	if _, err := f.bucket.Put(ctx, loc.Key("date=2025-11-08/run=old/part-00000.parquet"), strings.NewReader("x"), 1, storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := job.Run(ctx, f.config("2025-11-08"), job.Options{}); err != nil {
		t.Fatal(err)
	}
	cfg := f.config("2025-11-08")
	cfg.Format = []string{"parquet"} // the csv object is no longer listed
	sum, err := job.Run(ctx, cfg, job.Options{})
	if err != nil {
		t.Fatal(err)
	}
	gc := func(at time.Time) *table.GCResult {
		t.Helper()
		res, err := job.GC(ctx, f.bucket, loc, table.GCOptions{Now: at, Grace: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	// The csv object went with the commit that dropped the format.
	if _, err := f.bucket.Stat(ctx, loc.Key("date=2025-11-08/part-00000.csv")); !errors.Is(err, storage.ErrNotExist) {
		t.Errorf("the dropped format's object: %v, want it gone", err)
	}
	if res := gc(time.Now()); len(res.Deleted) != 0 || len(res.Kept) != 1 {
		t.Fatalf("gc within grace: deleted %v, kept %v; want the old run folder kept", res.Deleted, res.Kept)
	}
	res := gc(time.Now().Add(2 * time.Hour))
	if len(res.Deleted) != 1 {
		t.Errorf("after grace deleted %v, want the old run folder", res.Deleted)
	}
	if m := checkPartition(t, f.bucket, loc, "2025-11-08"); m.RunID != sum.RunID {
		t.Errorf("committed %s, want %s", m.RunID, sum.RunID)
	}
}

func TestNoInputFails(t *testing.T) {
	f := newFixture(t)
	_, err := job.Run(context.Background(), f.config("2025-12-25"), job.Options{})
	if err == nil || failure.ExitCode(err) != failure.ExitStorage || !strings.Contains(err.Error(), "no input objects") {
		t.Fatalf("err = %v", err)
	}
	if ms, _ := listManifests(context.Background(), f.bucket, f.outLoc(t)); len(ms) != 0 {
		t.Errorf("committed %d partitions", len(ms))
	}
}
