#!/usr/bin/env bash
# Regenerates every log-shape fixture under testdata/shapes byte for byte:
# each shape's input/ (the objects, in the bytes their producer writes) and
# events.csv (the truth: one row per event the producer was asked to log).
# config.env files are kept as they are.
#
#   testdata/shapes/gen/go    docker (moby's json-file driver), otlp-json
#                             (the collector's pdata), gcp (Google's LogEntry
#                             protos), journald (systemd-journal-remote and
#                             journalctl), and by their specifications: cri,
#                             cloudwatch-export, cloudwatch-subscription,
#                             firehose, cloudtrail, alb
#   testdata/shapes/gen/node  pino and pino-http, bunyan, ecs
#                             (@elastic/ecs-pino-format), from npm at the
#                             versions package-lock.json pins
#
# Needs Go, Node and npm, and systemd-journal-remote and journalctl (Debian:
# apt-get install systemd-journal-remote); installs the last when missing.
# Check after a run: git status testdata/shapes shows no change unless a
# generator changed.
set -euo pipefail
cd "$(dirname "$0")/.."
shapes=$PWD/testdata/shapes

if [[ ! -x /lib/systemd/systemd-journal-remote && ! -x /usr/lib/systemd/systemd-journal-remote ]]; then
	sudo=""
	[[ $(id -u) -ne 0 ]] && sudo=sudo
	$sudo apt-get update -qq && $sudo apt-get install -y -qq systemd-journal-remote >/dev/null
fi

(cd "$shapes/gen/go" && go run . -out "$shapes")

cd "$shapes/gen/node"
# --ignore-scripts: bunyan's optional dtrace-provider would build a native
# addon the fixtures do not use.
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
for shape in pino bunyan ecs; do
	node "$shape.js" "$shapes/$shape"
	# The hour before 11:00 was rotated to <file>.1; compress it as
	# logrotate's compress does (gzip, no name or time in the header).
	find "$shapes/$shape/input" -name '*.1' -exec gzip -n -f {} +
	echo "$shape: $(($(wc -l <"$shapes/$shape/events.csv") - 1)) events"
done
