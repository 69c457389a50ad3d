package storage

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"syscall"
	"time"
)

// underDirLock runs fn while this process holds the exclusive flock of
// key's folder. Every change of a key in a folder is made under it — a
// conditional write's check and rename, the rename that publishes a write
// or completes an upload, DeleteIf's check and removal — so each of them
// sees the key as it is until it is done. Only the removal of temporary
// files (whose names are no keys) and plain Delete are made without it.
// A folder that is not there fails with ErrNotExist.
func (l *Local) underDirLock(what, key string, fn func() error) error {
	d, err := l.root.Open(path.Dir(key))
	if err != nil {
		return fmt.Errorf("%s %s: %w", what, key, translate(err))
	}
	defer d.Close()
	if err := l.lockDir(d, path.Dir(key)); err != nil {
		return fmt.Errorf("%s %s: %w", what, key, err)
	}
	defer syscall.Flock(int(d.Fd()), syscall.LOCK_UN)
	return fn()
}

// publish renames the temporary file tmp to key under the folder's lock
// and describes what it published.
func (l *Local) publish(what, tmp, key string) (info ObjectInfo, err error) {
	err = l.underDirLock(what, key, func() error {
		if err := l.root.Rename(tmp, key); errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s %s: %w: %v", what, key, ErrNotExist, err) // tmp removed
		} else if err != nil {
			return fmt.Errorf("%s %s: %w", what, key, translateWrite(err))
		}
		info, err = l.Stat(context.Background(), key)
		return err
	})
	return info, err
}

// lockDir takes the exclusive lock of the open folder d, waiting at most
// l.LockWait for a process that holds it.
func (l *Local) lockDir(d *os.File, name string) error {
	wait := cmp.Or(l.LockWait, DefaultLockWait)
	deadline := time.Now().Add(wait)
	pause := time.Millisecond
	for {
		err := syscall.Flock(int(d.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case err == nil:
			return nil
		case !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR):
			return fmt.Errorf("lock %s: %w", name, err)
		case time.Now().After(deadline):
			return fmt.Errorf("lock %s: another process has held it for over %s (stopped while writing?): %w", name, wait, errLockBusy)
		}
		time.Sleep(pause)
		pause = min(2*pause, 50*time.Millisecond)
	}
}

// errLockBusy is a folder lock another process holds past the wait: a
// later attempt may find it free.
var errLockBusy = errors.New("folder lock busy")
