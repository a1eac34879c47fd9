#!/usr/bin/env bash
# Custom resources whose CustomResourceDefinition is in the same commit:
# berth plans them from the definition in Git, creates them only once the
# definition is Established (with --wait=false too), and a kind that nothing
# defines is still an error before any write.
. "$(dirname "$0")/lib.sh"

ns=berth-crd
cleanup() {
	kubectl delete namespace "$ns" --ignore-not-found --wait=true >/dev/null
	kubectl delete crd gadgets.berth.dev regions.berth.dev --ignore-not-found --wait=true >/dev/null
}
cleanup
trap 'cleanup; drop_identity; rm -rf "$scratch"' EXIT
own_identity crd
# The Widget holds the group berth.dev/v1 while the Gadget comes and goes.
install_widget_crd

# The custom resources first, the definitions last: the unhelpful order.
cat >"$scratch/app.yaml" <<YAML
apiVersion: berth.dev/v1
kind: Gadget
metadata: {name: g1, namespace: $ns}
spec: {size: 3}
---
apiVersion: berth.dev/v1
kind: Region
metadata: {name: north}
spec: {zone: a}
---
apiVersion: v1
kind: Namespace
metadata: {name: $ns}
---
$(crd_yaml gadgets Gadget Namespaced \
	'{type: object, properties: {spec: {type: object, properties: {size: {type: integer}}}}}')
---
$(crd_yaml regions Region Cluster '{type: object, x-kubernetes-preserve-unknown-fields: true}')
YAML

note "diff shows the custom resources to be created"
run_berth diff -f "$scratch/app.yaml"
[ "$STATUS" = 1 ] || fail "diff before the sync exited $STATUS: $OUT $ERR"
assert_contains "$OUT" "+++ predicted/berth.dev.v1.Gadget.$ns.g1" "diff names the Gadget"
assert_contains "$OUT" "+++ predicted/berth.dev.v1.Region.north" "diff names the Region"

note "--dry-run writes nothing, and says what the server could not check"
run_berth sync --dry-run -f "$scratch/app.yaml"
[ "$STATUS" = 0 ] || fail "sync --dry-run exited $STATUS: $ERR"
assert_contains "$OUT" "gadget.berth.dev/g1 created (dry run; the server cannot check it: its CustomResourceDefinition is created by this commit)" \
	"dry-run progress"
assert_eq "$(kubectl get crd gadgets.berth.dev --ignore-not-found -o name)" "" "CRD after --dry-run"

note "sync creates the definitions, waits until they are Established, then the resources"
audited crd run_berth sync -f "$scratch/app.yaml" --timeout 60s
echo "$OUT"
[ "$STATUS" = 0 ] || fail "sync exited $STATUS: $ERR"
assert_contains "$OUT" "5 objects: 5 created, 0 configured" "summary"
creates=$(audit_between "$from" "$to" | berth_writes | awk '$1 == "create" { printf "%s ", $2 }')
case $creates in
"namespaces customresourcedefinitions customresourcedefinitions "*" gadgets "* | \
	"namespaces customresourcedefinitions customresourcedefinitions "*" regions "*) ;;
*) fail "creates out of order: $creates" ;;
esac
assert_eq "$(kubectl get gadget g1 -n "$ns" -o jsonpath='{.spec.size}')" 3 "the Gadget"
assert_eq "$(kubectl get region north -o jsonpath='{.spec.zone}')" a "the cluster-scoped Region"
assert_eq "$(kubectl get region north -o jsonpath='{.metadata.labels.app\.kubernetes\.io/managed-by}')" \
	berth "the tracking label"

note "a second sync changes nothing, and diff agrees"
run_berth sync -f "$scratch/app.yaml"
[ "$STATUS" = 0 ] || fail "second sync exited $STATUS: $ERR"
assert_contains "$OUT" "5 objects: 0 created, 0 configured, 0 recreated, 5 unchanged" "no-op sync"
run_berth diff -f "$scratch/app.yaml"
[ "$STATUS" = 0 ] || fail "diff after the sync exited $STATUS: $OUT $ERR"

note "--wait=false still waits for the definitions its resources need"
cleanup
run_berth sync --wait=false -f "$scratch/app.yaml"
[ "$STATUS" = 0 ] || fail "sync --wait=false exited $STATUS: $ERR"
assert_eq "$(kubectl get gadget g1 -n "$ns" -o jsonpath='{.spec.size}')" 3 "the Gadget"

note "a kind that no definition serves is refused before any write"
cat >"$scratch/unknown.yaml" <<YAML
apiVersion: v1
kind: ConfigMap
metadata: {name: berth-crd-fine, namespace: $ns}
---
apiVersion: berth.dev/v1
kind: Gizmo
metadata: {name: z, namespace: $ns}
YAML
run_berth sync -f "$scratch/unknown.yaml"
[ "$STATUS" = 1 ] || fail "sync of unknown kinds exited $STATUS: $ERR"
assert_contains "$ERR" "unknown.yaml:5:1: kind 'Gizmo' of apiVersion 'berth.dev/v1' is not served" \
	"the unknown kind"
assert_eq "$(kubectl get configmap berth-crd-fine -n "$ns" --ignore-not-found -o name)" "" \
	"the ConfigMap of the refused commit"
echo "PASS"
