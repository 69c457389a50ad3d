package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/logsmith/logsmith/job/settings"
)

// ConfigOf returns a fresh config of a command, or nil for a command
// without settings.
func ConfigOf(cmd string) any {
	switch cmd {
	case "run", "merge":
		return new(settings.Config)
	case "backfill":
		return new(settings.BackfillConfig)
	case "plan":
		return new(settings.PlanConfig)
	case "peek":
		return new(settings.PeekConfig)
	case "generate":
		return new(settings.GenerateConfig)
	case "ls", "show", "files", "pin", "gc", "migrate", "report":
		return new(settings.OutputConfig)
	}
	return nil
}

// SettingCommands are the commands with settings, in the order help lists
// them.
var SettingCommands = []string{"peek", "run", "merge", "backfill", "plan", "ls", "show", "files", "pin", "gc", "migrate", "report", "generate"}

// effective is one line of logsmith config.
type effective struct {
	Key   string `json:"key"`
	Env   string `json:"env"`
	Value string `json:"value"`
	Origin
}

// PrintConfig prints the settings a command would run with and the layer
// each came from: logsmith config [COMMAND] [flags].
func PrintConfig(args []string, env map[string]string, stdout io.Writer) error {
	cmd := "run"
	if len(args) > 0 && ConfigOf(args[0]) != nil {
		cmd, args = args[0], args[1:]
	}
	cfg := ConfigOf(cmd)
	origins, err := ParseLayers(cfg, "config "+cmd, args, env, stdout)
	if err != nil {
		return err
	}
	var lines []effective
	asJSON := false
	for _, s := range settings.Settings(cfg) {
		if s.Env == settings.EnvPrefix+"JSON" {
			asJSON = s.Value.Bool()
		}
		lines = append(lines, effective{Key: s.Key(), Env: s.Env, Value: s.FormatValue(), Origin: origins[s.Env]})
	}
	if asJSON {
		return json.NewEncoder(stdout).Encode(lines)
	}
	fmt.Fprintf(stdout, "Settings of logsmith %s, and where each value came from\n(flag > environment > config file > shape > default):\n\n", cmd)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tVALUE\tFROM")
	for _, l := range lines {
		from := l.Layer
		if l.Detail != "" {
			from += " " + l.Detail
		}
		v := l.Value
		if v == "" {
			v = `""`
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", l.Key, v, from)
	}
	return tw.Flush()
}
