package features

import (
	"fmt"
)

// Reason says why a line was skipped.
type Reason uint8

// Reasons a line is skipped. ReasonNone means the line was decoded.
const (
	ReasonNone Reason = iota
	ReasonNotJSON
	ReasonMissingTimestamp
	ReasonBadTimestamp
	ReasonBadLatency
	ReasonLineTooLong
	ReasonBadStatus
	ReasonBadBytes
	ReasonBadDimension
	ReasonBadDistinct
	// ReasonBadShape: the record does not have the shape the pipeline
	// reads (a prefix that does not match, an array to explode that is
	// missing, a field to unwrap that is not a string or an object).
	ReasonBadShape
	// ReasonFiltered: a keep step left the record out on purpose (a
	// CloudWatch control message). It is counted, but not as bad input.
	ReasonFiltered
	// ReasonPartialLine: the object ends inside a line a join step was
	// joining (its last part is at the head of the next object, after a
	// rotation, or was never written). The line is counted where it ends,
	// if anywhere; this part is reported, but not as a line or a bad one.
	ReasonPartialLine
	numReasons
)

var reasonNames = [numReasons]string{
	ReasonNone:             "none",
	ReasonNotJSON:          "not_json",
	ReasonMissingTimestamp: "missing_timestamp",
	ReasonBadTimestamp:     "bad_timestamp",
	ReasonBadLatency:       "bad_latency",
	ReasonLineTooLong:      "line_too_long",
	ReasonBadStatus:        "bad_status",
	ReasonBadBytes:         "bad_bytes",
	ReasonBadDimension:     "bad_dimension",
	ReasonBadDistinct:      "bad_distinct",
	ReasonBadShape:         "bad_shape",
	ReasonFiltered:         "filtered",
	ReasonPartialLine:      "partial_line",
}

// String returns the reason's name as used in summaries and manifests.
func (r Reason) String() string {
	if r < numReasons {
		return reasonNames[r]
	}
	return fmt.Sprintf("reason(%d)", r)
}

// Bad reports whether a line skipped for r counts as bad input: every
// reason but ReasonFiltered (left out on purpose) and ReasonPartialLine
// (the part of a line whose end is in another object).
func (r Reason) Bad() bool {
	return r != ReasonNone && r != ReasonFiltered && r != ReasonPartialLine
}

// Reasons lists every reason a line can be skipped for, in a stable order.
func Reasons() []Reason {
	rs := make([]Reason, 0, numReasons-1)
	for r := ReasonNone + 1; r < numReasons; r++ {
		rs = append(rs, r)
	}
	return rs
}
