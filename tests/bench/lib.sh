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
