package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/logsmith/logsmith/job/settings"
)

// commands are every command, as completion offers them.
var commands = append(append([]string{}, SettingCommands...), "config", "completion", "help", "version")

// flagsOf lists a command's flags, with their descriptions.
func flagsOf(cmd string) []settings.Setting {
	var out []settings.Setting
	for _, s := range settings.Settings(ConfigOf(cmd)) {
		if s.Flag != "" {
			out = append(out, s)
		}
	}
	return out
}

// flagChoices are the values completion offers after a flag.
func flagChoices() map[string][]string {
	return map[string][]string{
		"shape":        settings.ShapeNames(),
		"format":       {"parquet", "csv", "parquet,csv"},
		"table-format": {"hive", "iceberg"},
		"log-level":    {"debug", "info", "warn", "error"},
		"latency-unit": {"ms", "us", "ns", "s"},
	}
}

// Completion prints a completion script for a shell, generated from
// the settings table: logsmith completion bash|zsh|fish.
func Completion(args []string, stdout io.Writer) error {
	if len(args) != 1 {
		return &settings.ConfigError{Env: "completion", Err: fmt.Errorf("want one shell: bash, zsh or fish")}
	}
	switch args[0] {
	case "bash":
		bashCompletion(stdout)
	case "zsh":
		zshCompletion(stdout)
	case "fish":
		fishCompletion(stdout)
	default:
		return &settings.ConfigError{Env: "completion", Err: fmt.Errorf("%q: want bash, zsh or fish", args[0])}
	}
	return nil
}

// commandFlags renders each command's flags as "--a --b".
func commandFlags(cmd string) string {
	var fs []string
	for _, s := range flagsOf(cmd) {
		fs = append(fs, "--"+s.Flag)
	}
	return strings.Join(append(fs, "--help"), " ")
}

func bashCompletion(w io.Writer) {
	fmt.Fprintf(w, `# bash completion for logsmith; load with: source <(logsmith completion bash)
_logsmith() {
  local cur prev cmd opts
  cur="${COMP_WORDS[COMP_CWORD]}"
  prev="${COMP_WORDS[COMP_CWORD-1]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W %q -- "$cur"))
    return 0
  fi
  cmd="${COMP_WORDS[1]}"
  case "$prev" in
    --config|--plan-file|--s3-ca-file) COMPREPLY=($(compgen -f -- "$cur")); return 0 ;;
`, strings.Join(commands, " "))
	for flag, vals := range sortedChoices() {
		fmt.Fprintf(w, "    --%s) COMPREPLY=($(compgen -W %q -- \"$cur\")); return 0 ;;\n", flag, strings.Join(vals, " "))
	}
	fmt.Fprint(w, "  esac\n  case \"$cmd\" in\n")
	for _, c := range SettingCommands {
		fmt.Fprintf(w, "    %s) opts=%q ;;\n", c, commandFlags(c))
	}
	fmt.Fprintf(w, "    config|help) opts=%q ;;\n", strings.Join(SettingCommands, " ")+" "+commandFlags("run"))
	fmt.Fprint(w, `    completion) opts="bash zsh fish" ;;
    *) opts="" ;;
  esac
  COMPREPLY=($(compgen -W "$opts" -- "$cur"))
}
complete -o default -F _logsmith logsmith
`)
}

func zshCompletion(w io.Writer) {
	fmt.Fprintf(w, "#compdef logsmith\n# zsh completion for logsmith; load with: source <(logsmith completion zsh)\n_logsmith() {\n")
	fmt.Fprintf(w, "  local -a opts\n  if (( CURRENT == 2 )); then\n    compadd -- %s\n    return\n  fi\n", strings.Join(commands, " "))
	fmt.Fprint(w, "  case ${words[CURRENT-1]} in\n    --config|--plan-file|--s3-ca-file) _files; return ;;\n")
	for flag, vals := range sortedChoices() {
		fmt.Fprintf(w, "    --%s) compadd -- %s; return ;;\n", flag, strings.Join(vals, " "))
	}
	fmt.Fprint(w, "  esac\n  case ${words[2]} in\n")
	for _, c := range SettingCommands {
		fmt.Fprintf(w, "    %s) opts=(%s) ;;\n", c, commandFlags(c))
	}
	fmt.Fprintf(w, "    config|help) opts=(%s) ;;\n", strings.Join(SettingCommands, " ")+" "+commandFlags("run"))
	fmt.Fprint(w, "    completion) opts=(bash zsh fish) ;;\n  esac\n  compadd -- $opts\n}\n")
	fmt.Fprint(w, "if (( $+functions[compdef] )); then compdef _logsmith logsmith; fi\n")
}

func fishCompletion(w io.Writer) {
	fmt.Fprintln(w, "# fish completion for logsmith; load with: logsmith completion fish | source")
	fmt.Fprintf(w, "complete -c logsmith -f -n __fish_use_subcommand -a %q\n", strings.Join(commands, " "))
	choices := flagChoices()
	for _, c := range SettingCommands {
		for _, s := range flagsOf(c) {
			extra := ""
			if vals, ok := choices[s.Flag]; ok {
				extra = fmt.Sprintf(" -x -a %q", strings.Join(vals, " "))
			} else if s.Flag == "config" || s.Flag == "plan-file" || s.Flag == "s3-ca-file" {
				extra = " -r -F"
			}
			fmt.Fprintf(w, "complete -c logsmith -n '__fish_seen_subcommand_from %s' -l %s%s -d %s\n", c, s.Flag, extra, fishQuote(short(s.Desc)))
		}
	}
	fmt.Fprintln(w, "complete -c logsmith -n '__fish_seen_subcommand_from completion' -a 'bash zsh fish'")
	fmt.Fprintf(w, "complete -c logsmith -n '__fish_seen_subcommand_from help config' -a %q\n", strings.Join(SettingCommands, " "))
}

// sortedChoices yields flagChoices in flag order, so scripts are stable.
func sortedChoices() func(func(string, []string) bool) {
	return func(yield func(string, []string) bool) {
		c := flagChoices()
		for _, f := range []string{"format", "latency-unit", "log-level", "shape", "table-format"} {
			if !yield(f, c[f]) {
				return
			}
		}
	}
}

// short is a description's first clause, for a completion menu.
func short(desc string) string {
	if i := strings.IndexAny(desc, ";:("); i > 0 {
		desc = desc[:i]
	}
	return clipRunes(strings.TrimSpace(desc), 60)
}

func clipRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// fishQuote quotes s for fish: single quotes, with \ and ' escaped.
func fishQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
