package objio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/logsmith/logsmith/storage"
)

// Backend is what a Bucket wraps: a store that reads listed versions
// (storage.S3 and storage.Local), as the storage contract defines it.
type Backend interface {
	storage.Store
	storage.ListedOpener
}

// uploader writes objects through uploads that can be fenced off (see
// storage.Upload): storage.S3 and storage.Local.
type uploader = storage.Uploader

// errNoUploads is the error of an upload call on a backend that is only
// read (standard input, a missing input folder); no retry helps.
var errNoUploads error = noUploads{}

type noUploads struct{}

func (noUploads) Error() string   { return "uploads: " + errors.ErrUnsupported.Error() }
func (noUploads) Unwrap() error   { return errors.ErrUnsupported }
func (noUploads) Permanent() bool { return true }

// Bucket is a Backend whose calls retry transient failures under a Policy.
// It also lists folders and collects temporary files when its backend can,
// and says whether reading ahead pays.
type Bucket struct {
	b Backend
	p Policy
	// reached is set by the first answer from the backend's server: until
	// then an unreachable endpoint is not retried (see call).
	reached atomic.Bool
}

// New wraps b so that its calls retry under p.
func New(b Backend, p Policy) *Bucket { return &Bucket{b: b, p: p} }

// call runs fn under the policy, as Policy.call does; but until the
// backend's server has answered once, storage.ErrUnreachable is final: a
// name that does not resolve or an address where nothing listens, met on
// the first call, is a wrong endpoint far more often than a server
// restarting, and waiting out the deadline hides it. Once the server has
// answered, an unreachable server is retried like any transient failure.
func (b *Bucket) call(ctx context.Context, fn func(ctx context.Context) error) error {
	return b.p.call(ctx, func(ctx context.Context) error {
		err := fn(ctx)
		switch {
		case err == nil || answered(err):
			b.reached.Store(true)
		case errors.Is(err, storage.ErrUnreachable) && !b.reached.Load():
			return Final(err)
		}
		return err
	})
}

// answered reports whether err is the server's answer to a request, not a
// failure to get one.
func answered(err error) bool {
	return errors.Is(err, storage.ErrNotExist) || errors.Is(err, storage.ErrPermission) ||
		errors.Is(err, storage.ErrPrecondition) || errors.Is(err, storage.ErrInvalidKey)
}

// prober is a backend that can check, before any other call, that objects
// under a prefix can be listed: storage.S3.
type prober interface {
	Probe(ctx context.Context, prefix string) error
}

// Probe checks that the objects under prefix can be listed, when the
// backend can tell (S3: the endpoint answers as configured, the credentials
// are accepted, the bucket exists); it is meant as a command's first call,
// so an unreachable endpoint fails it at once. A backend that cannot tell
// passes.
func (b *Bucket) Probe(ctx context.Context, prefix string) error {
	pr, ok := b.b.(prober)
	if !ok {
		return nil
	}
	return b.call(ctx, func(ctx context.Context) error { return pr.Probe(ctx, prefix) })
}

// Policy returns the bucket's retry policy.
func (b *Bucket) Policy() Policy { return b.p }

// Backend returns the wrapped store.
func (b *Bucket) Backend() Backend { return b.b }

// List calls fn for each object under prefix in key order. A listing that
// fails part-way is resumed past the last object fn saw, so fn sees each
// object once; an error from fn ends the listing and is returned as is.
func (b *Bucket) List(ctx context.Context, prefix string, fn func(storage.ObjectInfo) error) error {
	var last string
	seen := false
	var fnErr error
	err := b.call(ctx, func(ctx context.Context) error {
		return b.b.List(ctx, prefix, func(o storage.ObjectInfo) error {
			if seen && o.Key <= last {
				return nil
			}
			last, seen = o.Key, true
			if fnErr = fn(o); fnErr != nil {
				return &final{fnErr}
			}
			return nil
		})
	})
	if fnErr != nil {
		return fnErr
	}
	return err
}

// Open opens an object from offset, retrying the opening; the caller
// closes the reader. Reads from it are not retried: use Stream for that.
func (b *Bucket) Open(ctx context.Context, key string, offset int64) (io.ReadCloser, error) {
	var rc io.ReadCloser
	err := b.call(ctx, func(actx context.Context) error {
		// The attempt's bound must not cut the body's reads: open under
		// the caller's context, and bound only the wait for the answer.
		var err error
		rc, err = openBounded(ctx, actx, func(ctx context.Context) (io.ReadCloser, error) { return b.b.Open(ctx, key, offset) })
		return err
	})
	return rc, err
}

// OpenListed opens the version of the object info describes (see
// storage.ListedOpener), retrying the opening as Open does; an object
// changed since info (ErrPrecondition) or deleted is final.
func (b *Bucket) OpenListed(ctx context.Context, info storage.ObjectInfo, off, end int64) (io.ReadCloser, error) {
	var rc io.ReadCloser
	err := b.call(ctx, func(actx context.Context) error {
		var err error
		rc, err = openBounded(ctx, actx, func(ctx context.Context) (io.ReadCloser, error) { return b.b.OpenListed(ctx, info, off, end) })
		return err
	})
	return rc, err
}

// openBounded opens with open under ctx and gives up when bound ends
// first.
func openBounded(ctx, bound context.Context, open func(context.Context) (io.ReadCloser, error)) (io.ReadCloser, error) {
	if bound == ctx {
		return open(ctx)
	}
	type opened struct {
		rc  io.ReadCloser
		err error
	}
	octx, cancel := context.WithCancel(ctx)
	ch := make(chan opened, 1)
	go func() {
		rc, err := open(octx)
		ch <- opened{rc, err}
	}()
	select {
	case o := <-ch:
		if o.err != nil {
			cancel()
			return nil, o.err
		}
		return &cancelOnClose{ReadCloser: o.rc, cancel: cancel}, nil
	case <-bound.Done():
		cancel()
		go func() {
			if o := <-ch; o.rc != nil {
				o.rc.Close()
			}
		}()
		return nil, bound.Err()
	}
}

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

// Put writes an object whole or not at all. It retries only when r can be
// rewound (an io.Seeker, such as a bytes.Reader), to where it stood; a
// conditional Put whose first answer was lost may then fail with
// storage.ErrPrecondition although the object is the one written, which
// conditional writers check.
func (b *Bucket) Put(ctx context.Context, key string, r io.Reader, size int64, opts storage.PutOptions) (storage.ObjectInfo, error) {
	seeker, ok := r.(io.Seeker)
	if !ok {
		return b.b.Put(ctx, key, r, size, opts)
	}
	start, err := seeker.Seek(0, io.SeekCurrent)
	if err != nil {
		return b.b.Put(ctx, key, r, size, opts) // cannot tell: once
	}
	var info storage.ObjectInfo
	err = b.call(ctx, func(ctx context.Context) error {
		if _, err := seeker.Seek(start, io.SeekStart); err != nil {
			return err
		}
		var err error
		info, err = b.b.Put(ctx, key, r, size, opts)
		return err
	})
	return info, err
}

// Delete removes an object; a missing object is not an error.
func (b *Bucket) Delete(ctx context.Context, key string) error {
	return b.call(ctx, func(ctx context.Context) error { return b.b.Delete(ctx, key) })
}

// DeleteIf removes an object while it is the one info describes (see
// storage.ConditionalDeleter). A backend that cannot condition a delete
// fails with errors.ErrUnsupported.
func (b *Bucket) DeleteIf(ctx context.Context, info storage.ObjectInfo) error {
	cd, ok := b.b.(storage.ConditionalDeleter)
	if !ok {
		return fmt.Errorf("delete %s: %w", info.Key, errors.ErrUnsupported)
	}
	return b.call(ctx, func(ctx context.Context) error { return cd.DeleteIf(ctx, info) })
}

// Stat describes an object or fails with storage.ErrNotExist.
func (b *Bucket) Stat(ctx context.Context, key string) (storage.ObjectInfo, error) {
	var info storage.ObjectInfo
	err := b.call(ctx, func(ctx context.Context) error {
		var err error
		info, err = b.b.Stat(ctx, key)
		return err
	})
	return info, err
}

// Begin starts an upload to key (see storage.Upload). A backend that is
// only read fails with errors.ErrUnsupported.
func (b *Bucket) Begin(ctx context.Context, key string) (storage.Upload, error) {
	up, ok := b.b.(uploader)
	if !ok {
		return storage.Upload{}, errNoUploads
	}
	var u storage.Upload
	err := b.call(ctx, func(ctx context.Context) error {
		var err error
		u, err = up.Begin(ctx, key)
		return err
	})
	return u, err
}

// Complete writes r through u; it retries only when r can be rewound. A
// retry whose first answer was lost fails with storage.ErrPrecondition
// (the upload is gone), which the writer resolves as for a conditional Put.
func (b *Bucket) Complete(ctx context.Context, u storage.Upload, r io.Reader, size int64) (storage.ObjectInfo, error) {
	up, ok := b.b.(uploader)
	if !ok {
		return storage.ObjectInfo{}, errNoUploads
	}
	seeker, ok := r.(io.Seeker)
	if !ok {
		return up.Complete(ctx, u, r, size)
	}
	start, err := seeker.Seek(0, io.SeekCurrent)
	if err != nil {
		return up.Complete(ctx, u, r, size)
	}
	var info storage.ObjectInfo
	err = b.call(ctx, func(ctx context.Context) error {
		if _, err := seeker.Seek(start, io.SeekStart); err != nil {
			return err
		}
		var err error
		info, err = up.Complete(ctx, u, r, size)
		return err
	})
	return info, err
}

// Abort ends u so that no Complete of it can land.
func (b *Bucket) Abort(ctx context.Context, u storage.Upload) error {
	up, ok := b.b.(uploader)
	if !ok {
		return errNoUploads
	}
	return b.call(ctx, func(ctx context.Context) error { return up.Abort(ctx, u) })
}

type dirLister = storage.DirLister

// ListDirs calls fn with each folder directly under prefix, in order, once
// each. It fails with errors.ErrUnsupported when the backend cannot list
// folders.
func (b *Bucket) ListDirs(ctx context.Context, prefix string, fn func(dir string) error) error {
	dl, ok := b.b.(dirLister)
	if !ok {
		return errors.ErrUnsupported
	}
	var last string
	seen := false
	var fnErr error
	err := b.call(ctx, func(ctx context.Context) error {
		return dl.ListDirs(ctx, prefix, func(d string) error {
			if seen && d <= last {
				return nil
			}
			last, seen = d, true
			if fnErr = fn(d); fnErr != nil {
				return &final{fnErr}
			}
			return nil
		})
	})
	if fnErr != nil {
		return fnErr
	}
	return err
}

type tempCollector interface {
	RemoveStaleTemp(ctx context.Context, prefix string, olderThan time.Time) (int, error)
}

// RemoveStaleTemp removes temporary files of killed writes under prefix
// older than olderThan, when the backend leaves such files (a local
// folder); it returns how many it removed.
func (b *Bucket) RemoveStaleTemp(ctx context.Context, prefix string, olderThan time.Time) (int, error) {
	tc, ok := b.b.(tempCollector)
	if !ok {
		return 0, nil
	}
	var n int
	err := b.call(ctx, func(ctx context.Context) error {
		k, err := tc.RemoveStaleTemp(ctx, prefix, olderThan)
		n += k
		return err
	})
	return n, err
}

// ReadAheadPays reports whether reading an object ahead of its consumer
// saves time: true for a remote store, false for a local folder, whose
// kernel already reads ahead (a second copy of every byte costs CPU).
func (b *Bucket) ReadAheadPays() bool {
	r, ok := b.b.(interface{ ReadAheadPays() bool })
	return ok && r.ReadAheadPays()
}
