#!/usr/bin/env bash
# Benchmarks, printed side by side with kubectl 1.20.2 on the same local
# control plane, in one run. Figures only: nothing here passes or fails on
# time (the machines are noisy).
#
#   tests/bench/run.sh [N]    N objects (default 10000, about 20 MB of YAML)
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
n=${1:-10000}

release_build bench_diff
bench_cluster
work=$(mktemp -d)
trap '[ -n "$started" ] && "$root/deploy/local/cluster.sh" down "$cluster" >/dev/null 2>&1; rm -rf "$work"' EXIT

echo "== diff engine: load $n manifests and diff them against a live copy (1% changed)"
"$root/build/release/tests/bench_diff" generate "$work" "$n"
"$root/build/release/tests/bench_diff" measure "$work"
echo
echo "== kubectl $("$BERTH_KUBECTL" version --client --short | cut -d' ' -f3) on the same files"
echo "   (apply --dry-run=client: reads, decodes and prepares every object; it cannot diff"
echo "   without a server holding all $n objects)"
/usr/bin/time -f "kubectl load       %e s
kubectl peak RSS   %M KB" \
	"$BERTH_KUBECTL" apply --dry-run=client -o name -f "$work/manifests" >/dev/null
