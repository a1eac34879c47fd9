#!/usr/bin/env bash
# Sources that depend on sources (issue 28): app dependsOn db, on the real
# control plane. db's StatefulSet is held not ready by the kubelet stand-in:
# nothing of app is written until db is Ready, and app is applied at once
# after (the figure). Then db's commit breaks (an image that cannot be
# pulled): app's next commit is held, naming db's cause, and nothing of it
# is written.
. "$(dirname "$0")/lib.sh"

ns=e2e-depends-$RANDOM
agent=
cleanup() {
	[ -z "$agent" ] || kill -9 "$agent" 2>/dev/null || :
	kubectl delete namespace "$ns" --ignore-not-found --wait=false >/dev/null
	[ ! -s "$scratch/agent.log" ] || [ "${PASSED:-}" ] || tail -30 "$scratch/agent.log" >&2
}
trap 'cleanup; drop_identity; rm -rf "$scratch"' EXIT
own_identity depends
fresh_namespaces "$ns"
export XDG_CACHE_HOME=$scratch/cache

for s in db app; do
	git init -q --bare -b main "$scratch/$s.git"
	git init -q -b main "$scratch/$s-work"
done
db() { # image [hold]
	local hold=
	[ -z "${2:-}" ] || hold='{berth.dev/hold-ready: "true"}'
	statefulset_yaml db 1 "$1" "$hold" >"$scratch/db-work/db.yaml"
}
app() { configmap_yaml app-config "$1" >"$scratch/app-work/app.yaml"; } # value
# app first: the config's order is not the order of the first reconciles.
cat >"$scratch/berth.yaml" <<YAML
stateNamespace: $ns
sources:
- {name: app, repo: $scratch/app.git, namespace: $ns, interval: 1s, jitter: 0%, dependsOn: [db]}
- {name: db, repo: $scratch/db.git, namespace: $ns, interval: 1s, jitter: 0%, recoverStuckRollouts: true}
YAML
db busybox:1.36 hold
git_commit "$scratch/db-work" "$scratch/db.git" db >/dev/null
app one
first_app=$(git_commit "$scratch/app-work" "$scratch/app.git" "app one")

note "app waits for db, held not ready: nothing of app is written"
from=$(audit_mark start)
start_agent "$scratch/berth.yaml" "$scratch/agent.log"
wait_until 60 "pod db-0" kubectl -n "$ns" get pod db-0
held=$(audit_mark held)
writes=$(audit_between "$from" "$held" | berth_writes)
assert_not_contains "$writes" "configmaps app-config" "app's writes while db is held"
assert_contains "$writes" "create statefulsets db" "db's writes"

note "db Ready: app is applied at once"
kubectl -n "$ns" annotate pod db-0 berth.dev/hold-ready- >/dev/null
applied() { grep -q "msg=applied source=$1 " "$scratch/agent.log"; }
wait_until 60 "db applied" applied db
wait_until 30 "app applied" applied app
when() { sed -n "s/^time=\([^ ]*\) .*msg=applied source=$1 .*/\1/p" "$scratch/agent.log" | head -1; }
ms() { date -d "$1" +%s%3N; }
echo "    figure: app applied $(($(ms "$(when app)") - $(ms "$(when db)"))) ms after db was Ready (and applied)"
grep -q "msg=\"dependencies ready\" source=app" "$scratch/agent.log" ||
	grep -q "msg=applied source=app commit=$first_app .*why=\"new commit [0-9a-f]* (config)\"" "$scratch/agent.log" ||
	fail "app was not reconciled for its dependency: $(grep 'source=app' "$scratch/agent.log")"
assert_eq "$(kubectl -n "$ns" get configmap app-config -o jsonpath='{.data.value}')" one "app's ConfigMap"

note "db breaks: app's next commit is held, naming db's cause, and nothing is written"
db registry.invalid/berth-pullfail:1
broken=$(git_commit "$scratch/db-work" "$scratch/db.git" "db broken")
failed() { grep -q "msg=\"reconcile failed\" source=db commit=$broken" "$scratch/agent.log"; }
wait_until 60 "db's commit failed" failed
from=$(audit_mark app-two)
app two
second_app=$(git_commit "$scratch/app-work" "$scratch/app.git" "app two")
held_line() { grep "msg=held source=app commit=$second_app" "$scratch/agent.log" | head -1; }
wait_until 60 "app's commit held" held_line
assert_contains "$(held_line)" "waiting=\"waiting for db (its commit ${broken:0:7} failed: statefulset $ns/db: 0 of 1 pods ready; db-0 ImagePullBackOff" "what holds app"
grep -q "msg=\"health changed\" source=app state=Progressing was=Ready cause=\"waiting for db" "$scratch/agent.log" ||
	fail "app's health: $(grep 'health changed' "$scratch/agent.log")"
to=$(audit_mark app-two-held)
assert_eq "$(audit_between "$from" "$to" | berth_writes | awk '/configmaps/')" "" "app's writes while held"
assert_eq "$(kubectl -n "$ns" get configmap app-config -o jsonpath='{.data.value}')" one "app's ConfigMap while held"

note "db fixed: its stuck pod recovered, db Ready, and app's held commit is applied at once"
db busybox:1.37
fixed=$(git_commit "$scratch/db-work" "$scratch/db.git" "db fixed")
applied_at() { sed -n "s/^time=\([^ ]*\) .*msg=applied source=$1 commit=$2 .*/\1/p" "$scratch/agent.log" | head -1; }
db_fixed() { [ -n "$(applied_at db "$fixed")" ]; }
app_two() { [ -n "$(applied_at app "$second_app")" ]; }
wait_until 90 "db's fix applied" db_fixed
wait_until 30 "app's held commit applied" app_two
echo "    figure: app's held commit applied $(($(ms "$(applied_at app "$second_app")") - $(ms "$(applied_at db "$fixed")"))) ms after db was Ready again"
grep -q "msg=\"dependencies ready\" source=app" "$scratch/agent.log" || fail "app was not triggered by db"
grep -q "msg=applied source=app commit=$second_app .*why=\"new commit [0-9a-f]* (dependency)\"" "$scratch/agent.log" ||
	fail "app's apply: $(grep "source=app commit=$second_app" "$scratch/agent.log")"
assert_eq "$(kubectl -n "$ns" get configmap app-config -o jsonpath='{.data.value}')" two "app's ConfigMap"

note "drift of app's applied commit is corrected at once, db broken or not"
db registry.invalid/berth-pullfail:2
broken=$(git_commit "$scratch/db-work" "$scratch/db.git" "db broken again")
wait_until 60 "db's commit failed again" failed
kubectl -n "$ns" patch configmap app-config --type merge -p '{"data":{"value":"edited"}}' >/dev/null
corrected() { grep -q "msg=applied source=app commit=$second_app .*action=correct" "$scratch/agent.log"; }
wait_until 60 "app's drift corrected" corrected
assert_eq "$(kubectl -n "$ns" get configmap app-config -o jsonpath='{.data.value}')" two "app's ConfigMap corrected"
stop_agent "the end"

note "--once goes in the same order: db, then app, whose new commit is held"
app three
third_app=$(git_commit "$scratch/app-work" "$scratch/app.git" "app three")
run_berth run --once --config "$scratch/berth.yaml"
[ "$STATUS" = 1 ] || fail "--once with db broken exited $STATUS: $ERR"
db_line=$(grep -n 'source=db ' <<<"$ERR" | head -1 | cut -d: -f1)
app_line=$(grep -n "msg=held source=app commit=$third_app" <<<"$ERR" | head -1 | cut -d: -f1)
[ -n "$db_line" ] && [ -n "$app_line" ] && [ "$db_line" -lt "$app_line" ] ||
	fail "--once's order: $ERR"
PASSED=1
echo PASS
