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
. "$(dirname "$0")/lib.sh"

: "${BERTH_MERGE_TOOL:?BERTH_MERGE_TOOL must name the merge tool of tests/helpers (ctest sets it)}"
examples=$BERTH_SOURCE_DIR/examples
folders=$(cd "$examples" && ls -d */ | grep -v '^broken/$' | tr -d /)

# Delete every example and wait until it is gone (a namespace being
# terminated refuses new objects).
cleanup() {
	local f
	for f in $folders; do
		kubectl delete -f "$examples/$f" --ignore-not-found --wait=true --timeout=180s \
			>/dev/null 2>&1 || true
	done
}
cleanup
trap 'cleanup; rm -rf "$scratch"' EXIT

for f in $folders; do
	note "$f: kubectl apply, then wait for readiness"
	kubectl apply -f "$examples/$f" >/dev/null
	for sts in $(kubectl get -f "$examples/$f" -o jsonpath='{range .items[?(@.kind=="StatefulSet")]}{.metadata.namespace}/{.metadata.name}{" "}{end}'); do
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
echo PASS
