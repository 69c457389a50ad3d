package cli

import (
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/logsmith/logsmith/job/settings"
)

// helpWidth is the widest line help prints.
const helpWidth = 100

// groups are the settings' purposes, in the order help lists them, with
// their titles.
var groups = []struct{ name, title string }{
	{"", "Settings of this command"},
	{"input", "Input: what is read"},
	{"decoding", "Decoding: how a line becomes an event"},
	{"windows", "Windows and tables"},
	{"output", "Output: where, which date and run"},
	{"commit", "Commit and retention"},
	{"storage", "Storage: S3 and reading"},
	{"iceberg", "Iceberg"},
	{"limits", "Limits and checks"},
	{"command", "This command"},
}

// commandHelp is each command's one-line purpose and examples.
var commandHelp = map[string]struct {
	purpose  string
	examples []string
}{
	"run": {"Compute features from --input and commit them to --output.", []string{
		"logsmith run --input ./logs --output ./features",
		"logsmith run --input 's3://logs/app/{yyyy}/{mm}/{dd}/' --output s3://feat/app --date 2025-11-08",
		"logsmith run --config logsmith.yaml --dry-run",
	}},
	"merge": {"Merge the shards of a sharded run and commit the date.", []string{
		"logsmith merge --input s3://logs/app/ --output s3://feat/app --run r1 --date 2025-11-08",
		"logsmith merge --config logsmith.yaml --run r1 --date 2025-11-08 --dry-run",
	}},
	"backfill": {"Run every date from --from to --to with the commit protocol.", []string{
		"logsmith backfill --input 's3://logs/app/{yyyy}/{mm}/{dd}/' --output s3://feat/app \\\n      --from 2025-01-01 --to 2025-03-31 --parallel 4",
		"logsmith backfill --config logsmith.yaml --from 2025-01-01 --to 2025-01-31 --dry-run",
	}},
	"peek": {"Show the input's first events as a run decodes them, field hit rates and its likely shape.", []string{
		"logsmith peek --input ./logs",
		"logsmith peek --input s3://logs/app/ --latency-field duration_ms --lines 5",
		"logsmith peek --input /var/lib/docker/containers/ --shape docker --json",
	}},
	"plan": {"Size a sharded run: how many shards fit the time budget.", []string{
		"logsmith plan --input s3://logs/app/ --output s3://feat/app --date 2025-11-08",
		"logsmith plan --config logsmith.yaml --date 2025-11-08 --plan-budget 30m --json",
	}},
	"ls": {"List the committed partitions.", []string{"logsmith ls --output ./features", "logsmith ls --output s3://feat/app --json"}},
	"show": {"Print a partition's manifest; --chart draws its events, error rate and p99 per hour.", []string{
		"logsmith show --output ./features --date 2025-11-08",
		"logsmith show --output s3://feat/app --date 2025-11-08 --chart",
		"logsmith show --output ./features --date 2025-11-08 --hours --json",
	}},
	"report": {"Write one HTML page of the committed partitions: charts, hourly sums, bad lines.", []string{
		"logsmith report --output s3://feat/app --date 2025-11-08 > report.html",
		"logsmith report --output ./features --from 2025-11-01 --to 2025-11-07 --window 5m > week.html",
	}},
	"files": {"Print the URLs of the committed data objects.", []string{"logsmith files --output s3://feat/app --from 2025-11-01 --to 2025-11-07", "logsmith files --output ./features --window 5m --format csv"}},
	"pin": {"Print each Iceberg table's current snapshot, which holds every committed date: the id to pin.", []string{
		"logsmith pin --output s3://feat/app --table-format iceberg --iceberg-catalog \"$PG\"",
		"logsmith pin --output ./features --table-format iceberg --json | jq -r .snapshot_id_str",
	}},
	"gc":      {"Delete the files no commit needs.", []string{"logsmith gc --output s3://feat/app --dry-run", "logsmith gc --output ./features --gc-grace 24h"}},
	"migrate": {"Rewrite version 1 partitions (run=ID folders).", []string{"logsmith migrate --output ./features", "logsmith migrate --output s3://feat/app --date 2025-11-08"}},
	"generate": {"Write synthetic logs; the same seed gives the same bytes.", []string{
		"logsmith generate --output ./logs", "logsmith generate --output s3://logs/app --days 7 --gzip",
	}},
	"config": {"Print the settings a command would run with and where each came from.", []string{
		"logsmith config", "logsmith config gc --config logsmith.yaml", "logsmith config backfill --json",
	}},
}

// printHelp prints a command's settings by purpose: each flag and
// variable, its meaning, its default and, apart, a value the environment
// sets. No line is wider than helpWidth.
func printHelp(w io.Writer, cmd string, cfg any, known []settings.Setting, env map[string]string) {
	defaults := map[string]string{}
	fresh := reflect.New(reflect.TypeOf(cfg).Elem()).Interface()
	if err := settings.ParseEnv(fresh, map[string]string{}); err == nil {
		for _, s := range settings.Settings(fresh) {
			defaults[s.Env] = s.FormatValue()
		}
	}
	name := cmd
	if strings.HasPrefix(cmd, "config ") {
		name = "config"
	}
	h := commandHelp[name]
	fmt.Fprintf(w, "Usage: logsmith %s [flags]\n\n", cmd)
	if h.purpose != "" {
		fmt.Fprintf(w, "%s\n\n", h.purpose)
	}
	if len(h.examples) > 0 {
		fmt.Fprintln(w, "Examples:")
		for _, e := range h.examples {
			fmt.Fprintf(w, "  %s\n", e)
		}
		fmt.Fprintln(w)
	}
	wrap(w, "", "A setting comes from its flag, else its environment variable, else the config file (--config), "+
		"else the shape (--shape), else its default; \"logsmith config\" shows which. docs/configuration.md has them all.")
	for _, g := range groups {
		var in []settings.Setting
		for _, s := range known {
			if s.Group == g.name {
				in = append(in, s)
			}
		}
		if len(in) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s:\n", g.title)
		for _, s := range in {
			head := "  " + s.Env
			if s.Flag != "" {
				head = fmt.Sprintf("  --%s %s", s.Flag, argName(s))
				head = strings.TrimRight(head, " ")
				if pad := 34 - utf8.RuneCountInString(head); pad > 0 {
					head += strings.Repeat(" ", pad)
				} else {
					head += "  "
				}
				head += s.Env
			}
			if utf8.RuneCountInString(head) <= helpWidth {
				fmt.Fprintln(w, head)
			} else {
				wrap(w, "  ", head)
			}
			wrap(w, "      ", s.Desc)
			var notes []string
			if def := defaults[s.Env]; def != "" && !s.Secret {
				notes = append(notes, "default: "+def)
			}
			if _, ok := env[s.Env]; ok {
				v := s.FormatValue()
				switch {
				case s.Secret:
					notes = append(notes, "set in the environment, not shown")
				case v == "":
					notes = append(notes, `set in the environment: ""`)
				default:
					notes = append(notes, "set in the environment: "+v)
				}
			}
			if len(notes) > 0 {
				wrap(w, "      ", "("+strings.Join(notes, "; ")+")")
			}
		}
	}
	if slices.ContainsFunc(known, func(s settings.Setting) bool { return s.Flag == "shape" }) {
		fmt.Fprintf(w, "\nShapes (--shape NAME stands for these settings; any setting given overrides them):\n")
		for _, p := range settings.Shapes {
			wrap(w, "  ", p.Name+": "+p.Producer)
			wrap(w, "      ", p.Flags())
		}
	}
}

// argName is the placeholder of a flag's value in help.
func argName(s settings.Setting) string {
	switch s.Value.Interface().(type) {
	case bool:
		return ""
	case []string:
		return "LIST"
	}
	switch s.Value.Kind() {
	case reflect.Int, reflect.Int64, reflect.Uint64:
		return "N"
	case reflect.Float64:
		return "X"
	}
	if s.Value.Type().String() == "time.Duration" {
		return "DURATION"
	}
	return "VALUE"
}

// wrap writes text as lines no wider than helpWidth, each starting with
// indent; a word wider than a line is cut.
func wrap(w io.Writer, indent, text string) {
	width := helpWidth - utf8.RuneCountInString(indent)
	lead := ""
	if t := strings.TrimLeft(text, " "); t != text {
		lead, text = text[:len(text)-len(t)], t
	}
	line := lead
	flush := func() {
		fmt.Fprintln(w, indent+strings.TrimRight(line, " "))
		line = ""
	}
	for _, word := range strings.Fields(text) {
		for utf8.RuneCountInString(word) > width {
			if line != "" && line != lead {
				flush()
			}
			r := []rune(word)
			line = string(r[:width])
			flush()
			word = string(r[width:])
		}
		switch n := utf8.RuneCountInString(line); {
		case line == "" || line == lead:
			line += word
		case n+1+utf8.RuneCountInString(word) > width:
			flush()
			line = word
		default:
			line += " " + word
		}
	}
	if line != "" {
		flush()
	}
}

// Usage is what logsmith prints of its commands: with no command, an
// unknown one, or help.
const Usage = `logsmith turns JSON-lines logs in object storage into time-windowed features.

Usage:
  logsmith peek     --input URL [--lines N] [flags]              show the input's first events as a run decodes them
  logsmith run      --input URL --output URL [--date D] [flags]   compute and commit features
  logsmith run      --shard i/n --run ID --date D [flags]        compute one shard's partial
  logsmith merge    --input URL --run ID --date D --output URL [flags]
                                                                 merge the shards and commit
  logsmith plan     --input URL --output URL --date D [--plan-budget 1h] [--plan-file F]
                                                                 size a sharded run: the shard count, as text or JSON
  logsmith backfill --input TEMPLATE --output URL --from D --to D [--parallel N] [--force]
  logsmith ls       --output URL                                 list committed partitions
  logsmith show     --output URL --date D                        print a partition's manifest
  logsmith show     --output URL --date D --chart|--hours        draw (or print) its events, error rate and p99 per hour
  logsmith report   --output URL --date D|--from D --to D > F    write an HTML page of what was committed
  logsmith files    --output URL [--from D] [--to D] [--window W] [--format F]
                                                                 print the committed data objects' URLs
  logsmith pin      --output URL --table-format iceberg          print the snapshot id holding every date
  logsmith gc       --output URL [--gc-grace 1h]                 delete files no commit needs
  logsmith migrate  --output URL [--date D]                      rewrite version 1 partitions (run=ID folders)
  logsmith table show --output URL                               print the output's tables and their shape
  logsmith table drop --output URL --window W                    remove a table, so the output may take another shape
  logsmith generate --output URL [flags]                         write synthetic logs
  logsmith config   [COMMAND] [flags]                            print the settings in force and their origin
  logsmith completion bash|zsh|fish                              print a shell completion script
  logsmith --version

Settings come from flags, LOGSMITH_* variables or a YAML file (--config FILE).
run, merge, backfill and gc take --dry-run: report what they would do, write nothing.
Run "logsmith help <command>" for its settings by purpose, defaults and examples.
`
