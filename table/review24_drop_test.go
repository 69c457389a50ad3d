package table_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/logsmith/logsmith/table"
)

// Review of issue 24: a `table drop` stopped (SIGSTOP) before any one of
// its writes, while the operator runs the drop again to finish it (as the
// docs say to) and then a run writes the table anew, must not remove or
// change that run's commit when it resumes: its writes are as fenced as a
// run's. For every write point of the stopped drop, the partition the
// later run committed is whole afterwards and its bytes are the manifest's
// — its deletes included (docs/output.md, Fencing stale writers).
func TestReview24StoppedDropIsFenced(t *testing.T) {
	deleteBackends(t, func(t *testing.T, b table.Bucket, _ bool) {
		ctx := context.Background()
		d := "2025-11-08"
		shape := table.NewShape([]table.TableShape{{Window: "5m", Dimensions: []string{}, SchemaVersion: "2.0"}})
		// setup records the table in the output's head and commits d.
		setup := func(t *testing.T, prefix string) table.Table {
			out := table.NewOutput(b, prefix)
			if _, err := out.PutShape(ctx, shape, table.ShapeHead{}, "old", time.Now()); err != nil {
				t.Fatal(err)
			}
			tb := shape.Table(out, "5m")
			c := &table.Committer{RunID: "old"}
			if _, err := c.Commit(ctx, []*table.Partition{blobs(part(tb, d, head(t, tb, d), 1), "old", "parquet")}); err != nil {
				t.Fatal(err)
			}
			return tb
		}
		drop := func(b table.Bucket, prefix string) error {
			_, err := table.NewOutput(b, prefix).Drop(ctx, table.Committer{Lease: time.Millisecond, Poll: time.Millisecond}, "5m")
			return err
		}
		setup(t, "count/")
		sb := newStopBucket(b, -1)
		if err := drop(sb, "count/"); err != nil {
			t.Fatal(err)
		}
		points := sb.points
		if !containsPrefix(points, "delete ") {
			t.Fatalf("the drop's write points %v: no delete", points)
		}
		for at, point := range points {
			t.Run(fmt.Sprintf("%d_%s", at, strings.ReplaceAll(point, " ", "_")), func(t *testing.T) {
				prefix := fmt.Sprintf("p%d/", at)
				tb := setup(t, prefix)
				sb := newStopBucket(b, at)
				staleDone := make(chan error, 1)
				go func() { staleDone <- drop(sb, prefix) }()
				<-sb.stopped
				// The operator runs the drop again: it finishes.
				if err := drop(b, prefix); err != nil {
					t.Fatalf("second drop: %v", err)
				}
				// A run writes the table anew.
				out := table.NewOutput(b, prefix)
				h, err := out.ReadShape(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := out.PutShape(ctx, shape, h, "new", time.Now()); err != nil {
					t.Fatal(err)
				}
				c := &table.Committer{RunID: "new"}
				if _, err := c.Commit(ctx, []*table.Partition{blobs(part(tb, d, head(t, tb, d), 2), "new", "parquet")}); err != nil {
					t.Fatal(err)
				}
				close(sb.resume)
				serr := <-staleDone
				t.Logf("stale drop: %v", serr)
				if m := checkBytesMatchManifest(t, b, tb, d); m.RunID != "new" {
					t.Errorf("%s is run %s's, want the new run's", d, m.RunID)
				}
				if s, err := out.ReadShape(ctx); err != nil || s.Shape == nil || len(s.Shape.Tables) != 1 || len(s.Shape.Dropping) != 0 {
					t.Errorf("the output's head after the stale drop: %+v, %v; want the new run's table", s.Shape, err)
				}
			})
		}
	})
}
