#!/usr/bin/env bash
# Scale curves (issue 17): how run time and peak RSS grow with the number of
# objects, of groups, of shards, and with one large object against several.
#
#   scripts/scalebench.sh [a] [b] [c] [d] [e]    default: a to d
#
#   (a) many small objects: N objects of 10 lines (~2.6 KB each) on MinIO,
#       N in $SMALL (default "1000 10000"; writing them through a MinIO on
#       this shared machine runs at 8-27 objects/s, so 50,000 would take
#       30-100 minutes), 2 workers, read-ahead on and off, and 8 workers;
#       and as local files, N in $SMALL_LOCAL (default "1000 10000 50000");
#   (b) many groups: --group-by with ~10, 1,000 and 10,000 groups per window
#       (path; user_id capped by --max-groups 1000; client_ip capped by the
#       default 10,000), --sparse, on 4 of the benchmark's objects (3 hours,
#       36 windows of ~12,400 lines: the full day at 10,000 groups would
#       need ~11 GiB), and the full day dense and sparse at 1,000;
#   (c) sharding: 2, 16 and 64 shards over the benchmark's 32 objects
#       (--group-by path), then the merge, timed alone;
#   (d) one ~1.9 GB object (read as byte ranges, --split-bytes default, and
#       whole, --split-bytes 0) against 8 objects of ~237 MB;
#   (e) per-entity features against DuckDB (issue 27): one day of 32 objects
#       of 80,000 lines (~0.8 GB, 2.56 M lines) with entity fields of 10,
#       1,000, 10,000 and 100,000 uniform values (scripts/entitygen), each
#       --group-by'd over 5-minute windows, --sparse, 2 workers, beside
#       scripts/duckpeer --group-by computing the same columns with exact
#       quantiles in 2 threads, twice: writing them to a zstd Parquet file
#       as logsmith does (--out; the peer the ratios are taken against) and
#       only counting them (which lets DuckDB drop every aggregate but the
#       count: a lower bound, shown beside); 100,000 groups again with zstd
#       level 1 on both sides (--parquet-compression zstd-fastest, DuckDB's
#       COMPRESSION_LEVEL 1); also ungrouped, 1-minute windows at 1,000
#       groups, and the 1,000 groups from objects that each span the day
#       (lines dealt round-robin). Set SCALEBENCH_LOGSMITH to measure another
#       build (e.g. the branch point) on the same files.
#   (f) memory that holds (issue 27 items 2, 4, 5), on (e)'s kind of input
#       with $F_LINES lines per object (default 80000, as (e)) and 32 objects
#       a day: an undated run of e1k over 1, 7 and 14 days (--sparse, no
#       limit, where the aggregate spills past 1 GiB, and under
#       GOMEMLIMIT=$F_LIMIT, default 1GiB); the merge of 2, 4 and 8 shards
#       of one day at e10k; and one day at e10k under GOMEMLIMIT=$F_LIMIT
#       against no limit (wall, peak RSS, and whether it spilled).
#
# Each measurement runs RUNS times (default 3); medians are printed as
# Markdown tables. Data is generated once under $LOGSMITH_BENCH_DIR (default
# ~/.cache/logsmith/bench) and, for (a), into a MinIO at $LOGSMITH_MINIO_STATE
# (default $LOGSMITH_BENCH_DIR/scale-minio). A MinIO already running there is
# used and left running, with the objects it holds (writing 50,000 objects
# through it takes ~30 minutes here); one this script starts is stopped at
# the end, which deletes its data, unless LOGSMITH_SCALE_KEEP_MINIO=1.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
SMALL=${SMALL:-1000 10000}
SMALL_LOCAL=${SMALL_LOCAL:-1000 10000 50000}
DATA=${LOGSMITH_BENCH_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/logsmith/bench}
PARTS=${*:-a b c d}
F_LINES=${F_LINES:-80000}
F_LIMIT=${F_LIMIT:-1GiB}
E_POINTS=${E_POINTS:-e10 e1k e10k e100k}
BIN=$(mktemp -d)
RES=$(mktemp -d)
export LOGSMITH_MINIO_STATE=${LOGSMITH_MINIO_STATE:-$DATA/scale-minio}
export LOGSMITH_MINIO_PORT=${LOGSMITH_MINIO_PORT:-9136}
started_minio=""
trap '[[ -n $started_minio ]] && scripts/minio.sh stop >/dev/null 2>&1; rm -rf "$BIN" "$RES"' EXIT
scripts/build.sh "$BIN/logsmith" >&2
L=${SCALEBENCH_LOGSMITH:-$BIN/logsmith}
START=2025-11-08T00:00:00Z
DATE=2025-11-08

# measure NAME CMD...: appends "wall user sys rss_kb" to $RES/NAME
measure() {
	local name=$1; shift
	/usr/bin/time -f "%e %U %S %M" -o "$RES/t" "$@" >/dev/null 2>"$RES/err" || { cat "$RES/err" >&2; return 1; }
	cat "$RES/t" >>"$RES/$name"
}
median() { cut -d' ' -f"$2" "$RES/$1" | sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
wall() { median "$1" 1; }
cpu() { awk -v u="$(median "$1" 2)" -v s="$(median "$1" 3)" 'BEGIN {printf "%.2f", u+s}'; }
rss() { awk -v k="$(median "$1" 4)" 'BEGIN {printf "%.0f", k/1024}'; }
bytes_of() { du -sb --apparent-size "$1" | cut -f1; }
run() { # NAME INPUT OUTPUT [FLAGS...]
	local name=$1 in=$2 out=$3
	shift 3
	rm -rf "$out"
	measure "$name" "$L" run --input "$in" --output "$out" --date "$DATE" --log-level error --quiet --gc-grace 0s "$@"
}
gen() { # DIR FLAGS...: generate once
	local dir=$1; shift
	if [[ ! -f $dir/.done ]]; then
		echo "scalebench: generating $dir (once)" >&2
		rm -rf "$dir"
		"$L" generate --output "$dir" --seed 42 --start "$START" "$@" >/dev/null
		touch "$dir/.done"
	fi
}

gen "$DATA/plain-112000" --objects 32 --lines 112000
bench=$DATA/plain-112000/2025/11/08

if [[ $PARTS == *a* ]]; then
	if ! { [[ -f $LOGSMITH_MINIO_STATE/pid ]] && kill -0 "$(cat "$LOGSMITH_MINIO_STATE/pid")" 2>/dev/null; }; then
		[[ ${LOGSMITH_SCALE_KEEP_MINIO:-} == 1 ]] || started_minio=1
	fi
	eval "$(scripts/minio.sh start)"
	for n in $SMALL; do
		if [[ ! -f $LOGSMITH_MINIO_STATE/small-$n.done ]]; then
			echo "scalebench: writing $n small objects to MinIO (once)" >&2
			"$L" generate --output "s3://small/n$n" --objects "$n" --lines 10 --seed 3 --start "$START" --workers 8 >/dev/null
			touch "$LOGSMITH_MINIO_STATE/small-$n.done"
		fi
	done
	for n in $SMALL_LOCAL; do
		gen "$DATA/small-$n" --objects "$n" --lines 10 --workers 8
	done
	for r in $(seq "$RUNS"); do
		echo "scalebench: (a) run $r of $RUNS" >&2
		for n in $SMALL_LOCAL; do
			run "a-local-$n-w2" "$DATA/small-$n/{yyyy}/{mm}/{dd}/" "$RES/out" --workers 2
		done
		for n in $SMALL; do
			in="s3://small/n$n/{yyyy}/{mm}/{dd}/"
			run "a-$n-w2" "$in" "$RES/out" --workers 2
			run "a-$n-w2-ra0" "$in" "$RES/out" --workers 2 --read-ahead 0
			run "a-$n-w8" "$in" "$RES/out" --workers 8
		done
	done
	{
		echo "| objects | 2 workers: s | objects/s | ms per object | CPU s | peak RSS MiB | read-ahead off: s | 8 workers: s | 8 workers: peak RSS MiB |"
		echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
		for n in $SMALL; do
			w=$(wall "a-$n-w2")
			echo "| $n | $w | $(awk -v n="$n" -v w="$w" 'BEGIN {printf "%.0f", n/w}') | $(awk -v n="$n" -v w="$w" 'BEGIN {printf "%.2f", w*1000/n}') | $(cpu "a-$n-w2") | $(rss "a-$n-w2") | $(wall "a-$n-w2-ra0") | $(wall "a-$n-w8") | $(rss "a-$n-w8") |"
		done
		echo
		echo "| local objects | 2 workers: s | objects/s | ms per object | CPU s | peak RSS MiB |"
		echo "| ---: | ---: | ---: | ---: | ---: | ---: |"
		for n in $SMALL_LOCAL; do
			w=$(wall "a-local-$n-w2")
			echo "| $n | $w | $(awk -v n="$n" -v w="$w" 'BEGIN {printf "%.0f", n/w}') | $(awk -v n="$n" -v w="$w" 'BEGIN {printf "%.2f", w*1000/n}') | $(cpu "a-local-$n-w2") | $(rss "a-local-$n-w2") |"
		done
	} | tee "$RES/a.md"
	echo
fi

if [[ $PARTS == *b* ]]; then
	four=$DATA/scale-four/2025/11/08
	if [[ ! -d $four ]]; then
		mkdir -p "$four"
		for i in 0 1 2 3; do ln "$bench/app-0000$i.jsonl" "$four/"; done
	fi
	fourb=$(bytes_of "$four")
	dayb=$(bytes_of "$bench")
	for r in $(seq "$RUNS"); do
		echo "scalebench: (b) run $r of $RUNS" >&2
		run b-none "$four/" "$RES/out" --workers 2 --sparse
		run b-10 "$four/" "$RES/out" --workers 2 --sparse --group-by path
		run b-1k "$four/" "$RES/out" --workers 2 --sparse --group-by user_id --max-groups 1000
		run b-10k "$four/" "$RES/out" --workers 2 --sparse --group-by client_ip --memory-check=false
	done
	run b-day-1k-sparse "$bench/" "$RES/out" --workers 2 --sparse --group-by user_id --max-groups 1000 --memory-check=false
	run b-day-1k-dense "$bench/" "$RES/out" --workers 2 --group-by user_id --max-groups 1000 --memory-check=false
	{
		echo "| groups per window | input | wall s | CPU s per GB | peak RSS MiB | budget (panes × groups × 4 KiB) MiB |"
		echo "| --- | --- | ---: | ---: | ---: | ---: |"
		for x in "none 1 b-none" "~10 (path) 10 b-10" "1,000 (user_id, --max-groups 1000) 1000 b-1k" "10,000 (client_ip) 10000 b-10k"; do
			set -- $x
			name=${*: -1}; g=${*: -2:1}; label=${x% * *}
			echo "| $label | 3 h, 36 windows, sparse | $(wall "$name") | $(awk -v b="$fourb" -v c="$(cpu "$name")" 'BEGIN {printf "%.2f", c/(b/1e9)}') | $(rss "$name") | $(awk -v g="$g" 'BEGIN {printf "%.0f", 36*g*4/1024}') |"
		done
		for m in sparse dense; do
			echo "| 1,000 (user_id, --max-groups 1000) | day, 288 windows, $m, 1 run | $(wall "b-day-1k-$m") | $(awk -v b="$dayb" -v c="$(cpu "b-day-1k-$m")" 'BEGIN {printf "%.2f", c/(b/1e9)}') | $(rss "b-day-1k-$m") | $(awk 'BEGIN {printf "%.0f", 288*1000*4/1024}') |"
		done
	} | tee "$RES/b.md"
	echo
fi

if [[ $PARTS == *c* ]]; then
	for r in $(seq "$RUNS"); do
		echo "scalebench: (c) run $r of $RUNS" >&2
		for n in 2 16 64; do
			out=$RES/shards-$n
			rm -rf "$out"
			s=$(date +%s.%N)
			for i in $(seq 0 $((n - 1))); do
				measure "c-$n-shard" "$L" run --shard "$i/$n" --run "s$n" --date "$DATE" --input "$bench/" --output "$out" \
					--workers 2 --log-level error --quiet --group-by path
			done
			echo "$(awk -v s="$s" -v e="$(date +%s.%N)" 'BEGIN {printf "%.2f", e-s}') 0 0 0" >>"$RES/c-$n-shards-total"
			du -sb --apparent-size "$out/_partials" | cut -f1 >>"$RES/c-$n-bytes"
			measure "c-$n-merge" "$L" merge --run "s$n" --date "$DATE" --input "$bench/" --output "$out" \
				--log-level error --quiet --group-by path
		done
		run c-1 "$bench/" "$RES/out" --workers 2 --group-by path
	done
	{
		echo "| shards | partials MB | merge wall s | merge CPU s | merge peak RSS MiB | all shards, one after another: wall s | largest shard peak RSS MiB |"
		echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
		echo "| 1 (plain run) | | | | | $(wall c-1) | $(rss c-1) |"
		for n in 2 16 64; do
			echo "| $n | $(awk '{s+=$1} END {printf "%.1f", s/NR/1e6}' "$RES/c-$n-bytes") | $(wall "c-$n-merge") | $(cpu "c-$n-merge") | $(rss "c-$n-merge") | $(wall "c-$n-shards-total") | $(cut -d' ' -f4 "$RES/c-$n-shard" | sort -n | tail -1 | awk '{printf "%.0f", $1/1024}') |"
		done
	} | tee "$RES/c.md"
	echo
fi

if [[ $PARTS == *d* ]]; then
	gen "$DATA/scale-one" --objects 1 --lines 7200000
	gen "$DATA/scale-eight" --objects 8 --lines 900000
	oneb=$(bytes_of "$DATA/scale-one")
	for r in $(seq "$RUNS"); do
		echo "scalebench: (d) run $r of $RUNS" >&2
		run d-one-ranges "$DATA/scale-one/{yyyy}/{mm}/{dd}/" "$RES/out" --workers 2
		run d-one-whole "$DATA/scale-one/{yyyy}/{mm}/{dd}/" "$RES/out" --workers 2 --split-bytes 0
		run d-eight "$DATA/scale-eight/{yyyy}/{mm}/{dd}/" "$RES/out" --workers 2
	done
	{
		echo "| input (2 workers) | wall s | MB/s | CPU s per GB | peak RSS MiB |"
		echo "| --- | ---: | ---: | ---: | ---: |"
		for x in "d-one-ranges:1 object, 8 byte ranges of 256 MiB" "d-one-whole:1 object, whole (--split-bytes 0)" "d-eight:8 objects of ~237 MB"; do
			name=${x%%:*}
			echo "| ${x#*:} | $(wall "$name") | $(awk -v b="$oneb" -v w="$(wall "$name")" 'BEGIN {printf "%.0f", b/1e6/w}') | $(awk -v b="$oneb" -v c="$(cpu "$name")" 'BEGIN {printf "%.2f", c/(b/1e9)}') | $(rss "$name") |"
		done
	} | tee "$RES/d.md"
fi

if [[ $PARTS == *e* ]]; then
	go build -o "$BIN/duckpeer" ./scripts/duckpeer
	go build -o "$BIN/entitygen" ./scripts/entitygen
	ent=$DATA/entity-80000
	if [[ ! -f $ent/.done ]]; then
		echo "scalebench: generating $ent (once)" >&2
		rm -rf "$ent" "$DATA/entity-raw"
		"$L" generate --output "$DATA/entity-raw" --seed 42 --start "$START" --objects 32 --lines 80000 --bad-ratio 0 >/dev/null
		"$BIN/entitygen" "$DATA/entity-raw" "$ent"
		rm -rf "$DATA/entity-raw"
		touch "$ent/.done"
	fi
	day=$ent/2025/11/08
	span=$DATA/entity-span/2025/11/08
	if [[ ! -f $DATA/entity-span/.done ]]; then
		echo "scalebench: dealing $day's lines into day-spanning objects (once)" >&2
		rm -rf "$DATA/entity-span" && mkdir -p "$span"
		cat "$day"/*.jsonl | awk -v dir="$span" '{print > (dir "/host-" sprintf("%02d", NR % 32) ".jsonl")}'
		touch "$DATA/entity-span/.done"
	fi
	eb=$(bytes_of "$day")
	duck() { # NAME FLAGS...
		local name=$1; shift
		measure "$name" "$BIN/duckpeer" --threads 2 "$@"
	}
	for r in $(seq "$RUNS"); do
		echo "scalebench: (e) run $r of $RUNS" >&2
		run e-none "$day/" "$RES/out" --workers 2 --sparse
		duck d-none --glob "$day/*.jsonl"
		duck p-none --glob "$day/*.jsonl" --out "$RES/peer.parquet"
		for g in $E_POINTS; do
			run "e-$g" "$day/" "$RES/out" --workers 2 --sparse --group-by "$g" --memory-check=false
			duck "d-$g" --glob "$day/*.jsonl" --group-by "$g"
			duck "p-$g" --glob "$day/*.jsonl" --group-by "$g" --out "$RES/peer.parquet"
		done
		run e-e1k-1m "$day/" "$RES/out" --workers 2 --sparse --group-by e1k --window 1m --memory-check=false
		duck d-e1k-1m --glob "$day/*.jsonl" --group-by e1k --window 1m
		duck p-e1k-1m --glob "$day/*.jsonl" --group-by e1k --window 1m --out "$RES/peer.parquet"
		run e-e1k-span "$span/" "$RES/out" --workers 2 --sparse --group-by e1k --memory-check=false
		if [[ " $E_POINTS " == *" e100k "* ]]; then # zstd level 1 on both sides
			run e-e100k-fast "$day/" "$RES/out" --workers 2 --sparse --group-by e100k --memory-check=false --parquet-compression zstd-fastest
			duck p-e100k-fast --glob "$day/*.jsonl" --group-by e100k --out "$RES/peer.parquet" --zstd-level 1
			cp "$RES/d-e100k" "$RES/d-e100k-fast"
		fi
		if [[ " $E_POINTS " != *" e1k "* ]]; then # the span row's peer: the same rows
			duck d-e1k --glob "$day/*.jsonl" --group-by e1k
			duck p-e1k --glob "$day/*.jsonl" --group-by e1k --out "$RES/peer.parquet"
		fi
	done
	ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a/b}'; }
	{
		echo "| input (one day, $(awk -v b="$eb" 'BEGIN {printf "%.2f", b/1e9}') GB, 2 workers / 2 threads) | logsmith CPU s | DuckDB writing Parquet CPU s | CPU ratio | logsmith peak RSS MiB | DuckDB writing Parquet peak RSS MiB | RSS ratio | DuckDB counting only: CPU s, RSS MiB | CPU ratio to it |"
		echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
		row() { # LABEL LOGSMITH PEER
			echo "| $1 | $(cpu "e-$2") | $(cpu "p-$3") | $(ratio "$(cpu "e-$2")" "$(cpu "p-$3")") | $(rss "e-$2") | $(rss "p-$3") | $(ratio "$(rss "e-$2")" "$(rss "p-$3")") | $(cpu "d-$3"), $(rss "d-$3") | $(ratio "$(cpu "e-$2")" "$(cpu "d-$3")") |"
		}
		for x in "none:none" "e10:10 groups" "e1k:1,000 groups" "e10k:10,000 groups" "e100k:100,000 groups" "e100k-fast:100,000 groups, zstd level 1 on both sides (--parquet-compression zstd-fastest)" "e1k-1m:1,000 groups, 1-minute windows"; do
			k=${x%%:*}
			[[ -f $RES/e-$k ]] || continue
			row "${x#*:}" "$k" "$k"
		done
		row "1,000 groups, 32 objects each spanning the day" e1k-span e1k
	} | tee "$RES/e.md"
fi

if [[ $PARTS == *f* ]]; then
	go build -o "$BIN/entitygen" ./scripts/entitygen
	fdir=$DATA/entity-days-$F_LINES
	if [[ ! -f $fdir/.done ]]; then
		echo "scalebench: generating 14 days of $fdir (once)" >&2
		rm -rf "$fdir" "$DATA/entity-days-raw"
		"$L" generate --output "$DATA/entity-days-raw" --seed 42 --start "$START" --days 14 --objects 32 --lines "$F_LINES" --bad-ratio 0 >/dev/null
		"$BIN/entitygen" "$DATA/entity-days-raw" "$fdir/all"
		rm -rf "$DATA/entity-days-raw"
		for n in 1 7 14; do # the first n days, as hard links
			mkdir -p "$fdir/d$n"
			for day in $(ls "$fdir/all/2025/11" | sort -n | head -"$n"); do
				mkdir -p "$fdir/d$n/2025/11/$day"
				ln "$fdir/all/2025/11/$day"/*.jsonl "$fdir/d$n/2025/11/$day/"
			done
		done
		touch "$fdir/.done"
	fi
	undated() { # NAME INPUT [ENV...]: an undated run, with ENV
		local name=$1 in=$2
		shift 2
		rm -rf "$RES/out"
		measure "$name" env "$@" "$L" run --input "$in" --output "$RES/out" --log-level error --quiet --gc-grace 0s \
			--workers 2 --sparse --group-by e1k --json
	}
	spilled() { # NAME CMD...: runs CMD once more for its summary: "yes (N spills)" or "no"
		local name=$1; shift
		local sum
		sum=$("$@" 2>/dev/null || true)
		{ grep -o '"spills":[0-9]*' <<<"$sum" || true; } | head -1 | awk -F: '{print "yes (" $2 " spills)"} END {if (NR == 0) print "no"}' >"$RES/$name.spill"
	}
	day=$fdir/d1/2025/11/08
	for r in $(seq "$RUNS"); do
		echo "scalebench: (f) run $r of $RUNS" >&2
		for n in 1 7 14; do
			undated "f-days-$n" "$fdir/d$n/"
			undated "f-days-$n-lim" "$fdir/d$n/" "GOMEMLIMIT=$F_LIMIT"
		done
		for n in 2 4 8; do
			out=$RES/fshards-$n
			rm -rf "$out"
			for i in $(seq 0 $((n - 1))); do
				measure "f-$n-shard" "$L" run --shard "$i/$n" --run "f$n" --date "$DATE" --input "$day/" --output "$out" \
					--workers 2 --log-level error --quiet --sparse --group-by e10k --memory-check=false
			done
			measure "f-$n-merge" "$L" merge --run "f$n" --date "$DATE" --input "$day/" --output "$out" \
				--log-level error --quiet --sparse --group-by e10k --memory-check=false
		done
		run f-e10k "$day/" "$RES/out" --workers 2 --sparse --group-by e10k --memory-check=false
		rm -rf "$RES/out"
		measure f-e10k-lim-env env "GOMEMLIMIT=$F_LIMIT" "$L" run --input "$day/" --output "$RES/out" --date "$DATE" --log-level error --quiet \
			--gc-grace 0s --workers 2 --sparse --group-by e10k
	done
	for n in 1 7 14; do
		rm -rf "$RES/out"
		spilled "f-days-$n" "$L" run --input "$fdir/d$n/" --output "$RES/out" --log-level error --quiet --workers 2 --sparse --group-by e1k --json
		rm -rf "$RES/out"
		spilled "f-days-$n-lim" env "GOMEMLIMIT=$F_LIMIT" "$L" run --input "$fdir/d$n/" --output "$RES/out" --log-level error --quiet --workers 2 --sparse --group-by e1k --json
	done
	rm -rf "$RES/out"
	spilled f-e10k-lim-env env "GOMEMLIMIT=$F_LIMIT" "$L" run --input "$day/" --output "$RES/out" --date "$DATE" --log-level error --quiet --workers 2 --sparse --group-by e10k --json
	{
		echo "| undated run, e1k, --sparse, 2 workers | no limit: wall s | peak RSS MiB | spilled | GOMEMLIMIT=$F_LIMIT: wall s | peak RSS MiB | spilled |"
		echo "| --- | ---: | ---: | --- | ---: | ---: | --- |"
		for n in 1 7 14; do
			echo "| $n days | $(wall "f-days-$n") | $(rss "f-days-$n") | $(cat "$RES/f-days-$n.spill") | $(wall "f-days-$n-lim") | $(rss "f-days-$n-lim") | $(cat "$RES/f-days-$n-lim.spill") |"
		done
		echo
		echo "| one day at e10k, --sparse | wall s | CPU s | peak RSS MiB |"
		echo "| --- | ---: | ---: | ---: |"
		echo "| one process, no limit | $(wall f-e10k) | $(cpu f-e10k) | $(rss f-e10k) |"
		echo "| one process, GOMEMLIMIT=$F_LIMIT ($(cat "$RES/f-e10k-lim-env.spill")) | $(wall f-e10k-lim-env) | $(cpu f-e10k-lim-env) | $(rss f-e10k-lim-env) |"
		for n in 2 4 8; do
			echo "| merge of $n shards | $(wall "f-$n-merge") | $(cpu "f-$n-merge") | $(rss "f-$n-merge") |"
		done
	} | tee "$RES/f.md"
fi
