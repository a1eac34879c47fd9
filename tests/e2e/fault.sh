#!/usr/bin/env bash
# The apiserver dies in the middle of a sync of many objects: berth sync -f
# one directory of ~530 objects (a Namespace, a volume and a claim, 400
# ConfigMaps, 120 Services, 4 StatefulSets); once its real creates have begun
# the apiserver is frozen (SIGSTOP, so a create can land without its answer
# going out), killed (SIGKILL) and started again.
#   - the first sync either rode out the outage on its retries, or failed
#     naming the server, with exit 1; its output never holds the token;
#   - a second sync exits 0 and creates exactly what is missing; every object
#     then exists once, carries the tracking label, and was created at most
#     once (the audit log says so), and berth deleted nothing;
#   - a third sync changes nothing and berth diff exits 0.
. "$(dirname "$0")/lib.sh"

ns=berth-fault
n_cm=400
n_svc=120
n_sts=4
total=$((1 + 2 + n_cm + n_svc + n_sts))
token=$(cat "$BERTH_CLUSTER_DIR/admin.token")

cleanup() {
	# A test that failed during the outage leaves the apiserver frozen or down.
	cluster status >/dev/null 2>&1 || {
		cluster kill-apiserver || true
		cluster start-apiserver
	} >/dev/null 2>&1 || true
	kubectl delete namespace "$ns" --ignore-not-found --wait=true >/dev/null
	kubectl delete pv berth-fault-pv --ignore-not-found >/dev/null
}
cleanup
sync_pid=
trap '[ -z "$sync_pid" ] || kill "$sync_pid" 2>/dev/null; cleanup; rm -rf "$scratch"' EXIT

src=$scratch/app
mkdir -p "$src"
cat >"$src/namespace.yaml" <<YAML
apiVersion: v1
kind: Namespace
metadata: {name: $ns}
YAML
volume_and_claim berth-fault "$ns" >"$src/storage.yaml"
for i in $(seq -w 0 $((n_cm - 1))); do
	printf -- '---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm-%s, namespace: %s}\n' "$i" "$ns"
	printf 'data: {index: "%s", colour: blue, payload: "%s"}\n' "$i" "$(printf 'x%.0s' $(seq 64))"
done >"$src/configmaps.yaml"
# Headless, but for two: the cluster's Service range is a /24, shared.
for i in $(seq -w 0 $((n_svc - 1))); do
	ip='clusterIP: None'
	[ $((10#$i)) -lt $((n_svc - 2)) ] || ip='type: ClusterIP'
	printf -- '---\napiVersion: v1\nkind: Service\nmetadata: {name: svc-%s, namespace: %s}\n' "$i" "$ns"
	printf 'spec:\n  %s\n  selector: {app: db-%s}\n  ports: [{name: web, port: 80}]\n' "$ip" "$i"
done >"$src/services.yaml"
for i in $(seq 0 $((n_sts - 1))); do
	cat <<YAML
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db-$i, namespace: $ns}
spec:
  serviceName: svc-$(printf '%03d' "$i")
  replicas: $((i < 2 ? 1 : 0))
  selector: {matchLabels: {app: db-$(printf '%03d' "$i")}}
  template:
    metadata: {labels: {app: db-$(printf '%03d' "$i")}}
    spec:
      containers:
      - {name: db, image: "registry.k8s.io/nginx-slim:0.8", ports: [{name: web, containerPort: 80}]}
YAML
done >"$src/statefulsets.yaml"

# The audit log since byte $1 (the log only grows; tail -c seeks).
audit_since() {
	tail -c +"$(($1 + 1))" "$BERTH_CLUSTER_DIR/audit.log"
}

# The audit log's berth creates (not dry runs) in $ns since byte $1 (awk:
# a half-written last line is no error).
real_creates() {
	audit_since "$1" | awk -v ns="/namespaces/$ns/" '
		index($0, "\"userAgent\":\"berth/") && index($0, "\"verb\":\"create\"") &&
		index($0, ns) && !index($0, "dryRun") { n++ }
		END { print n + 0 }'
}
port=$(sed 's#.*:##' "$BERTH_CLUSTER_DIR/server")
# The local ports of the first sync's connections to the apiserver.
berth_connections() {
	ss -Htanp "( dport = :$port )" |
		awk -v pid="pid=$sync_pid," 'index($0, pid) { n = split($4, a, ":"); print a[n] }' | sort
}
connected() { [ -n "$(berth_connections)" ]; }
# It noticed the outage: a connection the kill broke is closed.
noticed() { [ -n "$(comm -23 <(echo "$held") <(berth_connections))" ]; }
frozen() { [ "$(awk '{ print $3 }' "/proc/$apiserver/stat")" = T ]; }

note "the first sync: the apiserver is killed once its creates have begun"
audit_from=$(stat -c %s "$BERTH_CLUSTER_DIR/audit.log")
from=$(audit_mark fault-before)
out1=$scratch/sync1.out
err1=$scratch/sync1.err
started=$SECONDS
"$BERTH" sync -f "$src" --timeout 120s >"$out1" 2>"$err1" &
sync_pid=$!
# Past the namespace, the claim and the first ConfigMaps: the middle of it.
deadline=$((SECONDS + 90))
while :; do
	creates=$(real_creates "$audit_from")
	[ "$creates" -lt 20 ] || break
	kill -0 "$sync_pid" 2>/dev/null || fail "sync ended before the outage: $(cat "$out1" "$err1")"
	[ $SECONDS -lt $deadline ] || fail "sync made no creates in 90 s: $(tail -n 5 "$out1")"
	sleep 0.05
done
apiserver=$(cat "$BERTH_CLUSTER_DIR/pids/kube-apiserver")
kill -STOP "$apiserver"
wait_until 10 "the apiserver to stop on SIGSTOP" frozen
# Connections the kill will break, so that berth meets the outage.
wait_until 10 "the sync to hold connections to the frozen apiserver" connected
held=$(berth_connections)
echo "    froze the apiserver after $(grep -c . "$out1" || true) progress lines," \
	"with $(wc -l <<<"$held") connections of berth's open"
cluster kill-apiserver
wait_until 30 "the sync to notice the outage" noticed
cluster start-apiserver
sync1=0
wait "$sync_pid" || sync1=$?
sync_pid=
echo "    first sync exited $sync1 after $((SECONDS - started)) s: $(tail -n 1 "$out1")"
[ ! -s "$err1" ] || sed 's/^/    stderr: /' "$err1"
# A create that landed while its answer was lost comes back 409 on retry;
# berth reads the object again and finds it as Git has it.
grep ' unchanged$' "$out1" | sed 's/^/    answer lost, read back: /' || true
assert_not_contains "$(cat "$out1" "$err1")" "$token" "the first sync's output"
case $sync1 in
0)
	assert_contains "$(cat "$out1")" "$total objects: " "the first sync's summary"
	;;
1)
	assert_contains "$(cat "$err1")" "$(cat "$BERTH_CLUSTER_DIR/server")" \
		"the first sync's error names the server"
	grep -Eq "(namespace|persistentvolume|persistentvolumeclaim|configmap|service|statefulset) ($ns/)?[a-z0-9-]+: " \
		"$err1" || fail "the first sync's error names no object: $(cat "$err1")"
	;;
*) fail "the first sync exited $sync1: $(cat "$err1")" ;;
esac

# What the outage left: every name berth made, by kind.
live_names() {
	local k
	for k in configmaps services statefulsets persistentvolumeclaims; do
		kubectl get "$k" -n "$ns" -l app.kubernetes.io/managed-by=berth \
			-o jsonpath='{range .items[*]}{.kind}/{.metadata.name}{"\n"}{end}' || return
	done
	kubectl get namespace,pv -l app.kubernetes.io/managed-by=berth \
		-o jsonpath='{range .items[*]}{.kind}/{.metadata.name}{"\n"}{end}' >"$scratch/cluster-scoped" ||
		return
	grep -E "^(Namespace/$ns|PersistentVolume/berth-fault-pv)\$" "$scratch/cluster-scoped" || [ $? = 1 ]
}
before=$(live_names | wc -l)
echo "    $before of $total objects exist after the outage"

note "a second sync converges"
run_berth sync -f "$src" --timeout 120s
[ "$STATUS" = 0 ] || fail "second sync exited $STATUS: $ERR"
assert_not_contains "$OUT$ERR" "$token" "the second sync's output"
summary=$(tail -n 1 <<<"$OUT")
echo "    $summary"
assert_contains "$summary" \
	"$total objects: $((total - before)) created, 0 configured, 0 recreated, $before unchanged" \
	"the second sync creates exactly what is missing"

note "every object exists once, with the tracking label"
{
	echo "Namespace/$ns"
	echo PersistentVolume/berth-fault-pv
	echo PersistentVolumeClaim/claim
	for i in $(seq -w 0 $((n_cm - 1))); do echo "ConfigMap/cm-$i"; done
	for i in $(seq -w 0 $((n_svc - 1))); do echo "Service/svc-$i"; done
	for i in $(seq 0 $((n_sts - 1))); do echo "StatefulSet/db-$i"; done
} | sort >"$scratch/want"
live_names | sort >"$scratch/got"
diff -u "$scratch/want" "$scratch/got" >&2 || fail "the labelled objects are not the manifests' objects"
assert_eq "$(kubectl get configmaps -n "$ns" -o name | grep -c '^configmap/cm-')" "$n_cm" "ConfigMaps"
assert_eq "$(kubectl get services -n "$ns" -o name | wc -l)" "$n_svc" "Services"
assert_eq "$(kubectl get pods -n "$ns" -o name | sort | tr '\n' ' ')" "pod/db-0-0 pod/db-1-0 " \
	"pods of the StatefulSets"

note "the audit log: no object created twice, nothing deleted"
to=$(audit_mark fault-after)
audit_between "$from" "$to" |
	jq -c 'select(.userAgent | startswith("berth/"))
	       | select(.requestURI | contains("dryRun") | not)
	       | {verb, code: .responseStatus.code, ref: .objectRef}' >"$scratch/berth-audit"
twice=$(jq -r 'select(.verb == "create" and .code == 201)
               | "\(.ref.resource)/\(.ref.namespace // "")/\(.ref.name // "")"' "$scratch/berth-audit" |
	sort | uniq -d)
assert_eq "$twice" "" "objects created twice"
assert_eq "$(jq -r 'select(.verb == "delete") | .ref.name' "$scratch/berth-audit")" "" \
	"objects berth deleted"

note "a third sync changes nothing, and diff agrees"
run_berth sync -f "$src"
[ "$STATUS" = 0 ] || fail "third sync exited $STATUS: $ERR"
assert_contains "$OUT" "$total objects: 0 created, 0 configured, 0 recreated, $total unchanged" \
	"no-op sync"
run_berth diff -f "$src"
[ "$STATUS" = 0 ] || fail "diff after the second sync exited $STATUS: $OUT $ERR"
echo PASS
