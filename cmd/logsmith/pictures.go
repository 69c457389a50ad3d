package main

import (
	"context"
	"fmt"
	"time"

	"github.com/logsmith/logsmith/job"
	"github.com/logsmith/logsmith/report"
	"github.com/logsmith/logsmith/table"
)

// writeRunReport writes --report: the HTML page of the partitions the run
// committed. The commits stand whatever happens here.
func writeRunReport(ctx context.Context, cfg *job.Config, sum *job.Summary) error {
	// The output and its S3 settings as the run resolved them.
	res, err := cfg.Resolve(time.Now())
	var out table.Output
	if err == nil {
		out, _, err = job.OpenOutput(&job.OutputConfig{Output: res.Output.String(), S3: res.S3})
	}
	var tables []table.Table
	if err == nil {
		tables, err = out.Tables(ctx)
	}
	var parts []*report.Partition
	if err == nil {
		parts, err = report.ReadRun(ctx, tables, sum.RunID, sum.Partitions, cfg.CommitLease)
	}
	if err != nil {
		return job.StorageError(fmt.Errorf("write report %s (the run's commits stand): %w", cfg.Report, err))
	}
	if err := report.WriteHTMLFile(cfg.Report, fmt.Sprintf("logsmith run %s: %s", sum.RunID, sum.Output), parts); err != nil {
		return fmt.Errorf("write report %s (the run's commits stand): %w", cfg.Report, err)
	}
	return nil
}
