#!/usr/bin/env bash
# No false drift: apply each runnable example (every scenario of the seed
# tutorials) with kubectl 1.20.2, wait until its StatefulSets are ready and
# its claims bound (so the controllers and the binder have written
# everything they write), then check berth's drift report: every object in
# sync. The 1.20 server adds every default of the reference's section 5
# (StatefulSet, pod template, containers, volumeClaimTemplates, Service,
# PV, PVC, StorageClass), so this proves berth ignores them.
#
# Then change one field live in each example and check that berth reports
# exactly that path, in all three report formats.
#
# Then the real-world shapes of tests/e2e/real-world/ (see its README),
# applied with berth itself: explicit zero values in sync right after the
# sync, and still drift when they really change; an object defined twice
# the same way applied once; a default class in the commit serving a claim
# template that names none; and a claim with no class to get, waiting with
# a warning and a wait that says why; and StatefulSets governed by a
# Service that is not headless, or by none, run with a warning.
. "$(dirname "$0")/lib.sh"

: "${BERTH_MERGE_TOOL:?BERTH_MERGE_TOOL must name the merge tool of tests/helpers (ctest sets it)}"
delete_examples
trap 'delete_examples; drop_identity; rm -rf "$scratch"' EXIT
# Its own user: the writes and dry runs counted between marks are this
# test's alone.
own_identity no-false-drift

for f in $folders; do
	note "$f: kubectl apply, then wait for readiness"
	kubectl apply -f "$examples/$f" >/dev/null
	for sts in $(example_statefulsets "$f"); do
		ns=${sts%/*} name=${sts#*/}
		want=$(kubectl -n "$ns" get statefulset "$name" -o jsonpath='{.spec.replicas}')
		ready() { [ "$(kubectl -n "$1" get statefulset "$2" -o jsonpath='{.status.readyReplicas}')" = "$3" ]; }
		wait_until 180 "statefulset $ns/$name: $want of $want pods ready" ready "$ns" "$name" "$want"
	done
	kubectl get -f "$examples/$f" -o json >"$scratch/$f.json"
	"$BERTH_MERGE_TOOL" --report json "$examples/$f" "$scratch/$f.json" >"$scratch/$f.report"
	summary=$(jq -cS .summary "$scratch/$f.report")
	assert_eq "$summary" "$(jq -cS '{"in-sync": (.objects|length), "drifted": 0, "missing": 0, "extraneous": 0}' "$scratch/$f.report")" "$f: drift summary"
	echo "    $(jq '.objects|length' "$scratch/$f.report") objects, all in sync"
done

note "a live change is reported, with its path, in every format"
f=hostpath-walkthrough
kubectl annotate service nginx2 berth.test/extra=1 >/dev/null
kubectl patch statefulset web2 --type merge -p '{"spec":{"replicas":3}}' >/dev/null
kubectl get -f "$examples/$f" -o json >"$scratch/changed.json"
"$BERTH_MERGE_TOOL" --report json "$examples/$f" "$scratch/changed.json" >"$scratch/changed.report"
assert_eq "$(jq -cS .summary "$scratch/changed.report")" \
	'{"drifted":1,"extraneous":0,"in-sync":4,"missing":0}' "summary after a live change"
assert_eq "$(jq -c '.objects[] | select(.state == "drifted") | [.kind, .name, .paths]' "$scratch/changed.report")" \
	'["StatefulSet","web2",[{"desired":2,"live":3,"path":"spec.replicas"}]]' "drifted object"
text=$("$BERTH_MERGE_TOOL" --report text "$examples/$f" "$scratch/changed.json")
assert_contains "$text" "--- live/apps.v1.StatefulSet.default.web2" "text report header"
assert_contains "$text" "-  replicas: 3" "text report: live line"
assert_contains "$text" "+  replicas: 2" "text report: desired line"
markdown=$("$BERTH_MERGE_TOOL" --report markdown "$examples/$f" "$scratch/changed.json")
assert_contains "$markdown" "| default | web2 | drifted | \`spec.replicas\` |" "markdown row"
kubectl patch statefulset web2 --type merge -p '{"spec":{"replicas":2}}' >/dev/null
# The examples hold a default StorageClass: gone before the shapes below.
delete_examples

corpus=$(dirname "$0")/real-world
cleanup_corpus() {
	kubectl delete namespace berth-nfd-zero berth-nfd-dup berth-nfd-class berth-nfd-noclass \
		berth-nfd-rabbit berth-nfd-argocd --ignore-not-found --wait=true >/dev/null
	kubectl delete pv berth-nfd-nfs berth-nfd-default-0 --ignore-not-found --wait=true >/dev/null
	kubectl delete storageclass berth-nfd-default --ignore-not-found >/dev/null
}
cleanup_corpus
agent=
kill_agent() {
	[ -z "$agent" ] || kill "$agent" 2>/dev/null || :
	[ ! -s "$scratch/run.log" ] || [ "${PASSED:-}" ] || tail -20 "$scratch/run.log" >&2
}
trap 'kill_agent; delete_examples; cleanup_corpus; drop_identity; rm -rf "$scratch"' EXIT

note "real-world shapes: explicit zero values are in sync right after berth's sync"
zero=$corpus/zero-values
run_berth sync -f "$zero" --wait=false
[ "$STATUS" = 0 ] || fail "sync of the zero values exited $STATUS: $ERR"
run_berth diff -f "$zero"
assert_eq "$STATUS" 0 "berth diff right after berth's sync of explicit zero values: $OUT"
audited zero run_berth sync -f "$zero" --wait=false -o json
assert_eq "$(jq -c .summary <<<"$OUT")" \
	'{"pending":0,"created":0,"configured":0,"recreated":0,"unchanged":7,"failed":0}' "a second sync"
writes=$(audit_between "$from" "$to" | berth_writes)
assert_eq "$writes" "" "writes of a second sync"
# One dry run for each object whose zero values the local comparison
# flags (the Deployment, and the volume's readOnly: false), and no second
# one: the commit's own dry run is the confirmation.
dry_runs=$(audit_between "$from" "$to" | berth_dry_runs | sort | tr '\n' ' ')
assert_eq "$dry_runs" "patch deployments volumes patch persistentvolumes berth-nfd-nfs " \
	"the dry runs of that sync"
echo "figure: dry-run confirmations in that sync: 2 of 7 objects"
run_berth diff -f "$zero" -o json
assert_eq "$(jq -c '[.objects[] | select(.state != "in-sync")]' <<<"$OUT")" '[]' "diff -o json"

note "a real change to the same fields is still drift"
kubectl -n berth-nfd-zero patch deployment volumes --type json -p '[
  {"op":"add","path":"/spec/template/spec/hostPID","value":true},
  {"op":"add","path":"/spec/template/spec/volumes/0/glusterfs/readOnly","value":true},
  {"op":"add","path":"/spec/template/spec/containers/0/volumeMounts/1/subPath","value":"x"},
  {"op":"replace","path":"/spec/template/spec/volumes/4/fc/lun","value":3},
  {"op":"replace","path":"/spec/template/spec/automountServiceAccountToken","value":true},
  {"op":"replace","path":"/spec/template/spec/containers/0/securityContext/readOnlyRootFilesystem","value":true}
]' >/dev/null
kubectl -n berth-nfd-zero patch configmap settings --type merge -p '{"data":{"empty":"x"}}' >/dev/null
run_berth diff -f "$zero" -o json
assert_eq "$STATUS" 1 "berth diff after real changes"
assert_eq "$(jq -c '[.objects[] | select(.state == "drifted") | [.name, ([.paths[] | .path] | sort)]]' <<<"$OUT")" \
	'[["settings",["data.empty"]],["volumes",["spec.template.spec.automountServiceAccountToken","spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem","spec.template.spec.containers[0].volumeMounts[1].subPath","spec.template.spec.hostPID","spec.template.spec.volumes[0].glusterfs.readOnly","spec.template.spec.volumes[4].fc.lun"]]]' \
	"the drifted paths"
# Changed live where Git asks for "any port" (nodePort: 0): not drift.
kubectl -n berth-nfd-zero patch service frontend-nodeport --type json \
	-p '[{"op":"replace","path":"/spec/ports/0/nodePort","value":30080}]' >/dev/null
run_berth sync -f "$zero" --wait=false -o json
assert_eq "$(jq -c '[.objects[] | select(.action == "configured") | .name]' <<<"$OUT")" \
	'["settings","volumes"]' "what the sync corrects"
assert_eq "$(kubectl -n berth-nfd-zero get service frontend-nodeport -o jsonpath='{.spec.ports[0].nodePort}')" \
	30080 "the node port the server chose is kept"
run_berth diff -f "$zero"
assert_eq "$STATUS" 0 "berth diff after the correction: $OUT"

note "a user who may read but not patch: the local verdict stands, marked unconfirmed"
kubectl apply -f - >/dev/null <<'YAML'
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: read-deployments, namespace: berth-nfd-zero}
rules:
- {apiGroups: [apps], resources: [deployments], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: alice-reads, namespace: berth-nfd-zero}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: read-deployments}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: alice}
YAML
mkdir "$scratch/readonly"
cp "$zero/volumes.yaml" "$scratch/readonly/"
run_berth diff --context alice -f "$scratch/readonly" -o json
assert_eq "$STATUS" 1 "berth diff as a user who may not patch"
assert_contains "$(jq -r '.objects[0].unconfirmed' <<<"$OUT")" \
	"the server did not confirm it: PATCH " "the unconfirmed drift"
assert_contains "$(jq -r '.objects[0].unconfirmed' <<<"$OUT")" \
	'403 Forbidden: deployments.apps "volumes" is forbidden: User "alice" cannot patch' "the reason"
run_berth diff --context alice -f "$scratch/readonly"
assert_contains "$OUT" "# apps.v1.Deployment.berth-nfd-zero.volumes: drift found locally; the server did not confirm it:" "the text report"

note "berth run asks the server once about local drift, not on every interval"
git init -q -b main "$scratch/zero-repo"
cp "$zero"/*.yaml "$scratch/zero-repo/"
git -C "$scratch/zero-repo" add -A
git -C "$scratch/zero-repo" -c user.name=berth -c user.email=berth@example.com commit -q -m zero
cat >"$scratch/run.yaml" <<YAML
stateNamespace: berth-nfd-zero
sources:
- {name: zero, repo: "$scratch/zero-repo", interval: 1s, jitter: 0%}
YAML
XDG_CACHE_HOME=$scratch/cache "$BERTH" run --config "$scratch/run.yaml" \
	--listen 127.0.0.1:0 2>"$scratch/run.log" &
agent=$!
zero_reconciles() { grep -Ec 'msg=(applied|"in sync") source=zero' "$scratch/run.log" || [ $? = 1 ]; }
reconciled() { [ "$(zero_reconciles)" -ge "$1" ]; }
# The first reconcile moves the objects to the Git source (a write); the
# second finds them in sync, asking about the local drift of the new ones.
wait_until 60 "two reconciles of the source" reconciled 2
from=$(audit_mark run-before)
n=$(zero_reconciles)
wait_until 60 "three more reconciles" reconciled $((n + 3))
to=$(audit_mark run-after)
stop_agent "in sync"
assert_eq "$STATUS" 0 "the exit status of berth run on SIGTERM"
grep -q 'msg="in sync" source=zero' "$scratch/run.log" || fail "berth run never found the source in sync"
dry_runs=$(audit_between "$from" "$to" | berth_dry_runs)
assert_eq "$dry_runs" "" \
	"dry runs of berth run over $(($(zero_reconciles) - n)) reconciles, once the verdicts are known"
writes=$(audit_between "$from" "$to" | berth_writes)
assert_eq "$writes" "" "writes of berth run in sync"

note "the same object defined twice is applied once, with a warning naming both places"
audited dup run_berth sync -f "$corpus/duplicates" --wait=false
[ "$STATUS" = 0 ] || fail "sync of the duplicates exited $STATUS: $ERR"
assert_contains "$ERR" "minio-standalone-service.yaml:1:1: warning: service berth-nfd-dup/minio-service is defined twice, the same both times: here and at " "the warning"
assert_contains "$ERR" "redis-leader-service.yaml:2:1: warning: service berth-nfd-dup/redis-leader is defined twice, the same both times: here and at $corpus/duplicates/all-in-one/guestbook-all-in-one.yaml:1:1; it is applied once" "the warning"
writes=$(audit_between "$from" "$to" | berth_writes | sort | tr '\n' ' ')
assert_eq "$writes" \
	"create namespaces berth-nfd-dup create services frontend create services minio-service create services redis-leader " \
	"the writes: one create per object"
run_berth diff -f "$corpus/duplicates"
assert_eq "$STATUS" 0 "berth diff of the duplicates: $OUT"

note "two different definitions of one object are refused, naming both places; nothing is written"
audited differs run_berth sync -f "$corpus/duplicate-differs" --wait=false
assert_eq "$STATUS" 1 "sync of two different definitions"
assert_contains "$ERR" "nginx.yaml:1:1: pod berth-nfd-dup/nginx is defined twice: here and at $corpus/duplicate-differs/nginx-lvm.yaml:1:1" "the refusal"
writes=$(audit_between "$from" "$to" | berth_writes)
assert_eq "$writes" "" "writes of a refused commit"

note "a default class in the same commit serves a claim template that names none"
run_berth sync -f "$corpus/default-class" --timeout 120s
[ "$STATUS" = 0 ] || fail "sync with a default class in Git exited $STATUS: $OUT $ERR"
assert_not_contains "$ERR" "warning" "warnings"
assert_eq "$(kubectl -n berth-nfd-class get pvc data-db-0 -o jsonpath='{.spec.storageClassName} {.status.phase}')" \
	"berth-nfd-default Bound" "the claim's class and phase"
run_berth diff -f "$corpus/default-class"
assert_eq "$STATUS" 0 "berth diff after the sync: $OUT"
# No default class may stay for the next case, or for other tests.
kubectl delete namespace berth-nfd-class --wait=true >/dev/null
kubectl delete pv berth-nfd-default-0 --wait=true >/dev/null
kubectl delete storageclass berth-nfd-default >/dev/null

note "a claim template with no class to get: a warning, and the wait says what the claim waits for"
run_berth sync -f "$corpus/no-default-class" --timeout 10s
assert_eq "$STATUS" 1 "sync of a claim that cannot bind yet"
assert_contains "$ERR" "statefulset.yaml:49:5: warning: statefulset 'db': spec.volumeClaimTemplates[0].spec.storageClassName: unset, and no StorageClass among the manifests or in the cluster is the default; the claims wait for a PersistentVolume without a class (or for a default class)" "the warning"
assert_contains "$OUT" "waiting for statefulset berth-nfd-noclass/db: 0 of 1 pods ready; db-0 Pending; claim berth-nfd-noclass/data-db-0 Pending: no PersistentVolume without a class is available" "the wait"
assert_contains "$ERR" "error: timed out after 10 s: statefulset berth-nfd-noclass/db: 0 of 1 pods ready; db-0 Pending; claim berth-nfd-noclass/data-db-0 Pending: no PersistentVolume without a class is available (FailedBinding: no persistent volumes available for this claim and no storage class is set)" "the time-out, with the claim's event"
note "a StatefulSet governed by a Service that is not headless, or by none, is run with a warning"
# The RabbitMQ tutorial's Service is a ClusterIP one; Argo CD's install
# names a governing Service it does not hold. Kubernetes runs both.
for shape in service-not-headless/rabbitmq.yaml:32:3 governing-service-missing/argocd.yaml:52:3; do
	dir=$corpus/${shape%%/*} at=$corpus/$shape
	case $shape in
	service-not-headless/*)
		want="$at: warning: statefulset 'rabbitmq': spec.serviceName: Service 'rabbitmq' ($corpus/service-not-headless/rabbitmq.yaml:9) is not headless; the pods get no stable DNS names of their own (rabbitmq-0.rabbitmq.berth-nfd-rabbit.svc, ...)" ;;
	*)
		want="$at: warning: statefulset 'argocd-application-controller': spec.serviceName: no Service 'argocd-application-controller' among the manifests" ;;
	esac
	run_berth lint "$dir"
	assert_eq "$STATUS" 0 "offline lint of $dir: $OUT $ERR"
	assert_contains "$OUT" "$want" "offline lint of $dir"
	run_berth lint --kubeconfig "$KUBECONFIG" "$dir"
	assert_eq "$STATUS" 0 "lint --kubeconfig of $dir: $OUT $ERR"
	assert_contains "$OUT" "$want" "lint --kubeconfig of $dir"
	run_berth diff -f "$dir"
	assert_eq "$STATUS" 1 "diff of $dir before its sync: $ERR"
	assert_contains "$ERR" "$want" "diff of $dir"
	run_berth sync -f "$dir" --timeout 120s
	assert_eq "$STATUS" 0 "sync of $dir: $OUT $ERR"
	assert_contains "$ERR" "$want" "sync of $dir"
	run_berth diff -f "$dir"
	assert_eq "$STATUS" 0 "diff of $dir after its sync: $OUT"
done
assert_contains "$ERR" "(argocd-application-controller-0.argocd-application-controller.berth-nfd-argocd.svc, ...) until a headless Service (clusterIP: None) of that name selects them (app.kubernetes.io/name: argocd-application-controller)" \
	"what the Argo CD shape's pods lack, and what would give it them"
assert_eq "$(kubectl -n berth-nfd-argocd get statefulset argocd-application-controller -o jsonpath='{.status.readyReplicas}')" \
	1 "the Argo CD shape's pod, ready"
PASSED=1
echo PASS
