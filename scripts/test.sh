#!/usr/bin/env bash
# Runs every test: starts a throwaway MinIO, PostgreSQL (the Iceberg SQL
# catalog) and a Kubernetes API server (for the manifests' server-side
# dry-run) on 127.0.0.1, runs the Go tests with the race detector against
# them, and stops them whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."

# The ISA-L build (the image's) needs libisal-dev; install it when missing.
if [[ ! -f /usr/include/isa-l/igzip_lib.h ]]; then
	sudo=""
	[[ $(id -u) -ne 0 ]] && sudo=sudo
	$sudo apt-get update -qq && $sudo apt-get install -y -qq libisal-dev isal >/dev/null
fi

# The HTML report's tests render it in headless Chromium: install Debian's
# chromium when missing, the way scripts/postgres.sh installs PostgreSQL.
# LOGSMITH_TEST_BROWSER makes those tests fail, not skip, without it.
if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
	sudo=""
	[[ $(id -u) -ne 0 ]] && sudo=sudo
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null ||
		{ $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
fi
export LOGSMITH_TEST_BROWSER=1

export LOGSMITH_MINIO_STATE=${LOGSMITH_MINIO_STATE:-$(mktemp -d)/minio}
export LOGSMITH_APISERVER_STATE=${LOGSMITH_APISERVER_STATE:-$(mktemp -d)/apiserver}
export LOGSMITH_POSTGRES_STATE=${LOGSMITH_POSTGRES_STATE:-$(mktemp -d)/postgres}
trap 'kill "${apiserver_build:-}" "${staticcheck_run:-}" 2>/dev/null || true; scripts/minio.sh stop || true; scripts/postgres.sh stop || true; scripts/apiserver.sh stop' EXIT
minio_env=$(scripts/minio.sh start) || { echo "MinIO did not start" >&2; exit 1; }
eval "$minio_env"
export LOGSMITH_TEST_S3=1
postgres_env=$(scripts/postgres.sh start) || { echo "PostgreSQL did not start" >&2; exit 1; }
eval "$postgres_env"
# On a cold machine the API server takes minutes to build: build it in the
# background while everything but ./k8s is vetted and tested.
apiserver_log=$(mktemp)
scripts/apiserver.sh install >"$apiserver_log" 2>&1 &
apiserver_build=$!

# staticcheck (pinned; settings in staticcheck.conf) runs in the background
# beside vet and the tests, for both builds of features; any finding fails.
STATICCHECK_VERSION=v0.8.2
staticcheck_bin=${LOGSMITH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/logsmith}/staticcheck-$STATICCHECK_VERSION
staticcheck_log=$(mktemp)
(
	[[ -x $staticcheck_bin/staticcheck ]] || GOBIN=$staticcheck_bin GOFLAGS= go install "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION"
	"$staticcheck_bin/staticcheck" ./...
	"$staticcheck_bin/staticcheck" -tags isal ./features/...
) >"$staticcheck_log" 2>&1 &
staticcheck_run=$!

gofmt_out=$(gofmt -l .)
if [[ -n $gofmt_out ]]; then
	echo "gofmt needed:" >&2
	echo "$gofmt_out" >&2
	exit 1
fi
go vet ./...
scripts/check-build.sh
go test -race -count=1 -timeout 20m "$@" $(go list ./... | grep -v '/k8s$')
wait "$staticcheck_run" || { cat "$staticcheck_log" >&2; echo "staticcheck found problems" >&2; exit 1; }

# The compression and fault tests again with gzip through ISA-L (-tags isal,
# the image's build): every case must behave as with the Go inflater.
go test -race -count=1 -timeout 20m -tags isal "$@" ./features/...
go test -race -count=1 -timeout 20m -tags isal "$@" -run 'Damaged|Rejects|Toxic|MinIORestart|Range|Resum|Ingest|Plan|Fixture' ./job

wait "$apiserver_build" || { cat "$apiserver_log" >&2; echo "kube-apiserver did not build" >&2; exit 1; }
apiserver_env=$(scripts/apiserver.sh start) || { echo "kube-apiserver did not start" >&2; exit 1; }
eval "$apiserver_env"
export LOGSMITH_TEST_KUBE=1
go test -race -count=1 -timeout 20m "$@" ./k8s

# The README's one command for the main job must keep working.
scripts/demo.sh "$(mktemp -d)/demo" >/dev/null

# Timestamps must not depend on the host's zone: run their tests again under
# zones with DST, a half-hour and a quarter-hour offset.
for tz in UTC America/New_York Asia/Kolkata Asia/Kathmandu; do
	TZ=$tz go test -count=1 -run 'Timestamp|Zone' ./features ./job
done

# Fuzz each decoder and timestamp parser for a bounded number of inputs,
# beyond the seed corpus in features/testdata/fuzz that the run above
# already replays. A count (Nx), not a duration: go1.26's fuzz coordinator can
# report a spurious "context deadline exceeded" when a duration expires
# (golang/go#75804, fixed in go1.27).
for target in FuzzDecode FuzzValueReader FuzzPipeline FuzzParsePath FuzzDecompressFrames FuzzFastPathMatchesParser FuzzParseRFC3339 FuzzTimeCache FuzzParseEpoch FuzzParseNginx FuzzUnmarshalPartial FuzzBuiltinLevel FuzzLevelMap FuzzParseDuration FuzzLatencyNumber; do
	go test -run '^$' -fuzz "^${target}\$" -fuzztime "${LOGSMITH_FUZZTIME:-60000x}" ./features
done
go test -tags isal -run '^$' -fuzz '^FuzzDecompressFrames$' -fuzztime "${LOGSMITH_FUZZTIME:-60000x}" ./features
