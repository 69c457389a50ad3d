package job

import (
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/table"
)

// OpenOutput returns the output of an output config. These commands only
// read or tidy an output: a missing local folder is an empty output, not
// one to create.
func OpenOutput(c *settings.OutputConfig) (table.Output, settings.Location, error) {
	loc, err := settings.ParseLocation(c.Output)
	if err != nil {
		return table.Output{}, loc, settings.SettingError(c, "Output", err)
	}
	open := OpenInput
	if c.DryRun {
		open = openDryRun // nothing is written, whatever the command
	}
	b, err := open(loc, c.S3, defaultPolicy)
	if err != nil {
		return table.Output{}, loc, err
	}
	return table.NewOutput(b, loc.Prefix), loc, nil
}
