package archtest

import (
	"strings"
)

// architectureDoc is the page these tests keep true.
const architectureDoc = "docs/architecture.md"

// section returns the text under the "## " heading whose title starts
// with title, up to the next "## " heading, and the line it starts on.
func section(doc, title string) (text string, line int, ok bool) {
	lines := strings.Split(doc, "\n")
	start := -1
	for i, l := range lines {
		if strings.HasPrefix(l, "## ") {
			if start >= 0 {
				return strings.Join(lines[start:i], "\n"), start + 1, true
			}
			if strings.HasPrefix(strings.TrimPrefix(l, "## "), title) {
				start = i + 1
			}
		}
	}
	if start < 0 {
		return "", 0, false
	}
	return strings.Join(lines[start:], "\n"), start + 1, true
}

// fence is a fenced code block and the first line of the paragraph
// before it.
type fence struct {
	lead  string
	lines []string
	line  int // line of its first content line, in the section
}

// fences returns a section's fenced code blocks.
func fences(text string) []fence {
	var out []fence
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); i++ {
		if !strings.HasPrefix(lines[i], "```") {
			continue
		}
		f := fence{line: i + 2}
		j := i - 1
		for j >= 0 && strings.TrimSpace(lines[j]) == "" {
			j--
		}
		for j >= 0 && strings.TrimSpace(lines[j]) != "" {
			f.lead = lines[j]
			j--
		}
		for i++; i < len(lines) && !strings.HasPrefix(lines[i], "```"); i++ {
			f.lines = append(f.lines, lines[i])
		}
		out = append(out, f)
	}
	return out
}

// withoutFences returns text with its fenced code blocks blanked out, line
// numbers kept.
func withoutFences(text string) string {
	lines := strings.Split(text, "\n")
	in := false
	for i, l := range lines {
		if strings.HasPrefix(l, "```") {
			in = !in
			lines[i] = ""
		} else if in {
			lines[i] = ""
		}
	}
	return strings.Join(lines, "\n")
}
