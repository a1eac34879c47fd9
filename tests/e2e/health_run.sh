#!/usr/bin/env bash
# Health in berth run (issue 27), on the real controllers and the forge
# test server: a commit whose StatefulSet crash-loops makes the source
# Degraded, said once in the log, in /report (JSON and page), in /metrics
# and in the commit status, with the pod's cause; the fixing commit, with
# recoverStuckRollouts, deletes the broken pod and the source is Ready.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/forge_lib.sh"

ns=e2e-health-run-$RANDOM
cleanup() {
	forge_cleanup "$ns"
	[ ! -s "$scratch/agent.log" ] || [ "${PASSED:-}" ] || tail -30 "$scratch/agent.log" >&2
}
trap 'cleanup; drop_identity; rm -rf "$scratch"' EXIT
own_identity health-run
fresh_namespaces "$ns"
github_project health

# The StatefulSet db, running IMAGE, and its headless Service.
app() { statefulset_yaml db 2 "$1" >"$scratch/work/db.yaml"; } # image
cat >"$scratch/berth.yaml" <<YAML
stateNamespace: $ns
sources:
- name: db
  repo: $scratch/app.git
  namespace: $ns
  interval: 1s
  jitter: 0%
  progressDeadline: 3s
  recoverStuckRollouts: true
  status:
    provider: github
    baseURL: $(base_url github)
    repository: octo/health
    tokenFile: $scratch/github.token
YAML

note "a good commit: the source is Ready"
app busybox:1.36
good=$(git_commit "$scratch/work" "$scratch/app.git" good)
start_agent "$scratch/berth.yaml" "$scratch/agent.log"
said() { grep -c "msg=\"health changed\" source=db state=$1 " "$scratch/agent.log"; }
wait_until 60 "the source Ready" grep -q 'msg="health changed" source=db state=Ready was=unknown' "$scratch/agent.log"
wait_until 30 "the good commit's status" statuses_hold github "$good" "berth/default/db success applied: 2 created, 0 configured, 0 unchanged"

note "commit A crash-loops db-1: Degraded, with its cause, said once"
app registry.invalid/berth-crashloop:1
broken=$(git_commit "$scratch/work" "$scratch/app.git" broken)
cause="statefulset $ns/db: 1 of 2 pods ready; db-1 CrashLoopBackOff (restarted 3 times, last exit 1: Error)"
wait_until 60 "the status degraded" statuses_hold github "$broken" "berth/default/db failure degraded: $cause"
# Two more reconciles that fail the same way: the change was said once.
failures() { grep -c "msg=\"reconcile failed\" source=db commit=$broken" "$scratch/agent.log"; }
first=$(failures)
more_failures() { [ "$(failures)" -ge $((first + 2)) ]; }
wait_until 60 "two more failed reconciles" more_failures
assert_eq "$(said Degraded)" 1 "health changed lines to Degraded"
grep -q "msg=\"health changed\" source=db state=Degraded was=Ready cause=\"$cause\"" "$scratch/agent.log" ||
	fail "the transition's line: $(grep 'health changed' "$scratch/agent.log")"
url="http://$(agent_address)"
json=$(curl -sf -H 'Accept: application/json' "$url/report/db")
assert_eq "$(jq -r '"\(.health): \(.healthCause)"' <<<"$json")" "Degraded: $cause" "the report's source health"
assert_eq "$(jq -r '.objects[] | select(.kind == "StatefulSet") | "\(.health): \(.healthCause)"' <<<"$json")" \
	"Degraded: 1 of 2 pods ready; db-1 CrashLoopBackOff (restarted 3 times, last exit 1: Error)" \
	"the report's StatefulSet"
assert_eq "$(jq -r '.objects[] | select(.kind == "Service") | .health' <<<"$json")" Ready "the report's Service"
assert_contains "$(curl -sf -H 'Accept: application/json' "$url/report" | jq -r '.sources[0].health')" \
	Degraded "the source list's health"
assert_contains "$(curl -sf "$url/report/db")" \
	'<section id="health"><h2>Not ready</h2><ul><li><span class="state">Degraded</span>' "the page's list"
metrics=$(curl -sf "$url/metrics")
assert_contains "$metrics" 'berth_source_health{source="db",state="Degraded"} 1' "the source's health metric"
assert_contains "$metrics" 'berth_source_health{source="db",state="Ready"} 0' "the source's other states"
assert_contains "$metrics" 'berth_object_health{source="db",kind="StatefulSet",state="Degraded"} 1' "the objects' health metric"

note "commit B fixes it: recovery deletes db-1, and the source is Ready again"
from=$(audit_mark fix)
app busybox:1.37
fixed=$(git_commit "$scratch/work" "$scratch/app.git" fixed)
recovered="recovered statefulset/db: deleted db-1 (CrashLoopBackOff (restarted 3 times, last exit 1: Error), never Ready on revision"
applied() { grep -q "msg=applied source=db commit=$fixed .* recovery=\"$recovered db-" "$scratch/agent.log"; }
wait_until 90 "the fixed commit applied, saying the recovery" applied
to=$(audit_mark fixed)
# The forge's 140 characters hold the pod; the log line, the reason too.
# (The status goes out after the line, from the poster's queue.)
fixed_status() {
	statuses github "$fixed" |
		grep -qF "berth/default/db success applied: 0 created, 1 configured, 1 unchanged; recovered statefulset/db: deleted db-1 (CrashLoopBackOff"
}
wait_until 30 "the fixed commit's status, saying the recovery" fixed_status
assert_eq "$(audit_between "$from" "$to" | berth_writes | grep '^delete' | sort -u)" "delete pods db-1" \
	"berth's deletes"
wait_until 30 "the source Ready again" grep -q 'msg="health changed" source=db state=Ready was=Degraded' "$scratch/agent.log"
assert_contains "$(curl -sf "$url/metrics")" 'berth_source_health{source="db",state="Ready"} 1' "Ready in the metrics"
stop_agent "the end"
PASSED=1
echo PASS
