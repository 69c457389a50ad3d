package job

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/job/memcheck"
	"github.com/logsmith/logsmith/job/memory"
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/storage"
)

// estimateOf is the memory estimate of a run of c, resolved on
// 2025-11-09 (a templated input computes 2025-11-08).
func estimateOf(t *testing.T, c settings.Config) memory.Estimate {
	t.Helper()
	res, err := c.Resolve(time.Date(2025, 11, 9, 3, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	return memcheck.Estimate(&c, res)
}

// A run reading MinIO is checked once it has listed its input, from a
// sample of its gzip objects: under a limit between its estimate from the
// data (plan's) and its estimate at the caps it runs; under one below the
// data's, spilled, it is refused as a bad setting naming --max-groups, having
// written nothing.
func TestMemoryCheckFromDataOnMinIO(t *testing.T) {
	f := newPlanFixture(t)
	ctx := context.Background()
	for o := range 4 {
		var b bytes.Buffer
		z := gzip.NewWriter(&b)
		for i := range 5000 {
			s := (o*5000 + i) * 86400 / 20000
			fmt.Fprintf(z, `{"timestamp":"2025-11-08T%02d:%02d:%02dZ","level":"INFO","latency_ms":%d,"user":"u%d"}`+"\n", s/3600, s/60%60, s%60, i%97, (i*7919)%500)
		}
		if err := z.Close(); err != nil {
			t.Fatal(err)
		}
		f.put(fmt.Sprintf("mem/part-%d.jsonl.gz", o), b.Bytes())
	}
	pc := f.config("mem")
	pc.GroupBy, pc.MaxGroups = []string{"user"}, 100000
	p, err := PlanRun(ctx, pc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	caps := estimateOf(t, pc.Config)
	if p.Memory.Basis != "sampled" || p.Memory.Data.GroupsPerDay < 500 || p.Memory.Total >= caps.Total {
		t.Fatalf("plan's estimate %+v, data %+v; caps %d", p.Memory, p.Memory.Data, caps.Total)
	}
	for _, tc := range []struct {
		name    string
		limit   int64
		refused bool
	}{
		{"between the data's and the caps' estimates", (p.Memory.Total + caps.Total) / 2, false},
		// The check counts the aggregate as spilled (Spilling): below that.
		{"below the data's estimate", p.Memory.Spilling - 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := pc.Config
			cfg.RunID, cfg.Output = "", cfg.Output+"/"+strings.ReplaceAll(tc.name, " ", "-")
			_, err := Run(ctx, cfg, Options{Memory: MemoryGuard{Limit: memory.Limit{Bytes: tc.limit, Source: "test"}}})
			if !tc.refused {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var ce *settings.ConfigError
			if !errors.As(err, &ce) || failure.KindOf(err) != failure.KindBadSetting || !strings.Contains(err.Error(), "--max-groups") || !strings.Contains(err.Error(), "sampled") {
				t.Fatalf("got %v, want a bad --max-groups", err)
			}
			var written []string
			_ = f.bucket.List(ctx, strings.TrimPrefix(cfg.Output, "s3://"+f.bucket.Bucket()+"/"), func(o storage.ObjectInfo) error {
				written = append(written, o.Key)
				return nil
			})
			if len(written) > 0 {
				t.Errorf("the refused run wrote %v", written)
			}
		})
	}
}
