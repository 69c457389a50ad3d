package storage_test

import (
	"context"
	"errors"
	"io"
	"slices"
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

// A key ending in '/' is an object like any other: listed with its size,
// whether it is an empty folder marker or holds bytes (S3 and MinIO keep
// both), and read back. List used to drop both without a trace.
func TestS3ListsKeysEndingInSlash(t *testing.T) {
	s, _ := storagetest.NewBucket(t)
	ctx := context.Background()
	objs := map[string]string{"logs/": "", "logs/a/": "{\"x\":1}\n", "logs/a/b.jsonl": "{}\n", "logs/c/": ""}
	for k, body := range objs {
		if _, err := s.Put(ctx, k, strings.NewReader(body), int64(len(body)), storage.PutOptions{}); err != nil {
			t.Fatalf("put %q: %v", k, err)
		}
	}
	got := map[string]int64{}
	var keys []string
	if err := s.List(ctx, "logs/", func(o storage.ObjectInfo) error {
		got[o.Key] = o.Size
		keys = append(keys, o.Key)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for k, body := range objs {
		if size, ok := got[k]; !ok || size != int64(len(body)) {
			t.Errorf("%q: listed %v with size %d, want size %d", k, ok, size, len(body))
		}
	}
	if len(got) != len(objs) || !slices.IsSorted(keys) {
		t.Errorf("listed %q, want the %d keys in order", keys, len(objs))
	}
	rc, err := s.Open(ctx, "logs/a/", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if b, _ := io.ReadAll(rc); string(b) != objs["logs/a/"] {
		t.Errorf("logs/a/ reads %q", b)
	}
}
