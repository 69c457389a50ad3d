// Command benchfloor measures the floors logsmith's throughput is compared
// with in scripts/bench.sh: reading a folder's files (read) and reading plus
// decompressing them (decompress), with a number of files in flight at once.
// It prints uncompressed bytes and seconds; it is a benchmark tool only.
package main
