package iceberg_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/iceberg-go"
	icetable "github.com/apache/iceberg-go/table"

	ice "github.com/logsmith/logsmith/table/iceberg"
)

// A reader pins a snapshot through the metadata file that show and pin
// print (DuckDB's iceberg_scan needs one). That file stays readable, with
// the snapshot's rows, for as long as the snapshot is retained: after more
// commits than the table's metadata log holds (20), and after gc's orphan
// removal. Once the snapshot has expired, gc removes the file.
func TestPinnedMetadataLasts(t *testing.T) {
	setups(t, func(t *testing.T, s setup) {
		pinnedMetadataLasts(t, s, false)
	})
}

// A table an earlier logsmith created deletes the metadata files its log
// drops: once a run has opened it, it keeps them too. (The property is set
// by logsmith's own commit, whatever the catalog: SQLite and PostgreSQL,
// local and MinIO suffice.)
func TestPinnedMetadataLastsOnEarlierTables(t *testing.T) {
	for _, c := range [][2]string{{"local", "sqlite"}, {"s3", "postgres"}} {
		t.Run(c[0]+"/"+c[1], func(t *testing.T) {
			pinnedMetadataLasts(t, newSetup(t, c[0], c[1]), true)
		})
	}
}

func pinnedMetadataLasts(t *testing.T, s setup, earlier bool) {
	ctx := context.Background()
	c := open(t, s.opts)
	tb := table5m(t, c)
	if earlier {
		tbl, err := tb.Load(ctx)
		if err != nil {
			t.Fatal(err)
		}
		tx := tbl.NewTransaction()
		if err := tx.SetProperties(iceberg.Properties{icetable.MetadataDeleteAfterCommitEnabledKey: "true"}); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		tb = table5m(t, c) // a run opens it for writing
	}
	a := "2025-11-08"
	h, err := tb.CommitDate(ctx, a, genRows(a, 3, 1), meta(1), nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := tb.Pin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if p.SnapshotID != h.SnapshotID || !strings.HasSuffix(p.MetadataLocation, ".metadata.json") {
		t.Fatalf("pin %+v after the commit of snapshot %d", p, h.SnapshotID)
	}
	// More commits than the metadata log keeps; every snapshot stays
	// within the retention.
	keep := ice.GCOptions{ExpireOlderThan: 168 * time.Hour, RetainLast: 10, OrphanOlderThan: -1}
	for i := range 21 {
		d := fmt.Sprintf("2025-10-%02d", 1+i)
		if _, err := tb.CommitDate(ctx, d, genRows(d, 1, int64(i+2)), meta(int64(i+2)), nil); err != nil {
			t.Fatalf("commit %d: %v", i, err)
		}
	}
	if _, err := tb.GC(ctx, keep); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond) // past the orphan grace of 1ns below, at any mtime granularity
	keep.OrphanOlderThan = time.Nanosecond
	if _, err := tb.GC(ctx, keep); err != nil {
		t.Fatal(err)
	}
	at, err := tb.ScanMetadataFile(ctx, p.MetadataLocation, h.SnapshotID)
	if err != nil {
		t.Fatalf("the pinned metadata file %s after 21 commits and gc, its snapshot retained: %v", p.MetadataLocation, err)
	}
	rows, _ := rowsOf(t, at, fullCols)
	at.Release()
	sortRows(rows)
	sameRows(t, "pinned snapshot read through its metadata file", rows, genRows(a, 3, 1))

	// The snapshot expires: gc may remove the file now.
	if _, err := tb.GC(ctx, ice.GCOptions{ExpireOlderThan: time.Nanosecond, RetainLast: 1, OrphanOlderThan: time.Nanosecond}); err != nil {
		t.Fatal(err)
	}
	if _, err := tb.ReadFile(ctx, p.MetadataLocation); err == nil {
		t.Errorf("metadata file %s kept after its snapshots expired", p.MetadataLocation)
	}
	checkConsistent(t, s.opts, tb.Name())
}

// A reader that has loaded the table and then reads the files of that
// state finds some gone when, in between, another run committed and its
// expiry (keep 1, retention 0s) removed the snapshot the reader loaded.
// Every such read goes on from the refreshed table: a commit of another
// date, the files of the current snapshot, and gc's orphan removal.
func TestReadsAfterConcurrentExpiry(t *testing.T) {
	setups(t, func(t *testing.T, s setup) {
		ctx := context.Background()
		other := table5m(t, open(t, s.opts))
		a, b, c := "2025-11-08", "2025-11-09", "2025-11-10"
		if _, err := other.CommitDate(ctx, a, genRows(a, 4, 1), meta(1), nil); err != nil {
			t.Fatal(err)
		}
		// interfere makes the reader's first load stale: another run
		// commits date d and expires every older snapshot, with the
		// files only they referenced.
		interfere := func(t *testing.T, reader *ice.Table, d string, run int64) {
			var once sync.Once
			reader.OnLoad(func(ctx context.Context) {
				once.Do(func() {
					h, err := other.Head(ctx, d)
					if err != nil {
						t.Error(err)
						return
					}
					if _, err := other.CommitDate(ctx, d, genRows(d, 5, run), meta(run), h); err != nil {
						t.Errorf("interfering commit of %s: %v", d, err)
						return
					}
					if _, err := other.GC(ctx, ice.GCOptions{ExpireOlderThan: time.Nanosecond, RetainLast: 1, OrphanOlderThan: -1}); err != nil {
						t.Errorf("interfering expiry: %v", err)
					}
				})
			})
		}

		t.Run("commit", func(t *testing.T) {
			reader := table5m(t, open(t, s.opts))
			interfere(t, reader, b, 2)
			if _, err := reader.CommitDate(ctx, c, genRows(c, 6, 3), meta(3), nil); err != nil {
				t.Fatalf("commit of %s after the table moved on and expired its snapshot: %v", c, err)
			}
			got := readDates(t, other, 0, fullCols)
			sameRows(t, a, got[a], genRows(a, 4, 1))
			sameRows(t, b, got[b], genRows(b, 5, 2))
			sameRows(t, c, got[c], genRows(c, 6, 3))
			checkConsistent(t, s.opts, other.Name())
		})
		t.Run("files", func(t *testing.T) {
			reader, err := open(t, s.opts).OpenTable(ctx, other.Name())
			if err != nil {
				t.Fatal(err)
			}
			interfere(t, reader, b, 4)
			fs, err := reader.Files(ctx, 0)
			if err != nil {
				t.Fatalf("files of the current snapshot after it expired under the reader: %v", err)
			}
			var rows int64
			for _, f := range fs {
				rows += f.Rows
				if _, err := reader.ReadFile(ctx, f.URL); err != nil {
					t.Errorf("listed file: %v", err)
				}
			}
			want := len(genRows(a, 4, 1)) + len(genRows(b, 5, 4)) + len(genRows(c, 6, 3))
			if rows != int64(want) {
				t.Errorf("files list %d rows, want %d", rows, want)
			}
		})
		t.Run("gc", func(t *testing.T) {
			reader, err := open(t, s.opts).OpenTable(ctx, other.Name())
			if err != nil {
				t.Fatal(err)
			}
			interfere(t, reader, b, 5)
			time.Sleep(5 * time.Millisecond) // past the orphan grace of 1ns below
			if _, err := reader.GC(ctx, ice.GCOptions{ExpireOlderThan: 168 * time.Hour, RetainLast: 10, OrphanOlderThan: time.Nanosecond}); err != nil {
				t.Fatalf("gc after the table moved on and expired its snapshot: %v", err)
			}
			checkConsistent(t, s.opts, other.Name())
		})
	})
}
