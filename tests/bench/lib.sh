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
