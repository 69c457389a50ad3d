package settings

import (
	"go/ast"
	"go/constant"
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
	"strconv"
	"strings"
	"testing"
	"time"
)

// settingsPath is the import path of this package, which declares every
// settings struct.
const settingsPath = "github.com/logsmith/logsmith/job/settings"

// settingUse is one selector of a settings field (a field of a struct of
// this package holding env-tagged settings) in a non-test file.
type settingUse struct {
	Field string // Struct.Field, e.g. TableSettings.MaxGroups
	Pos   token.Position
	Write bool // assigned to
	Func  string
	// OfRun: selected from a run's config (Config, or a command's config
	// embedding it), not from a part a function was handed.
	OfRun bool
}

// checkedPackage is a package's non-test files, type-checked.
type checkedPackage struct {
	Path  string
	Fset  *token.FileSet
	Files []*ast.File
	Info  *types.Info
}

// typeCheck parses and type-checks the non-test files of the packages
// of the module matching patterns, importing their dependencies from the
// go command's export data.
func typeCheck(t *testing.T, patterns ...string) []checkedPackage {
	t.Helper()
	root, err := filepath.Abs("../..")
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
	for _, l := range list("{{.ImportPath}}\t{{.Export}}", append([]string{"-deps"}, patterns...)...) {
		path, export, _ := strings.Cut(l, "\t")
		// A main package built with a profile (default.pgo) has its
		// own variant of every dependency, "path [main]": either serves.
		path, _, _ = strings.Cut(path, " ")
		if exports[path] == "" {
			exports[path] = export
		}
	}
	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) { return os.Open(exports[path]) })
	var pkgs []checkedPackage
	for _, l := range list("{{.ImportPath}}\t{{.Dir}}\t{{join .GoFiles \" \"}}", patterns...) {
		f := strings.Split(l, "\t")
		p := checkedPackage{Path: f[0], Fset: fset, Info: &types.Info{
			Selections: map[*ast.SelectorExpr]*types.Selection{},
			Types:      map[ast.Expr]types.TypeAndValue{},
			Uses:       map[*ast.Ident]types.Object{},
			Defs:       map[*ast.Ident]types.Object{},
		}}
		for _, name := range strings.Fields(f[2]) {
			file, err := parser.ParseFile(fset, filepath.Join(f[1], name), nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			p.Files = append(p.Files, file)
		}
		conf := types.Config{Importer: imp.(types.ImporterFrom)}
		if _, err := conf.Check(p.Path, fset, p.Files, p.Info); err != nil {
			t.Fatalf("type-check %s: %v", p.Path, err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// scanSettingUses returns every selector of a settings field in the
// non-test files of job/settings, job, job/peek and cmd/logsmith.
func scanSettingUses(t *testing.T) []settingUse {
	t.Helper()
	var uses []settingUse
	for _, p := range typeCheck(t, "./job/settings", "./job", "./job/peek", "./job/memcheck", "./job/spill", "./cmd/logsmith", "./cli", "./ui", "./outputs", "./metrics") {
		fset, info, files := p.Fset, p.Info, p.Files
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
					uses = append(uses, settingUse{Field: name, Pos: fset.Position(s.Sel.Pos()), Write: written[s], Func: fn, OfRun: ofRunConfig(info, s)})
				}
				return true
			})
		}
	}
	return uses
}

// runConfigs are the configs a run is resolved from.
var runConfigs = []string{"Config", "PlanConfig", "BackfillConfig", "PeekConfig"}

// ofRunConfig reports whether a selector selects from a run config: its
// receiver, or that of a selector it selects from, is one.
func ofRunConfig(info *types.Info, s *ast.SelectorExpr) bool {
	for {
		sel := info.Selections[s]
		if sel == nil {
			return false
		}
		for _, name := range runConfigs {
			if isJobType(sel.Recv(), name) {
				return true
			}
		}
		x, ok := s.X.(*ast.SelectorExpr)
		if !ok {
			return false
		}
		s = x
	}
}

// settingsField names the field a selection selects when it is a field
// of a settings struct: a struct of this package with an env-tagged field.
func settingsField(sel *types.Selection) (string, bool) {
	v := sel.Obj().(*types.Var)
	if v.Pkg() == nil || v.Pkg().Path() != settingsPath {
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
// of this package.
func isJobType(t types.Type, name string) bool {
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	named, ok := types.Unalias(t).(*types.Named)
	return ok && named.Obj().Pkg() != nil && named.Obj().Pkg().Path() == settingsPath && named.Obj().Name() == name
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
	"commands.go DateConfig": "the run config of one date of a backfill",
	"commands.go Resolve":    "peek's run config, with a stand-in output",
	"peek.go GuessShapes":    "the run config of each shape peek tries",
}

// Issue 26: a run set fields of its config after Resolve (the S3
// timeout from --idle-timeout, a merge's shard settings), so what a
// setting meant depended on which code read it, and when. A config is
// written only where it is parsed (config.go) or built for a run to
// resolve (configBuilders); a run's derived values are Resolved's.
func TestRunsDoNotChangeTheirConfig(t *testing.T) {
	for _, u := range scanSettingUses(t) {
		file := filepath.Base(u.Pos.Filename)
		if !u.Write || file == "config.go" || file == "parse.go" || configBuilders[file+" "+u.Func] != "" {
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

// Issue 26: --max-groups had its default twice, 10000 in the settings
// table and features.DefaultMaxGroups that features fell back to for 0,
// and --max-line-bytes and --iceberg-snapshot-retention likewise: two
// places to change, and a caller that passed nothing got the other
// place's idea of the setting. A setting's default is its envDefault tag
// alone: no code of the module falls back, for a zero value, to a
// constant equal to a numeric setting's default.
func TestSettingDefaultsDeclaredOnce(t *testing.T) {
	defaults := map[string][]string{} // constant value -> settings defaulting to it
	for _, cfg := range []any{&Config{}, &OutputConfig{}, &PlanConfig{}, &BackfillConfig{}, &GenerateConfig{}, &PeekConfig{}} {
		for _, s := range Settings(cfg) {
			if s.Default == "" {
				continue
			}
			var v int64
			switch s.Value.Interface().(type) {
			case time.Duration:
				d, err := time.ParseDuration(s.Default)
				if err != nil {
					t.Fatalf("%s: default %q: %v", s.Env, s.Default, err)
				}
				v = int64(d)
			case int, int64:
				n, err := strconv.ParseInt(s.Default, 10, 64)
				if err != nil {
					t.Fatalf("%s: default %q: %v", s.Env, s.Default, err)
				}
				v = n
			default:
				continue
			}
			if v == 0 || v == 1 {
				continue // 0 and 1 are every counter's start, no setting's own
			}
			key := strconv.FormatInt(v, 10)
			if !slices.Contains(defaults[key], s.Env) {
				defaults[key] = append(defaults[key], s.Env)
			}
		}
	}
	pkgs := typeCheck(t, "./features", "./features/synth", "./table", "./table/iceberg", "./storage", "./storage/objio",
		"./job/settings", "./job", "./job/peek", "./job/memcheck", "./job/spill", "./job/shard", "./cmd/logsmith", "./cli", "./ui", "./outputs", "./metrics")
	for _, p := range pkgs {
		for _, f := range p.Files {
			ast.Inspect(f, func(n ast.Node) bool {
				ifs, ok := n.(*ast.IfStmt)
				if !ok {
					return true
				}
				x := zeroTest(p.Info, ifs.Cond)
				if x == nil {
					return true
				}
				for _, st := range ifs.Body.List {
					as, ok := st.(*ast.AssignStmt)
					if !ok || len(as.Lhs) != 1 || len(as.Rhs) != 1 || types.ExprString(as.Lhs[0]) != types.ExprString(x) {
						continue
					}
					tv := p.Info.Types[as.Rhs[0]]
					if tv.Value == nil {
						continue
					}
					v, exact := constant.Int64Val(constant.ToInt(tv.Value))
					if !exact {
						continue
					}
					if envs := defaults[strconv.FormatInt(v, 10)]; envs != nil {
						t.Errorf("%s: a zero %s falls back to %s (%d), the default of %s: let the setting's default be the only one (take the value from Resolved; refuse 0)",
							p.Fset.Position(ifs.Pos()), types.ExprString(x), types.ExprString(as.Rhs[0]), v, strings.Join(envs, ", "))
					}
				}
				return true
			})
		}
	}
}

// zeroTest returns x of a condition x == 0, x <= 0 or x < 1 on a number,
// or nil.
func zeroTest(info *types.Info, cond ast.Expr) ast.Expr {
	b, ok := cond.(*ast.BinaryExpr)
	if !ok {
		return nil
	}
	tv := info.Types[b.Y]
	if tv.Value == nil || tv.Value.Kind() != constant.Int {
		return nil
	}
	n, _ := constant.Int64Val(tv.Value)
	switch {
	case (b.Op == token.EQL || b.Op == token.LEQ) && n == 0, b.Op == token.LSS && n == 1:
		return b.X
	}
	return nil
}

// parsedSettings are the settings Resolve parses or derives, with where a
// run finds the result.
var parsedSettings = map[string]string{
	"TableSettings.Window":           "Resolved.Windows",
	"TableSettings.Slide":            "Resolved.Windows",
	"TableSettings.MaxGroups":        "Resolved.MaxGroups",
	"InputSettings.InputLateness":    "Resolved.Lateness",
	"InputSettings.InputZone":        "Resolved.InputZone",
	"DecodeSettings.Pipeline":        "Resolved.Spec",
	"DecodeSettings.PrefixRegexp":    "Resolved.Spec",
	"DecodeSettings.TimestampFormat": "Resolved.Spec",
	"DecodeSettings.TimestampLayout": "Resolved.Spec",
	"DecodeSettings.TimestampZone":   "Resolved.Spec",
	"DecodeSettings.LatencyUnit":     "Resolved.Spec",
	"DecodeSettings.LevelMap":        "Resolved.Spec",
	"RunSettings.Date":               "Resolved.Date and Day",
	"RunSettings.From":               "Resolved.Date and Day",
	"RunSettings.Shard":              "Resolved.Shard and Shards",
	"RunSettings.Shards":             "Resolved.Shard and Shards",
	"RunSettings.Output":             "Resolved.Output",
	"ReadSettings.Workers":           "Resolved.Workers",
	"ReadSettings.SplitBytes":        "Resolved.SplitBytes",
	"Config.S3":                      "Resolved.S3",
	"S3Settings.Timeout":             "Resolved.S3",
}

// parsingMethods are the methods of a run config that parse settings:
// Resolve's helpers.
var parsingMethods = map[string]bool{
	"Windows": true, "spec": true, "Columns": true, "lateness": true, "shard": true, "targetDate": true, "EffectiveWorkers": true,
}

// settingsReaders are where, outside config.go and resolve.go, a run
// config's parsed settings may be read: the commands' own validation, and
// the helpers Resolve and a backfill resolve with.
var settingsReaders = map[string]string{
	"dates.go targetDate":     "the date Resolve resolves",
	"commands.go Dates":       "a backfill's dates",
	"commands.go DateConfig":  "builds the run config of one date",
	"commands.go Resolve":     "peek's Resolve",
	"pictures.go checkReport": "--report's part of Validate",
}

// Issue 26: a setting was parsed once by Resolve and again where it was
// used (the windows by the memory estimate, the decoder spec by the
// fields check, dates by backfill and the command), each parse with its
// own idea of a bad value, some dropping the error. Outside config.go,
// resolve.go, the commands' Validate and settingsReaders, a setting that
// Resolve parses is read from Resolved, never from the config.
func TestParsedSettingsReadFromResolved(t *testing.T) {
	allowed := func(file, fn string) bool {
		return file == "config.go" || file == "resolve.go" || fn == "Validate" || settingsReaders[file+" "+fn] != ""
	}
	for _, u := range scanSettingUses(t) {
		file := filepath.Base(u.Pos.Filename)
		if where := parsedSettings[u.Field]; u.OfRun && !u.Write && where != "" && !allowed(file, u.Func) {
			t.Errorf("%s:%d: %s reads %s from the config: take it from %s", file, u.Pos.Line, u.Func, u.Field, where)
		}
	}
	for _, p := range typeCheck(t, "./job/settings", "./job", "./job/peek", "./job/memcheck", "./job/spill", "./cmd/logsmith", "./cli", "./ui", "./outputs", "./metrics") {
		for _, f := range p.Files {
			var fn string
			ast.Inspect(f, func(n ast.Node) bool {
				if d, ok := n.(*ast.FuncDecl); ok {
					fn = d.Name.Name
				}
				s, ok := n.(*ast.SelectorExpr)
				if !ok || !parsingMethods[s.Sel.Name] {
					return true
				}
				sel := p.Info.Selections[s]
				if sel == nil || sel.Kind() != types.MethodVal || !ofRunConfig(p.Info, s) {
					return true
				}
				pos := p.Fset.Position(s.Sel.Pos())
				if file := filepath.Base(pos.Filename); !allowed(file, fn) {
					t.Errorf("%s:%d: %s calls %s, which parses settings: take its result from Resolved", file, pos.Line, fn, s.Sel.Name)
				}
				return true
			})
		}
	}
}

// Issue 26: a setting parsed again after validation dropped the error
// ("Validate checked it"): loc, _ := ParseLocation(cfg.Output) and from, _
// := time.Parse(time.DateOnly, cfg.From) in five places, each a parse
// whose failure would go unseen if validation and parse ever disagreed. No
// call taking a setting, or a method of a config, has its error dropped.
func TestSettingParseErrorsChecked(t *testing.T) {
	for _, p := range typeCheck(t, "./job/settings", "./job", "./job/peek", "./job/memcheck", "./job/spill", "./cmd/logsmith", "./cli", "./ui", "./outputs", "./metrics") {
		for _, f := range p.Files {
			ast.Inspect(f, func(n ast.Node) bool {
				as, ok := n.(*ast.AssignStmt)
				if !ok || len(as.Rhs) != 1 || len(as.Lhs) < 2 {
					return true
				}
				call, ok := as.Rhs[0].(*ast.CallExpr)
				if !ok {
					return true
				}
				if last, ok := as.Lhs[len(as.Lhs)-1].(*ast.Ident); !ok || last.Name != "_" {
					return true
				}
				if sig, ok := p.Info.Types[call.Fun].Type.(*types.Signature); !ok || sig.Results().Len() == 0 ||
					!types.Identical(sig.Results().At(sig.Results().Len()-1).Type(), types.Universe.Lookup("error").Type()) {
					return true
				}
				takesSetting := false
				check := func(e ast.Node) {
					ast.Inspect(e, func(n ast.Node) bool {
						if s, ok := n.(*ast.SelectorExpr); ok {
							if sel := p.Info.Selections[s]; sel != nil {
								if sel.Kind() == types.FieldVal {
									if _, isSetting := settingsField(sel); isSetting {
										takesSetting = true
									}
								}
								if sel.Kind() == types.MethodVal && isSettingsType(sel.Recv()) {
									takesSetting = true
								}
							}
						}
						return true
					})
				}
				check(call.Fun)
				for _, a := range call.Args {
					check(a)
				}
				if takesSetting {
					t.Errorf("%s: %s drops the error of parsing a setting", p.Fset.Position(as.Pos()), types.ExprString(call))
				}
				return true
			})
		}
	}
}

// isSettingsType reports whether t, or what it points to, is a settings
// struct of this package.
func isSettingsType(t types.Type) bool {
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	named, ok := types.Unalias(t).(*types.Named)
	if !ok || named.Obj().Pkg() == nil || named.Obj().Pkg().Path() != settingsPath {
		return false
	}
	st, ok := named.Underlying().(*types.Struct)
	return ok && isSettingsStruct(st)
}

// What a run used to set in its config after Resolve is Resolved's: the
// S3 timeout is --idle-timeout, the group cap --max-groups, and a merge
// resolves without its pod's shard settings.
func TestResolvedCarriesDerivedSettings(t *testing.T) {
	d := t.TempDir()
	var c Config
	if err := ParseEnv(&c, map[string]string{"LOGSMITH_INPUT": d + "/in", "LOGSMITH_OUTPUT": d + "/out", "LOGSMITH_IDLE_TIMEOUT": "7s",
		"LOGSMITH_MAX_GROUPS": "123", "LOGSMITH_SHARD": "1/4", "LOGSMITH_RUN_ID": "r1", "LOGSMITH_DATE": "2025-11-08"}); err != nil {
		t.Fatal(err)
	}
	res, err := c.Resolve(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if res.S3.Timeout != 7*time.Second || c.S3.Timeout != 0 || res.MaxGroups != 123 || res.Shard != 1 || res.Shards != 4 {
		t.Errorf("resolved S3 timeout %v (config's %v), max groups %d, shard %d/%d", res.S3.Timeout, c.S3.Timeout, res.MaxGroups, res.Shard, res.Shards)
	}
	m, err := c.ForMerge().Resolve(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if m.Sharded() || c.Shard != "1/4" {
		t.Errorf("merge resolved shard %d/%d; config's shard now %q", m.Shard, m.Shards, c.Shard)
	}
}
