package memcheck

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/logsmith/logsmith/job/memory"
	"github.com/logsmith/logsmith/job/settings"
)

const (
	kib = int64(1) << 10
	mib = int64(1) << 20
	gib = int64(1) << 30
)

func defaultConfig(t *testing.T) settings.Config {
	t.Helper()
	var c settings.Config
	if err := settings.ParseEnv(&c, map[string]string{"LOGSMITH_INPUT": "s3://logs/app/{yyyy}/{mm}/{dd}/", "LOGSMITH_OUTPUT": "s3://features/app"}); err != nil {
		t.Fatal(err)
	}
	c.Workers = 2 // the benchmark machine's; 0 would depend on this machine
	return c
}

func TestEstimate(t *testing.T) {
	// Fixed costs of 2 workers reading S3 with the defaults: the runtime,
	// per worker a 1 MiB line buffer, a 256 KiB read buffer and a zstd
	// decoder of an 8 MiB window (features.MaxZstdWindow) and 1 MiB of
	// blocks, and 3 × 2 MiB read-ahead.
	fixed := 96*mib + 2*(mib+256*kib+9*mib) + 3*2*mib
	for _, tc := range []struct {
		name                    string
		edit                    func(c *settings.Config)
		date                    string
		panes, groups, perGroup int64
		wantFixed               int64
	}{
		{"default, dated", nil, "2025-11-08", 288, 1, 4 * kib, fixed},
		// Each group's values twice at --max-dimension-bytes (1 KiB).
		{"group-by, dated", func(c *settings.Config) { c.GroupBy = []string{"service"} }, "2025-11-08", 288, 10000, 6 * kib, fixed},
		{"group-by, 1000 groups", func(c *settings.Config) { c.GroupBy, c.MaxGroups = []string{"service"}, 1000 }, "2025-11-08", 288, 1000, 6 * kib, fixed},
		{"two group-by fields", func(c *settings.Config) { c.GroupBy = []string{"service", "path"} }, "2025-11-08", 288, 10000, 8 * kib, fixed},
		{"long values", func(c *settings.Config) { c.GroupBy, c.MaxDimension = []string{"url"}, 16<<10 }, "2025-11-08", 288, 10000, 36 * kib, fixed},
		// A 15-minute window every 5 minutes reaches 10 minutes into the
		// next day: two more panes.
		{"sliding", func(c *settings.Config) { c.Window = []string{"15m/5m"} }, "2025-11-08", 290, 1, 4 * kib, fixed},
		{"two tables share panes", func(c *settings.Config) { c.Window = []string{"5m", "1h"} }, "2025-11-08", 288, 1, 4 * kib, fixed},
		{"1m and 1h/15m: 1m panes", func(c *settings.Config) { c.Window = []string{"1m", "1h/15m"} }, "2025-11-08", 1440 + 45, 1, 4 * kib, fixed},
		{"no latency", func(c *settings.Config) { c.LatencyField = "" }, "2025-11-08", 288, 1, 1 * kib, fixed},
		{"distinct", func(c *settings.Config) { c.DistinctField = "user_id" }, "2025-11-08", 288, 1, 20 * kib, fixed},
		{"undated: --max-panes", func(c *settings.Config) { c.Input = "s3://logs/app/" }, "", 200000, 1, 4 * kib, fixed},
		{"local input: no read-ahead", func(c *settings.Config) { c.Input = "/data/logs/{date}/" }, "2025-11-08", 288, 1, 4 * kib, fixed - 6*mib},
		{"8 workers", func(c *settings.Config) { c.Workers = 8 }, "2025-11-08", 288, 1, 4 * kib, 96*mib + 8*(mib+256*kib+9*mib) + 9*2*mib},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := defaultConfig(t)
			if tc.edit != nil {
				tc.edit(&c)
			}
			c.Date = tc.date
			e := estimateOf(t, c)
			if e.Panes != tc.panes || e.Groups != tc.groups || e.PerGroup != tc.perGroup || e.Fixed != tc.wantFixed {
				t.Errorf("got %+v, want panes %d groups %d per group %d fixed %d", e, tc.panes, tc.groups, tc.perGroup, tc.wantFixed)
			}
			if e.Aggregate != tc.panes*tc.groups*tc.perGroup || e.Total != e.Aggregate+e.Fixed || e.Dated != (tc.date != "") {
				t.Errorf("got %+v", e)
			}
		})
	}
	// docs/performance.md's figure: 10,000 groups of 5-minute panes for a day at
	// ~6 KiB is about 16.5 GiB.
	c := defaultConfig(t)
	c.GroupBy = []string{"service"}
	e := estimateOf(t, c)
	if e.Aggregate != 17_694_720_000 {
		t.Errorf("default group-by aggregate %d, want 288 × 10000 × 6144 = 17694720000", e.Aggregate)
	}
	// Caps far beyond any machine saturate instead of overflowing.
	c.MaxGroups, c.MaxPanes, c.Window, c.Input = 1_000_000, 1<<40, []string{"1s"}, "s3://logs/app/"
	if e := estimateOf(t, c); e.Total <= 0 {
		t.Errorf("overflow: %+v", e)
	}
}

// The check at the defaults against 1 GiB and 24 GiB: a dated run without
// --group-by fits both; with --group-by at the default 10,000 groups its
// aggregate of ~16.5 GiB spills, holding two hours of 5-minute panes at
// once (~1.4 GiB), and is refused at 1 GiB only, with a --max-groups that
// fits; an undated run (200,000 panes), with or without --group-by, and
// 1-second windows spill and fit: a run that fits spilled is never refused.
func TestCheck(t *testing.T) {
	now := time.Date(2025, 11, 9, 3, 0, 0, 0, time.UTC) // a templated input computes 2025-11-08
	gomem := func(n int64) memory.Limit { return memory.Limit{Bytes: n, Source: "GOMEMLIMIT"} }
	for _, tc := range []struct {
		name     string
		edit     func(c *settings.Config)
		parallel int
		limit    memory.Limit
		setting  string // the refusal's setting, or "" when it fits
	}{
		{"default, 1 GiB", nil, 1, gomem(gib), ""},
		{"default, 16 GiB", nil, 1, gomem(16 * gib), ""},
		{"group-by, 1 GiB", func(c *settings.Config) { c.GroupBy = []string{"service"} }, 1, gomem(gib), "LOGSMITH_MAX_GROUPS"},
		{"group-by, 24 GiB", func(c *settings.Config) { c.GroupBy = []string{"service"} }, 1, gomem(24 * gib), ""},
		{"group-by, 16 GiB", func(c *settings.Config) { c.GroupBy = []string{"service"} }, 1, gomem(16 * gib), ""},
		{"group-by, 500 groups, 1 GiB", func(c *settings.Config) { c.GroupBy, c.MaxGroups = []string{"service"}, 500 }, 1, gomem(gib), ""},
		{"group-by, no limit", func(c *settings.Config) { c.GroupBy = []string{"service"} }, 1, memory.Limit{}, ""},
		{"group-by, check off", func(c *settings.Config) { c.GroupBy, c.MemoryCheck = []string{"service"}, false }, 1, gomem(gib), ""},
		{"undated, 1 GiB", func(c *settings.Config) { c.Input = "s3://logs/app/" }, 1, gomem(gib), ""},
		{"undated group-by, 16 GiB", func(c *settings.Config) { c.Input, c.GroupBy = "s3://logs/app/", []string{"service"} }, 1, gomem(16 * gib), ""},
		{"undated, 512 MiB", func(c *settings.Config) { c.Input = "s3://logs/app/" }, 1, gomem(512 * mib), ""},
		{"1s windows, 256 MiB", func(c *settings.Config) { c.Window = []string{"1s"} }, 1, gomem(256 * mib), ""},
		{"64 workers, 256 MiB", func(c *settings.Config) { c.Workers = 64 }, 1, gomem(256 * mib), "LOGSMITH_WORKERS"},
		{"backfill of 8 dates at once, 1 GiB", func(c *settings.Config) { c.GroupBy, c.MaxGroups = []string{"service"}, 500 }, 8, gomem(gib), "LOGSMITH_WORKERS"},
		{"cgroup", func(c *settings.Config) { c.GroupBy = []string{"service"} }, 1, memory.Limit{Bytes: 8 * gib, Source: "/sys/fs/cgroup/memory.max"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := defaultConfig(t)
			if tc.edit != nil {
				tc.edit(&c)
			}
			err := Check(&c, tc.parallel, tc.limit, now)
			if tc.setting == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var ce *settings.ConfigError
			if !errors.As(err, &ce) || ce.Env != tc.setting {
				t.Fatalf("got %v, want a config error of %s", err, tc.setting)
			}
			msg := err.Error()
			t.Log(msg)
			for _, want := range []string{tc.limit.Source, "--memory-check=false", "--workers"} {
				if !strings.Contains(msg, want) {
					t.Errorf("message lacks %q", want)
				}
			}
			if strings.Contains(msg, "\n") {
				t.Error("message is not one line")
			}
			// The --max-groups it suggests fits.
			if m := regexp.MustCompile(`--max-groups to (\d+)`).FindStringSubmatch(msg); m != nil {
				n, _ := strconv.Atoi(m[1])
				c.MaxGroups = n
				if err := Check(&c, tc.parallel, tc.limit, now); err != nil {
					t.Errorf("the suggested --max-groups %d is refused too: %v", n, err)
				}
				c.MaxGroups = n + 1
				if err := Check(&c, tc.parallel, tc.limit, now); err == nil {
					t.Errorf("--max-groups %d fits too: the suggestion is not the largest", n+1)
				}
			}
		})
	}
}

// estimateOf is the memory estimate of a run of c, resolved on
// 2025-11-09 (a templated input computes 2025-11-08).
func estimateOf(t *testing.T, c settings.Config) memory.Estimate {
	t.Helper()
	res, err := c.Resolve(time.Date(2025, 11, 9, 3, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	return Estimate(&c, res)
}
