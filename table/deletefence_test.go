package table_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/storage/storagetest"
	"github.com/logsmith/logsmith/table"
)

// deleteBackends runs fn on a local folder, on a MinIO bucket without
// versioning and on one with versioning: deletes are fenced differently
// on each (docs/output.md, Fencing stale writers). versioned tells fn
// which S3 bucket it has; identity reports whether the store can tell two
// objects with equal bytes apart (a local file's inode, an S3 version):
// an unversioned S3 object is known by its ETag only, the MD5 of its
// bytes.
func deleteBackends(t *testing.T, fn func(t *testing.T, b table.Bucket, identity bool)) {
	t.Run("local", func(t *testing.T) {
		l, err := storage.NewLocal(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		fn(t, l, true)
	})
	t.Run("s3", func(t *testing.T) {
		storagetest.S3Config(t)
		s, _ := storagetest.NewBucket(t)
		fn(t, s, false)
	})
	t.Run("s3-versioned", func(t *testing.T) {
		storagetest.S3Config(t)
		s, _ := storagetest.NewVersionedBucket(t)
		fn(t, s, true)
	})
}

// The deletes GC makes in a partition are fenced (issue 24, deletes): a GC
// stopped before any one of its writes — its claim, its renewals, the
// delete of the data object of a format the commit in force dropped, the
// put-back — while a command takes its claim over and commits that format
// again, must not remove or change the command's commit when it resumes.
// The owner's bytes are new, or equal to the garbage GC decided to delete
// (the owner must then not adopt the garbage object as its own: the
// stopped GC would delete it).
func TestStoppedGCDeleteIsFenced(t *testing.T) {
	deleteBackends(t, func(t *testing.T, b table.Bucket, identity bool) {
		ctx := context.Background()
		d := "2025-11-08"
		// setup commits Parquet and CSV, then Parquet only: the CSV
		// object is garbage, GC's to delete.
		setup := func(t *testing.T, prefix string) table.Table {
			tb := table.NewOutput(b, prefix).Table("5m", false)
			for r, formats := range [][]string{{"parquet", "csv"}, {"parquet"}} {
				c := &table.Committer{RunID: fmt.Sprint("r", r)}
				if _, err := c.Commit(ctx, []*table.Partition{blobs(part(tb, d, head(t, tb, d), r+1), "r0", formats...)}); err != nil {
					t.Fatal(err)
				}
			}
			return tb
		}
		gc := func(b table.Bucket, prefix string) error {
			_, err := table.NewOutput(b, prefix).GC(ctx, table.GCOptions{Now: time.Now(), Grace: time.Hour, Dates: []string{d}})
			return err
		}
		setup(t, "count/")
		sb := newStopBucket(b, -1)
		if err := gc(sb, "count/"); err != nil {
			t.Fatal(err)
		}
		points := sb.points
		if !containsPrefix(points, "delete part-00000.csv") {
			t.Fatalf("GC's write points %v: no delete of the dropped format", points)
		}
		for _, owner := range []string{"owner", "r0"} {
			for at, point := range points {
				t.Run(fmt.Sprintf("bytes=%s/%d_%s", owner, at, strings.ReplaceAll(point, " ", "_")), func(t *testing.T) {
					prefix := fmt.Sprintf("%s-p%d/", owner, at)
					tb := setup(t, prefix)
					laterSecond := func() {}
					if owner == "r0" && !identity {
						// The owner's object has the garbage's ETag: an
						// unversioned S3 object is told from it by its
						// modification time, to the second (the window
						// docs/output.md states is a rewrite of equal
						// bytes within that second). The owner writes
						// in a later one, as any run after a takeover
						// (a lease of seconds at least) does.
						garbage, err := b.Stat(ctx, tb.PartitionPrefix(d)+"part-00000.csv")
						if err != nil {
							t.Fatal(err)
						}
						laterSecond = func() {
							for !time.Now().After(garbage.Modified.Truncate(time.Second).Add(time.Second)) {
								time.Sleep(20 * time.Millisecond)
							}
						}
					}
					sb := newStopBucket(b, at)
					gcDone := make(chan error, 1)
					go func() { gcDone <- gc(sb, prefix) }()
					<-sb.stopped
					laterSecond()
					c := &table.Committer{RunID: "owner", Lease: time.Millisecond, Poll: time.Millisecond}
					if _, err := c.Commit(ctx, []*table.Partition{blobs(part(tb, d, head(t, tb, d), 3), owner, "parquet", "csv")}); err != nil {
						t.Fatalf("owner: %v", err)
					}
					close(sb.resume)
					if err := <-gcDone; err != nil {
						t.Logf("stale GC: %v", err)
					}
					if m := checkBytesMatchManifest(t, b, tb, d); m.RunID != "owner" || len(m.Files) != 2 {
						t.Errorf("%s committed by %s with %d files, want the owner's 2", d, m.RunID, len(m.Files))
					}
				})
			}
		}
	})
}

func containsPrefix(points []string, prefix string) bool {
	for _, p := range points {
		if strings.HasPrefix(p, prefix) {
			return true
		}
	}
	return false
}

// GC's deletes by age (partials of sharded runs never merged, samples of
// bad lines past retention) are fenced too: their keys are named by a run
// id, and a command reusing one (the shards of one run, a retried pod)
// writes them again — often the very same bytes (a shard's partial of the
// same input). A GC stopped at such a delete, resumed after the run wrote
// the key anew, leaves the new object, whatever its bytes. GC decides on a
// listing, which names no S3 version: the delete must still remove only
// the object listed (a rewrite lands in a later second than the object
// GC judged old).
func TestStoppedAgeGCDeleteIsFenced(t *testing.T) {
	deleteBackends(t, func(t *testing.T, b table.Bucket, _ bool) {
		ctx := context.Background()
		d := "2025-11-08"
		out := func(b table.Bucket, prefix string) table.Output { return table.NewOutput(b, prefix) }
		for _, c := range []struct {
			name string
			key  func(o table.Output) string
			new  string // the bytes written again
		}{
			{"partials", func(o table.Output) string { return o.PartialsPrefix(d, "run1") + "shard-0.bin" }, "new bytes"},
			{"rejects", func(o table.Output) string { return o.RejectsKey(d, "run1") }, "new bytes"},
			{"partials-equal", func(o table.Output) string { return o.PartialsPrefix(d, "run1") + "shard-0.bin" }, "old"},
			{"rejects-equal", func(o table.Output) string { return o.RejectsKey(d, "run1") }, "old"},
		} {
			t.Run(c.name, func(t *testing.T) {
				prefix := c.name + "/"
				key := c.key(out(b, prefix))
				old, err := b.Put(ctx, key, strings.NewReader("old"), 3, storage.PutOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if old, err = b.Stat(ctx, key); err != nil {
					t.Fatal(err)
				}
				sb := newStopBucket(b, 0) // its first write: the delete
				gcDone := make(chan error, 1)
				go func() {
					// Two hours on: the object is past grace and retention.
					_, err := out(sb, prefix).GC(ctx, table.GCOptions{Now: time.Now().Add(2 * time.Hour), Grace: time.Hour, RejectsRetention: time.Hour})
					gcDone <- err
				}()
				if point := <-sb.stopped; !strings.HasPrefix(point, "delete ") {
					t.Fatalf("stopped at %s, want a delete", point)
				}
				// The run writes the key again, in a later second than
				// the object GC judged old (S3 times are to the second).
				for !time.Now().After(old.Modified.Truncate(time.Second).Add(time.Second)) {
					time.Sleep(20 * time.Millisecond)
				}
				if _, err := b.Put(ctx, key, strings.NewReader(c.new), int64(len(c.new)), storage.PutOptions{}); err != nil {
					t.Fatal(err)
				}
				close(sb.resume)
				if err := <-gcDone; err != nil {
					t.Fatalf("GC: %v", err)
				}
				if _, err := b.Stat(ctx, key); err != nil {
					t.Fatalf("%s, written after GC decided to delete the old one: %v", key, err)
				}
			})
		}
	})
}
