package table_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/storage/storagetest"
	"github.com/logsmith/logsmith/table"
)

// Compile-time checks: both backends are table buckets with folder listing.
var (
	_ table.Bucket = (*storage.S3)(nil)
	_ table.Bucket = (*storage.Local)(nil)
)

// backends runs fn against a fresh local folder always, and a fresh MinIO
// bucket when LOGSMITH_TEST_S3 is set (CI sets it; outside CI it skips).
func backends(t *testing.T, fn func(t *testing.T, b table.Bucket)) {
	t.Run("local", func(t *testing.T) {
		l, err := storage.NewLocal(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		fn(t, l)
	})
	t.Run("s3", func(t *testing.T) {
		storagetest.S3Config(t)
		s, _ := storagetest.NewBucket(t)
		fn(t, s)
	})
}

// part builds a partition of t for date with one blob per format.
func part(t table.Table, date string, head table.Head, rows int, formats ...string) *table.Partition {
	m := &table.Manifest{SchemaVersion: "2.0", Window: t.Window, Date: date, Rows: rows, PartitionEvents: int64(rows)}
	p := &table.Partition{Table: t, Date: date, Head: head, Manifest: m}
	for _, f := range formats {
		p.Blobs = append(p.Blobs, table.Blob{Format: f, Data: []byte(fmt.Sprintf("%s rows=%d of %s\n", f, rows, date))})
	}
	return p
}

func head(t *testing.T, tb table.Table, date string) table.Head {
	t.Helper()
	h, err := tb.ReadHead(context.Background(), date)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// keys lists every key under prefix.
func keys(t *testing.T, b table.Bucket, prefix string) []string {
	t.Helper()
	var ks []string
	if err := b.List(context.Background(), prefix, func(o storage.ObjectInfo) error { ks = append(ks, o.Key); return nil }); err != nil {
		t.Fatal(err)
	}
	return ks
}

func read(t *testing.T, b table.Bucket, key string) string {
	t.Helper()
	rc, err := b.Open(context.Background(), key, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	data, _ := io.ReadAll(rc)
	return string(data)
}

func TestCommitReplacesInPlace(t *testing.T) {
	backends(t, func(t *testing.T, b table.Bucket) {
		ctx := context.Background()
		out := table.NewOutput(b, "out")
		tb := out.Table("5m", true)
		c := table.Committer{RunID: "A"}
		res, err := c.Commit(ctx, []*table.Partition{part(tb, "2025-11-08", head(t, tb, "2025-11-08"), 3, "parquet", "csv")})
		if err != nil || res[0].Status != table.StatusCommitted {
			t.Fatalf("commit: %v %+v", err, res)
		}
		c.RunID = "B"
		if _, err := c.Commit(ctx, []*table.Partition{part(tb, "2025-11-08", head(t, tb, "2025-11-08"), 5, "parquet", "csv")}); err != nil {
			t.Fatal(err)
		}
		want := []string{"out/window=5m/date=2025-11-08/_manifest.json", "out/window=5m/date=2025-11-08/part-00000.csv", "out/window=5m/date=2025-11-08/part-00000.parquet"}
		if got := keys(t, b, "out/"); !slices.Equal(got, want) {
			t.Fatalf("keys = %v, want %v", got, want)
		}
		m := head(t, tb, "2025-11-08").Manifest
		if m.RunID != "B" || m.State != table.StateCommitted || m.Supersedes != "A" || m.Previous != nil || len(m.Files) != 2 || m.Files[0].ETag == "" {
			t.Errorf("manifest = %+v", m)
		}
		if got := read(t, b, tb.DataKey("2025-11-08", "csv")); got != "csv rows=5 of 2025-11-08\n" {
			t.Errorf("csv = %q", got)
		}
		files, err := tb.Files(ctx, "", "", "parquet", 0)
		if err != nil || len(files) != 1 || files[0].Key != tb.DataKey("2025-11-08", "parquet") || files[0].Rows != 5 {
			t.Errorf("files = %+v, %v", files, err)
		}
		tables, err := out.Tables(ctx)
		if err != nil || len(tables) != 1 || tables[0].Window != "5m" || !tables[0].Dir {
			t.Errorf("tables = %+v, %v", tables, err)
		}
	})
}

// A command whose head changed after it started claims nothing and writes
// nothing; one that loses its second claim releases its first.
func TestLostClaimsLeaveNothing(t *testing.T) {
	backends(t, func(t *testing.T, b table.Bucket) {
		ctx := context.Background()
		out := table.NewOutput(b, "")
		t5, t15 := out.Table("5m", true), out.Table("15m", true)
		d := "2025-11-08"
		first := table.Committer{RunID: "first"}
		if _, err := first.Commit(ctx, []*table.Partition{part(t5, d, table.Head{}, 1, "csv"), part(t15, d, table.Head{}, 1, "csv")}); err != nil {
			t.Fatal(err)
		}
		h5, h15 := head(t, t5, d), head(t, t15, d)
		before := map[string]string{}
		for _, k := range keys(t, b, "") {
			before[k] = read(t, b, k)
		}
		// B commits only the 5m table; A started before B and wants both:
		// it claims window=15m first (key order), then loses window=5m.
		bc := table.Committer{RunID: "B"}
		if _, err := bc.Commit(ctx, []*table.Partition{part(t5, d, h5, 2, "csv")}); err != nil {
			t.Fatal(err)
		}
		afterB := map[string]string{}
		for _, k := range keys(t, b, "") {
			afterB[k] = read(t, b, k)
		}
		ac := table.Committer{RunID: "A"}
		res, err := ac.Commit(ctx, []*table.Partition{part(t5, d, h5, 3, "csv"), part(t15, d, h15, 3, "csv")})
		if !errors.Is(err, table.ErrLostRace) {
			t.Fatalf("A: err = %v, want ErrLostRace", err)
		}
		if res[0].Status != table.StatusNotDone || res[1].Status != table.StatusLost {
			t.Errorf("results = %+v", res)
		}
		// The 15m claim A made was released byte for byte, and B's commit stands.
		for _, k := range keys(t, b, "") {
			if got := read(t, b, k); got != afterB[k] {
				t.Errorf("%s changed by the losing run: %q, was %q", k, got, afterB[k])
			}
		}
		if len(keys(t, b, "")) != len(afterB) || len(afterB) != len(before) {
			t.Errorf("keys %v, want %d", keys(t, b, ""), len(afterB))
		}
	})
}

// A live claim is waited for: if its command publishes, the waiter lost;
// if it is abandoned, the waiter takes over once the lease has passed.
func TestClaimsAreWaitedForThenTakenOver(t *testing.T) {
	backends(t, func(t *testing.T, b table.Bucket) {
		ctx := context.Background()
		tb := table.NewOutput(b, "o").Table("5m", false)
		d := "2025-11-08"
		// A claim left by a killed command: a claimed manifest and no data.
		claim := &table.Manifest{ManifestVersion: table.ManifestVersion, State: table.StateClaimed, RunID: "dead", Date: d, ClaimedAt: time.Now().UTC()}
		body := claim.Encode()
		if _, err := b.Put(ctx, tb.ManifestKey(d), bytes.NewReader(body), int64(len(body)), storage.PutOptions{}); err != nil {
			t.Fatal(err)
		}
		h := head(t, tb, d)
		if m, err := tb.Committed(ctx, d, 0); m != nil || err != nil {
			t.Errorf("a reader of a claimed partition with no data yet: %v, %v; want no commit", m, err)
		}
		// Once data of the claim is in place, a reader cannot tell which
		// commit it belongs to: it waits, then gives up.
		if _, err := b.Put(ctx, tb.DataKey(d, "parquet"), strings.NewReader("new"), 3, storage.PutOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := tb.Committed(ctx, d, 300*time.Millisecond); !errors.Is(err, table.ErrClaimed) {
			t.Errorf("a reader of a claimed partition being published: %v, want ErrClaimed", err)
		}
		c := table.Committer{RunID: "next", Lease: 700 * time.Millisecond, Poll: 50 * time.Millisecond}
		if _, err := c.Commit(ctx, []*table.Partition{part(tb, d, h, 4, "parquet")}); err != nil {
			t.Fatal(err)
		}
		if age := time.Since(claim.ClaimedAt); age < c.Lease {
			t.Errorf("took over a claim %v old, before its lease of %v", age, c.Lease)
		}
		if m := head(t, tb, d).Manifest; m.RunID != "next" || m.State != table.StateCommitted {
			t.Errorf("manifest = %+v", m)
		}
		// A live claim whose command publishes while we wait: we lost.
		h = head(t, tb, d)
		claim = &table.Manifest{ManifestVersion: table.ManifestVersion, State: table.StateClaimed, RunID: "live", Date: d, ClaimedAt: time.Now().UTC(), Previous: h.Manifest}
		body = claim.Encode()
		info, err := b.Put(ctx, tb.ManifestKey(d), bytes.NewReader(body), int64(len(body)), storage.PutOptions{IfMatch: h.ETag})
		if err != nil {
			t.Fatal(err)
		}
		claimed := head(t, tb, d)
		if m, err := tb.Committed(ctx, d, 0); err != nil || m == nil || m.RunID != "next" {
			t.Errorf("a reader of a claim with untouched data: %+v, %v; want the previous commit (next)", m, err)
		}
		go func() {
			time.Sleep(150 * time.Millisecond)
			done := &table.Manifest{ManifestVersion: table.ManifestVersion, State: table.StateCommitted, RunID: "live", Date: d}
			body := done.Encode()
			_, _ = b.Put(ctx, tb.ManifestKey(d), bytes.NewReader(body), int64(len(body)), storage.PutOptions{IfMatch: info.ETag})
		}()
		c.RunID = "waiter"
		c.Lease = time.Minute
		if _, err := c.Commit(ctx, []*table.Partition{part(tb, d, claimed, 9, "parquet")}); !errors.Is(err, table.ErrLostRace) {
			t.Errorf("waiter: %v, want ErrLostRace", err)
		}
	})
}

// GC keeps what the manifest lists, removes unlisted objects and version 1
// run folders after grace, rejects after retention, stale partials and
// nothing while a partition is claimed.
func TestGC(t *testing.T) {
	backends(t, func(t *testing.T, b table.Bucket) {
		ctx := context.Background()
		out := table.NewOutput(b, "o")
		tb := out.Table("", false)
		d := "2025-11-08"
		put := func(key, data string) {
			t.Helper()
			if _, err := b.Put(ctx, key, strings.NewReader(data), int64(len(data)), storage.PutOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		put("o/date=2025-11-08/run=old/part-00000.parquet", "v1")
		put("o/date=2025-11-08/part-00000.csv", "a dropped format")
		put(out.RejectsKey(d, "r1"), "{}")
		put(out.PartialsPrefix(d, "abandoned")+"shard-0-of-2", "x")
		c := table.Committer{RunID: "now"}
		if _, err := c.Commit(ctx, []*table.Partition{part(tb, d, table.Head{}, 2, "parquet")}); err != nil {
			t.Fatal(err)
		}
		gc := func(at time.Time) *table.GCResult {
			t.Helper()
			res, err := out.GC(ctx, table.GCOptions{Now: at, Grace: time.Hour, RejectsRetention: 48 * time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			return res
		}
		// The csv object, a format the commit does not have, goes with
		// the GC that follows the commit (every committing run makes it),
		// at once; nothing else within grace.
		if res := gc(time.Now()); !slices.Equal(res.Deleted, []string{"o/date=2025-11-08/part-00000.csv"}) {
			t.Errorf("within grace: deleted %v, want the dropped format only", res.Deleted)
		}
		res := gc(time.Now().Add(2 * time.Hour))
		slices.Sort(res.Deleted)
		want := []string{"o/_partials/date=2025-11-08/run=abandoned/", "o/date=2025-11-08/run=old/"}
		if !slices.Equal(res.Deleted, want) {
			t.Errorf("after grace deleted %v, want %v", res.Deleted, want)
		}
		res = gc(time.Now().Add(72 * time.Hour))
		if !slices.Equal(res.Deleted, []string{"o/_rejects/date=2025-11-08/run=r1/"}) {
			t.Errorf("after retention deleted %v", res.Deleted)
		}
		want = []string{"o/date=2025-11-08/_manifest.json", "o/date=2025-11-08/part-00000.parquet"}
		if got := keys(t, b, "o/"); !slices.Equal(got, want) {
			t.Errorf("left %v, want %v", got, want)
		}
	})
}

// Migrate turns a version 1 partition into the current layout in the same
// run's name, with the same bytes.
func TestMigrate(t *testing.T) {
	backends(t, func(t *testing.T, b table.Bucket) {
		ctx := context.Background()
		out := table.NewOutput(b, "")
		tb := out.Table("", false)
		d := "2025-11-08"
		data := "PAR1 not really\n"
		if _, err := b.Put(ctx, "date=2025-11-08/run=R1/part-00000.parquet", strings.NewReader(data), int64(len(data)), storage.PutOptions{}); err != nil {
			t.Fatal(err)
		}
		v1 := fmt.Sprintf(`{"manifest_version":1,"date":%q,"run_id":"R1","rows":7,"window":"5m","files":[{"path":"run=R1/part-00000.parquet","format":"parquet","size":%d,"rows":7,"sha256":"x"}],"superseded":[{"run_id":"R0","since":"2025-11-09T00:00:00Z"}]}`, d, len(data))
		if _, err := b.Put(ctx, tb.ManifestKey(d), strings.NewReader(v1), int64(len(v1)), storage.PutOptions{}); err != nil {
			t.Fatal(err)
		}
		if fs, err := tb.Files(ctx, "", "", "parquet", 0); err != nil || len(fs) != 1 || fs[0].Key != "date=2025-11-08/run=R1/part-00000.parquet" {
			t.Fatalf("version 1 files = %+v, %v", fs, err)
		}
		done, err := out.Migrate(ctx, table.Committer{})
		if err != nil || len(done) != 1 {
			t.Fatalf("migrate: %v %v", done, err)
		}
		m := head(t, tb, d).Manifest
		if m.ManifestVersion != table.ManifestVersion || m.RunID != "R1" || m.Rows != 7 || m.PartitionEvents != -1 || len(m.Files) != 1 || m.Files[0].Path != "part-00000.parquet" {
			t.Errorf("migrated manifest = %+v", m)
		}
		if got := read(t, b, tb.DataKey(d, "parquet")); got != data {
			t.Errorf("migrated data = %q", got)
		}
		if again, err := out.Migrate(ctx, table.Committer{}); err != nil || len(again) != 0 {
			t.Errorf("second migrate: %v %v", again, err)
		}
		res, err := out.GC(ctx, table.GCOptions{Now: time.Now().Add(2 * time.Hour), Grace: time.Hour})
		if err != nil || !slices.Equal(res.Deleted, []string{"date=2025-11-08/run=R1/"}) {
			t.Errorf("gc after migrate: %v %v", res, err)
		}
	})
}

// pauseBucket holds the first Stat of a data object until release.
type pauseBucket struct {
	table.Bucket
	paused, release chan struct{}
	done            atomic.Bool
}

func (p *pauseBucket) Stat(ctx context.Context, key string) (storage.ObjectInfo, error) {
	if strings.Contains(key, "part-00000.") && p.done.CompareAndSwap(false, true) {
		close(p.paused)
		<-p.release
	}
	return p.Bucket.Stat(ctx, key)
}

// Put stalls while the command is paused, as every call of a stopped
// process does: its renewals too.
func (p *pauseBucket) Put(ctx context.Context, key string, r io.Reader, size int64, o storage.PutOptions) (storage.ObjectInfo, error) {
	if p.done.Load() {
		<-p.release
	}
	return p.Bucket.Put(ctx, key, r, size, o)
}

// A command that stalls past the lease with a claim (a slow Stat, a GC
// pause) is taken over; when it wakes it must not overwrite the new owner's
// committed data: it renews its claim before writing, finds it gone, and
// loses.
func TestStalledClaimantIsFenced(t *testing.T) {
	backends(t, func(t *testing.T, b table.Bucket) {
		ctx := context.Background()
		tb := table.NewOutput(b, "out/").Table("5m", false)
		d := "2025-11-08"
		c0 := &table.Committer{RunID: "r0"}
		if _, err := c0.Commit(ctx, []*table.Partition{part(tb, d, head(t, tb, d), 1, "parquet")}); err != nil {
			t.Fatal(err)
		}
		pb := &pauseBucket{Bucket: b, paused: make(chan struct{}), release: make(chan struct{})}
		tbA := table.NewOutput(pb, "out/").Table("5m", false)
		lease := 500 * time.Millisecond
		cA := &table.Committer{RunID: "A", Lease: lease}
		aErr := make(chan error, 1)
		go func() {
			_, err := cA.Commit(ctx, []*table.Partition{part(tbA, d, head(t, tb, d), 2, "parquet")})
			aErr <- err
		}()
		<-pb.paused // A holds its claim and stalls before writing its data
		cB := &table.Committer{RunID: "B", Lease: lease, Poll: 50 * time.Millisecond}
		if _, err := cB.Commit(ctx, []*table.Partition{part(tb, d, head(t, tb, d), 3, "parquet")}); err != nil {
			t.Fatalf("B: %v", err)
		}
		close(pb.release)
		if err := <-aErr; !errors.Is(err, table.ErrLostRace) {
			t.Errorf("the stalled claimant: %v, want ErrLostRace", err)
		}
		m := head(t, tb, d).Manifest
		if got := read(t, b, tb.DataKey(d, "parquet")); m.RunID != "B" || got != "parquet rows=3 of 2025-11-08\n" {
			t.Errorf("committed by %s, data object %q; want B's rows", m.RunID, got)
		}
	})
}

// No command writes a manifest that could not be read back: a commit whose
// claim would be over the bound, or whose own manifest over half of it (the
// next commit's claim holds it), fails before writing anything and leaves
// the commit in force; every step's manifest fits when the claim passed;
// and a manifest read back over the bound says so, not that its JSON ends
// early.
func TestManifestSizeLimit(t *testing.T) {
	backends(t, func(t *testing.T, b table.Bucket) {
		ctx := context.Background()
		tb := table.NewOutput(b, "out").Table("5m", true)
		inputs := func(n int) []table.Input {
			var in []table.Input
			for i := range n {
				in = append(in, table.Input{URL: fmt.Sprintf("s3://logs/app/2025/11/08/part-%06d.jsonl", i), Size: 100, ETag: "e"})
			}
			return in
		}
		const limit = 8 << 10
		commit := func(run, date string, n, limit int) error {
			c := table.Committer{RunID: run, ManifestLimit: limit}
			p := part(tb, date, head(t, tb, date), 3, "parquet", "csv")
			p.Manifest.Inputs = inputs(n)
			_, err := c.Commit(ctx, []*table.Partition{p})
			return err
		}
		if err := commit("A", "2025-11-08", 10, limit); err != nil {
			t.Fatal(err)
		}
		before := keys(t, b, "out/")
		// 2/5 of the bound is ~20 inputs here: 30 are refused, though the
		// claim (with the 10 of A) would fit.
		for _, n := range []int{30, 100} {
			err := commit("B", "2025-11-08", n, limit)
			if !errors.Is(err, table.ErrManifestTooLarge) || !strings.Contains(err.Error(), "_manifest.json") {
				t.Fatalf("commit of %d inputs: %v, want ErrManifestTooLarge naming the key", n, err)
			}
			if m := head(t, tb, "2025-11-08").Manifest; m.RunID != "A" || m.State != table.StateCommitted {
				t.Fatalf("head after the refused commit: %+v", m)
			}
			if got := keys(t, b, "out/"); !slices.Equal(got, before) {
				t.Fatalf("keys = %v, want %v", got, before)
			}
		}
		// Every size up to the largest accepted commits through claim,
		// renewal and publish, first and replacing commits alike, on
		// another date: the claim's check covers every later step.
		for n := 0; ; n++ {
			err := commit(fmt.Sprintf("C%d", n), "2025-11-09", n, limit)
			if errors.Is(err, table.ErrManifestTooLarge) {
				if n < 15 {
					t.Fatalf("refused at %d inputs", n)
				}
				if m := head(t, tb, "2025-11-09").Manifest; m.RunID != fmt.Sprintf("C%d", n-1) || m.State != table.StateCommitted {
					t.Fatalf("head after the refusal at %d inputs: %+v", n, m)
				}
				break
			}
			if err != nil {
				t.Fatalf("%d inputs: %v", n, err)
			}
		}
		// A commit written under a larger bound (an older logsmith's) makes
		// the claim replacing it too large: refused at the claim.
		if err := commit("D", "2025-11-10", 45, 2*limit); err != nil {
			t.Fatal(err)
		}
		if err := commit("E", "2025-11-10", 18, limit); !errors.Is(err, table.ErrManifestTooLarge) || !strings.Contains(err.Error(), "claim ") {
			t.Fatalf("claim over a large commit: %v", err)
		}
		if m := head(t, tb, "2025-11-10").Manifest; m.RunID != "D" || m.State != table.StateCommitted {
			t.Fatalf("head after the refused claim: %+v", m)
		}
		if _, ok := b.(*storage.Local); !ok {
			return
		}
		// A manifest over the bound, sparse on disk: reported at once.
		key := tb.ManifestKey("2025-11-08")
		if err := os.Truncate(filepath.Join(b.(*storage.Local).String(), key), table.MaxManifestBytes+1); err != nil {
			t.Fatal(err)
		}
		if _, err := tb.ReadHead(ctx, "2025-11-08"); !errors.Is(err, table.ErrManifestTooLarge) || strings.Count(err.Error(), key) != 1 {
			t.Fatalf("read of an oversized manifest: %v", err)
		}
	})
}

// A claim is sized for every later step of its commit, whatever their
// times: RFC 3339 drops a fraction's trailing zeros, so a renewal or
// publish later than a claim made on a whole second is longer. Claims
// padded to each size around the bound (over an older, larger commit, so
// that the claim, not the commit's own manifest, is what is tight) either
// are refused at the claim or commit; none is left as the head. (Found by
// a hostile review: the renewal was sized with the claim's own time.)
func TestClaimSizedForLaterSteps(t *testing.T) {
	l, err := storage.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tb := table.NewOutput(l, "out").Table("5m", true)
	const limit = 8 << 10
	base := time.Date(2025, 11, 8, 10, 0, 0, 0, time.UTC)
	inputs := func(n int) []table.Input {
		var in []table.Input
		for i := range n {
			in = append(in, table.Input{URL: fmt.Sprintf("s3://logs/app/2025/11/08/part-%06d.jsonl", i), Size: 100, ETag: "e"})
		}
		return in
	}
	day := 0
	// try commits E over an older, larger commit D (written under 2*limit,
	// like an older logsmith's) with pad bytes of warning.
	try := func(pad int) (table.Head, string, error) {
		day++
		date := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, day).Format(time.DateOnly)
		// A fixed clock: D's manifest, held in E's claim, is the same size in every try.
		d := table.Committer{RunID: "D", ManifestLimit: 2 * limit, Now: func() time.Time { return base.Add(time.Hour) }}
		p := part(tb, date, head(t, tb, date), 3, "parquet")
		p.Manifest.Inputs = inputs(40)
		if _, err := d.Commit(ctx, []*table.Partition{p}); err != nil {
			t.Fatalf("D: %v", err)
		}
		calls := 0
		clock := func() time.Time {
			calls++
			if calls <= 2 {
				return base // the claim and its size check: no fraction
			}
			return base.Add(123456789 * time.Nanosecond)
		}
		e := table.Committer{RunID: "E", ManifestLimit: limit, Now: clock}
		p = part(tb, date, head(t, tb, date), 3, "parquet")
		p.Manifest.Warnings = []string{strings.Repeat("x", pad)}
		_, err := e.Commit(ctx, []*table.Partition{p})
		return head(t, tb, date), date, err
	}
	lo, hi := 0, limit
	for lo < hi { // largest pad whose claim passes
		mid := (lo + hi + 1) / 2
		_, _, err := try(mid)
		if err != nil && errors.Is(err, table.ErrManifestTooLarge) && strings.Contains(err.Error(), "claim ") && !strings.Contains(err.Error(), "renew") {
			hi = mid - 1
		} else {
			lo = mid
		}
	}
	h, date, err := try(lo)
	if err != nil || h.Manifest.State != table.StateCommitted || h.Manifest.RunID != "E" {
		t.Errorf("the largest claim accepted (pad %d) did not commit: %v; head of %s: %s by %s", lo, err, date, h.Manifest.State, h.Manifest.RunID)
	}
	for pad := lo + 1; pad <= lo+12; pad++ {
		h, date, err := try(pad)
		if h.Manifest.State == table.StateClaimed {
			t.Errorf("pad %d: a commit left its claim as the head of %s: %v", pad, date, err)
		}
	}
}
