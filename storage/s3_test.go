package storage_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/storage/storagetest"
)

// Keys the store refuses are ErrInvalidKey, for every operation, at once:
// MinIO's empty, "." and ".." segments and NUL (its error codes, or a bare
// 400 to HEAD), and what minio-go refuses before sending (over 1024 bytes,
// not UTF-8). They used to be retried until the deadline.
func TestS3InvalidKeys(t *testing.T) {
	s, _ := storagetest.NewBucket(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, key := range []string{"sp2//dbl/x", "x/../y", "x/./y", "../x", "a/\x00b", strings.Repeat("k", 1025), "ok/\xff"} {
		name := key
		if len(name) > 20 {
			name = name[:20] + "..."
		}
		ops := map[string]error{}
		_, ops["put"] = s.Put(ctx, key, strings.NewReader("x"), 1, storage.PutOptions{})
		_, ops["stat"] = s.Stat(ctx, key)
		var r io.ReadCloser
		if r, ops["open"] = s.Open(ctx, key, 0); r != nil {
			r.Close()
		}
		ops["list"] = s.List(ctx, key, func(storage.ObjectInfo) error { return nil })
		ops["delete"] = s.Delete(ctx, key)
		for op, err := range ops {
			// MinIO accepts a delete of a key it could never hold.
			if op == "delete" && err == nil {
				continue
			}
			if !errors.Is(err, storage.ErrInvalidKey) {
				t.Errorf("%s %q: %v, want ErrInvalidKey", op, name, err)
			}
		}
	}
	if ctx.Err() != nil {
		t.Error("refused keys took the whole timeout: retried")
	}
}
