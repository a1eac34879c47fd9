#!/usr/bin/env bash
# berth sync and berth diff side by side with kubectl 1.20.2 on the same
# local control plane, in one run: a first sync of N objects (ConfigMaps,
# headless Services and StatefulSets, a third each) against `kubectl apply
# -f` and `kubectl rollout status` of each StatefulSet, the same without the
# waits (`--wait=false`) against `kubectl apply -f` alone, a no-op sync
# against `kubectl apply -f` run again, and `berth diff` against `kubectl
# diff`. Each tool has its own namespace. Wall time, API
# requests (from the audit log) and peak RSS. Figures only: nothing here
# passes or fails on time.
#
#   tests/bench/sync.sh [N]    N objects (default 1000)
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
n=${1:-1000}

release_build berth
berth=$root/build/release/berth
bench_cluster
work=$(mktemp -d)
cleanup() {
	kubectl delete namespace bench-berth bench-nowait bench-kubectl bench-kwait --wait=false >/dev/null 2>&1 || true
	kubectl delete storageclass bench-local >/dev/null 2>&1 || true
	[ -z "$started" ] || "$root/deploy/local/cluster.sh" down "$cluster" >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT
kubectl() { "$BERTH_KUBECTL" "$@"; }
audit=$BERTH_CLUSTER_DIR/audit.log

# N objects in files of 100 documents; no namespace, so -n picks it.
mkdir "$work/manifests"
for ((i = 0; i < n; i++)); do
	f=$work/manifests/$(printf '%03d' $((i / 100))).yaml
	case $((i % 3)) in
	0) cat <<EOF ;;
apiVersion: v1
kind: ConfigMap
metadata:
  name: config-$i
  labels: {app: bench, shard: "$((i % 7))"}
data:
  index: "$i"
  settings.conf: |
    listen 8080
    workers 4
    name config-$i
---
EOF
	1) cat <<EOF ;;
apiVersion: v1
kind: Service
metadata:
  name: db-$i
  labels: {app: db-$i}
spec:
  clusterIP: None
  selector: {app: db-$i}
  ports:
  - name: sql
    port: 5432
---
EOF
	2) cat <<EOF ;;
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db-$((i - 1))
spec:
  serviceName: db-$((i - 1))
  replicas: 0
  selector:
    matchLabels: {app: db-$((i - 1))}
  template:
    metadata:
      labels: {app: db-$((i - 1))}
    spec:
      containers:
      - name: db
        image: postgres:13
        ports:
        - {name: sql, containerPort: 5432}
        env:
        - {name: PGDATA, value: /var/lib/postgresql/data/pgdata}
        resources:
          requests: {cpu: 100m, memory: 128Mi}
        volumeMounts:
        - {name: data, mountPath: /var/lib/postgresql/data}
  volumeClaimTemplates:
  - metadata:
      name: data
    spec:
      storageClassName: bench-local
      accessModes: [ReadWriteOnce]
      resources:
        requests: {storage: 1Gi}
---
EOF
	esac >>"$f"
done
for ns in bench-berth bench-nowait bench-kubectl bench-kwait; do kubectl create namespace $ns >/dev/null; done
kubectl apply -f - >/dev/null <<EOF
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: bench-local
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: WaitForFirstConsumer
EOF

# measure NAME AGENT CMD...: run CMD, and record its wall time, peak RSS and
# the requests whose user agent starts with AGENT.
declare -A wall rss reqs dry
measure() {
	local name=$1 agent=$2 from to status
	shift 2
	from=$(audit_mark "$name-before")
	status=0
	/usr/bin/time -f '%e %M' -o "$work/time" "$@" >"$work/out" 2>&1 || status=$?
	# `diff` exits 1 on drift; anything else is a failure of the benchmark.
	if [ "$status" -gt 1 ] || { [ "$status" = 1 ] && [[ $name != *diff* ]]; }; then
		echo "$name: $* exited $status" >&2
		tail -5 "$work/out" >&2
		exit 1
	fi
	to=$(audit_mark "$name-after")
	read -r wall[$name] rss[$name] < <(tail -1 "$work/time")
	reqs[$name]=$(sed -n "$((from + 1)),$((to - 1))p" "$audit" |
		jq -r --arg a "$agent" 'select(.stage == "ResponseComplete")
			| select(.userAgent | startswith($a)) | .auditID' | sort -u | wc -l)
	dry[$name]=$(sed -n "$((from + 1)),$((to - 1))p" "$audit" |
		jq -r --arg a "$agent" 'select(.stage == "ResponseComplete")
			| select(.userAgent | startswith($a))
			| select(.requestURI | contains("dryRun=All")) | .auditID' | sort -u | wc -l)
}

# Wait until the controller has observed every StatefulSet, so that each run
# measures its tool, not the controller's backlog of the run before.
settle() {
	until [ "$(kubectl get statefulsets -A -o json | jq '[.items[] | select(.status.observedGeneration
		!= .metadata.generation)] | length')" = 0 ]; do sleep 1; done
}

echo "== $n objects ($((n - 2 * (n / 3))) ConfigMaps, $((n / 3)) headless Services, $((n / 3)) StatefulSets) in $(ls "$work/manifests" | wc -l) files"
measure berth-first berth/ "$berth" sync -f "$work/manifests" -n bench-berth
measure berth-nowait berth/ "$berth" sync --wait=false -f "$work/manifests" -n bench-nowait
settle
measure kubectl-nowait kubectl/ kubectl apply -f "$work/manifests" -n bench-kubectl
settle
# What berth's first sync does, done with kubectl: apply, then wait for each
# StatefulSet's rollout.
measure kubectl-first kubectl/ bash -c 'set -e
	"$BERTH_KUBECTL" apply -f "$1" -n bench-kwait
	"$BERTH_KUBECTL" get statefulsets -n bench-kwait -o name |
		xargs -n1 "$BERTH_KUBECTL" rollout status -n bench-kwait' - "$work/manifests"
settle
measure berth-noop berth/ "$berth" sync -f "$work/manifests" -n bench-berth
measure kubectl-noop kubectl/ kubectl apply -f "$work/manifests" -n bench-kubectl
measure berth-diff berth/ "$berth" diff -f "$work/manifests" -n bench-berth
measure kubectl-diff kubectl/ kubectl diff -f "$work/manifests" -n bench-kubectl
grep -q "$n objects: 0 created, 0 configured, 0 recreated, $n unchanged" <(
	"$berth" sync -f "$work/manifests" -n bench-berth) || {
	echo "berth sync: not in sync after two syncs" >&2
	exit 1
}

echo
printf '%-12s %10s %10s %8s %10s %10s %12s %12s\n' "" "berth s" "kubectl s" "ratio" \
	"berth req" "kubectl req" "berth RSS" "kubectl RSS"
for step in "first sync:first" "--wait=false:nowait" "no-op sync:noop" "diff:diff"; do
	b=berth-${step#*:} k=kubectl-${step#*:}
	printf '%-12s %10s %10s %7.1fx %10s %10s %9d MiB %9d MiB\n' "${step%:*}" \
		"${wall[$b]}" "${wall[$k]}" "$(awk "BEGIN { print ${wall[$k]} / ${wall[$b]} }")" \
		"${reqs[$b]}" "${reqs[$k]}" $((rss[$b] / 1024)) $((rss[$k] / 1024))
done
echo "(ratio: kubectl's wall time over berth's. first sync: berth sync, which waits after"
echo " each phase until its objects are ready (here until the controller has observed every"
echo " StatefulSet), against kubectl apply -f followed by kubectl rollout status of each"
echo " StatefulSet. --wait=false: berth applies the phases in order without waiting, against"
echo " kubectl apply -f alone. berth sends every write twice: a dry run of the whole commit first.)"
echo "dry runs that confirm local drift: no-op sync ${dry[berth-noop]}, diff ${dry[berth-diff]}" \
	"(an object in sync locally costs none)"
