#!/usr/bin/env bash
# MinIO for development and tests: an external server on 127.0.0.1, never
# linked into logsmith.
#
#   scripts/minio.sh install   build the pinned MinIO with `go install` (cached)
#   scripts/minio.sh start     install if needed, start, wait until healthy, print env
#   scripts/minio.sh env       print the env for the running server
#   scripts/minio.sh stop      stop the server started by `start` and remove its data
#
# Use it as: eval "$(scripts/minio.sh start)"
set -euo pipefail

MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c
CACHE=${LOGSMITH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/logsmith}
BIN_DIR=$CACHE/minio-$MINIO_VERSION
BIN=$BIN_DIR/minio
STATE=${LOGSMITH_MINIO_STATE:-$CACHE/minio-state}
PORT=${LOGSMITH_MINIO_PORT:-9123}
USER_=logsmith-dev
PASS=logsmith-dev-secret

log() { echo "minio.sh: $*" >&2; }

# http_status PATH: the HTTP status of GET PATH on the server, or nothing.
# Plain bash (/dev/tcp), so no curl is needed.
http_status() {
	local line
	{ exec 3<>"/dev/tcp/127.0.0.1/$PORT"; } 2>/dev/null || return 0
	printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$1" >&3
	IFS= read -r -t 2 line <&3 || true
	exec 3>&- 3<&-
	set -- $line
	echo "${2:-}"
}

install() {
	if [[ -x $BIN ]]; then
		return 0
	fi
	log "building MinIO $MINIO_VERSION with go install (takes a few minutes, once)"
	mkdir -p "$BIN_DIR"
	GOBIN=$BIN_DIR GOFLAGS=-mod=mod go install "github.com/minio/minio@$MINIO_VERSION" >&2
	log "installed $BIN"
}

print_env() {
	cat <<ENV
export LOGSMITH_S3_ENDPOINT=127.0.0.1:$PORT
export LOGSMITH_S3_INSECURE=true
export LOGSMITH_S3_REGION=us-east-1
export LOGSMITH_S3_ACCESS_KEY=$USER_
export LOGSMITH_S3_SECRET_KEY=$PASS
export LOGSMITH_MINIO_BIN=$BIN
ENV
}

running() { [[ -f $STATE/pid ]] && kill -0 "$(cat "$STATE/pid")" 2>/dev/null; }

start() {
	install
	if running; then
		log "already running (pid $(cat "$STATE/pid"))"
		print_env
		return 0
	fi
	if [[ -n $(http_status /) ]]; then
		log "port $PORT is taken by something else; set LOGSMITH_MINIO_PORT"
		exit 1
	fi
	rm -rf "$STATE"
	mkdir -p "$STATE/data"
	MINIO_ROOT_USER=$USER_ MINIO_ROOT_PASSWORD=$PASS MINIO_BROWSER=off \
		nohup "$BIN" server --quiet --address "127.0.0.1:$PORT" \
		--console-address "127.0.0.1:$((PORT + 1))" "$STATE/data" >"$STATE/log" 2>&1 &
	echo $! >"$STATE/pid"
	for _ in $(seq 1 120); do
		if [[ $(http_status /minio/health/live) == 200 ]]; then
			log "running on 127.0.0.1:$PORT (pid $(cat "$STATE/pid"))"
			print_env
			return 0
		fi
		if ! running; then
			log "MinIO exited; its log:"
			cat "$STATE/log" >&2
			exit 1
		fi
		sleep 0.5
	done
	log "MinIO did not become healthy in 60s; its log:"
	cat "$STATE/log" >&2
	stop
	exit 1
}

stop() {
	if running; then
		pid=$(cat "$STATE/pid")
		kill "$pid" 2>/dev/null || true
		for _ in $(seq 1 40); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.25
		done
		kill -9 "$pid" 2>/dev/null || true
		log "stopped pid $pid"
	fi
	rm -rf "$STATE"
}

case ${1:-} in
install) install ;;
start) start ;;
env) print_env ;;
stop) stop ;;
*)
	echo "usage: $0 install|start|env|stop" >&2
	exit 2
	;;
esac
