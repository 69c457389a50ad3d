package storagetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/logsmith/logsmith/storage"
)

// keyCases check long and odd keys: stored byte for byte, or refused
// with a permanent sentinel.
func keyCases() []Case {
	ctx := context.Background()
	put := putString
	read := readString
	keys := listKeys
	return []Case{
		// Keys up to 1024 bytes (S3's limit) of segments up to 255 bytes
		// (most file systems' limit) are stored as any other. A key a
		// backend cannot store is refused with a permanent sentinel on
		// every method, never a bare error a retry would repeat, and is
		// never stored under another name.
		{Name: "LongKeys", Test: func(t testing.TB, s Store) {
			seg := strings.Repeat("s", 200)
			long := "l/" + seg + "/" + seg + "/" + seg + "/" + seg + "/" + seg
			long += strings.Repeat("z", 1024-len(long))
			put(t, s, long, "long")
			if got := read(t, s, long, 0); got != "long" {
				t.Errorf("read the 1024-byte key = %q", got)
			}
			if got := keys(t, s, "l/"); !slices.Equal(got, []string{long}) {
				t.Errorf("list of the 1024-byte key = %d keys", len(got))
			}
			if err := s.Delete(ctx, long); err != nil {
				t.Errorf("delete the 1024-byte key: %v", err)
			}
			for _, key := range []string{long + "z", "l/" + strings.Repeat("y", 300) + "/k", strings.Repeat("a/", 600) + "k"} {
				refusedOrKept(t, s, key)
			}
		}},
		// Keys are bytes: no byte is decoded, trimmed or folded, so keys
		// that a URL or a file system might take for one another are
		// distinct objects, each read back under its own name.
		{Name: "OddKeysDistinct", Test: func(t testing.TB, s Store) {
			odd := []string{
				"o/a b", "o/a%20b", "o/a+b", "o/a%2Fb", "o/a#b", "o/a?b=c&d", "o/a;b", "o/a:b", "o/a=b",
				"o/.lead", "o/trail.", "o/..two", "o/two..", "o/.x./y", "o/seg./z", "o/~t", "o/a'b", "o/a\"b",
				"o/ünïcödé", "o/u\u0308nicode", "o/日本/語", "o/🙂", "o/A", "o/a", "o/a b ", "o/ a",
			}
			for _, k := range odd {
				put(t, s, k, "body of "+k)
			}
			want := slices.Clone(odd)
			slices.Sort(want)
			if got := keys(t, s, "o/"); !slices.Equal(got, want) {
				t.Errorf("list = %q,\nwant %q", got, want)
			}
			for _, k := range odd {
				if got := read(t, s, k, 0); got != "body of "+k {
					t.Errorf("read %q = %q", k, got)
				}
				if st, err := s.Stat(ctx, k); err != nil || st.Key != k {
					t.Errorf("stat %q = %q, %v", k, st.Key, err)
				}
			}
			for _, k := range odd {
				if err := s.Delete(ctx, k); err != nil {
					t.Errorf("delete %q: %v", k, err)
				}
			}
			if got := keys(t, s, "o/"); len(got) != 0 {
				t.Errorf("after deleting every key, list = %q", got)
			}
			// Keys some backend refuses: each is refused with a
			// permanent sentinel or kept byte for byte.
			for _, k := range []string{"", "/lead", "o//x", "o/./x", "o/../x", "../x", "o/x/", "./x", ".", "o/\x00", "o/\tcontrol", "o/back\\slash", "o/\xff",
				"o/cr\rx", "o/lf\nx", "o/\x01", "o/del\x7f", "o/x/..", "o/x/.", "o/ space/", "o/%", "o/%zz", "o/%2e%2e/x",
				"o/..", "o/...", "o/x\u2028y", "o/\ufeffbom", "o/\u00a0nbsp", "o/a\\..\\b", "o/a\\..", "o/..\\b", "o/a\\.\\b", "o/ .. /x", "o/x/ ..", "o/ ./x", "o/x/.. ", "o/*?[", "o/&amp;", "o/<x>"} {
				refusedOrKept(t, s, k)
			}
		}},
	}
}

// permanent reports whether err is one of the storage sentinels a retry
// cannot help.
func permanent(err error) bool {
	return errors.Is(err, storage.ErrInvalidKey) || errors.Is(err, storage.ErrPermission) ||
		errors.Is(err, storage.ErrNotExist) || errors.Is(err, storage.ErrPrecondition)
}

// refusedOrKept fails t unless the store either refuses key on every
// method with a permanent sentinel, or stores it byte for byte under that
// name and no other.
func refusedOrKept(t testing.TB, s Store, key string) {
	t.Helper()
	ctx := context.Background()
	name := fmt.Sprintf("%.80q", key)
	_, perr := s.Put(ctx, key, strings.NewReader("k"), 1, storage.PutOptions{})
	if perr != nil {
		if !errors.Is(perr, storage.ErrInvalidKey) && !errors.Is(perr, storage.ErrPermission) {
			t.Errorf("put %s: %v, want ErrInvalidKey or ErrPermission", name, perr)
		}
		if _, err := s.Stat(ctx, key); !errors.Is(err, storage.ErrInvalidKey) && !errors.Is(err, storage.ErrNotExist) {
			t.Errorf("stat refused %s: %v, want ErrInvalidKey or ErrNotExist", name, err)
		}
		if rc, err := s.Open(ctx, key, 0); !errors.Is(err, storage.ErrInvalidKey) && !errors.Is(err, storage.ErrNotExist) {
			t.Errorf("open refused %s: %v, want ErrInvalidKey or ErrNotExist", name, err)
			if err == nil {
				rc.Close()
			}
		}
		if err := s.Delete(ctx, key); err != nil && !permanent(err) {
			t.Errorf("delete refused %s: %v, want nil or a sentinel", name, err)
		}
		var listed []string
		_ = s.List(ctx, "", func(o storage.ObjectInfo) error { listed = append(listed, o.Key); return nil })
		if len(listed) != 0 {
			t.Errorf("refused put %s left %q", name, listed)
		}
		return
	}
	var listed []string
	if err := s.List(ctx, "", func(o storage.ObjectInfo) error { listed = append(listed, o.Key); return nil }); err != nil {
		t.Errorf("list after put %s: %v", name, err)
	}
	if !slices.Equal(listed, []string{key}) {
		t.Errorf("put %s lists as %q", name, listed)
	}
	if st, err := s.Stat(ctx, key); err != nil || st.Key != key || st.Size != 1 {
		t.Errorf("stat kept %s = %+v, %v", name, st, err)
	}
	if err := s.Delete(ctx, key); err != nil {
		t.Errorf("delete kept %s: %v", name, err)
	}
	if _, err := s.Stat(ctx, key); !errors.Is(err, storage.ErrNotExist) {
		t.Errorf("stat deleted %s: %v, want ErrNotExist", name, err)
	}
}
