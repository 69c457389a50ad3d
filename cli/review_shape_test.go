package cli

import (
	"io"
	"testing"

	"github.com/logsmith/logsmith/job/settings"
)

// Review of issue 22: --shape applies its preset wherever it stands among
// the flags. shapeFlag stops at the first argument that does not start
// with "-", which is the value of any flag written "--flag value", so
// `logsmith run --input DIR --shape gcp` records shape=gcp in the config
// (and its hash) but reads with the default fields: level "level" (GCP
// writes "severity"), no latency, no status. GCP entries then all count
// as non-errors and the run exits 0 with a warning at most.
func TestReviewShapeFlagAfterValuedFlag(t *testing.T) {
	for _, args := range [][]string{
		{"--shape", "gcp", "--input", "in"},
		{"--input", "in", "--shape", "gcp"},
		{"--input", "in", "--output", "out", "--shape=gcp"},
	} {
		var cfg settings.Config
		if err := Parse(&cfg, "run", args, map[string]string{}, io.Discard); err != nil {
			t.Fatalf("%q: %v", args, err)
		}
		if cfg.DecodeSettings.Shape != "gcp" || cfg.LevelField != "severity" || cfg.LatencyField != "httpRequest.latency" ||
			cfg.StatusField != "httpRequest.status" {
			t.Errorf("%q: shape %q but level %q, latency %q, status %q; want the gcp preset's severity, httpRequest.latency, httpRequest.status",
				args, cfg.DecodeSettings.Shape, cfg.LevelField, cfg.LatencyField, cfg.StatusField)
		}
	}
}
