#!/usr/bin/env bash
# The kubelet stand-in holds back the pods a test chooses, so waits and
# timeouts can be tested: by annotation (released per pod) and by the hold
# file (which also turns a Ready pod NotReady).
. "$(dirname "$0")/lib.sh"

ns=e2e-hold-$RANDOM
hold_file=$BERTH_CLUSTER_DIR/kubelet-hold
cleanup() {
	sed -i "\#^$ns/#d" "$hold_file" 2>/dev/null || true
	kubectl delete namespace "$ns" --ignore-not-found --wait=false >/dev/null
}
trap 'cleanup; rm -rf "$scratch"' EXIT
kubectl create namespace "$ns" >/dev/null
wait_until 60 "the default ServiceAccount in $ns" kubectl -n "$ns" get serviceaccount default

kubectl -n "$ns" apply -f - <<'YAML'
apiVersion: v1
kind: Service
metadata: {name: held}
spec: {clusterIP: None, selector: {app: held}, ports: [{port: 80}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: held}
spec:
  serviceName: held
  replicas: 2
  selector: {matchLabels: {app: held}}
  template:
    metadata:
      labels: {app: held}
      annotations: {berth.dev/hold-ready: "true"}
    spec:
      containers: [{name: c, image: busybox}]
YAML

ready_of() {
	kubectl -n "$ns" get pod "$1" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null
}
# Predicates for wait_until, which runs them again until they hold.
ready_is() { [ "$(ready_of "$1")" = "$2" ]; }
ready_replicas_is() {
	[ "$(kubectl -n "$ns" get statefulset held -o jsonpath='{.status.readyReplicas}')" = "$1" ]
}
# The stand-in LISTs every pod, acts on each, then watches for 3 s and
# LISTs again: its second LIST after a mark proves it acted on every pod
# that existed at the mark.
relisted_since() { # mark
	[ "$(audit_after "$1" | jq -r 'select(.userAgent | startswith("curl/"))
		| select(.verb == "list" and .requestURI == "/api/v1/pods") | .verb' | wc -l)" -ge 2 ]
}
observed_generation_is() {
	[ "$(kubectl -n "$ns" get statefulset held -o jsonpath='{.status.observedGeneration}')" = "$1" ]
}

note "a held pod stays unready, and OrderedReady makes no second pod"
wait_until 60 "pod held-0 to exist" kubectl -n "$ns" get pod held-0
from=$(audit_mark held-0)
# The controller syncs on a new generation (a partition that changes
# nothing here) and says so in observedGeneration: a sync after held-0 was
# made, in which it could have made held-1.
generation=$(kubectl -n "$ns" get statefulset held -o jsonpath='{.metadata.generation}')
kubectl -n "$ns" patch statefulset held --type merge \
	-p '{"spec":{"updateStrategy":{"rollingUpdate":{"partition":5}}}}' >/dev/null
wait_until 30 "the controller to sync statefulset held again" observed_generation_is $((generation + 1))
wait_until 30 "the kubelet stand-in to act on held-0" relisted_since "$from"
assert_eq "$(ready_of held-0)" "" "held-0 Ready condition while held"
assert_eq "$(kubectl -n "$ns" get pod held-0 -o jsonpath='{.status.phase}')" Pending "held-0 phase"
kubectl -n "$ns" get pod held-1 >/dev/null 2>&1 && fail "held-1 exists while held-0 is not ready"

note "releasing held-0 makes it Ready, and the controller goes on to held-1"
kubectl -n "$ns" annotate pod held-0 berth.dev/hold-ready- >/dev/null
wait_until 30 "held-0 Ready" ready_is held-0 True
wait_until 30 "pod held-1 to exist" kubectl -n "$ns" get pod held-1
from=$(audit_mark held-1)
wait_until 30 "the kubelet stand-in to act on held-1" relisted_since "$from"
assert_eq "$(ready_of held-1)" "" "held-1 Ready condition while held"
kubectl -n "$ns" annotate pod held-1 berth.dev/hold-ready- >/dev/null
wait_until 30 "held-1 Ready" ready_is held-1 True
wait_until 30 "statefulset held: 2 of 2 pods ready" ready_replicas_is 2

note "the hold file turns a Ready pod NotReady, and removing the line restores it"
echo "$ns/held-1" >>"$hold_file"
wait_until 30 "held-1 NotReady" ready_is held-1 False
wait_until 30 "statefulset held: 1 of 2 pods ready" ready_replicas_is 1
sed -i "\#^$ns/held-1\$#d" "$hold_file"
wait_until 30 "held-1 Ready again" ready_is held-1 True

note "a deleted pod is removed as a kubelet would, and the controller recreates it"
uid=$(kubectl -n "$ns" get pod held-0 -o jsonpath='{.metadata.uid}')
kubectl -n "$ns" delete pod held-0 --wait=false >/dev/null
recreated() {
	local now
	now=$(kubectl -n "$ns" get pod held-0 -o jsonpath='{.metadata.uid}')
	[ -n "$now" ] && [ "$now" != "$uid" ]
}
wait_until 60 "held-0 recreated with a new uid" recreated
echo PASS
