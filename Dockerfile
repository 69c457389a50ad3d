# syntax=docker/dockerfile:1
# Two stages: build a static binary with scripts/build.sh (the same flags as a
# local release build), then copy it alone into a distroless, non-root image
# with no shell.

FROM golang:1.26.8-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
RUN VERSION=${VERSION} COMMIT=${COMMIT} scripts/build.sh /out/logsmith

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/logsmith /logsmith
USER 65532:65532
ENTRYPOINT ["/logsmith"]
