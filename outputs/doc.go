// Package outputs runs the commands on a committed output as a whole,
// outside any run: ls, show (its manifest, or --chart/--hours pictures),
// files, pin, report, gc, migrate and table show|drop, on the hive layout
// and on Iceberg tables, printing their text or JSON. It checks which of
// these commands takes which setting; it parses no flag (package cli
// does) and computes no features.
package outputs
