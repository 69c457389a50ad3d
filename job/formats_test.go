package job

import (
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/logsmith/logsmith/job/settings"
)

// The run, merge, shard and backfill paths never ask which table format
// they commit: package job names the formats' packages in formats.go
// alone (which registers them), and tests the format setting (Iceberg())
// only where a setting is validated or a command is refused for a format.
// A branch on the format elsewhere fails here, so that a third format is
// one new package and one line in formats.go.
func TestTableFormatsStayBehindTheInterface(t *testing.T) {
	const registry = "formats.go"
	// Packages of a concrete table format: the hive layout's and Iceberg's
	// implementations, Iceberg's tables, and any future format beside
	// them.
	// These are parts of a run, not formats: a new package under job/ or
	// table/ that is not a table format belongs in this list.
	runParts := []string{"shard", "memory", "spill", "settings", "peek", "memcheck", "failure", "quality", "input"}
	concrete := func(path string) bool {
		for _, p := range []string{"github.com/logsmith/logsmith/job/", "github.com/logsmith/logsmith/table/"} {
			if rest, ok := strings.CutPrefix(path, p); ok && !slices.Contains(runParts, rest) {
				return true
			}
		}
		return false
	}
	// Where the format setting itself may be read: the commands on an
	// output (output.go: which settings apply) and the one command that
	// exists for the hive layout only (table drop, shape.go). The
	// settings' own validation is job/settings', outside this package.
	mayReadSetting := []string{registry, "output.go", "shape.go"}

	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if concrete(path) && name != registry {
				t.Errorf("%s imports %s: only %s names a table format; go through tableFormat (or, if that package is a part of a run and not a format, add it to runParts here)", fset.Position(imp.Pos()), path, registry)
			}
		}
		if slices.Contains(mayReadSetting, name) {
			continue
		}
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if ok && (sel.Sel.Name == "Iceberg" || sel.Sel.Name == "IcebergSettings") {
				t.Errorf("%s: %s branches on the table format; go through tableFormat", fset.Position(sel.Pos()), sel.Sel.Name)
			}
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING && strings.Contains(strings.ToLower(lit.Value), "iceberg") {
				t.Errorf("%s: %s names a table format; go through tableFormat", fset.Position(lit.Pos()), lit.Value)
			}
			return true
		})
	}
	if checked < 10 {
		t.Fatalf("checked %d files: is the test in package job's folder?", checked)
	}
}

// The names --table-format accepts (settings.TableFormatNames, which
// validation reads) are exactly the formats a run can open.
func TestTableFormatNamesAgree(t *testing.T) {
	if got := slices.Sorted(maps.Keys(tableFormats)); !slices.Equal(got, settings.TableFormatNames) {
		t.Errorf("job opens the table formats %q; settings accepts %q", got, settings.TableFormatNames)
	}
}
