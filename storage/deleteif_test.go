package storage_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/storage/storagetest"
)

// Both backends delete conditionally.
var (
	_ storage.ConditionalDeleter = (*storage.Local)(nil)
	_ storage.ConditionalDeleter = (*storage.S3)(nil)
)

type deleter interface {
	storage.Store
	storage.ConditionalDeleter
}

// DeleteIf removes the object it was given and nothing written since: for
// every way the key can change between the decision and the delete, the
// object written since stays — whether the decision was made on a Stat
// or on a listing (GC by age, a merge's partials), which gives no S3
// version. identity: the store tells two objects of equal bytes written
// in one second apart (a local file; an S3 version, when Stat named it);
// an object known by its ETag and modification time only (S3 without
// versioning, or a listed one) is not told from a rewrite of the same
// bytes within the second it was written (the window docs/output.md
// states). A rewrite of the same bytes in a later second is told apart
// everywhere.
func TestDeleteIf(t *testing.T) {
	run := func(t *testing.T, s deleter, identity func(seen string) bool) {
		ctx := context.Background()
		put := func(key, data string) storage.ObjectInfo {
			t.Helper()
			if _, err := s.Put(ctx, key, strings.NewReader(data), int64(len(data)), storage.PutOptions{}); err != nil {
				t.Fatal(err)
			}
			info, err := s.Stat(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			return info
		}
		listed := func(key string) storage.ObjectInfo {
			t.Helper()
			var found storage.ObjectInfo
			if err := s.List(ctx, key, func(o storage.ObjectInfo) error {
				if o.Key == key {
					found = o
				}
				return nil
			}); err != nil || found.Key == "" {
				t.Fatalf("list %s: %v, found %+v", key, err, found)
			}
			return found
		}
		// nextSecond waits until the clock is past the second info was
		// written in: S3 gives modification times to the second.
		nextSecond := func(info storage.ObjectInfo) {
			for !time.Now().After(info.Modified.Truncate(time.Second).Add(time.Second)) {
				time.Sleep(20 * time.Millisecond)
			}
		}
		holds := func(key string) string {
			t.Helper()
			rc, err := s.Open(ctx, key, 0)
			if errors.Is(err, storage.ErrNotExist) {
				return "<none>"
			} else if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			var b strings.Builder
			buf := make([]byte, 64)
			for {
				n, err := rc.Read(buf)
				b.Write(buf[:n])
				if err != nil {
					break
				}
			}
			return b.String()
		}
		for _, seen := range []string{"stat", "list"} {
			for _, c := range []struct {
				name   string
				change func(key string, decided storage.ObjectInfo) // between the decision and the delete
				want   string                                       // what key holds after
				err    error
				window bool // an equal rewrite a store without identity cannot tell
			}{
				{"unchanged", func(string, storage.ObjectInfo) {}, "<none>", nil, false},
				{"rewritten", func(k string, _ storage.ObjectInfo) { put(k, "new bytes") }, "new bytes", storage.ErrPrecondition, false},
				{"rewritten with equal bytes at once", func(k string, _ storage.ObjectInfo) { put(k, "old bytes") }, "old bytes", storage.ErrPrecondition, true},
				{"rewritten with equal bytes a second later", func(k string, d storage.ObjectInfo) { nextSecond(d); put(k, "old bytes") }, "old bytes", storage.ErrPrecondition, false},
				{"deleted and written again", func(k string, _ storage.ObjectInfo) { _ = s.Delete(ctx, k); put(k, "new bytes") }, "new bytes", storage.ErrPrecondition, false},
				{"deleted", func(k string, _ storage.ObjectInfo) { _ = s.Delete(ctx, k) }, "<none>", nil, false},
			} {
				t.Run(seen+"/"+c.name, func(t *testing.T) {
					if c.window && !identity(seen) {
						t.Skip("this store knows the object by its ETag and modification time (to the second) only")
					}
					key := "d/" + seen + "/" + strings.ReplaceAll(c.name, " ", "-") + "/part-00000.csv"
					decided := put(key, "old bytes")
					if seen == "list" {
						decided = listed(key)
					}
					c.change(key, decided)
					err := s.DeleteIf(ctx, decided)
					if (c.err == nil) != (err == nil) || (c.err != nil && !errors.Is(err, c.err)) {
						t.Errorf("DeleteIf: %v, want %v", err, c.err)
					}
					if got := holds(key); got != c.want {
						t.Errorf("%s holds %s, want %s", key, got, c.want)
					}
				})
			}
		}
	}
	t.Run("local", func(t *testing.T) {
		l, err := storage.NewLocal(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		run(t, l, func(string) bool { return true })
	})
	t.Run("s3", func(t *testing.T) {
		storagetest.S3Config(t)
		s, _ := storagetest.NewBucket(t)
		run(t, s, func(string) bool { return false })
	})
	t.Run("s3-versioned", func(t *testing.T) {
		storagetest.S3Config(t)
		s, _ := storagetest.NewVersionedBucket(t)
		run(t, s, func(seen string) bool { return seen == "stat" })
	})
}

// On a versioned bucket DeleteIf removes the version it was given and the
// older ones, so none of them becomes the object again, and nothing when
// a newer version is the object.
func TestS3DeleteIfVersions(t *testing.T) {
	storagetest.S3Config(t)
	s, _ := storagetest.NewVersionedBucket(t)
	ctx := context.Background()
	put := func(data string) storage.ObjectInfo {
		info, err := s.Put(ctx, "k", strings.NewReader(data), int64(len(data)), storage.PutOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return info
	}
	put("v1")
	v2 := put("v2")
	if err := s.DeleteIf(ctx, v2); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Stat(ctx, "k"); !errors.Is(err, storage.ErrNotExist) {
		t.Fatalf("after deleting v2, k: %v; want nothing (not v1 again)", err)
	}
	put("v3")
	v4 := put("v4")
	put("v5")
	if err := s.DeleteIf(ctx, v4); !errors.Is(err, storage.ErrPrecondition) {
		t.Fatalf("deleting v4 under v5: %v, want ErrPrecondition", err)
	}
	if info, err := s.Stat(ctx, "k"); err != nil || info.Size != 2 {
		t.Fatalf("after deleting v4 under v5: %+v, %v", info, err)
	}
	rc, err := s.Open(ctx, "k", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b := make([]byte, 2)
	if _, err := rc.Read(b); string(b) != "v5" {
		t.Fatalf("k holds %q (%v), want v5", b, err)
	}
}

// Why a bucket without versioning has a window (docs/output.md, Fencing
// stale writers): the MinIO server the tests run ignores If-Match on
// DELETE. If this fails, it honours it now: send it, and close the window.
func TestMinIOIgnoresIfMatchOnDelete(t *testing.T) {
	cfg := storagetest.S3Config(t)
	s, _ := storagetest.NewBucket(t)
	ctx := context.Background()
	if _, err := s.Put(ctx, "k", strings.NewReader("x"), 1, storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	c, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure: !cfg.Insecure, Region: cfg.Region,
		Transport: ifMatch{http.DefaultTransport},
	})
	if err != nil {
		t.Fatal(err)
	}
	err = c.RemoveObject(ctx, s.Bucket(), "k", minio.RemoveObjectOptions{})
	if _, serr := s.Stat(ctx, "k"); err != nil || !errors.Is(serr, storage.ErrNotExist) {
		t.Fatalf("DELETE with a wrong If-Match: %v; the object after: %v — the server honours If-Match on DELETE", err, serr)
	}
}

// ifMatch sends If-Match with an ETag no object has on every DELETE.
type ifMatch struct{ http.RoundTripper }

func (t ifMatch) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodDelete {
		r = r.Clone(r.Context())
		r.Header.Set("If-Match", `"00000000000000000000000000000000"`)
	}
	return t.RoundTripper.RoundTrip(r)
}

// Where the store honours If-Match on DELETE (AWS S3 since September 2025,
// which cannot run here: a stand-in server answers as its documentation
// says), DeleteIf on a bucket without versioning sends the ETag it was
// given, and the store's 412 — an object written between the HEAD and the
// DELETE — is ErrPrecondition.
func TestS3DeleteIfSendsIfMatch(t *testing.T) {
	var got []string
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodHead:
			w.Header().Set("ETag", `"abc"`)
			w.Header().Set("Last-Modified", time.Now().UTC().Format(http.TimeFormat))
			w.Header().Set("Content-Length", "1")
		case http.MethodDelete:
			mu.Lock()
			got = append(got, r.Header.Get("If-Match"))
			mu.Unlock()
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusPreconditionFailed)
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message><Key>k</Key><BucketName>bkt</BucketName><Resource>/bkt/k</Resource><RequestId>1</RequestId><HostId>1</HostId></Error>`)
		default:
			http.Error(w, "unexpected", http.StatusNotImplemented)
		}
	}))
	defer srv.Close()
	s, err := storage.NewS3(storage.S3Config{Endpoint: srv.URL, Region: "us-east-1", AccessKey: "a", SecretKey: "secret-key", MaxRetries: 1}, "bkt")
	if err != nil {
		t.Fatal(err)
	}
	err = s.DeleteIf(context.Background(), storage.ObjectInfo{Key: "k", ETag: "abc"})
	if !errors.Is(err, storage.ErrPrecondition) {
		t.Errorf("DeleteIf answered 412: %v, want ErrPrecondition", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got[0] != `"abc"` {
		t.Errorf("DELETE sent with If-Match %q, want one with \"abc\"", got)
	}
}

// A write racing a DeleteIf of the object before it always survives,
// whichever of the two steps of either lands first: the delete names the
// object it was given, and a write makes another (on local folders the
// write may land between DeleteIf's check and its rename: the file is
// put back). Without versioning an S3 object has no such name (the
// window docs/output.md states), so only the stores that fence run it.
func TestDeleteIfRacingAWrite(t *testing.T) {
	run := func(t *testing.T, s deleter, rounds int) {
		ctx := context.Background()
		for i := range rounds {
			key := fmt.Sprintf("race/%d/part-00000.csv", i)
			if _, err := s.Put(ctx, key, strings.NewReader("old"), 3, storage.PutOptions{}); err != nil {
				t.Fatal(err)
			}
			decided, err := s.Stat(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			var perr, derr error
			wg.Add(2)
			go func() {
				defer wg.Done()
				_, perr = s.Put(ctx, key, strings.NewReader("new"), 3, storage.PutOptions{})
			}()
			go func() {
				defer wg.Done()
				derr = s.DeleteIf(ctx, decided)
			}()
			wg.Wait()
			if perr != nil {
				t.Fatal(perr)
			}
			if derr != nil && !errors.Is(derr, storage.ErrPrecondition) {
				t.Fatalf("round %d: DeleteIf: %v", i, derr)
			}
			info, err := s.Stat(ctx, key)
			if err != nil {
				t.Fatalf("round %d: the write racing the delete (DeleteIf: %v) is gone: %v", i, derr, err)
			}
			if info.ETag == decided.ETag && info.VersionID == decided.VersionID {
				t.Fatalf("round %d: %s still holds the object decided on", i, key)
			}
		}
	}
	t.Run("local", func(t *testing.T) {
		l, err := storage.NewLocal(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		run(t, l, 300)
	})
	t.Run("s3-versioned", func(t *testing.T) {
		storagetest.S3Config(t)
		s, _ := storagetest.NewVersionedBucket(t)
		run(t, s, 50)
	})
}

// DeleteIf names the object by its key wherever the key has characters a
// URL, a listing's prefix or an XML answer treat apart: it removes the
// object noted, and refuses one written since, under each.
func TestDeleteIfOddKeys(t *testing.T) {
	keys := []string{
		"odd/a b/part-00000.csv", "odd/a+b/part-00000.csv", "odd/a%20b/part-00000.csv",
		"odd/é ü/part-00000.csv", "odd/a?b#c&d=e/part-00000.csv", "odd/a;b,c'd\"e/part-00000.csv",
		"odd/a<b>c/part-00000.csv", "odd/a*b[c]/part-00000.csv", "odd/~!@$()/part-00000.csv",
		"odd/prefix/part-00000.csv", // the prefix of a key that stays
	}
	run := func(t *testing.T, s deleter) {
		ctx := context.Background()
		put := func(key, data string) storage.ObjectInfo {
			t.Helper()
			if _, err := s.Put(ctx, key, strings.NewReader(data), int64(len(data)), storage.PutOptions{}); err != nil {
				t.Fatal(err)
			}
			info, err := s.Stat(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			return info
		}
		put("odd/prefix/part-00000.csv.x", "stays")
		for _, key := range keys {
			noted := put(key, "old bytes")
			put(key, "new bytes")
			if err := s.DeleteIf(ctx, noted); !errors.Is(err, storage.ErrPrecondition) {
				t.Errorf("%q rewritten: DeleteIf: %v, want ErrPrecondition", key, err)
			}
			cur, err := s.Stat(ctx, key)
			if err != nil {
				t.Errorf("%q rewritten: the new object is gone: %v", key, err)
				continue
			}
			if err := s.DeleteIf(ctx, cur); err != nil {
				t.Errorf("%q: DeleteIf of the object in place: %v", key, err)
			}
			if _, err := s.Stat(ctx, key); !errors.Is(err, storage.ErrNotExist) {
				t.Errorf("%q after DeleteIf: %v, want ErrNotExist", key, err)
			}
		}
		if _, err := s.Stat(ctx, "odd/prefix/part-00000.csv.x"); err != nil {
			t.Errorf("the key that odd/prefix/part-00000.csv is a prefix of: %v", err)
		}
	}
	t.Run("local", func(t *testing.T) {
		l, err := storage.NewLocal(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		run(t, l)
	})
	t.Run("s3", func(t *testing.T) {
		storagetest.S3Config(t)
		s, _ := storagetest.NewBucket(t)
		run(t, s)
	})
	t.Run("s3-versioned", func(t *testing.T) {
		storagetest.S3Config(t)
		s, _ := storagetest.NewVersionedBucket(t)
		run(t, s)
	})
}
