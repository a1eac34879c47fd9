#!/usr/bin/env bash
# berth sync --server-side: objects kubectl applied client-side are taken
# over cleanly (a field removed from Git in the same commit goes, pods are
# not touched, the last-applied annotation goes), drift written by another
# manager is put back, a field removed from Git later goes too, new objects
# are created by apply, and --dry-run changes nothing. A
# CustomResourceDefinition too large for the last-applied annotation (the
# server allows 256 KiB of annotations, as Argo CD's ApplicationSet
# definition exceeds) is refused client-side before any write, with the
# advice to use --server-side, which applies it and keeps it in sync.
. "$(dirname "$0")/lib.sh"

ns=berth-ssa
crd=bigsets.ssa.berth.dev
cleanup() {
	kubectl delete namespace "$ns" --ignore-not-found --wait=true >/dev/null
	kubectl delete storageclass berth-ssa --ignore-not-found >/dev/null
	kubectl delete customresourcedefinition "$crd" --ignore-not-found >/dev/null
}
cleanup
trap 'cleanup; drop_identity; rm -rf "$scratch"' EXIT
own_identity server-side
kubectl create namespace "$ns" >/dev/null

# $1: the ConfigMap's data; $2: the StatefulSet's metadata.annotations.
write_manifests() {
	cat >"$scratch/app.yaml" <<YAML
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: berth-ssa}
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: WaitForFirstConsumer
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: $ns, labels: {tier: db}}
data: $1
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: $ns}
spec:
  clusterIP: None
  selector: {app: db}
  ports: [{port: 5432}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: $ns, annotations: $2}
spec:
  serviceName: db
  replicas: 0
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers:
      - name: db
        image: postgres:13
        ports: [{containerPort: 5432}]
        volumeMounts: [{name: data, mountPath: /var/lib/postgresql/data}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      storageClassName: berth-ssa
      resources: {requests: {storage: 1Gi}}
YAML
}

managers() { # kind name: "manager/operation" of each managedFields entry
	kubectl get "$1" "$2" -n "$ns" -o json |
		jq -r '[.metadata.managedFields[] | .manager + "/" + .operation] | sort | join(" ")'
}
last_applied() { # kind name: the object's last-applied annotation, or "none"
	kubectl get "$1" "$2" -n "$ns" -o json |
		jq -r '.metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"] // "none"'
}
# Every write berth sent as this test's user between two marks, dry runs
# too, one "verb URI" line each.
writes_between() {
	audit_between "$1" "$2" | berth_requests | { grep -E '^(create|update|patch|delete) ' || [ $? = 1 ]; }
}

note "kubectl applies the objects client-side"
write_manifests '{a: "1", b: "2"}' '{team: storage}'
kubectl apply -f "$scratch/app.yaml" >/dev/null
wait_until 30 "the controller to see the StatefulSet" \
	test "$(kubectl get statefulset db -n "$ns" -o jsonpath='{.status.observedGeneration}')" = 1
template_before=$(kubectl get statefulset db -n "$ns" -o json | jq -cS .spec.template)
revision_before=$(kubectl get statefulset db -n "$ns" -o jsonpath='{.status.updateRevision}')
assert_contains "$(managers configmap settings)" "kubectl-client-side-apply/Update" \
	"kubectl's client-side apply owns the ConfigMap"
assert_not_contains "$(last_applied configmap settings)" none "kubectl's last-applied annotation"

note "berth takes over: b leaves Git, a changes, the StatefulSet gains an annotation"
write_manifests '{a: "10"}' '{team: storage, owner: dba}'
run_berth sync --server-side -f "$scratch/app.yaml" --timeout 60s
[ "$STATUS" = 0 ] || fail "sync --server-side exited $STATUS: $ERR"
assert_contains "$OUT" "configmap/settings configured" "progress"
assert_contains "$OUT" "statefulset.apps/db configured" "progress"
assert_eq "$(kubectl get configmap settings -n "$ns" -o json | jq -cS .data)" '{"a":"10"}' \
	"the ConfigMap's data after the takeover (b, removed from Git, is gone)"
assert_eq "$(managers configmap settings)" "berth/Apply" "the ConfigMap's managers"
owners=$(managers statefulset db)
assert_not_contains "$owners" client-side "no field of the StatefulSet is left to client-side apply"
assert_eq "$(kubectl get statefulset db -n "$ns" -o jsonpath='{.metadata.annotations.owner}')" \
	dba "the StatefulSet's new annotation"
assert_eq "$(kubectl get statefulset db -n "$ns" -o json | jq -cS .spec.template)" \
	"$template_before" "the pod template is untouched by the takeover"
assert_eq "$(kubectl get statefulset db -n "$ns" -o jsonpath='{.metadata.generation}')" 1 \
	"the StatefulSet's spec did not change"
assert_eq "$(kubectl get statefulset db -n "$ns" -o jsonpath='{.status.updateRevision}')" \
	"$revision_before" "no new revision of the pods"
assert_eq "$(kubectl get service db -n "$ns" -o jsonpath='{.spec.clusterIP}')" None \
	"the Service keeps its clusterIP"
# Field ownership is the server's: the annotation client-side apply keeps
# is gone from each object, the one in sync too.
for object in "configmap settings" "statefulset db" "service db" "storageclass berth-ssa"; do
	assert_eq "$(last_applied $object)" none "the last-applied annotation of $object after the takeover"
done
assert_contains "$OUT" "storageclass.storage.k8s.io/berth-ssa configured" "the class in sync, moved all the same"

note "berth diff agrees"
run_berth diff -f "$scratch/app.yaml"
[ "$STATUS" = 0 ] || fail "diff after the sync exited $STATUS: $OUT $ERR"

note "drift written by another manager is put back (the conflict is forced)"
kubectl patch configmap settings -n "$ns" --type merge -p '{"data":{"a":"tampered"}}' >/dev/null
assert_contains "$(managers configmap settings)" "kubectl-patch/Update" "kubectl patch owns a"
run_berth diff -f "$scratch/app.yaml"
[ "$STATUS" = 1 ] || fail "diff of the tampered ConfigMap exited $STATUS: $OUT $ERR"
run_berth sync --server-side -f "$scratch/app.yaml" --timeout 60s
[ "$STATUS" = 0 ] || fail "sync after the drift exited $STATUS: $ERR"
assert_eq "$(kubectl get configmap settings -n "$ns" -o json | jq -cS .data)" '{"a":"10"}' \
	"the ConfigMap's data put back"

note "a field removed from Git later is removed live"
sed -i 's/, labels: {tier: db}//' "$scratch/app.yaml"
run_berth sync --server-side -f "$scratch/app.yaml" --timeout 60s
[ "$STATUS" = 0 ] || fail "sync without the label exited $STATUS: $ERR"
assert_eq "$(kubectl get configmap settings -n "$ns" -o jsonpath='{.metadata.labels.tier}')" "" \
	"the label removed from Git"

note "a new object is created by apply, --dry-run changes nothing"
cat >>"$scratch/app.yaml" <<YAML
---
apiVersion: v1
kind: ConfigMap
metadata: {name: extra, namespace: $ns}
data: {x: "1"}
YAML
sed -i 's/a: "10"/a: "11"/' "$scratch/app.yaml"
run_berth sync --server-side --dry-run -f "$scratch/app.yaml"
[ "$STATUS" = 0 ] || fail "sync --server-side --dry-run exited $STATUS: $ERR"
assert_contains "$OUT" "configmap/extra created (server dry run)" "dry-run progress"
kubectl get configmap extra -n "$ns" >/dev/null 2>&1 && fail "--dry-run created a ConfigMap"
assert_eq "$(kubectl get configmap settings -n "$ns" -o jsonpath='{.data.a}')" 10 \
	"--dry-run left the ConfigMap"
run_berth sync --server-side -f "$scratch/app.yaml" --timeout 60s
[ "$STATUS" = 0 ] || fail "sync of the new object exited $STATUS: $ERR"
assert_contains "$OUT" "configmap/extra created" "progress"
assert_eq "$(managers configmap extra)" "berth/Apply" "the new ConfigMap's managers"
assert_eq "$(kubectl get configmap settings -n "$ns" -o jsonpath='{.data.a}')" 11 "a changed"
assert_eq "$(kubectl get configmap extra -n "$ns" -o jsonpath='{.metadata.labels.app\.kubernetes\.io/managed-by}')" \
	berth "the tracking label"

note "in sync: nothing is written, and neither diff nor a client-side sync sees drift"
audited noop run_berth sync --server-side -f "$scratch/app.yaml" --timeout 60s
[ "$STATUS" = 0 ] || fail "the no-op sync exited $STATUS: $ERR"
assert_contains "$OUT" "5 objects: 0 created, 0 configured, 0 recreated, 5 unchanged" \
	"the no-op sync"
assert_eq "$(writes_between "$from" "$to")" "" "writes of the no-op sync"
run_berth diff -f "$scratch/app.yaml"
assert_eq "$STATUS" 0 "diff of the objects berth applied server-side: $OUT $ERR"
run_berth sync -f "$scratch/app.yaml" --timeout 60s
assert_eq "$STATUS" 0 "a client-side sync of them: $OUT $ERR"
assert_contains "$OUT" "5 objects: 0 created, 0 configured, 0 recreated, 5 unchanged" \
	"a client-side sync of them"

note "a CustomResourceDefinition over 256 KiB of annotations: refused client-side, before any write"
# Shaped like Argo CD's ApplicationSet definition: generators, each a deep
# object of described fields, until the definition is about 340 KB of JSON.
mkdir "$scratch/big"
jq -n --arg crd "$crd" '
  def described(n): "The \(n) of the generator, as the controller reads it when it renders each Application from its template; empty leaves the default.";
  def fields(n): [range(n)] | map({key: "field\(.)", value: {type: "string", description: described("field \(.)")}}) | from_entries;
  def generator(i): {type: "object", description: described("generator \(i)"),
    properties: (fields(12) + {template: {type: "object", properties: {metadata: {type: "object", properties: fields(6)},
      spec: {type: "object", properties: fields(10)}}}})};
  {apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition",
   metadata: {name: $crd, labels: {"app.kubernetes.io/part-of": "berth-test"}},
   spec: {group: "ssa.berth.dev", scope: "Namespaced",
     names: {kind: "BigSet", listKind: "BigSetList", plural: "bigsets", singular: "bigset", shortNames: ["bigset"]},
     versions: [{name: "v1alpha1", served: true, storage: true,
       schema: {openAPIV3Schema: {type: "object", properties: {
         apiVersion: {type: "string"}, kind: {type: "string"}, metadata: {type: "object"},
         spec: {type: "object", properties: {generators: {type: "array",
           items: {type: "object", properties: ([range(64)] | map({key: "generator\(.)", value: generator(.)}) | from_entries)}}}},
         status: {type: "object", "x-kubernetes-preserve-unknown-fields": true}}}},
       subresources: {status: {}}}]}}' >"$scratch/big/crd.yaml"
size=$(jq -c . "$scratch/big/crd.yaml" | wc -c)
[ "$size" -gt 262144 ] || fail "the generated definition is only $size bytes"
echo "figure: the generated CustomResourceDefinition: $size bytes of JSON"
audited big-client run_berth sync -f "$scratch/big" --timeout 60s
assert_eq "$STATUS" 1 "a client-side sync of the large definition: $OUT"
assert_contains "$ERR" "$scratch/big/crd.yaml:1:1: customresourcedefinition $crd: " "the object, at its place"
assert_contains "$ERR" "over the 262144 bytes the server allows" "the limit"
assert_contains "$ERR" "--server-side" "the advice"
assert_contains "$ERR" "nothing was changed" "the refusal"
assert_eq "$(writes_between "$from" "$to")" "" "writes and dry runs of the refused sync"

note "--server-side applies it, with no last-applied annotation, and keeps it in sync"
run_berth sync --server-side -f "$scratch/big" --timeout 60s
assert_eq "$STATUS" 0 "a server-side sync of the large definition: $OUT $ERR"
assert_contains "$OUT" "customresourcedefinition.apiextensions.k8s.io/$crd created" "progress"
assert_eq "$(kubectl get customresourcedefinition "$crd" -o json |
	jq -r '.metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"] // "none"')" none \
	"the definition's last-applied annotation"
audited big-again run_berth sync --server-side -f "$scratch/big" --timeout 60s
assert_eq "$STATUS" 0 "a second server-side sync: $OUT $ERR"
assert_contains "$OUT" "1 object: 0 created, 0 configured, 0 recreated, 1 unchanged" "a second server-side sync"
assert_eq "$(writes_between "$from" "$to")" "" "writes of the second sync"
run_berth diff -f "$scratch/big"
assert_eq "$STATUS" 0 "diff of the large definition: $OUT $ERR"

note "a field removed from the large definition in Git is removed live"
jq '.metadata.labels = {}' "$scratch/big/crd.yaml" >"$scratch/big/crd.json" && mv "$scratch/big/crd.json" "$scratch/big/crd.yaml"
run_berth diff -f "$scratch/big" -o json
assert_eq "$STATUS" 1 "diff without the label: $ERR"
assert_eq "$(jq -c '[.objects[].paths[].path]' <<<"$OUT")" '["metadata.labels[\"app.kubernetes.io/part-of\"]"]' \
	"the drifted path"
run_berth sync --server-side -f "$scratch/big" --timeout 60s
assert_eq "$STATUS" 0 "sync without the label: $OUT $ERR"
assert_eq "$(kubectl get customresourcedefinition "$crd" -o json | jq -c '.metadata.labels | del(.["app.kubernetes.io/managed-by"])')" \
	'{}' "the definition's labels"
run_berth diff -f "$scratch/big"
assert_eq "$STATUS" 0 "diff after: $OUT $ERR"
echo "PASS"
