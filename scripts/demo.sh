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
part="$DIR/features/date=2025-11-08"
csv=$(sed -n 's/.*"path": "\(run=[^"]*\.csv\)".*/\1/p' "$part/_manifest.json")
echo
echo "First rows of the committed table ($part/$csv):"
head -n 6 "$part/$csv"
echo
echo "Files (the manifest commits the partition; see README 'Reading only committed data'):"
find "$DIR/features" -type f | sort
