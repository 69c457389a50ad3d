package table_test

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
	"testing"
	"time"

	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/table"
)

// stopBucket is a store seen by one command that can be stopped (as by
// SIGSTOP) just before its n-th write reaches the store: every call that
// changes the store (Put, Delete, Begin, Complete, Abort) is a write
// point (DeleteIf too). It records the points it passed. Once stopped, every write
// waits for resume, as every call of a stopped process does (its claims'
// renewals too).
type stopBucket struct {
	table.Bucket
	mu      sync.Mutex
	n       int // writes so far
	at      int // stop before the write numbered at (0: the first); -1 never
	points  []string
	stopped chan string   // receives the point it stopped at
	resume  chan struct{} // closed to resume
}

func newStopBucket(b table.Bucket, at int) *stopBucket {
	return &stopBucket{Bucket: b, at: at, stopped: make(chan string, 1), resume: make(chan struct{})}
}

func (s *stopBucket) point(op, key string) {
	s.mu.Lock()
	name := op + " " + key[strings.LastIndexByte(key, '/')+1:]
	s.points = append(s.points, name)
	stop, stopped := s.n == s.at, s.at >= 0 && s.n > s.at
	s.n++
	s.mu.Unlock()
	if stop {
		s.stopped <- name
	}
	if stop || stopped {
		<-s.resume
	}
}

func (s *stopBucket) Put(ctx context.Context, key string, r io.Reader, size int64, o storage.PutOptions) (storage.ObjectInfo, error) {
	s.point("put", key)
	return s.Bucket.Put(ctx, key, r, size, o)
}

func (s *stopBucket) Delete(ctx context.Context, key string) error {
	s.point("delete", key)
	return s.Bucket.Delete(ctx, key)
}

// DeleteIf is a delete point too: the store's conditional delete.
func (s *stopBucket) DeleteIf(ctx context.Context, info storage.ObjectInfo) error {
	s.point("delete", info.Key)
	return s.Bucket.(storage.ConditionalDeleter).DeleteIf(ctx, info)
}

func (s *stopBucket) Begin(ctx context.Context, key string) (storage.Upload, error) {
	s.point("begin", key)
	return s.Bucket.Begin(ctx, key)
}

func (s *stopBucket) Complete(ctx context.Context, u storage.Upload, r io.Reader, size int64) (storage.ObjectInfo, error) {
	s.point("complete", u.Key)
	return s.Bucket.Complete(ctx, u, r, size)
}

func (s *stopBucket) Abort(ctx context.Context, u storage.Upload) error {
	s.point("abort", u.Key)
	return s.Bucket.Abort(ctx, u)
}

// blobs gives a partition the bytes of a version of the data in formats.
func blobs(p *table.Partition, version string, formats ...string) *table.Partition {
	p.Blobs = nil
	for _, f := range formats {
		p.Blobs = append(p.Blobs, table.Blob{Format: f, Data: []byte(f + " rows of " + version + "\n")})
	}
	return p
}

// checkBytesMatchManifest fails unless the partition's head is a commit
// whose every listed file holds the bytes the manifest says (size, sha256
// and ETag), and the partition holds no other data object: a glob of it
// reads exactly that commit.
func checkBytesMatchManifest(t *testing.T, b table.Bucket, tb table.Table, d string) *table.Manifest {
	t.Helper()
	ctx := context.Background()
	h := head(t, tb, d)
	m := h.Manifest
	if m == nil || m.State != table.StateCommitted {
		t.Fatalf("head of %s: %+v, want a commit", d, m)
	}
	listed := map[string]bool{}
	for _, f := range m.Files {
		key := tb.PartitionPrefix(d) + f.Path
		listed[key] = true
		data := read(t, b, key)
		sum := sha256.Sum256([]byte(data))
		st, err := b.Stat(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if hex.EncodeToString(sum[:]) != f.SHA256 || int64(len(data)) != f.Size || st.ETag != f.ETag {
			t.Errorf("%s holds %q (etag %s); the manifest of run %s lists %d bytes, sha256 %.12s…, etag %s",
				key, data, st.ETag, m.RunID, f.Size, f.SHA256, f.ETag)
		}
	}
	for _, k := range keys(t, b, tb.PartitionPrefix(d)) {
		if strings.Contains(k, "part-00000.") && !listed[k] {
			t.Errorf("%s holds %s, which its manifest (run %s) does not list: a glob reads it", tb.PartitionPrefix(d), k, m.RunID)
		}
	}
	return m
}

// Fencing (issue 24 item 1): a command stopped before any one of its writes
// while committing, then taken over by another that commits, must not be
// able to land that write, or any later one, over the new commit when it
// resumes. For every write point of the stopped command, and for the data
// cases that defeat ETag conditions (the new owner's bytes equal to those
// in place, so it need not rewrite them and their ETag stays; formats
// added or dropped), the bytes in place afterwards are the ones the
// manifest lists.
func TestStoppedWriterIsFencedAtEveryWritePoint(t *testing.T) {
	type version struct {
		name    string
		formats []string
	}
	cases := []struct {
		name       string
		old, stale version // the commit in force, the writer stopped
		owner      version // the one taking over
	}{
		{name: "owner rewrites nothing", old: version{"old", []string{"parquet"}}, stale: version{"stale", []string{"parquet"}}, owner: version{"old", []string{"parquet"}}},
		{name: "owner writes new bytes", old: version{"old", []string{"parquet"}}, stale: version{"stale", []string{"parquet"}}, owner: version{"owner", []string{"parquet"}}},
		{name: "stale drops a format the owner has", old: version{"old", []string{"parquet", "csv"}}, stale: version{"stale", []string{"parquet"}}, owner: version{"old", []string{"parquet", "csv"}}},
		{name: "stale adds a format the owner drops", old: version{"old", []string{"parquet"}}, stale: version{"stale", []string{"parquet", "csv"}}, owner: version{"owner", []string{"parquet"}}},
		{name: "no commit before", stale: version{"stale", []string{"parquet", "csv"}}, owner: version{"owner", []string{"parquet"}}},
	}
	backends(t, func(t *testing.T, b table.Bucket) {
		ctx := context.Background()
		d := "2025-11-08"
		for ci, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				// Count the stale writer's write points, alone.
				count := func(prefix string) []string {
					tb := table.NewOutput(b, prefix).Table("5m", false)
					if tc.old.name != "" {
						c := &table.Committer{RunID: "old"}
						if _, err := c.Commit(ctx, []*table.Partition{blobs(part(tb, d, head(t, tb, d), 1), tc.old.name, tc.old.formats...)}); err != nil {
							t.Fatal(err)
						}
					}
					sb := newStopBucket(b, -1)
					tbs := table.NewOutput(sb, prefix).Table("5m", false)
					c := &table.Committer{RunID: "stale"}
					if _, err := c.Commit(ctx, []*table.Partition{blobs(part(tbs, d, head(t, tb, d), 2), tc.stale.name, tc.stale.formats...)}); err != nil {
						t.Fatal(err)
					}
					return sb.points
				}
				points := count(fmt.Sprintf("count%d/", ci))
				for at, point := range points {
					t.Run(fmt.Sprintf("%d_%s", at, strings.ReplaceAll(point, " ", "_")), func(t *testing.T) {
						prefix := fmt.Sprintf("c%d-p%d/", ci, at)
						tb := table.NewOutput(b, prefix).Table("5m", false)
						if tc.old.name != "" {
							c := &table.Committer{RunID: "old"}
							if _, err := c.Commit(ctx, []*table.Partition{blobs(part(tb, d, head(t, tb, d), 1), tc.old.name, tc.old.formats...)}); err != nil {
								t.Fatal(err)
							}
						}
						sb := newStopBucket(b, at)
						tbs := table.NewOutput(sb, prefix).Table("5m", false)
						stale := &table.Committer{RunID: "stale"}
						staleDone := make(chan error, 1)
						startHead := head(t, tb, d)
						go func() {
							_, err := stale.Commit(ctx, []*table.Partition{blobs(part(tbs, d, startHead, 2), tc.stale.name, tc.stale.formats...)})
							if err == nil {
								// Its GC, unstopped (a GC stopped
								// holding its claim: liveness_test.go).
								_, err = tb.Output.GC(ctx, table.GCOptions{Now: time.Now(), Grace: time.Hour, Dates: []string{d}})
							}
							staleDone <- err
						}()
						select {
						case <-sb.stopped:
						case err := <-staleDone: // fewer write points this time
							staleDone <- err
						}
						// The owner starts now, finds the stopped claim,
						// waits out a (short) lease and takes over.
						owner := &table.Committer{RunID: "owner", Lease: time.Millisecond, Poll: time.Millisecond}
						_, oerr := owner.Commit(ctx, []*table.Partition{blobs(part(tb, d, head(t, tb, d), 3), tc.owner.name, tc.owner.formats...)})
						if oerr == nil {
							_, oerr = tb.Output.GC(ctx, table.GCOptions{Now: time.Now(), Grace: time.Hour, Dates: []string{d}})
						}
						close(sb.resume)
						serr := <-staleDone
						if oerr != nil && serr != nil {
							t.Fatalf("neither committed: owner %v, stale %v", oerr, serr)
						}
						m := checkBytesMatchManifest(t, b, tb, d)
						if oerr == nil && serr == nil {
							t.Logf("both committed, the later wins: %s", m.RunID)
						}
						if serr != nil && !errors.Is(serr, table.ErrLostRace) {
							t.Errorf("stale writer: %v, want ErrLostRace", serr)
						}
						if serr != nil && m.RunID != "owner" {
							t.Errorf("the stale writer lost, but the head is run %s's", m.RunID)
						}
					})
				}
				if !slices.ContainsFunc(points, func(p string) bool { return strings.HasPrefix(p, "put part") || strings.HasPrefix(p, "complete") }) {
					t.Errorf("write points %v: no data write", points)
				}
			})
		}
	})
}

// A command that loses the race for its second partition gives back the
// first: that write is fenced too. Stopped before any of its writes, and
// the first partition taken over and committed meanwhile, it must not
// remove or replace the new commit's manifest when it resumes.
func TestStoppedReleaseIsFenced(t *testing.T) {
	backends(t, func(t *testing.T, b table.Bucket) {
		ctx := context.Background()
		d1, d2 := "2025-11-08", "2025-11-09"
		for at := 0; ; at++ {
			prefix := fmt.Sprintf("r%d/", at)
			tb := table.NewOutput(b, prefix).Table("5m", false)
			h1, h2 := head(t, tb, d1), head(t, tb, d2)
			// Another command commits d2 after the stale one started.
			other := &table.Committer{RunID: "other"}
			if _, err := other.Commit(ctx, []*table.Partition{blobs(part(tb, d2, h2, 1), "other", "parquet")}); err != nil {
				t.Fatal(err)
			}
			sb := newStopBucket(b, at)
			tbs := table.NewOutput(sb, prefix).Table("5m", false)
			stale := &table.Committer{RunID: "stale"}
			staleDone := make(chan error, 1)
			go func() {
				_, err := stale.Commit(ctx, []*table.Partition{
					blobs(part(tbs, d1, h1, 2), "stale", "parquet"), blobs(part(tbs, d2, h2, 2), "stale", "parquet")})
				staleDone <- err
			}()
			var point string
			select {
			case point = <-sb.stopped:
			case err := <-staleDone:
				if at == 0 {
					t.Fatalf("no write point: %v", err)
				}
				return // every point tried
			}
			owner := &table.Committer{RunID: "owner", Lease: time.Millisecond, Poll: time.Millisecond}
			if _, err := owner.Commit(ctx, []*table.Partition{blobs(part(tb, d1, head(t, tb, d1), 3), "owner", "parquet")}); err != nil {
				t.Fatalf("stopped at %d (%s): owner: %v", at, point, err)
			}
			close(sb.resume)
			if err := <-staleDone; !errors.Is(err, table.ErrLostRace) {
				t.Errorf("stopped at %d (%s): stale: %v, want ErrLostRace", at, point, err)
			}
			if m := checkBytesMatchManifest(t, b, tb, d1); m.RunID != "owner" {
				t.Errorf("stopped at %d (%s): %s committed by %s, want owner", at, point, d1, m.RunID)
			}
		}
	})
}
