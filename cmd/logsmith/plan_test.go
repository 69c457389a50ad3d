package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/logsmith/logsmith/cli"
	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/storage/storagetest"
)

// logsmith plan through the binary, against MinIO: --json parses and
// carries what Argo reads, --plan-file holds the same JSON, the text names
// the shard count, the same listing plans the same, and the exit codes
// are a run's.
func TestPlanBinaryOnMinIO(t *testing.T) {
	st, c := storagetest.NewBucket(t)
	env := s3Env(c)
	line := `{"timestamp":"2025-11-08T10:00:00Z","level":"INFO","latency_ms":12}` + "\n"
	for i := range 6 {
		body := strings.Repeat(line, 100*(i+1))
		if _, err := st.Put(context.Background(), fmt.Sprintf("logs/2025/11/08/app-%d.jsonl", i), strings.NewReader(body), int64(len(body)), storage.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	in, out := "s3://"+st.Bucket()+"/logs/{yyyy}/{mm}/{dd}/", "s3://"+st.Bucket()+"/out"
	file := filepath.Join(t.TempDir(), "plan.json")
	args := []string{"plan", "--input", in, "--output", out, "--date", "2025-11-08", "--run", "argo-1",
		"--plan-throughput", "1000", "--plan-budget", "20s", "--json", "--plan-file", file}
	stdout, stderr, code := exe(t, env, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var p struct {
		RunID     string `json:"run_id"`
		Date      string `json:"date"`
		Objects   int    `json:"objects"`
		Bytes     int64  `json:"bytes"`
		Uncomp    int64  `json:"estimated_uncompressed_bytes"`
		Units     int    `json:"units"`
		Shards    int    `json:"shards"`
		ShardList []int  `json:"shard_list"`
	}
	if err := json.Unmarshal([]byte(stdout), &p); err != nil {
		t.Fatalf("--json does not parse: %v\n%s", err, stdout)
	}
	// 6 objects of 100..600 lines of 70 bytes: 147,000 bytes in pods of
	// 20,000: 8 by the budget, 6 by the units.
	total := int64(len(line) * 100 * 21)
	if p.RunID != "argo-1" || p.Date != "2025-11-08" || p.Objects != 6 || p.Bytes != total || p.Uncomp != total || p.Units != 6 || p.Shards != 6 ||
		len(p.ShardList) != 6 || p.ShardList[5] != 5 {
		t.Errorf("plan %+v\n%s", p, stdout)
	}
	saved, err := os.ReadFile(file)
	if err != nil || string(saved) != stdout {
		t.Errorf("--plan-file holds %q (%v), want stdout's JSON", saved, err)
	}
	again, _, _ := exe(t, env, args...)
	if again != stdout {
		t.Errorf("planned twice:\n%s\n%s", stdout, again)
	}

	// Text, and a fresh run id.
	stdout, stderr, code = exe(t, env, "plan", "--input", in, "--output", out, "--date", "2025-11-08")
	if code != 0 || !strings.Contains(stdout, "shards") || !strings.Contains(stdout, "1 (the budget asks for 1; at most 64)") || strings.Contains(stdout, "argo-1") {
		t.Errorf("text: exit %d\n%s%s", code, stdout, stderr)
	}

	// No input objects: 5, as for a run. A bad setting: 2, naming it.
	_, stderr, code = exe(t, env, "plan", "--input", in, "--output", out, "--date", "2025-11-09")
	if code != failure.ExitStorage || !strings.Contains(stderr, "no input objects") {
		t.Errorf("empty date: exit %d: %s", code, stderr)
	}
	for _, bad := range [][]string{
		{"--plan-budget", "0s", "LOGSMITH_PLAN_BUDGET (--plan-budget)"},
		{"--plan-throughput", "fast", "LOGSMITH_PLAN_THROUGHPUT (--plan-throughput)"},
		{"--plan-max-shards", "0", "LOGSMITH_PLAN_MAX_SHARDS (--plan-max-shards)"},
		{"--window", "7m", "LOGSMITH_WINDOW (--window)"},
	} {
		_, stderr, code = exe(t, env, "plan", "--input", in, "--output", out, "--date", "2025-11-08", bad[0], bad[1])
		if code != failure.ExitConfig || !strings.Contains(stderr, bad[2]) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%s %s: exit %d: %s", bad[0], bad[1], code, stderr)
		}
	}
	_, stderr, code = exe(t, env, "plan", "--input", "s3://"+st.Bucket()+"/logs/2025/11/08/", "--output", out)
	if code != failure.ExitConfig || !strings.Contains(stderr, "LOGSMITH_DATE") {
		t.Errorf("undated: exit %d: %s", code, stderr)
	}
	_, stderr, code = exe(t, env, "plan", "--input", in, "--output", out, "--date", "2025-11-08", "--plan-file", filepath.Join(t.TempDir(), "missing", "plan.json"))
	if code != failure.ExitConfig || !strings.Contains(stderr, "LOGSMITH_PLAN_FILE") {
		t.Errorf("unwritable --plan-file: exit %d: %s", code, stderr)
	}
}

// The plan's settings refuse stray whitespace like every other setting.
func TestPlanSettingsRefuseStrayWhitespace(t *testing.T) {
	for _, s := range settings.Settings(new(settings.PlanConfig)) {
		if !strings.HasPrefix(s.Env, "LOGSMITH_PLAN_") {
			continue
		}
		err := cli.Parse(new(settings.PlanConfig), "plan", nil, map[string]string{s.Env: " 1s "}, io.Discard)
		if err == nil || !strings.Contains(err.Error(), s.Env) {
			t.Errorf("%s with whitespace: %v", s.Env, err)
		}
	}
	var help bytes.Buffer
	_ = cli.Parse(new(settings.PlanConfig), "plan", []string{"--help"}, nil, &help)
	for _, want := range []string{"--plan-budget", "1h0m0s", "--plan-throughput", "309000000", "run-minio-gzip-w2", "--plan-max-shards", "--plan-file", "--memory-check"} {
		if !strings.Contains(help.String(), want) {
			t.Errorf("plan --help lacks %q", want)
		}
	}
}
