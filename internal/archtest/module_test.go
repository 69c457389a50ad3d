package archtest

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// pkg is one package of the module: its path relative to the module root
// (the package's directory, "cmd/logsmith") and its parsed files.
type pkg struct {
	rel  string
	dir  string
	name string // from its non-test files; "" if it has none
	// files maps a file name to its syntax, every .go file whatever its
	// build constraints, tests included.
	files map[string]*ast.File
}

// module is the module as the tests see it.
type module struct {
	root string // absolute path of the module root
	path string // module path, "github.com/logsmith/logsmith"
	pkgs map[string]*pkg
	fset *token.FileSet
	std  map[string]bool // the last element of every standard library package's path
}

var (
	loadOnce sync.Once
	loaded   *module
	loadErr  error
)

// load lists the module's packages with `go list ./...` and parses every
// .go file of each, build constraints ignored: an import or declaration in
// a file only one build sees (-tags isal, another GOARCH) counts too.
func load(t *testing.T) *module {
	t.Helper()
	loadOnce.Do(func() { loaded, loadErr = loadModule() })
	if loadErr != nil {
		t.Fatal(loadErr)
	}
	return loaded
}

func loadModule() (*module, error) {
	root, err := goCmd("", "list", "-m", "-f", "{{.Dir}}")
	if err != nil {
		return nil, err
	}
	m := &module{root: strings.TrimSpace(root), pkgs: map[string]*pkg{}, fset: token.NewFileSet()}
	mp, err := goCmd(m.root, "list", "-m")
	if err != nil {
		return nil, err
	}
	m.path = strings.TrimSpace(mp)
	std, err := goCmd(m.root, "list", "std")
	if err != nil {
		return nil, err
	}
	m.std = map[string]bool{}
	for _, ip := range strings.Fields(std) {
		m.std[path.Base(ip)] = true
	}
	out, err := goCmd(m.root, "list", "-e", "-f", "{{.ImportPath}}\t{{.Dir}}", "./...")
	if err != nil {
		return nil, err
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		ip, dir, ok := strings.Cut(line, "\t")
		if !ok {
			return nil, &listError{line}
		}
		rel, ok := m.rel(ip)
		if !ok {
			continue
		}
		p := &pkg{rel: rel, dir: dir, files: map[string]*ast.File{}}
		names, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			return nil, err
		}
		for _, name := range names {
			f, err := parser.ParseFile(m.fset, name, nil, parser.SkipObjectResolution)
			if err != nil {
				return nil, err
			}
			p.files[filepath.Base(name)] = f
			if !strings.HasSuffix(name, "_test.go") {
				p.name = f.Name.Name
			}
		}
		m.pkgs[rel] = p
	}
	return m, nil
}

type listError struct{ line string }

func (e *listError) Error() string {
	return "go list printed an unexpected line: " + strconv.Quote(e.line)
}

func goCmd(dir string, args ...string) (string, error) {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", &goError{args: args, err: err, stderr: stderr.String()}
	}
	return string(out), nil
}

type goError struct {
	args   []string
	err    error
	stderr string
}

func (e *goError) Error() string {
	return "go " + strings.Join(e.args, " ") + ": " + e.err.Error() + ": " + strings.TrimSpace(e.stderr)
}

// rel is an import path of this module relative to its root.
func (m *module) rel(importPath string) (string, bool) {
	if importPath == m.path {
		return ".", true
	}
	return strings.CutPrefix(importPath, m.path+"/")
}

// sortedPkgs returns the packages' relative paths in order.
func (m *module) sortedPkgs() []string {
	var rels []string
	for rel := range m.pkgs {
		rels = append(rels, rel)
	}
	sort.Strings(rels)
	return rels
}

// imports returns the module packages that p's non-test files import.
func (m *module) imports(p *pkg) map[string]bool {
	deps := map[string]bool{}
	for name, f := range p.files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		for _, spec := range f.Imports {
			ip, _ := strconv.Unquote(spec.Path.Value)
			if rel, ok := m.rel(ip); ok {
				deps[rel] = true
			}
		}
	}
	return deps
}

// readDoc returns a file of the module, by its path from the root.
func readDoc(t *testing.T, m *module, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(m.root, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
