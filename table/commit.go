package table

import (
	"bytes"
	"cmp"
	"context"
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
				// Taken over: the command's own next write of it fails
				// the same way and says so. The store failing (the
				// answer lost, maybe landed): the claim may still be
				// ours, and the next renewal finds it.
				c.log().Warn("renew claim", "key", cl.p.key(), "error", err)
				cl.done = errors.Is(err, ErrLostRace)
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

// conditionalPut writes a manifest if the head is still ifMatch ("" for
// none). The PUT may fail, or succeed with its answer lost: after any
// failure, the manifest now in place decides (ours tells it is ours).
// held, when given, tells this command's claim as an earlier write of it
// may have left it — a renewal whose answer was lost, so its ETag is not
// ifMatch: such a head is still ours, and the PUT is made against it.
func (c *Committer) conditionalPut(ctx context.Context, what string, t Table, date string, body []byte, ifMatch string, ours, held func(*Manifest) bool) (string, error) {
	key := t.ManifestKey(date)
	if err := checkSize(what, body, c.limit()); err != nil {
		return "", err
	}
	var etag string
	var lostErr error
	var readErr error // the last PUT failed and the head could not be read: why
	err := c.retry(ctx, what, func(ctx context.Context) error {
		for follow := 0; ; follow++ {
			opts := storage.PutOptions{IfMatch: ifMatch, IfNoneMatch: ifMatch == "", ContentType: "application/json"}
			info, err := t.Bucket.Put(ctx, key, bytes.NewReader(body), int64(len(body)), opts)
			if err == nil {
				etag, readErr = info.ETag, nil
				return nil
			}
			cur, rerr := t.ReadHead(ctx, date)
			readErr = rerr
			switch {
			case rerr == nil && cur.Manifest != nil && ours(cur.Manifest):
				etag = cur.ETag
				return nil
			case rerr == nil && cur.ETag != ifMatch && held != nil && cur.Manifest != nil && held(cur.Manifest) && follow < maxFollow:
				// Our claim still, as a write of it whose answer was
				// lost left it: write against it.
				ifMatch = cur.ETag
				continue
			case rerr == nil && cur.ETag != ifMatch:
				// Final whatever Retry takes for transient: no attempt
				// can win back a head another command changed.
				lostErr = lost(key, cur)
				return nil
			}
			return err // the head is unchanged: try the PUT again
		}
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
	if errors.Is(err, storage.ErrPrecondition) && readErr == nil {
		return "", fmt.Errorf("%s: %w", what, ErrLostRace)
	}
	if readErr != nil {
		// The PUT may have landed: the caller must not act as if it
		// did not (delete what the manifest names).
		return "", fmt.Errorf("%s: %w: %w (and reading the head back: %v)", what, ErrOutcomeUnknown, err, readErr)
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
// GC, which removes it under its own claim right after the commit,
// naming the object it noted there (see deleteDecided).
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
	}, c.heldBy(claim))
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
		case err == nil && cur.Size == f.Size && inForce(cl, key, cur) && c.sameContent(ctx, t, key, f.SHA256):
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

// inForce reports whether cur, the object in place at key, is one the
// commit in force lists: only such an object may stay as this command's.
// One it does not list is garbage however equal its bytes, and a GC that
// decided to delete it may be stopped just before its delete: a new
// object at the key (a new file, a new version) is one that delete
// cannot remove.
func inForce(cl *claimed, key string, cur storage.ObjectInfo) bool {
	cl.mu.Lock() // the renewer replaces cl.claim
	prev := cl.claim.Previous
	cl.mu.Unlock()
	if prev == nil {
		return false
	}
	rel := strings.TrimPrefix(key, cl.p.Table.PartitionPrefix(cl.p.Date))
	return slices.ContainsFunc(prev.Files, func(f File) bool {
		return f.Path == rel && f.ETag == cur.ETag && (f.VersionID == "" || cur.VersionID == "" || f.VersionID == cur.VersionID)
	})
}

// errUploadGone is an upload aborted by no one who took the claim over
// (a store that expires uploads, a GC of temporary files): no retry helps.
var errUploadGone error = permanentError("upload aborted")

// sameContent reports whether the object at key hashes to sum.
func (c *Committer) sameContent(ctx context.Context, t Table, key, sum string) bool {
	got, err := hashObject(ctx, t.Bucket, key)
	return err == nil && got == sum
}
