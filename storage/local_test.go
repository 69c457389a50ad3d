package storage

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The local backend must never read or write outside its root, whatever the key.
func TestLocalStaysInsideRoot(t *testing.T) {
	ctx := context.Background()
	parent := t.TempDir()
	root := filepath.Join(parent, "root")
	secret := filepath.Join(parent, "secret.txt")
	if err := os.WriteFile(secret, []byte("outside"), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := NewLocal(root)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	// A symlink inside the root pointing out of it must not be followed.
	if err := os.Symlink(parent, filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"../secret.txt", "a/../../secret.txt", "/etc/passwd", "./x", "a//b", "link/secret.txt", "", "a/"} {
		if _, err := l.Open(ctx, key, 0); err == nil {
			t.Errorf("open %q succeeded", key)
		}
		if _, err := l.Put(ctx, key, strings.NewReader("x"), 1, PutOptions{}); err == nil {
			t.Errorf("put %q succeeded", key)
		}
		if _, err := l.Stat(ctx, key); err == nil {
			t.Errorf("stat %q succeeded", key)
		}
	}
	if _, err := l.Open(ctx, "../secret.txt", 0); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("open ../secret.txt: %v, want ErrInvalidKey", err)
	}
	if b, _ := os.ReadFile(secret); string(b) != "outside" {
		t.Errorf("file outside root changed: %q", b)
	}
}

func TestLocalListHidesTempFiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l, err := NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := os.WriteFile(filepath.Join(dir, tmpPrefix+"abc"), []byte("half"), 0o644); err != nil {
		t.Fatal(err)
	}
	n := 0
	if err := l.List(ctx, "", func(ObjectInfo) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("listed %d objects, want 0 (temp files are not objects)", n)
	}
}
