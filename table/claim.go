package table

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/logsmith/logsmith/storage"
)

// claimed is a partition this command holds a claim on.
type claimed struct {
	p *Partition
	// mu serializes the writes of the claim's manifest (renewals, the
	// publish, the release) between the command's path and its renewer:
	// each is conditional on the ETag the one before gave.
	mu      *sync.Mutex
	etag    string    // of our claim manifest
	claim   *Manifest // our claim manifest
	renewed time.Time // when this command last wrote it, on its own clock
	done    bool      // published or released: no longer renewed
}

// renewEvery is how often a command renews the claims it holds while it
// works: well within the lease other commands wait out, so that none of
// them takes over a claim whose command is alive.
func renewEvery(lease time.Duration) time.Duration {
	return max(cmp.Or(lease, DefaultLease)/4, 20*time.Millisecond)
}

// keepRenewing calls renew every interval until the returned stop is
// called (stop waits for a call under way).
func keepRenewing(interval time.Duration, renew func()) (stop func()) {
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				renew()
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

// claim publishes a claim manifest for p against the head read at start.
// p.Head's commit in force (its CommitID) is the one the command started
// from: any head that still has it in force is claimable once no other
// command's live claim holds it; any other head means another command
// committed since, and the command lost.
func (c *Committer) claim(ctx context.Context, p *Partition) (claimed, error) {
	// A claim refused because the head changed only in who holds the same
	// commit (a claim given up, GC's claim put back, on a local folder
	// with a new ETag) follows the new head, a bounded number of times.
	for attempt := 0; ; attempt++ {
		if err := c.waitForClaim(ctx, p); err != nil {
			return claimed{}, err
		}
		cl, err := c.claimOnce(ctx, p)
		if errors.Is(err, ErrLostRace) && attempt < maxFollow {
			var cur Head
			if rerr := c.retry(ctx, "read "+p.key(), func(ctx context.Context) (err error) {
				cur, err = p.Table.ReadHead(ctx, p.Date)
				return err
			}); rerr == nil && cur.ETag != p.Head.ETag && cur.CommitID() == p.Head.CommitID() {
				p.Head = cur
				continue
			}
		}
		return cl, err
	}
}

// maxFollow bounds how often a claim follows a head that changed with the
// same commit in force.
const maxFollow = 50

func (c *Committer) claimOnce(ctx context.Context, p *Partition) (claimed, error) {
	key := p.key()
	head := p.Head
	m := *p.Manifest
	m.ManifestVersion, m.State, m.RunID = ManifestVersion, StateClaimed, c.RunID
	m.ClaimedAt, m.CommittedAt = c.now(), time.Time{}
	m.Files = nil
	for _, b := range p.Blobs {
		sum := sha256.Sum256(b.Data)
		m.Files = append(m.Files, File{Path: dataBase + b.Format, Format: b.Format, Size: int64(len(b.Data)), Rows: m.Rows, SHA256: hex.EncodeToString(sum[:])})
	}
	m.Previous = nil
	if prev := head.Manifest.Committed(); prev != nil {
		pc := *prev
		pc.Previous = nil
		m.Previous = &pc
		m.Supersedes = pc.RunID
	}
	// Taking over a claim: its command may still be alive (stopped, not
	// dead) with data writes begun. Record them in our claim before
	// anything else, so that whoever takes ours over aborts them too.
	m.Uploads, m.Abandoned = nil, nil
	if prev := head.Manifest; prev != nil && prev.State == StateClaimed {
		m.Abandoned = append(slices.Clone(prev.Uploads), prev.Abandoned...)
	}
	if err := c.checkSizes(key, m); err != nil {
		return claimed{}, err
	}
	body := m.Encode()
	etag, err := c.conditionalPut(ctx, "claim "+key, p.Table, p.Date, body, head.ETag, func(cur *Manifest) bool {
		return cur.State == StateClaimed && cur.RunID == c.RunID && cur.ClaimedAt.Equal(m.ClaimedAt)
	}, nil)
	if err != nil {
		return claimed{}, err
	}
	// The fence: once these are aborted, none of the earlier claimant's
	// writes can land, however late it resumes. Until then our claim
	// holds them, for whoever takes it over if we die here.
	for _, u := range m.Abandoned {
		if err := c.retry(ctx, "abort "+u.Key, func(ctx context.Context) error { return p.Table.Bucket.Abort(ctx, u) }); err != nil {
			return claimed{}, fmt.Errorf("fence off the writes of the claim taken over: %w", err)
		}
	}
	return claimed{p: p, etag: etag, claim: &m, renewed: time.Now()}, nil
}

// waitForClaim waits while p's head is another command's live claim —
// a run's, a merge's or GC's, met at any point — until the head is
// claimable: the claim published (then we lost: another commit is in
// force), given up or put back (the commit we started from is still in
// force: claim it), or seen unchanged for the lease (its holder is taken
// to be dead: take it over). A claim that is renewed (a new ETag, the
// same holder and claim time) is waited for again: its holder is alive.
func (c *Committer) waitForClaim(ctx context.Context, p *Partition) error {
	start := p.Head.CommitID()
	lease := cmp.Or(c.Lease, DefaultLease)
	poll := cmp.Or(c.Poll, time.Second)
	// The lease runs on this command's own clock, from when it first saw
	// the claim as it is: no clock of another machine is compared.
	seen := time.Now()
	for {
		m := p.Head.Manifest
		if m == nil || m.State != StateClaimed || m.RunID == c.RunID || !m.ReleasedAt.IsZero() {
			return nil // no claim, ours (a retried merge) or given up
		}
		if time.Since(seen) >= lease {
			c.log().Warn("taking over an abandoned claim", "date", p.Date, "run_id", m.RunID, "claimed_at", m.ClaimedAt, "renewed_at", m.RenewedAt)
			return nil
		}
		c.log().Info("waiting for another command's claim", "date", p.Date, "run_id", m.RunID, "claimed_at", m.ClaimedAt)
		t := time.NewTimer(min(poll, max(lease-time.Since(seen), time.Millisecond)))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		var cur Head
		err := c.retry(ctx, "read "+p.key(), func(ctx context.Context) (err error) {
			cur, err = p.Table.ReadHead(ctx, p.Date)
			return err
		})
		if err != nil {
			return err
		}
		if cur.ETag == p.Head.ETag {
			continue
		}
		if cur.CommitID() != start {
			return lost(p.key(), cur)
		}
		// Renewed, taken over, given up or put back: a new state of the
		// same commit in force, judged afresh.
		p.Head, seen = cur, time.Now()
	}
}

func lost(key string, cur Head) error {
	winner := "unknown"
	if cur.Manifest != nil {
		winner = cur.Manifest.RunID
	}
	return fmt.Errorf("commit %s: run %s committed first: %w", key, winner, ErrLostRace)
}

// renew rewrites cl's claim with a new renewal time, conditional on the
// claim as last written: it fails with ErrLostRace when another command
// took the partition over, and gives a waiting command a new ETag, so its
// lease starts again.
func (c *Committer) renew(ctx context.Context, cl *claimed) error {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return c.renewLocked(ctx, cl, cl.claim.Uploads)
}

// renewUploads renews cl's claim recording uploads as its own; the
// uploads of a claim it took over are aborted by then, and dropped.
func (c *Committer) renewUploads(ctx context.Context, cl *claimed, uploads []storage.Upload) error {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return c.renewLocked(ctx, cl, uploads)
}

// renewLocked is renewUploads with cl.mu held.
func (c *Committer) renewLocked(ctx context.Context, cl *claimed, uploads []storage.Upload) error {
	m := *cl.claim
	m.RenewedAt = c.now()
	m.Uploads, m.Abandoned = uploads, nil
	etag, err := c.conditionalPut(ctx, "renew the claim of "+cl.p.key(), cl.p.Table, cl.p.Date, m.Encode(), cl.etag, func(cur *Manifest) bool {
		return cur.State == StateClaimed && cur.RunID == c.RunID && cur.RenewedAt.Equal(m.RenewedAt)
	}, c.heldBy(cl.claim))
	if err != nil {
		return err
	}
	cl.etag, cl.claim, cl.renewed = etag, &m, time.Now()
	return nil
}

// heldBy tells a head that is still claim, this command's claim, in any
// renewal of it: the same run id and claim time (a taker-over's claim, a
// retried command's too, has another), not given up.
func (c *Committer) heldBy(claim *Manifest) func(*Manifest) bool {
	return func(cur *Manifest) bool {
		return cur.State == StateClaimed && cur.RunID == c.RunID && cur.ClaimedAt.Equal(claim.ClaimedAt) && cur.ReleasedAt.IsZero()
	}
}

// release undoes claims whose data was not written: each partition's
// manifest goes back to the commit it had (or away, if it had none),
// provided our claim is still its head. It runs even when ctx is done.
func (c *Committer) release(ctx context.Context, claims []*claimed) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	for i := len(claims) - 1; i >= 0; i-- {
		cl := claims[i]
		cl.mu.Lock()
		c.releaseLocked(ctx, cl)
		cl.mu.Unlock()
	}
}

// releaseLocked gives cl back, with cl.mu held.
func (c *Committer) releaseLocked(ctx context.Context, cl *claimed) {
	cl.done = true
	key := cl.p.key()
	// Both are conditional on our claim: a delete could not be, and a
	// command stopped here and resuming after a takeover would remove the
	// new owner's manifest.
	body := cl.p.Head.raw
	if !cl.p.Head.Exists() || cl.p.Head.Manifest.State == StateClaimed {
		// No commit to put back (or the claim we took over, which must
		// not come back): say the claim is given up.
		m := *cl.claim
		m.ReleasedAt, m.Uploads = c.now(), nil
		body = m.Encode()
	}
	_, err := cl.p.Table.Bucket.Put(ctx, key, bytes.NewReader(body), int64(len(body)), storage.PutOptions{IfMatch: cl.etag, ContentType: "application/json"})
	if err != nil && !errors.Is(err, storage.ErrNotExist) {
		c.log().Warn("release claim", "key", key, "error", err)
	}
}
