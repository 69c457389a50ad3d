#!/usr/bin/env bash
# Demo on the embedded default, a local folder: generates a day of sample
# logs, runs the job for that day, and prints the first rows of the
# committed feature table and where its files are.
set -euo pipefail
cd "$(dirname "$0")/.."

DIR=${1:-./demo}
go build -o bin/logsmith ./cmd/logsmith
rm -rf "$DIR"
bin/logsmith generate --output "$DIR/logs" --objects 8 --lines 20000 --gzip --start 2025-11-08T00:00:00Z
bin/logsmith run --input "$DIR/logs/{yyyy}/{mm}/{dd}/" --date 2025-11-08 --output "$DIR/features" --format parquet,csv
echo
bin/logsmith ls --output "$DIR/features"
# The committed data objects, as a reader that wants an exact list gets them.
csv=$(bin/logsmith files --output "$DIR/features" --format csv | head -n 1)
csv=${csv#file://}
echo
echo "First rows of the committed table ($csv):"
head -n 6 "$csv"
echo
echo "Files (one object per date and format, replaced whole by each rerun; see docs/output.md 'Reading the output'):"
find "$DIR/features" -type f | sort
