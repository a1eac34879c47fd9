#!/usr/bin/env bash
# A no-op `berth sync` of N ConfigMaps beside the floor, in one run: one
# LIST of the same ConfigMaps with curl (what any tool has to fetch at
# least), and `kubectl apply -f` of the same files run again. Issue 26's
# "no-op sync of 1,000 / 5,000 ConfigMaps, against one curl LIST". Median
# wall time of R runs. Figures only: nothing here passes or fails on time.
#
#   tests/bench/noop.sh ["N..." [R]]    sizes (default "1000 5000"), R runs (5)
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
sizes=${1:-1000 5000}
runs=${2:-5}

bench_start bench-noop
server=$(cat "$BERTH_CLUSTER_DIR/server")
token=$BERTH_CLUSTER_DIR/admin.token
ca=$BERTH_CLUSTER_DIR/pki/ca.crt

# median: the middle of the numbers on stdin.
median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2)}'; }
# measure CMD...: the median wall time of R runs of CMD, in seconds (to
# the ms: time(1)'s hundredths are a fifth of the floor at 1,000).
measure() {
	local r t0
	for ((r = 0; r < runs; r++)); do
		t0=${EPOCHREALTIME/./}
		"$@" >/dev/null 2>"$work/err" || {
			echo "$* failed:" >&2
			tail -5 "$work/err" >&2
			exit 1
		}
		echo $(((${EPOCHREALTIME/./} - t0) / 1000))
	done | median | awk '{printf "%.3f\n", $1 / 1000}'
}

echo "== no-op sync of N ConfigMaps (files of 100), median of $runs runs"
printf '%8s %10s %12s %14s %14s\n' N "floor s" "berth s" "berth/floor" "kubectl s"
for n in $sizes; do
	dir=$work/cm-$n
	mkdir -p "$dir"
	for ((i = 0; i < n; i++)); do
		printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-%d\n  labels: {app: bench}\ndata:\n  index: "%d"\n  settings: |\n    listen 8080\n    name cm-%d\n---\n' \
			"$i" "$i" "$i" >>"$dir/$(printf '%03d' $((i / 100))).yaml"
	done
	"$kubectl" delete namespace "$ns-$n" --ignore-not-found --wait=true >/dev/null
	"$kubectl" create namespace "$ns-$n" >/dev/null
	"$berth" sync -n "$ns-$n" -f "$dir" >/dev/null 2>&1 || { echo "first sync of $n failed" >&2; exit 1; }
	f=$(measure curl -sf --cacert "$ca" -H "Authorization: Bearer $(cat "$token")" \
		-o /dev/null "$server/api/v1/namespaces/$ns-$n/configmaps")
	b=$(measure "$berth" sync -n "$ns-$n" -f "$dir")
	k=$(measure "$kubectl" apply -n "$ns-$n" -f "$dir")
	printf '%8d %10s %12s %13.1fx %14s\n' "$n" "$f" "$b" "$(awk "BEGIN { print $b / ($f > 0 ? $f : 0.005) }")" "$k"
	"$kubectl" delete namespace "$ns-$n" --wait=false >/dev/null
done
