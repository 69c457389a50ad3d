package settings

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// Issue 23: a LOGSMITH_ variable no command reads is refused like an
// unknown flag, naming the nearest setting; one that another command
// reads (a ConfigMap shared by run and gc) is accepted.
func TestUnknownEnvIsRefused(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"LOGSMITH_MAX_BAD_RATION", "did you mean LOGSMITH_MAX_BAD_RATIO?"},
		{"LOGSMITH_GROUPBY", "did you mean LOGSMITH_GROUP_BY?"},
		{"LOGSMITH_S3_ENDPONT", "did you mean LOGSMITH_S3_ENDPOINT?"},
		{"LOGSMITH_TIMESTAMP_FIELDS", "did you mean LOGSMITH_TIMESTAMP_FIELD?"},
		{"LOGSMITH_window", "did you mean LOGSMITH_WINDOW?"},
		{"LOGSMITH_SOMETHING_ELSE_ENTIRELY", "not a setting of any command"},
		{"LOGSMITH_", "not a setting"},
	} {
		var c Config
		err := ParseEnv(&c, map[string]string{tc.name: "1", "LOGSMITH_WINDOW": "5m"})
		wantConfigError(t, tc.name, err, tc.name, tc.want)
		if tc.want == "not a setting of any command" && strings.Contains(err.Error(), "did you mean") {
			t.Errorf("%s: %v suggests a name far from it", tc.name, err)
		}
	}
	// Another command's setting, a tool's variable and other programs'
	// variables are not refused.
	for _, env := range []map[string]string{
		{"LOGSMITH_GC_GRACE": "2h"}, {"LOGSMITH_PARALLEL": "2"}, {"LOGSMITH_LINES": "9"},
		{"LOGSMITH_MINIO_PORT": "9000", "LOGSMITH_TEST_S3": "1"}, {"HOME": "/", "LOGSMITHX": "1"},
	} {
		var c Config
		if err := ParseEnv(&c, env); err != nil {
			t.Errorf("%v: %v", env, err)
		}
	}
}

// Every LOGSMITH_ name the project's scripts, manifests and docs use is a
// setting of some command or one of ToolEnv, so that the check above
// never refuses the project's own environment.
func TestProjectEnvNamesAreKnown(t *testing.T) {
	re := regexp.MustCompile(`LOGSMITH_[A-Z0-9_]*[A-Z0-9]`)
	known := settingEnv()
	err := filepath.WalkDir("../..", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); n == ".git" || n == "testdata" || n == "bin" {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasPrefix(d.Name(), "envcheck") {
			return nil // the typos above
		}
		switch filepath.Ext(path) {
		case ".go", ".sh", ".md", ".yaml", "":
		default:
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if !utf8.Valid(b) {
			return nil // a built binary
		}
		for _, name := range re.FindAllString(string(b), -1) {
			if strings.HasSuffix(name, "_PREFIX") || name == "LOGSMITH_S3" || name == "LOGSMITH_PLAN" {
				continue
			}
			if _, ok := slices.BinarySearch(known, name); !ok && !slices.Contains(ToolEnv, name) {
				t.Errorf("%s uses %s, neither a setting nor in ToolEnv", path, name)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
