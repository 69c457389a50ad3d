package job

import (
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// settingUse is one selector of a settings field (a field of a struct of
// this package holding env-tagged settings) in a non-test file.
type settingUse struct {
	Field string // Struct.Field, e.g. TableSettings.MaxGroups
	Pos   token.Position
	Write bool // assigned to
	Func  string
}

// scanSettingUses type-checks the non-test files of job and cmd/logsmith
// (imports from the go command's export data) and returns every
// selector of a settings field in them.
func scanSettingUses(t *testing.T) []settingUse {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	list := func(format string, pkgs ...string) []string {
		args := append([]string{"list", "-C", root, "-export", "-f", format}, pkgs...)
		out, err := exec.Command("go", args...).Output()
		if err != nil {
			t.Fatalf("go %s: %v", strings.Join(args, " "), err)
		}
		return strings.Split(strings.TrimSpace(string(out)), "\n")
	}
	exports := map[string]string{}
	for _, l := range list("{{.ImportPath}}\t{{.Export}}", "-deps", "./job", "./cmd/logsmith") {
		path, export, _ := strings.Cut(l, "\t")
		// A main package built with a profile (default.pgo) has its
		// own variant of every dependency, "path [main]": either serves.
		path, _, _ = strings.Cut(path, " ")
		if exports[path] == "" {
			exports[path] = export
		}
	}
	type pkg struct {
		ImportPath, Dir string
		GoFiles         []string
	}
	var mine []pkg
	for _, l := range list("{{.ImportPath}}\t{{.Dir}}\t{{join .GoFiles \" \"}}", "./job", "./cmd/logsmith") {
		f := strings.Split(l, "\t")
		mine = append(mine, pkg{f[0], f[1], strings.Fields(f[2])})
	}
	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) { return os.Open(exports[path]) })
	var uses []settingUse
	for _, p := range mine {
		var files []*ast.File
		for _, name := range p.GoFiles {
			f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, f)
		}
		info := &types.Info{Selections: map[*ast.SelectorExpr]*types.Selection{}}
		conf := types.Config{Importer: imp.(types.ImporterFrom)}
		tp, err := conf.Check(p.ImportPath, fset, files, info)
		if err != nil {
			t.Fatalf("type-check %s: %v", p.ImportPath, err)
		}
		_ = tp
		for _, f := range files {
			written := map[*ast.SelectorExpr]bool{}
			ast.Inspect(f, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.AssignStmt:
					for _, l := range n.Lhs {
						if s, ok := l.(*ast.SelectorExpr); ok {
							written[s] = true
						}
					}
				case *ast.IncDecStmt:
					if s, ok := n.X.(*ast.SelectorExpr); ok {
						written[s] = true
					}
				}
				return true
			})
			var fn string
			ast.Inspect(f, func(n ast.Node) bool {
				if d, ok := n.(*ast.FuncDecl); ok {
					fn = d.Name.Name
				}
				s, ok := n.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				sel := info.Selections[s]
				if sel == nil || sel.Kind() != types.FieldVal {
					return true
				}
				// Settings that Resolved holds (r.S3.Timeout) are Resolved's.
				for x, ok := s.X.(*ast.SelectorExpr); ok; x, ok = x.X.(*ast.SelectorExpr) {
					if xs := info.Selections[x]; xs != nil && isJobType(xs.Recv(), "Resolved") {
						return true
					}
				}
				if name, ok := settingsField(sel); ok {
					uses = append(uses, settingUse{Field: name, Pos: fset.Position(s.Sel.Pos()), Write: written[s], Func: fn})
				}
				return true
			})
		}
	}
	return uses
}

// settingsField names the field a selection selects when it is a field
// of a settings struct: a struct of package job with an env-tagged field.
func settingsField(sel *types.Selection) (string, bool) {
	v := sel.Obj().(*types.Var)
	if v.Pkg() == nil || v.Pkg().Path() != "github.com/logsmith/logsmith/job" {
		return "", false
	}
	// The struct declaring v: walk the receiver's embedded path.
	t := sel.Recv()
	idx := sel.Index()
	for i, x := range idx {
		for {
			if p, ok := t.(*types.Pointer); ok {
				t = p.Elem()
				continue
			}
			break
		}
		named, _ := types.Unalias(t).(*types.Named)
		st, ok := t.Underlying().(*types.Struct)
		if !ok {
			return "", false
		}
		if i == len(idx)-1 {
			if named == nil || !isSettingsStruct(st) {
				return "", false
			}
			return named.Obj().Name() + "." + st.Field(x).Name(), true
		}
		t = st.Field(x).Type()
	}
	return "", false
}

// isJobType reports whether t, or what it points to, is the type name
// of package job.
func isJobType(t types.Type, name string) bool {
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	named, ok := types.Unalias(t).(*types.Named)
	return ok && named.Obj().Pkg() != nil && named.Obj().Pkg().Path() == "github.com/logsmith/logsmith/job" && named.Obj().Name() == name
}

func isSettingsStruct(st *types.Struct) bool {
	for i := range st.NumFields() {
		tag := reflect.StructTag(st.Tag(i))
		if _, ok := tag.Lookup("env"); ok {
			return true
		}
		if _, ok := tag.Lookup("envPrefix"); ok {
			return true
		}
	}
	return false
}

// configBuilders are the functions, outside config.go, that may set a
// settings field: each builds a new config for a run to resolve, from a
// command's settings. Nothing else changes a config once it is parsed.
var configBuilders = map[string]string{
	"backfill.go dateConfig": "the run config of one date of a backfill",
	"peek.go Resolve":        "peek's run config, with a stand-in output",
	"peek.go guessShapes":    "the run config of each shape peek tries",
}

// Issue 26: a run set fields of its config after Resolve (the S3
// timeout from --idle-timeout, a merge's shard settings), so what a
// setting meant depended on which code read it, and when. A config is
// written only where it is parsed (config.go) or built for a run to
// resolve (configBuilders); a run's derived values are Resolved's.
func TestRunsDoNotChangeTheirConfig(t *testing.T) {
	for _, u := range scanSettingUses(t) {
		file := filepath.Base(u.Pos.Filename)
		if !u.Write || file == "config.go" || configBuilders[file+" "+u.Func] != "" {
			continue
		}
		t.Errorf("%s:%d: %s sets %s: derive the value in Resolve (a field of Resolved), or build a new config in config.go", file, u.Pos.Line, u.Func, u.Field)
	}
}

// Resolve reads its config and changes nothing in it, valid or not.
func TestResolveDoesNotMutate(t *testing.T) {
	d := t.TempDir()
	valid := func() Config {
		var c Config
		if err := ParseEnv(&c, map[string]string{"LOGSMITH_INPUT": d + "/in", "LOGSMITH_OUTPUT": d + "/out"}); err != nil {
			t.Fatal(err)
		}
		return c
	}
	now := time.Date(2025, 11, 9, 3, 0, 0, 0, time.UTC)
	for name, edit := range map[string]func(*Config){
		"defaults": func(*Config) {},
		"windows":  func(c *Config) { c.Window, c.Slide = []string{"15m/5m", "1h"}, time.Minute },
		"template": func(c *Config) { c.Input, c.InputZone, c.WidenDays = d+"/{yyyy}/{mm}/{dd}/", "Europe/Paris", 1 },
		"from":     func(c *Config) { c.Input, c.From, c.CompletionIndex = d+"/{date}/", "2025-11-01", 3 },
		"shard":    func(c *Config) { c.Shard, c.RunID, c.Date = "1/4", "r1", "2025-11-08" },
		"shards":   func(c *Config) { c.Shards, c.CompletionIndex, c.RunID, c.Date = 4, 2, "r1", "2025-11-08" },
		"decode": func(c *Config) {
			c.TimestampLayout, c.TimestampZone, c.LevelMap = "02/Jan/2006:15:04:05", "UTC", "10-30=info"
		},
		"pipeline":  func(c *Config) { c.Pipeline = "json-stream | explode:Records" },
		"s3":        func(c *Config) { c.S3.Endpoint, c.IdleTimeout = "localhost:9000", time.Second },
		"group-by":  func(c *Config) { c.GroupBy, c.MaxGroups = []string{"service", "host"}, 7 },
		"bad":       func(c *Config) { c.Window = []string{"5x"} },
		"no input":  func(c *Config) { c.Input = "" },
		"zero":      func(c *Config) { *c = Config{} },
		"iceberg":   func(c *Config) { c.TableFormat = "iceberg" },
		"stdin":     func(c *Config) { c.Input = "-" },
		"bad shard": func(c *Config) { c.Shard = "4/4" },
	} {
		c := valid()
		edit(&c)
		before := deepCopyConfig(t, c)
		_, _ = c.Resolve(now)
		if !reflect.DeepEqual(before, c) {
			t.Errorf("%s: Resolve changed its config:\nbefore %+v\nafter  %+v", name, before, c)
		}
	}
}

// deepCopyConfig copies c with no slice shared.
func deepCopyConfig(t *testing.T, c Config) Config {
	t.Helper()
	cp := c
	for _, s := range Settings(&cp) {
		if v, ok := s.Value.Interface().([]string); ok && v != nil {
			s.Value.Set(reflect.ValueOf(slices.Clone(v)))
		}
	}
	return cp
}
