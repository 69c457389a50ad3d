#!/usr/bin/env bash
# Checks the release build without Docker: builds with scripts/build.sh (the
# Dockerfile's own build step), then checks the binary is static, carries the
# build flags, and answers --version with the stamped version and commit.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
VERSION=v0.0.0-check COMMIT=0123456789abcdef scripts/build.sh "$dir/logsmith"
out=$("$dir/logsmith" --version)
echo "$out"
[[ $out == "logsmith v0.0.0-check (commit 0123456789abcdef, go"* ]] || { echo "unexpected --version: $out" >&2; exit 1; }
info=$(go version -m "$dir/logsmith")
grep -q 'CGO_ENABLED=0' <<<"$info" || { echo "not built with CGO_ENABLED=0" >&2; exit 1; }
grep -q -- '-trimpath=true' <<<"$info" || { echo "not built with -trimpath" >&2; exit 1; }
if ldd "$dir/logsmith" >/dev/null 2>&1; then echo "binary is dynamically linked" >&2; exit 1; fi
echo "check-build: static, trimmed, version stamped"

# The image's build: gzip through ISA-L, linked to libisal.so.2 and nothing
# else beyond glibc (the distroless base has glibc; the Dockerfile copies
# libisal.so.2 in).
INFLATER=isal VERSION=v0.0.0-check COMMIT=0123456789abcdef scripts/build.sh "$dir/logsmith-isal"
grep -q '^gzip inflater: go$' <<<"$out" || { echo "the pure-Go build does not say its inflater: $out" >&2; exit 1; }
"$dir/logsmith-isal" --version | grep -q '^gzip inflater: isal$' || { echo "the ISA-L build does not say it inflates with ISA-L" >&2; exit 1; }
info=$(go version -m "$dir/logsmith-isal")
grep -q -- '-tags=isal' <<<"$info" || { echo "ISA-L build without -tags isal" >&2; exit 1; }
grep -q 'CGO_ENABLED=1' <<<"$info" || { echo "ISA-L build without cgo" >&2; exit 1; }
libs=$(ldd "$dir/logsmith-isal" | awk '{print $1}' | grep -v -e '^linux-vdso' -e '^/lib64/ld-linux' -e '^libc\.so' | tr '\n' ' ')
[[ $libs == "libisal.so.2 " ]] || { echo "ISA-L build links unexpected libraries: $libs" >&2; exit 1; }
echo "check-build: ISA-L build links libisal.so.2 and glibc only"
