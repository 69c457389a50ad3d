package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/logsmith/logsmith/cli"
	"github.com/logsmith/logsmith/job/settings"
)

// mdEscape keeps a description one table cell of plain text.
var mdEscape = strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;")

var updateDocs = flag.Bool("update-docs", false, "rewrite docs/configuration.md from the settings")

// The settings reference is generated from the config definitions, so the
// docs and the code cannot disagree: this test fails when they do, and
// -update-docs rewrites the file.
func TestConfigurationDocs(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "configuration.md")
	got := settingsDoc(t)
	if *updateDocs {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is out of date with the settings in code: run go test ./cmd/logsmith -run TestConfigurationDocs -update-docs", path)
	}
}

// configFileDoc is the reference's section on the config file.
const configFileDoc = `
## Config file

` + "`--config FILE`" + ` (or ` + "`LOGSMITH_CONFIG`" + `) reads settings from a YAML file (JSON is YAML too).
A setting's value comes from the first of these that gives it:

1. a flag (` + "`--max-bad-ratio 0.05`" + `),
2. its environment variable (` + "`LOGSMITH_MAX_BAD_RATIO=0.05`" + `),
3. the config file (` + "`max-bad-ratio: 0.05`" + `),
4. the preset of ` + "`--shape`" + ` (which may itself come from any of the above),
5. its default.

The file is one mapping; its keys are the flag names below (` + "`max-bad-ratio`" + `, ` + "`s3-endpoint`" + `,
` + "`run`" + `) or, for a setting without a flag, its variable without ` + "`LOGSMITH_`" + ` in lower case with
dashes (` + "`s3-access-key`" + `, ` + "`iceberg-rest-token`" + `). A value is written as the environment
variable would be (` + "`5m`" + `, ` + "`0.05`" + `, ` + "`true`" + `); a list setting takes a YAML list or a
comma-separated string; an empty value (` + "`level-field:`" + ` or ` + "`level-field: \"\"`" + `) is the
empty string. One file may serve every command (a run and its gc): a key of a setting that
another command reads is accepted. An unknown key (with the nearest known one), a key given
twice, a nested mapping, a list for a one-value setting or a value that does not parse is
refused (exit 2) with the file and key:

` + "```" + `
logsmith: config file logsmith.yaml, key max-bad-ration: line 3: not a setting of any command; did you mean max-bad-ratio?
` + "```" + `

` + "```yaml" + `
# logsmith.yaml
input: s3://logs/app/{yyyy}/{mm}/{dd}/
output: s3://features/app
window: [5m, 1h]
group-by: [service]
max-bad-ratio: 0.05
s3-endpoint: minio.storage:9000
` + "```" + `

` + "`logsmith config [COMMAND] [flags]`" + ` prints the settings a command would run with and
where each came from (` + "`--json`" + ` for a list of objects); secrets show as ` + "`(set)`" + `.
`

func settingsDoc(t *testing.T) []byte {
	var b bytes.Buffer
	b.WriteString("# Configuration reference\n\n")
	b.WriteString("<!-- Generated from the config definitions by `go test ./cmd/logsmith -run TestConfigurationDocs -update-docs`; do not edit. -->\n\n")
	b.WriteString("Every setting is read from its environment variable; a flag overrides it. `logsmith <command> --help` (or `logsmith help <command>`) prints the same settings grouped by purpose, with each default and, apart, a value set in the environment; `logsmith completion bash|zsh|fish` prints a shell completion script. Values are taken as written: leading or trailing whitespace or an invisible character (a byte-order mark, a zero-width space, a control character) is refused (exit 2), and so is an input or output that starts like a URL but is not `s3://` or `file://` (`s3:/b/x`). Settings marked *output* change the rows and are part of the config hash recorded in every manifest; those marked *when set* were added after the hash was fixed and enter it only when set away from their default, so that a config leaving them alone keeps its hash.\n\nA `LOGSMITH_` variable that no command reads is refused (exit 2) with the nearest setting's name, as an unknown flag is; the development scripts' own variables (`LOGSMITH_MINIO_PORT`, `LOGSMITH_TEST_S3`, … listed in `settings.ToolEnv`) are let through. A flag is given once: a second use of the same flag is refused (exit 2), except for list settings (`--window`, `--group-by`, `--format`), which add each use's values in order. Settings of which one would be ignored are refused together: `--timestamp-layout` with a `--timestamp-format` other than `layout` (or the default `auto`), `--timestamp-zone` without `--timestamp-layout`, `--iceberg-catalog` without `--table-format iceberg`.\n")
	b.WriteString(configFileDoc)
	run := map[string]bool{}
	section := func(title, intro string, cfg any, skip map[string]bool) {
		t.Helper()
		if err := cli.Parse(cfg, "docs", nil, map[string]string{}, io.Discard); err != nil {
			t.Fatalf("%s: defaults: %v", title, err)
		}
		fmt.Fprintf(&b, "\n## %s\n\n%s\n\n| flag | environment | default | output | purpose | meaning |\n| --- | --- | --- | --- | --- | --- |\n", title, intro)
		for _, s := range settings.Settings(cfg) {
			if skip[s.Env] {
				continue
			}
			flag := ""
			if s.Flag != "" {
				flag = "`--" + s.Flag + "`"
			}
			def := s.FormatValue()
			if s.Secret || def == "" {
				def = ""
			} else {
				def = "`" + def + "`"
			}
			hash := ""
			if s.Hash {
				hash = "yes"
				if s.HashUnlessDefault {
					hash = "when set"
				}
			}
			fmt.Fprintf(&b, "| %s | `%s` | %s | %s | %s | %s |\n", flag, s.Env, def, hash, s.Group, mdEscape.Replace(s.Desc))
		}
	}
	var rc settings.Config
	section("run and merge", "`logsmith run` computes and commits features; `logsmith merge` (with `--run` and `--date`) merges a sharded run's partials and commits them.", &rc, nil)
	for _, s := range settings.Settings(&rc) {
		run[s.Env] = true
	}
	section("backfill", "`logsmith backfill` takes every run setting above, plus:", &settings.BackfillConfig{}, run)
	section("plan", "`logsmith plan` takes every run setting above, plus:", &settings.PlanConfig{}, run)
	section("ls, show, files, pin, gc, migrate, report and table", "The commands that read or tidy an output, and `logsmith table show|drop` (see [Output](output.md#the-outputs-tables-and-their-shape)); `show --chart` and `report` draw it (see [Output](output.md#pictures-show---chart-and-report)).", &settings.OutputConfig{}, nil)
	section("generate", "`logsmith generate` writes synthetic logs; the same seed always gives the same bytes.", &settings.GenerateConfig{}, nil)
	return b.Bytes()
}
