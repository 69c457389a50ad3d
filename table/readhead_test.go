package table_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/table"
)

// A head replaced in bursts while it is read — commands racing for a
// partition claim, renew and publish it back to back — reads as one of
// the manifests written, with the ETag of that manifest, once a burst is
// over: ReadHead waits bursts out instead of failing inside one. A
// reader that lost a race must be able to read the head it lost to (a
// writer that could not read it failed with an unknown outcome).
func TestReadHeadWhileReplaced(t *testing.T) {
	backends(t, func(t *testing.T, b table.Bucket) {
		ctx := context.Background()
		tb := table.NewOutput(b, "out").Table("5m", false)
		const date, bursts, perBurst = "2025-11-08", 8, 40
		key := tb.ManifestKey(date)
		manifest := func(i int) []byte {
			m := table.Manifest{ManifestVersion: table.ManifestVersion, State: table.StateCommitted, Window: "5m", Date: date,
				RunID: fmt.Sprintf("run-%04d", i), CommittedAt: time.Unix(int64(i), 0).UTC(), Rows: i,
				// Manifests of different sizes, so a torn read cannot
				// pass as whole.
				Version: strings.Repeat("v", i%97)}
			raw, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			return raw
		}
		put := func(i int) {
			raw := manifest(i)
			if _, err := b.Put(ctx, key, bytes.NewReader(raw), int64(len(raw)), storage.PutOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		put(0)
		var done atomic.Bool
		var reads atomic.Int64
		var wg sync.WaitGroup
		for r := range 2 {
			wg.Go(func() {
				for !done.Load() {
					h, err := tb.ReadHead(ctx, date)
					reads.Add(1)
					if err != nil {
						t.Errorf("reader %d: %v", r, err)
						return
					}
					var i int
					if h.Manifest == nil || h.ETag == "" {
						t.Errorf("reader %d: no head: %+v", r, h)
						return
					}
					if _, err := fmt.Sscanf(h.Manifest.RunID, "run-%d", &i); err != nil || h.Manifest.Rows != i || h.Manifest.Version != strings.Repeat("v", i%97) {
						t.Errorf("reader %d: a manifest never written: %+v", r, h.Manifest)
						return
					}
				}
			})
		}
		n := 0
		for range bursts {
			for range perBurst {
				n++
				put(n)
			}
			time.Sleep(20 * time.Millisecond)
		}
		done.Store(true)
		wg.Wait()
		t.Logf("%d reads while the head was replaced %d times in %d bursts", reads.Load(), n, bursts)
	})
}

// churning reports a new ETag for the first n Stats of a manifest, as if
// another command replaced it between every two looks.
type churning struct {
	table.Bucket
	n atomic.Int64
}

func (c *churning) Stat(ctx context.Context, key string) (storage.ObjectInfo, error) {
	info, err := c.Bucket.Stat(ctx, key)
	if left := c.n.Add(-1); err == nil && strings.HasSuffix(key, "_manifest.json") && left >= 0 {
		info.ETag = fmt.Sprintf("churn-%d", left)
	}
	return info, err
}

// A head that changes under every look for a while — longer than five
// tries back to back — is read once it settles; one that never settles
// fails, saying so, and does not hang.
func TestReadHeadWaitsOutABurst(t *testing.T) {
	l, err := storage.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx := context.Background()
	c := &churning{Bucket: l}
	tb := table.NewOutput(c, "out").Table("5m", false)
	raw, _ := json.Marshal(table.Manifest{ManifestVersion: table.ManifestVersion, State: table.StateCommitted, Window: "5m", Date: "2025-11-08", RunID: "r"})
	if _, err := l.Put(ctx, tb.ManifestKey("2025-11-08"), bytes.NewReader(raw), int64(len(raw)), storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	want, err := l.Stat(ctx, tb.ManifestKey("2025-11-08"))
	if err != nil {
		t.Fatal(err)
	}
	// A look is a try: the Stat whose version the read is pinned to.
	for _, looks := range []int64{0, 1, 2, 9, 14} {
		c.n.Store(looks)
		h, err := tb.ReadHead(ctx, "2025-11-08")
		if err != nil || h.ETag != want.ETag || h.Manifest == nil || h.Manifest.RunID != "r" {
			t.Errorf("a head changing under %d looks: %+v, %v; want the manifest, etag %s", looks, h, err, want.ETag)
		}
	}
	c.n.Store(1 << 40)
	// Of no kind: a caller's retry policy retries it as a transient
	// fault, where ErrPrecondition would say a condition of its own
	// failed.
	if _, err := tb.ReadHead(ctx, "2025-11-08"); err == nil || errors.Is(err, storage.ErrPrecondition) || !strings.Contains(err.Error(), "kept changing") {
		t.Errorf("a head that never settles: %v, want kept changing, of no kind", err)
	}
}

// aba claims the head (B) while a reader's read is in flight and gives
// the claim up, putting the manifest before it (A) back byte for byte,
// as Committer does on release: on S3 the ETag, an MD5 of the content,
// is A's again, so ETags compared around the read cannot see B.
type aba struct {
	table.Bucket
	armed atomic.Bool
	a, b  []byte
}

func (x *aba) around(ctx context.Context, key string, read func() (io.ReadCloser, error)) (io.ReadCloser, error) {
	if !x.armed.CompareAndSwap(true, false) {
		return read()
	}
	if _, err := x.Bucket.Put(ctx, key, bytes.NewReader(x.b), int64(len(x.b)), storage.PutOptions{}); err != nil {
		return nil, err
	}
	rc, err := read()
	var raw []byte
	if err == nil {
		raw, err = io.ReadAll(rc)
		rc.Close()
	}
	if _, perr := x.Bucket.Put(ctx, key, bytes.NewReader(x.a), int64(len(x.a)), storage.PutOptions{}); perr != nil {
		return nil, perr
	}
	if err != nil {
		return nil, err
	}
	return io.NopCloser(bytes.NewReader(raw)), nil
}

func (x *aba) Open(ctx context.Context, key string, off int64) (io.ReadCloser, error) {
	return x.around(ctx, key, func() (io.ReadCloser, error) { return x.Bucket.Open(ctx, key, off) })
}

func (x *aba) OpenListed(ctx context.Context, info storage.ObjectInfo, off, end int64) (io.ReadCloser, error) {
	return x.around(ctx, info.Key, func() (io.ReadCloser, error) { return x.Bucket.OpenListed(ctx, info, off, end) })
}

// The head ReadHead returns is the content of the ETag it returns, though
// the head changed and changed back while it was read: else a command
// waiting for a claim to go sees the ETag it waits on and waits out the
// lease of a claim long released.
func TestReadHeadETagIsTheContents(t *testing.T) {
	backends(t, func(t *testing.T, b table.Bucket) {
		ctx := context.Background()
		manifest := func(run, state string) []byte {
			raw, _ := json.Marshal(table.Manifest{ManifestVersion: table.ManifestVersion, State: state, Window: "5m", Date: "2025-11-08", RunID: run})
			return raw
		}
		x := &aba{Bucket: b, a: manifest("committer", table.StateCommitted), b: manifest("claimer", table.StateClaimed)}
		tb := table.NewOutput(x, "out").Table("5m", false)
		if _, err := b.Put(ctx, tb.ManifestKey("2025-11-08"), bytes.NewReader(x.a), int64(len(x.a)), storage.PutOptions{}); err != nil {
			t.Fatal(err)
		}
		x.armed.Store(true)
		h, err := tb.ReadHead(ctx, "2025-11-08")
		if err != nil {
			t.Fatal(err)
		}
		if x.armed.Load() {
			t.Fatal("the head was not changed under the read")
		}
		now, err := b.Stat(ctx, tb.ManifestKey("2025-11-08"))
		if err != nil {
			t.Fatal(err)
		}
		if h.ETag == now.ETag && h.Manifest.RunID != "committer" {
			t.Errorf("ReadHead returned run %s (%s) with the ETag %s of run committer's manifest", h.Manifest.RunID, h.Manifest.State, h.ETag)
		}
	})
}
