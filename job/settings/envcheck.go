package settings

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/agnivade/levenshtein"
)

// ToolEnv lists the LOGSMITH_ variables that are not settings but are
// read by the development scripts and tests (scripts/*.sh): logsmith
// accepts them in its environment without reading them.
var ToolEnv = []string{
	"LOGSMITH_APISERVER_PORT", "LOGSMITH_APISERVER_STATE", "LOGSMITH_BENCH_4X",
	"LOGSMITH_BENCH_DIR", "LOGSMITH_CACHE", "LOGSMITH_ETCD_PORT", "LOGSMITH_FUZZTIME",
	"LOGSMITH_ICEBERG_KILL_HELPER", "LOGSMITH_KUBECTL", "LOGSMITH_MINIO_BIN",
	"LOGSMITH_MINIO_PORT", "LOGSMITH_MINIO_STATE", "LOGSMITH_POSTGRES_PORT",
	"LOGSMITH_POSTGRES_STATE", "LOGSMITH_SCALE_KEEP_MINIO", "LOGSMITH_TEST_KUBE",
	"LOGSMITH_TEST_BROWSER", "LOGSMITH_TEST_POSTGRES", "LOGSMITH_TEST_S3",
}

// commandConfigs returns a fresh config of every command: the settings
// any command reads are theirs.
func commandConfigs() []any {
	return []any{&Config{}, &PlanConfig{}, &BackfillConfig{}, &GenerateConfig{}, &OutputConfig{}, &PeekConfig{}}
}

// settingEnv lists the environment variables of every command's
// settings, sorted: a variable one command does not read may be meant for
// another (one ConfigMap for run and gc), so only a name no command reads
// is unknown.
var settingEnv = sync.OnceValue(func() []string {
	var names []string
	for _, c := range commandConfigs() {
		for _, s := range Settings(c) {
			names = append(names, s.Env)
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
})

// checkEnvNames refuses a LOGSMITH_ variable that no command reads (a
// typo such as LOGSMITH_MAX_BAD_RATION would otherwise be ignored and
// its default used), naming the nearest known one. The prefix is matched
// in any case: logsmith_max_bad_ratio is the same typo, in its case.
func checkEnvNames(environ map[string]string) error {
	known := settingEnv()
	var unknown []string
	for name := range environ {
		if !strings.HasPrefix(strings.ToUpper(name), EnvPrefix) {
			continue
		}
		if _, found := slices.BinarySearch(known, name); found || slices.Contains(ToolEnv, name) {
			continue
		}
		unknown = append(unknown, name)
	}
	if len(unknown) == 0 {
		return nil
	}
	slices.Sort(unknown)
	name := unknown[0]
	return &ConfigError{Env: name, Err: fmt.Errorf("not a setting of any command%s", nearest(name, known))}
}

// nearest returns "; did you mean X?" for the name in known closest to
// name, or "" when none is close (more than a third of it differs).
func nearest(name string, known []string) string {
	best, dist := "", len(name)/3+1
	for _, k := range known {
		if d := levenshtein.ComputeDistance(strings.ToUpper(name), k); d < dist {
			best, dist = k, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf("; did you mean %s?", best)
}
