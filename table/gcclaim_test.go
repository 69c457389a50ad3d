package table

import (
	"fmt"
	"testing"
	"time"
)

// GC's claim holds the manifest once, whatever the manifest holds: no more
// than the manifest indented one level deeper and a few hundred bytes, so
// GC can claim every manifest a commit may write (at most 2/5 of the
// bound).
func TestGCClaimSize(t *testing.T) {
	m := &Manifest{ManifestVersion: ManifestVersion, State: StateCommitted, Window: "5m", Date: "2025-11-08", RunID: "r",
		Config: map[string]string{}, BadByReason: map[string]int64{}}
	for i := range 500 {
		m.Inputs = append(m.Inputs, Input{URL: fmt.Sprintf("s3://b/%d", i), Size: 1, ETag: "e"})
		m.Damaged = append(m.Damaged, DamagedObject{URL: fmt.Sprintf("s3://b/%d", i), Reason: "truncated"})
		m.Warnings = append(m.Warnings, fmt.Sprintf("warning %d", i))
		m.Config[fmt.Sprint(i)] = "value"
		m.BadByReason[fmt.Sprint(i)] = 1
		m.Files = append(m.Files, File{Path: fmt.Sprint(i), SHA256: "x"})
	}
	claim := gcClaimOf(m, time.Now())
	if got, base := len(claim.Encode()), len(m.Encode()); got > base*5/4+1024 {
		t.Fatalf("gc claim of a %d-byte manifest is %d bytes", base, got)
	}
	if claim.Previous != m || claim.RunID != gcRunID || claim.State != StateClaimed {
		t.Fatalf("gc claim %+v", claim)
	}
}
