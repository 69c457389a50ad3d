// Command benchfloor measures the floors logsmith's throughput is compared
// with in scripts/bench.sh: reading a folder's files (read) and reading plus
// decompressing them through features.Decompressor (decompress), with a
// number of files in flight at once. Built with -tags isal, its gzip floor is
// ISA-L's. It prints uncompressed bytes, seconds and the build's inflater;
// it is a benchmark tool only.
package main
