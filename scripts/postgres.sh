#!/usr/bin/env bash
# PostgreSQL for development and tests (the Iceberg SQL catalog): Debian's
# server on 127.0.0.1 with its data in a throwaway folder, never linked into
# logsmith.
#
#   scripts/postgres.sh install   apt-get install Debian's postgresql if no server binaries are found
#   scripts/postgres.sh start     install if needed, initdb, start, wait until ready, print env
#   scripts/postgres.sh env       print the env for the running server
#   scripts/postgres.sh stop      stop the server started by `start` and remove its data
#
# Use it as: eval "$(scripts/postgres.sh start)"
#
# LOGSMITH_POSTGRES_PORT (default: the first free port from 55432) and
# LOGSMITH_POSTGRES_STATE (the data folder's parent) choose where it runs. As root, the server runs as the
# user 'postgres' (Debian's package creates it; PostgreSQL refuses root).
set -euo pipefail

CACHE=${LOGSMITH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/logsmith}
STATE=${LOGSMITH_POSTGRES_STATE:-$CACHE/postgres-state}
PORT=${LOGSMITH_POSTGRES_PORT:-}
DB=logsmith
USER_=logsmith
PASS=logsmith-dev-secret

log() { echo "postgres.sh: $*" >&2; }

# bindir: the newest PostgreSQL server binaries on the machine.
bindir() {
	local d
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
		if [[ -x $d/postgres && -x $d/initdb && -x $d/pg_ctl ]]; then
			echo "$d"
			return 0
		fi
	done
	return 1
}

install() {
	if bindir >/dev/null; then
		return 0
	fi
	if [[ $(id -u) != 0 ]]; then
		log "no PostgreSQL server found and not root: apt-get install postgresql"
		exit 1
	fi
	log "installing Debian's postgresql with apt-get"
	# The package must not start a cluster of its own: nothing here uses it.
	mkdir -p /etc/postgresql-common/createcluster.d
	echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.d/logsmith.conf
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >&2 ||
		{ apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >&2; }
	bindir >/dev/null || { log "postgresql installed but no server binaries found"; exit 1; }
}

# as_owner CMD...: run CMD as the user that owns the data (not root).
as_owner() {
	if [[ $(id -u) == 0 ]]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# port_taken PORT: something listens on 127.0.0.1:PORT.
port_taken() {
	{ exec 3<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 1
	exec 3>&- 3<&-
}

print_env() {
	[[ -n $PORT ]] || PORT=$(cat "$STATE/port" 2>/dev/null || echo 55432)
	cat <<ENV
export LOGSMITH_TEST_POSTGRES=postgres://$USER_:$PASS@127.0.0.1:$PORT/$DB?sslmode=disable
ENV
}

running() { [[ -f $STATE/data/postmaster.pid ]] && kill -0 "$(head -1 "$STATE/data/postmaster.pid")" 2>/dev/null; }

start() {
	install
	local bin
	bin=$(bindir)
	if running; then
		log "already running (pid $(head -1 "$STATE/data/postmaster.pid"))"
		print_env
		return 0
	fi
	if [[ -z $PORT ]]; then
		PORT=55432
		while port_taken "$PORT"; do PORT=$((PORT + 1)); done
	elif port_taken "$PORT"; then
		log "port $PORT is taken by something else; set LOGSMITH_POSTGRES_PORT"
		exit 1
	fi
	rm -rf "$STATE"
	mkdir -p "$STATE"
	echo "$PORT" >"$STATE/port"
	local pwfile=$STATE/pw
	echo "$PASS" >"$pwfile"
	if [[ $(id -u) == 0 ]]; then
		chown -R postgres: "$STATE"
		# The parent folders must let the server's user reach its data.
		local d=$STATE
		while [[ $d != / ]]; do
			d=$(dirname "$d")
			chmod o+x "$d" 2>/dev/null || true
		done
	fi
	as_owner "$bin/initdb" -D "$STATE/data" -U "$USER_" --pwfile="$pwfile" -A scram-sha-256 \
		-E UTF8 --locale=C.UTF-8 --no-sync >"$STATE/initdb.log" 2>&1 ||
		{ log "initdb failed:"; cat "$STATE/initdb.log" >&2; exit 1; }
	# Only TCP on 127.0.0.1; the socket goes in the state folder, not /run.
	as_owner "$bin/pg_ctl" -D "$STATE/data" -l "$STATE/log" -w -t 60 \
		-o "-c listen_addresses=127.0.0.1 -p $PORT -k $STATE -c fsync=off -c max_connections=200" start >&2 ||
		{ log "PostgreSQL did not start; its log:"; cat "$STATE/log" >&2; exit 1; }
	as_owner env PGPASSWORD="$PASS" "$bin/createdb" -h 127.0.0.1 -p "$PORT" -U "$USER_" "$DB" </dev/null >&2 ||
		{ log "createdb failed; the server's log:"; cat "$STATE/log" >&2; stop; exit 1; }
	log "running on 127.0.0.1:$PORT (pid $(head -1 "$STATE/data/postmaster.pid"))"
	print_env
}

stop() {
	if running; then
		local bin pid
		bin=$(bindir)
		pid=$(head -1 "$STATE/data/postmaster.pid")
		as_owner "$bin/pg_ctl" -D "$STATE/data" -m fast -w -t 30 stop >&2 || kill -9 "$pid" 2>/dev/null || true
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
