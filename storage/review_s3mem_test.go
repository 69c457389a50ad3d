package storage_test

import (
	"context"
	"runtime"
	"strings"
	"testing"

	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/storage/storagetest"
)

// A Put of unknown size (-1: logsmith generate's stream) must not cost
// minio-go's default part buffer for an object of unknown size, ~537 MiB
// each: generate's workers, each writing one, would need gigabytes and be
// killed for it.
func TestS3UnknownSizePutMemory(t *testing.T) {
	s, _ := storagetest.NewBucket(t)
	ctx := context.Background()
	body := strings.Repeat("line\n", 200)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if _, err := s.Put(ctx, "mem/x", struct{ *strings.Reader }{strings.NewReader(body)}, -1, storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if got := after.TotalAlloc - before.TotalAlloc; got > 128<<20 {
		t.Errorf("a put of %d bytes of unknown size allocated %d MiB", len(body), got>>20)
	}
	if st, err := s.Stat(ctx, "mem/x"); err != nil || st.Size != int64(len(body)) {
		t.Errorf("stat = %+v, %v", st, err)
	}
}
