#!/usr/bin/env bash
# Changing a StatefulSet's immutable fields without losing data: with
# berth.io/recreate: orphan, berth grows the claims (the class allows
# expansion), deletes the StatefulSet with its pods and claims orphaned, and
# creates it again. The claims keep their uids, the pods are not deleted, and
# the new spec is in place. Without the opt-in, the change is refused.
. "$(dirname "$0")/lib.sh"

ns=berth-recreate
cleanup() {
	kubectl delete namespace "$ns" --ignore-not-found --wait=true >/dev/null
	kubectl delete pv berth-recreate-0 berth-recreate-1 --ignore-not-found >/dev/null
	kubectl delete storageclass berth-expand --ignore-not-found >/dev/null
}
cleanup
trap 'cleanup; rm -rf "$scratch"' EXIT

write_manifests() { # serviceName storage [annotation]
	cat <<YAML
apiVersion: v1
kind: Namespace
metadata: {name: $ns}
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: berth-expand}
provisioner: kubernetes.io/no-provisioner
allowVolumeExpansion: true
YAML
	for i in 0 1; do
		cat <<YAML
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: berth-recreate-$i}
spec:
  capacity: {storage: 5Gi}
  accessModes: [ReadWriteOnce]
  storageClassName: berth-expand
  hostPath: {path: /tmp/berth-recreate-$i}
YAML
	done
	for svc in db db2; do
		cat <<YAML
---
apiVersion: v1
kind: Service
metadata: {name: $svc, namespace: $ns}
spec: {clusterIP: None, selector: {app: db}, ports: [{port: 5432}]}
YAML
	done
	cat <<YAML
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
  namespace: $ns
  annotations: {${3:-}}
spec:
  serviceName: $1
  replicas: 2
  selector:
    matchLabels: {app: db}
  template:
    metadata:
      labels: {app: db}
    spec:
      containers:
      - name: db
        image: postgres:13
        volumeMounts: [{name: data, mountPath: /var/lib/postgresql/data}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      storageClassName: berth-expand
      resources: {requests: {storage: $2}}
YAML
}

note "the StatefulSet, its claims and pods"
write_manifests db 1Gi >"$scratch/app.yaml"
run_berth sync -f "$scratch/app.yaml" --timeout 120s
[ "$STATUS" = 0 ] || fail "first sync exited $STATUS: $ERR"
uids() {
	kubectl get "$1" -n "$ns" -o jsonpath='{range .items[*]}{.metadata.name}={.metadata.uid} {end}'
}
claims=$(uids pvc)
pods=$(uids pods)
assert_contains "$claims" "data-db-0=" "claims"
assert_contains "$claims" "data-db-1=" "claims"

note "without the opt-in, the change is refused and nothing is written"
write_manifests db2 2Gi >"$scratch/app.yaml"
run_berth sync -f "$scratch/app.yaml"
[ "$STATUS" = 1 ] || fail "sync without opt-in exited $STATUS"
assert_contains "$ERR" "spec.serviceName cannot change: live \"db\", desired \"db2\"" "refusal"
assert_contains "$ERR" "annotate it berth.io/recreate: orphan" "the opt-in named"

note "with berth.io/recreate: orphan, the StatefulSet is recreated"
write_manifests db2 2Gi 'berth.io/recreate: orphan' >"$scratch/app.yaml"
run_berth sync -f "$scratch/app.yaml" --timeout 120s
echo "$OUT"
[ "$STATUS" = 0 ] || fail "recreate sync exited $STATUS: $ERR"
assert_contains "$OUT" "persistentvolumeclaim $ns/data-db-0 resized to 2Gi" "claim resized"
assert_contains "$OUT" "persistentvolumeclaim $ns/data-db-1 resized to 2Gi" "claim resized"
assert_contains "$OUT" "statefulset.apps/db recreated (pods and claims kept)" "recreate line"

note "the claims kept their uids, the pods were not deleted, the new spec is in place"
assert_eq "$(uids pvc)" "$claims" "claims"
assert_eq "$(uids pods)" "$pods" "pods"
assert_eq "$(kubectl get pvc data-db-0 -n "$ns" -o jsonpath='{.spec.resources.requests.storage}')" \
	2Gi "claim request"
assert_eq "$(kubectl get statefulset db -n "$ns" -o jsonpath='{.spec.serviceName} {.spec.volumeClaimTemplates[0].spec.resources.requests.storage}')" \
	"db2 2Gi" "new StatefulSet spec"
assert_eq "$(kubectl get statefulset db -n "$ns" -o jsonpath='{.status.readyReplicas}')" 2 "ready pods"

note "and the next sync has nothing to do"
run_berth diff -f "$scratch/app.yaml"
[ "$STATUS" = 0 ] || fail "diff after recreate exited $STATUS: $OUT"
echo PASS
