#!/usr/bin/env bash
# berth sync and berth diff on local files, against the real control plane:
#   - seed 004's walkthrough from one file in an unhelpful order: created in
#     phase order (the audit log says so), claims Bound and pods Ready when
#     sync returns 0, and nothing to do the second time;
#   - drift made with kubectl: diff names exactly that path and exits 1; sync
#     puts it back; a field removed from Git is removed live;
#   - a rollout held back by the kubelet stand-in: sync times out naming the
#     StatefulSet and what it waits for, and exits 1.
. "$(dirname "$0")/lib.sh"

example=$BERTH_SOURCE_DIR/examples/hostpath-walkthrough

delete_walkthrough
trap 'delete_walkthrough; drop_identity; rm -rf "$scratch"' EXIT
own_identity sync
# Every write berth sent as this test's user between two marks, dry runs
# too, one "verb URI" line each.
writes_between() {
	audit_between "$1" "$2" | berth_requests | { grep -E '^(create|update|patch|delete) ' || [ $? = 1 ]; }
}

# The walkthrough in one file, the StatefulSet first and the class last.
manifest=$scratch/walkthrough.yaml
for f in statefulset service persistentvolumes storageclass; do
	cat "$example/$f.yaml"
	echo ---
done >"$manifest"

note "berth sync -f one file in an unhelpful order"
audited sync run_berth sync -f "$manifest" --timeout 120s
echo "$OUT"
[ "$STATUS" = 0 ] || fail "berth sync exited $STATUS: $ERR"
assert_contains "$OUT" "[5/5] statefulset.apps/web2 created" "progress line"
assert_contains "$OUT" "5 objects: 5 created, 0 configured, 0 recreated, 0 unchanged" "summary"

note "the creates reached the server in phase order (after a dry run of them all)"
creates=$(audit_between "$from" "$to" | berth_writes | awk '$1 == "create" { printf "%s ", $2 }')
assert_eq "$creates" "storageclasses persistentvolumes persistentvolumes services statefulsets " \
	"resources created, in order"

note "when sync returned, both claims were Bound and both pods Ready"
assert_eq "$(kubectl get pvc www-web2-0 www-web2-1 -o jsonpath='{.items[*].status.phase}')" \
	"Bound Bound" "claims"
assert_eq "$(kubectl get statefulset web2 -o jsonpath='{.status.readyReplicas}')" 2 "ready pods"
assert_eq "$(kubectl get statefulset web2 -o jsonpath='{.metadata.labels.app\.kubernetes\.io/managed-by}')" \
	berth "tracking label"

assert_not_contains "$OUT$ERR" "$berth_token" "the token"
assert_not_contains "$OUT$ERR" "$(cat "$BERTH_CLUSTER_DIR/admin.token")" "the admin token"

note "a second sync changes nothing, in a handful of requests, and diff agrees"
audited noop run_berth sync -f "$manifest"
[ "$STATUS" = 0 ] || fail "second sync exited $STATUS: $ERR"
requests=$(audit_between "$from" "$to" | berth_requests | wc -l)
# At least a read of each object, or the count missed them.
[ "$requests" -ge 5 ] || fail "a no-op sync of 5 objects took $requests requests (at least 5)"
[ "$requests" -le 20 ] || fail "a no-op sync of 5 objects took $requests requests (at most 20)"
echo "    no-op sync: $requests requests"
assert_contains "$OUT" "5 objects: 0 created, 0 configured, 0 recreated, 5 unchanged" "no-op sync"
run_berth diff -f "$manifest"
[ "$STATUS" = 0 ] || fail "diff after sync exited $STATUS: $OUT $ERR"

note "drift made with kubectl: diff names exactly that path and exits 1"
kubectl patch statefulset web2 --type merge \
	-p '{"spec":{"template":{"spec":{"terminationGracePeriodSeconds":20}}}}' >/dev/null
kubectl label service nginx2 owner=someone-else >/dev/null
run_berth diff -f "$manifest" -o json
[ "$STATUS" = 1 ] || fail "diff with drift exited $STATUS: $ERR"
assert_eq "$(jq -c '[.objects[] | select(.state != "in-sync") | {name, paths}]' <<<"$OUT")" \
	'[{"name":"web2","paths":[{"desired":10,"live":20,"path":"spec.template.spec.terminationGracePeriodSeconds"}]}]' \
	"drifted paths"
run_berth diff -f "$manifest"
assert_contains "$OUT" "-      terminationGracePeriodSeconds: 20" "text diff, live side"
assert_contains "$OUT" "+      terminationGracePeriodSeconds: 10" "text diff, Git side"

note "sync puts it back, and leaves the other writer's label alone"
run_berth sync -f "$manifest" --timeout 120s
[ "$STATUS" = 0 ] || fail "sync exited $STATUS: $ERR"
assert_contains "$OUT" "statefulset.apps/web2 configured" "progress line"
assert_eq "$(kubectl get statefulset web2 -o jsonpath='{.spec.template.spec.terminationGracePeriodSeconds}')" \
	10 "terminationGracePeriodSeconds"
assert_eq "$(kubectl get service nginx2 -o jsonpath='{.metadata.labels.owner}')" someone-else \
	"a label berth never applied"

note "a field removed from Git is removed live"
grep -v 'terminationGracePeriodSeconds' "$manifest" >"$scratch/removed.yaml"
sed -i 's/^    app: nginx2$/    app: nginx2\n    tier: web/' "$scratch/removed.yaml"
run_berth sync -f "$scratch/removed.yaml" --timeout 120s
[ "$STATUS" = 0 ] || fail "sync exited $STATUS: $ERR"
# The server's default comes back where berth's value was.
assert_eq "$(kubectl get statefulset web2 -o jsonpath='{.spec.template.spec.terminationGracePeriodSeconds}')" \
	30 "terminationGracePeriodSeconds after removal"

note "a change the server would refuse is refused before anything is written"
sed 's/serviceName: "nginx2"/serviceName: "other"/; s/terminationGracePeriodSeconds: 10/terminationGracePeriodSeconds: 15/' \
	"$manifest" >"$scratch/immutable.yaml"
printf -- '---\napiVersion: v1\nkind: Service\nmetadata: {name: other}\nspec: {clusterIP: None, selector: {app: nginx2}, ports: [{port: 80}]}\n' \
	>>"$scratch/immutable.yaml"
audited immutable run_berth sync -f "$scratch/immutable.yaml"
[ "$STATUS" = 1 ] || fail "sync of an immutable change exited $STATUS"
assert_contains "$ERR" "immutable.yaml:9:3: statefulset default/web2: spec.serviceName cannot change: live \"nginx2\", desired \"other\"" \
	"immutable field message"
assert_contains "$ERR" "nothing was changed" "immutable field message"
writes=$(writes_between "$from" "$to")
assert_eq "$writes" "" "writes after a refused commit"
assert_eq "$(kubectl get service other --ignore-not-found -o name)" "" "the new Service"

note "a commit that breaks a StatefulSet is refused whole, with file:line:col"
audited broken run_berth sync -f "$BERTH_SOURCE_DIR/examples/broken/missing-headless-service"
[ "$STATUS" = 1 ] || fail "sync of a broken commit exited $STATUS"
assert_contains "$ERR" "statefulset.yaml:23:7: statefulset 'my-statefulset': spec.volumeClaimTemplates[0] 'data': mounted by no container" \
	"broken commit message"
assert_contains "$ERR" "statefulset.yaml:6:3: warning: statefulset 'my-statefulset': spec.serviceName: no Service 'my-service' among the manifests or in the cluster; the pods get no stable DNS names of their own (my-statefulset-0.my-service.default.svc, ...)" \
	"the missing Service: a warning"
writes=$(writes_between "$from" "$to")
assert_eq "$writes" "" "writes after a broken commit"

note "manifests the server rejects (422) change nothing, and their causes are named"
cat >"$scratch/rejected.yaml" <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: berth-fine}
data: {a: "1"}
---
apiVersion: v1
kind: Service
metadata: {name: berth-bad-port}
spec:
  ports: [{port: 99999}]
---
apiVersion: v1
kind: Service
metadata: {name: berth-bad-type}
spec:
  type: Nowhere
  ports: [{port: 80}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: berth-bad-key}
data: {"a key": "1"}
YAML
audited rejected run_berth sync -f "$scratch/rejected.yaml"
[ "$STATUS" = 1 ] || fail "sync of a rejected manifest exited $STATUS"
assert_contains "$ERR" "rejected.yaml:6:1: service default/berth-bad-port: POST" "422 message"
assert_contains "$ERR" "422 Unprocessable Entity" "422 message"
assert_contains "$ERR" "spec.ports[0].port: Invalid value: 99999" "422 cause"
assert_contains "$ERR" "rejected.yaml:12:1: service default/berth-bad-type: POST" "the second 422"
assert_contains "$ERR" "rejected.yaml:19:1: configmap default/berth-bad-key: POST" "the third 422"
assert_contains "$ERR" "3 objects the server refuses; nothing was changed" "422 message"
# The summary says so too: the commit's dry run stopped it before any write.
assert_contains "$OUT" "4 objects: 0 created, 0 configured, 0 recreated, 0 unchanged, 0 pruned; nothing was changed" \
	"the summary of a commit the dry run refused"
assert_not_contains "$OUT" "first failure" "the summary of a commit the dry run refused"
real_writes=$(audit_between "$from" "$to" | berth_writes)
assert_eq "$real_writes" "" "writes that were not dry runs"
assert_eq "$(kubectl get configmap berth-fine --ignore-not-found -o name)" "" "the good ConfigMap"

note "a held rollout: sync times out naming what it waits for"
# The new template holds its pods back (the kubelet stand-in never makes
# them Ready), so the rolling update replaces web2-1 and stops there.
sed 's/^\(        app: nginx2 # has to match .spec.selector.matchLabels\)$/\1\n      annotations: {berth.dev\/hold-ready: "true"}/' \
	"$manifest" >"$scratch/held.yaml"
grep -q 'hold-ready' "$scratch/held.yaml" || fail "could not add the hold to the template"
run_berth sync -f "$scratch/held.yaml" --timeout 10s
[ "$STATUS" = 1 ] || fail "sync with a held rollout exited $STATUS: $OUT"
# web2-1 never comes back Ready; web2-0 may still be settling from the
# last rollout when a slow kubelet is behind, so 0 or 1 of 2.
assert_contains "$ERR" "timed out after 10 s: statefulset default/web2: " "time-out message"
grep -Eq 'statefulset default/web2: [01] of 2 pods ready' <<<"$ERR" ||
	fail "time-out message does not count the ready pods: $ERR"
echo PASS
