#!/usr/bin/env bash
# berth run at rest: between commits, the watches are the live state. An
# interval with nothing changed costs no request (proven between two audit
# markers spanning 10 intervals); berth's own writes (a correction, a new
# commit) trigger no reconcile through the watch (no echo); a drift made
# while berth was down is found at start; a new commit and resyncInterval
# compare in full, against the watches' store rather than a LIST.
. "$(dirname "$0")/lib.sh"

ns=berth-rest
export XDG_CACHE_HOME=$scratch/cache
agent=
cleanup() {
	[ -z "$agent" ] || kill "$agent" 2>/dev/null || true
	[ ! -s "$scratch/agent.log" ] || [ "${PASSED:-}" ] || tail -20 "$scratch/agent.log" >&2
	kubectl delete namespace "$ns" --ignore-not-found --wait=false >/dev/null
}
trap 'cleanup; kubectl delete crd restprobes.berth.dev --ignore-not-found --wait=false >/dev/null; drop_identity; rm -rf "$scratch"' EXIT
own_identity rest
fresh_namespaces "$ns"

git init -q --bare -b main "$scratch/remote.git"
git init -q -b main "$scratch/work"
for i in 1 2 3; do configmap_yaml "rest-$i" "v$i" >"$scratch/work/rest-$i.yaml"; done
first=$(git_commit "$scratch/work" "$scratch/remote.git" first)
config() { # resyncInterval
	cat >"$scratch/berth.yaml" <<YAML
stateNamespace: $ns
sources:
- name: rest
  repo: $scratch/remote.git
  namespace: $ns
  interval: 1s
  resyncInterval: $1
  jitter: 0%
YAML
}
config 1h
log=$scratch/agent.log
value() { kubectl get configmap "$1" -n "$ns" -o jsonpath='{.data.value}'; }
value_is() { [ "$(value "$1")" = "$2" ]; }
state_is() { [ "$(kubectl get configmap berth-state -n "$ns" -o jsonpath='{.data.rest}')" = "$1" ]; }
# The reconcile lines of the source in the log, and those at rest.
reconciles() { grep -E 'msg="?(in sync|applied|drift reported|reconcile failed)"? source=rest ' "$log"; }
at_rest='why="commit unchanged, and the watches saw no change (interval)"'
rests() { reconciles | grep -cF "$at_rest"; }
rests_reach() { [ "$(rests)" -ge "$1" ]; }
# After the reconcile line matching PATTERN: wait for N reconciles at
# rest, and say that none between was made due by a watch event.
no_echo_after() { # pattern n what
	local line
	wait_until 30 "the reconcile: $3" grep -qE "$1" "$log"
	line=$(grep -nE "$1" "$log" | tail -1 | cut -d: -f1)
	until [ "$(tail -n +"$((line + 1))" "$log" | grep -cF "$at_rest")" -ge "$2" ]; do
		agent_gone && fail "berth stopped"
		sleep 0.2
	done
	echoes=$(tail -n +"$((line + 1))" "$log" | grep -E 'source=rest .*\(watch\)' || true)
	[ -z "$echoes" ] || fail "berth's own write ($3) triggered a reconcile through its watch:" "$echoes"
}

note "the first reconcile applies the commit; the next ones rest"
start_agent "$scratch/berth.yaml" "$log"
wait_until 30 "the first commit applied" state_is "$first"
wait_until 30 "a reconcile at rest" rests_reach 1

note "at rest, 10 intervals cost no request"
from=$(audit_mark rest-before)
began=$(rests)
lines=$(reconciles | wc -l)
start=$(date +%s%N)
wait_until 30 "10 reconciles at rest" rests_reach $((began + 10))
to=$(audit_mark rest-after)
echo "figure: 10 intervals at rest took $((($(date +%s%N) - start) / 1000000)) ms"
requests=$(audit_between "$from" "$to" | berth_requests)
[ -z "$requests" ] || fail "berth sent requests at rest:" "$requests"
full=$(reconciles | tail -n +"$((lines + 1))" | grep -vF "$at_rest" || true)
[ -z "$full" ] || fail "a full reconcile between the markers:" "$full"
# The log line at rest counts the objects as the last comparison did.
assert_contains "$(reconciles | grep -F "$at_rest" | tail -1)" "action=nothing" "the line at rest"
assert_contains "$(reconciles | grep -F "$at_rest" | tail -1)" "objects=3 drifted=0" "the line at rest"

note "a live edit is seen by the watch and corrected; the correction echoes nothing"
kubectl patch configmap rest-2 -n "$ns" --type merge -p '{"data":{"value":"edited"}}' >/dev/null
wait_until 30 "the edit corrected" value_is rest-2 v2
no_echo_after 'action=correct why="drift in 1 object \(watch\)"' 3 "the correction"

note "a deleted object is created again, as the watches' store says it is missing"
kubectl delete configmap rest-3 -n "$ns" >/dev/null
wait_until 30 "rest-3 created again" value_is rest-3 v3
no_echo_after 'action=correct why="drift in 1 object \(watch\)"' 3 "the creation"
assert_contains "$(reconciles | grep -F 'action=correct' | tail -1)" "created=1" "the reconcile of the deletion"

note "a new commit is applied, compared with the watches' store (no LIST); its writes echo nothing"
configmap_yaml rest-1 changed >"$scratch/work/rest-1.yaml"
configmap_yaml rest-4 new >"$scratch/work/rest-4.yaml"
from=$(audit_mark commit-before)
second=$(git_commit "$scratch/work" "$scratch/remote.git" second)
wait_until 30 "the second commit applied" state_is "$second"
to=$(audit_mark commit-after)
assert_eq "$(value rest-1)" changed "the changed object"
assert_eq "$(value rest-4)" new "the new object"
requests=$(audit_between "$from" "$to" | berth_requests)
assert_not_contains "$requests" "list /api/v1/namespaces/$ns/configmaps" "the second commit's requests"
echo "figure: the second commit's reconcile sent $(grep -c . <<<"$requests") requests: $(cut -d' ' -f1 <<<"$requests" | sort | uniq -c | tr -s ' \n' ' ')"
no_echo_after "action=apply why=\"new commit ${second:0:7}" 3 "the second commit"
note "a CustomResourceDefinition added makes the next reconcile read discovery again"
# The second commit's reconcile read no discovery: it was kept.
assert_not_contains "$(grep -E '^get /api(/v1)?$' <<<"$requests" || true)" "get /api" "the second commit's requests"
install_crd restprobes RestProbe
configmap_yaml rest-1 again >"$scratch/work/rest-1.yaml"
from=$(audit_mark crd-before)
third=$(git_commit "$scratch/work" "$scratch/remote.git" third)
wait_until 30 "the third commit applied" state_is "$third"
to=$(audit_mark crd-after)
requests=$(audit_between "$from" "$to" | berth_requests)
assert_contains "$requests" "get /api" "the third commit's requests (discovery read again)"
kubectl delete crd restprobes.berth.dev --wait=false >/dev/null
no_echo_after "action=apply why=\"new commit ${third:0:7}" 1 "the third commit"
stop_agent "at rest"

note "a drift made while berth was down is found at start"
kubectl patch configmap rest-3 -n "$ns" --type merge -p '{"data":{"value":"while-down"}}' >/dev/null
: >"$log"
start_agent "$scratch/berth.yaml" "$log"
wait_until 30 "the drift made while down corrected" value_is rest-3 v3
assert_contains "$(reconciles | head -1)" 'action=correct why="drift in 1 object (config)"' \
	"the first reconcile after the restart"
stop_agent "after the restart"

note "after a restart that wrote nothing, the watches' first LIST finds each object as it was compared: the next interval rests, and a commit compares what changed"
: >"$log"
start_agent "$scratch/berth.yaml" "$log"
wait_until 30 "a reconcile at rest" rests_reach 1
assert_contains "$(reconciles | head -1)" 'action=nothing why="in sync (config)"' \
	"the first reconcile after the restart"
assert_contains "$(reconciles | sed -n 2p)" "$at_rest" "the second reconcile after the restart"
configmap_yaml rest-2 pushed >"$scratch/work/rest-2.yaml"
fourth=$(git_commit "$scratch/work" "$scratch/remote.git" fourth)
wait_until 30 "the fourth commit applied" state_is "$fourth"
assert_contains "$(reconciles | grep -F "action=apply why=\"new commit ${fourth:0:7}")" \
	" changed_files=1 changed_objects=1 compared=changed " "the fourth commit's reconcile"
stop_agent "after the quiet restart"

note "resyncInterval compares in full, reading the watches' store, not LISTing"
config 3s
: >"$log"
start_agent "$scratch/berth.yaml" "$log"
wait_until 30 "a reconcile at rest" rests_reach 1
from=$(audit_mark resync-before)
began=$(reconciles | wc -l)
resyncs() { reconciles | tail -n +$((began + 1)) | grep -cF 'why="in sync (interval)"'; }
resynced() { [ "$(resyncs)" -ge 2 ]; }
wait_until 30 "two resyncs" resynced
to=$(audit_mark resync-after)
requests=$(audit_between "$from" "$to" | berth_requests)
assert_not_contains "$requests" "list /api/v1/namespaces/$ns/configmaps" "the resyncs' requests"
rested=$(reconciles | tail -n +"$((began + 1))" | grep -cF "$at_rest" || true)
[ "$rested" -ge 1 ] || fail "no reconcile at rest between the resyncs"
echo "figure: between the markers, $(resyncs) resyncs sent $(grep -c . <<<"$requests") requests in all; $rested reconciles at rest"
stop_agent "resync"
PASSED=1
