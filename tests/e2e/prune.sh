#!/usr/bin/env bash
# berth sync --prune: deletes what left Git, in reverse phase order; keeps
# claims, volumes and namespaces unless asked; never touches claims a
# StatefulSet made; refuses an empty source; --dry-run deletes nothing.
. "$(dirname "$0")/lib.sh"

ns=berth-prune
cleanup() {
	kubectl delete namespace "$ns" --ignore-not-found --wait=true >/dev/null
	kubectl delete pv berth-prune-pv --ignore-not-found >/dev/null
}
cleanup
trap 'cleanup; rm -rf "$scratch"' EXIT

src=$scratch/app
mkdir -p "$src"
cat >"$src/namespace.yaml" <<YAML
apiVersion: v1
kind: Namespace
metadata: {name: $ns}
YAML
cat >"$src/config.yaml" <<YAML
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: $ns}
data: {mode: fast}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: extra, namespace: $ns}
data: {x: "1"}
YAML
volume_and_claim berth-prune "$ns" >"$src/storage.yaml"

note "the first sync creates everything"
run_berth sync -f "$src" --timeout 60s
[ "$STATUS" = 0 ] || fail "first sync exited $STATUS: $ERR"
# A claim berth did not apply, in the same namespace (as a StatefulSet makes).
# Its class is its own: with none, a default class a test beside this one
# makes would be written in, and the claim could take that test's volume.
kubectl apply -n "$ns" -f - >/dev/null <<'YAML'
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data-db-0, labels: {app: db}}
spec: {accessModes: [ReadWriteOnce], storageClassName: berth-prune-none, resources: {requests: {storage: 1Gi}}}
YAML

note "--prune --dry-run: says what it would delete, deletes nothing"
sed -i '/^---$/,$d' "$src/config.yaml"
run_berth sync -f "$src" --prune --dry-run
[ "$STATUS" = 0 ] || fail "dry-run prune exited $STATUS: $ERR"
assert_contains "$OUT" "configmap $ns/extra pruned (server dry run)" "dry-run prune line"
assert_eq "$(kubectl get configmap extra -n "$ns" -o name)" configmap/extra "ConfigMap after a dry run"

note "--prune deletes the ConfigMap that left Git"
run_berth sync -f "$src" --prune
[ "$STATUS" = 0 ] || fail "prune exited $STATUS: $ERR"
assert_contains "$OUT" "configmap $ns/extra pruned" "prune line"
assert_contains "$OUT" "1 pruned" "summary"
assert_eq "$(kubectl get configmap extra -n "$ns" --ignore-not-found -o name)" "" "pruned ConfigMap"

note "claims and volumes that left Git are kept, and say so"
rm "$src/storage.yaml"
run_berth sync -f "$src" --prune
[ "$STATUS" = 0 ] || fail "prune exited $STATUS: $ERR"
assert_contains "$OUT" "persistentvolumeclaim $ns/claim kept" "kept claim"
assert_contains "$OUT" "persistentvolume berth-prune-pv kept" "kept volume"
assert_eq "$(kubectl get pvc claim -n "$ns" -o name)" persistentvolumeclaim/claim "kept claim"
assert_eq "$(kubectl get pvc data-db-0 -n "$ns" -o name)" persistentvolumeclaim/data-db-0 \
	"a claim berth never applied"
assert_not_contains "$OUT" "data-db-0" "a claim berth never applied"

note "an annotated claim may go"
kubectl annotate pvc claim -n "$ns" berth.io/prune=true >/dev/null
run_berth sync -f "$src" --prune
assert_contains "$OUT" "persistentvolumeclaim $ns/claim pruned" "annotated claim"

note "an empty source prunes nothing without --allow-empty"
mkdir "$scratch/empty"
run_berth sync -f "$scratch/empty" --prune
[ "$STATUS" = 1 ] || fail "empty prune exited $STATUS"
assert_contains "$ERR" "pass --allow-empty" "empty source message"
echo PASS
