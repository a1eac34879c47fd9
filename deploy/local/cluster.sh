#!/usr/bin/env bash
# A real Kubernetes control plane on loopback: etcd, kube-apiserver and
# kube-controller-manager 1.20.2 built from Debian's `kubernetes` source
# package, plus a stand-in for the kubelet that marks pods Running and Ready.
#
#   cluster.sh build          build the binaries once into the cache
#   cluster.sh up [NAME]      start cluster NAME (default "default")
#   cluster.sh down [NAME]    stop exactly the processes `up` started
#   cluster.sh env [NAME]     print shell exports for the cluster
#   cluster.sh status [NAME]  say whether the cluster answers /readyz
#   cluster.sh kill-apiserver [NAME]   SIGKILL only its kube-apiserver
#   cluster.sh start-apiserver [NAME]  start it again, same flags and port
#
# Environment:
#   BERTH_CACHE     binary cache      (default ${XDG_CACHE_HOME:-~/.cache}/berth)
#   BERTH_CLUSTERS  state directories (default ${TMPDIR:-/tmp}/berth-clusters)
#
# Everything a cluster owns lives in one directory: certificates, tokens,
# etcd data, logs, the audit log, the pids it started and its kubeconfig.
set -euo pipefail

K8S_VERSION=1.20.2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${BERTH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/berth}
bindir=$cache/k8s-$K8S_VERSION
clusters=${BERTH_CLUSTERS:-${TMPDIR:-/tmp}/berth-clusters}
bins=(kube-apiserver kube-controller-manager kubectl)

say() { printf 'cluster: %s\n' "$*" >&2; }
die() { printf 'cluster: error: %s\n' "$*" >&2; exit 1; }

have_binaries() {
	local b
	for b in "${bins[@]}"; do [ -x "$bindir/$b" ] || return 1; done
}

# Build kube-apiserver, kube-controller-manager and kubectl from Debian's
# source package, with the vendored reflect2 replaced by Debian's 1.0.2 (the
# vendored 1.0.1 crashes under Go 1.18+). Skipped when the cache has them.
cmd_build() {
	if have_binaries; then
		say "binaries for $K8S_VERSION cached in $bindir"
		return 0
	fi
	"$here/deps.sh" --source
	mkdir -p "$cache"
	exec 9>"$cache/build.lock"
	flock 9
	if have_binaries; then return 0; fi # another build finished meanwhile

	local work=$cache/build-$K8S_VERSION
	rm -rf "$work"
	mkdir -p "$work"
	say "fetching the kubernetes source package"
	(cd "$work" && apt-get source --download-only kubernetes >/dev/null 2>&1) ||
		die "apt-get source kubernetes failed (is there a deb-src entry for bookworm?)"
	local orig
	orig=$(ls "$work"/kubernetes_*really${K8S_VERSION}.orig.tar.gz 2>/dev/null | head -n1)
	[ -n "$orig" ] || die "the source package is not kubernetes $K8S_VERSION: $(ls "$work")"
	mkdir -p "$work/src"
	tar -xzf "$orig" -C "$work/src" --strip-components=1

	local src=$work/src
	local reflect2=/usr/share/gocode/src/github.com/modern-go/reflect2
	[ -d "$reflect2" ] || die "$reflect2 missing (package golang-github-modern-go-reflect2-dev)"
	rm -rf "$src/vendor/github.com/modern-go/reflect2"
	cp -r "$reflect2" "$src/vendor/github.com/modern-go/reflect2"

	mkdir -p "$src/.go/src/k8s.io"
	ln -sfn ../../.. "$src/.go/src/k8s.io/kubernetes"
	cat >"$work/version" <<VER
KUBE_GIT_COMMIT='faecb196815e248d3ecfb03c680a4507229c2a56'
KUBE_GIT_TREE_STATE='clean'
KUBE_GIT_VERSION='v$K8S_VERSION'
KUBE_GIT_MAJOR='1'
KUBE_GIT_MINOR='20'
VER
	say "building ${bins[*]} (about 5 minutes on 2 cores)"
	local start=$SECONDS
	(cd "$src" && env GOPATH="$src/.go" CGO_ENABLED=0 HOME="$work/home" \
		GOCACHE="$cache/go-build" KUBE_GIT_VERSION_FILE="$work/version" \
		make WHAT="cmd/kube-apiserver cmd/kube-controller-manager cmd/kubectl" \
		>"$work/build.log" 2>&1) ||
		die "the kubernetes build failed; see $work/build.log"
	mkdir -p "$bindir.tmp"
	local b
	for b in "${bins[@]}"; do cp "$src/_output/bin/$b" "$bindir.tmp/$b"; done
	rm -rf "$bindir"
	mv "$bindir.tmp" "$bindir"
	rm -rf "$work"
	say "built in $((SECONDS - start)) s into $bindir"
}


# Pick a TCP port nobody listens on, and that this run has not picked yet.
# Ports come from below the kernel's ephemeral range, so an outgoing
# connection (the apiserver's to etcd, say) cannot take one before its daemon
# binds it.
picked=" "
free_port() {
	local p low
	low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
	while :; do
		p=$((10000 + RANDOM % (low - 10000)))
		case $picked in *" $p "*) continue ;; esac
		if ! ss -Htln "sport = :$p" | grep -q .; then
			picked="$picked$p "
			echo "$p"
			return
		fi
	done
}

# Start a daemon in its own session, detached from our stdio, and record
# its pid under $dir/pids so `down` stops exactly it.
start() {
	local name=$1
	shift
	setsid "$@" </dev/null >"$dir/logs/$name.log" 2>&1 &
	echo $! >"$dir/pids/$name"
}

# Is the process recorded for `name` alive and still the one we started
# (its command line names this cluster's directory)?
owned_pid() {
	local f=$dir/pids/$1 pid
	[ -f "$f" ] || return 1
	pid=$(cat "$f")
	[ -r "/proc/$pid/cmdline" ] || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$dir" || return 1
	echo "$pid"
}

kcurl() {
	curl -sS --max-time 5 --cacert "$dir/pki/ca.crt" \
		-H "Authorization: Bearer $(cat "$dir/admin.token")" "$@"
}

ready() {
	[ -f "$dir/server" ] && [ "$(kcurl "$(cat "$dir/server")/readyz" 2>/dev/null)" = ok ]
}

# Wait until a command succeeds, failing early when the daemon `name` died.
wait_for() {
	local name=$1 tries=$2
	shift 2
	while ! "$@" >/dev/null 2>&1; do
		tries=$((tries - 1))
		if ! owned_pid "$name" >/dev/null; then
			tail -n 5 "$dir/logs/$name.log" >&2 || true
			die "$name exited; its log is $dir/logs/$name.log"
		fi
		if [ $tries -le 0 ]; then
			die "$name did not come up; logs in $dir/logs"
		fi
		sleep 0.5
	done
}

gen_pki() {
	local pki=$dir/pki
	mkdir -p "$pki"
	(
		cd "$pki"
		openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 365 \
			-subj "/CN=berth-local-ca" 2>/dev/null
		openssl req -newkey rsa:2048 -nodes -keyout apiserver.key -out apiserver.csr \
			-subj "/CN=kube-apiserver" 2>/dev/null
		printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,IP:10.0.0.1,DNS:kubernetes.default.svc\n' >san.ext
		openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
			-out apiserver.crt -days 365 -extfile san.ext 2>/dev/null
		# A client certificate for the admin: CN is the user, O the group.
		openssl req -newkey rsa:2048 -nodes -keyout admin.key -out admin.csr \
			-subj "/O=system:masters/CN=admin-cert" 2>/dev/null
		openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
			-out admin.crt -days 365 2>/dev/null
		openssl genrsa -out sa.key 2048 2>/dev/null
		openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
		rm -f ./*.csr san.ext
	)
	openssl rand -hex 24 >"$dir/admin.token"
	openssl rand -hex 24 >"$dir/user.token"
	# token,user,uid,"groups": an admin, and a plain user with no groups for RBAC tests.
	printf '%s,admin,uid-admin,"system:masters"\n%s,alice,uid-alice\n' \
		"$(cat "$dir/admin.token")" "$(cat "$dir/user.token")" >"$dir/pki/tokens.csv"
	chmod 600 "$dir"/*.token "$dir"/pki/*.key "$dir/pki/tokens.csv"
}

# Contexts: admin (token, the default), alice (plain user, token) and
# admin-cert (client certificate). Paths are relative to the kubeconfig.
write_kubeconfig() {
	cat >"$dir/kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: $(cat "$dir/server")
    certificate-authority: pki/ca.crt
users:
- name: admin
  user:
    token: $(cat "$dir/admin.token")
- name: alice
  user:
    token: $(cat "$dir/user.token")
- name: admin-cert
  user:
    client-certificate: pki/admin.crt
    client-key: pki/admin.key
contexts:
- name: admin
  context: {cluster: local, user: admin}
- name: alice
  context: {cluster: local, user: alice}
- name: admin-cert
  context: {cluster: local, user: admin-cert}
current-context: admin
KC
	chmod 600 "$dir/kubeconfig"
}

# Start kube-apiserver on the port in $dir/server, against the etcd in
# $dir/etcd-server, and wait until it answers /readyz. `up` and
# `start-apiserver` both start it here, so a restarted one is the same server.
start_apiserver() {
	local api_port etcd
	api_port=$(sed 's/.*://' "$dir/server")
	etcd=$(etcd_server) || die "no etcd address for $name: is its etcd running?"
	say "starting kube-apiserver $K8S_VERSION on 127.0.0.1:$api_port"
	start kube-apiserver "$bindir/kube-apiserver" \
		--etcd-servers "$etcd" \
		--bind-address 127.0.0.1 --advertise-address 127.0.0.1 \
		--secure-port "$api_port" --insecure-port 0 \
		--tls-cert-file "$dir/pki/apiserver.crt" \
		--tls-private-key-file "$dir/pki/apiserver.key" \
		--client-ca-file "$dir/pki/ca.crt" \
		--token-auth-file "$dir/pki/tokens.csv" \
		--authorization-mode Node,RBAC \
		--service-account-key-file "$dir/pki/sa.pub" \
		--service-account-signing-key-file "$dir/pki/sa.key" \
		--service-account-issuer https://kubernetes.default.svc \
		--service-cluster-ip-range 10.0.0.0/24 \
		--allow-privileged=true --endpoint-reconciler-type none \
		--audit-policy-file "$dir/audit-policy.yaml" \
		--audit-log-path "$dir/audit.log" --audit-log-format json \
		--audit-log-maxsize 4096
	wait_for kube-apiserver 240 ready
}

# The etcd client URL: recorded by `up`, or read from the running etcd's
# command line for a cluster an older cluster.sh started.
etcd_server() {
	local pid
	if [ -f "$dir/etcd-server" ]; then
		cat "$dir/etcd-server"
		return
	fi
	pid=$(owned_pid etcd) || return 1
	tr '\0' '\n' <"/proc/$pid/cmdline" | grep -A1 -x -- --advertise-client-urls | sed -n 2p
}

cmd_up() {
	if ready; then
		say "$name is already up at $(cat "$dir/server")"
		return 0
	fi
	cmd_build
	cmd_down >/dev/null 2>&1 || true
	# A failed start stops what it started.
	trap 'cmd_down >/dev/null 2>&1' EXIT
	rm -rf "$dir"
	mkdir -p "$dir/logs" "$dir/pids" "$dir/etcd"
	gen_pki
	local etcd_port etcd_peer api_port kcm_port
	etcd_port=$(free_port)
	etcd_peer=$(free_port)
	api_port=$(free_port)
	kcm_port=$(free_port)
	echo "https://127.0.0.1:$api_port" >"$dir/server"
	echo "http://127.0.0.1:$etcd_port" >"$dir/etcd-server"

	cat >"$dir/audit-policy.yaml" <<'POL'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
- level: Metadata
POL

	say "starting etcd on 127.0.0.1:$etcd_port"
	start etcd etcd --name "berth-$name" --data-dir "$dir/etcd" \
		--listen-client-urls "http://127.0.0.1:$etcd_port" \
		--advertise-client-urls "http://127.0.0.1:$etcd_port" \
		--listen-peer-urls "http://127.0.0.1:$etcd_peer" \
		--initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" \
		--initial-cluster "berth-$name=http://127.0.0.1:$etcd_peer"
	wait_for etcd 60 curl -sf "http://127.0.0.1:$etcd_port/health"

	start_apiserver
	write_kubeconfig

	say "starting kube-controller-manager"
	start kube-controller-manager "$bindir/kube-controller-manager" \
		--kubeconfig "$dir/kubeconfig" \
		--service-account-private-key-file "$dir/pki/sa.key" \
		--root-ca-file "$dir/pki/ca.crt" \
		--controllers '*,-nodeipam,-nodelifecycle,-ttl' \
		--leader-elect=false --use-service-account-credentials=false \
		--bind-address 127.0.0.1 --secure-port "$kcm_port" --port 0

	start kubelet "$here/kubelet.sh" "$dir"
	# The controller manager is working once it made the default ServiceAccount.
	wait_for kube-controller-manager 240 \
		kcurl -f "$(cat "$dir/server")/api/v1/namespaces/default/serviceaccounts/default"
	trap - EXIT
	say "$name is up at $(cat "$dir/server"); state in $dir"
	say "use it with: eval \"\$($0 env $name)\""
}

cmd_down() {
	local p pid stopped=0
	[ -d "$dir/pids" ] || {
		say "$name is not running"
		return 0
	}
	for p in kubelet kube-controller-manager kube-apiserver etcd; do
		pid=$(owned_pid "$p") || continue
		kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.2
		done
		kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
		stopped=$((stopped + 1))
	done
	rm -rf "$dir/pids"
	say "$name stopped ($stopped processes); state left in $dir"
}

cmd_env() {
	[ -f "$dir/kubeconfig" ] || die "$name has never been up: run '$0 up $name'"
	printf "export KUBECONFIG='%s'\n" "$dir/kubeconfig"
	printf "export BERTH_CLUSTER_DIR='%s'\n" "$dir"
	printf "export BERTH_KUBECTL='%s'\n" "$bindir/kubectl"
}

cmd_status() {
	if ready; then
		echo "$name: up at $(cat "$dir/server"), state in $dir"
		return 0
	fi
	echo "$name: down"
	return 1
}

# Kill the apiserver with SIGKILL, as a crash would, and wait until it is
# gone; etcd, the controller manager and the kubelet stand-in keep running.
cmd_kill_apiserver() {
	local pid tries=100
	pid=$(owned_pid kube-apiserver) || die "$name has no kube-apiserver running"
	kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
	# owned_pid, not kill -0: a dead child nobody reaped yet is not running.
	while owned_pid kube-apiserver >/dev/null; do
		tries=$((tries - 1))
		[ $tries -gt 0 ] || die "kube-apiserver (pid $pid) survived SIGKILL"
		sleep 0.1
	done
	say "$name: kube-apiserver (pid $pid) killed"
}

# Start the apiserver `kill-apiserver` stopped, with the same flags and port.
cmd_start_apiserver() {
	if [ ! -f "$dir/server" ] || ! owned_pid etcd >/dev/null; then
		die "$name is not up: run '$0 up $name'"
	fi
	if owned_pid kube-apiserver >/dev/null; then
		die "$name already runs a kube-apiserver"
	fi
	start_apiserver
	say "$name: kube-apiserver is up again at $(cat "$dir/server")"
}

name=${2:-default}
case $name in
*/* | .* | "") die "bad cluster name '$name'" ;;
esac
dir=$clusters/$name

case "${1:-}" in
build) cmd_build ;;
up) cmd_up ;;
down) cmd_down ;;
env) cmd_env ;;
status) cmd_status ;;
kill-apiserver) cmd_kill_apiserver ;;
start-apiserver) cmd_start_apiserver ;;
*) die "usage: cluster.sh build|up|down|env|status|kill-apiserver|start-apiserver [NAME]" ;;
esac
