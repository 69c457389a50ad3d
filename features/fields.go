package features

// MaxGroupBy is the most group-by fields a spec may have: every configured
// field has a bit in Event.Present.
const MaxGroupBy = 64 - slotGroups

// FieldPresence is one configured field and the number of events in which
// it had a value.
type FieldPresence struct {
	// Role is the field's use: "level", "latency", "status", "bytes",
	// "distinct" or "group_by".
	Role string
	Path string // the dotted path, as configured
	// Events counts the aggregated events (see Counts.Aggregated: not those
	// out of range, which are never written) in which the field had a
	// value, neither missing nor null. A level counts whatever its
	// class, an unknown one included; a latency of only "-" entries
	// (nginx's "no upstream") is missing; a latency, status or bytes value
	// that cannot be read makes the line bad, so it is no event.
	Events int64
}

// Presence lists the configured fields of spec other than the timestamp
// (a line without one is not an event), in the order level, latency,
// status, bytes, distinct, then the group-by fields, with the events in
// which each had a value. c must come from lines decoded with spec. A field
// with Events == 0 while c.Aggregated() > 0 had no value in anything
// written: most likely a wrong name, or values only outside the range.
func (c *Counts) Presence(spec Spec) []FieldPresence {
	f := spec.Fields
	var out []FieldPresence
	add := func(slot int, role, path string) {
		if path != "" && slot < len(c.Present) {
			out = append(out, FieldPresence{Role: role, Path: path, Events: c.Present[slot]})
		}
	}
	add(slotLevel, "level", f.Level)
	add(slotLatency, "latency", f.Latency)
	add(slotStatus, "status", f.Status)
	add(slotBytes, "bytes", f.Bytes)
	add(slotDistinct, "distinct", f.Distinct)
	for i, g := range spec.GroupBy {
		add(slotGroups+i, "group_by", g)
	}
	return out
}
