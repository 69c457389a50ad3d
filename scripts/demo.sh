#!/usr/bin/env bash
# Demo on the embedded default, a local folder: generates a day of sample
# logs, runs the job, and prints the first rows of the feature table.
set -euo pipefail
cd "$(dirname "$0")/.."

DIR=${1:-./demo}
go build -o bin/logsmith ./cmd/logsmith
rm -rf "$DIR"
bin/logsmith generate --output "$DIR/logs" --objects 8 --lines 20000 --gzip --start 2025-11-08T00:00:00Z
bin/logsmith run --input "$DIR/logs" --output "$DIR/features" --format parquet,csv
echo
echo "First rows of $DIR/features/date=2025-11-08/part-00000.csv:"
head -n 6 "$DIR/features/date=2025-11-08/part-00000.csv"
echo
echo "Feature files:"
find "$DIR/features" -type f | sort
