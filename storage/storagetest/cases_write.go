package storagetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/logsmith/logsmith/storage"
)

// writeCases check that a write that does not end well leaves nothing.
func writeCases() []Case {
	ctx := context.Background()
	put := putString
	read := readString
	keys := listKeys
	return []Case{
		// A write that does not end well leaves nothing: the context
		// cancelled mid-stream or before it, the reader failing, fewer
		// bytes than announced or more (which would otherwise be cut
		// silently). Whatever was under the key before stays, whole.
		{Name: "FailedPutLeavesNothing", Test: func(t testing.TB, s Store) {
			body := strings.Repeat("0123456789abcdef", 64<<10) // 1 MiB
			for _, c := range failedWrites(len(body)) {
				for _, before := range []string{"", "the old object"} {
					key := "w/" + c.name + "/x"
					if before != "" {
						key = "w/" + c.name + "/replaced"
						put(t, s, key, before)
					}
					cctx, cancel := context.WithCancel(ctx)
					r := c.reader(body, cancel)
					if c.cancelFirst {
						cancel()
					}
					_, err := s.Put(cctx, key, r, c.size, storage.PutOptions{})
					cancel()
					if err == nil {
						t.Errorf("put with %s succeeded", c.name)
					} else if c.want != nil && !errors.Is(err, c.want) {
						t.Errorf("put with %s: %v, want %v", c.name, err, c.want)
					}
					checkUnchanged(t, s, key, before, "put with "+c.name)
					if got := keys(t, s, "w/"+c.name+"/"); len(got) != map[bool]int{false: 0, true: 1}[before != ""] {
						t.Errorf("after put with %s, list shows %v", c.name, got)
					}
					// Conditional writes fail the same way.
					cctx, cancel = context.WithCancel(ctx)
					r = c.reader(body, cancel)
					if c.cancelFirst {
						cancel()
					}
					_, err = s.Put(cctx, key+".new", r, c.size, storage.PutOptions{IfNoneMatch: true})
					cancel()
					if err == nil {
						t.Errorf("create-if-absent with %s succeeded", c.name)
					}
					checkUnchanged(t, s, key+".new", "", "create-if-absent with "+c.name)
					if before == "" {
						continue
					}
					// A replacement whose condition holds, too.
					st, err := s.Stat(ctx, key)
					if err != nil {
						t.Fatal(err)
					}
					cctx, cancel = context.WithCancel(ctx)
					r = c.reader(body, cancel)
					if c.cancelFirst {
						cancel()
					}
					_, err = s.Put(cctx, key, r, c.size, storage.PutOptions{IfMatch: st.ETag})
					cancel()
					if err == nil {
						t.Errorf("replace-if-match with %s succeeded", c.name)
					}
					checkUnchanged(t, s, key, before, "replace-if-match with "+c.name)
				}
			}
		}},
		// Put stores the bytes read from r: from where r stands, not
		// from its start, though r can seek or read at an offset (a
		// bytes.Reader partly read). Large enough for a multipart upload.
		{Name: "PutReadsFromWhereTheReaderIs", Test: func(t testing.TB, s Store) {
			body := []byte(strings.Repeat("0123456789abcdef", 17<<16)) // 17 MiB
			const skip = 5
			for _, size := range []int64{int64(len(body) - skip), -1} {
				r := bytes.NewReader(body)
				if _, err := r.Seek(skip, io.SeekStart); err != nil {
					t.Fatal(err)
				}
				key := fmt.Sprintf("pos/size%d", size)
				if _, err := s.Put(ctx, key, r, size, storage.PutOptions{}); err != nil {
					t.Errorf("put %d bytes from byte %d: %v", size, skip, err)
					continue
				}
				rc, err := s.Open(ctx, key, 0)
				if err != nil {
					t.Fatal(err)
				}
				got, err := io.ReadAll(rc)
				rc.Close()
				if err != nil || !bytes.Equal(got, body[skip:]) {
					t.Errorf("put (size %d) from byte %d stored %d bytes starting %q, want %d starting %q (%v)",
						size, skip, len(got), got[:min(8, len(got))], len(body)-skip, body[skip:skip+8], err)
				}
				_ = s.Delete(ctx, key)
			}
		}},
		// A conditional write of a body large enough for a multipart
		// upload (a manifest may be 256 MiB) is as conditional as a small
		// one.
		{Name: "LargeConditionalWrites", Test: func(t testing.TB, s Store) {
			big := []byte(strings.Repeat("0123456789abcdef", 17<<16)) // 17 MiB
			old := put(t, s, "lc/x", "old")
			for _, c := range []struct {
				name string
				opts storage.PutOptions
			}{{"if-none-match on an object", storage.PutOptions{IfNoneMatch: true}}, {"if-match of another etag", storage.PutOptions{IfMatch: old.ETag + "x"}}} {
				if _, err := s.Put(ctx, "lc/x", bytes.NewReader(big), int64(len(big)), c.opts); !errors.Is(err, storage.ErrPrecondition) {
					t.Errorf("%s: %v, want ErrPrecondition", c.name, err)
				}
				checkUnchanged(t, s, "lc/x", "old", c.name)
			}
			if _, err := s.Put(ctx, "lc/missing", bytes.NewReader(big), int64(len(big)), storage.PutOptions{IfMatch: old.ETag}); !errors.Is(err, storage.ErrPrecondition) {
				t.Errorf("if-match on a missing key: %v, want ErrPrecondition", err)
			}
			checkUnchanged(t, s, "lc/missing", "", "if-match on a missing key")
			if _, err := s.Put(ctx, "lc/x", bytes.NewReader(big), int64(len(big)), storage.PutOptions{IfMatch: old.ETag}); err != nil {
				t.Errorf("if-match of its etag: %v", err)
			}
			if got := read(t, s, "lc/x", 0); got != string(big) {
				t.Errorf("if-match of its etag stored %d bytes, want %d", len(got), len(big))
			}
			_ = s.Delete(ctx, "lc/x")
		}},
		{Name: "FailedUploadLeavesNothing", Test: func(t testing.TB, s Store) {
			body := strings.Repeat("0123456789abcdef", 64<<10)
			for _, c := range failedWrites(len(body)) {
				if c.size < 0 {
					// Complete needs the size: refused up front.
					c.want = storage.ErrSize
				}
				key := "u/" + c.name
				u, err := s.Begin(ctx, key)
				if err != nil {
					t.Fatal(err)
				}
				cctx, cancel := context.WithCancel(ctx)
				r := c.reader(body, cancel)
				if c.cancelFirst {
					cancel()
				}
				_, err = s.Complete(cctx, u, r, c.size)
				cancel()
				if err == nil {
					t.Errorf("complete with %s succeeded", c.name)
				} else if c.want != nil && !errors.Is(err, c.want) {
					t.Errorf("complete with %s: %v, want %v", c.name, err, c.want)
				}
				checkUnchanged(t, s, key, "", "complete with "+c.name)
				if err := s.Abort(ctx, u); err != nil {
					t.Errorf("abort after a failed complete: %v", err)
				}
			}
			if got := keys(t, s, ""); len(got) != 0 {
				t.Errorf("failed uploads left %v", got)
			}
		}},
	}
}

// failedWrite is a write that cannot end well.
type failedWrite struct {
	name        string
	size        int64
	cancelFirst bool
	// want, when set, is the sentinel of the write's error.
	want error
	// reader returns the body's reader; cancel cancels the write's context.
	reader func(body string, cancel context.CancelFunc) io.Reader
}

// errReader is the error of a reader that fails mid-stream.
var errReader = errors.New("the reader failed")

func failedWrites(n int) []failedWrite {
	half := func(body string) (string, string) { return body[:len(body)/2], body[len(body)/2:] }
	return []failedWrite{
		{name: "cancelled-mid-stream", want: context.Canceled, size: int64(n), reader: func(body string, cancel context.CancelFunc) io.Reader {
			a, b := half(body)
			return io.MultiReader(strings.NewReader(a), &onRead{func() { cancel() }}, strings.NewReader(b))
		}},
		{name: "cancelled-mid-stream-unknown-size", want: context.Canceled, size: -1, reader: func(body string, cancel context.CancelFunc) io.Reader {
			a, b := half(body)
			return io.MultiReader(strings.NewReader(a), &onRead{func() { cancel() }}, strings.NewReader(b))
		}},
		{name: "cancelled-before", want: context.Canceled, size: int64(n), cancelFirst: true, reader: func(body string, _ context.CancelFunc) io.Reader {
			return strings.NewReader(body)
		}},
		{name: "reader-error", want: errReader, size: int64(n), reader: func(body string, _ context.CancelFunc) io.Reader {
			a, _ := half(body)
			return io.MultiReader(strings.NewReader(a), iotestErr{})
		}},
		{name: "reader-error-unknown-size", want: errReader, size: -1, reader: func(body string, _ context.CancelFunc) io.Reader {
			a, _ := half(body)
			return io.MultiReader(strings.NewReader(a), iotestErr{})
		}},
		// The reader's last bytes come with its error, which it does not
		// repeat: a failure all the same (io.Copy's reading of it).
		{name: "reader-error-at-last-byte", want: errReader, size: int64(n), reader: func(body string, _ context.CancelFunc) io.Reader {
			return &failAtEnd{r: strings.NewReader(body)}
		}},
		{name: "reader-error-at-last-byte-unknown-size", want: errReader, size: -1, reader: func(body string, _ context.CancelFunc) io.Reader {
			return &failAtEnd{r: strings.NewReader(body)}
		}},
		{name: "short-body", want: storage.ErrSize, size: int64(n) + 1, reader: func(body string, _ context.CancelFunc) io.Reader {
			return strings.NewReader(body)
		}},
		{name: "long-body", want: storage.ErrSize, size: int64(n) - 1, reader: func(body string, _ context.CancelFunc) io.Reader {
			return strings.NewReader(body)
		}},
		{name: "one-byte-long", want: storage.ErrSize, size: 0, reader: func(string, context.CancelFunc) io.Reader {
			return strings.NewReader("x")
		}},
		// The same, from streams that cannot say their length up front.
		{name: "short-stream", want: storage.ErrSize, size: int64(n) + 1, reader: func(body string, _ context.CancelFunc) io.Reader {
			return struct{ io.Reader }{strings.NewReader(body)}
		}},
		{name: "long-stream", want: storage.ErrSize, size: int64(n) - 1, reader: func(body string, _ context.CancelFunc) io.Reader {
			return struct{ io.Reader }{strings.NewReader(body)}
		}},
		{name: "one-byte-long-stream", want: storage.ErrSize, size: 0, reader: func(string, context.CancelFunc) io.Reader {
			return struct{ io.Reader }{strings.NewReader("x")}
		}},
	}
}

// onRead calls fn on its first read and then reads nothing, so a
// MultiReader moves on.
type onRead struct{ fn func() }

func (o *onRead) Read([]byte) (int, error) {
	if o.fn != nil {
		o.fn()
		o.fn = nil
	}
	return 0, io.EOF
}

// failAtEnd reads r, returning its last bytes with errReader, and then
// io.EOF.
type failAtEnd struct {
	r      *strings.Reader
	failed bool
}

func (f *failAtEnd) Read(p []byte) (int, error) {
	if f.failed {
		return 0, io.EOF
	}
	n, _ := f.r.Read(p)
	if f.r.Len() == 0 {
		f.failed = true
		return n, errReader
	}
	return n, nil
}

type iotestErr struct{}

func (iotestErr) Read([]byte) (int, error) { return 0, errReader }

// checkUnchanged fails t unless key holds before (nothing when before is
// empty), whole, after what.
func checkUnchanged(t testing.TB, s Store, key, before, what string) {
	t.Helper()
	ctx := context.Background()
	st, err := s.Stat(ctx, key)
	if before == "" {
		if !errors.Is(err, storage.ErrNotExist) {
			t.Errorf("after %s, %s is there: size %d, %v", what, key, st.Size, err)
		}
		return
	}
	if err != nil {
		t.Errorf("after %s, stat %s: %v", what, key, err)
		return
	}
	rc, err := s.Open(ctx, key, 0)
	if err != nil {
		t.Errorf("after %s, open %s: %v", what, key, err)
		return
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil || string(b) != before || st.Size != int64(len(before)) {
		t.Errorf("after %s, %s holds %d bytes (size %d), %v; want %q", what, key, len(b), st.Size, err, before)
	}
}
