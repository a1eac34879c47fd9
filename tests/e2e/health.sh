#!/usr/bin/env bash
# Health that tells the truth (issue 27), on the real controllers:
#   - a crash-looping StatefulSet is Degraded with its pod's cause, and a
#     wait that makes no progress ends at the progress deadline;
#   - an image that cannot be pulled is Failed, and ends the wait at once;
#   - an OrderedReady rollout stuck on a broken pod stays stuck after the
#     fixing commit (Kubernetes' behaviour), and with recovery the fixing
#     commit deletes exactly the broken pod, and every pod ends Ready on the
#     new revision, with its claim kept;
#   - a kstatus custom resource is Progressing, then Ready; Stalled is Failed;
#   - the pods are read only for a StatefulSet that is not ready: at most
#     one LIST per wait step.
# The kubelet stand-in crash-loops an image named *berth-crashloop*, and
# cannot pull one named *berth-pullfail*.
. "$(dirname "$0")/lib.sh"

ns=e2e-health-$RANDOM
trap 'sed -i "\#^$ns/#d" "$BERTH_CLUSTER_DIR/kubelet-hold" 2>/dev/null || :; kubectl delete namespace "$ns" --ignore-not-found --wait=false >/dev/null; drop_identity; rm -rf "$scratch"' EXIT
own_identity health
fresh_namespaces "$ns"

# A StatefulSet NAME of REPLICAS pods running IMAGE, with a claim each.
statefulset() { # name replicas image [annotations]
	cat <<YAML
apiVersion: v1
kind: Service
metadata: {name: $1}
spec: {clusterIP: None, selector: {app: $1}, ports: [{port: 80}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: $1${4:+, annotations: $4}}
spec:
  serviceName: $1
  replicas: $2
  selector: {matchLabels: {app: $1}}
  template:
    metadata: {labels: {app: $1}}
    spec:
      containers: [{name: app, image: "$3", volumeMounts: [{name: data, mountPath: /data}]}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Mi}}}
YAML
}
# The requests berth sent between two marks, of one kind: "list pods", ...
requests_of() { # from to pattern
	audit_between "$1" "$2" | berth_requests | awk -v p="$3" '$0 ~ p {n++} END {print n + 0}'
}

note "a crash-looping StatefulSet is Degraded with its pod's cause; no progress ends the wait"
mkdir -p "$scratch/crash"
statefulset crash 2 registry.invalid/berth-crashloop:1 >"$scratch/crash/sts.yaml"
audited crash run_berth sync -n "$ns" -f "$scratch/crash" --timeout 60s --progress-deadline 4s
echo "    the wait ended after $took ms (progress deadline 4 s, timeout 60 s)"
[ "$STATUS" = 1 ] || fail "sync of a crash loop exited $STATUS: $ERR"
assert_contains "$OUT" "waiting for statefulset $ns/crash: 0 of 2 pods ready; crash-0 CrashLoopBackOff (restarted 3 times, last exit 1: Error)" "the wait's cause"
assert_contains "$ERR" "error: statefulset $ns/crash: Degraded: no progress for 4 s: 0 of 2 pods ready; crash-0 CrashLoopBackOff (restarted 3 times, last exit 1: Error)" "the end of the wait"
[ "$took" -lt 30000 ] || fail "the wait ran $took ms, past its progress deadline"
# A pod LIST per wait step at most: each step LISTs the StatefulSets once.
steps=$(requests_of "$from" "$to" "^list /apis/apps/v1/namespaces/$ns/statefulsets")
pods=$(requests_of "$from" "$to" "^list /api/v1/namespaces/$ns/pods")
echo "    $steps wait steps, $pods pod LISTs"
[ "$pods" -ge 1 ] && [ "$pods" -le "$steps" ] || fail "$pods pod LISTs for $steps wait steps"

note "an image that cannot be pulled is Failed, and ends the wait at once"
mkdir -p "$scratch/pull"
statefulset pull 1 registry.invalid/berth-pullfail:1 >"$scratch/pull/sts.yaml"
audited pull run_berth sync -n "$ns" -f "$scratch/pull" --timeout 120s
echo "    Failed after $took ms (timeout 120 s)"
[ "$STATUS" = 1 ] || fail "sync of an image that cannot be pulled exited $STATUS: $ERR"
assert_contains "$ERR" "error: statefulset $ns/pull: Failed: 0 of 1 pods ready; pull-0 ImagePullBackOff: Back-off pulling image \"registry.invalid/berth-pullfail:1\"" "the failure"
[ "$took" -lt 30000 ] || fail "the wait ran $took ms for a Failed pod"

note "a Deployment past its progress deadline is Failed, as its controller says"
mkdir -p "$scratch/dep"
cat >"$scratch/dep/dep.yaml" <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata: {name: dep}
spec:
  replicas: 1
  progressDeadlineSeconds: 2
  selector: {matchLabels: {app: dep}}
  template:
    metadata: {labels: {app: dep}}
    spec:
      containers: [{name: app, image: "registry.invalid/berth-crashloop:1"}]
YAML
audited deployment run_berth sync -n "$ns" -f "$scratch/dep" --timeout 120s
echo "    Failed after $took ms (progressDeadlineSeconds 2, timeout 120 s)"
[ "$STATUS" = 1 ] || fail "sync of a Deployment past its deadline exited $STATUS: $ERR"
assert_contains "$ERR" "error: deployment $ns/dep: Failed: progress deadline exceeded: ProgressDeadlineExceeded (ReplicaSet \"dep-" "the Deployment's failure"

note "an init container in a crash loop: Init:CrashLoopBackOff"
mkdir -p "$scratch/init"
statefulset init 1 busybox:1.36 |
	sed 's/^      containers:/      initContainers: [{name: setup, image: "registry.invalid\/berth-crashloop:1"}]\n&/' \
		>"$scratch/init/sts.yaml"
run_berth sync -n "$ns" -f "$scratch/init" --timeout 60s --progress-deadline 3s
[ "$STATUS" = 1 ] || fail "sync of a failing init container exited $STATUS: $ERR"
assert_contains "$ERR" "statefulset $ns/init: Degraded: no progress for 3 s: 0 of 1 pods ready; init-0 Init:CrashLoopBackOff (restarted 3 times, last exit 1: Error)" "the init container's cause"

note "a ready StatefulSet: its pods are not read"
mkdir -p "$scratch/web"
statefulset web 3 busybox:1.36 >"$scratch/web/sts.yaml"
run_berth sync -n "$ns" -f "$scratch/web" --timeout 120s
[ "$STATUS" = 0 ] || fail "sync of web exited $STATUS: $ERR"
audited ready run_berth sync -n "$ns" -f "$scratch/web"
[ "$STATUS" = 0 ] || fail "second sync of web exited $STATUS: $ERR"
assert_eq "$(requests_of "$from" "$to" "/pods")" 0 "pod requests of a sync of a ready StatefulSet"

note "berth diff -o json carries each object's health"
run_berth diff -n "$ns" -f "$scratch/web" -o json
assert_eq "$STATUS" 0 "diff of web: $ERR"
assert_eq "$(jq -r '.objects[] | "\(.kind) \(.health)"' <<<"$OUT")" "Service Ready
StatefulSet Ready" "web's health"
run_berth diff -n "$ns" -f "$scratch/crash" -o json
assert_eq "$STATUS" 0 "diff of crash: $ERR"
assert_eq "$(jq -r '.objects[] | select(.kind == "StatefulSet") | "\(.health): \(.healthCause)"' <<<"$OUT")" \
	"Progressing: 0 of 2 pods ready" "crash's health, from its own status"

revision_of() { kubectl -n "$ns" get pod "$1" -o jsonpath='{.metadata.labels.controller-revision-hash}'; }
update_revision() { kubectl -n "$ns" get statefulset web -o jsonpath='{.status.updateRevision}'; }
uid_of() { kubectl -n "$ns" get pod "$1" -o jsonpath='{.metadata.uid}'; }
observed() {
	[ "$(kubectl -n "$ns" get statefulset web -o jsonpath='{.status.observedGeneration}')" = \
		"$(kubectl -n "$ns" get statefulset web -o jsonpath='{.metadata.generation}')" ]
}

note "commit A breaks web-2; commit B, the fix, leaves it stuck without recovery"
statefulset web 3 registry.invalid/berth-crashloop:2 >"$scratch/web/sts.yaml"
run_berth sync -n "$ns" -f "$scratch/web" --timeout 60s --progress-deadline 4s
[ "$STATUS" = 1 ] || fail "sync of commit A exited $STATUS: $ERR"
assert_contains "$ERR" "Degraded: no progress for 4 s: 2 of 3 pods ready; web-2 CrashLoopBackOff" "commit A's end"
broken_revision=$(revision_of web-2)
broken_uid=$(uid_of web-2)
statefulset web 3 busybox:1.37 >"$scratch/web/sts.yaml"
run_berth sync -n "$ns" -f "$scratch/web" --timeout 60s --progress-deadline 4s
[ "$STATUS" = 1 ] || fail "sync of commit B without recovery exited $STATUS: $ERR"
observed || fail "the controller has not seen commit B"
assert_eq "$(uid_of web-2)" "$broken_uid" "web-2 after commit B without recovery (the same pod)"
assert_eq "$(revision_of web-2)" "$broken_revision" "web-2's revision after commit B"
[ "$(update_revision)" != "$broken_revision" ] || fail "commit B made no new revision"

note "commit C, the fix with recovery: the broken pod alone is deleted, and all roll"
statefulset web 3 busybox:1.37 "{berth.io/recover: stuck-rollout}" >"$scratch/web/sts.yaml"
audited recover run_berth sync -n "$ns" -f "$scratch/web" --timeout 120s
echo "    recovered and rolled out in $took ms"
[ "$STATUS" = 0 ] || fail "sync of commit C with recovery exited $STATUS: $ERR"
assert_contains "$OUT" "deleted pod $ns/web-2 to recover the stuck rollout: CrashLoopBackOff (restarted 3 times, last exit 1: Error), never Ready on its revision $broken_revision" "the recovery's line"
assert_eq "$(audit_between "$from" "$to" | berth_writes | grep '^delete' | sort)" \
	"delete pods web-2" "berth's deletes in the recovery"
for k in 0 1 2; do
	assert_eq "$(revision_of web-$k)" "$(update_revision)" "web-$k's revision"
	assert_eq "$(kubectl -n "$ns" get pod web-$k -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" True "web-$k Ready"
done
assert_eq "$(kubectl -n "$ns" get pvc data-web-2 -o jsonpath='{.metadata.name}')" data-web-2 "web-2's claim"

note "a pod whose readiness probe fails"
hold_file=$BERTH_CLUSTER_DIR/kubelet-hold
echo "$ns/web-1" >>"$hold_file"
not_ready() { [ "$(kubectl -n "$ns" get pod web-1 -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = False ]; }
wait_until 30 "web-1 NotReady" not_ready
run_berth sync -n "$ns" -f "$scratch/web" --timeout 60s --progress-deadline 3s
sed -i "\#^$ns/web-1\$#d" "$hold_file"
[ "$STATUS" = 1 ] || fail "sync of web with web-1 held exited $STATUS: $ERR"
assert_contains "$ERR" "statefulset $ns/web: Degraded: no progress for 3 s: 2 of 3 pods ready; web-1 container app not ready (its readiness probe fails)" "the readiness probe's cause"

note "OnDelete: Ready once the spec is seen, naming the pods left on the old revision"
mkdir -p "$scratch/od"
statefulset od 2 busybox:1.36 >"$scratch/od/sts.yaml"
sed -i 's/^  replicas: 2$/  replicas: 2\n  updateStrategy: {type: OnDelete}/' "$scratch/od/sts.yaml"
run_berth sync -n "$ns" -f "$scratch/od" --timeout 120s
[ "$STATUS" = 0 ] || fail "sync of od exited $STATUS: $ERR"
sed -i 's/busybox:1.36/busybox:1.37/' "$scratch/od/sts.yaml"
audited ondelete run_berth sync -n "$ns" -f "$scratch/od" --timeout 120s
[ "$STATUS" = 0 ] || fail "sync of od's new template exited $STATUS: $ERR"
echo "    ready after $took ms"
assert_contains "$OUT" "statefulset $ns/od ready after" "the end of od's wait"
assert_contains "$OUT" ": 2 of 2 pods on the old revision (OnDelete): od-0, od-1" "the pods left"
assert_eq "$(audit_between "$from" "$to" | berth_writes | awk '/^delete/ {n++} END {print n + 0}')" 0 "berth's deletes under OnDelete"

note "a kstatus custom resource: Progressing, then Ready; Stalled is Failed"
crd_yaml gauges Gauge Namespaced '{type: object, properties: {spec: {type: object, x-kubernetes-preserve-unknown-fields: true}, status: {type: object, x-kubernetes-preserve-unknown-fields: true}}}' |
	kubectl apply -f - >/dev/null
wait_until 60 "CRD gauges.berth.dev Established" \
	kubectl wait --for condition=established --timeout=1s crd/gauges.berth.dev
mkdir -p "$scratch/gauge"
printf 'apiVersion: berth.dev/v1\nkind: Gauge\nmetadata: {name: g}\nspec: {size: 1}\n' >"$scratch/gauge/g.yaml"
run_berth sync -n "$ns" -f "$scratch/gauge"
[ "$STATUS" = 0 ] || fail "sync of a Gauge with no status exited $STATUS: $ERR"
status_is() { # conditions
	kubectl -n "$ns" patch gauge g --type merge -p "{\"status\":{\"conditions\":$1}}" >/dev/null
}
status_is '[{"type":"Reconciling","status":"True","reason":"Scaling","message":"1 of 2"}]'
"$BERTH" sync -n "$ns" -f "$scratch/gauge" --timeout 60s >"$scratch/gauge.out" 2>&1 &
waiting=$!
wait_until 30 "the sync to wait for the Gauge" \
	grep -qF "waiting for gauge.berth.dev $ns/g: reconciling: Scaling (1 of 2)" "$scratch/gauge.out"
status_is '[{"type":"Ready","status":"True"}]'
wait "$waiting" || fail "the sync of a Gauge that became Ready failed: $(cat "$scratch/gauge.out")"
status_is '[{"type":"Stalled","status":"True","reason":"BadSize","message":"size 1 is too small"}]'
audited stalled run_berth sync -n "$ns" -f "$scratch/gauge" --timeout 60s
echo "    Stalled ended the wait after $took ms"
[ "$STATUS" = 1 ] || fail "sync of a Stalled Gauge exited $STATUS: $ERR"
assert_contains "$ERR" "gauge.berth.dev $ns/g: Failed: stalled: BadSize (size 1 is too small)" "the Stalled Gauge"
echo PASS
