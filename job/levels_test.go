package job_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/job"
	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/storage"
)

// pinoLogs writes objects of pino-style lines (numeric levels 10-60,
// latencies as durations and nginx lists) under a new folder and returns
// it, with the errors and warnings per hour a pino reader counts: 50 and 60
// are errors, 40 a warning.
func pinoLogs(t *testing.T, objects, lines int) (dir string, errs, warns map[string]int64) {
	t.Helper()
	dir = t.TempDir()
	errs, warns = map[string]int64{}, map[string]int64{}
	rng := rand.New(rand.NewPCG(22, 3))
	day := time.Date(2025, 11, 8, 0, 0, 0, 0, time.UTC)
	for o := range objects {
		var b bytes.Buffer
		for range lines {
			ts := day.Add(time.Duration(rng.Int64N(int64(24 * time.Hour))))
			level := []int{10, 20, 30, 30, 30, 40, 50, 60}[rng.IntN(8)]
			hour := ts.Truncate(time.Hour).Format(time.RFC3339)
			switch {
			case level >= 50:
				errs[hour]++
			case level == 40:
				warns[hour]++
			}
			lv := strconv.Itoa(level)
			if rng.IntN(3) == 0 {
				lv = strconv.Quote(lv) // pino-pretty and shippers may write it as a string
			}
			rt := []string{`"0.005s"`, `"5ms"`, `"0.002, 0.003"`, `"-"`, `5`}[rng.IntN(5)]
			fmt.Fprintf(&b, `{"time":%d,"level":%s,"msg":"x","rt":%s}`+"\n", ts.UnixMilli(), lv, rt)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("pino-%d.log", o)), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir, errs, warns
}

// csvCounts reads error_count and warn_count by window start from a
// committed CSV table.
func csvCounts(t *testing.T, data []byte) (errs, warns map[string]int64) {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil || len(recs) < 2 {
		t.Fatalf("csv: %v, %d records", err, len(recs))
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	errs, warns = map[string]int64{}, map[string]int64{}
	for _, r := range recs[1:] {
		e, _ := strconv.ParseInt(r[col["error_count"]], 10, 64)
		w, _ := strconv.ParseInt(r[col["warn_count"]], 10, 64)
		if e > 0 {
			errs[r[col["window_start"]]] = e
		}
		if w > 0 {
			warns[r[col["window_start"]]] = w
		}
	}
	return errs, warns
}

// Numeric pino levels with --level-map give the error and warning counts
// a pino reader computes, however the objects are split between workers;
// without it they are counted as unknown levels, warned of and never
// errors, silently or not.
func TestPinoLevelsWithLevelMap(t *testing.T) {
	in, wantErrs, wantWarns := pinoLogs(t, 4, 3000)
	run := func(levelMap string, workers int) (*job.Summary, map[string][]byte) {
		cfg := runConfig(in, t.TempDir(), settings.S3Settings{})
		cfg.TimestampField, cfg.LatencyField, cfg.LatencyUnit = "time", "rt", "s"
		cfg.Window, cfg.Sparse, cfg.Format, cfg.Workers, cfg.LevelMap = []string{"1h"}, true, []string{"csv"}, workers, levelMap
		sum, err := job.Run(context.Background(), cfg, job.Options{})
		if err != nil {
			t.Fatalf("--level-map %q: %v", levelMap, err)
		}
		l, _ := storage.NewLocal(cfg.Output)
		return sum, committed(t, l, cfg.Output)
	}
	for _, workers := range []int{1, 3} {
		sum, files := run("10-30=info,40=warn,50-60=error", workers)
		if sum.BadLines != 0 || sum.UnknownLevels != nil || len(sum.Warnings) != 0 {
			t.Errorf("workers %d: bad %v, unknown levels %+v, warnings %q", workers, sum.BadByReason, sum.UnknownLevels, sum.Warnings)
		}
		errs, warns := csvCounts(t, files["date=2025-11-08/part.csv"])
		if !reflect.DeepEqual(errs, wantErrs) || !reflect.DeepEqual(warns, wantWarns) {
			t.Errorf("workers %d: errors %v warnings %v, want %v %v", workers, errs, warns, wantErrs, wantWarns)
		}
	}

	sum, files := run("", 3)
	errs, warns := csvCounts(t, files["date=2025-11-08/part.csv"])
	if len(errs) != 0 || len(warns) != 0 {
		t.Errorf("without a map: errors %v warnings %v, want none", errs, warns)
	}
	u := sum.UnknownLevels
	if u == nil || u.Events != sum.Events || !u.AllValues || u.Field != "level" || len(u.Values) != 6 {
		t.Fatalf("unknown levels %+v of %d events", u, sum.Events)
	}
	for _, v := range u.Values {
		if !slices.Contains([]string{"10", "20", "30", "40", "50", "60"}, v.Value) {
			t.Errorf("unknown value %q", v.Value)
		}
	}
	if u.Values[0].Value != "30" {
		t.Errorf("most frequent %q, want 30", u.Values[0].Value)
	}
}

// Unknown levels are in the summary, a warning, the log and every
// manifest; with --strict-fields they fail the run (exit 3) and nothing
// is committed. Only the events of the date count.
func TestUnknownLevels(t *testing.T) {
	in := strings.Join([]string{
		`{"timestamp":"2025-11-08T10:00:00Z","level":"INFO"}`,
		`{"timestamp":"2025-11-08T10:01:00Z","level":"chatty","latency_ms":"-"}`,
		`{"timestamp":"2025-11-08T10:02:00Z","level":"chatty"}`,
		`{"timestamp":"2025-11-08T10:03:00Z","level":3,"latency_ms":"0.001, 0.002"}`,
		`{"timestamp":"2025-11-08T10:04:00Z","level":"E"}`,
		`{"timestamp":"2025-11-09T10:04:00Z","level":"other-day"}`,
	}, "\n")
	run := func(strict bool, levelMap string) (*job.Summary, string, string, error) {
		cfg := runConfig("-", t.TempDir(), settings.S3Settings{})
		cfg.Date, cfg.StrictFields, cfg.LevelMap, cfg.Window = "2025-11-08", strict, levelMap, []string{"5m", "15m/5m"}
		var log bytes.Buffer
		sum, err := job.Run(context.Background(), cfg, job.Options{Stdin: strings.NewReader(in), Logger: slog.New(slog.NewJSONHandler(&log, nil))})
		return sum, cfg.Output, log.String(), err
	}
	want := &job.UnknownLevels{Field: "level", Events: 3, AllValues: true,
		Values: []features.LevelValue{{Value: "chatty", Count: 2}, {Value: "3", Count: 1}}}
	const warning = `--level-field "level" had 3 values that are not known levels (most frequent: "chatty" 2, "3" 1); set --level-map`

	sum, out, log, err := run(false, "")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(sum.UnknownLevels, want) || !slices.Contains(sum.Warnings, warning) {
		t.Errorf("summary: unknown levels %+v, warnings %q; want %+v and %q", sum.UnknownLevels, sum.Warnings, want, warning)
	}
	if !strings.Contains(log, "level values that are not known levels") || !strings.Contains(log, `"events":3`) {
		t.Errorf("log lacks the unknown levels:\n%s", log)
	}
	for _, w := range []string{"5m", "15m-every-5m"} {
		l, _ := storage.NewLocal(filepath.Join(out, "window="+w))
		loc, _ := settings.ParseLocation(filepath.Join(out, "window="+w))
		m, _, err := readManifest(context.Background(), l, loc, "2025-11-08")
		if err != nil || !reflect.DeepEqual(m.UnknownLevels, want) || !slices.Contains(m.Warnings, warning) {
			t.Errorf("manifest of %s: %v; unknown levels %+v, warnings %q", w, err, m.UnknownLevels, m.Warnings)
		}
	}

	sum, out, _, err = run(true, "")
	if failure.ExitCode(err) != failure.ExitBadData || !strings.Contains(err.Error(), `--level-field "level" had 3 values`) {
		t.Fatalf("strict: %v (exit %d), want exit %d naming the level field", err, failure.ExitCode(err), failure.ExitBadData)
	}
	if sum == nil || !reflect.DeepEqual(sum.UnknownLevels, want) || len(sum.Partitions) != 0 {
		t.Errorf("strict summary %+v", sum)
	}
	var files []string
	_ = filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.Contains(p, "_rejects") {
			files = append(files, p)
		}
		return nil
	})
	if len(files) != 0 {
		t.Errorf("a strict failure left files: %v", files)
	}

	// A map that names them leaves nothing unknown, even strict.
	sum, _, _, err = run(true, "chatty=info,3=error")
	if err != nil || sum.UnknownLevels != nil || slices.ContainsFunc(sum.Warnings, func(w string) bool { return strings.Contains(w, "level") }) {
		t.Errorf("with a map: %v, unknown %+v, warnings %q", err, sum.UnknownLevels, sum.Warnings)
	}
}

// The unknown levels travel in the shard partials: a merge reports what
// the shards saw.
func TestUnknownLevelsAcrossShards(t *testing.T) {
	in, out := t.TempDir(), t.TempDir()
	for i, l := range []string{
		`{"timestamp":"2025-11-08T10:00:00Z","level":"chatty"}` + "\n" + `{"timestamp":"2025-11-08T10:00:01Z","level":"loud"}`,
		`{"timestamp":"2025-11-08T11:00:00Z","level":"chatty"}`,
	} {
		if err := os.WriteFile(filepath.Join(in, string(rune('a'+i))+".jsonl"), []byte(l+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := runConfig(in, out, settings.S3Settings{})
	cfg.Date, cfg.RunID, cfg.LatencyField = "2025-11-08", "levels", ""
	for i := range 2 {
		c := cfg
		c.Shard = []string{"0/2", "1/2"}[i]
		if _, err := job.Run(context.Background(), c, job.Options{}); err != nil {
			t.Fatalf("shard %d: %v", i, err)
		}
	}
	sum, err := job.Merge(context.Background(), cfg, job.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := &job.UnknownLevels{Field: "level", Events: 3, AllValues: true,
		Values: []features.LevelValue{{Value: "chatty", Count: 2}, {Value: "loud", Count: 1}}}
	if !reflect.DeepEqual(sum.UnknownLevels, want) {
		t.Errorf("merge: unknown levels %+v, want %+v", sum.UnknownLevels, want)
	}
}
