#!/usr/bin/env bash
# berth's kustomize build beside `kubectl kustomize` (kubectl 1.32's
# kustomize v5.5.0, the kubectl on PATH), in one run (issue 25):
#
#   build    a base of N objects (ConfigMaps, headless Services and
#            StatefulSets, a third each; two of the ConfigMaps made by
#            configMapGenerators) and 3 overlays, each with namespace,
#            namePrefix, commonLabels, images, replicas, a strategic merge
#            patch with a target and a JSON 6902 patch: `berth build` and
#            `kubectl kustomize` of each overlay and of a kustomization of
#            all three, wall time and peak RSS, the median of R runs; and,
#            once, whether both print the same objects (compared parsed, by
#            python3's yaml) in the same order.
#   sync     a no-op `berth sync` of overlay a (N objects, in namespace
#            bench-kz) against one of the same objects as a plain file
#            (what `berth build` printed), the median of R runs each. No-op: the
#            kustomization is synced first.
#   Each berth build and kustomization sync is timed twice: afresh (berth's
#   kept builds removed first: the first build of a commit) and with the
#   kept build (the folder unchanged since the last build).
#
# Figures only: nothing here passes or fails on time.
#
#   tests/bench/kustomize.sh [N [R]]    N objects (default 1000), R runs (5)
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
n=${1:-1000}
runs=${2:-5}

bench_start bench-kz
kz=$(command -v kubectl) # not $BERTH_KUBECTL: kubectl 1.20 lacks kustomize v5

# The base: N - 2 objects in files of 100 documents, and a generator of two
# ConfigMaps, which every StatefulSet mounts (a name reference to a hash).
mkdir -p "$work/base" "$work/overlays/all"
for ((i = 0; i < n - 2; i++)); do
	f=$work/base/$(printf '%03d' $((i / 100))).yaml
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
  labels: {app: db-$i, tier: db}
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
  labels: {tier: db}
spec:
  serviceName: db-$((i - 1))
  replicas: 0
  selector:
    matchLabels: {app: db-$((i - 1))}
  template:
    metadata:
      labels: {app: db-$((i - 1))}
    spec:
      initContainers:
      - name: init
        image: busybox:1.36
        command: [sh, -c, "cp /settings/* /work/"]
        volumeMounts:
        - {name: settings, mountPath: /settings}
      containers:
      - name: db
        image: postgres:13
        ports:
        - {name: sql, containerPort: 5432}
        env:
        - {name: PGDATA, value: /var/lib/postgresql/data/pgdata}
        envFrom:
        - configMapRef: {name: db-env}
        resources:
          requests: {cpu: 100m, memory: 128Mi}
        volumeMounts:
        - {name: settings, mountPath: /etc/db}
      volumes:
      - name: settings
        configMap: {name: db-settings}
---
EOF
	esac >>"$f"
done
files=$(cd "$work/base" && ls)
{
	cat <<EOF
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
EOF
	for f in $files; do echo "- $f"; done
	cat <<EOF
configMapGenerator:
- name: db-settings
  literals:
  - max_connections=100
  - shared_buffers=128MB
- name: db-env
  literals:
  - POSTGRES_DB=app
  - POSTGRES_USER=app
EOF
} >"$work/base/kustomization.yaml"

# Overlay a goes to the bench's namespace, which bench_start made and
# deletes; b and c are only built.
for o in a b c; do
	case $o in a) ns=bench-kz ;; *) ns=bench-kz-$o ;; esac
	mkdir "$work/overlays/$o"
	cat >"$work/overlays/$o/kustomization.yaml" <<EOF
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- ../../base
namespace: $ns
namePrefix: $o-
commonLabels:
  env: $o
images:
- name: postgres
  newTag: "16"
- name: busybox
  newName: registry.example/$o/busybox
replicas:
- name: db-1
  count: 1
- name: db-4
  count: 1
patches:
- target:
    kind: StatefulSet
    labelSelector: tier=db
  patch: |-
    apiVersion: apps/v1
    kind: StatefulSet
    metadata:
      name: any
    spec:
      template:
        spec:
          containers:
          - name: db
            env:
            - {name: OVERLAY, value: $o}
            resources:
              limits: {memory: 512Mi}
- target:
    kind: ConfigMap
    labelSelector: shard in (1,2)
  patch: |-
    - op: add
      path: /data/overlay
      value: $o
    - op: replace
      path: /metadata/labels/app
      value: bench-$o
EOF
done
printf 'resources:\n- ../a\n- ../b\n- ../c\n' >"$work/overlays/all/kustomization.yaml"

# median: the middle of the numbers on stdin.
median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2)}'; }

# measure NAME CMD...: run CMD R times; sets secs[NAME] and kb[NAME] to the
# median wall time and peak RSS. Its output of the last run is in
# $work/NAME.out.
declare -A secs kb
measure() {
	local name=$1 r
	shift
	: >"$work/$name.times"
	for ((r = 0; r < runs; r++)); do
		/usr/bin/time -f '%e %M' -o "$work/time" "$@" >"$work/$name.out" 2>"$work/err" || {
			echo "$name: $* failed" >&2
			tail -5 "$work/err" >&2
			exit 1
		}
		tail -1 "$work/time" >>"$work/$name.times"
	done
	secs[$name]=$(cut -d' ' -f1 "$work/$name.times" | median)
	kb[$name]=$(cut -d' ' -f2 "$work/$name.times" | median)
}

# same A B: whether two multi-document YAML files hold equal objects, in the
# same order.
same() {
	python3 - "$1" "$2" <<'EOF'
import sys, yaml
a, b = ([d for d in yaml.safe_load_all(open(p)) if d is not None] for p in sys.argv[1:])
print("yes" if a == b else "no (%d and %d objects)" % (len(a), len(b)))
EOF
}

# fresh CMD...: CMD with no kept build (berth's kustomize cache emptied
# first): what a build costs the first time, or after a commit.
cat >"$work/fresh" <<EOF
#!/bin/sh
rm -rf "\${XDG_CACHE_HOME:?}/berth/kustomize"
exec "\$@"
EOF
chmod +x "$work/fresh"

echo "== build: a base of $n objects ($(du -sh "$work/base" | cut -f1) in $(wc -w <<<"$files") files, 2 generated) and 3 overlays; median of $runs runs"
printf '%-14s %9s %9s %11s %10s %12s %8s  %s\n' "" "berth s" "kept s" "kubectl s" "berth MiB" "kubectl MiB" "ratio" "outputs equal"
for o in a b c all; do
	measure "berth-$o" "$work/fresh" "$berth" build "$work/overlays/$o"
	measure "kept-$o" "$berth" build "$work/overlays/$o"
	measure "kubectl-$o" "$kz" kustomize "$work/overlays/$o"
	printf '%-14s %9s %9s %11s %10d %12d %7.1fx  %s\n' "overlay $o" "${secs[berth-$o]}" \
		"${secs[kept-$o]}" "${secs[kubectl-$o]}" $((kb[berth-$o] / 1024)) $((kb[kubectl-$o] / 1024)) \
		"$(awk "BEGIN { print ${secs[kubectl-$o]} / (${secs[berth-$o]} > 0 ? ${secs[berth-$o]} : 0.005) }")" \
		"$(same "$work/berth-$o.out" "$work/kubectl-$o.out")$(cmp -s "$work/berth-$o.out" "$work/kept-$o.out" || echo ', kept build DIFFERS')"
done
echo "(berth s: built afresh, its kept build removed first; kept s: built again, the kept build"
echo " used. ratio: kubectl's wall time over berth's afresh. overlay all: a kustomization of the three,"
echo " $(grep -c '^kind:' "$work/berth-all.out") objects. outputs equal: the documents of both, parsed by python3's"
echo " yaml, compared object for object in the order printed; byte-identical:" \
	"$(cmp -s "$work/berth-a.out" "$work/kubectl-a.out" && echo yes || echo no) for overlay a)"

# The sync: the same objects from the kustomization and from a plain file,
# at the same path relative to each run's directory (overlays/a in $work and
# in $work/plain): berth.io/source names the path given to -f, and a sync
# from another path would take each object over.
mkdir -p "$work/plain/overlays/a"
cp "$work/berth-a.out" "$work/plain/overlays/a/objects.yaml"
cd "$work"
"$berth" sync -f overlays/a --timeout 300s >"$work/first.out" 2>&1 || {
	echo "first sync of overlay a failed" >&2
	tail -5 "$work/first.out" >&2
	exit 1
}
for dir in "$work" "$work/plain"; do
	cd "$dir"
	"$berth" sync -f overlays/a >"$work/again.out" 2>&1 || :
	grep -q "$n objects: 0 created, 0 configured, 0 recreated, $n unchanged" "$work/again.out" || {
		echo "berth sync -f overlays/a in $dir: not a no-op after the first sync" >&2
		tail -5 "$work/again.out" >&2
		exit 1
	}
done
cd "$work"
measure sync-kz "$berth" sync -f overlays/a
measure sync-kz-fresh "$work/fresh" "$berth" sync -f overlays/a
cd "$work/plain"
measure sync-plain "$berth" sync -f overlays/a
cd "$root"
echo
echo "== no-op sync of overlay a ($n objects, $(grep -c '^kind: StatefulSet' "$work/plain/overlays/a/objects.yaml") StatefulSets, 2 of 1 replica, the rest of 0); median of $runs runs"
printf '%-36s %9s %10s\n' "" "wall s" "peak MiB"
printf '%-36s %9s %10d\n' "berth sync, kustomization (kept)" "${secs[sync-kz]}" $((kb[sync-kz] / 1024))
printf '%-36s %9s %10d\n' "berth sync, kustomization (afresh)" "${secs[sync-kz-fresh]}" $((kb[sync-kz-fresh] / 1024))
printf '%-36s %9s %10d\n' "berth sync, plain file" "${secs[sync-plain]}" $((kb[sync-plain] / 1024))
awk "BEGIN { printf \"kustomization over plain: %.2fx wall, %.2fx peak RSS (kept build); %.2fx wall (afresh)\n\", \
	${secs[sync-kz]} / ${secs[sync-plain]}, ${kb[sync-kz]} / ${kb[sync-plain]}, ${secs[sync-kz-fresh]} / ${secs[sync-plain]} }"
