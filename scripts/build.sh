#!/usr/bin/env bash
# Builds the release binary: static (CGO_ENABLED=0), reproducible paths
# (-trimpath), version and commit stamped. The Dockerfile runs this script,
# so the image and a local build use the same flags.
#
#   scripts/build.sh [OUT]          default OUT: bin/logsmith
#   VERSION=v1.2.3 COMMIT=abc scripts/build.sh
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-bin/logsmith}
VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
COMMIT=${COMMIT:-$(git rev-parse HEAD 2>/dev/null || echo unknown)}
CGO_ENABLED=0 go build -trimpath \
	-ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" \
	-o "$OUT" ./cmd/logsmith
