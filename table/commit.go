package table

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/logsmith/logsmith/storage"
)

// Blob is one encoded data object of a partition.
type Blob struct {
	Format string
	Data   []byte
}

// Partition is one (table, date) a command commits: the head it read when
// it started, the manifest to publish (Files, State and the commit times
// are filled in by the committer) and the data in every format.
type Partition struct {
	Table    Table
	Date     string
	Head     Head
	Manifest *Manifest
	Blobs    []Blob
}

func (p *Partition) key() string { return p.Table.ManifestKey(p.Date) }

// Result is what happened to one partition.
type Result struct {
	Window string   `json:"window"`
	Date   string   `json:"date"`
	Status string   `json:"status"`
	RunID  string   `json:"run_id"`
	Rows   int      `json:"rows"`
	Files  []string `json:"files"`
	// FileURLs are Files as URLs, in the same order: what logsmith files
	// prints. The committer leaves it empty; a caller that knows the
	// store's URL fills it.
	FileURLs []string `json:"file_urls,omitempty"`
	// SnapshotID is the Iceberg snapshot that holds the partition (0 in
	// the hive layout): what a reader pins to read exactly these rows.
	SnapshotID int64 `json:"snapshot_id,omitempty"`
	// SnapshotIDStr is SnapshotID as a string: ids exceed 2^53, which
	// jq 1.6 and JavaScript round.
	SnapshotIDStr string `json:"snapshot_id_str,omitempty"`
}

// Partition outcomes.
const (
	StatusCommitted = "committed"
	StatusSkipped   = "skipped"   // already committed from the same inputs and config
	StatusLost      = "lost_race" // another run committed first
	StatusNotDone   = "not_committed"
)

// publishTimeout bounds publishing once data objects are being replaced,
// when it goes on after the command was cancelled.
const publishTimeout = 2 * time.Minute

// DefaultLease is how long a claim holds off other commands before it is
// taken to be abandoned (its command killed while publishing).
const DefaultLease = 10 * time.Minute

// Committer publishes the partitions of one command.
type Committer struct {
	RunID string
	// Retry calls fn until it succeeds or fails for good; nil calls it once.
	Retry func(ctx context.Context, what string, fn func(context.Context) error) error
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Lease: a claim younger than this is waited for, an older one is
	// taken over. DefaultLease when zero.
	Lease time.Duration
	// Poll is how often a live claim is re-read while waiting (1s when 0).
	Poll time.Duration
	Log  *slog.Logger
	// BeforePublish, when set, is called for each partition before the
	// command claims it (tests use it to line up races).
	BeforePublish func(ctx context.Context, date string)
	// AfterClaim, when set, is called once every partition is claimed and
	// before any data is written; an error from it releases the claims
	// and is returned (a command re-reads the output's head there: see
	// Output.Drop).
	AfterClaim func(ctx context.Context) error
	// ManifestLimit bounds the manifests the command writes; 0 means
	// MaxManifestBytes, and a larger one is MaxManifestBytes too (tests
	// lower it). A claim may take all of it, a commit's own manifest 2/5:
	// the claim of the commit after it holds both, the old one indented a
	// level deeper (~12% longer).
	ManifestLimit int
}

func (c *Committer) limit() int {
	if c.ManifestLimit <= 0 || c.ManifestLimit > MaxManifestBytes {
		return MaxManifestBytes
	}
	return c.ManifestLimit
}

// Placeholders as long as the longest ETag and version id a store gives a
// data object, for sizing a manifest before its files are written.
var (
	longETag    = strings.Repeat("e", 128)
	longVersion = strings.Repeat("v", 128)
)

// checkSizes refuses a claim m of key when any manifest the commit will
// write for it would be over the bound: the claim as renewed, and the
// commit's own manifest, with its time and its files' ETags and version
// ids, over 2/5 of the bound (so that the next commit's claim, holding it,
// fits). It runs before the command writes anything.
func (c *Committer) checkSizes(key string, m Manifest) error {
	// Times as long as any the later steps may write: RFC 3339 drops a
	// fraction's trailing zeros, so a renewal at another instant can be
	// longer than one sized now.
	now := c.now().Truncate(time.Second).Add(999999999)
	renewed := m
	renewed.RenewedAt = now
	for range m.Files { // each blob's upload, its ID as long as S3's may be
		renewed.Uploads = append(renewed.Uploads, storage.Upload{Key: key, ID: longETag})
	}
	if err := checkSize("claim "+key, renewed.Encode(), c.limit()); err != nil {
		return err
	}
	final := m
	final.State, final.Previous, final.CommittedAt = StateCommitted, nil, now
	final.Files = slices.Clone(m.Files)
	for i := range final.Files {
		final.Files[i].ETag, final.Files[i].VersionID = longETag, longVersion
	}
	return checkSize("commit "+key+" (2/5 of the bound, so that the next commit's claim fits)", final.Encode(), c.limit()*2/5)
}

func (c *Committer) retry(ctx context.Context, what string, fn func(context.Context) error) error {
	if c.Retry == nil {
		return fn(ctx)
	}
	return c.Retry(ctx, what, fn)
}

func (c *Committer) now() time.Time {
	if c.Now == nil {
		return time.Now().UTC()
	}
	return c.Now().UTC()
}

func (c *Committer) log() *slog.Logger {
	if c.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Log
}

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

// Commit publishes parts: claims every partition against the head read at
// the start, in key order; then replaces each partition's data objects and
// publishes its final manifest. If a claim fails because a head changed,
// the claims already made are released, no data is written, and the error
// wraps ErrLostRace. The results say what happened to each partition, in
// key order (table folder, then date); a
// storage failure while publishing can leave the partitions before it
// committed and those after it as they were, each whole.
func (c *Committer) Commit(ctx context.Context, parts []*Partition) ([]Result, error) {
	parts = slices.Clone(parts)
	slices.SortFunc(parts, func(a, b *Partition) int { return cmp.Compare(a.key(), b.key()) })
	results := make([]Result, len(parts))
	for i, p := range parts {
		results[i] = Result{Window: p.Manifest.Window, Date: p.Date, Status: StatusNotDone, RunID: c.RunID, Rows: p.Manifest.Rows}
	}
	for i, p := range parts {
		if i > 0 && p.key() == parts[i-1].key() {
			return results, fmt.Errorf("commit %s: the partition is given twice", p.key())
		}
	}
	// Every claim the command holds is renewed while it works — while it
	// waits for another command's claim of a later partition, and while
	// it publishes the earlier ones — so that no one takes over a claim
	// of a command that is alive.
	var (
		mu     sync.Mutex // guards claims and serializes their manifest writes
		claims []*claimed
	)
	rctx := context.WithoutCancel(ctx)
	stop := keepRenewing(renewEvery(c.Lease), func() {
		mu.Lock()
		defer mu.Unlock()
		for _, cl := range claims {
			if cl.done || time.Since(cl.renewed) < renewEvery(c.Lease) {
				continue
			}
			if err := c.renewLocked(rctx, cl, cl.claim.Uploads); err != nil {
				// Taken over (or the store failing): the command's own
				// next write of it fails the same way and says so.
				c.log().Warn("renew claim", "key", cl.p.key(), "error", err)
				cl.done = true
			}
		}
	})
	defer stop()
	for i, p := range parts {
		if c.BeforePublish != nil {
			c.BeforePublish(ctx, p.Date)
		}
		cl, err := c.claim(ctx, p)
		if err != nil {
			c.release(ctx, claims)
			if errors.Is(err, ErrLostRace) {
				results[i].Status = StatusLost
			}
			return results, err
		}
		cl.mu = &mu
		mu.Lock()
		claims = append(claims, &cl)
		mu.Unlock()
	}
	if c.AfterClaim != nil && len(claims) > 0 {
		if err := c.AfterClaim(ctx); err != nil {
			c.release(ctx, claims)
			if errors.Is(err, ErrLostRace) {
				for i := range results {
					results[i].Status = StatusLost
				}
			}
			return results, err
		}
	}
	// Cancelled before any data is replaced: give the partitions back.
	// After that, finish publishing whatever the signal: a claim left
	// behind would hold off other runs for the lease.
	if err := ctx.Err(); err != nil {
		c.release(ctx, claims)
		return results, err
	}
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), publishTimeout)
	defer cancel()
	for i := range claims {
		keys, err := c.publish(pctx, claims[i])
		if err != nil {
			c.release(ctx, claims[i+1:])
			if errors.Is(err, ErrLostRace) {
				results[i].Status = StatusLost
			}
			return results, err
		}
		results[i].Status, results[i].Files = StatusCommitted, keys
		c.log().Info("committed", "window", claims[i].p.Manifest.Window, "date", claims[i].p.Date, "run_id", c.RunID, "rows", claims[i].p.Manifest.Rows)
	}
	return results, nil
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
	})
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

// conditionalPut writes a manifest if the head is still ifMatch ("" for
// none). The PUT may fail, or succeed with its answer lost: after any
// failure, the manifest now in place decides (ours tells it is ours).
func (c *Committer) conditionalPut(ctx context.Context, what string, t Table, date string, body []byte, ifMatch string, ours func(*Manifest) bool) (string, error) {
	key := t.ManifestKey(date)
	if err := checkSize(what, body, c.limit()); err != nil {
		return "", err
	}
	opts := storage.PutOptions{IfMatch: ifMatch, IfNoneMatch: ifMatch == "", ContentType: "application/json"}
	var etag string
	var lostErr error
	err := c.retry(ctx, what, func(ctx context.Context) error {
		info, err := t.Bucket.Put(ctx, key, bytes.NewReader(body), int64(len(body)), opts)
		if err == nil {
			etag = info.ETag
			return nil
		}
		cur, rerr := t.ReadHead(ctx, date)
		switch {
		case rerr == nil && cur.Manifest != nil && ours(cur.Manifest):
			etag = cur.ETag
			return nil
		case rerr == nil && cur.ETag != ifMatch:
			// Final whatever Retry takes for transient: no attempt
			// can win back a head another command changed.
			lostErr = lost(key, cur)
			return nil
		}
		return err // the head is unchanged: try the PUT again
	})
	if err == nil && lostErr != nil {
		return "", lostErr
	}
	if err == nil {
		return etag, nil
	}
	if errors.Is(err, ErrLostRace) || errors.Is(err, context.Canceled) {
		return "", err
	}
	if errors.Is(err, storage.ErrPrecondition) {
		return "", fmt.Errorf("%s: %w", what, ErrLostRace)
	}
	return "", fmt.Errorf("%s: %w", what, err)
}

// publish replaces cl's data objects, then publishes the final manifest
// against the claim. It returns the data keys.
//
// Every data object is written through an upload (storage.Upload) that
// the claim records before any byte is sent: a command that takes the
// claim over aborts those uploads before it writes, so a write of ours
// can land only while the claim is ours, whatever its ETag conditions
// would allow (an object the new owner left in place, having the same
// bytes, keeps its ETag). A format this commit no longer has is left to
// GC, which removes it under its own claim right after the commit: a
// delete cannot be fenced so.
func (c *Committer) publish(ctx context.Context, cl *claimed) ([]string, error) {
	p := cl.p
	m := *p.Manifest
	m.ManifestVersion, m.State, m.RunID = ManifestVersion, StateCommitted, c.RunID
	cl.mu.Lock()
	claim := cl.claim // its files and claim time; renewals change neither
	cl.mu.Unlock()
	m.ClaimedAt, m.Supersedes, m.Previous = claim.ClaimedAt, claim.Supersedes, nil
	m.Files = nil
	uploads := make([]storage.Upload, 0, len(p.Blobs))
	abort := func() { // ours, on failure: a taker-over would abort them too
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		for _, u := range uploads {
			if err := p.Table.Bucket.Abort(actx, u); err != nil {
				c.log().Warn("abort upload", "key", u.Key, "error", err)
			}
		}
	}
	for _, b := range p.Blobs {
		key := p.Table.DataKey(p.Date, b.Format)
		var u storage.Upload
		if err := c.retry(ctx, "begin "+key, func(ctx context.Context) (err error) {
			u, err = p.Table.Bucket.Begin(ctx, key)
			return err
		}); err != nil {
			abort()
			return nil, fmt.Errorf("write %s: %w", key, err)
		}
		uploads = append(uploads, u)
	}
	// Record the uploads in the claim: this renewal fails if the claim was
	// taken over, and once it is in, a taker-over aborts them.
	if err := c.renewUploads(ctx, cl, uploads); err != nil {
		abort()
		return nil, err
	}
	var keys []string
	for i, b := range p.Blobs {
		key, u, f := uploads[i].Key, uploads[i], claim.Files[i]
		info, err := c.writeData(ctx, cl, key, u, f, b.Data)
		if err != nil {
			abort()
			return keys, err
		}
		if info.Size != f.Size {
			abort()
			return keys, fmt.Errorf("verify %s: stored %d bytes, wrote %d", key, info.Size, f.Size)
		}
		f.ETag, f.VersionID = info.ETag, info.VersionID
		m.Files = append(m.Files, f)
		keys = append(keys, key)
	}
	cl.mu.Lock()
	defer cl.mu.Unlock()
	m.CommittedAt = c.now()
	body := m.Encode()
	_, err := c.conditionalPut(ctx, "publish "+p.key(), p.Table, p.Date, body, cl.etag, func(cur *Manifest) bool {
		return cur.State == StateCommitted && cur.RunID == c.RunID && cur.CommittedAt.Equal(m.CommittedAt)
	})
	cl.done = true
	return keys, err
}

// writeData puts data at key through u, unless the object in place already
// holds exactly f's bytes (a rerun of the same inputs, or a write whose
// answer was lost): since only uploads of the claim's holder can land,
// that object stays as it is until this command publishes.
func (c *Committer) writeData(ctx context.Context, cl *claimed, key string, u storage.Upload, f File, data []byte) (storage.ObjectInfo, error) {
	t := cl.p.Table
	var info storage.ObjectInfo
	skipped := false
	err := c.retry(ctx, "write "+key, func(ctx context.Context) error {
		cur, err := t.Bucket.Stat(ctx, key)
		switch {
		case err == nil && cur.Size == f.Size && c.sameContent(ctx, t, key, f.SHA256):
			info, skipped = cur, true
			return nil
		case err != nil && !errors.Is(err, storage.ErrNotExist):
			return err
		}
		// Stalled since the renewal (a slow Stat, a retry's backoff)?
		// Renew again before writing, so waiters keep waiting: the lease
		// may be running out.
		cl.mu.Lock()
		stale := time.Since(cl.renewed) > renewEvery(c.Lease)
		cl.mu.Unlock()
		if stale {
			if err := c.renew(ctx, cl); err != nil {
				return err
			}
		}
		info, err = t.Bucket.Complete(ctx, u, bytes.NewReader(data), int64(len(data)))
		if !errors.Is(err, storage.ErrPrecondition) {
			return err
		}
		// The upload is gone: taken over and aborted (then the claim is
		// no longer ours), or completed with its answer lost.
		if err := c.renew(ctx, cl); err != nil {
			return err
		}
		if cur, err := t.Bucket.Stat(ctx, key); err == nil && cur.Size == f.Size && c.sameContent(ctx, t, key, f.SHA256) {
			info = cur
			return nil
		}
		return fmt.Errorf("write %s: the upload is gone while the claim is ours: %w", key, errUploadGone)
	})
	switch {
	case errors.Is(err, ErrLostRace):
		return info, err
	case err != nil:
		return info, fmt.Errorf("write %s: %w", key, err)
	}
	if skipped { // the bytes were in place: end the upload unused
		if err := t.Bucket.Abort(ctx, u); err != nil {
			c.log().Warn("abort upload", "key", key, "error", err)
		}
	}
	return info, nil
}

// errUploadGone is an upload aborted by no one who took the claim over
// (a store that expires uploads, a GC of temporary files): no retry helps.
var errUploadGone error = permanentError("upload aborted")

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
	})
	if err != nil {
		return err
	}
	cl.etag, cl.claim, cl.renewed = etag, &m, time.Now()
	return nil
}

// sameContent reports whether the object at key hashes to sum.
func (c *Committer) sameContent(ctx context.Context, t Table, key, sum string) bool {
	got, err := hashObject(ctx, t.Bucket, key)
	return err == nil && got == sum
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
