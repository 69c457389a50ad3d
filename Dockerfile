# syntax=docker/dockerfile:1
# Two stages: build a static binary with scripts/build.sh (the same flags as a
# local release build), then copy it alone into a distroless, non-root image
# with no shell.

FROM golang:1.26.8-bookworm AS build
WORKDIR /src
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
# The build fetches only the modules the binary imports (a bare "go mod
# download" would also fetch the test-only DuckDB libraries, ~570 MB); the
# cache mounts keep them and the build cache between image builds.
RUN --mount=type=cache,target=/root/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
	VERSION=${VERSION} COMMIT=${COMMIT} scripts/build.sh /out/logsmith

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/logsmith /logsmith
USER 65532:65532
ENTRYPOINT ["/logsmith"]
