package job

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/job/memory"
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/storage/storagetest"
)

// planFixture is a MinIO bucket to plan against.
type planFixture struct {
	t      *testing.T
	bucket *storage.S3
	s3     settings.S3Settings
}

func newPlanFixture(t *testing.T) *planFixture {
	b, c := storagetest.NewBucket(t)
	return &planFixture{t: t, bucket: b, s3: settings.S3Settings{Endpoint: c.Endpoint, Region: c.Region, AccessKey: c.AccessKey, SecretKey: c.SecretKey, Insecure: c.Insecure}}
}

func (f *planFixture) put(key string, data []byte) {
	f.t.Helper()
	if _, err := f.bucket.Put(context.Background(), key, bytes.NewReader(data), int64(len(data)), storage.PutOptions{}); err != nil {
		f.t.Fatal(err)
	}
}

// config plans prefix for 2025-11-08 at 1000 bytes/s in 10 s: 10,000
// uncompressed bytes per pod.
func (f *planFixture) config(prefix string) settings.PlanConfig {
	f.t.Helper()
	var c settings.PlanConfig
	if err := settings.ParseEnv(&c, map[string]string{}); err != nil {
		f.t.Fatal(err)
	}
	c.Input, c.Output = "s3://"+f.bucket.Bucket()+"/"+prefix+"/", "s3://"+f.bucket.Bucket()+"/out"
	c.Date, c.RunID, c.S3, c.Workers = "2025-11-08", "plan-test", f.s3, 2
	c.Throughput, c.Budget = 1000, 10*time.Second
	return c
}

// jsonl returns JSON lines of exactly size bytes.
func jsonl(size int) []byte {
	const line = `{"timestamp":"2025-11-08T10:00:00Z","level":"INFO","latency_ms":12}` + "\n"
	b := bytes.Repeat([]byte(line), size/len(line)+1)[:size]
	if size > 0 {
		b[size-1] = '\n'
	}
	return b
}

func TestPlanShardsOnMinIO(t *testing.T) {
	f := newPlanFixture(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name                string
		sizes               []int
		edit                func(c *settings.PlanConfig)
		units, need, shards int
		cappedBy            string
		slowest             int64
	}{
		{"one small object: 1", []int{5000}, nil, 1, 1, 1, "", 5000},
		{"empty objects: at least 1", []int{0, 0}, nil, 2, 1, 1, "", 0},
		{"40 kB in 10 kB pods: 4", []int{5000, 5000, 5000, 5000, 5000, 5000, 5000, 5000}, nil, 8, 4, 4, "", 10000},
		// 20 kB asks for 2 shards, but dealt in two the slowest gets
		// 6000+5000 bytes: a third shard makes it fit.
		{"imbalance: one more", []int{9000, 6000, 5000}, nil, 3, 2, 3, "", 9000},
		{"units cap", []int{50000, 50000, 50000}, nil, 3, 15, 3, "units", 50000},
		{"max cap", slices.Repeat([]int{5000}, 20), func(c *settings.PlanConfig) { c.MaxShards = 4 }, 20, 10, 4, "max_shards", 25000},
		// One object alone takes longer than the budget: 6 shards already
		// leave it alone on its shard; more would not help.
		{"largest unit", append([]int{50000}, slices.Repeat([]int{1000}, 10)...), nil, 11, 6, 6, "largest_unit", 50000},
		// A plain object over --split-bytes is read as ranges: more
		// shards than objects.
		{"split into ranges", []int{40000}, func(c *settings.PlanConfig) { c.SplitBytes = 10000 }, 4, 4, 4, "", 10000},
		{"a larger budget: fewer shards", slices.Repeat([]int{5000}, 8), func(c *settings.PlanConfig) { c.Budget = 20 * time.Second }, 8, 2, 2, "", 20000},
		{"a faster pod: fewer shards", slices.Repeat([]int{5000}, 8), func(c *settings.PlanConfig) { c.Throughput = 4000 }, 8, 1, 1, "", 40000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prefix := strings.NewReplacer(" ", "-", ":", "", ",", "").Replace(tc.name)
			var total int64
			for i, s := range tc.sizes {
				f.put(fmt.Sprintf("%s/obj-%02d.jsonl", prefix, i), jsonl(s))
				total += int64(s)
			}
			cfg := f.config(prefix)
			if tc.edit != nil {
				tc.edit(&cfg)
			}
			p, err := PlanRun(ctx, cfg, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if p.Objects != len(tc.sizes) || p.Bytes != total || p.EstimatedUncompressedBytes != total || !p.UncompressedEstimate.Exact {
				t.Errorf("objects %d bytes %d uncompressed %d exact %v, want %d, %d, %d, exact", p.Objects, p.Bytes, p.EstimatedUncompressedBytes, p.UncompressedEstimate.Exact, len(tc.sizes), total, total)
			}
			if p.Units != tc.units || p.ShardsForBudget != tc.need || p.Shards != tc.shards || p.CappedBy != tc.cappedBy || p.SlowestShardBytes != tc.slowest {
				t.Errorf("units %d need %d shards %d capped by %q slowest %d, want %d %d %d %q %d",
					p.Units, p.ShardsForBudget, p.Shards, p.CappedBy, p.SlowestShardBytes, tc.units, tc.need, tc.shards, tc.cappedBy, tc.slowest)
			}
			if p.FitsBudget != (tc.cappedBy == "") || p.EstimatedSeconds != (tc.slowest+cfg.Throughput-1)/cfg.Throughput {
				t.Errorf("fits %v, estimated %d s", p.FitsBudget, p.EstimatedSeconds)
			}
			if len(p.ShardList) != p.Shards || (p.Shards > 0 && p.ShardList[p.Shards-1] != p.Shards-1) {
				t.Errorf("shard list %v", p.ShardList)
			}
			if p.RunID != "plan-test" || p.Date != "2025-11-08" || p.Memory.Panes != 288 {
				t.Errorf("run %q date %q memory %+v", p.RunID, p.Date, p.Memory)
			}
		})
	}
}

func TestPlanErrorsOnMinIO(t *testing.T) {
	f := newPlanFixture(t)
	ctx := context.Background()
	_, err := PlanRun(ctx, f.config("nothing-here"), Options{})
	if failure.KindOf(err) != failure.KindNotReady || failure.ExitCode(err) != failure.ExitStorage || !strings.Contains(fmt.Sprint(err), "no input objects") {
		t.Errorf("empty input: %v (kind %v), want input not there yet (exit 5)", err, failure.KindOf(err))
	}
	for _, tc := range []struct {
		edit    func(c *settings.PlanConfig)
		setting string
	}{
		{func(c *settings.PlanConfig) { c.Budget = 0 }, "LOGSMITH_PLAN_BUDGET"},
		{func(c *settings.PlanConfig) { c.Throughput = 0 }, "LOGSMITH_PLAN_THROUGHPUT"},
		{func(c *settings.PlanConfig) { c.MaxShards = 10001 }, "LOGSMITH_PLAN_MAX_SHARDS"},
		{func(c *settings.PlanConfig) { c.Date = "" }, "LOGSMITH_DATE"},
		{func(c *settings.PlanConfig) { c.Input = "-" }, "LOGSMITH_INPUT"},
		{func(c *settings.PlanConfig) { c.Window = []string{"7m"} }, "LOGSMITH_WINDOW"},
		{func(c *settings.PlanConfig) { c.Output = "" }, "LOGSMITH_OUTPUT"},
	} {
		cfg := f.config("x")
		tc.edit(&cfg)
		_, err := PlanRun(ctx, cfg, Options{})
		var ce *settings.ConfigError
		if !errors.As(err, &ce) || ce.Env != tc.setting {
			t.Errorf("got %v, want a config error of %s", err, tc.setting)
		}
	}
	// A templated input without --date plans yesterday, like a run.
	f.put("tpl/2025/11/08/a.jsonl", jsonl(100))
	cfg := f.config("x")
	cfg.Input, cfg.Date, cfg.RunID = "s3://"+f.bucket.Bucket()+"/tpl/{yyyy}/{mm}/{dd}/", "", ""
	p, err := PlanRun(ctx, cfg, Options{Now: func() time.Time { return time.Date(2025, 11, 9, 1, 2, 3, 0, time.UTC) }})
	if err != nil || p.Date != "2025-11-08" || p.Objects != 1 || !strings.HasPrefix(p.RunID, "20251109T010203Z-") {
		t.Errorf("templated: %+v, %v", p, err)
	}
}

// gzipMembers compresses each part as its own gzip member, concatenated.
func gzipMembers(parts ...[]byte) []byte {
	var b bytes.Buffer
	for _, p := range parts {
		w := gzip.NewWriter(&b)
		w.Write(p)
		w.Close()
	}
	return b.Bytes()
}

// The uncompressed estimate: exact for plain objects and for compressed
// objects read whole in a sample, within a few percent for larger gzip,
// multi-member gzip and zstd objects; the ISIZE trailer of the
// multi-member file would say a tenth of it.
func TestPlanUncompressedOnMinIO(t *testing.T) {
	f := newPlanFixture(t)
	ctx := context.Background()
	gen := func(name string, objects, lines int, gz, zs bool) int64 {
		s, err := Generate(ctx, settings.GenerateConfig{Output: "s3://" + f.bucket.Bucket() + "/" + name, Objects: objects, Lines: lines, Seed: 11,
			Gzip: gz, Zstd: zs, Start: time.Date(2025, 11, 8, 0, 0, 0, 0, time.UTC), Days: 1, S3: f.s3})
		if err != nil {
			t.Fatal(err)
		}
		return s.Bytes
	}
	// Real logs repeat themselves more than the generator's random ids
	// and addresses: a line pattern that compresses some 12×. Large
	// enough that the samples (1 MiB stored) do not reach the end.
	var rep bytes.Buffer
	rng := rand.New(rand.NewPCG(5, 6))
	for rep.Len() < 48<<20 {
		fmt.Fprintf(&rep, `{"timestamp":"2025-11-08T%02d:%02d:%02dZ","level":"INFO","service":"checkout","latency_ms":%d}`+"\n",
			rng.IntN(24), rng.IntN(60), rng.IntN(60), rng.IntN(300))
	}
	r := rep.Bytes()
	// Appended-to files: the last member, whose size the ISIZE trailer
	// holds, is the small one.
	a := gzipMembers(r[:16<<20], r[16<<20:16<<20+100<<10])
	b := gzipMembers(r[24<<20:40<<20], r[40<<20:], r[:200<<10])
	f.put("multi/2025/11/08/a.jsonl.gz", a)
	f.put("multi/2025/11/08/b.jsonl.gz", b)
	multiTotal := int64(16<<20 + 100<<10 + 16<<20 + len(r) - 40<<20 + 200<<10)
	isize := int64(binary.LittleEndian.Uint32(a[len(a)-4:])) + int64(binary.LittleEndian.Uint32(b[len(b)-4:]))
	if isize*10 > multiTotal {
		t.Fatalf("ISIZE says %d of %d: the fixture does not show its trap", isize, multiTotal)
	}

	for _, tc := range []struct {
		name      string
		want      int64
		exact     bool
		codec     string
		class     string
		tolerance float64
	}{
		{"plain", gen("plain", 3, 20000, false, false), true, "none", "other", 0},
		{"gzip-small", gen("gzip-small", 3, 1000, true, false), true, "gzip", ".gz", 0},
		{"gzip", gen("gzip", 4, 40000, true, false), false, "gzip", ".gz", 0.05},
		{"zstd-small", gen("zstd-small", 2, 1000, false, true), true, "zstd", ".zst", 0},
		{"zstd", gen("zstd", 4, 60000, false, true), false, "zstd", ".zst", 0.05},
		{"multi", multiTotal, false, "gzip", ".gz", 0.05},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := f.config(tc.name + "/{yyyy}/{mm}/{dd}")
			p, err := PlanRun(ctx, cfg, Options{})
			if err != nil {
				t.Fatal(err)
			}
			got := p.EstimatedUncompressedBytes
			off := float64(got-tc.want) / float64(tc.want)
			t.Logf("stored %d, uncompressed %d, estimated %d (%+.2f%%), classes %+v", p.Bytes, tc.want, got, 100*off, p.UncompressedEstimate.Classes)
			if tc.tolerance == 0 && got != tc.want || off > tc.tolerance || off < -tc.tolerance {
				t.Errorf("estimated %d, want %d within %.0f%%", got, tc.want, 100*tc.tolerance)
			}
			est := p.UncompressedEstimate
			if est.Exact != tc.exact || est.Rule != "sampled-ratio" || len(est.Classes) != 1 {
				t.Fatalf("estimate %+v", est)
			}
			c := est.Classes[0]
			if c.Class != tc.class || c.Codecs[tc.codec] != c.Sampled || c.Sampled != min(p.Objects, 16) || c.EstimatedBytes != got {
				t.Errorf("class %+v", c)
			}
			if tc.codec != "none" && (c.Ratio < 1.5 || p.Bytes >= got) {
				t.Errorf("ratio %v for %s", c.Ratio, tc.codec)
			}
		})
	}
}

// The same listing gives the same plan, byte for byte, whatever the worker
// count (samples are read concurrently) and however often it is planned.
func TestPlanDeterministicOnMinIO(t *testing.T) {
	f := newPlanFixture(t)
	ctx := context.Background()
	for _, g := range []settings.GenerateConfig{{Objects: 20, Lines: 3000, Gzip: true}, {Objects: 5, Lines: 30000, Zstd: true}, {Objects: 7, Lines: 2000}} {
		g.Output, g.Seed, g.Start, g.Days, g.S3 = "s3://"+f.bucket.Bucket()+"/mix", 3, time.Date(2025, 11, 8, 0, 0, 0, 0, time.UTC), 1, f.s3
		if g.Gzip || g.Zstd {
			// Distinct names per codec: Generate numbers objects from 0.
			g.Output += map[bool]string{true: "/gz", false: "/zst"}[g.Gzip]
		}
		if _, err := Generate(ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	var first []byte
	for i, workers := range []int{1, 4, 2, 8} {
		cfg := f.config("mix")
		cfg.Input = "s3://" + f.bucket.Bucket() + "/mix/"
		cfg.Workers, cfg.Throughput = workers, 500_000
		p, err := PlanRun(ctx, cfg, Options{})
		if err != nil {
			t.Fatal(err)
		}
		p.Memory = memory.Estimate{} // depends on --workers
		b, _ := json.Marshal(p)
		if i == 0 {
			first = b
			t.Logf("%s", b)
			if p.Objects != 32 || len(p.UncompressedEstimate.Classes) != 3 || p.Shards < 2 || p.Shards >= p.Units {
				t.Errorf("plan %s", b)
			}
			continue
		}
		if !bytes.Equal(b, first) {
			t.Errorf("workers %d:\n%s\nwant\n%s", workers, b, first)
		}
	}
}
