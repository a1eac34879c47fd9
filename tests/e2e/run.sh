#!/usr/bin/env bash
# berth run against a local remote: a pushed commit is applied, a broken one
# refused while the cluster stays at the last good commit, a force-push
# followed, live drift reported or corrected as each source says, the state
# kept in a ConfigMap so that a restart applies nothing again, a bad config
# refused, and SIGTERM honoured.
. "$(dirname "$0")/lib.sh"

ns=berth-run
export XDG_CACHE_HOME=$scratch/cache
agent=
cleanup() {
	[ -z "$agent" ] || kill "$agent" 2>/dev/null || true
	# On failure, what the agent said.
	[ ! -s "$scratch/agent.log" ] || [ "${PASSED:-}" ] || tail -20 "$scratch/agent.log" >&2
	kubectl delete namespace "$ns" --ignore-not-found --wait=true >/dev/null
}
cleanup
trap 'cleanup; drop_identity; rm -rf "$scratch"' EXIT
own_identity run
kubectl create namespace "$ns" >/dev/null

git init -q --bare -b main "$scratch/remote.git"
git init -q -b main "$scratch/work"
commit() { # message
	git -C "$scratch/work" add -A
	git -C "$scratch/work" -c user.name=berth -c user.email=berth@example.com \
		commit -q -m "$1"
	git -C "$scratch/work" push -q -f "$scratch/remote.git" main 2>/dev/null
	git -C "$scratch/work" rev-parse HEAD
}
settings() { # source mode
	mkdir -p "$scratch/work/$1"
	cat >"$scratch/work/$1/settings.yaml" <<YAML
apiVersion: v1
kind: ConfigMap
metadata: {name: $1-settings}
data: {mode: $2}
YAML
}
settings correct fast
settings report fast
first=$(commit first)
cat >"$scratch/berth.yaml" <<YAML
stateNamespace: $ns
sources:
- name: correct
  repo: $scratch/remote.git
  path: correct
  namespace: $ns
  interval: 1s
  jitter: 0%
  drift: correct
- name: report
  repo: $scratch/remote.git
  path: report
  namespace: $ns
  interval: 1s
  jitter: 0%
  drift: report
YAML
mode() { kubectl get configmap "$1-settings" -n "$ns" -o jsonpath='{.data.mode}'; }
state() { kubectl get configmap berth-state -n "$ns" -o jsonpath="{.data.$1}"; }
# For wait_until, which runs a command again and again.
mode_is() { [ "$(mode "$1")" = "$2" ]; }
state_is() { [ "$(state "$1")" = "$2" ]; }

note "a bad config is refused at its line, and berth does not start"
printf 'sources:\n- name: x\n  repo: y\n  drift: maybe\n' >"$scratch/bad.yaml"
run_berth run --listen 127.0.0.1:0 --config "$scratch/bad.yaml"
[ "$STATUS" = 2 ] || fail "run with a bad config exited $STATUS: $ERR"
assert_contains "$ERR" 'at=4:3 problem="sources[0].drift: use correct or report"' "the problem"

note "berth run applies the first commit and records it"
"$BERTH" run --listen 127.0.0.1:0 --config "$scratch/berth.yaml" 2>"$scratch/agent.log" &
agent=$!
wait_until 30 "the first commit applied" state_is correct "$first"
assert_eq "$(mode correct)" fast "the first commit"
wait_until 10 "the report source recorded" state_is report "$first"

note "a pushed commit is applied"
settings correct safe
second=$(commit second)
wait_until 20 "the second commit applied" mode_is correct safe
wait_until 10 "the second commit recorded" state_is correct "$second"

note "a broken commit is refused; the cluster stays at the last good commit"
settings correct slow
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: broken\n' >"$scratch/work/correct/broken.yaml"
broken=$(commit broken)
wait_until 20 "the broken commit refused" grep -q "commit=$broken error=" "$scratch/agent.log"
assert_eq "$(mode correct)" safe "the ConfigMap after the broken commit"
assert_eq "$(state correct)" "$second" "the state after the broken commit"
grep -q "commit=$broken error=\".*broken.yaml:4:1: did not find expected" "$scratch/agent.log" ||
	fail "the broken file and line are not in the log line: $(cat "$scratch/agent.log")"
logfmt_only=$(grep -v '^time=' "$scratch/agent.log" || [ $? = 1 ])
[ -z "$logfmt_only" ] || fail "lines that are not logfmt: $logfmt_only"

note "a force-push back to the first commit is followed"
git -C "$scratch/work" reset -q --hard "$first"
git -C "$scratch/work" push -q -f "$scratch/remote.git" main 2>/dev/null
wait_until 20 "the force-push followed" mode_is correct fast

note "live drift: corrected for one source, reported for the other"
kubectl patch configmap correct-settings -n "$ns" --type merge -p '{"data":{"mode":"tampered"}}' >/dev/null
kubectl patch configmap report-settings -n "$ns" --type merge -p '{"data":{"mode":"tampered"}}' >/dev/null
wait_until 20 "the drift corrected" mode_is correct fast
wait_until 20 "the drift reported" grep -q 'msg="drift reported" source=report' "$scratch/agent.log"
assert_eq "$(mode report)" tampered "the reported drift is left"

note "SIGTERM: berth exits 0"
stop_agent "in its interval"
assert_eq "$STATUS" 0 "the exit status after SIGTERM"
grep -q 'msg=stopped' "$scratch/agent.log" || fail "no 'stopped' line"

note "a restarted agent resumes: the recorded commit is not applied again"
audited restart run_berth run --listen 127.0.0.1:0 --config "$scratch/berth.yaml" --once
[ "$STATUS" = 0 ] || fail "run --once exited $STATUS: $ERR"
writes=$(audit_between "$from" "$to" | berth_writes | awk '$3 ~ /settings/')
assert_eq "$writes" "" "writes to the ConfigMaps after the restart"
assert_contains "$ERR" 'msg="drift reported" source=report' "the drift still reported"

note "SIGTERM during a sync: the agent stops waiting and exits 0; the next run completes"
# A StatefulSet whose pod the kubelet stand-in never makes Ready: the
# reconcile writes it, then waits for its rollout.
cat >"$scratch/work/correct/db.yaml" <<'YAML'
apiVersion: v1
kind: Service
metadata: {name: db}
spec: {clusterIP: None, selector: {app: db}, ports: [{port: 5432}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 1
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}, annotations: {berth.dev/hold-ready: "true"}}
    spec: {containers: [{name: db, image: postgres:13}]}
YAML
held=$(commit held)
# berth reads the StatefulSet or its pods after it wrote the StatefulSet:
# it waits for the rollout.
rollout_polled() {
	audit_after "$from" | jq -rs --arg u "$berth_user" --arg ns "$ns" '
		map(select(.userAgent | startswith("berth/")) | select(.user.username == $u)
		    | select(.objectRef.namespace == $ns))
		| (map(.verb == "create" and .objectRef.resource == "statefulsets"
		       and (.requestURI | contains("dryRun") | not)) | index(true)) as $i
		| $i != null and (.[$i + 1:] | any((.verb == "get" or .verb == "list")
		       and (.objectRef.resource == "statefulsets" or .objectRef.resource == "pods")))' |
		grep -x true >/dev/null
}
from=$(audit_mark held-before)
"$BERTH" run --listen 127.0.0.1:0 --config "$scratch/berth.yaml" 2>"$scratch/agent.log" &
agent=$!
wait_until 30 "the held StatefulSet written" kubectl get statefulset db -n "$ns"
wait_until 30 "berth to wait for the rollout" rollout_polled
stop_agent "during a rollout wait"
assert_eq "$STATUS" 0 "the exit status after SIGTERM during a sync"
grep -q 'msg="reconcile failed" source=correct.*stopped' "$scratch/agent.log" ||
	fail "no line says the reconcile was stopped: $(cat "$scratch/agent.log")"
assert_eq "$(state correct)" "$first" "the state after the stopped sync"
# The pod comes up (the hold lifted), and the next run completes the commit.
wait_until 30 "pod db-0" kubectl get pod db-0 -n "$ns"
kubectl annotate pod db-0 -n "$ns" berth.dev/hold-ready- >/dev/null
# --once listens nowhere unless told to.
run_berth run --config "$scratch/berth.yaml" --once
[ "$STATUS" = 0 ] || fail "the next run exited $STATUS: $ERR"
assert_contains "$ERR" "listen=none" "the one-shot run's listener"
assert_eq "$(state correct)" "$held" "the state after the next run"
assert_eq "$(kubectl get statefulset db -n "$ns" -o jsonpath='{.status.readyReplicas}')" 1 \
	"the ready pod"

note "every line the agent wrote is logfmt"
bad=$(cat "$scratch/agent.log" - <<<"$ERR" | { grep -v '^time=' || [ $? = 1 ]; })
[ -z "$bad" ] || fail "lines that are not logfmt: $bad"
PASSED=1
echo PASS
