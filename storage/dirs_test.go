package storage_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/storage/storagetest"
)

type dirLister interface {
	storagetest.Store
	storage.DirLister
}

func testListDirs(t *testing.T, s dirLister) {
	ctx := context.Background()
	for _, k := range []string{"o/date=2025-11-08/part-00000.parquet", "o/date=2025-11-08/_manifest.json",
		"o/date=2025-11-09/x/y", "o/window=5m/date=2025-11-08/a", "o/top", "other/z"} {
		if _, err := s.Put(ctx, k, strings.NewReader("x"), 1, storage.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	list := func(prefix string) []string {
		t.Helper()
		var got []string
		if err := s.ListDirs(ctx, prefix, func(d string) error { got = append(got, d); return nil }); err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got, want := list("o/"), []string{"o/date=2025-11-08/", "o/date=2025-11-09/", "o/window=5m/"}; !slices.Equal(got, want) {
		t.Errorf("ListDirs(o/) = %v, want %v", got, want)
	}
	if got, want := list(""), []string{"o/", "other/"}; !slices.Equal(got, want) {
		t.Errorf("ListDirs() = %v, want %v", got, want)
	}
	if got := list("missing/"); len(got) != 0 {
		t.Errorf("ListDirs(missing/) = %v", got)
	}
}

func TestLocalListDirs(t *testing.T) {
	l, err := storage.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	testListDirs(t, l)
}

func TestS3ListDirs(t *testing.T) {
	storagetest.S3Config(t)
	s, _ := storagetest.NewBucket(t)
	testListDirs(t, s)
}

// A write killed between creating its temporary file and renaming it
// leaves a file List never shows; RemoveStaleTemp collects it once old.
func TestLocalRemoveStaleTemp(t *testing.T) {
	dir := t.TempDir()
	l, err := storage.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := l.Put(ctx, "o/date=2025-11-08/part-00000.parquet", strings.NewReader("x"), 1, storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dir, "o/date=2025-11-08/.logsmith-tmp-0123456789abcdef")
	fresh := filepath.Join(dir, "o/date=2025-11-09/.logsmith-tmp-fedcba9876543210")
	for _, p := range []string{stale, fresh} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("half"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	n, err := l.RemoveStaleTemp(ctx, "o/", time.Now().Add(-time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("removed %d, %v; want 1", n, err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale temp file remains: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("fresh temp file removed: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "o/date=2025-11-08/part-00000.parquet")); err != nil {
		t.Errorf("object removed: %v", err)
	}
}
