#!/usr/bin/env bash
# Hooks (issue 28), on the real Job controller: the kubelet stand-in ends a
# pod annotated berth.dev/exit as its container would. A pre-sync
# migration Job runs before the StatefulSet is written, named for the
# commit; one that fails stops the sync with nothing else written, and its
# failure is the sync's error; a post-sync Job runs once all is ready; and
# of a hook's runs, the newest 3 are kept.
. "$(dirname "$0")/lib.sh"

ns=e2e-hooks-$RANDOM
agent=
trap '[ -z "$agent" ] || kill -9 "$agent" 2>/dev/null || :; kubectl delete namespace "$ns" --ignore-not-found --wait=false >/dev/null; drop_identity; rm -rf "$scratch"' EXIT
own_identity hooks
fresh_namespaces "$ns"
export XDG_CACHE_HOME=$scratch/cache
git init -q --bare -b main "$scratch/app.git"
git init -q -b main "$scratch/work"

# A hook Job NAME, run WHEN, whose pod exits EXIT, its run deleted as
# DELETE says (default: on-success), as YAML after a "---".
hook_job() { # name when exit [delete]
	cat <<YAML
---
apiVersion: batch/v1
kind: Job
metadata:
  name: $1
  annotations: {berth.io/hook: $2${4:+, berth.io/hook-delete: $4}}
spec:
  backoffLimit: 0
  template:
    metadata: {annotations: {berth.dev/exit: "$3"}}
    spec:
      restartPolicy: Never
      containers: [{name: $1, image: busybox}]
YAML
}
# The commit: db running IMAGE, the migration exiting MIGRATE, the
# notification NOTIFY (default 0), and with CLEANUP, a sync-fail hook.
app() { # image migrate [notify [cleanup]]
	{
		statefulset_yaml db 1 "$1"
		hook_job migrate pre-sync "$2"
		hook_job notify post-sync "${3:-0}" never
		cat <<YAML
---
apiVersion: v1
kind: Pod
metadata:
  name: ping
  annotations: {berth.io/hook: post-sync, berth.io/hook-delete: always, berth.dev/exit: "0"}
spec:
  restartPolicy: Never
  containers: [{name: ping, image: busybox}]
YAML
		[ -z "${4:-}" ] || hook_job cleanup sync-fail 0 never
	} >"$scratch/work/app.yaml"
	git_commit "$scratch/work" "$scratch/app.git" "$1 $2"
}
sync() { run_berth sync -n "$ns" --repo "$scratch/app.git" --timeout 120s; }
jobs() { kubectl -n "$ns" get jobs -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}' | sort; }
# The line of the first audit record between two marks that matches.
line_of() { # from to pattern
	audit_between "$1" "$2" | berth_writes | grep -n "$3" | head -1 | cut -d: -f1
}

note "a pre-sync migration runs before the StatefulSet, a post-sync one after it is ready"
c1=$(app busybox:1.36 0)
audited first sync
[ "$STATUS" = 0 ] || fail "the first sync exited $STATUS: $ERR"
echo "    synced with its hooks in $took ms"
migrate=$(line_of "$from" "$to" "create jobs migrate-${c1:0:7}")
sts=$(line_of "$from" "$to" "create statefulsets db")
notify=$(line_of "$from" "$to" "create jobs notify-${c1:0:7}")
[ -n "$migrate" ] && [ -n "$sts" ] && [ -n "$notify" ] && [ "$migrate" -lt "$sts" ] && [ "$sts" -lt "$notify" ] ||
	fail "the order of the writes: $(audit_between "$from" "$to" | berth_writes)"
assert_contains "$OUT" "hook pre-sync $ns/migrate-${c1:0:7} succeeded" "the migration's line"
assert_contains "$OUT" "hook post-sync $ns/notify-${c1:0:7} succeeded" "the notification's line"
assert_contains "$OUT" "hook post-sync $ns/ping-${c1:0:7} succeeded" "the Pod hook's line"
assert_eq "$(audit_between "$from" "$to" | berth_writes | awk '/pods/')" "create pods ping-${c1:0:7}
delete pods ping-${c1:0:7}" "the Pod hook's run, deleted always"
assert_eq "$(jobs)" "notify-${c1:0:7}" "the runs kept (the migration's deleted on success)"

note "a migration that fails stops the sync: nothing is written but the sync-fail hook"
c2=$(app busybox:1.37 1 0 cleanup)
audited failing sync
[ "$STATUS" = 1 ] || fail "the sync with a failing migration exited $STATUS: $ERR"
assert_contains "$ERR" "hook pre-sync $ns/migrate-${c2:0:7} failed: failed: BackoffLimitExceeded" "the sync's error"
assert_eq "$(audit_between "$from" "$to" | berth_writes)" "create jobs migrate-${c2:0:7}
create jobs cleanup-${c2:0:7}" "the writes of the failed sync"
assert_contains "$OUT" "hook sync-fail $ns/cleanup-${c2:0:7} succeeded" "the sync-fail hook's line"
assert_eq "$(kubectl -n "$ns" get statefulset db -o jsonpath='{.spec.template.spec.containers[0].image}')" \
	busybox:1.36 "db's image after the failed migration"

note "a dry run lists the hooks and runs none"
audited dry run_berth sync -n "$ns" --repo "$scratch/app.git" --dry-run
assert_contains "$OUT" "hook pre-sync $ns/migrate would run (none runs in a dry run)" "the dry run's hook"
assert_eq "$(audit_between "$from" "$to" | berth_writes | awk '/jobs/')" "" "the dry run's jobs"

note "berth diff lists the hooks that would run"
run_berth diff -n "$ns" --repo "$scratch/app.git" -o json
assert_eq "$(jq -r '.hooks[]' <<<"$OUT")" "pre-sync job $ns/migrate
post-sync job $ns/notify
post-sync pod $ns/ping
sync-fail job $ns/cleanup" "the hooks in the JSON"
run_berth diff -n "$ns" --repo "$scratch/app.git" -o markdown
assert_contains "$OUT" "Hooks that would run: \`pre-sync job $ns/migrate\`, \`post-sync job $ns/notify\`, \`post-sync pod $ns/ping\`, \`sync-fail job $ns/cleanup\`" "the hooks in the Markdown"

note "of a hook's runs, the newest 3 are kept"
for image in busybox:1.38 busybox:1.39 busybox:1.40; do
	c=$(app "$image" 0)
	sync
	[ "$STATUS" = 0 ] || fail "the sync of $image exited $STATUS: $ERR"
done
assert_eq "$(jobs | awk '/^notify-/ {n++} END {print n + 0}')" 3 "the notification's runs kept"
assert_contains "$(jobs)" "notify-${c:0:7}" "the newest run"
assert_not_contains "$(jobs)" "notify-${c1:0:7}" "the oldest run"
note "berth run: a new commit runs its hooks; correcting drift runs none"
cat >"$scratch/berth.yaml" <<YAML
stateNamespace: $ns
sources:
- {name: app, repo: $scratch/app.git, namespace: $ns, interval: 1s, jitter: 0%}
YAML
c6=$(app busybox:1.41 0)
start_agent "$scratch/berth.yaml" "$scratch/agent.log"
applied() { grep -q "msg=applied source=app commit=$c6" "$scratch/agent.log"; }
wait_until 60 "the new commit applied" applied
assert_contains "$(jobs)" "notify-${c6:0:7}" "the new commit's post-sync run"
from=$(audit_mark drift)
kubectl -n "$ns" patch statefulset db --type merge -p '{"spec":{"replicas":2}}' >/dev/null
corrected() { grep -q 'msg=applied source=app .*action=correct' "$scratch/agent.log"; }
wait_until 60 "the drift corrected" corrected
to=$(audit_mark corrected)
assert_contains "$(audit_between "$from" "$to" | berth_writes)" "patch statefulsets db" "the correction"
assert_eq "$(audit_between "$from" "$to" | berth_writes | awk '/jobs/')" "" "hook runs of the correction"

note "a post-sync hook that fails makes the source Degraded"
c7=$(app busybox:1.41 0 1)
degraded() { grep -q "msg=\"health changed\" source=app state=Degraded was=Ready cause=\"hook post-sync $ns/notify-${c7:0:7} failed: failed: BackoffLimitExceeded" "$scratch/agent.log"; }
wait_until 60 "the source Degraded" degraded
stop_agent "the end"
echo PASS
