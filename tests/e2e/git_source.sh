#!/usr/bin/env bash
# berth sync and diff --repo: a Git remote served by git daemon (and a
# local path): the commit is fetched into the cache once, an unchanged remote
# transfers nothing, a new commit and a force-push are followed, and a
# broken commit, a deleted branch or an unreachable remote change nothing.
. "$(dirname "$0")/lib.sh"

ns=berth-git
export XDG_CACHE_HOME=$scratch/cache
cleanup() {
	[ -z "${GIT_DAEMON_PID:-}" ] || kill "$GIT_DAEMON_PID" 2>/dev/null || true
	[ ! -d "$scratch/served" ] || stop_git_https "$scratch/served"
	[ ! -d "$scratch/served" ] || stop_git_http "$scratch/served"
	[ -z "${other_host_pid:-}" ] || kill "$other_host_pid" 2>/dev/null || true
	[ -z "${other_port_pid:-}" ] || kill "$other_port_pid" 2>/dev/null || true
	[ -z "${GIT_SSH_PID:-}" ] || kill "$GIT_SSH_PID" 2>/dev/null || true
	kubectl delete namespace "$ns" --ignore-not-found --wait=true >/dev/null
}
cleanup
trap 'cleanup; rm -rf "$scratch"' EXIT
kubectl create namespace "$ns" >/dev/null

mkdir -p "$scratch/served"
git init -q --bare -b main "$scratch/served/config.git"
git init -q -b main "$scratch/work"
git -C "$scratch/work" remote add origin "$scratch/served/config.git"
commit() { # message: commit what is in the work tree and push it
	git -C "$scratch/work" add -A
	git -C "$scratch/work" -c user.name=berth -c user.email=berth@example.com \
		commit -q -m "$1"
	git -C "$scratch/work" push -q origin main 2>/dev/null
}
settings() { # mode: the ConfigMap in Git
	mkdir -p "$scratch/work/app"
	cat >"$scratch/work/app/settings.yaml" <<YAML
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {mode: $1}
YAML
}
echo "not a manifest" >"$scratch/work/README"
settings fast
commit "first"
first=$(git -C "$scratch/work" rev-parse HEAD)
start_git_daemon "$scratch/served"
repo=git://127.0.0.1:$GIT_DAEMON_PORT/config.git
live_mode() { kubectl get configmap settings -n "$ns" -o jsonpath='{.data.mode}'; }

note "sync --repo over git://: the commit is fetched and applied"
run_berth sync --repo "$repo" --path app -n "$ns"
[ "$STATUS" = 0 ] || fail "first sync exited $STATUS: $ERR"
assert_contains "$ERR" "$repo//app: commit $first (fetched)" "the commit line"
assert_eq "$(live_mode)" fast "the ConfigMap"
assert_eq "$(kubectl get configmap settings -n "$ns" -o jsonpath='{.metadata.annotations.berth\.io/source}')" \
	"$repo//app" "the tracking source"

note "an unchanged remote: no fetch, no objects transferred"
objects=$(find "$XDG_CACHE_HOME" -path '*/objects/*' -type f | wc -l)
run_berth diff --repo "$repo" --path app -n "$ns"
[ "$STATUS" = 0 ] || fail "diff of the unchanged remote exited $STATUS: $OUT $ERR"
assert_contains "$ERR" "commit $first" "the commit line"
assert_not_contains "$ERR" "(fetched)" "a fetch of the unchanged remote"
assert_eq "$(find "$XDG_CACHE_HOME" -path '*/objects/*' -type f | wc -l)" "$objects" \
	"objects in the cache"

note "a new commit is fetched and applied"
settings safe
commit "second"
second=$(git -C "$scratch/work" rev-parse HEAD)
run_berth sync --repo "$repo" --ref main --path app -n "$ns"
[ "$STATUS" = 0 ] || fail "sync of the second commit exited $STATUS: $ERR"
assert_contains "$ERR" "commit $second (fetched)" "the commit line"
assert_contains "$OUT" "configmap/settings configured" "progress"
assert_eq "$(live_mode)" safe "the ConfigMap"

note "a broken commit is refused, naming the file and line, and changes nothing"
settings slow
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: broken\ndata: {}\n' >"$scratch/work/app/broken.yaml"
commit "broken"
run_berth sync --repo "$repo" --path app -n "$ns"
[ "$STATUS" = 1 ] || fail "sync of the broken commit exited $STATUS: $ERR"
assert_contains "$ERR" "/trees/$(git -C "$scratch/work" rev-parse HEAD)/app/broken.yaml:4:5: did not find expected" \
	"the broken file, line and commit"
assert_eq "$(live_mode)" safe "the ConfigMap after the broken commit"

note "a force-push back to the first commit is followed"
git -C "$scratch/work" reset -q --hard "$first"
git -C "$scratch/work" push -q -f origin main 2>/dev/null
run_berth sync --repo "$repo" --path app -n "$ns"
[ "$STATUS" = 0 ] || fail "sync after the force-push exited $STATUS: $ERR"
assert_contains "$ERR" "commit $first" "the commit line"
assert_eq "$(live_mode)" fast "the ConfigMap after the force-push"

note "a tag, a commit id and a local path name the same commit"
git -C "$scratch/work" tag -a v1 -m v1
git -C "$scratch/work" push -q origin v1 2>/dev/null
for ref in v1 "$first"; do
	run_berth diff --repo "$repo" --ref "$ref" --path app -n "$ns"
	[ "$STATUS" = 0 ] || fail "diff at $ref exited $STATUS: $OUT $ERR"
	assert_contains "$ERR" "commit $first" "the commit of $ref"
done
# Another URL is another source: only the tracking annotation would change.
run_berth diff --repo "$scratch/served/config.git" --path app -n "$ns"
[ "$STATUS" = 1 ] || fail "diff of the local path exited $STATUS: $OUT $ERR"
assert_contains "$ERR" "commit $first" "the commit of the local path"
assert_contains "$OUT" "+    berth.io/source: $scratch/served/config.git//app" "the new source"

note "a deleted branch and an unreachable remote are errors, and nothing is deleted"
run_berth sync --repo "$repo" --ref gone --path app -n "$ns" --prune
[ "$STATUS" = 1 ] || fail "sync of a missing branch exited $STATUS: $ERR"
assert_contains "$ERR" "'$repo' has no branch or tag 'gone'" "the missing branch"
kill "$GIT_DAEMON_PID"
wait "$GIT_DAEMON_PID" 2>/dev/null || true
GIT_DAEMON_PID=
run_berth sync --repo "$repo" --path app -n "$ns" --prune
[ "$STATUS" = 1 ] || fail "sync of an unreachable remote exited $STATUS: $ERR"
assert_contains "$ERR" "cannot reach '$repo'" "the unreachable remote"
assert_eq "$(live_mode)" fast "the ConfigMap after the failures"

note "https with basic auth: smart HTTP behind nginx, over TLS"
password=correct-horse-$RANDOM
printf '%s\n' "$password" >"$scratch/password"
start_git_https "$scratch/served" berth "$password"
https=https://127.0.0.1:$GIT_HTTPS_PORT/config.git
run_berth sync --repo "$https" --path app -n "$ns" --git-username berth \
	--git-password-file "$scratch/password" --git-ca-file "$GIT_HTTPS_CA"
[ "$STATUS" = 0 ] || fail "sync over https exited $STATUS: $ERR"
assert_contains "$ERR" "$https//app: commit $first (fetched)" "the commit line"
all=$OUT$ERR
BERTH_GIT_PASSWORD=wrong-$password run_berth diff --repo "$https" --path app -n "$ns" \
	--git-username berth --git-ca-file "$GIT_HTTPS_CA"
[ "$STATUS" = 2 ] || fail "diff with a wrong password exited $STATUS: $ERR"
assert_contains "$ERR" "cannot reach '$https': the username or password was refused" \
	"the refused login"
all=$all$OUT$ERR
run_berth diff --repo "$https" --path app -n "$ns" --git-ca-file "$GIT_HTTPS_CA"
[ "$STATUS" = 2 ] || fail "diff without a password exited $STATUS: $ERR"
assert_contains "$ERR" "it asks for a login" "the missing login"
BERTH_GIT_PASSWORD=$password run_berth diff --repo "$https" --path app -n "$ns" \
	--git-username berth
[ "$STATUS" = 2 ] || fail "diff without the CA exited $STATUS: $ERR"
assert_contains "$ERR" "certificate" "the untrusted certificate"
assert_contains "$ERR" "--git-ca-file names the CA to trust" "the hint"
all=$all$OUT$ERR
run_berth diff --repo "https://berth:$password@127.0.0.1:$GIT_HTTPS_PORT/config.git" -n "$ns"
[ "$STATUS" = 2 ] || fail "diff with the password in the URL exited $STATUS: $ERR"
assert_contains "$ERR" "not in the URL" "the password in the URL"
all=$all$OUT$ERR
assert_not_contains "$all" "$password" "the password"
stop_git_https "$scratch/served"

note "the Git password goes to the configured host and port only: a redirect elsewhere is refused"
start_header_recorder "$scratch/other-host.log" 127.0.0.2
other_host=$RECORDER_PORT other_host_pid=$RECORDER_PID
start_header_recorder "$scratch/other-port.log" 127.0.0.1
other_port=$RECORDER_PORT other_port_pid=$RECORDER_PID
start_git_http "$scratch/served" berth "$password" "http://127.0.0.2:$other_host/config.git/" \
	"http://127.0.0.1:$other_port/config.git/"
http=http://127.0.0.1:$GIT_HTTP_PORT
for moved in moved moved-port; do
	run_berth lint --repo "$http/$moved.git" --path app --git-username berth \
		--git-password-file "$scratch/password"
	[ "$STATUS" != 0 ] || fail "lint through $moved.git exited 0: $OUT $ERR"
	[ "$moved" = moved ] || port_err=$ERR
done
# Each recorder records: a request of this test's own, with a password.
for recorder in 127.0.0.2:$other_host 127.0.0.1:$other_port; do
	curl -s -o /dev/null -u sentinel:x "http://$recorder/sentinel" || :
done
for log in other-host other-port; do
	assert_contains "$(cat "$scratch/$log.log")" "GET /sentinel authorization=Basic" \
		"the sentinel of the $log recorder"
	assert_eq "$(grep -v /sentinel "$scratch/$log.log" | grep -c 'authorization=Basic')" 0 \
		"requests that carried the password to the $log server"
done
run_berth lint --repo "$http/moved.git" --path app --git-username berth \
	--git-password-file "$scratch/password"
assert_contains "$ERR" "cannot reach '$http/moved.git': cannot redirect from '127.0.0.1' to '127.0.0.2'" \
	"the refused redirect"
assert_contains "$ERR" "only within the host" "why"
assert_contains "$port_err" "cannot reach '$http/moved-port.git': 127.0.0.1 port $other_port asks for the login: refused" \
	"the refused login on another port"
kill "$other_host_pid" "$other_port_pid"
other_host_pid= other_port_pid=
note "a redirect within the host is followed (a renamed repository), with a warning for http://"
run_berth lint --repo "$http/renamed.git" --path app --git-username berth \
	--git-password-file "$scratch/password"
[ "$STATUS" = 0 ] || fail "lint through a redirect within the host exited $STATUS: $OUT $ERR"
assert_contains "$ERR" "commit $first (fetched)" "the commit line"
assert_contains "$ERR" "warning: credentials for $http/renamed.git go in clear text (http://)" \
	"the warning"
assert_not_contains "$OUT$ERR" "$password" "the password"
stop_git_http "$scratch/served"

note "ssh with a key, the server's key checked against known_hosts"
start_git_sshd "$scratch/served"
ssh_url=ssh://$(id -un)@127.0.0.1:$GIT_SSH_PORT$scratch/served/config.git
ssh_shown=ssh://127.0.0.1:$GIT_SSH_PORT$scratch/served/config.git
run_berth sync --repo "$ssh_url" --path app -n "$ns" --ssh-key "$GIT_SSH_KEY" \
	--known-hosts "$GIT_SSH_KNOWN_HOSTS"
[ "$STATUS" = 0 ] || fail "sync over ssh exited $STATUS: $ERR"
assert_contains "$ERR" "$ssh_shown//app: commit $first (fetched)" "the commit line"
# ssh writes hashed names (HashKnownHosts): berth reads them too.
cp "$GIT_SSH_KNOWN_HOSTS" "$scratch/hashed_known_hosts"
ssh-keygen -q -H -f "$scratch/hashed_known_hosts" >/dev/null 2>&1
grep -q '^|1|' "$scratch/hashed_known_hosts" || fail "ssh-keygen -H did not hash the names"
run_berth diff --repo "$ssh_url" --path app -n "$ns" --ssh-key "$GIT_SSH_KEY" \
	--known-hosts "$scratch/hashed_known_hosts"
[ "$STATUS" = 0 ] || fail "diff with hashed known_hosts exited $STATUS: $OUT $ERR"
note "an unknown or changed host key, and a key the server refuses"
: >"$scratch/empty_known_hosts"
run_berth diff --repo "$ssh_url" --path app -n "$ns" --ssh-key "$GIT_SSH_KEY" \
	--known-hosts "$scratch/empty_known_hosts"
[ "$STATUS" = 2 ] || fail "diff of an unknown host exited $STATUS: $ERR"
assert_contains "$ERR" "cannot reach '$ssh_shown': the host key of '127.0.0.1' (port $GIT_SSH_PORT) is not in '$scratch/empty_known_hosts': refused" \
	"the unknown host"
ssh-keygen -q -t ed25519 -N '' -f "$scratch/other_key"
printf '[127.0.0.1]:%s %s\n' "$GIT_SSH_PORT" "$(cut -d' ' -f1,2 "$scratch/other_key.pub")" \
	>"$scratch/changed_known_hosts"
run_berth diff --repo "$ssh_url" --path app -n "$ns" --ssh-key "$GIT_SSH_KEY" \
	--known-hosts "$scratch/changed_known_hosts"
[ "$STATUS" = 2 ] || fail "diff of a changed host key exited $STATUS: $ERR"
assert_contains "$ERR" "it has CHANGED" "the changed host key"
run_berth diff --repo "$ssh_url" --path app -n "$ns" --ssh-key "$scratch/other_key" \
	--known-hosts "$GIT_SSH_KNOWN_HOSTS"
[ "$STATUS" = 2 ] || fail "diff with a refused key exited $STATUS: $ERR"
assert_contains "$ERR" "cannot reach '$ssh_shown': the key was refused" "the refused key"

note "usage"
run_berth sync --repo "$repo" -f "$scratch/work/app"
[ "$STATUS" = 2 ] || fail "--repo with -f exited $STATUS"
run_berth diff --repo "$repo" --path ../etc
[ "$STATUS" = 2 ] || fail "--path outside the repository exited $STATUS"
assert_contains "$ERR" "must stay inside the repository" "the --path message"
echo PASS
