#!/usr/bin/env bash
# The forges' refusals, met for real from berth run and the one-shot, with
# the forge test server (tests/helpers/forge_server.py) and the real
# control plane:
# - GitHub's 422 for a sha it does not hold: logged once, with the forge's
#   message, and never sent again, not by the periodic checks either;
# - GitLab's 400 for a pending job told "pending" again: "already so", not
#   a refusal, and the commit's success still follows;
# - a retired GitHub API version (410): refused once, and apiVersion (here
#   --status-api-version) chooses one the forge serves.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/forge_lib.sh"

providers="github gitlab"
namespaces=$(printf 'berth-rules-%s ' $providers)
forge_cleanup $namespaces
trap 'forge_cleanup $namespaces; [ ! -s "$scratch/agent.log" ] || [ "${PASSED:-}" ] || tail -30 "$scratch/agent.log" >&2
	rm -rf "$scratch"' EXIT
fresh_namespaces $namespaces

# GitHub's project holds none of the commits (an empty repository): every
# sha is unknown to it. GitLab's is the source's own remote. octo/rules-v,
# on GitHub, is the source's remote too, for the one-shot.
git init -q --bare -b main "$scratch/github-forge.git"
for p in $providers; do forge_repo "$p"; done
forge_config() { # provider projects [api_versions]
	jq -n --arg t "${token[$1]}" --argjson p "$2" --argjson v "${3:-null}" \
		'{token: $t, projects: $p} + (if $v then {api_versions: $v} else {} end)' \
		>"$scratch/$1.json.tmp"
	mv "$scratch/$1.json.tmp" "$scratch/$1.json"
}
github_projects='{"octo/rules-gh": "'$scratch/github-forge.git'", "octo/rules-v": "'$scratch/github.git'"}'
forge_config github "$github_projects"
forge_config gitlab '{"group/rules-gl": "'$scratch/gitlab.git'"}'
for p in $providers; do forge_start "$p"; done
declare -A repository=([github]=octo/rules-gh [gitlab]=group/rules-gl)

commit() { git_commit "$scratch/$1-work" "$scratch/$1.git" "$2" "${3:-}"; } # provider message [branch]
settings() { configmap_yaml "$1-settings" "$2" >"$scratch/$1-work/settings.yaml"; } # provider value
{
	printf 'stateNamespace: berth-rules-github\ncluster: rules\nsources:\n'
	for p in $providers; do
		cat <<YAML
- name: $p-app
  repo: $scratch/$p.git
  namespace: berth-rules-$p
  interval: 1s
  jitter: 0%
  status:
    provider: $p
    baseURL: $(forge "$p")
    repository: ${repository[$p]}
    tokenFile: $scratch/$p.token
YAML
	done
} >"$scratch/berth.yaml"

# berth's own requests to the forge on a commit, as "METHOD code" lines.
berth_calls() { # provider sha
	jq -r --arg sha "$2" 'select(.headers["user-agent"] | startswith("berth/"))
		| select(.path | contains($sha)) | "\(.method) \(.code)"' "$scratch/$1.jsonl"
}
# The refusals berth logged for a provider.
refusals() { # provider
	grep "msg=\"status refused\" provider=$1 " "$scratch/agent.log" || [ $? = 1 ]
}
# The periodic checks the reporter found nothing to send for, on a context.
unchanged() { # context
	grep -c "msg=\"status unchanged\" .*context=$1 " "$scratch/agent.log" || [ $? = 1 ]
}
unchanged_more() { [ "$(unchanged "$1")" -ge "$2" ]; }

note "GitHub's 422 for a sha it does not hold: logged once, and never sent again"
settings github 1
g1=$(commit github first)
settings gitlab 1
l1=$(commit gitlab first)
start_agent "$scratch/berth.yaml" "$scratch/agent.log" --log-level debug
refused_422() { refusals github | grep -q 'code=422'; }
wait_until 30 "the 422 logged" refused_422
assert_contains "$(refusals github)" "message=\"No commit found for SHA: $g1\"" "the forge's message"
# The sentinel: five periodic checks of the commit that the reporter itself
# found nothing to send for. Anything they would have sent came before.
seen=$(unchanged berth/rules/github-app)
wait_until 30 "five periodic checks with nothing to send" \
	unchanged_more berth/rules/github-app $((seen + 5))
calls=$(berth_calls github "$g1")
assert_eq "$(grep -vc '422$' <<<"$calls")" 0 "berth's calls on the unknown sha that were not a 422: $calls"
posts=$(grep -c '^POST' <<<"$calls")
# A post per state: success alone, or pending and success.
[ "$posts" -ge 1 ] && [ "$posts" -le 2 ] || fail "posts on the unknown sha: got $posts, want 1 or 2: $calls"
assert_eq "$(refusals github | wc -l)" 1 "lines logging the 422"
echo "    $posts post(s) and $(grep -c '^GET' <<<"$calls") read(s), then $((
	$(unchanged berth/rules/github-app) - seen)) checks that sent nothing"

note "GitLab's 400 for a state its job already has: already so, and the success follows"
wait_until 30 "the first commit's success on gitlab" statuses_hold gitlab "$l1" \
	"berth/rules/gitlab-app success applied: 1 created, 0 configured, 0 unchanged"
# A pipeline of someone else's holds a pending job of berth's name on the
# next commit before berth sees it (pushed to a branch berth does not
# follow first). berth reads it, then says "pending" with its own words:
# GitLab answers 400 "Cannot transition status via :enqueue from :pending".
settings gitlab 2
l2=$(commit gitlab second staging)
curl -sf -o /dev/null -X POST -H "PRIVATE-TOKEN: ${token[gitlab]}" \
	--data-urlencode state=pending --data-urlencode name=berth/rules/gitlab-app \
	--data-urlencode 'description=queued by CI' --data-urlencode ref=staging \
	"$(forge gitlab)/api/v4/projects/group%2Frules-gl/statuses/$l2" ||
	fail "the other pipeline's pending post"
git -C "$scratch/gitlab-work" push -q "$scratch/gitlab.git" HEAD:refs/heads/main
want="berth/rules/gitlab-app pending queued by CI
berth/rules/gitlab-app success applied: 0 created, 1 configured, 0 unchanged"
wait_until 30 "the second commit's success on gitlab" statuses_are gitlab "$l2" "$want"
assert_eq "$(berth_calls gitlab "$l2" | grep '^POST')" "POST 400
POST 201" "berth's posts on the commit: pending (400: already so), then success"
assert_eq "$(refusals gitlab)" "" "refusals logged for gitlab"

stop_agent "the rules"
assert_eq "$STATUS" 0 "the exit status on SIGTERM"

note "a retired GitHub API version: 410, refused once; --status-api-version chooses another"
forge_config github "$github_projects" '["2026-03-10"]'
flags=(--repo "$scratch/github.git" -n berth-rules-github --status-provider github
	--status-base-url "$(forge github)" --status-repository octo/rules-v
	--status-token-file "$scratch/github.token" --status-context rules/one-shot --status-timeout 10s)
run_berth sync "${flags[@]}"
assert_eq "$STATUS" 0 "sync's exit status when the forge refuses the API version: $ERR"
assert_contains "$ERR" 'msg="status refused" provider=github' "the refusal"
assert_contains "$ERR" 'code=410' "the refusal's code"
assert_contains "$ERR" "API version 2022-11-28 is not supported" "the forge's message"
assert_eq "$(berth_calls github "$g1" | grep -c '^POST 410')" 1 "posts refused for the API version"
assert_eq "$(statuses github "$g1")" "" "statuses on the commit"
all_err=$ERR
run_berth sync "${flags[@]}" --status-api-version 2026-03-10
assert_eq "$STATUS" 0 "sync's exit status with a served API version: $ERR"
assert_eq "$(statuses github "$g1")" \
	"rules/one-shot success applied: 0 created, 0 configured, 1 unchanged" "the status with 2026-03-10"
assert_eq "$(jq -r 'select(.code == 201) | .headers["x-github-api-version"]' "$scratch/github.jsonl")" \
	2026-03-10 "the version the accepted post asked for"
run_berth sync "${flags[@]}" --status-api-version 'v3'
assert_eq "$STATUS" 2 "sync's exit status with a malformed API version"
assert_contains "$ERR" "--status-api-version: not an API version" "the usage error"

note "no token in any output"
for p in $providers; do
	assert_not_contains "$(cat "$scratch/agent.log")$all_err" "${token[$p]}" "the $p token"
done
PASSED=1
echo PASS
