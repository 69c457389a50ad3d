package table

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/logsmith/logsmith/storage"
)

// GCOptions say what a garbage collection removes.
type GCOptions struct {
	Now time.Time
	// Grace: superseded files of the version 1 layout, abandoned shard
	// partials and temporary files of killed writes are removed once
	// older than this.
	Grace time.Duration
	// RejectsRetention: samples of bad lines older than this are removed;
	// 0 keeps them.
	RejectsRetention time.Duration
	// Dates limits the partitions looked at (all when empty); rejects,
	// partials and temporary files are always looked at whole.
	Dates []string
	// DryRun: report in Deleted what would be removed and remove nothing
	// (not even a claim of a partition's head is written). Temporary
	// files of killed writes are not looked at.
	DryRun bool
}

// GCResult reports what a garbage collection removed.
type GCResult struct {
	Deleted []string `json:"deleted"` // keys or folders (ending in /)
	Kept    []string `json:"kept"`    // uncommitted folders within their grace period
	// DryRun: Deleted lists what would have been removed; nothing was.
	DryRun bool `json:"dry_run,omitempty"`
}

// GC removes what no committed manifest needs: data objects of formats the
// partition's commit no longer has, run=ID folders of the version 1 layout
// that the manifest does not reference, rejects past retention, partials
// of sharded runs never merged, and temporary files of killed writes. It
// never removes a partition's manifest or the data objects it lists, and
// re-reads a partition's head just before deleting anything in it.
func (o Output) GC(ctx context.Context, opts GCOptions) (_ *GCResult, err error) {
	res := &GCResult{DryRun: opts.DryRun}
	tables, err := o.Tables(ctx)
	if err != nil {
		return res, err
	}
	// A partition GC cannot claim (its manifest over the bound) is
	// reported, and the other partitions and folders are still collected.
	var skipped []error
	for _, t := range tables {
		dates := opts.Dates
		if len(dates) == 0 {
			if dates, err = t.Dates(ctx); err != nil {
				return res, err
			}
		}
		for _, d := range dates {
			if err := t.gcPartition(ctx, d, opts, res); errors.Is(err, ErrManifestTooLarge) {
				skipped = append(skipped, err)
			} else if err != nil {
				return res, err
			}
		}
	}
	defer func() {
		if len(skipped) > 0 && err == nil {
			err = errors.Join(skipped...)
		}
	}()
	if opts.RejectsRetention > 0 {
		if err := o.gcOlder(ctx, o.Prefix+rejectsDir, opts.Now.Add(-opts.RejectsRetention), 2, opts.DryRun, res); err != nil {
			return res, err
		}
	}
	if err := o.gcOlder(ctx, o.Prefix+partialsDir, opts.Now.Add(-opts.Grace), 2, opts.DryRun, res); err != nil {
		return res, err
	}
	if tc, ok := o.Bucket.(tempCollector); ok && !opts.DryRun {
		if _, err := tc.RemoveStaleTemp(ctx, o.Prefix, opts.Now.Add(-opts.Grace)); err != nil {
			return res, err
		}
	}
	return res, nil
}

// gcPartition removes what t's partition of date holds beyond its commit.
func (t Table) gcPartition(ctx context.Context, date string, opts GCOptions, res *GCResult) (err error) {
	prefix := t.PartitionPrefix(date)
	// Group the objects: data objects by name, old run folders by name.
	folders := map[string]time.Time{} // run=ID/ -> newest object
	loose := map[string]storage.ObjectInfo{}
	err = t.Bucket.List(ctx, prefix, func(o storage.ObjectInfo) error {
		rel := o.Key[len(prefix):]
		if dir, _, ok := strings.Cut(rel, "/"); ok {
			if o.Modified.After(folders[dir+"/"]) {
				folders[dir+"/"] = o.Modified
			}
			return nil
		}
		if rel != ManifestName {
			loose[rel] = o
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("gc list %s: %w", prefix, err)
	}
	if len(folders) == 0 && len(loose) == 0 {
		return nil
	}
	h, err := t.ReadHead(ctx, date)
	if err != nil {
		return err
	}
	m := h.Manifest
	if m == nil || m.State == StateClaimed {
		return nil // uncommitted or being published: nothing is surely unused
	}
	listed := func(rel string) bool {
		return slices.ContainsFunc(m.Files, func(f File) bool { return f.Path == rel || strings.HasPrefix(f.Path, rel) })
	}
	// Unlisted files go once both they and the commit that stopped
	// listing them are older than the grace period: readers that started
	// before the commit may still be reading them.
	expired := func(modified time.Time) bool {
		return opts.Now.Sub(modified) > opts.Grace && opts.Now.Sub(m.CommittedAt) > opts.Grace
	}
	// A data object of a format the commit does not have holds another
	// commit's rows (one before it, or a writer's fenced off by the
	// commit's claim, completed before the fence): a glob would read
	// it beside this commit's. It goes at once.
	dataObject := func(rel string) bool {
		return slices.ContainsFunc(Formats, func(f string) bool { return rel == dataBase+f })
	}
	var drop []string
	for rel, o := range loose {
		if !listed(rel) {
			if dataObject(rel) || expired(o.Modified) {
				drop = append(drop, rel)
			} else {
				res.Kept = append(res.Kept, prefix+rel)
			}
		}
	}
	for dir, newest := range folders {
		if listed(dir) {
			continue
		}
		if expired(newest) {
			drop = append(drop, dir)
		} else {
			res.Kept = append(res.Kept, prefix+dir)
		}
	}
	if len(drop) == 0 {
		return nil
	}
	if opts.DryRun {
		slices.Sort(drop)
		for _, rel := range drop {
			res.Deleted = append(res.Deleted, prefix+rel)
		}
		return nil
	}
	// A command may commit at any moment, and its first write is a claim
	// of the head. GC claims the head too, so that no command writes in
	// the partition while GC deletes: it deletes nothing if the head
	// changed since it was read, and puts the manifest back byte for byte
	// after. Its claim is a claim like any (issue 24 item 5): renewed
	// while GC works, and taken over by a command that saw it unchanged
	// for its lease (a GC killed or stopped), after which GC deletes
	// nothing more and leaves the head to its new holder.
	claim := gcClaimOf(m, opts.Now)
	body := claim.Encode()
	if err := checkSize("gc claim "+t.ManifestKey(date), body, MaxManifestBytes); err != nil {
		return err
	}
	info, err := t.Bucket.Put(ctx, t.ManifestKey(date), bytes.NewReader(body), int64(len(body)), storage.PutOptions{IfMatch: h.ETag, ContentType: "application/json"})
	if err != nil {
		// The answer may be lost while the PUT landed (and a retry of it
		// refused, ErrPrecondition): the head decides.
		if cur, rerr := t.ReadHead(ctx, date); rerr == nil && cur.gcClaim() && cur.Manifest.ClaimedAt.Equal(claim.ClaimedAt) {
			info, err = storage.ObjectInfo{ETag: cur.ETag}, nil
		}
	}
	if errors.Is(err, storage.ErrPrecondition) {
		return nil // changed under us: the next collection decides
	}
	if err != nil {
		return fmt.Errorf("gc claim %s: %w", t.ManifestKey(date), err)
	}
	g := &gcHold{t: t, date: date, claim: claim, etag: info.ETag, renewed: time.Now()}
	rctx := context.WithoutCancel(ctx)
	stop := keepRenewing(gcRenewEvery, func() { g.renew(rctx, false) })
	defer func() {
		stop()
		rctx, cancel := context.WithTimeout(rctx, 30*time.Second)
		defer cancel()
		if rerr := g.putBack(rctx, h.raw); rerr != nil && err == nil {
			err = rerr
		}
	}()
	slices.Sort(drop)
	for _, rel := range drop {
		// A data object sits at a key a later commit writes again: GC
		// notes which object is there, then renews its claim, then
		// deletes that object only (see docs/output.md, Fencing). The
		// renewal proves no one took the claim over before it, so the
		// object noted is the garbage GC decided on, and a delete that
		// lands late finds another object (the new owner's) and removes
		// nothing. Anything else is checked against the claim as held.
		var info storage.ObjectInfo
		if !strings.HasSuffix(rel, "/") {
			if info, err = t.Bucket.Stat(ctx, prefix+rel); errors.Is(err, storage.ErrNotExist) {
				continue
			} else if err != nil {
				return fmt.Errorf("gc %s: %w", prefix+rel, err)
			}
		}
		if !g.renew(ctx, dataObject(rel)) {
			return nil // taken over: the next collection decides
		}
		if strings.HasSuffix(rel, "/") {
			err = deletePrefix(ctx, t.Bucket, prefix+rel, g.held)
		} else {
			err = deleteDecided(ctx, t.Bucket, info)
		}
		if errors.Is(err, errTakenOver) || errors.Is(err, storage.ErrPrecondition) {
			return nil // taken over, and written since: the next collection decides
		}
		if err != nil {
			return fmt.Errorf("gc %s: %w", prefix+rel, err)
		}
		res.Deleted = append(res.Deleted, prefix+rel)
	}
	return nil
}

// gcRenewEvery is how often GC renews a claim it holds: a quarter of the
// shortest lease a command may wait out (1s), so that no command takes
// over the claim of a GC that is alive, whatever its --commit-lease.
const gcRenewEvery = 250 * time.Millisecond

// errTakenOver stops a GC whose claim a command took over.
var errTakenOver = errors.New("gc claim taken over")

// gcHold is GC's claim of one partition while it deletes.
type gcHold struct {
	mu      sync.Mutex // one write of the claim at a time
	t       Table
	date    string
	claim   Manifest
	etag    string
	renewed time.Time
	lost    bool
}

// renew rewrites the claim (a new ETag: commands waiting for it wait
// again) when due, or now; it reports whether GC still holds it.
func (g *gcHold) renew(ctx context.Context, now bool) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.lost {
		return false
	}
	if !now && time.Since(g.renewed) < gcRenewEvery {
		return true
	}
	m := g.claim
	m.RenewedAt = time.Now().UTC()
	body := m.Encode()
	info, err := g.t.Bucket.Put(ctx, g.t.ManifestKey(g.date), bytes.NewReader(body), int64(len(body)), storage.PutOptions{IfMatch: g.etag, ContentType: "application/json"})
	if err != nil {
		// The answer may be lost while the PUT landed (and a retry of it
		// refused): the head decides.
		if cur, rerr := g.t.ReadHead(ctx, g.date); rerr == nil && cur.gcClaim() && cur.Manifest.RenewedAt.Equal(m.RenewedAt) {
			info, err = storage.ObjectInfo{ETag: cur.ETag}, nil
		}
	}
	if err != nil { // taken over (or unknown): GC deletes nothing more
		g.lost = true
		return false
	}
	g.etag, g.renewed = info.ETag, time.Now()
	return true
}

// held reports whether GC still holds its claim, as last renewed.
func (g *gcHold) held() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return !g.lost
}

// putBack puts the commit back, byte for byte, if GC's claim is still the
// head; a claim taken over is left to its new holder.
func (g *gcHold) putBack(ctx context.Context, raw []byte) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.lost {
		return nil
	}
	g.lost = true
	_, err := g.t.Bucket.Put(ctx, g.t.ManifestKey(g.date), bytes.NewReader(raw), int64(len(raw)), storage.PutOptions{IfMatch: g.etag, ContentType: "application/json"})
	if err != nil && !errors.Is(err, storage.ErrPrecondition) {
		return fmt.Errorf("gc release %s: %w", g.t.ManifestKey(g.date), err)
	}
	return nil
}

// gcClaimOf is GC's claim of the head m: the commit in force (Previous)
// and what says who claims it, nothing twice, so that it is never much
// larger than m and fits the bound whenever m does.
func gcClaimOf(m *Manifest, now time.Time) Manifest {
	return Manifest{
		ManifestVersion: m.ManifestVersion, State: StateClaimed, RunID: gcRunID, ClaimedAt: now.UTC(),
		SchemaVersion: m.SchemaVersion, Window: m.Window, Date: m.Date, Version: m.Version, StartedAt: m.StartedAt,
		PartitionEvents: m.PartitionEvents, Rows: m.Rows, ConfigHash: m.ConfigHash, Previous: m,
	}
}

// gcRunID names GC's brief claims of a partition.
const gcRunID = "logsmith-gc"

// gcOlder removes the folders depth levels below root (date=D/run=ID/ is
// depth 2; run=ID/ or date=D/ is depth 1) whose newest object is older
// than cutoff. A run's rejects sit one level deeper for dated runs.
func (o Output) gcOlder(ctx context.Context, root string, cutoff time.Time, depth int, dryRun bool, res *GCResult) error {
	newest := map[string]time.Time{}
	objs := map[string][]storage.ObjectInfo{}
	err := o.Bucket.List(ctx, root, func(obj storage.ObjectInfo) error {
		rel := obj.Key[len(root):]
		parts := strings.SplitN(rel, "/", depth+1)
		d := depth
		if len(parts) <= depth || !strings.HasPrefix(parts[0], "date=") {
			d = 1 // an undated run's folder (run=ID/) or a stray object
		}
		if len(parts) <= d {
			return nil
		}
		dir := strings.Join(parts[:d], "/") + "/"
		if obj.Modified.After(newest[dir]) {
			newest[dir] = obj.Modified
		}
		objs[dir] = append(objs[dir], obj)
		return nil
	})
	if err != nil {
		return fmt.Errorf("gc list %s: %w", root, err)
	}
	var dirs []string
	for dir, t := range newest {
		if t.Before(cutoff) {
			dirs = append(dirs, dir)
		}
	}
	slices.Sort(dirs)
	for _, dir := range dirs {
		if dryRun {
			res.Deleted = append(res.Deleted, root+dir)
			continue
		}
		// The objects the decision was made on, no object written since.
		if err := deleteObjects(ctx, o.Bucket, objs[dir], nil); err != nil {
			return fmt.Errorf("gc %s: %w", root+dir, err)
		}
		res.Deleted = append(res.Deleted, root+dir)
	}
	return nil
}

// deletePrefix removes every object under prefix as the listing saw it,
// while held (when given) says it may go on. An object written since the
// listing under one of its keys stays (see deleteDecided): these keys
// are named by a run id or by the version 1 layout, so only a command
// reusing a run id writes one again.
func deletePrefix(ctx context.Context, b Bucket, prefix string, held func() bool) error {
	var objs []storage.ObjectInfo
	if err := b.List(ctx, prefix, func(o storage.ObjectInfo) error {
		objs = append(objs, o)
		return nil
	}); err != nil {
		return err
	}
	return deleteObjects(ctx, b, objs, held)
}

// deleteObjects removes the objects listed, each only while its key still
// holds it, while held (when given) says it may go on.
func deleteObjects(ctx context.Context, b Bucket, objs []storage.ObjectInfo, held func() bool) error {
	for _, o := range objs {
		if held != nil && !held() {
			return errTakenOver
		}
		err := deleteDecided(ctx, b, o)
		if err != nil && !errors.Is(err, storage.ErrNotExist) && !errors.Is(err, storage.ErrPrecondition) {
			return err
		}
	}
	return nil
}

// deleteDecided removes the object info describes (from a listing or a
// Stat) only while its key still holds it: a delete that lands late, its
// process stopped past a takeover, fails with storage.ErrPrecondition
// instead of removing what a new owner wrote since. The backends'
// DeleteIf say how far each can tell (an S3 bucket without versioning
// cannot, quite: docs/output.md, Fencing stale writers). A store with no
// DeleteIf (a dry run's, which refuses every write) gets a plain Delete.
func deleteDecided(ctx context.Context, b Bucket, info storage.ObjectInfo) error {
	if cd, ok := b.(storage.ConditionalDeleter); ok {
		if err := cd.DeleteIf(ctx, info); !errors.Is(err, errors.ErrUnsupported) {
			return err
		}
	}
	return b.Delete(ctx, info.Key)
}

// DeletePrefix removes every object under prefix (a run's partials after
// its merge, its files after a failure).
func (o Output) DeletePrefix(ctx context.Context, prefix string) error {
	return deletePrefix(ctx, o.Bucket, prefix, nil)
}
