#!/usr/bin/env bash
# berth as a user bound to a narrow Role: a kind it may not touch is a clear
# 403 before anything at all is written, and what it may touch syncs.
. "$(dirname "$0")/lib.sh"

ns=berth-rbac
cleanup() {
	kubectl delete namespace "$ns" --ignore-not-found --wait=true >/dev/null
}
cleanup
trap 'cleanup; rm -rf "$scratch"' EXIT

kubectl create namespace "$ns" >/dev/null
kubectl apply -f - >/dev/null <<YAML
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: configmaps-only, namespace: $ns}
rules:
- apiGroups: [""]
  resources: [configmaps]
  verbs: [get, list, create, patch, update]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: alice-configmaps, namespace: $ns}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: configmaps-only}
subjects:
- {kind: User, name: alice, apiGroup: rbac.authorization.k8s.io}
YAML

cat >"$scratch/app.yaml" <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {mode: fast}
---
apiVersion: v1
kind: Secret
metadata: {name: password}
stringData: {password: hunter2}
YAML

note "as alice: the Secret is forbidden, and nothing is written"
audit_from=$(wc -l <"$BERTH_CLUSTER_DIR/audit.log")
run_berth sync -f "$scratch/app.yaml" --context alice -n "$ns"
[ "$STATUS" = 1 ] || fail "sync as alice exited $STATUS: $OUT $ERR"
assert_contains "$ERR" "app.yaml:6:1: secret $ns/password: cannot read live state" "403 message"
assert_contains "$ERR" "403 Forbidden" "403 message"
assert_contains "$ERR" 'User "alice" cannot list resource "secrets"' "403 message"
assert_not_contains "$ERR$OUT" hunter2 "the Secret's value"
writes=$(tail -n +"$((audit_from + 1))" "$BERTH_CLUSTER_DIR/audit.log" |
	jq -r 'select(.user.username == "alice") |
	       select(.verb | test("create|update|patch|delete")) | .verb' | wc -l)
assert_eq "$writes" 0 "writes by alice"
assert_eq "$(kubectl get configmap settings -n "$ns" --ignore-not-found -o name)" "" "ConfigMap"

note "as alice, what the Role allows syncs"
head -4 "$scratch/app.yaml" >"$scratch/allowed.yaml"
run_berth sync -f "$scratch/allowed.yaml" --context alice -n "$ns"
[ "$STATUS" = 0 ] || fail "allowed sync as alice exited $STATUS: $ERR"
assert_eq "$(kubectl get configmap settings -n "$ns" -o jsonpath='{.data.mode}')" fast "ConfigMap"
echo PASS
