package settings

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/logsmith/logsmith/features"
)

// ConfigSnapshot returns the run's settings with secrets removed, and the
// hash of the settings that shape the output: those of cfg.Shape(), with
// the schema version. A setting tagged hash:"unless-default" is hashed only
// away from its default: it was added after the hash was pinned, so the
// hash of a config that leaves it alone did not change, nor did
// --skip-committed recompute every date. Its default reads what runs read
// before it existed, or a date's input ledger shows the difference (a
// hidden object no longer read), which recomputes that date.
func ConfigSnapshot(cfg *Config) (map[string]string, string) {
	snap := map[string]string{}
	for _, s := range Settings(cfg) {
		if !s.Secret {
			snap[s.Env] = s.FormatValue()
		}
	}
	h := sha256.New()
	shape := cfg.Shape()
	for _, s := range Settings(&shape) {
		if s.HashUnlessDefault && s.AtDefault() {
			continue // added later; its default reads as runs did before
		}
		fmt.Fprintf(h, "%s=%q\n", s.Env, s.FormatValue())
	}
	fmt.Fprintf(h, "schema=%s\n", features.SchemaVersion)
	return snap, "sha256:" + hex.EncodeToString(h.Sum(nil))
}
