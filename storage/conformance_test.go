package storage_test

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"io"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/storage/storagetest"
)

// Both backends meet the whole contract.
var (
	_ storagetest.Store = (*storage.Local)(nil)
	_ storagetest.Store = (*storage.S3)(nil)
	_ storage.DirLister = (*storage.Local)(nil)
	_ storage.DirLister = (*storage.S3)(nil)
)

func TestLocalConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storagetest.Store {
		l, err := storage.NewLocal(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		return l
	})
}

func TestS3Conformance(t *testing.T) {
	storagetest.S3Config(t)
	storagetest.Run(t, func(t *testing.T) storagetest.Store {
		s, _ := storagetest.NewBucket(t)
		return s
	})
}

// Every case of the suite fails on a store broken as a real backend was
// (or could be): a suite that passes them demands nothing. Each broken
// store wraps a Local that passes the same case.
func TestConformanceCatchesBrokenStores(t *testing.T) {
	for _, c := range []struct {
		name   string
		broken func(l *storage.Local) storagetest.Store
	}{
		{"FailedPutLeavesNothing", func(l *storage.Local) storagetest.Store { return partialPut{l} }},
		{"FailedUploadLeavesNothing", func(l *storage.Local) storagetest.Store { return partialComplete{l} }},
		{"ReadPastEnd", func(l *storage.Local) storagetest.Store { return pastEndFails{l} }},
		{"ListDirs", func(l *storage.Local) storagetest.Store { return reversedDirs{l} }},
		{"ListDirs", func(l *storage.Local) storagetest.Store { return slashlessDirs{l} }},
		{"ListDirs", func(l *storage.Local) storagetest.Store { return pendingDirs{l} }},
		{"ConditionalPutFailures", func(l *storage.Local) storagetest.Store { return ifMatchMissing{l} }},
		{"ConditionalPutFailures", func(l *storage.Local) storagetest.Store { return newCheckThenPut(l) }},
		{"NotFoundDistinguished", func(l *storage.Local) storagetest.Store { return bareNotFound{l} }},
		{"NotFoundDistinguished", func(l *storage.Local) storagetest.Store { return deleteMissingFails{l} }},
		{"LongKeys", func(l *storage.Local) storagetest.Store { return bareLongKey{l} }},
		{"OddKeysDistinct", func(l *storage.Local) storagetest.Store { return decodedKeys{l} }},
		{"OddKeysDistinct", func(l *storage.Local) storagetest.Store { return slashTrimmed{l} }},
		{"DeleteIf", func(l *storage.Local) storagetest.Store { return deleteIfUnconditional{l} }},
		{"ReadWhileReplaced", func(l *storage.Local) storagetest.Store {
			return &changedWithoutKind{Local: l, seen: map[string]string{}}
		}},
		{"ReadWhileReplaced", func(l *storage.Local) storagetest.Store { return deleteThenPut{l} }},
	} {
		newLocal := func() *storage.Local {
			l, err := storage.NewLocal(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { l.Close() })
			return l
		}
		if msgs := storagetest.Failures(t, c.name, newLocal()); len(msgs) != 0 {
			t.Fatalf("%s fails on Local: %q", c.name, msgs)
		}
		broken := c.broken(newLocal())
		if msgs := storagetest.Failures(t, c.name, broken); len(msgs) == 0 {
			t.Errorf("%s passes on the broken store %T", c.name, broken)
		} else {
			t.Logf("%s on %T: %d failures, first %.200s", c.name, broken, len(msgs), msgs[0])
		}
	}
}

// partialPut stores what it read before its write failed, as a backend
// writing in place would.
type partialPut struct{ *storage.Local }

func (p partialPut) Put(ctx context.Context, key string, r io.Reader, size int64, opts storage.PutOptions) (storage.ObjectInfo, error) {
	var buf bytes.Buffer
	_, err := io.Copy(&buf, r)
	if err == nil {
		err = ctx.Err()
	}
	info, perr := p.Local.Put(context.Background(), key, &buf, int64(buf.Len()), storage.PutOptions{})
	return info, cmp.Or(err, perr)
}

// partialComplete completes an upload with what it read before failing.
type partialComplete struct{ *storage.Local }

func (p partialComplete) Complete(ctx context.Context, u storage.Upload, r io.Reader, size int64) (storage.ObjectInfo, error) {
	var buf bytes.Buffer
	_, err := io.Copy(&buf, r)
	if err == nil {
		err = ctx.Err()
	}
	info, cerr := p.Local.Complete(context.Background(), u, &buf, int64(buf.Len()))
	return info, cmp.Or(err, cerr)
}

// pastEndFails refuses a read at the end, as S3 answers 416.
type pastEndFails struct{ *storage.Local }

func (p pastEndFails) Open(ctx context.Context, key string, off int64) (io.ReadCloser, error) {
	if st, err := p.Stat(ctx, key); err == nil && off > 0 && off >= st.Size {
		return nil, errors.New("the requested range is not satisfiable")
	}
	return p.Local.Open(ctx, key, off)
}

// reversedDirs lists folders out of key order.
type reversedDirs struct{ *storage.Local }

func (r reversedDirs) ListDirs(ctx context.Context, prefix string, fn func(string) error) error {
	var ds []string
	if err := r.Local.ListDirs(ctx, prefix, func(d string) error { ds = append(ds, d); return nil }); err != nil {
		return err
	}
	slices.Reverse(ds)
	for _, d := range ds {
		if err := fn(d); err != nil {
			return err
		}
	}
	return nil
}

// slashlessDirs takes a prefix without its slash for a folder.
type slashlessDirs struct{ *storage.Local }

func (s slashlessDirs) ListDirs(ctx context.Context, prefix string, fn func(string) error) error {
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	return s.Local.ListDirs(ctx, prefix, fn)
}

// pendingDirs lists a folder holding only a write not yet complete, as a
// listing of the file system's folders does.
type pendingDirs struct{ *storage.Local }

func (p pendingDirs) ListDirs(ctx context.Context, prefix string, fn func(string) error) error {
	err := p.Local.ListDirs(ctx, prefix, fn)
	if err == nil && prefix == "d/" {
		err = fn("d/pending/")
	}
	return err
}

// ifMatchMissing says "not found" for an If-Match on a missing key, as
// MinIO's NoSuchKey did.
type ifMatchMissing struct{ *storage.Local }

func (m ifMatchMissing) Put(ctx context.Context, key string, r io.Reader, size int64, opts storage.PutOptions) (storage.ObjectInfo, error) {
	if _, err := m.Stat(ctx, key); opts.IfMatch != "" && errors.Is(err, storage.ErrNotExist) {
		return storage.ObjectInfo{}, err
	}
	return m.Local.Put(ctx, key, r, size, opts)
}

// checkThenPut creates a key if absent by a Stat and then a plain Put, as
// a backend without conditional writes might. Its gate holds each racer
// for c/race between the two until all have looked, so every one of them
// finds the key free: the schedule a lost race needs, made certain.
type checkThenPut struct {
	*storage.Local
	gate *sync.WaitGroup
}

func newCheckThenPut(l *storage.Local) checkThenPut {
	var gate sync.WaitGroup
	gate.Add(storagetest.CreateRacers)
	return checkThenPut{l, &gate}
}

func (c checkThenPut) Put(ctx context.Context, key string, r io.Reader, size int64, opts storage.PutOptions) (storage.ObjectInfo, error) {
	if !opts.IfNoneMatch {
		return c.Local.Put(ctx, key, r, size, opts)
	}
	if _, err := c.Stat(ctx, key); err == nil {
		return storage.ObjectInfo{}, storage.ErrPrecondition
	}
	if key == "c/race" {
		c.gate.Done()
		c.gate.Wait()
	}
	opts.IfNoneMatch = false
	return c.Local.Put(ctx, key, r, size, opts)
}

// bareNotFound reports a missing object with an error of no sentinel.
type bareNotFound struct{ *storage.Local }

func (b bareNotFound) Stat(ctx context.Context, key string) (storage.ObjectInfo, error) {
	info, err := b.Local.Stat(ctx, key)
	if errors.Is(err, storage.ErrNotExist) {
		err = errors.New("no such file")
	}
	return info, err
}

// deleteMissingFails refuses to delete what is not there.
type deleteMissingFails struct{ *storage.Local }

func (d deleteMissingFails) Delete(ctx context.Context, key string) error {
	if _, err := d.Stat(ctx, key); err != nil {
		return err
	}
	return d.Local.Delete(ctx, key)
}

// bareLongKey fails a key over 1024 bytes with an error of no sentinel,
// which a retry would repeat.
type bareLongKey struct{ *storage.Local }

var errLong = errors.New("key too long")

func (b bareLongKey) Put(ctx context.Context, key string, r io.Reader, size int64, opts storage.PutOptions) (storage.ObjectInfo, error) {
	if len(key) > 1024 {
		return storage.ObjectInfo{}, errLong
	}
	return b.Local.Put(ctx, key, r, size, opts)
}

func (b bareLongKey) Stat(ctx context.Context, key string) (storage.ObjectInfo, error) {
	if len(key) > 1024 {
		return storage.ObjectInfo{}, errLong
	}
	return b.Local.Stat(ctx, key)
}

// decodedKeys percent-decodes keys, as a URL-minded backend might.
type decodedKeys struct{ *storage.Local }

func dec(k string) string {
	if d, err := url.PathUnescape(k); err == nil {
		return d
	}
	return k
}

func (d decodedKeys) Put(ctx context.Context, key string, r io.Reader, size int64, opts storage.PutOptions) (storage.ObjectInfo, error) {
	return d.Local.Put(ctx, dec(key), r, size, opts)
}
func (d decodedKeys) Open(ctx context.Context, key string, off int64) (io.ReadCloser, error) {
	return d.Local.Open(ctx, dec(key), off)
}
func (d decodedKeys) Stat(ctx context.Context, key string) (storage.ObjectInfo, error) {
	return d.Local.Stat(ctx, dec(key))
}
func (d decodedKeys) Delete(ctx context.Context, key string) error {
	return d.Local.Delete(ctx, dec(key))
}

// slashTrimmed stores "/a" as "a", as minio-go does.
type slashTrimmed struct{ *storage.Local }

func (s slashTrimmed) Put(ctx context.Context, key string, r io.Reader, size int64, opts storage.PutOptions) (storage.ObjectInfo, error) {
	return s.Local.Put(ctx, strings.TrimLeft(key, "/"), r, size, opts)
}

// deleteIfUnconditional deletes whatever the key holds, as a plain DELETE
// does.
type deleteIfUnconditional struct{ *storage.Local }

func (d deleteIfUnconditional) DeleteIf(ctx context.Context, info storage.ObjectInfo) error {
	return d.Delete(ctx, info.Key)
}

// changedWithoutKind fails an Open of a key replaced since its last Open
// with an error of no kind, as Local's Open did when a Put renamed a new
// file over the key between its lstat and its open.
type changedWithoutKind struct {
	*storage.Local
	mu   sync.Mutex
	seen map[string]string
}

func (c *changedWithoutKind) Open(ctx context.Context, key string, off int64) (io.ReadCloser, error) {
	st, err := c.Stat(ctx, key)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	was, ok := c.seen[key]
	c.seen[key] = st.ETag
	c.mu.Unlock()
	if ok && was != st.ETag {
		return nil, errors.New("open " + key + ": changed while opened")
	}
	return c.Local.Open(ctx, key, off)
}

// deleteThenPut replaces an object by deleting it first, so a reader
// between the two finds no object under a key that was never removed.
type deleteThenPut struct{ *storage.Local }

func (d deleteThenPut) Put(ctx context.Context, key string, r io.Reader, size int64, opts storage.PutOptions) (storage.ObjectInfo, error) {
	if !opts.IfNoneMatch && opts.IfMatch == "" {
		if err := d.Local.Delete(ctx, key); err != nil {
			return storage.ObjectInfo{}, err
		}
	}
	return d.Local.Put(ctx, key, r, size, opts)
}
