package table_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/table"
)

// errNetwork is a store that answers nothing for a while.
var errNetwork = errors.New("connection reset by peer")

// lostPublish is a store whose connection breaks at one named point: just
// after the final manifest's PUT of a commit landed, before its answer
// comes back. From then on until heal, every call fails as a network
// does (so the head cannot be read back to decide what happened).
type lostPublish struct {
	table.Bucket
	mu     sync.Mutex
	broken bool
}

func (l *lostPublish) down() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.broken
}

func (l *lostPublish) heal() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.broken = false
}

func (l *lostPublish) Put(ctx context.Context, key string, r io.Reader, size int64, o storage.PutOptions) (storage.ObjectInfo, error) {
	if l.down() {
		return storage.ObjectInfo{}, errNetwork
	}
	body, err := io.ReadAll(r)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	info, err := l.Bucket.Put(ctx, key, bytes.NewReader(body), size, o)
	if err == nil && strings.HasSuffix(key, table.ManifestName) && bytes.Contains(body, []byte("\n  \"state\": \"committed\"")) {
		l.mu.Lock()
		l.broken = true // the point: landed, its answer lost
		l.mu.Unlock()
		return storage.ObjectInfo{}, errNetwork
	}
	return info, err
}

func (l *lostPublish) Stat(ctx context.Context, key string) (storage.ObjectInfo, error) {
	if l.down() {
		return storage.ObjectInfo{}, errNetwork
	}
	return l.Bucket.Stat(ctx, key)
}

func (l *lostPublish) Open(ctx context.Context, key string, off int64) (io.ReadCloser, error) {
	if l.down() {
		return nil, errNetwork
	}
	return l.Bucket.Open(ctx, key, off)
}

func (l *lostPublish) OpenListed(ctx context.Context, info storage.ObjectInfo, off, end int64) (io.ReadCloser, error) {
	if l.down() {
		return nil, errNetwork
	}
	return l.Bucket.OpenListed(ctx, info, off, end)
}

// A commit whose final manifest landed while the store stopped answering
// (so the command cannot read the head back to tell) must not be reported
// as not committed: the error says the outcome is unknown
// (table.ErrOutcomeUnknown), so that the command deletes nothing that
// commit may name (its sample of bad lines). Once the store answers again,
// the head is that commit.
func TestLostPublishAnswerIsAnUnknownOutcome(t *testing.T) {
	backends(t, func(t *testing.T, b table.Bucket) {
		ctx := context.Background()
		tb := table.NewOutput(b, "out/").Table("5m", false)
		d := "2025-11-08"
		lb := &lostPublish{Bucket: b}
		tbl := table.NewOutput(lb, "out/").Table("5m", false)
		c := &table.Committer{RunID: "r"}
		_, err := c.Commit(ctx, []*table.Partition{part(tbl, d, head(t, tb, d), 1, "parquet")})
		if !errors.Is(err, table.ErrOutcomeUnknown) {
			t.Errorf("commit whose publish landed unseen: %v, want ErrOutcomeUnknown", err)
		} else if !strings.Contains(err.Error(), "reading the head back: ") || strings.Count(err.Error(), errNetwork.Error()) < 2 {
			t.Errorf("commit whose publish landed unseen: %v, want the PUT's error and why the head could not be read back", err)
		}
		lb.heal()
		if m := checkBytesMatchManifest(t, b, tb, d); m.RunID != "r" {
			t.Errorf("head: run %s, want r's commit", m.RunID)
		}
	})
}

// lostRenewal is a store where, once armed, the next renewal of a claim
// (a manifest PUT carrying renewed_at: the command's background renewer,
// while its own path waits in Complete) lands with its answer lost, and
// the head cannot be read back in that call; then the store answers again
// and Complete goes on.
type lostRenewal struct {
	lostPublish
	armed chan struct{} // closed by Complete: the next renewal is lost
	lost  chan struct{} // closed once it was
	once  sync.Once
}

func (l *lostRenewal) Put(ctx context.Context, key string, r io.Reader, size int64, o storage.PutOptions) (storage.ObjectInfo, error) {
	if l.down() {
		return storage.ObjectInfo{}, errNetwork
	}
	body, err := io.ReadAll(r)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	info, err := l.lostPublish.Bucket.Put(ctx, key, bytes.NewReader(body), size, o)
	select {
	case <-l.armed:
		if err == nil && bytes.Contains(body, []byte(`"renewed_at"`)) && bytes.Contains(body, []byte(`"state": "claimed"`)) {
			lost := false
			l.once.Do(func() {
				l.mu.Lock()
				l.broken = true // landed, its answer lost, the head unreadable
				l.mu.Unlock()
				lost = true
			})
			if lost {
				return storage.ObjectInfo{}, errNetwork
			}
		}
	default:
	}
	return info, err
}

// readBack fails the renewer's read of the head after the lost renewal,
// then lets the store answer again.
func (l *lostRenewal) readBack() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.broken {
		return nil
	}
	l.broken = false
	close(l.lost)
	return errNetwork
}

func (l *lostRenewal) Stat(ctx context.Context, key string) (storage.ObjectInfo, error) {
	if err := l.readBack(); err != nil {
		return storage.ObjectInfo{}, err
	}
	return l.lostPublish.Bucket.Stat(ctx, key)
}

func (l *lostRenewal) Open(ctx context.Context, key string, off int64) (io.ReadCloser, error) {
	if err := l.readBack(); err != nil {
		return nil, err
	}
	return l.lostPublish.Bucket.Open(ctx, key, off)
}

func (l *lostRenewal) OpenListed(ctx context.Context, info storage.ObjectInfo, off, end int64) (io.ReadCloser, error) {
	if err := l.readBack(); err != nil {
		return nil, err
	}
	return l.lostPublish.Bucket.OpenListed(ctx, info, off, end)
}

func (l *lostRenewal) Complete(ctx context.Context, u storage.Upload, r io.Reader, size int64) (storage.ObjectInfo, error) {
	select {
	case <-l.armed:
	default:
		close(l.armed)
	}
	<-l.lost
	return l.lostPublish.Bucket.Complete(ctx, u, r, size)
}

// A renewal of a claim whose answer was lost (the store stopped answering
// for that call, so the renewer could not read the head back) changed the
// claim's ETag: the claim is still this command's, and its next write of
// the claim — here the final manifest — must go on against the claim as it
// now is, not take its own renewal for another command's commit (exit 4,
// "run r committed first", having replaced the data objects; the date then
// held by a claim no one renews until the lease runs out).
func TestLostRenewalAnswerKeepsTheClaim(t *testing.T) {
	backends(t, func(t *testing.T, b table.Bucket) {
		ctx := context.Background()
		tb := table.NewOutput(b, "out/").Table("5m", false)
		d := "2025-11-08"
		lb := &lostRenewal{lostPublish: lostPublish{Bucket: b}, armed: make(chan struct{}), lost: make(chan struct{})}
		tbl := table.NewOutput(lb, "out/").Table("5m", false)
		c := &table.Committer{RunID: "r", Lease: 80 * time.Millisecond}
		if _, err := c.Commit(ctx, []*table.Partition{part(tbl, d, head(t, tb, d), 1, "parquet")}); err != nil {
			t.Errorf("commit whose background renewal landed unseen: %v", err)
		}
		if m := checkBytesMatchManifest(t, b, tb, d); m.RunID != "r" {
			t.Errorf("head: run %s, want r's commit", m.RunID)
		}
	})
}
