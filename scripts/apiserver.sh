#!/usr/bin/env bash
# A real Kubernetes API server (kube-apiserver + etcd) on 127.0.0.1 for the
# manifest tests: k8s/ applies every rendered object to it with
# `kubectl apply --dry-run=server --validate=strict`, so the server's own
# defaulting and validation judge them. No controllers, no kubelet: nothing
# ever runs. Never linked into logsmith.
#
#   scripts/apiserver.sh install   build the pinned kube-apiserver and etcd with the Go toolchain (cached)
#   scripts/apiserver.sh start     install if needed, start both, wait until ready, print env
#   scripts/apiserver.sh env       print the env for the running server
#   scripts/apiserver.sh stop      stop what `start` started and remove its data
#
# Use it as: eval "$(scripts/apiserver.sh start)"
#
# kube-apiserver comes from k8s.io/kubernetes, whose go.mod requires its
# staging modules (k8s.io/api, k8s.io/apiserver, ...) at v0.0.0 with replaces
# into ./staging that only work inside its own repository; a small wrapper
# module replaces them with their published tags instead. etcd is the version
# that Kubernetes release pins. Cold build: about 5 minutes on 2 cores; with
# a warm Go build cache, seconds; once built, the binaries are reused.
#
# kubectl is taken from PATH (any 1.3x); without one, `install` builds it
# from the same module.
set -euo pipefail

K8S_VERSION=v1.32.13     # k8s.io/kubernetes tag
STAGING_VERSION=v0.32.13 # its staging modules' published tag
ETCD_VERSION=v3.5.16     # go.etcd.io/etcd/server/v3, as Kubernetes v1.32 pins it
CACHE=${LOGSMITH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/logsmith}
BIN_DIR=$CACHE/kube-$K8S_VERSION-etcd-$ETCD_VERSION
STATE=${LOGSMITH_APISERVER_STATE:-$CACHE/apiserver-state}
PORT=${LOGSMITH_APISERVER_PORT:-16443}
ETCD_PORT=${LOGSMITH_ETCD_PORT:-23790}
TOKEN=logsmith-test-admin

log() { echo "apiserver.sh: $*" >&2; }

kubectl_bin() {
	if [[ -x $BIN_DIR/kubectl ]]; then
		echo "$BIN_DIR/kubectl"
	else
		command -v kubectl
	fi
}

install() {
	local need=()
	[[ -x $BIN_DIR/kube-apiserver ]] || need+=(k8s.io/kubernetes/cmd/kube-apiserver)
	[[ -x $BIN_DIR/etcd ]] || need+=(go.etcd.io/etcd/server/v3)
	command -v kubectl >/dev/null || [[ -x $BIN_DIR/kubectl ]] || need+=(k8s.io/kubernetes/cmd/kubectl)
	if ((${#need[@]} == 0)); then
		return 0
	fi
	log "building ${need[*]} (kube $K8S_VERSION, etcd $ETCD_VERSION; a few minutes, once)"
	local start=$SECONDS work=$BIN_DIR/build
	mkdir -p "$work"
	(
		cd "$work"
		export GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0 GOWORK=off
		go mod download "k8s.io/kubernetes@$K8S_VERSION"
		local mod
		mod=$(go env GOMODCACHE)/cache/download/k8s.io/kubernetes/@v/$K8S_VERSION.mod
		{
			printf 'module local/logsmith-kube\n\ngo 1.23.0\n\nrequire (\n\tk8s.io/kubernetes %s\n\tgo.etcd.io/etcd/server/v3 %s\n)\n\nreplace (\n' "$K8S_VERSION" "$ETCD_VERSION"
			# The proxy refuses k8s.io/endpointslice v0.32.13 (403); v0.32.12 is
			# the same code for the API server's purposes.
			grep -E '=> \./staging' "$mod" | awk -v v="$STAGING_VERSION" '{
				t = v; if ($1 == "k8s.io/endpointslice" && v == "v0.32.13") t = "v0.32.12"
				print "\t" $1 " => " $1 " " t }'
			printf ')\n'
		} >go.mod
		cat >tools.go <<-'EOF'
			//go:build tools

			package tools

			import (
				_ "go.etcd.io/etcd/server/v3"
				_ "k8s.io/kubernetes/cmd/kube-apiserver"
				_ "k8s.io/kubernetes/cmd/kubectl"
			)
		EOF
		go mod tidy >&2
		local v=${K8S_VERSION#v} ld
		ld="-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=${v%%.*} -X k8s.io/component-base/version.gitMinor=$(cut -d. -f2 <<<"$v")"
		for pkg in "${need[@]}"; do
			local out=$BIN_DIR/${pkg##*/}
			[[ $pkg == go.etcd.io/* ]] && out=$BIN_DIR/etcd
			go build -trimpath -ldflags "$ld" -o "$out.tmp" "$pkg" >&2
			mv "$out.tmp" "$out"
		done
	)
	log "built in $((SECONDS - start))s into $BIN_DIR"
}

print_env() {
	cat <<ENV
export KUBECONFIG=$STATE/kubeconfig
export LOGSMITH_KUBECTL=$(kubectl_bin)
ENV
}

alive() { [[ -f $STATE/$1.pid ]] && kill -0 "$(cat "$STATE/$1.pid")" 2>/dev/null; }

# etcd_healthy: etcd answers /health; plain bash (/dev/tcp), so no curl is needed.
etcd_healthy() {
	local line
	{ exec 3<>"/dev/tcp/127.0.0.1/$ETCD_PORT"; } 2>/dev/null || return 1
	printf 'GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
	IFS= read -r -t 2 line <&3 || true
	exec 3>&- 3<&-
	[[ $line == *" 200 "* ]]
}

port_open() { { exec 3<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null && exec 3>&- 3<&-; }

ready() { [[ $("$(kubectl_bin)" --kubeconfig "$STATE/kubeconfig" get --raw /readyz 2>/dev/null) == ok ]]; }

start() {
	install
	if alive apiserver && ready; then
		log "already running (pid $(cat "$STATE/apiserver.pid"))"
		print_env
		return 0
	fi
	stop_processes
	if etcd_healthy || port_open "$PORT"; then
		log "port $ETCD_PORT or $PORT is taken by something else; set LOGSMITH_ETCD_PORT and LOGSMITH_APISERVER_PORT"
		exit 1
	fi
	rm -rf "$STATE"
	mkdir -p "$STATE/pki"
	command -v openssl >/dev/null || { log "openssl is needed for the service-account key"; exit 1; }
	openssl genrsa -out "$STATE/pki/sa.key" 2048 2>/dev/null
	openssl rsa -in "$STATE/pki/sa.key" -pubout -out "$STATE/pki/sa.pub" 2>/dev/null
	echo "$TOKEN,admin,admin,system:masters" >"$STATE/pki/tokens.csv"
	cat >"$STATE/kubeconfig" <<-EOF
		apiVersion: v1
		kind: Config
		clusters:
		  - name: logsmith-test
		    cluster:
		      server: https://127.0.0.1:$PORT
		      insecure-skip-tls-verify: true
		users:
		  - name: admin
		    user:
		      token: $TOKEN
		contexts:
		  - name: logsmith-test
		    context: {cluster: logsmith-test, user: admin, namespace: default}
		current-context: logsmith-test
	EOF

	nohup "$BIN_DIR/etcd" --name logsmith-test --data-dir "$STATE/etcd" \
		--listen-client-urls "http://127.0.0.1:$ETCD_PORT" \
		--advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
		--listen-peer-urls "http://127.0.0.1:$((ETCD_PORT + 10))" \
		--initial-advertise-peer-urls "http://127.0.0.1:$((ETCD_PORT + 10))" \
		--initial-cluster "logsmith-test=http://127.0.0.1:$((ETCD_PORT + 10))" \
		--unsafe-no-fsync >"$STATE/etcd.log" 2>&1 &
	echo $! >"$STATE/etcd.pid"
	for _ in $(seq 1 60); do
		etcd_healthy && break
		alive etcd || { log "etcd exited; its log:"; cat "$STATE/etcd.log" >&2; exit 1; }
		sleep 0.5
	done
	etcd_healthy || { log "etcd not healthy in 30s; its log:"; cat "$STATE/etcd.log" >&2; stop; exit 1; }

	# AlwaysAllow and a static admin token: a test server on loopback, never a cluster.
	nohup "$BIN_DIR/kube-apiserver" \
		--etcd-servers="http://127.0.0.1:$ETCD_PORT" \
		--bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$PORT" \
		--endpoint-reconciler-type=none \
		--cert-dir="$STATE/pki/serving" \
		--service-account-issuer=https://kubernetes.default.svc.cluster.local \
		--service-account-key-file="$STATE/pki/sa.pub" \
		--service-account-signing-key-file="$STATE/pki/sa.key" \
		--token-auth-file="$STATE/pki/tokens.csv" \
		--authorization-mode=AlwaysAllow \
		--service-cluster-ip-range=10.96.0.0/16 \
		>"$STATE/apiserver.log" 2>&1 &
	echo $! >"$STATE/apiserver.pid"
	for _ in $(seq 1 180); do
		if ready; then
			log "kube-apiserver $K8S_VERSION ready on https://127.0.0.1:$PORT (pid $(cat "$STATE/apiserver.pid"))"
			print_env
			return 0
		fi
		alive apiserver || { log "kube-apiserver exited; its log:"; tail -50 "$STATE/apiserver.log" >&2; stop; exit 1; }
		sleep 0.5
	done
	log "kube-apiserver not ready in 90s; its log:"
	tail -50 "$STATE/apiserver.log" >&2
	stop
	exit 1
}

# stop_processes stops what start started, by PID file, API server first.
stop_processes() {
	local name pid
	for name in apiserver etcd; do
		alive "$name" || continue
		pid=$(cat "$STATE/$name.pid")
		kill "$pid" 2>/dev/null || true
		for _ in $(seq 1 40); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.25
		done
		kill -9 "$pid" 2>/dev/null || true
		log "stopped $name (pid $pid)"
	done
}

stop() {
	stop_processes
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
