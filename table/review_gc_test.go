package table_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/storage/objio"
	"github.com/logsmith/logsmith/table"
)

// answerLost is a store whose conditional manifest writes land but, while
// armed, lose their answer: the caller sees a transient error, and the
// retrying bucket tries again, to be told the condition fails (the object
// is the one it wrote).
type answerLost struct {
	*storage.Local
	seen atomic.Int32 // claims written since armed
	lose int32        // which of them loses its answer (1: the first); 0: none
}

func (a *answerLost) Put(ctx context.Context, key string, r io.Reader, size int64, opts storage.PutOptions) (storage.ObjectInfo, error) {
	body, err := io.ReadAll(r)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	info, err := a.Local.Put(ctx, key, bytes.NewReader(body), size, opts)
	if err == nil && strings.HasSuffix(key, table.ManifestName) && opts.IfMatch != "" &&
		bytes.Contains(bytes.ReplaceAll(body, []byte(" "), nil), []byte(`"state":"claimed"`)) && a.seen.Add(1) == a.lose {
		return storage.ObjectInfo{}, errors.New("connection reset by peer")
	}
	return info, err
}

// GC claims a partition, deletes, and puts its commit back. A claim (or a
// renewal of it) whose PUT landed but whose answer was lost is retried by
// the bucket and then refused: the head is GC's own claim. GC must see
// that the claim is its own and put the commit back, not walk away and
// leave its claim as the partition's head.
func TestGCClaimAnswerLost(t *testing.T) {
	for _, tc := range []struct {
		name string
		lose int32
	}{{"claim", 1}, {"renewal", 2}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			l, err := storage.NewLocal(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { l.Close() })
			a := &answerLost{Local: l}
			b := objio.New(a, objio.Policy{Deadline: 5 * time.Second})
			out := table.NewOutput(b, "o")
			tb := out.Table("", false)
			const d = "2025-11-08"
			if _, err := (&table.Committer{RunID: "now"}).Commit(ctx, []*table.Partition{part(tb, d, table.Head{}, 2, "parquet")}); err != nil {
				t.Fatal(err)
			}
			committed := read(t, b, tb.ManifestKey(d))
			dropped := "o/date=" + d + "/part-00000.csv"
			if _, err := l.Put(ctx, dropped, strings.NewReader("a dropped format"), 16, storage.PutOptions{}); err != nil {
				t.Fatal(err)
			}
			a.seen.Store(0)
			a.lose = tc.lose
			res, err := out.GC(ctx, table.GCOptions{Now: time.Now(), Grace: time.Hour})
			if err != nil || len(res.Deleted) != 1 {
				t.Errorf("gc: deleted %v, %v; want %s deleted", res.Deleted, err, dropped)
			}
			if got := read(t, b, tb.ManifestKey(d)); got != committed {
				h, _ := tb.ReadHead(ctx, d)
				t.Errorf("after gc the head is %s by %s, not the commit put back:\n%s", h.Manifest.State, h.Manifest.RunID, got)
			}
		})
	}
}
