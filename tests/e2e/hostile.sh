#!/usr/bin/env bash
# A hostile repository author, and hostile input: what berth is given must
# not reach past what berth manages. Each attack is reproduced on loopback,
# bounded in time and in requests; "nothing was written" is counted between
# audit-log sentinels.
#
#   - committed symlinks as --path, in it, or at any depth, and -f links;
#   - symlink loops, bounded, in lint and in berth run (no other source
#     stalls, /readyz turns ready, SIGTERM stops it);
#   - submodules, left out;
#   - commits over the limits of objects and bytes;
#   - a Secret's plain text under data, which no output shows;
#   - a source that ships berth run's own state;
#   - namespaces: -n confines, targetNamespace and allowedNamespaces, a
#     namespace that would climb out of its URL;
#   - credentials with CR/LF, a token in a Git URL's query, a token over
#     http://, kubeconfig's tls-server-name;
#   - berth sync on SIGTERM.
. "$(dirname "$0")/lib.sh"

ns=berth-hostile
other=berth-hostile-other
export XDG_CACHE_HOME=$scratch/cache
agent=
cleanup() {
	[ -z "$agent" ] || kill "$agent" 2>/dev/null || :
	kubectl delete namespace "$ns" "$other" --ignore-not-found --wait=true >/dev/null
}
cleanup
trap 'cleanup; drop_identity; rm -rf "$scratch"' EXIT
# Its own user: the writes counted between marks, anywhere in the cluster,
# are this test's alone.
own_identity hostile
kubectl create namespace "$ns" >/dev/null
kubectl create namespace "$other" >/dev/null

configmap() { # name [namespace]
	printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s%s}\ndata: {a: "1"}\n' \
		"$1" "${2:+, namespace: $2}"
}
commit() { # repository
	git -C "$1" add -A
	git -C "$1" -c user.name=berth -c user.email=berth@example.com commit -q -m commit
}
writes_between() { audit_between "$1" "$2" | berth_writes; }

# What a link could reach on the host.
mkdir "$scratch/host"
configmap from-host "$ns" >"$scratch/host/host.yaml"
repo=$scratch/hostile
git init -q -b main "$repo"
mkdir -p "$repo/prod/deep" "$repo/loops" "$repo/ok"
ln -s "$scratch/host" "$repo/pathlink"
ln -s /etc "$repo/etclink"
configmap app >"$repo/prod/app.yaml"
ln -s "$scratch/host" "$repo/prod/deep/escape"
configmap looped >"$repo/loops/app.yaml"
for i in $(seq -w 0 39); do ln -s . "$repo/loops/l$i"; done
configmap ok >"$repo/ok/ok.yaml"
commit "$repo"

note "--path through a committed symlink is refused, for every verb, naming the link and where it points"
from=$(audit_mark links-before)
for verb in lint diff sync; do
	run_berth "$verb" --repo "$repo" --path pathlink -n "$ns"
	[ "$STATUS" != 0 ] || fail "$verb --path pathlink exited 0"
	assert_contains "$OUT$ERR" "/pathlink: symlink to '$scratch/host' leads outside '" "$verb --path pathlink"
	run_berth "$verb" --repo "$repo" --path pathlink/sub -n "$ns"
	assert_contains "$OUT$ERR" "/pathlink: symlink to '$scratch/host' leads outside '" "$verb --path pathlink/sub"
	run_berth "$verb" --repo "$repo" --path etclink -n "$ns"
	assert_contains "$OUT$ERR" "/etclink: symlink to '/etc' leads outside '" "$verb --path etclink"
	[ "$(wc -l <<<"$OUT$ERR")" -lt 10 ] || fail "$verb --path etclink said more than a refusal: $OUT$ERR"
	# A link below --path, at any depth.
	run_berth "$verb" --repo "$repo" --path prod -n "$ns"
	[ "$STATUS" != 0 ] || fail "$verb --path prod exited 0"
	assert_contains "$OUT$ERR" "/prod/deep/escape: symlink to '$scratch/host' leads outside '" "$verb --path prod"
done
# -f: a directory's links must stay inside it, as before.
run_berth sync -f "$repo/prod" -n "$ns"
assert_contains "$ERR" "$repo/prod/deep/escape: symlink to '$scratch/host' leads outside '$repo/prod'" "sync -f"
to=$(audit_mark links-after)
writes=$(writes_between "$from" "$to")
assert_eq "$writes" "" "writes while refusing links"
kubectl get configmap from-host -n "$ns" >/dev/null 2>&1 && fail "the host's manifest was applied"

note "a symlink loop is reported once per link, and the walk ends at once"
start=$(date +%s%N)
STATUS=0
OUT=$(timeout 30 "$BERTH" lint --repo "$repo" --path loops 2>&1) || STATUS=$?
took=$((($(date +%s%N) - start) / 1000000))
echo "figure: lint of 40 links back to their directory: ${took} ms (backstop 30 s)"
[ "$STATUS" = 1 ] || fail "lint of the loops exited $STATUS: $OUT"
assert_eq "$(grep -c ': symlink loop: it leads back to ' <<<"$OUT")" 40 "loops reported"

note "berth run: a looping source stalls no other, /readyz turns ready, SIGTERM stops it"
cat >"$scratch/run.yaml" <<YAML
stateNamespace: $ns
sources:
- {name: loops, repo: "$repo", path: loops, namespace: $ns, interval: 1h}
- {name: ok, repo: "$repo", path: ok, namespace: $ns, interval: 1h}
YAML
start_agent "$scratch/run.yaml" "$scratch/run.log"
wait_until 60 "the good source applied" grep -q 'msg=applied source=ok' "$scratch/run.log"
wait_until 60 "the looping source refused" grep -q 'msg="reconcile failed" source=loops' "$scratch/run.log"
assert_contains "$(grep 'source=loops' "$scratch/run.log")" "symlink loop" "the failure"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "http://$(agent_address)/readyz")" 200 "/readyz"
stop_agent "a looping source"
assert_eq "$STATUS" 0 "the exit status of berth run on SIGTERM"
kubectl get configmap looped -n "$ns" >/dev/null 2>&1 && fail "the looping source was applied"

note "a submodule is left out of the checkout; one under --path is a warning"
git init -q -b main "$scratch/sub"
configmap from-submodule >"$scratch/sub/sub.yaml"
commit "$scratch/sub"
git init -q -b main "$scratch/withsub"
mkdir -p "$scratch/withsub/app" "$scratch/withsub/lib"
configmap with-submodule >"$scratch/withsub/app/app.yaml"
git -C "$scratch/withsub" -c protocol.file.allow=always submodule add -q "$scratch/sub" vendor/sub 2>/dev/null
git -C "$scratch/withsub" -c protocol.file.allow=always submodule add -q "$scratch/sub" app/lib 2>/dev/null
commit "$scratch/withsub"
run_berth sync --repo "$scratch/withsub" --path app -n "$ns" --wait=false
[ "$STATUS" = 0 ] || fail "sync of a commit with submodules exited $STATUS: $ERR"
assert_contains "$ERR" "/app/lib: warning: submodule 'app/lib' is not checked out (berth leaves submodules out)" "the warning"
assert_not_contains "$ERR" "vendor/sub" "a warning of a submodule outside --path"
kubectl get configmap with-submodule -n "$ns" >/dev/null || fail "the commit with submodules was not applied"
kubectl get configmap from-submodule -n "$ns" >/dev/null 2>&1 && fail "the submodule's manifest was applied"

note "a commit over the limit of objects or bytes is refused before anything is written"
mkdir "$scratch/many"
for f in 0 1 2; do
	for i in $(seq 500); do configmap "cm-$f-$i"; echo ---; done >"$scratch/many/$f.yaml"
done
from=$(audit_mark limits-before)
run_berth sync -f "$scratch/many" -n "$ns" --max-objects 1000
assert_eq "$STATUS" 1 "sync over --max-objects"
assert_contains "$ERR" "the manifests hold more than 1000 objects with this file; the rest is not read (the limit)" "the refusal"
run_berth sync -f "$scratch/many" -n "$ns" --max-bytes 10Ki
assert_eq "$STATUS" 1 "sync over --max-bytes"
assert_contains "$ERR" "the manifests come to more than 10240 bytes with this file; not read (the limit)" "the refusal"
to=$(audit_mark limits-after)
writes=$(writes_between "$from" "$to")
assert_eq "$writes" "" "writes of a commit over the limits"

note "a Secret's plain text under data is refused at its line, and no output shows it"
mkdir "$scratch/secret"
cat >"$scratch/secret/secret.yaml" <<'YAML'
apiVersion: v1
kind: Secret
metadata: {name: plain}
data:
  pw: "NOTBASE64SECRET!!"
YAML
from=$(audit_mark secret-before)
run_berth sync -f "$scratch/secret" -n "$ns"
assert_eq "$STATUS" 1 "sync of plain text under data"
assert_contains "$ERR" "secret.yaml:5:3: secret 'plain': data.pw: not base64 (the value is not shown)" "the refusal"
all=$OUT$ERR
run_berth sync -f "$scratch/secret" -n "$ns" -o json
all=$all$OUT$ERR
run_berth diff -f "$scratch/secret" -n "$ns" -o json
all=$all$OUT$ERR
git init -q -b main "$scratch/secret-repo"
cp "$scratch/secret/secret.yaml" "$scratch/secret-repo/"
commit "$scratch/secret-repo"
printf 'stateNamespace: %s\nsources:\n- {name: plain, repo: "%s", namespace: %s}\n' \
	"$ns" "$scratch/secret-repo" "$ns" >"$scratch/secret.yaml"
run_berth run --once --config "$scratch/secret.yaml"
all=$all$OUT$ERR
assert_contains "$ERR" 'data.pw: not base64' "the agent's log"
to=$(audit_mark secret-after)
assert_not_contains "$all" "NOTBASE64SECRET" "any output"
writes=$(writes_between "$from" "$to" | awk '$2 == "secrets"')
assert_eq "$writes" "" "writes of the Secret"

note "no source may manage berth run's own state"
git init -q -b main "$scratch/state-repo"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: berth-state}\ndata: {victim: "0000000000000000000000000000000000000000"}\n' \
	>"$scratch/state-repo/state.yaml"
commit "$scratch/state-repo"
printf 'stateNamespace: %s\nsources:\n- {name: ok, repo: "%s", path: ok, namespace: %s}\n- {name: thief, repo: "%s", namespace: %s}\n' \
	"$ns" "$repo" "$ns" "$scratch/state-repo" "$ns" >"$scratch/state.yaml"
run_berth run --once --config "$scratch/state.yaml"
assert_eq "$STATUS" 1 "run --once with a source that ships the state"
assert_contains "$ERR" "state.yaml:1:1: configmap $ns/berth-state is where berth run keeps the commit of each source; no source may manage it" "the refusal"
assert_eq "$(kubectl get configmap berth-state -n "$ns" -o jsonpath='{.data.ok}')" \
	"$(git -C "$repo" rev-parse HEAD)" "the state of the other source"
assert_eq "$(kubectl get configmap berth-state -n "$ns" -o jsonpath='{.data.victim}')" "" "the state the thief wrote"

note "namespaces: -n confines; targetNamespace moves; allowedNamespaces refuses; none climbs out of its URL"
mkdir "$scratch/ns"
configmap elsewhere "$other" >"$scratch/ns/elsewhere.yaml"
from=$(audit_mark ns-before)
run_berth sync -f "$scratch/ns" -n "$ns"
assert_eq "$STATUS" 1 "sync -n of an object in another namespace"
assert_contains "$ERR" "elsewhere.yaml:3:40: configmap $other/elsewhere: the namespace of the object, '$other', is not the namespace '$ns' given with -n" "the refusal"
run_berth diff -f "$scratch/ns" -n "$ns"
assert_eq "$STATUS" 2 "diff -n of an object in another namespace"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: climb, namespace: "../kube-system"}\n' >"$scratch/ns/climb.yaml"
run_berth sync -f "$scratch/ns/climb.yaml"
assert_contains "$ERR" "climb.yaml:3:36: ConfigMap climb: metadata.namespace '../kube-system' is not a namespace name" "the refusal"
to=$(audit_mark ns-after)
writes=$(writes_between "$from" "$to")
assert_eq "$writes" "" "writes of refused namespaces"
climbing=$(audit_between "$from" "$to" | berth_requests | awk 'index($2, "..")')
assert_eq "$climbing" "" "requests whose path holds '..'"
git init -q -b main "$scratch/ns-repo"
configmap moved "$other" >"$scratch/ns-repo/moved.yaml"
commit "$scratch/ns-repo"
printf 'stateNamespace: %s\nsources:\n- {name: moved, repo: "%s", targetNamespace: %s}\n- {name: confined, repo: "%s", allowedNamespaces: [%s]}\n' \
	"$ns" "$scratch/ns-repo" "$ns" "$scratch/ns-repo" "$ns" >"$scratch/ns.yaml"
run_berth run --once --config "$scratch/ns.yaml"
assert_eq "$STATUS" 1 "run --once with a confined source"
kubectl get configmap moved -n "$ns" >/dev/null || fail "targetNamespace did not move the object"
kubectl get configmap moved -n "$other" >/dev/null 2>&1 && fail "targetNamespace left the object in its own namespace"
assert_contains "$ERR" "namespace '$other' is not among the namespaces this source may write to ('$ns')" "the refusal"

note "credentials: control characters refused and never shown; a token in a Git URL's query redacted"
kubectl config view --raw -o json | jq --arg t $'token-with\r\nX-Injected: 1' \
	'.users |= map(.user.token = $t)' >"$BERTH_CLUSTER_DIR/hostile-kubeconfig.json"
run_berth cluster-info --kubeconfig "$BERTH_CLUSTER_DIR/hostile-kubeconfig.json"
assert_eq "$STATUS" 2 "cluster-info with a token holding CR/LF"
assert_contains "$ERR" "the token holds a control character (CR, LF or another); refused (it is not shown)" "the refusal"
assert_not_contains "$ERR" "X-Injected" "the token"
printf 'pass\r\nX-Injected: 1\n' >"$scratch/password"
run_berth lint --repo "https://127.0.0.1:1/r.git" --git-password-file "$scratch/password"
assert_contains "$ERR" "the password holds a control character" "a Git password with CR/LF"
assert_not_contains "$ERR" "X-Injected" "the password"
run_berth lint --repo "https://127.0.0.1:1/r.git?access_token=SECRETTOKEN42&private_token=PRIVATE42"
assert_not_contains "$OUT$ERR" "SECRETTOKEN42" "a token in the query"
assert_not_contains "$OUT$ERR" "PRIVATE42" "a token in the query"
assert_contains "$ERR" "?access_token=***&private_token=***" "the redacted URL"

note "a token over plain http gets a warning; tls-server-name is honoured"
kubectl config view --raw -o json |
	jq '.clusters |= map(.cluster.server = "http://127.0.0.1:1")' >"$BERTH_CLUSTER_DIR/hostile-http.json"
run_berth cluster-info --kubeconfig "$BERTH_CLUSTER_DIR/hostile-http.json"
assert_contains "$ERR" "warning: credentials for http://127.0.0.1:1 go in clear text (http://)" "the warning"
for name in localhost wrong.example; do
	kubectl config view --raw -o json |
		jq --arg n "$name" '.clusters |= map(.cluster["tls-server-name"] = $n)' \
			>"$BERTH_CLUSTER_DIR/hostile-$name.json"
done
run_berth cluster-info --kubeconfig "$BERTH_CLUSTER_DIR/hostile-localhost.json"
assert_eq "$STATUS" 0 "cluster-info with tls-server-name localhost (in the certificate): $ERR"
run_berth cluster-info --kubeconfig "$BERTH_CLUSTER_DIR/hostile-wrong.example.json"
assert_eq "$STATUS" 2 "cluster-info with a tls-server-name not in the certificate"
assert_contains "$ERR" "'wrong.example'" "the certificate check"
rm -f "$BERTH_CLUSTER_DIR"/hostile-*.json

note "berth sync on SIGTERM finishes what it writes, prints its summary, and exits 143"
mkdir "$scratch/slow"
cat >"$scratch/slow/db.yaml" <<YAML
apiVersion: v1
kind: Service
metadata: {name: db, namespace: $ns}
spec: {clusterIP: None, selector: {app: db}, ports: [{port: 5432}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: $ns}
spec:
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}, annotations: {berth.dev/hold-ready: "true"}}
    spec: {containers: [{name: db, image: postgres:13}]}
YAML
"$BERTH" sync -f "$scratch/slow" >"$scratch/slow.out" 2>"$scratch/slow.err" &
sync=$!
wait_until 30 "the sync to wait for the StatefulSet" grep -q 'waiting for statefulset' "$scratch/slow.out"
start=$(date +%s%N)
kill -TERM "$sync"
sync_gone() { ! kill -0 "$sync" 2>/dev/null; }
wait_until 30 "berth sync to stop after SIGTERM" sync_gone
STATUS=0
wait "$sync" || STATUS=$?
echo "figure: berth sync stopped $((($(date +%s%N) - start) / 1000000)) ms after SIGTERM (backstop 30 s)"
assert_eq "$STATUS" 143 "the exit status after SIGTERM"
assert_contains "$(cat "$scratch/slow.out")" "2 objects: 2 created, 0 configured, 0 recreated, 0 unchanged, 0 pruned; stopped by SIGTERM" "the summary"
echo PASS
