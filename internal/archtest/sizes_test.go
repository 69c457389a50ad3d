package archtest

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

var updateSizes = flag.Bool("update-sizes", false, "lower sizes.txt's entries to the sizes the code has shrunk to (never raise one)")

// fileLimit is the most lines a non-test .go file may have without an
// entry in sizes.txt.
const fileLimit = 600

// sizesFile holds the exceptions to fileLimit and the packages' budgets.
const sizesFile = "sizes.txt"

// sizeEntry is a line of sizes.txt: "file PATH LINES" or
// "package PATH LINES GOAL".
type sizeEntry struct {
	kind  string // "file" or "package"
	path  string
	lines int // the most lines allowed today
	goal  int // a package's budget; fileLimit for a file
	at    int // line in sizes.txt
}

// TestSizes holds every non-test .go file of the module to 600 lines and
// the packages sizes.txt lists to their budgets, with sizes.txt's entries
// as a ratchet: a file or package may not grow past its entry, and an
// entry the code has shrunk below must come down with it (-update-sizes
// lowers them), so a size won back cannot be spent again.
func TestSizes(t *testing.T) {
	m := load(t)
	raw, err := os.ReadFile(sizesFile)
	if err != nil {
		t.Fatal(err)
	}
	entries, errs := parseSizes(string(raw))
	for _, err := range errs {
		t.Error(err)
	}
	files, pkgs := measure(m)
	if *updateSizes {
		out := lowerSizes(string(raw), entries, files, pkgs)
		if err := os.WriteFile(sizesFile, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		entries, _ = parseSizes(out)
	}
	for _, p := range checkSizes(entries, files, pkgs) {
		t.Error(p)
	}
}

// measure counts the lines of every non-test .go file of the module, by
// path from the root, and of each package's non-test files together.
func measure(m *module) (files, pkgs map[string]int) {
	files, pkgs = map[string]int{}, map[string]int{}
	for rel, p := range m.pkgs {
		pkgs[rel] = 0
		for name := range p.files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			b, err := os.ReadFile(filepath.Join(p.dir, name))
			if err != nil {
				panic(err) // parsed a moment ago
			}
			n := bytes.Count(b, []byte("\n"))
			files[path.Join(rel, name)] = n
			pkgs[rel] += n
		}
	}
	return files, pkgs
}

// parseSizes reads sizes.txt: comments (#) and blank lines aside, one
// entry a line.
func parseSizes(text string) ([]sizeEntry, []error) {
	var entries []sizeEntry
	var errs []error
	seen := map[string]bool{}
	for i, l := range strings.Split(text, "\n") {
		l, _, _ = strings.Cut(l, "#")
		f := strings.Fields(l)
		if len(f) == 0 {
			continue
		}
		e := sizeEntry{at: i + 1, goal: fileLimit}
		bad := func(why string) { errs = append(errs, fmt.Errorf("%s:%d: %q: %s", sizesFile, i+1, l, why)) }
		if len(f) < 3 {
			bad("want \"file PATH LINES\" or \"package PATH LINES GOAL\"")
			continue
		}
		e.kind, e.path = f[0], f[1]
		var err error
		if e.lines, err = strconv.Atoi(f[2]); err != nil || e.lines <= 0 {
			bad("LINES is not a positive number")
			continue
		}
		switch {
		case e.kind == "file" && len(f) == 3:
		case e.kind == "package" && len(f) == 4:
			if e.goal, err = strconv.Atoi(f[3]); err != nil || e.goal <= 0 {
				bad("GOAL is not a positive number")
				continue
			}
		default:
			bad("want \"file PATH LINES\" or \"package PATH LINES GOAL\"")
			continue
		}
		if seen[e.kind+" "+e.path] {
			bad("listed twice")
			continue
		}
		seen[e.kind+" "+e.path] = true
		entries = append(entries, e)
	}
	return entries, errs
}

// checkSizes returns what breaks the limits or leaves an entry higher than
// it needs to be.
func checkSizes(entries []sizeEntry, files, pkgs map[string]int) []string {
	var probs []string
	listed := map[string]bool{}
	for _, e := range entries {
		listed[e.kind+" "+e.path] = true
		sizes := files
		if e.kind == "package" {
			sizes = pkgs
		}
		n, ok := sizes[e.path]
		want := max(n, e.goal)
		switch {
		case !ok:
			probs = append(probs, fmt.Sprintf("%s:%d: no %s %s any more: remove its entry", sizesFile, e.at, e.kind, e.path))
		case n > e.lines:
			probs = append(probs, fmt.Sprintf("%s %s has %d lines, over its %d in %s:%d (goal %d): make it smaller, do not raise the entry", e.kind, e.path, n, e.lines, sizesFile, e.at, e.goal))
		case e.kind == "file" && n <= fileLimit:
			probs = append(probs, fmt.Sprintf("%s:%d: file %s is down to %d lines, within %d: remove its entry (-update-sizes)", sizesFile, e.at, e.path, n, fileLimit))
		case e.lines > want:
			probs = append(probs, fmt.Sprintf("%s:%d: %s %s is down to %d lines: lower its entry from %d to %d (-update-sizes)", sizesFile, e.at, e.kind, e.path, n, e.lines, want))
		case e.goal > e.lines:
			probs = append(probs, fmt.Sprintf("%s:%d: %s %s: its goal %d is above its entry %d", sizesFile, e.at, e.kind, e.path, e.goal, e.lines))
		}
	}
	for _, f := range sortedKeys(files) {
		if n := files[f]; n > fileLimit && !listed["file "+f] {
			probs = append(probs, fmt.Sprintf("file %s has %d lines, over %d: split it by purpose (an entry in %s is for files already over the limit, not new ones)", f, n, fileLimit, sizesFile))
		}
	}
	return probs
}

// lowerSizes rewrites sizes.txt with each entry lowered to the size the
// code has shrunk to, and file entries back within the limit removed; an
// entry the code has outgrown is left for checkSizes to report.
func lowerSizes(text string, entries []sizeEntry, files, pkgs map[string]int) string {
	lines := strings.Split(text, "\n")
	drop := map[int]bool{}
	for _, e := range entries {
		sizes := files
		if e.kind == "package" {
			sizes = pkgs
		}
		n, ok := sizes[e.path]
		switch {
		case !ok || (e.kind == "file" && n <= fileLimit):
			drop[e.at-1] = true
		case max(n, e.goal) < e.lines:
			lines[e.at-1] = linesField.ReplaceAllString(lines[e.at-1], "${1}"+strconv.Itoa(max(n, e.goal)))
		}
	}
	var out []string
	for i, l := range lines {
		if !drop[i] {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// linesField matches an entry up to its LINES field.
var linesField = regexp.MustCompile(`^(\s*\S+\s+\S+\s+)\d+`)

func sortedKeys(m map[string]int) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
