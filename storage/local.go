package storage

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// tmpPrefix marks files being written; List never returns them.
const tmpPrefix = ".logsmith-tmp-"

// ErrNotRegular means a listing met an entry under its prefix that is not a
// regular file or a folder: a symlink (never followed, wherever it points),
// a named pipe, a socket or a device. Such an entry cannot be an object, and
// skipping it would silently leave out what it names.
var ErrNotRegular = errors.New("not a regular file")

// Local stores objects as files under a root folder. Keys are slash-separated
// relative paths; a key can never reach outside the root.
//
// Errors: a missing file is ErrNotExist; a folder or file the process may not
// read or write, a read-only file system, and any folder or file that cannot
// be created (see translateWrite) is ErrPermission, since none of them
// passes by retrying; a key that is a symlink, pipe, socket or device (met
// listing, or at Stat or Open after a file was replaced) is ErrNotRegular.
type Local struct {
	dir  string
	root *os.Root
	mu   sync.Mutex // serializes conditional writes within this process
	// LockWait bounds how long a conditional write waits for the folder's
	// lock while another process holds it (DefaultLockWait when 0): a
	// process stopped while holding it (SIGSTOP, a frozen VM) must not
	// stall every other writer until it resumes. The write then fails
	// with an error that a retry may pass.
	LockWait time.Duration

	upMu    sync.Mutex
	uploads map[string]*os.File // each open upload's temporary file, locked: see liveTemp
}

// DefaultLockWait is how long a conditional write waits for another
// process's lock of the folder by default. The lock is held for a stat
// and a rename.
const DefaultLockWait = 10 * time.Second

// NewLocal opens (creating if needed) the folder dir as a store to write to.
// A folder that cannot be created, for whatever reason but a cancelled
// call, fails with ErrPermission.
func NewLocal(dir string) (*Local, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, translateWrite(err))
	}
	return OpenLocal(dir)
}

// OpenLocal opens the existing folder dir as a store, never creating it: a
// missing folder fails with ErrNotExist.
func OpenLocal(dir string) (*Local, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", dir, translate(err))
	}
	return &Local{dir: dir, root: root}, nil
}

// Close releases the root folder.
func (l *Local) Close() error { return l.root.Close() }

// String returns the folder's path.
func (l *Local) String() string { return l.dir }

// checkKey rejects keys that would alias another key or leave the root.
func checkKey(key string) error {
	if key == "" || key == "." || strings.HasPrefix(key, "/") || strings.ContainsRune(key, 0) ||
		strings.HasSuffix(key, "/") || path.Clean(key) != key ||
		key == ".." || strings.HasPrefix(key, "../") {
		return fmt.Errorf("%w: %q", ErrInvalidKey, key)
	}
	for _, seg := range strings.Split(key, "/") {
		if strings.HasPrefix(seg, tmpPrefix) {
			return fmt.Errorf("%w: %q", ErrInvalidKey, key)
		}
	}
	return nil
}

// translate maps file system errors to the package's sentinels: a missing
// file (or a file where a folder is on the path) does not exist; permission
// refused or a read-only file system is ErrPermission; a name longer than
// the file system allows is ErrInvalidKey; a symlink on the way
// that leads out of the root (os.Root refuses it: "path escapes from
// parent") is ErrNotRegular, as a listing reports every symlink.
func translate(err error) error {
	switch {
	case escapesRoot(err):
		return fmt.Errorf("%w: %v (a symlink out of the folder; logsmith follows no symlink)", ErrNotRegular, err)
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
		return fmt.Errorf("%w: %v", ErrNotExist, err)
	case errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.EROFS):
		return fmt.Errorf("%w: %v", ErrPermission, err)
	case errors.Is(err, syscall.ENAMETOOLONG):
		// A key the file system cannot name: no object has it.
		return fmt.Errorf("%w: %v", ErrInvalidKey, err)
	}
	return err
}

// escapesRoot reports whether err is os.Root's refusal of a path that
// leaves the root through a symlink. The os package does not export that
// error, only its text.
func escapesRoot(err error) bool {
	var pe *fs.PathError
	return errors.As(err, &pe) && pe.Err != nil && pe.Err.Error() == "path escapes from parent"
}

// translateWrite maps the errors of creating a file or folder of the
// store (its root folder too). Whatever the reason the file system refuses
// — no permission, a read-only file system, a file where a folder must be
// created (ENOTDIR, or EEXIST from MkdirAll) or a folder where the file
// goes (EISDIR, EEXIST or ENOTEMPTY from a rename), a name too long, a file
// system that creates nothing there (ENOENT under /proc), a symlink on the
// way out of the root — waiting does not
// help, and "cannot create or write the output" is one outcome:
// ErrPermission. Only the errors that can pass are left as they are (and
// retried): out of space or quota, I/O errors, too many open files, an
// interrupted or timed-out call, a stale NFS handle. (Temporary names are
// random, so EEXIST never means a clash of two writes.)
func translateWrite(err error) error {
	var errno syscall.Errno
	switch {
	case escapesRoot(err):
		return fmt.Errorf("%w: %v (a symlink out of the folder)", ErrPermission, err)
	case !errors.As(err, &errno):
		return translate(err)
	}
	switch errno {
	case syscall.ENOSPC, syscall.EDQUOT, syscall.EIO, syscall.EMFILE, syscall.ENFILE, syscall.ENOMEM,
		syscall.EINTR, syscall.EAGAIN, syscall.ETIMEDOUT, syscall.ESTALE, syscall.EBUSY, syscall.ENOLCK:
		return err
	}
	return fmt.Errorf("%w: %v", ErrPermission, err)
}

// localETag identifies a file version by size, modification time and inode:
// every Put renames a new file into place, so the inode changes even when
// size and the (coarse) modification time do not.
func localETag(fi fs.FileInfo) string {
	tag := strconv.FormatInt(fi.Size(), 16) + "-" + strconv.FormatInt(fi.ModTime().UnixNano(), 16)
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		tag += "-" + strconv.FormatUint(st.Ino, 16)
	}
	return tag
}

// List calls fn for each object whose key starts with prefix, in key order.
// It stops at and returns the first error from fn.
//
// Every entry under prefix must be a regular file or a folder: when one is a
// symlink (to a file or folder, inside the root or out, or dangling), a
// named pipe, a socket or a device, or a folder on the way to prefix is a
// symlink, List calls fn for nothing and fails with ErrNotRegular, naming
// them. Following a link could read a file twice or outside the input, and
// skipping it would leave out data unseen.
func (l *Local) List(ctx context.Context, prefix string, fn func(ObjectInfo) error) error {
	dir := "."
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		dir = prefix[:i]
	}
	var odd []string // entries that are not regular files or folders
	if dir != "." {
		if err := checkKey(dir); err != nil {
			return fmt.Errorf("list %q: %w", prefix, err)
		}
		// WalkDir follows a symlink on the way down to dir.
		for p := dir; p != "."; p = path.Dir(p) {
			if fi, err := l.root.Lstat(p); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
				odd = append(odd, fmt.Sprintf("%q (symlink)", p))
			}
		}
	}
	var objs []ObjectInfo
	err := fs.WalkDir(l.root.FS(), dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if (errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)) && p == dir { // under an object too
				return fs.SkipAll
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), tmpPrefix) {
			return nil
		}
		if d.IsDir() {
			// Prune folders that cannot hold a matching key.
			if p != dir && !strings.HasPrefix(p+"/", prefix) && !strings.HasPrefix(prefix, p+"/") {
				return fs.SkipDir
			}
			return nil
		}
		if !strings.HasPrefix(p, prefix) {
			return nil
		}
		if !d.Type().IsRegular() {
			odd = append(odd, fmt.Sprintf("%q (%s)", p, fileKind(d.Type())))
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		objs = append(objs, ObjectInfo{Key: p, Size: fi.Size(), ETag: localETag(fi), Modified: fi.ModTime(), FileID: fileID(fi)})
		return nil
	})
	if err != nil {
		return fmt.Errorf("list %q: %w", prefix, translate(err))
	}
	if len(odd) > 0 {
		const show = 5
		more := ""
		if len(odd) > show {
			more = fmt.Sprintf(" and %d more", len(odd)-show)
			odd = odd[:show]
		}
		return fmt.Errorf("list %q: %w: %s%s (logsmith reads regular files only and follows no symlink)",
			prefix, ErrNotRegular, strings.Join(odd, ", "), more)
	}
	slices.SortFunc(objs, func(a, b ObjectInfo) int { return strings.Compare(a.Key, b.Key) })
	for _, o := range objs {
		if err := fn(o); err != nil {
			return err
		}
	}
	return nil
}

// fileKind names the type of a file that is not regular.
func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "symlink"
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeDevice != 0:
		return "device"
	}
	return "not a regular file"
}

// Stat returns the object's info, or an error wrapping ErrNotExist (a
// folder is no object either). A symlink, named pipe, socket or device
// under the key — a file replaced by one after it was listed — fails with
// ErrNotRegular, as the listing would.
func (l *Local) Stat(ctx context.Context, key string) (ObjectInfo, error) {
	fi, err := l.lstat(key)
	if err != nil {
		return ObjectInfo{}, err
	}
	return ObjectInfo{Key: key, Size: fi.Size(), ETag: localETag(fi), Modified: fi.ModTime(), FileID: fileID(fi)}, nil
}

// lstat returns the info of the regular file under key, not following a
// symlink there: see Stat.
func (l *Local) lstat(key string) (fs.FileInfo, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	fi, err := l.root.Lstat(key)
	switch {
	case err != nil:
		return nil, fmt.Errorf("stat %s: %w", key, translate(err))
	case fi.IsDir():
		return nil, fmt.Errorf("stat %s: %w", key, translate(fs.ErrNotExist))
	case !fi.Mode().IsRegular():
		return nil, fmt.Errorf("stat %s: %w: a %s (logsmith reads regular files only and follows no symlink)", key, ErrNotRegular, fileKind(fi.Mode()))
	}
	return fi, nil
}

// Open returns a stream of the object's bytes from offset on. The caller
// closes it. Like Stat, it fails with ErrNotRegular when the key is not a
// regular file, and never reads through a symlink.
func (l *Local) Open(ctx context.Context, key string, offset int64) (io.ReadCloser, error) {
	f, err := l.openCurrent(key)
	if err != nil {
		return nil, err
	}
	if offset > 0 {
		if _, err := f.Seek(offset, io.SeekStart); err != nil {
			f.Close()
			return nil, fmt.Errorf("seek %s to %d: %w", key, offset, err)
		}
	}
	return f, nil
}

// openTries is how many times Open looks again at a key replaced between
// its lstat and its open before it reports the key as changing.
const openTries = 8

// openCurrent opens the regular file under key as it is now. The key may
// be replaced (a Put renames a new file over it) or become a symlink
// (os.Root follows one that stays inside the root) between lstat and
// open: then the file opened is not the one looked at, and the next try
// sees what the key is now. A key that keeps changing fails with
// ErrPrecondition, which a caller may retry, never with an error of no
// kind.
func (l *Local) openCurrent(key string) (*os.File, error) {
	for range openTries {
		fi, f, st, err := l.lstatOpen(key)
		if err != nil {
			return nil, err
		}
		// Same device and inode alone do not say the file is a file: a
		// folder made where the file was deleted may reuse its inode. (A
		// new file that reuses it is the object under the key now.)
		if os.SameFile(fi, st) && st.Mode().IsRegular() {
			return f, nil
		}
		f.Close()
	}
	return nil, fmt.Errorf("open %s: replaced %d times while opened: %w", key, openTries, ErrPrecondition)
}

// lstatOpen looks at the regular file under key (lstat), then opens the
// key and looks at the file opened: the two may differ (see openCurrent).
func (l *Local) lstatOpen(key string) (fi fs.FileInfo, f *os.File, st fs.FileInfo, err error) {
	if fi, err = l.lstat(key); err != nil {
		return nil, nil, nil, err
	}
	if f, err = l.root.Open(key); err != nil {
		return nil, nil, nil, fmt.Errorf("open %s: %w", key, translate(err))
	}
	if st, err = f.Stat(); err != nil {
		f.Close()
		return nil, nil, nil, fmt.Errorf("open %s: %w", key, translate(err))
	}
	return fi, f, st, nil
}

// OpenListed returns a stream of the bytes [off, end) of the file as info
// (an entry of List, or Stat) describes it; end < 0, or past info.Size,
// means info.Size. The file is opened once and the open file checked
// against info — its size, modification time, device and inode — so a
// file replaced (by a rename, a new file or a rewrite), grown or shrunk
// since the listing fails with ErrPrecondition, saying it changed since it
// was listed; a deleted one with ErrNotExist, and one become a symlink or
// another non-regular file with ErrNotRegular. The stream never reads past
// end, though the file grow while it is read. When the stream reaches end
// the open file is checked again: one rewritten or shrunk while it was
// read (its size at most the listed one, its time another) fails the last
// read with ErrPrecondition; one that only grew is read whole. The caller
// closes it.
func (l *Local) OpenListed(ctx context.Context, info ObjectInfo, off, end int64) (io.ReadCloser, error) {
	key := info.Key
	fi, f, st, err := l.lstatOpen(key)
	switch {
	case err != nil:
		return nil, err
	case !os.SameFile(fi, st) || !st.Mode().IsRegular():
		// The key was replaced, or became a symlink or a folder, between
		// lstat and open (see openCurrent): it is no longer the file
		// listed. What it is now says how: no object, no regular file,
		// or another file.
		f.Close()
		if _, err := l.lstat(key); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("open %s: changed while opened: %w", key, ErrPrecondition)
	case localETag(st) != info.ETag || (info.FileID != "" && fileID(st) != info.FileID):
		f.Close()
		return nil, fmt.Errorf("open %s: changed since it was listed (size %d, modified %s; listed etag %s): %w",
			key, st.Size(), st.ModTime().UTC().Format(time.RFC3339Nano), info.ETag, ErrPrecondition)
	}
	if end < 0 || end > info.Size {
		end = info.Size
	}
	return &sectionFile{SectionReader: io.NewSectionReader(f, off, max(end-off, 0)), f: f, key: key, info: info}, nil
}

// sectionFile reads a section of an open file and closes the file. The
// read that reaches the section's end checks the file against the
// listing again (see OpenListed).
type sectionFile struct {
	*io.SectionReader
	f       *os.File
	key     string
	info    ObjectInfo
	read    int64
	checked bool
}

func (s *sectionFile) Read(p []byte) (int, error) {
	n, err := s.SectionReader.Read(p)
	s.read += int64(n)
	if s.checked || s.read < s.Size() || (n == 0 && err == nil) {
		return n, err
	}
	// The bytes up to the end are read: were they the listed version's?
	s.checked = true
	st, serr := s.f.Stat()
	switch {
	case serr != nil:
		return 0, fmt.Errorf("read %s: %w", s.key, translate(serr))
	case st.Size() <= s.info.Size && localETag(st) != s.info.ETag:
		return 0, fmt.Errorf("read %s: changed while it was read (size %d, modified %s; listed etag %s): %w",
			s.key, st.Size(), st.ModTime().UTC().Format(time.RFC3339Nano), s.info.ETag, ErrPrecondition)
	}
	return n, err
}

func (s *sectionFile) Close() error { return s.f.Close() }

// fileID names a file by its device and inode; "" where the system says
// neither.
func fileID(fi fs.FileInfo) string {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	return strconv.FormatUint(uint64(st.Dev), 16) + ":" + strconv.FormatUint(st.Ino, 16)
}

// Put stores the size bytes read from r under key, replacing any object
// there. The object appears whole or not at all: it is written to a
// temporary file, synced and renamed.
func (l *Local) Put(ctx context.Context, key string, r io.Reader, size int64, opts PutOptions) (ObjectInfo, error) {
	if err := checkKey(key); err != nil {
		return ObjectInfo{}, err
	}
	f, tmp, err := l.createTemp(path.Dir(key), tmpPrefix)
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("put %s: %w", key, translateWrite(err))
	}
	defer l.root.Remove(tmp) // no-op once renamed
	defer f.Close()          // after the rename: the lock marks the write live
	n, err := io.Copy(f, ctxReader{ctx, r})
	if err == nil && size >= 0 && n != size {
		err = fmt.Errorf("%w: read %d bytes, want %d", ErrSize, n, size)
	}
	if err == nil {
		err = f.Sync()
	}
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("put %s: %w", key, err)
	}
	if opts.IfMatch != "" || opts.IfNoneMatch {
		return l.renameIf(key, tmp, opts)
	}
	return l.publish("put", tmp, key)
}

// createTemp creates a temporary file named prefix and a random suffix in
// dir (creating the folders) and holds a shared lock on it until the file
// is closed: the lock tells RemoveStaleTemp that the write is live, however
// old the file, and the kernel drops it when the process dies. A
// collection may remove the name between the create and the lock: then it
// tries another. A concurrent Delete prunes empty folders, so one may
// vanish during MkdirAll or between it and the create: then it tries
// again too.
func (l *Local) createTemp(dir, prefix string) (*os.File, string, error) {
	for attempt := 0; ; attempt++ {
		var rnd [8]byte
		_, _ = rand.Read(rnd[:])
		tmp := path.Join(dir, prefix+hex.EncodeToString(rnd[:]))
		if dir != "." {
			// A folder pruned while MkdirAll looked at it fails with
			// "file exists": try again.
			if err := l.root.MkdirAll(dir, 0o755); err != nil {
				if !errors.Is(err, fs.ErrExist) || attempt >= 2 {
					return nil, "", err
				}
				continue
			}
		}
		f, err := l.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) || attempt >= 2 {
				return nil, "", err
			}
			continue
		}
		if live, err := l.lockTemp(f, tmp); err != nil || !live {
			f.Close()
			if err != nil || attempt >= 2 {
				return nil, "", cmp.Or(err, fmt.Errorf("create %s: removed as it was created", tmp))
			}
			continue
		}
		return f, tmp, nil
	}
}

// lockTemp takes a shared lock of the temporary file f, just created as
// name, and reports whether name is still f: a collection removes a file
// only while it holds an exclusive lock of it.
func (l *Local) lockTemp(f *os.File, name string) (bool, error) {
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); errors.Is(err, syscall.EWOULDBLOCK) {
		return false, nil // being collected
	} else if err != nil {
		return false, fmt.Errorf("lock %s: %w", name, err)
	}
	fi, err := f.Stat()
	if err != nil {
		return false, err
	}
	li, err := l.root.Lstat(name)
	return err == nil && os.SameFile(fi, li), nil
}

// removeIfStale removes the temporary file name unless a live write holds
// its lock (see createTemp), and reports whether it did.
func (l *Local) removeIfStale(name string) (bool, error) {
	f, err := l.root.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return false, nil // live (or the lock refused): keep it
	}
	fi, err := f.Stat()
	if err != nil {
		return false, err
	}
	if li, err := l.root.Lstat(name); err != nil || !os.SameFile(fi, li) {
		return false, nil
	}
	if err := l.root.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	return true, nil
}

// renameIf publishes tmp as key if the precondition holds. The check and the
// rename are atomic between processes through an exclusive flock on the
// folder (see underDirLock); within a process through l.mu.
func (l *Local) renameIf(key, tmp string, opts PutOptions) (info ObjectInfo, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	err = l.underDirLock("put", key, func() error {
		cur, err := l.Stat(context.Background(), key)
		exists := err == nil
		if err != nil && !errors.Is(err, ErrNotExist) {
			return err
		}
		if (opts.IfNoneMatch && exists) || (opts.IfMatch != "" && (!exists || cur.ETag != opts.IfMatch)) {
			return fmt.Errorf("put %s: %w", key, ErrPrecondition)
		}
		if err := l.root.Rename(tmp, key); err != nil {
			return fmt.Errorf("put %s: %w", key, translateWrite(err))
		}
		info, err = l.Stat(context.Background(), key)
		return err
	})
	return info, err
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
