#!/usr/bin/env bash
# Commit statuses on GitHub, GitLab and Gitea, played by the forge test
# server (tests/helpers/forge_server.py), from berth run and berth sync on
# the real control plane with local Git remotes: the exact sequence of each
# provider for a good commit, a refused one, drift reported and undone,
# drift corrected; no duplicates over ten periodic checks; a forge that is
# down, then back; a rate limit; two clusters on one commit; a kill -9
# before the status went out; the one-shot; and no token anywhere.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/forge_lib.sh"

providers="github gitlab gitea"
tokens=the-rotated-token-of-github
namespaces=$(printf 'berth-status-%s ' $providers b)
agent_b=
cleanup() {
	[ -z "$agent_b" ] || kill -9 "$agent_b" 2>/dev/null || :
	forge_cleanup $namespaces
	[ ! -s "$scratch/agent.log" ] || [ "${PASSED:-}" ] || tail -30 "$scratch/agent.log" >&2
}
cleanup
trap 'cleanup; drop_identity; rm -rf "$scratch"' EXIT
own_identity status
fresh_namespaces $namespaces

# Each provider's project, as its API names it.
declare -A project=([github]=octo/gh-app [gitlab]=group/sub/gl-app [gitea]=octo/gt-app)

for p in $providers; do
	git init -q --bare -b main "$scratch/$p.git"
	git init -q -b main "$scratch/$p-work"
	token=forge-token-$p-$RANDOM$RANDOM
	tokens+=" $token"
	printf '%s\n' "$token" >"$scratch/$p.token"
	jq -n --arg t "$token" --arg p "${project[$p]}" --arg r "$scratch/$p.git" \
		'{token: $t, projects: {($p): $r}}' >"$scratch/$p.json"
	forge_start "$p"
done
commit() { git_commit "$scratch/$1-work" "$scratch/$1.git" "$2"; } # provider message
settings() { configmap_yaml "$1-settings" "$2" >"$scratch/$1-work/settings.yaml"; } # provider value
# Commit VALUE as every provider's settings, with MESSAGE: the commits go
# in the associative array named C.
commit_settings() { # c value message
	local -n commits=$1
	local p
	for p in $providers; do
		settings "$p" "$2"
		commits[$p]=$(commit "$p" "$3")
	done
}
value() { kubectl get configmap "$1-settings" -n "${2:-berth-status-$1}" -o jsonpath='{.data.value}'; }
value_is() { [ "$(value "$1")" = "$2" ]; }
edit_live() { # provider value: the live ConfigMap's value, as kubectl sets it
	kubectl patch configmap "$1-settings" -n "berth-status-$1" --type merge \
		-p "{\"data\":{\"value\":\"$2\"}}" >/dev/null
}

# berth run's config: each source reports to its own forge.
config() { # file cluster drift state-namespace
	{
		printf 'stateNamespace: %s\ncluster: %s\nsources:\n' "$4" "$2"
		for p in $providers; do
			cat <<YAML
- name: $p-app
  repo: $scratch/$p.git
  namespace: berth-status-$p
  interval: 1s
  jitter: 0%
  drift: $3
  status:
    provider: $p
    baseURL: $(base_url "$p")
    repository: ${project[$p]}
    tokenFile: $scratch/$p.token
YAML
		done
	} >"$1"
}
config "$scratch/berth.yaml" test-a report berth-status-github

note "a good commit: pending, then success, on each provider"
declare -A c1
commit_settings c1 1 first
start_agent "$scratch/berth.yaml" "$scratch/agent.log" --log-level debug
for p in $providers; do
	want="berth/test-a/$p-app pending applying 1 object
berth/test-a/$p-app success applied: 1 created, 0 configured, 0 unchanged"
	wait_until 30 "pending and success on $p" statuses_are "$p" "${c1[$p]}" "$want"
done

note "drift in report mode: failure, then success once kubectl undoes the edit"
for p in $providers; do edit_live "$p" tampered; done
for p in $providers; do
	wait_until 30 "the drift on $p" statuses_hold "$p" "${c1[$p]}" \
		"berth/test-a/$p-app $(failed "$p") drift: 1 object (configmap/$p-settings)"
	edit_live "$p" 1
done
for p in $providers; do
	want="berth/test-a/$p-app pending applying 1 object
berth/test-a/$p-app success applied: 1 created, 0 configured, 0 unchanged
berth/test-a/$p-app $(failed "$p") drift: 1 object (configmap/$p-settings)
berth/test-a/$p-app success in sync: 1 object"
	wait_until 30 "success again on $p" statuses_are "$p" "${c1[$p]}" "$want"
done

note "drift in correct mode: success, 'corrected drift'"
config "$scratch/berth.yaml" test-a correct berth-status-github
reloads=$(grep -c 'msg="config reloaded"' "$scratch/agent.log" || [ $? = 1 ])
kill -HUP "$agent"
reloaded() { [ "$(grep -c 'msg="config reloaded"' "$scratch/agent.log")" -gt "$reloads" ]; }
wait_until 30 "the config reloaded" reloaded
for p in $providers; do edit_live "$p" tampered; done
for p in $providers; do
	wait_until 30 "the correction on $p" statuses_hold "$p" "${c1[$p]}" \
		"berth/test-a/$p-app success corrected drift in 1 object"
	value_is "$p" 1 || fail "the drift on $p was not corrected"
done

note "a refused commit: failure, naming the file and line"
declare -A c2
for p in $providers; do
	printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: broken\n' >"$scratch/$p-work/broken.yaml"
	c2[$p]=$(commit "$p" broken)
done
for p in $providers; do
	wait_until 30 "the refusal on $p" has_statuses "$p" "${c2[$p]}"
	got=$(statuses "$p" "${c2[$p]}")
	assert_contains "$got" "berth/test-a/$p-app $(failed "$p") broken.yaml:4:1: " "the refusal on $p"
	assert_eq "$(wc -l <<<"$got")" 1 "statuses of the refused commit on $p"
	value_is "$p" 1 || fail "the refused commit changed $p's ConfigMap"
done

note "no duplicates: ten periodic checks of an in-sync commit post nothing"
declare -A c3
for p in $providers; do rm "$scratch/$p-work/broken.yaml"; done
commit_settings c3 3 fixed
for p in $providers; do
	wait_until 30 "the fix applied on $p" statuses_hold "$p" "${c3[$p]}" \
		"berth/test-a/$p-app success applied: 0 created, 1 configured, 0 unchanged"
done
in_sync() { grep -c "msg=\"in sync\" source=$1-app commit=$2" "$scratch/agent.log" || [ $? = 1 ]; }
in_sync_more() { [ "$(in_sync "$1" "$2")" -ge "$3" ]; }
for p in $providers; do
	n=$(in_sync "$p" "${c3[$p]}")
	wait_until 60 "ten periodic checks of $p" in_sync_more "$p" "${c3[$p]}" $((n + 10))
done
# The sentinel: a new commit's pending reaches the forge after anything the
# checks before it queued.
declare -A c4
commit_settings c4 4 sentinel
for p in $providers; do
	wait_until 30 "the sentinel's pending on $p" statuses_hold "$p" "${c4[$p]}" \
		"berth/test-a/$p-app pending applying 1 object"
	requests=$(jq -r --arg s3 "${c3[$p]}" 'select(.path | contains($s3)) | "\(.method) \(.code)"' \
		"$scratch/$p.jsonl" | tr '\n' ' ')
	# One read, and the writes of pending and success (or of success alone,
	# when it came before pending could go: the newest state wins): nothing
	# for the checks.
	[[ $requests =~ ^GET\ 200\ (POST\ 201\ ){1,2}$ ]] ||
		fail "$p requests on the fixed commit: $requests (want a GET, and one or two POSTs)"
	assert_eq "$(statuses "$p" "${c3[$p]}" | tail -1)" \
		"berth/test-a/$p-app success applied: 0 created, 1 configured, 0 unchanged" "$p's newest status"
	echo "figure: $p: forge requests of 10 periodic checks of an unchanged commit: 0; of the change: $(wc -w <<<"$requests" | awk '{ print $1 / 2 }')"
done

note "the delay from a sync's end to its status at the forge"
# The "applied" line's time against the success POST's, per commit.
ms_of() { date -d "$1" +%s%3N; }
for p in $providers; do
	for sha in "${c1[$p]}" "${c3[$p]}"; do
		applied=$(grep -m1 "msg=applied source=$p-app commit=$sha" "$scratch/agent.log" |
			sed 's/^time=\([^ ]*\).*/\1/')
		posted=$(jq -r --arg sha "$sha" 'select(.method == "POST") | select(.path | contains($sha))
			| select(.body.state == "success") | .time' "$scratch/$p.jsonl" | sed -n 1p)
		echo $(($(awk -v t="$posted" 'BEGIN { printf "%.0f", t * 1000 }') - $(ms_of "$applied")))
	done
done | sort -n >"$scratch/delays"
echo "figure: sync end to status at the forge: median $(awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }' \
	"$scratch/delays") ms, max $(tail -1 "$scratch/delays") ms, over $(wc -l <"$scratch/delays") commits"

note "the metrics count the posts, and the queue is empty"
metrics=$(curl -sf "http://$(agent_address)/metrics")
assert_contains "$metrics" 'berth_status_posts_total{provider="gitlab",code="201"}' "/metrics"
queue_empty() { curl -sf "http://$(agent_address)/metrics" | grep -qx 'berth_status_queue_length 0'; }
wait_until 30 "the status queue to empty" queue_empty

note "two clusters on one commit keep two contexts"
config "$scratch/berth-b.yaml" test-b report berth-status-b
"$BERTH" run --listen 127.0.0.1:0 --config "$scratch/berth-b.yaml" 2>"$scratch/agent-b.log" &
agent_b=$!
for p in $providers; do
	wait_until 30 "both clusters' success on $p" statuses_hold "$p" "${c4[$p]}" \
		"berth/test-b/$p-app success applied: 0 created, 0 configured, 1 unchanged"
	statuses_hold "$p" "${c4[$p]}" "berth/test-a/$p-app success applied: 0 created, 1 configured, 0 unchanged" ||
		fail "cluster test-b overwrote test-a's status on $p: $(statuses "$p" "${c4[$p]}")"
done
kill -TERM "$agent_b"
wait "$agent_b" || fail "the second agent exited $? on SIGTERM"
agent_b=

note "a rate limit: 429 with retry-after: 5; nothing for 5 s, then at most one request a second"
curl -sf -X POST -d '{"code": 429, "seconds": 5, "retry_after": true}' "$(forge github)/_forge/ratelimit" >/dev/null
settings github 5
limited_at=$(date +%s.%N)
c5=$(commit github limited)
wait_until 60 "success after the limit" statuses_hold github "$c5" \
	"berth/test-a/github-app success applied: 0 created, 1 configured, 0 unchanged"
jq -r --arg t "$limited_at" 'select(.time >= ($t | tonumber)) | select(.path | startswith("/_forge") | not)
	| "\(.time) \(.code)"' "$scratch/github.jsonl" >"$scratch/limited"
first429=$(awk '$2 == 429 { print $1; exit }' "$scratch/limited")
[ -n "$first429" ] || fail "berth met no 429: $(cat "$scratch/limited")"
# The window ends 5 s after it was asked for; each 429 says how long is
# left (retry-after, rounded up), so nothing may come before that end.
window_end=$(jq -r 'select(.path == "/_forge/ratelimit") | .time + 5' "$scratch/github.jsonl" | tail -1)
awk -v t="$first429" '$1 > t' "$scratch/limited" >"$scratch/after429"
gap=$(awk -v t="$first429" 'NR == 1 { printf "%.2f", $1 - t }' "$scratch/after429")
early=$(awk -v e="$window_end" 'NR == 1 { printf "%.2f", e - $1 }' "$scratch/after429")
awk -v d="$early" 'BEGIN { exit !(d <= 0.05) }' ||
	fail "berth asked again ${early}s before the 5 s window of a 429 ended (${gap}s after the 429)"
closest=$(awk 'NR > 1 { d = $1 - prev; if (min == "" || d < min) min = d } { prev = $1 }
	END { printf "%.2f", min == "" ? 99 : min }' "$scratch/after429")
awk -v g="$closest" 'BEGIN { exit !(g >= 0.95) }' || fail "requests ${closest}s apart after the limit"
echo "figure: after the 429: next request ${gap}s later, at the window's end, then at least ${closest}s apart"

note "a revoked token: 401, logged once with the forge's message, never retried; a rotated token file is read again"
jq '.token = "the-rotated-token-of-github"' "$scratch/github.json" >"$scratch/rotated" &&
	mv "$scratch/rotated" "$scratch/github.json"
settings github 10
c10=$(commit github revoked)
wait_until 30 "the commit applied" value_is github 10
refused() { grep -c 'msg="status refused" provider=github .*code=401' "$scratch/agent.log" || [ $? = 1 ]; }
refused_once() { [ "$(refused)" -ge 1 ]; }
wait_until 30 "the 401 logged" refused_once
# Nothing waits to be retried: the refusals were dropped.
wait_until 30 "the status queue to empty" queue_empty
# The sentinel: the rotated token in berth's file, and a new commit's
# success, comes after anything berth would have retried.
printf 'the-rotated-token-of-github\n' >"$scratch/github.token"
settings github 11
c11=$(commit github rotated)
wait_until 30 "success with the rotated token" statuses_hold github "$c11" \
	"berth/test-a/github-app success applied: 0 created, 1 configured, 0 unchanged"
assert_eq "$(refused)" 1 "lines saying the forge refused berth's token"
assert_contains "$(grep 'msg="status refused"' "$scratch/agent.log")" 'message="Bad credentials"' "the forge's message"
tries=$(jq -r --arg sha "$c10" 'select(.path | contains($sha)) | .method' "$scratch/github.jsonl" | wc -l)
[ "$tries" -le 4 ] || fail "berth sent $tries requests for a commit whose token was revoked (a read and a write, for pending and success)"
# The refused posts were dropped, not sent again with the new token (the
# periodic check may post the commit's state since: "in sync").
assert_not_contains "$(statuses github "$c10")" "appl" "the refused statuses, sent again later"

note "the forge down for 60 s while two commits are applied: the newest statuses arrive when it is back"
port=$(cat "$scratch/gitea.port")
forge_stop gitea
down_at=$SECONDS
outage=$(audit_mark outage-start)
# berth's writes of gitea's ConfigMap since the forge went down.
applied_since() { # mark count
	[ "$(audit_after "$1" | berth_writes | grep -c ' configmaps gitea-settings$')" -ge "$2" ]
}
settings gitea 6
c6=$(commit gitea outage-1)
wait_until 30 "the first commit applied during the outage" applied_since "$outage" 1
settings gitea 7
c7=$(commit gitea outage-2)
wait_until 30 "the second commit applied during the outage" applied_since "$outage" 2
echo "    both applied $((SECONDS - down_at)) s into the outage"
down_for() { [ $((SECONDS - down_at)) -ge "$1" ]; }
wait_until 70 "60 s of outage" down_for 60
back=$(audit_mark outage-end)
assert_eq "$(audit_between "$outage" "$back" | berth_writes | grep ' configmaps gitea-settings$')" \
	"patch configmaps gitea-settings
patch configmaps gitea-settings" "berth's writes of the two commits while the forge was down"
value_is gitea 7 || fail "the second commit is not live"
grep -q 'msg="forge unavailable" provider=gitea' "$scratch/agent.log" || fail "no line says the forge is down"
forge_start gitea "$port"
back_at=$SECONDS
wait_until 400 "the second commit's success after the outage" statuses_hold gitea "$c7" \
	"berth/test-a/gitea-app success applied: 0 created, 1 configured, 0 unchanged"
wait_until 30 "the first commit's success after the outage" statuses_hold gitea "$c6" \
	"berth/test-a/gitea-app success applied: 0 created, 1 configured, 0 unchanged"
echo "figure: statuses at the forge $((SECONDS - back_at)) s after it came back"

note "kill -9 before the status went out: a restarted berth posts the commit's state"
port=$(cat "$scratch/gitlab.port")
forge_stop gitlab
settings gitlab 8
c8=$(commit gitlab killed)
wait_until 30 "the commit applied with the forge down" value_is gitlab 8
state_is() { [ "$(kubectl get configmap berth-state -n berth-status-github -o jsonpath="{.data.gitlab-app}")" = "$1" ]; }
wait_until 30 "the commit recorded" state_is "$c8"
kill -9 "$agent"
wait "$agent" || :
agent=
start_agent "$scratch/berth.yaml" "$scratch/agent2.log"
forge_start gitlab "$port"
wait_until 400 "the commit's success after the restart" statuses_hold gitlab "$c8" \
	"berth/test-a/gitlab-app success in sync: 1 object"
stop_agent "after the restart"
assert_eq "$STATUS" 0 "the exit status on SIGTERM"

note "one-shot: berth sync --status-... posts success; a forge that is down is a warning"
settings github 9
c9=$(commit github one-shot)
status_flags() { # provider
	echo --status-provider "$1" --status-base-url "$(base_url "$1")" \
		--status-repository "${project[$1]}" --status-token-file "$scratch/$1.token" \
		--status-context "berth/one-shot"
}
# shellcheck disable=SC2046
run_berth sync --repo "$scratch/github.git" -n berth-status-b $(status_flags github)
[ "$STATUS" = 0 ] || fail "sync --status-... exited $STATUS: $ERR"
assert_eq "$(statuses github "$c9" | grep one-shot)" \
	"berth/one-shot success applied: 1 created, 0 configured, 0 unchanged" "the one-shot's status"
all=$OUT$ERR
port=$(cat "$scratch/github.port")
forge_stop github
# shellcheck disable=SC2046
run_berth sync --repo "$scratch/github.git" -n berth-status-b $(status_flags github) --status-timeout 3s
assert_eq "$STATUS" 0 "sync's exit status with the forge down"
assert_contains "$ERR" "warning: the commit status did not reach github within 3 s" "the warning"
all=$all$OUT$ERR

note "a self-hosted forge with a private CA: --status-ca-file"
(
	cd "$scratch"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=berth-forge-ca \
		-keyout ca.key -out ca.crt 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout tls.key -out tls.csr 2>/dev/null
	echo "subjectAltName=IP:127.0.0.1" >tls.ext
	openssl x509 -req -in tls.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
		-extfile tls.ext -out tls.crt 2>/dev/null
)
rm -f "$scratch/tls.port"
python3 "$BERTH_SOURCE_DIR/tests/helpers/forge_server.py" --provider gitea \
	--config "$scratch/gitea.json" --record "$scratch/tls.jsonl" --state "$scratch/tls.state" \
	--port-file "$scratch/tls.port" --tls-cert "$scratch/tls.crt" --tls-key "$scratch/tls.key" \
	>/dev/null 2>>"$scratch/tls.err" &
forge_pid[tls]=$!
wait_until 10 "the TLS forge to listen" test -s "$scratch/tls.port"
tls_flags="--status-provider gitea --status-base-url https://127.0.0.1:$(cat "$scratch/tls.port")
	--status-repository ${project[gitea]} --status-token-file $scratch/gitea.token --status-context berth/tls"
# shellcheck disable=SC2086
run_berth sync --repo "$scratch/gitea.git" -n berth-status-b $tls_flags --status-timeout 5s
assert_eq "$STATUS" 0 "sync against a forge whose CA is not given"
assert_contains "$ERR" "warning: the commit status did not reach gitea" "the warning without the CA"
all=$all$OUT$ERR
# shellcheck disable=SC2086
run_berth sync --repo "$scratch/gitea.git" -n berth-status-b $tls_flags --status-ca-file "$scratch/ca.crt"
[ "$STATUS" = 0 ] || fail "sync with --status-ca-file exited $STATUS: $ERR"
assert_not_contains "$ERR" "warning" "sync with the forge's CA"
all=$all$OUT$ERR
assert_eq "$(curl -sf --cacert "$scratch/ca.crt" "https://127.0.0.1:$(cat "$scratch/tls.port")/_forge/statuses" |
	jq -r '.[] | "\(.context) \(.state)"')" "berth/tls success" "the status over TLS"

note "no token in any output"
for token in $tokens; do
	assert_not_contains "$all$(cat "$scratch/agent.log" "$scratch/agent2.log" "$scratch/agent-b.log")" \
		"$token" "a forge token"
done
PASSED=1
echo PASS
