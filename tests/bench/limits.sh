#!/usr/bin/env bash
# The limits of a commit, measured: what berth lint costs at the default
# limits (64 MiB of manifests, 20,000 objects) and past them, beside
# kubectl reading the same files (`kubectl create --dry-run=client -o name`,
# which needs discovery: on the local control plane `bench`).
#
#   at the limit  20,000 ConfigMaps of about 3 KB, 60 MiB in 8 files
#   past it       200,000 small ConfigMaps in 4 files, each under 8 MiB
#
# Figures only: wall time and peak RSS, in one run.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

release_build berth
berth=$root/build/release/berth
bench_cluster
work=$(mktemp -d)
cleanup() {
	[ -z "$started" ] || "$root/deploy/local/cluster.sh" down "$cluster" >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT

value=$(head -c 2200 /dev/zero | tr '\0' x)
mkdir "$work/at" "$work/past"
for f in $(seq 0 7); do
	for i in $(seq 2500); do
		printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm-%d-%d}\ndata: {v: "%s"}\n---\n' \
			"$f" "$i" "$value"
	done >"$work/at/$f.yaml"
done
for f in 0 1 2 3; do
	for i in $(seq 50000); do
		printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c%d-%d}\n---\n' "$f" "$i"
	done >"$work/past/$f.yaml"
done

# measure WHAT CMD...: wall seconds, peak RSS in MiB, and the exit status.
measure() {
	local what=$1 status=0
	shift
	/usr/bin/time -f '%e %M' -o "$work/time" "$@" >"$work/out" 2>"$work/err" || status=$?
	read -r secs kb < <(tail -1 "$work/time")
	printf '%-40s %8s s %8d MiB   exit %d\n' "$what" "$secs" $((kb / 1024)) "$status"
}

echo "== at the limit: $(du -sh "$work/at" | cut -f1), $(grep -c '^kind:' "$work"/at/*.yaml | awk -F: '{n += $2} END {print n}') objects"
measure "berth lint" "$berth" lint "$work/at"
measure "kubectl create --dry-run=client" "$BERTH_KUBECTL" create --dry-run=client -o name -f "$work/at"
echo "== past the limit: $(du -sh "$work/past" | cut -f1), $(grep -c '^kind:' "$work"/past/*.yaml | awk -F: '{n += $2} END {print n}') objects"
measure "berth lint (refused)" "$berth" lint "$work/past"
grep -m1 "more than" "$work/out" || :
measure "kubectl create --dry-run=client" "$BERTH_KUBECTL" create --dry-run=client -o name -f "$work/past"
