package job

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/storage/objio"
)

// stdinKey names standard input's one object.
const stdinKey = "-"

// errStdinOnce refuses a second read of standard input: a stream that broke
// part-way cannot be resumed.
var errStdinOnce = errors.New("standard input cannot be read again")

// stdinStore is standard input as a store holding one object of unknown
// size, so that it takes the same path as every other input: listed, read
// as one unit, decoded, counted. It can be opened once.
type stdinStore struct {
	mu     sync.Mutex
	r      io.Reader
	opened bool
}

// stdinInput returns standard input (r, or os.Stdin when nil) as an input.
func stdinInput(r io.Reader, p objio.Policy) input {
	if r == nil {
		r = os.Stdin
	}
	b := objio.New(&stdinStore{r: r}, p)
	return input{bucket: b, loc: Location{Scheme: "-"}, info: storage.ObjectInfo{Key: stdinKey, Size: -1}}
}

func (s *stdinStore) List(_ context.Context, _ string, fn func(storage.ObjectInfo) error) error {
	return fn(storage.ObjectInfo{Key: stdinKey, Size: -1})
}

func (s *stdinStore) Open(_ context.Context, key string, off int64) (io.ReadCloser, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if key != stdinKey {
		return nil, fmt.Errorf("open %s on standard input: %w", key, storage.ErrNotExist)
	}
	if s.opened || off != 0 {
		return nil, objio.Final(fmt.Errorf("read standard input from byte %d: %w", off, errStdinOnce))
	}
	s.opened = true
	return io.NopCloser(s.r), nil
}

// OpenListed opens standard input, which has no versions to tell apart
// and is read once.
func (s *stdinStore) OpenListed(ctx context.Context, info storage.ObjectInfo, off, _ int64) (io.ReadCloser, error) {
	return s.Open(ctx, info.Key, off)
}

func (s *stdinStore) Stat(_ context.Context, key string) (storage.ObjectInfo, error) {
	if key != stdinKey {
		return storage.ObjectInfo{}, fmt.Errorf("stat %s on standard input: %w", key, storage.ErrNotExist)
	}
	return storage.ObjectInfo{Key: stdinKey, Size: -1}, nil
}

func (s *stdinStore) Put(context.Context, string, io.Reader, int64, storage.PutOptions) (storage.ObjectInfo, error) {
	return storage.ObjectInfo{}, errors.New("standard input is not written to")
}

func (s *stdinStore) Delete(context.Context, string) error {
	return errors.New("standard input is not written to")
}
