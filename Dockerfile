# syntax=docker/dockerfile:1
# Two stages: build the binary with scripts/build.sh (the same flags as a
# local release build) with gzip through Intel ISA-L (INFLATER=isal: cgo,
# -tags isal, 2-3x the pure-Go inflater), then copy it and libisal.so.2 alone
# into a distroless, non-root image with no shell.
#
# The base is distroless/base-debian12, glibc-based, and the library is
# Debian bookworm's own (libisal2, the same release as the base's glibc),
# copied from the builder. Debian ships no static libisal.a, and building
# ISA-L from source to link it statically would add a pinned tarball, nasm
# and a second toolchain to the build for a saving of one 300 KB file; the
# static image of the pure-Go build (scripts/build.sh without INFLATER)
# remains the fallback for platforms without ISA-L.

FROM golang:1.26.8-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libisal-dev \
	&& rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
# The build fetches only the modules the binary imports (a bare "go mod
# download" would also fetch the test-only DuckDB libraries, ~570 MB); the
# cache mounts keep them and the build cache between image builds.
RUN --mount=type=cache,target=/root/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
	INFLATER=isal VERSION=${VERSION} COMMIT=${COMMIT} scripts/build.sh /out/logsmith \
	&& mkdir -p /out/lib && cp -L "/usr/lib/$(gcc -print-multiarch)/libisal.so.2" /out/lib/

FROM gcr.io/distroless/base-debian12:nonroot
COPY --from=build /out/lib/libisal.so.2 /usr/lib/libisal.so.2
COPY --from=build /out/logsmith /logsmith
USER 65532:65532
ENTRYPOINT ["/logsmith"]
