package archtest

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"unicode"
)

// TestArchitectureNames checks every name docs/architecture.md's text
// gives in a code span — above all the "Where to add …" recipes — against
// the code, so that a renamed function, type, field, file, test or flag
// fails here rather than leaving the page sending readers to nothing:
//
//   - a path with a slash (`features/compress.go`, `testdata/shapes/<name>/`,
//     up to its first placeholder) exists;
//   - a file name (`partial_codec.go`) is a file of a package the same
//     paragraph names (any package, if it names none);
//   - `pkg.Name`, `pkg.Type.Name` and `pkg.(*Type).name` are declared in
//     that package;
//   - `Name` (top level, or a method or field of any type) and `Type.Name`
//     containing a capital are declared in a package the same paragraph,
//     list item or table row names (any, if none);
//   - `pkg.Name` naming a standard library package (`io.Reader`) has that
//     package's name;
//   - `go test ./pkg -run TestX -flag` runs a test of the package (some
//     test matches the -run pattern) and names flags it defines.
//
// Lowercase words (`env`, `desc`), flags (`--output`) and other text are
// left alone.
func TestArchitectureNames(t *testing.T) {
	m := load(t)
	doc := readDoc(t, m, architectureDoc)
	for _, p := range checkNames(m, doc) {
		t.Errorf("%s:%d: %s", architectureDoc, p.line, p.msg)
	}
	recipes, _, ok := section(doc, "Where to add")
	if !ok || len(codeSpans(recipes)) == 0 {
		t.Errorf("%s has no \"## Where to add …\" section with names in it", architectureDoc)
	}
}

// problem is a name the page gives that the code does not have.
type problem struct {
	line int
	msg  string
}

var (
	goRef      = regexp.MustCompile(`^[A-Za-z]\w*(\.(\(\*?[A-Za-z]\w*\)|[A-Za-z]\w*))*$`)
	goTestArgs = map[string]bool{"race": true, "count": true, "v": true, "short": true, "timeout": true, "tags": true, "cpu": true, "bench": true, "benchtime": true, "fuzz": true, "fuzztime": true, "run": true}
)

// checkNames returns every name in doc's text (fenced blocks aside) the
// code does not have.
func checkNames(m *module, doc string) []problem {
	byName := map[string]string{} // package name → path; "" when two share it
	all := map[string]*decls{}
	for rel, p := range m.pkgs {
		all[rel] = declsOf(p)
		if p.name == "" || p.name == "main" {
			continue
		}
		if _, dup := byName[p.name]; dup {
			byName[p.name] = ""
		} else {
			byName[p.name] = rel
		}
	}
	var probs []problem
	for _, b := range blocks(withoutFences(doc)) {
		spans := codeSpans(b.text)
		// The packages this block names give its bare names their meaning.
		ctx := map[string]bool{}
		for _, s := range spans {
			if rel := pkgOf(m, byName, s); rel != "" {
				ctx[rel] = true
			}
		}
		inCtx := func(f func(rel string) bool) bool {
			for rel := range ctx {
				if f(rel) {
					return true
				}
			}
			if len(ctx) > 0 {
				return false
			}
			for rel := range m.pkgs {
				if f(rel) {
					return true
				}
			}
			return false
		}
		bad := func(format string, args ...any) {
			probs = append(probs, problem{b.line, fmt.Sprintf(format, args...)})
		}
		for _, s := range spans {
			s = strings.TrimSuffix(s, "()")
			switch {
			case strings.HasPrefix(s, "go test "):
				checkGoTest(m, all, s, bad)
			case strings.ContainsAny(s, " \t\"'=:$") || strings.HasPrefix(s, "-") || strings.HasPrefix(s, "."):
				// prose, a flag, a tag or a URL: nothing to look up
			case strings.Contains(s, "/"):
				p := s
				if i := strings.IndexAny(p, "<{*"); i >= 0 {
					p = p[:i]
				}
				if _, err := os.Stat(filepath.Join(m.root, filepath.FromSlash(strings.TrimSuffix(p, "/")))); err != nil {
					bad("`%s`: no such file or folder", s)
				}
			case strings.HasSuffix(s, ".go"):
				if !inCtx(func(rel string) bool { return m.pkgs[rel].files[s] != nil }) {
					bad("`%s`: no such file in %s", s, where(ctx))
				}
			case fileExt.MatchString(s):
				// a file name of another kind (`sizes.txt`): where it is, the
				// paragraph says
			case goRef.MatchString(s):
				ref := splitRef(s)
				if rel, ok := byName[ref[0]]; ok && rel != "" {
					if len(ref) > 1 && !all[rel].has(ref[1:], false) {
						bad("`%s`: package %s declares no %s", s, rel, strings.Join(ref[1:], "."))
					}
					continue
				}
				if len(ref) > 1 && !strings.ContainsFunc(ref[0], unicode.IsUpper) {
					if !m.std[ref[0]] {
						bad("`%s`: no package %s in this module or the standard library", s, ref[0])
					}
					continue // io.Reader: another module's business
				}
				if !strings.ContainsFunc(s, unicode.IsUpper) {
					continue // a word, not a name
				}
				if !inCtx(func(rel string) bool { return all[rel].has(ref, true) }) {
					bad("`%s`: not declared in %s", s, where(ctx))
				}
			}
		}
	}
	return probs
}

// pkgOf returns the package a code span names or points into: a package
// path, a file in one, a package name or a name qualified by one.
func pkgOf(m *module, byName map[string]string, s string) string {
	s = strings.TrimSuffix(s, "/")
	if m.pkgs[s] != nil {
		return s
	}
	if strings.Contains(s, "/") && m.pkgs[path.Dir(s)] != nil {
		return path.Dir(s)
	}
	if goRef.MatchString(s) {
		return byName[splitRef(s)[0]]
	}
	return ""
}

// splitRef splits "job.(*runState).judge" into job, runState, judge.
func splitRef(s string) []string {
	var ref []string
	for _, e := range strings.Split(s, ".") {
		ref = append(ref, strings.Trim(e, "(*)"))
	}
	return ref
}

// checkGoTest checks a `go test ./pkg -run TestX -flag …` command: the
// package exists, declares the test, and defines each flag that is not the
// go command's own.
func checkGoTest(m *module, all map[string]*decls, cmd string, bad func(string, ...any)) {
	args := strings.Fields(strings.TrimPrefix(cmd, "go test "))
	var pkgs []string
	var runs, flags []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case strings.Contains(a, "..."):
			// a pattern: every package
		case strings.HasPrefix(a, "./"):
			rel := strings.TrimPrefix(a, "./")
			if m.pkgs[rel] == nil {
				bad("`%s`: no package %s", cmd, rel)
				continue
			}
			pkgs = append(pkgs, rel)
		case a == "-run" && i+1 < len(args):
			i++
			runs = append(runs, args[i])
		case strings.HasPrefix(a, "-"):
			name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
			if !goTestArgs[name] {
				flags = append(flags, name)
			}
		}
	}
	for _, rel := range pkgs {
		for _, r := range runs {
			re, err := regexp.Compile(strings.Trim(r, `'"`))
			if err != nil {
				bad("`%s`: -run %s: %v", cmd, r, err)
				continue
			}
			if !all[rel].hasTest(re) {
				bad("`%s`: package %s has no test matching %s", cmd, rel, r)
			}
		}
		for _, f := range flags {
			if !all[rel].flags[f] {
				bad("`%s`: package %s defines no flag -%s", cmd, rel, f)
			}
		}
	}
}

// block is a paragraph, list item or table row, and its first line.
type block struct {
	text string
	line int
}

// blocks splits markdown text into paragraphs, list items and table rows.
func blocks(text string) []block {
	var out []block
	var cur []string
	start := 0
	flush := func() {
		if len(cur) > 0 {
			out = append(out, block{strings.Join(cur, "\n"), start})
		}
		cur = nil
	}
	for i, l := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(l)
		if trimmed == "" || strings.HasPrefix(l, "#") {
			flush()
			continue
		}
		if strings.HasPrefix(l, "- ") || strings.HasPrefix(l, "| ") || numbered.MatchString(l) {
			flush()
		}
		if len(cur) == 0 {
			start = i + 1
		}
		cur = append(cur, l)
	}
	flush()
	return out
}

var (
	numbered = regexp.MustCompile(`^\d+\. `)
	fileExt  = regexp.MustCompile(`\.(txt|md|sh|json|jsonl|ya?ml|conf|env|gz|zst|csv|parquet|golden)$`)
)

func where(ctx map[string]bool) string {
	if len(ctx) == 0 {
		return "any package"
	}
	var names []string
	for rel := range ctx {
		names = append(names, rel)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
