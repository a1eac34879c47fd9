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
audited rbac run_berth sync -f "$scratch/app.yaml" --context alice -n "$ns"
[ "$STATUS" = 1 ] || fail "sync as alice exited $STATUS: $OUT $ERR"
assert_contains "$ERR" "app.yaml:6:1: secret $ns/password: cannot read live state" "403 message"
assert_contains "$ERR" "403 Forbidden" "403 message"
assert_contains "$ERR" 'User "alice" cannot list resource "secrets"' "403 message"
assert_not_contains "$ERR$OUT" hunter2 "the Secret's value"
# Other tests act as alice in namespaces of their own; hers here, and any
# cluster-scoped write, are this sync's.
writes=$(audit_between "$from" "$to" |
	jq -r --arg ns "$ns" 'select(.user.username == "alice")
	       | select((.objectRef.namespace // $ns) == $ns)
	       | select(.verb | test("create|update|patch|delete")) | .verb')
assert_eq "$writes" "" "writes by alice"
assert_eq "$(kubectl get configmap settings -n "$ns" --ignore-not-found -o name)" "" "ConfigMap"

note "as alice, what the Role allows syncs"
head -4 "$scratch/app.yaml" >"$scratch/allowed.yaml"
run_berth sync -f "$scratch/allowed.yaml" --context alice -n "$ns"
[ "$STATUS" = 0 ] || fail "allowed sync as alice exited $STATUS: $ERR"
assert_eq "$(kubectl get configmap settings -n "$ns" -o jsonpath='{.data.mode}')" fast "ConfigMap"
note "as alice: Services she may not read are not taken for missing"
# The Service exists; alice cannot list Services, so the check of the
# StatefulSet's serviceName is left out with a warning, and the 403 that
# counts is the one for the StatefulSet itself.
kubectl apply -n "$ns" -f - >/dev/null <<'YAML'
apiVersion: v1
kind: Service
metadata: {name: db}
spec: {clusterIP: None, selector: {app: db}, ports: [{port: 5432}]}
YAML
cat >"$scratch/sts.yaml" <<'YAML'
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 0
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: postgres:13}]}
YAML
run_berth sync -f "$scratch/sts.yaml" --context alice -n "$ns"
[ "$STATUS" = 1 ] || fail "sync of the StatefulSet as alice exited $STATUS: $OUT $ERR"
assert_contains "$ERR" "sts.yaml:5:3: warning: statefulset 'db': spec.serviceName: not checked against the cluster, which could not be read:" \
	"the warning"
assert_contains "$ERR" 'User "alice" cannot list resource "services"' "the warning's reason"
assert_not_contains "$ERR" "no Service 'db'" "the Service taken for missing"
assert_contains "$ERR" "sts.yaml:1:1: statefulset $ns/db: cannot read live state" "the 403"
echo PASS
