#!/usr/bin/env bash
# Waves (issue 28): berth.io/wave orders a commit before the kind phases.
# The StatefulSet db is wave -1, the app's ConfigMap wave 0 (whose phase
# comes before workloads): every write of wave -1 comes before any of wave
# 0, and db's readiness is waited for in between, held by the kubelet
# stand-in until the test releases it.
. "$(dirname "$0")/lib.sh"

ns=e2e-waves-$RANDOM
trap '[ -z "$syncing" ] || kill "$syncing" 2>/dev/null || :; kubectl delete namespace "$ns" --ignore-not-found --wait=false >/dev/null; drop_identity; rm -rf "$scratch"' EXIT
syncing=
own_identity waves
fresh_namespaces "$ns"

mkdir -p "$scratch/app"
cat >"$scratch/app/app.yaml" <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: app-config}
data: {db: db-0.db}
---
apiVersion: v1
kind: Service
metadata:
  name: db
  annotations: {berth.io/wave: "-1"}
spec: {clusterIP: None, selector: {app: db}, ports: [{port: 5432}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
  annotations: {berth.io/wave: "-1"}
spec:
  serviceName: db
  replicas: 1
  selector: {matchLabels: {app: db}}
  template:
    metadata:
      labels: {app: db}
      annotations: {berth.dev/hold-ready: "true"}
    spec:
      containers: [{name: db, image: busybox}]
YAML

note "wave -1 is written, then waited for; nothing of wave 0 is written meanwhile"
from=$(audit_mark start)
"$BERTH" sync -n "$ns" -f "$scratch/app" --timeout 120s >"$scratch/sync.out" 2>&1 &
syncing=$!
wait_until 60 "the sync to wait for db" grep -q "waiting for statefulset $ns/db" "$scratch/sync.out"
wait_until 60 "pod db-0" kubectl -n "$ns" get pod db-0
held=$(audit_mark held)
assert_eq "$(audit_between "$from" "$held" | berth_writes)" "create services db
create statefulsets db" "berth's writes while db is held"
kubectl -n "$ns" annotate pod db-0 berth.dev/hold-ready- >/dev/null
wait "$syncing" || fail "the sync failed: $(cat "$scratch/sync.out")"
syncing=
to=$(audit_mark end)
assert_eq "$(audit_between "$held" "$to" | berth_writes)" "create configmaps app-config" \
	"berth's writes once db was ready"
out=$(cat "$scratch/sync.out")
assert_contains "$out" "wave -1" "the first wave's line"
assert_contains "$out" "statefulset $ns/db ready after" "db's wait"
assert_contains "$out" "wave 0" "the second wave's line"
[ "$(grep -n 'wave 0' "$scratch/sync.out" | cut -d: -f1)" -gt \
	"$(grep -n "statefulset $ns/db ready after" "$scratch/sync.out" | cut -d: -f1)" ] ||
	fail "wave 0 began before db was ready: $out"

note "berth diff shows the waves"
run_berth diff -n "$ns" -f "$scratch/app" -o json
assert_eq "$STATUS" 0 "diff after the sync: $ERR"
assert_eq "$(jq -r '.objects[] | "\(.kind) \(.wave // 0)"' <<<"$OUT" | sort)" "ConfigMap 0
Service -1
StatefulSet -1" "the waves in the JSON"
run_berth diff -n "$ns" -f "$scratch/app" -o markdown
assert_contains "$OUT" "| $ns | db | in-sync (wave -1) |" "a wave in the Markdown"

note "prune deletes in reverse: the later wave first"
mkdir -p "$scratch/pruned"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm-a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-z\n  annotations: {berth.io/wave: "2"}\n' \
	>"$scratch/pruned/cms.yaml"
run_berth sync -n "$ns" -f "$scratch/pruned"
[ "$STATUS" = 0 ] || fail "sync of the ConfigMaps exited $STATUS: $ERR"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm-kept}\n' >"$scratch/pruned/cms.yaml"
audited prune run_berth sync -n "$ns" -f "$scratch/pruned" --prune
[ "$STATUS" = 0 ] || fail "sync --prune exited $STATUS: $ERR"
assert_eq "$(audit_between "$from" "$to" | berth_writes | grep '^delete')" "delete configmaps cm-z
delete configmaps cm-a" "the order of the deletes (cm-z's wave 2 first, not by name)"

note "a wave that is not an integer is refused, nothing written"
sed -i 's/berth.io\/wave: "-1"}/berth.io\/wave: "first"}/' "$scratch/app/app.yaml"
audited bad run_berth sync -n "$ns" -f "$scratch/app"
[ "$STATUS" = 1 ] || fail "sync of a bad wave exited $STATUS: $ERR"
assert_contains "$ERR" "app.yaml:10:3: service 'db': metadata.annotations.berth.io/wave: must be an integer" "the refusal"
assert_eq "$(audit_between "$from" "$to" | berth_writes)" "" "writes of the refused commit"
echo PASS
