package settings

import (
	"os"
	"path/filepath"
	"testing"
)

// Review of issue 23, item 6: hive-partitioned readers (DuckDB, the read
// docs/output.md recommends) add every key=value folder of a file's path
// as a column, not only date= and window=. With --output
// s3://bkt/features/env=prod/ and --group-by env, DuckDB reads "prod" in
// every row's env column instead of the group's value (checked with
// duckdb 1.5 through features/readback): a folder of the output's own
// path names a column as a partition key does, and is refused likewise.
func TestReview23GroupByClashesWithOutputFolder(t *testing.T) {
	d := t.TempDir()
	for _, sub := range []string{"in", "env=prod/out"} {
		if err := os.MkdirAll(filepath.Join(d, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	base := validConfig(t, d+"/in", d+"/out")
	for _, tc := range []struct {
		output  string
		groupBy []string
		refuse  bool
	}{
		{"s3://bkt/features/env=prod/", []string{"env"}, true},
		{"s3://bkt/features/Env=prod", []string{"ENV"}, true},
		{"s3://bkt/x=1/y=2/features/", []string{"service", "y"}, true},
		{d + "/env=prod/out", []string{"env"}, true},
		{"file://" + d + "/env=prod/out", []string{"env"}, true},
		{"s3://bkt/features/env=prod/", []string{"environment"}, false},
		{"s3://bkt/features/=prod/", []string{"env"}, false},
		{"s3://bkt/features/env/", []string{"env"}, false},
	} {
		c := base
		c.Output, c.GroupBy = tc.output, tc.groupBy
		err := c.Validate()
		if tc.refuse {
			wantConfigError(t, tc.output, err, "LOGSMITH_GROUP_BY", "--output")
		} else if err != nil {
			t.Errorf("output %s, group by %v: %v", tc.output, tc.groupBy, err)
		}
	}
}
