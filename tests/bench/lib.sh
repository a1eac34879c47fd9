# What the benchmarks share. Source it; it sets `root`, the source tree.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# Install what is missing and build `targets` in build/release.
release_build() { # targets...
	"$root/deploy/local/deps.sh" >/dev/null
	cmake -S "$root" -B "$root/build/release" -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build "$root/build/release" --target "$@" -j"$(nproc)" >/dev/null
}

# Use the local control plane named $BERTH_BENCH_CLUSTER (default bench),
# starting it when it is down: `started` is then set, for the caller's
# cleanup to stop it. Exports what `cluster.sh env` prints.
bench_cluster() {
	cluster=${BERTH_BENCH_CLUSTER:-bench}
	started=
	if ! "$root/deploy/local/cluster.sh" status "$cluster" >/dev/null 2>&1; then
		"$root/deploy/local/cluster.sh" up "$cluster" 2>/dev/null
		started=1
	fi
	eval "$("$root/deploy/local/cluster.sh" env "$cluster")"
}

# The frame of a benchmark of berth on namespace NS: builds berth (`berth`),
# brings the cluster up (`kubectl` runs its kubectl), and makes `work` (a
# scratch directory, berth's cache in it) and NS anew. PIDS name variables
# that hold the pids of the benchmark's processes, empty until they start;
# at exit, bench_stop kills those that are set, deletes NS and `work`, and
# stops the cluster if bench_cluster started it.
bench_start() { # namespace pid-variable...
	local v
	release_build berth
	berth=$root/build/release/berth
	bench_cluster
	kubectl=${BERTH_KUBECTL:-kubectl}
	ns=$1
	shift
	bench_pids=("$@")
	for v in "$@"; do printf -v "$v" '%s' ''; done
	work=$(mktemp -d)
	trap bench_stop EXIT
	export XDG_CACHE_HOME=$work/cache
	"$kubectl" delete namespace "$ns" --ignore-not-found --wait=true >/dev/null
	"$kubectl" create namespace "$ns" >/dev/null
}
bench_stop() {
	local v
	for v in "${bench_pids[@]}"; do
		[ -z "${!v}" ] || kill "${!v}" 2>/dev/null || true
	done
	"$kubectl" delete namespace "$ns" --ignore-not-found --wait=false >/dev/null 2>&1 || true
	rm -rf "$work"
	[ -z "$started" ] || "$root/deploy/local/cluster.sh" down "$cluster" >/dev/null 2>&1
}

# An audit sentinel, as in tests/e2e/lib.sh: a request only this run makes,
# waited for until the audit log holds it. Prints its line number; the
# requests of a command run between two marks lie between the two lines.
audit_mark() { # name
	local id="bench-mark-$1-$$-$RANDOM" deadline=$((SECONDS + 30))
	"$BERTH_KUBECTL" get --raw "/api/v1/namespaces/default/configmaps/$id" >/dev/null 2>&1 ||
		: # a 404, which the log holds like any other request
	until grep -qF "$id" "$BERTH_CLUSTER_DIR/audit.log"; do
		[ $SECONDS -lt $deadline ] || { echo "no marker $id in the audit log in 30 s" >&2; exit 1; }
		sleep 0.1
	done
	grep -nF "$id" "$BERTH_CLUSTER_DIR/audit.log" | tail -1 | cut -d: -f1
}
# The requests received between two marks (the marks' own left out) from
# clients whose user agent starts with AGENT (berth/, kubectl/, curl/): one
# "time verb URI" line each, in the order the server received them. A watch
# logs when it starts and when it ends: each request counts once, and only
# when received after FROM's mark. None prints nothing.
audit_requests() { # from to agent
	local since
	[ "$2" -gt $(($1 + 1)) ] || return 0
	since=$(sed -n "$1{p;q}" "$BERTH_CLUSTER_DIR/audit.log" | jq -r .requestReceivedTimestamp)
	sed -n "$(($1 + 1)),$(($2 - 1))p" "$BERTH_CLUSTER_DIR/audit.log" |
		jq -r --arg a "$3" --arg since "$since" '
			select((.userAgent // "") | startswith($a))
			| select(.requestReceivedTimestamp > $since)
			| "\(.auditID) \(.requestReceivedTimestamp) \(.verb) \(.requestURI)"' |
		sort -u -k1,1 | cut -d' ' -f2- | sort
}
