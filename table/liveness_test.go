package table_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/logsmith/logsmith/table"
)

// Every claim a command holds is renewed while it works (issue 24 item 4):
// a command that claimed its first partition and is still busy with its
// last for longer than the lease (here: held at its last claim, as by a
// slow wait for another command's claim) is alive, and a command waiting
// for its first partition must not take it over; it loses once the first
// publishes, having written nothing. Before, a claim was renewed only when
// its command reached it, so the waiter took over and the first command
// lost after committing the partitions before it.
func TestHeldClaimsAreRenewedWhileWorking(t *testing.T) {
	backends(t, func(t *testing.T, b table.Bucket) {
		ctx := context.Background()
		tb := table.NewOutput(b, "out/").Table("5m", false)
		d1, d2 := "2025-11-08", "2025-11-09"
		// Short, to keep the test fast; renewals every quarter of it leave a
		// margin for a loaded machine.
		const lease = time.Second
		waiterDone := make(chan error, 1)
		first := &table.Committer{RunID: "first", Lease: lease, BeforePublish: func(ctx context.Context, d string) {
			if d != d2 {
				return
			}
			// d1 is claimed: the waiter starts, meets the claim, waits.
			go func() {
				w := &table.Committer{RunID: "waiter", Lease: lease, Poll: 20 * time.Millisecond}
				_, err := w.Commit(ctx, []*table.Partition{part(tb, d1, head(t, tb, d1), 9, "parquet")})
				waiterDone <- err
			}()
			time.Sleep(5 * lease / 2) // busy past the lease, alive
		}}
		res, err := first.Commit(ctx, []*table.Partition{part(tb, d1, table.Head{}, 1, "parquet"), part(tb, d2, table.Head{}, 2, "parquet")})
		if err != nil {
			t.Fatalf("the command alive past the lease: %v (%+v)", err, res)
		}
		if err := <-waiterDone; !errors.Is(err, table.ErrLostRace) {
			t.Fatalf("the waiter: %v, want ErrLostRace", err)
		}
		for _, d := range []string{d1, d2} {
			if m := checkBytesMatchManifest(t, b, tb, d); m.RunID != "first" {
				t.Errorf("%s committed by %s, want first", d, m.RunID)
			}
		}
	})
}

// A GC killed (or stopped for good) while holding its claim of a partition
// does not wedge the date (issue 24 item 5): its claim is taken over like
// any once seen unchanged for the lease, and the command commits. If the
// GC resumes after the takeover, it deletes nothing more — not the data
// object of the format it meant to remove, which the new owner wrote
// again — and leaves the new commit in place.
func TestGCClaimIsTakenOverAndFenced(t *testing.T) {
	backends(t, func(t *testing.T, b table.Bucket) {
		ctx := context.Background()
		d := "2025-11-08"
		for i, resume := range []bool{false, true} {
			t.Run(fmt.Sprintf("resumes=%v", resume), func(t *testing.T) {
				prefix := fmt.Sprintf("o%d/", i)
				tb := table.NewOutput(b, prefix).Table("5m", false)
				// Committed with both formats, then with Parquet only: the
				// CSV object is GC's to delete.
				for r, formats := range [][]string{{"parquet", "csv"}, {"parquet"}} {
					c := &table.Committer{RunID: fmt.Sprint("r", r)}
					if _, err := c.Commit(ctx, []*table.Partition{part(tb, d, head(t, tb, d), r+1, formats...)}); err != nil {
						t.Fatal(err)
					}
				}
				// GC stops before its first write after claiming: the
				// renewal before the delete (or the delete).
				sb := newStopBucket(b, 1)
				gcDone := make(chan error, 1)
				go func() {
					_, err := table.NewOutput(sb, prefix).GC(ctx, table.GCOptions{Now: time.Now(), Grace: time.Hour, Dates: []string{d}})
					gcDone <- err
				}()
				point := <-sb.stopped
				if h := head(t, tb, d); h.Manifest.RunID != "logsmith-gc" {
					t.Fatalf("stopped at %s with head %+v, want GC's claim", point, h.Manifest)
				}
				owner := &table.Committer{RunID: "owner", Lease: 300 * time.Millisecond, Poll: 20 * time.Millisecond}
				if _, err := owner.Commit(ctx, []*table.Partition{part(tb, d, head(t, tb, d), 7, "parquet", "csv")}); err != nil {
					t.Fatalf("a command meeting the claim of a stopped GC: %v", err)
				}
				if resume {
					close(sb.resume)
					if err := <-gcDone; err != nil {
						t.Fatalf("the resumed GC: %v", err)
					}
				}
				if m := checkBytesMatchManifest(t, b, tb, d); m.RunID != "owner" || len(m.Files) != 2 {
					t.Fatalf("committed by %s with %d files, want owner's 2", m.RunID, len(m.Files))
				}
				if !resume {
					close(sb.resume)
					<-gcDone
				}
				if got := read(t, b, tb.DataKey(d, "csv")); !strings.Contains(got, "rows=7") {
					t.Fatalf("csv holds %q", got)
				}
			})
		}
	})
}
