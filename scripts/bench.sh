#!/usr/bin/env bash
# Benchmarks logsmith end to end against the floors measured in the same run.
#
#   scripts/bench.sh [--write]     --write also rewrites docs/benchmarks.md
#
# Generates the data once (seeded; ~1 GB uncompressed as plain, gzip and
# zstd, 32 objects of one day) into $LOGSMITH_BENCH_DIR (default
# ~/.cache/logsmith/bench) and into a throwaway MinIO, then measures, RUNS
# times each (default 5), and prints medians:
#   - floors: reading the plain files, decompressing the gzip and zstd files
#     through features.Decompressor (scripts/benchfloor, 2 files in flight),
#     gzip with the pure-Go and with the ISA-L inflater;
#   - the peer: DuckDB computing the same 5-minute table (scripts/duckpeer,
#     read_ndjson, 2 threads) from each kind, counting its rows (DuckDB then
#     drops the aggregates the count does not read: the targets' peer) and
#     writing them to a zstd Parquet file as logsmith does (duckdb-*-write);
#   - logsmith run on each kind with 1 and 2 workers (wall time, CPU seconds
#     and peak RSS from /usr/bin/time), gzip also with the ISA-L build
#     (INFLATER=isal, the image's), and from MinIO with 2 workers (gzip
#     also with --read-ahead 0; BENCH_MINIO=0 skips these);
#   - peak RSS for a 4x larger input when LOGSMITH_BENCH_4X=1.
# The ISA-L build needs libisal-dev (apt-get install libisal-dev).
# Throughput is uncompressed bytes per wall second. Shared machines are
# noisy: compare ratios measured in the same run, not absolute numbers.
set -euo pipefail
cd "$(dirname "$0")/.."
WRITE=${1:-}
RUNS=${RUNS:-5}
LINES=${LINES:-112000}
DATA=${LOGSMITH_BENCH_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/logsmith/bench}
BIN=$(mktemp -d)
RES=$(mktemp -d)
export LOGSMITH_MINIO_STATE=$RES/minio
export LOGSMITH_MINIO_PORT=${LOGSMITH_MINIO_PORT:-9133}
trap 'scripts/minio.sh stop >/dev/null 2>&1 || true; rm -rf "$BIN"' EXIT

MINIO=${BENCH_MINIO:-1}
scripts/build.sh "$BIN/logsmith" >&2
INFLATER=isal scripts/build.sh "$BIN/logsmith-isal" >&2
go build -o "$BIN/benchfloor" ./scripts/benchfloor
go build -tags isal -o "$BIN/benchfloor-isal" ./scripts/benchfloor
go build -o "$BIN/duckpeer" ./scripts/duckpeer
L=$BIN/logsmith
LI=$BIN/logsmith-isal

gen() { # kind flag
	local dir=$DATA/$1-$LINES
	if [[ ! -f $dir/.done ]]; then
		echo "bench: generating $1 data in $dir (once)" >&2
		rm -rf "$dir"
		$L generate --output "$dir" --objects 32 --lines "$LINES" --seed 42 --start 2025-11-08T00:00:00Z $2 >&2
		touch "$dir/.done"
	fi
}
gen plain ""
gen gzip --gzip
gen zstd --zstd

if [[ $MINIO == 1 ]]; then
	minio_env=$(scripts/minio.sh start) || { echo "MinIO did not start" >&2; exit 1; }
	eval "$minio_env"
	for k in plain gzip; do
		flag=""; [[ $k == gzip ]] && flag=--gzip
		$L generate --output "s3://bench/$k" --objects 32 --lines "$LINES" --seed 42 --start 2025-11-08T00:00:00Z $flag >/dev/null
	done
fi
bytes=$(du -sb --apparent-size "$DATA/plain-$LINES" --exclude=.done | cut -f1)
echo "bench: $bytes bytes uncompressed per run; $RUNS runs each" >&2

# measure NAME CMD...: appends "wall user sys rss_kb" to $RES/NAME
measure() {
	local name=$1; shift
	sync
	/usr/bin/time -f "%e %U %S %M" -o "$RES/t" "$@" >/dev/null 2>"$RES/err" || { cat "$RES/err" >&2; exit 1; }
	cat "$RES/t" >>"$RES/$name"
}
floor() { # NAME MODE DIR [BUILD]: appends "wall user sys rss" using the tool's own clock for wall
	local out
	out=$(/usr/bin/time -f "%U %S %M" -o "$RES/t" "$BIN/benchfloor${4:-}" --mode "$2" --dir "$3" --workers 2)
	echo "$(cut -d' ' -f2 <<<"$out") $(cat "$RES/t")" >>"$RES/$1"
}
runjob() { # NAME WORKERS INPUT [FLAGS...]; BINARY=path overrides the binary
	local name=$1 w=$2 in=$3
	shift 3
	measure "$name" "${BINARY:-$L}" run --input "$in" --output "$RES/out-$name" --date 2025-11-08 --workers "$w" \
		--log-level error --quiet --gc-grace 0s "$@"
}

for r in $(seq 1 "$RUNS"); do
	echo "bench: run $r of $RUNS" >&2
	floor floor-read read "$DATA/plain-$LINES"
	floor floor-gzip decompress "$DATA/gzip-$LINES"
	floor floor-gzip-isal decompress "$DATA/gzip-$LINES" -isal
	floor floor-zstd decompress "$DATA/zstd-$LINES"
	for k in plain gzip zstd; do
		measure "duckdb-$k" "$BIN/duckpeer" --threads 2 --glob "$DATA/$k-$LINES/**/*.jsonl*"
		measure "duckdb-$k-write" "$BIN/duckpeer" --threads 2 --glob "$DATA/$k-$LINES/**/*.jsonl*" --out "$RES/peer.parquet"
		for w in 1 2; do
			runjob "run-$k-w$w" "$w" "$DATA/$k-$LINES/{yyyy}/{mm}/{dd}/"
		done
	done
	for w in 1 2; do
		BINARY=$LI runjob "run-gzip-isal-w$w" "$w" "$DATA/gzip-$LINES/{yyyy}/{mm}/{dd}/"
	done
	if [[ $MINIO == 1 ]]; then
		runjob run-minio-plain-w2 2 "s3://bench/plain/{yyyy}/{mm}/{dd}/"
		runjob run-minio-gzip-w2 2 "s3://bench/gzip/{yyyy}/{mm}/{dd}/"
		runjob run-minio-gzip-w2-ra0 2 "s3://bench/gzip/{yyyy}/{mm}/{dd}/" --read-ahead 0
	fi
done

if [[ ${LOGSMITH_BENCH_4X:-} == 1 ]]; then
	gen plain4x "--days 4"
	echo "bench: 4x input, peak RSS" >&2
	measure run-plain4x-w2 "$L" run --input "$DATA/plain4x-$LINES" --output "$RES/out-4x" --workers 2 \
		--log-level error --quiet --window 5m
fi

# median of column COL (1 wall, 2 user, 3 sys, 4 rss) of NAME
median() { cut -d' ' -f"$2" "$RES/$1" | sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
mbs() { awk -v b="$bytes" -v s="$(median "$1" 1)" 'BEGIN {printf "%.0f", b/1e6/s}'; }
cpu() { awk -v b="$bytes" -v u="$(median "$1" 2)" -v s="$(median "$1" 3)" 'BEGIN {printf "%.2f", (u+s)/(b/1e9)}'; }
rss() { awk -v k="$(median "$1" 4)" 'BEGIN {printf "%.0f", k/1024}'; }
ratio() { awk -v a="$(mbs "$1")" -v b="$(mbs "$2")" 'BEGIN {printf "%.2f", a/b}'; }
# walls A B: A's median wall time over B's (below 1: A is faster)
walls() { awk -v a="$(median "$1" 1)" -v b="$(median "$2" 1)" 'BEGIN {printf "%.2f", a/b}'; }

{
	echo "| measurement | MB/s (median of $RUNS) | CPU s per GB | peak RSS MiB |"
	echo "| --- | ---: | ---: | ---: |"
	for n in floor-read floor-gzip floor-gzip-isal floor-zstd duckdb-plain duckdb-gzip duckdb-zstd duckdb-plain-write duckdb-gzip-write duckdb-zstd-write run-plain-w1 run-plain-w2 run-gzip-w1 run-gzip-w2 run-gzip-isal-w1 run-gzip-isal-w2 run-zstd-w1 run-zstd-w2 run-minio-plain-w2 run-minio-gzip-w2 run-minio-gzip-w2-ra0; do
		[[ -f $RES/$n ]] && echo "| $n | $(mbs $n) | $(cpu $n) | $(rss $n) |"
	done
	[[ -f $RES/run-plain4x-w2 ]] && echo "| run-plain4x-w2 (4x input, 1 run) | $(awk -v b="$((bytes * 4))" -v s="$(median run-plain4x-w2 1)" 'BEGIN {printf "%.0f", b/1e6/s}') | | $(rss run-plain4x-w2) |"
	echo
	echo "| ratio | value | target |"
	echo "| --- | ---: | --- |"
	echo "| plain: logsmith wall / DuckDB wall (2 workers, 2 threads) | $(walls run-plain-w2 duckdb-plain) | ≤ 0.30 |"
	echo "| gzip, ISA-L build: logsmith wall / DuckDB wall | $(walls run-gzip-isal-w2 duckdb-gzip) | ≤ 0.40 |"
	echo "| plain: logsmith wall / DuckDB writing its Parquet wall | $(walls run-plain-w2 duckdb-plain-write) | (the peer doing all the work) |"
	echo "| gzip, ISA-L build: logsmith wall / DuckDB writing its Parquet wall | $(walls run-gzip-isal-w2 duckdb-gzip-write) | (the peer doing all the work) |"
	echo "| gzip, pure-Go build: logsmith wall / DuckDB wall | $(walls run-gzip-w2 duckdb-gzip) | (cost figure) |"
	echo "| zstd: logsmith wall / DuckDB wall | $(walls run-zstd-w2 duckdb-zstd) | (cost figure) |"
	echo "| gzip, ISA-L build: end-to-end / ISA-L decompress floor (2 workers) | $(ratio run-gzip-isal-w2 floor-gzip-isal) | ≥ 0.75 |"
	echo "| gzip, pure-Go build: end-to-end / Go decompress floor (2 workers) | $(ratio run-gzip-w2 floor-gzip) | ≥ 0.75 |"
	echo "| zstd end-to-end / zstd decompress floor (2 workers) | $(ratio run-zstd-w2 floor-zstd) | ≥ 0.6 |"
	echo "| ISA-L floor / Go floor (gzip decompress only) | $(ratio floor-gzip-isal floor-gzip) | (inflater's gain) |"
	echo "| zstd end-to-end / gzip end-to-end (2 workers, pure Go) | $(ratio run-zstd-w2 run-gzip-w2) | > 1 |"
	echo "| plain end-to-end / read floor (2 workers) | $(ratio run-plain-w2 floor-read) | (parsing is the floor) |"
	echo "| plain: 2 workers / 1 worker | $(ratio run-plain-w2 run-plain-w1) | ≥ 1.8 |"
	echo "| gzip: 2 workers / 1 worker | $(ratio run-gzip-w2 run-gzip-w1) | ≥ 1.8 |"
	echo "| gzip, ISA-L build: 2 workers / 1 worker | $(ratio run-gzip-isal-w2 run-gzip-isal-w1) | ≥ 1.8 |"
	if [[ $MINIO == 1 ]]; then
		echo "| MinIO gzip / local gzip (2 workers) | $(ratio run-minio-gzip-w2 run-gzip-w2) | > 0.7 |"
		echo "| MinIO plain / local plain (2 workers) | $(ratio run-minio-plain-w2 run-plain-w2) | (cost figure) |"
		echo "| MinIO gzip: read-ahead on / off (2 workers) | $(ratio run-minio-gzip-w2 run-minio-gzip-w2-ra0) | (read-ahead's effect) |"
	fi
} | tee "$RES/table.md"

if [[ $WRITE == --write ]]; then
	{
		echo "# Benchmarks"
		echo
		echo "Reproduce with \`scripts/bench.sh --write\` (add \`LOGSMITH_BENCH_4X=1\` for the 4x memory check)."
		echo "Input: 32 objects, one day, ~$((bytes / 1000000)) MB uncompressed of \`logsmith generate --seed 42\` lines (~290 bytes),"
		echo "in the page cache; output Parquet, one 5-minute table. MB/s are uncompressed bytes per wall second."
		echo "The peer is DuckDB (duckdb-go v2.10506.0, \`scripts/duckpeer\`: \`read_ndjson\` of the three fields, \`time_bucket\`"
		echo "by 5 minutes, count, errors, latency avg/min/max/stddev and \`approx_quantile\` p50/p90/p95/p99, 2 threads)."
		echo "Counting the rows lets DuckDB's optimizer drop every aggregate but the count (EXPLAIN ANALYZE: \`count_star()\` alone):"
		echo "the \`duckdb-*-write\` rows are the peer writing its rows to a zstd Parquet file (\`--out\`), every column computed."
		echo
		echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(go version | cut -d' ' -f3), $(date -u +%Y-%m-%d)."
		echo
		cat "$RES/table.md"
		# Keep the hand-written analysis that follows the tables.
		if [[ -f docs/benchmarks.md ]]; then
			echo
			sed -n '/^## Against the targets/,$p' docs/benchmarks.md
		fi
	} >docs/benchmarks.md.new
	mv docs/benchmarks.md.new docs/benchmarks.md
	echo "bench: wrote docs/benchmarks.md" >&2
fi
