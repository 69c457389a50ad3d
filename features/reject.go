package features

// Reject is a sample of a skipped line, kept for inspection in the
// output's _rejects/ folder.
type Reject struct {
	Object string `json:"object"`
	Line   int64  `json:"line"`
	Reason string `json:"reason"`
	Raw    string `json:"raw"` // truncated to 1 KiB; empty for over-long lines
}
