#!/usr/bin/env bash
# Builds the release binary: static (CGO_ENABLED=0), reproducible paths
# (-trimpath), version and commit stamped. The Dockerfile runs this script,
# so the image and a local build use the same flags.
#
#   scripts/build.sh [OUT]          default OUT: bin/logsmith
#   VERSION=v1.2.3 COMMIT=abc scripts/build.sh
#   INFLATER=isal scripts/build.sh  gzip through Intel ISA-L (cgo, -tags isal,
#                                   linked to libisal.so.2 from libisal-dev):
#                                   the image's build; not static
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-bin/logsmith}
VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
COMMIT=${COMMIT:-$(git rev-parse HEAD 2>/dev/null || echo unknown)}
case ${INFLATER:-go} in
go) cgo=0 tags="" ;;
isal) cgo=1 tags=isal ;;
*) echo "build.sh: INFLATER must be go or isal, not ${INFLATER}" >&2; exit 2 ;;
esac
CGO_ENABLED=$cgo go build -trimpath -tags "$tags" \
	-ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" \
	-o "$OUT" ./cmd/logsmith
