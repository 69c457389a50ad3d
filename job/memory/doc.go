// Package memory owns the memory a run is expected to need and the limit
// it has: the model at the caps (panes × groups), the model from a sample
// of the input's events (Sample, FromData), and the limit the process
// sees (GOMEMLIMIT and the cgroup's). See docs/performance.md, "Memory".
//
// It does not read settings, list or read input, or refuse a run: package
// job turns a config into a Run, samples the input and makes the check.
package memory
