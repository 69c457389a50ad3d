package archtest

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

// arrows is the import graph docs/architecture.md allows: each package's
// imports, in the order the page lists the packages.
type arrows struct {
	order  []string
	deps   map[string][]string
	linked map[string]bool
}

// parseArrows reads the two graph blocks of the "Packages" section: the
// one led by "**Linked into" and the one led by "**Never linked". A line
// is "pkg -> dep, dep" with an optional "(comment)".
func parseArrows(t *testing.T, doc string) arrows {
	t.Helper()
	text, _, ok := section(doc, "Packages")
	if !ok {
		t.Fatalf("%s has no \"## Packages\" section", architectureDoc)
	}
	a := arrows{deps: map[string][]string{}, linked: map[string]bool{}}
	blocks := 0
	for _, f := range fences(text) {
		var linked bool
		switch {
		case strings.HasPrefix(f.lead, "**Linked into"):
			linked = true
		case strings.HasPrefix(f.lead, "**Never linked"):
		default:
			continue
		}
		blocks++
		for _, l := range f.lines {
			if strings.TrimSpace(l) == "" {
				continue
			}
			l, _, _ = strings.Cut(l, "(")
			from, to, ok := strings.Cut(l, "->")
			from = strings.TrimSpace(from)
			if !ok || from == "" || strings.Contains(from, " ") {
				t.Errorf("%s: graph line %q is not \"package -> package, package\"", architectureDoc, l)
				continue
			}
			if _, dup := a.deps[from]; dup {
				t.Errorf("%s: %s has two graph lines", architectureDoc, from)
			}
			var deps []string
			for d := range strings.SplitSeq(to, ",") {
				if d = strings.TrimSpace(d); d != "" {
					deps = append(deps, d)
				}
			}
			a.order = append(a.order, from)
			a.deps[from] = deps
			a.linked[from] = linked
		}
	}
	if blocks != 2 {
		t.Fatalf("%s: want two graph blocks in \"## Packages\", led by **Linked into and **Never linked; found %d", architectureDoc, blocks)
	}
	return a
}

// TestImportGraph checks the code's imports against the arrows the page
// allows, both ways, and that every arrow points down the page: a new
// import that is not on the page, or an upward one, fails here.
func TestImportGraph(t *testing.T) {
	m := load(t)
	a := parseArrows(t, readDoc(t, m, architectureDoc))
	checkGraph(t, m, a)
}

func checkGraph(t *testing.T, m *module, a arrows) {
	t.Helper()
	for _, rel := range m.sortedPkgs() {
		if _, ok := a.deps[rel]; !ok {
			t.Errorf("%s: package %s has no line in the import graph", architectureDoc, rel)
		}
	}
	pos := map[string]int{}
	for i, p := range a.order {
		pos[p] = i
	}
	for _, from := range a.order {
		p, ok := m.pkgs[from]
		if !ok {
			t.Errorf("%s: the import graph names %s, which go list does not find", architectureDoc, from)
			continue
		}
		allowed := map[string]bool{}
		for _, d := range a.deps[from] {
			allowed[d] = true
			switch i, ok := pos[d]; {
			case !ok:
				t.Errorf("%s: %s -> %s: %s has no line of its own", architectureDoc, from, d, d)
			case a.linked[from] == a.linked[d] && i <= pos[from]:
				t.Errorf("%s: %s -> %s points upward: %s is listed above %s", architectureDoc, from, d, d, from)
			case a.linked[from] && !a.linked[d]:
				t.Errorf("%s: %s -> %s: a linked package imports one the page says is never linked", architectureDoc, from, d)
			}
		}
		got := m.imports(p)
		for _, d := range slices.Sorted(maps.Keys(got)) {
			if !allowed[d] {
				t.Errorf("%s imports %s, which %s does not allow: add the arrow there if it is right (it must point down the page), else remove the import", from, d, architectureDoc)
			}
		}
		for _, d := range a.deps[from] {
			if !got[d] {
				t.Errorf("%s: %s -> %s, but %s no longer imports %s: remove the arrow", architectureDoc, from, d, from, d)
			}
		}
	}
	// What the page says is linked is what cmd/logsmith reaches.
	reach := map[string]bool{}
	var walk func(string)
	walk = func(rel string) {
		if reach[rel] || m.pkgs[rel] == nil {
			return
		}
		reach[rel] = true
		for d := range m.imports(m.pkgs[rel]) {
			walk(d)
		}
	}
	walk("cmd/logsmith")
	for _, rel := range m.sortedPkgs() {
		if linked, listed := a.linked[rel]; listed && linked != reach[rel] {
			t.Errorf("%s says %s is %s, but cmd/logsmith %s it", architectureDoc, rel, map[bool]string{true: "linked into logsmith", false: "never linked"}[linked], map[bool]string{true: "reaches", false: "does not reach"}[reach[rel]])
		}
	}
}

// TestPackageTable checks that the "Packages" table has one row for each
// package go list finds and none for a package that does not exist.
func TestPackageTable(t *testing.T) {
	m := load(t)
	text, _, ok := section(readDoc(t, m, architectureDoc), "Packages")
	if !ok {
		t.Fatalf("%s has no \"## Packages\" section", architectureDoc)
	}
	rows := map[string]int{}
	for l := range strings.SplitSeq(text, "\n") {
		if !strings.HasPrefix(l, "| `") {
			continue
		}
		first := strings.Split(l, "|")[1]
		for _, span := range codeSpans(first) {
			rows[span]++
		}
	}
	for _, rel := range m.sortedPkgs() {
		if rows[rel] != 1 {
			t.Errorf("%s: package %s has %d rows in the package table, want 1", architectureDoc, rel, rows[rel])
		}
	}
	for _, name := range slices.Sorted(maps.Keys(rows)) {
		if m.pkgs[name] == nil {
			t.Errorf("%s: the package table has a row for %s, which go list does not find", architectureDoc, name)
		}
	}
}

// codeSpans returns the text of each `code span` in s.
func codeSpans(s string) []string {
	var out []string
	for {
		_, rest, ok := strings.Cut(s, "`")
		if !ok {
			return out
		}
		span, after, ok := strings.Cut(rest, "`")
		if !ok {
			return out
		}
		out = append(out, span)
		s = after
	}
}
