// Package peek is what logsmith peek makes of a sample of the input: each
// record as the run's decoder reads it, how often each configured field
// has a value, the keys seen nearest a field that never has one, and how
// well each log shape's settings decode the sample (the report's types
// and the analysis).
//
// It does not list or read the input (job.Peek hands it the heads of the
// objects a run would list), nor write anything.
package peek
