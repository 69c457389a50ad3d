package job_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/logsmith/logsmith/job"
	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/storage"
)

// --timestamp-zone and the layouts that need it are checked before any I/O.
func TestTimestampZoneSetting(t *testing.T) {
	const mst = "02/01/2006 15:04:05 MST"
	tests := []struct {
		env  map[string]string
		want string // the setting named by the error, or "" for none
	}{
		{map[string]string{"LOGSMITH_TIMESTAMP_LAYOUT": mst}, "LOGSMITH_TIMESTAMP_LAYOUT"},
		{map[string]string{"LOGSMITH_TIMESTAMP_LAYOUT": mst, "LOGSMITH_TIMESTAMP_ZONE": "America/New_York"}, ""},
		{map[string]string{"LOGSMITH_TIMESTAMP_LAYOUT": mst, "LOGSMITH_TIMESTAMP_ZONE": "UTC"}, ""},
		{map[string]string{"LOGSMITH_TIMESTAMP_LAYOUT": mst + " -0700"}, ""},
		{map[string]string{"LOGSMITH_TIMESTAMP_LAYOUT": "2006-01-02 15:04:05"}, ""},
		{map[string]string{"LOGSMITH_TIMESTAMP_LAYOUT": "Jan _2 15:04:05"}, "LOGSMITH_TIMESTAMP_LAYOUT"},
		{map[string]string{"LOGSMITH_TIMESTAMP_LAYOUT": mst, "LOGSMITH_TIMESTAMP_ZONE": "Local"}, "LOGSMITH_TIMESTAMP_ZONE"},
		{map[string]string{"LOGSMITH_TIMESTAMP_LAYOUT": mst, "LOGSMITH_TIMESTAMP_ZONE": "Nowhere/Else"}, "LOGSMITH_TIMESTAMP_ZONE"},
		{map[string]string{"LOGSMITH_TIMESTAMP_ZONE": "America/New_York"}, "LOGSMITH_TIMESTAMP_ZONE"}, // only for layouts
		{map[string]string{"LOGSMITH_GROUP_BY": strings.Repeat("f,", 58) + "g"}, "LOGSMITH_GROUP_BY"},
		{map[string]string{"LOGSMITH_STRICT_FIELDS": "yes"}, "LOGSMITH_STRICT_FIELDS"},
	}
	for _, tt := range tests {
		env := map[string]string{"LOGSMITH_INPUT": "x", "LOGSMITH_OUTPUT": "y"}
		for k, v := range tt.env {
			env[k] = v
		}
		var cfg settings.Config
		err := settings.ParseEnv(&cfg, env)
		if err == nil {
			err = cfg.Validate()
		}
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%v: %v", tt.env, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want) || failure.ExitCode(err) != failure.ExitConfig):
			t.Errorf("%v: error %v (exit %d), want exit %d naming %s", tt.env, err, failure.ExitCode(err), failure.ExitConfig, tt.want)
		}
	}
}

// A run reads zone abbreviations in --timestamp-zone whatever the host's
// zone (scripts/test.sh runs this under several TZ).
func TestRunTimestampZone(t *testing.T) {
	in := `{"t":"08/11/2025 10:00:00 EST","latency_ms":1}` + "\n" + `{"t":"08/11/2025 05:01:00 UTC","latency_ms":2}` + "\n"
	cfg := runConfig("-", t.TempDir(), settings.S3Settings{})
	cfg.TimestampField, cfg.TimestampLayout, cfg.TimestampZone = "t", "02/01/2006 15:04:05 MST", "America/New_York"
	cfg.Sparse, cfg.Format, cfg.LevelField = true, []string{"csv"}, ""
	sum, err := job.Run(context.Background(), cfg, job.Options{Stdin: strings.NewReader(in)})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Events != 2 || len(sum.Partitions) != 1 || sum.Rows != 2 {
		t.Fatalf("summary %+v", sum)
	}
	l, _ := storage.NewLocal(cfg.Output)
	got := committed(t, l, cfg.Output)["date=2025-11-08/part.csv"]
	for _, w := range []string{"2025-11-08T05:00:00Z,2025-11-08T05:05:00Z,1,", "2025-11-08T15:00:00Z,2025-11-08T15:05:00Z,1,"} {
		if !strings.Contains(string(got), "\n"+w) {
			t.Errorf("no window %s in\n%s", w, got)
		}
	}
}

// A configured field that never had a value is a warning in the summary,
// and with --strict-fields a bad-data failure that commits nothing.
func TestMissingFields(t *testing.T) {
	in := strings.Join([]string{
		`{"timestamp":"2025-11-08T10:00:00Z","level":"INFO","status":200,"latency":5}`,
		`{"timestamp":"2025-11-08T10:01:00Z","level":null,"status":"503","svc":null}`,
	}, "\n")
	run := func(strict bool) (*job.Summary, string, error) {
		cfg := runConfig("-", t.TempDir(), settings.S3Settings{})
		cfg.StatusField, cfg.GroupBy, cfg.StrictFields = "status", []string{"svc"}, strict
		sum, err := job.Run(context.Background(), cfg, job.Options{Stdin: strings.NewReader(in)})
		return sum, cfg.Output, err
	}
	want := []job.MissingField{{Setting: "latency-field", Field: "latency_ms"}, {Setting: "group-by", Field: "svc"}}

	sum, out, err := run(false)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(sum.Missing, want) || len(sum.Warnings) != 2 ||
		!strings.Contains(sum.Warnings[0], `--latency-field "latency_ms" had no value in any of 2 events`) {
		t.Errorf("missing %v, warnings %q", sum.Missing, sum.Warnings)
	}
	// The manifest carries the warnings too.
	l, _ := storage.NewLocal(out)
	loc, _ := settings.ParseLocation(out)
	if m, _, err := readManifest(context.Background(), l, loc, "2025-11-08"); err != nil || !reflect.DeepEqual(m.Warnings, sum.Warnings) {
		t.Errorf("manifest warnings %v (%v), want %q", m, err, sum.Warnings)
	}

	sum, out, err = run(true)
	if failure.ExitCode(err) != failure.ExitBadData || err == nil || !strings.Contains(err.Error(), `--group-by "svc"`) {
		t.Fatalf("strict: %v (exit %d), want exit %d naming the fields", err, failure.ExitCode(err), failure.ExitBadData)
	}
	if sum == nil || !reflect.DeepEqual(sum.Missing, want) || len(sum.Partitions) != 0 {
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
}

// A dated run looks for the fields only in the events of its date: the
// others are counted out_of_range and never written, so a field whose
// values are all there leaves every committed column empty, and is missing.
func TestMissingFieldsOutsideDate(t *testing.T) {
	in := strings.Join([]string{
		`{"timestamp":"2025-11-08T10:00:00Z","level":"INFO"}`,
		`{"timestamp":"2025-11-08T10:01:00Z","level":"INFO","svc":"a"}`,
		`{"timestamp":"2025-11-09T10:00:00Z","level":"INFO","latency_ms":5,"svc":"b"}`,
		`{"timestamp":"2025-11-07T10:00:00Z","level":"INFO","latency_ms":7}`,
	}, "\n")
	for _, tc := range []struct {
		date    string
		missing []job.MissingField
		events  int
	}{
		{"2025-11-08", []job.MissingField{{Setting: "latency-field", Field: "latency_ms"}}, 2},
		{"2025-11-09", []job.MissingField{}, 1},
		{"2025-11-07", []job.MissingField{{Setting: "group-by", Field: "svc"}}, 1},
	} {
		for _, strict := range []bool{false, true} {
			cfg := runConfig("-", t.TempDir(), settings.S3Settings{})
			cfg.Date, cfg.GroupBy, cfg.StrictFields = tc.date, []string{"svc"}, strict
			sum, err := job.Run(context.Background(), cfg, job.Options{Stdin: strings.NewReader(in)})
			if sum == nil {
				t.Fatalf("%s strict=%v: %v", tc.date, strict, err)
			}
			if len(sum.Missing) == 0 {
				sum.Missing = []job.MissingField{}
			}
			if !reflect.DeepEqual(sum.Missing, tc.missing) {
				t.Errorf("%s strict=%v: missing %v, want %v", tc.date, strict, sum.Missing, tc.missing)
			}
			wantExit := failure.ExitOK
			if strict && len(tc.missing) > 0 {
				wantExit = failure.ExitBadData
				if n := fmt.Sprintf("in any of %d events", tc.events); err == nil || !strings.Contains(err.Error(), n) {
					t.Errorf("%s strict: %v, want it to say %q", tc.date, err, n)
				}
			}
			if failure.ExitCode(err) != wantExit {
				t.Errorf("%s strict=%v: %v (exit %d), want exit %d", tc.date, strict, err, failure.ExitCode(err), wantExit)
			}
		}
	}
}

// The counts travel in the shard partials: a merge sees what the shards saw.
func TestMissingFieldsAcrossShards(t *testing.T) {
	in, out := t.TempDir(), t.TempDir()
	for i, l := range []string{
		`{"timestamp":"2025-11-08T10:00:00Z","latency_ms":5,"svc":"a"}`,
		`{"timestamp":"2025-11-08T11:00:00Z","latency_ms":6}`,
	} {
		if err := os.WriteFile(filepath.Join(in, string(rune('a'+i))+".jsonl"), []byte(l+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := runConfig(in, out, settings.S3Settings{})
	cfg.Date, cfg.RunID, cfg.GroupBy, cfg.StatusField = "2025-11-08", "fields", []string{"svc"}, "code"
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
	want := []job.MissingField{{Setting: "level-field", Field: "level"}, {Setting: "status-field", Field: "code"}}
	if !reflect.DeepEqual(sum.Missing, want) {
		t.Errorf("merge: missing %v, want %v", sum.Missing, want)
	}
}
