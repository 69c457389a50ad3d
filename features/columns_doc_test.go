package features

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Markers around docs/output.md's column table, which columnsDoc writes.
const (
	columnsDocBegin = "<!-- BEGIN columns: generated from features/columns.go by go test ./features -run TestColumnsDoc -update -->\n"
	columnsDocEnd   = "<!-- END columns -->\n"
)

// columnSetDoc says, in docs/output.md's words, which tables have the
// columns of each set.
var columnSetDoc = map[columnSet]string{
	everyTable:   "every table",
	perDimension: "one per `--group-by` field, named by its path with `.` (and any character but letters, digits and `_`) → `_`",
	withStatus:   "with `--status-field`",
	withBytes:    "with `--bytes-field`",
	withDistinct: "with `--distinct-field`",
}

// identifier is a word of a meaning that names a column or a value.
var identifier = regexp.MustCompile(`\b[a-z0-9]*_[a-z0-9_]*[a-z0-9_]`)

// columnsDoc is docs/output.md's column table, from columnList.
func columnsDoc(t *testing.T) string {
	var b strings.Builder
	b.WriteString(columnsDocBegin)
	fmt.Fprintf(&b, "Schema version %s. Every table has the columns below in this order,\nleaving out the optional ones it was not configured for.\n\n", SchemaVersion)
	b.WriteString("| column | type | Parquet type | nullable | unit | in tables | meaning |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- | --- |\n")
	for _, c := range columnList {
		name := "`" + c.Name + "`"
		if c.tables == perDimension {
			name = "*dimensions*"
		}
		when, ok := columnSetDoc[c.tables]
		if !ok {
			t.Fatalf("column %s: no words for its set %d in columnSetDoc", c.Name, c.tables)
		}
		leaf, ok := parquetLeaf[c.Type]
		if !ok {
			t.Fatalf("column %s: no Parquet type for %s", c.Name, c.Type)
		}
		nullable := ""
		if c.Nullable {
			nullable = "yes"
		}
		meaning := identifier.ReplaceAllString(strings.ReplaceAll(c.Meaning, "|", `\|`), "`$0`")
		fmt.Fprintf(&b, "| %s | `%s` | %s | %s | %s | %s | %s |\n", name, c.Type, leaf.doc, nullable, c.Unit, when, meaning)
	}
	b.WriteString(columnsDocEnd)
	return b.String()
}

// docs/output.md's column table is the column list's: a column added,
// changed or removed in features/columns.go and not in the docs fails here
// (go test ./features -run TestColumnsDoc -update rewrites the table).
func TestColumnsDoc(t *testing.T) {
	path := filepath.Join("..", "docs", "output.md")
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i, j := bytes.Index(doc, []byte(columnsDocBegin)), bytes.Index(doc, []byte(columnsDocEnd))
	if i < 0 || j < i {
		t.Fatalf("%s has no column table between the markers %q and %q", path, columnsDocBegin, columnsDocEnd)
	}
	got, want := string(doc[i:j+len(columnsDocEnd)]), columnsDoc(t)
	if got == want {
		return
	}
	if *update {
		out := append(append(append([]byte(nil), doc[:i]...), want...), doc[j+len(columnsDocEnd):]...)
		if err := os.WriteFile(path, out, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s's column table is out of date with features/columns.go: run go test ./features -run TestColumnsDoc -update\ngot:\n%s\nwant:\n%s", path, got, want)
}
