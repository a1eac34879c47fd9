#!/usr/bin/env bash
# Kinds and versions the server serves, as real manifests name them:
#   - a kind the server does not serve (Flux's HelmRelease without Flux) and
#     a version it does not serve (policy/v1 on a 1.20 server, which has
#     policy/v1beta1) are refused by `berth lint --kubeconfig` exactly as
#     `berth sync` refuses them: at the file and line, naming the versions
#     the server has, before any write (the audit log holds none);
#   - a version the server serves but does not prefer (autoscaling/v2beta2;
#     1.20 prefers autoscaling/v1) is read and written in that version, and
#     beside an object of the preferred version: created, then in sync.
. "$(dirname "$0")/lib.sh"

ns=berth-served
cleanup() {
	kubectl delete namespace "$ns" --ignore-not-found --wait=true >/dev/null
}
cleanup
trap 'cleanup; drop_identity; rm -rf "$scratch"' EXIT
own_identity served
kubectl create namespace "$ns" >/dev/null

mkdir "$scratch/unserved"
cat >"$scratch/unserved/config.yaml" <<YAML
apiVersion: v1
kind: ConfigMap
metadata: {name: fine, namespace: $ns}
data: {a: "1"}
YAML
cat >"$scratch/unserved/helmrelease.yaml" <<YAML
apiVersion: helm.toolkit.fluxcd.io/v2beta1
kind: HelmRelease
metadata: {name: podinfo, namespace: $ns}
spec:
  interval: 5m
  chart:
    spec:
      chart: podinfo
      version: "6.x"
      sourceRef: {kind: HelmRepository, name: podinfo}
YAML
cat >"$scratch/unserved/pdb.yaml" <<YAML
# The budget of the web pods.
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web, namespace: $ns}
spec:
  minAvailable: 1
  selector: {matchLabels: {app: web}}
YAML
helm="$scratch/unserved/helmrelease.yaml:1:1: kind 'HelmRelease' of apiVersion 'helm.toolkit.fluxcd.io/v2beta1' is not served by https://"
pdb="$scratch/unserved/pdb.yaml:2:1: kind 'PodDisruptionBudget' of apiVersion 'policy/v1' is not served (the server has policy/v1beta1)"

note "lint --kubeconfig refuses a kind and a version the server does not serve"
run_berth lint --kubeconfig "$KUBECONFIG" "$scratch/unserved"
assert_eq "$STATUS" 1 "lint --kubeconfig of kinds the server does not serve: $OUT $ERR"
assert_contains "$OUT" "$helm" "lint: the HelmRelease"
assert_contains "$OUT" "$pdb" "lint: the PodDisruptionBudget"
assert_contains "$ERR" "2 problems in 3 objects" "lint's summary"

note "sync --dry-run and sync refuse them the same way, before any write"
for dry in --dry-run ""; do
	audited "unserved$dry" run_berth sync $dry -f "$scratch/unserved"
	assert_eq "$STATUS" 1 "sync $dry of kinds the server does not serve: $OUT $ERR"
	assert_contains "$ERR" "$helm" "sync $dry: the HelmRelease"
	assert_contains "$ERR" "$pdb" "sync $dry: the PodDisruptionBudget"
	assert_contains "$ERR" "nothing was changed" "sync $dry"
	assert_not_contains "$ERR" "404" "sync $dry"
	writes=$(audit_between "$from" "$to" | berth_requests | { grep -Ev '^(get|list) ' || [ $? = 1 ]; })
	assert_eq "$writes" "" "sync $dry: writes and dry runs"
done
assert_eq "$(kubectl -n "$ns" get configmap fine --ignore-not-found -o name)" "" "the ConfigMap of the refused commit"

note "a version served but not preferred is read and written in that version"
cat >"$scratch/hpa.yaml" <<YAML
apiVersion: autoscaling/v2beta2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: $ns}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 1
  maxReplicas: 3
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 80}}
  - type: Resource
    resource: {name: memory, target: {type: AverageValue, averageValue: 500Mi}}
---
apiVersion: autoscaling/v1
kind: HorizontalPodAutoscaler
metadata: {name: api, namespace: $ns}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
  minReplicas: 1
  maxReplicas: 2
  targetCPUUtilizationPercentage: 70
YAML
run_berth lint --kubeconfig "$KUBECONFIG" "$scratch/hpa.yaml"
assert_eq "$STATUS" 0 "lint --kubeconfig of both versions: $OUT $ERR"
audited hpa run_berth sync -f "$scratch/hpa.yaml" --timeout 30s
assert_eq "$STATUS" 0 "sync of both versions: $OUT $ERR"
assert_contains "$OUT" "horizontalpodautoscaler.autoscaling/web created" "progress"
assert_contains "$OUT" "horizontalpodautoscaler.autoscaling/api created" "progress"
requests=$(audit_between "$from" "$to" | berth_requests | grep horizontalpodautoscalers | sed 's/?.*//' | sort -u)
assert_eq "$requests" "create /apis/autoscaling/v1/namespaces/$ns/horizontalpodautoscalers
create /apis/autoscaling/v2beta2/namespaces/$ns/horizontalpodautoscalers
list /apis/autoscaling/v1/namespaces/$ns/horizontalpodautoscalers
list /apis/autoscaling/v2beta2/namespaces/$ns/horizontalpodautoscalers" \
	"each object read and written in its own version"
assert_eq "$(kubectl -n "$ns" get horizontalpodautoscalers.v2beta2.autoscaling web -o json |
	jq -r '.spec.metrics[] | select(.resource.name == "memory") | .resource.target.averageValue')" \
	500Mi "the memory metric, which only v2beta2 has a field for"

note "a second sync changes nothing, and diff agrees"
audited hpa-again run_berth sync -f "$scratch/hpa.yaml" --timeout 30s
assert_eq "$STATUS" 0 "the second sync: $OUT $ERR"
assert_contains "$OUT" "2 objects: 0 created, 0 configured, 0 recreated, 2 unchanged" "the second sync"
assert_eq "$(audit_between "$from" "$to" | berth_writes)" "" "writes of the second sync"
run_berth diff -f "$scratch/hpa.yaml"
assert_eq "$STATUS" 0 "diff after the sync: $OUT $ERR"
echo PASS
