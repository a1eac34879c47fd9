#!/usr/bin/env bash
# berth run previews pull requests when their webhooks come, on the real
# control plane, with the forge test server playing GitHub, GitLab and
# Gitea (comments and statuses):
# - a pull request whose branch changes one object, adds one and removes
#   one: its preview status ({context}/preview) and exactly one comment with
#   the Markdown report; a second push edits that same comment;
# - the audit log shows no write to the cluster from the previews, dry runs
#   included;
# - a head that breaks a check: failure with the file:line;
# - a pull request for another base branch, a badly signed one, and a
#   closed one do nothing (a sentinel pull request after them is previewed);
# - GitLab's Merge Request Hook and Gitea's pull_request, each previewed;
# - a head that no branch reaches (a fork's) is fetched through
#   refs/pull/N/head (GitLab: refs/merge-requests/N/head), and GitLab's
#   status names that ref; a fork's pull request is previewed only for a
#   source that opts in (previews: {forks: true}). (Replayed deliveries:
#   tests/attacks/preview.sh.)
# Prints the time from a webhook to its preview status, as a figure.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/forge_lib.sh"

providers="github gitlab gitea"
namespaces=$(printf 'berth-pr-%s ' $providers)
forge_cleanup $namespaces
trap 'forge_cleanup $namespaces; [ "${PASSED:-}" ] || tail -20 "$scratch/agent.log" >&2; drop_identity; rm -rf "$scratch"' EXIT
own_identity preview-run
fresh_namespaces $namespaces
writes_between() {
	audit_between "$1" "$2" | berth_requests | { grep -E '^(create|update|patch|delete) ' || [ $? = 1 ]; }
}

declare -A project=([github]=octo/pr [gitlab]=group/sub/pr [gitea]=octo/pr)
for p in $providers; do
	forge_repo "$p"
	jq -n --arg t "${token[$p]}" --arg p "${project[$p]}" --arg r "$scratch/$p.git" \
		'{token: $t, projects: {($p): $r}, pulls: {($p): [7, 8, 9, 10, 11]}}' >"$scratch/$p.json"
	forge_start "$p"
done

commit() { git_commit "$scratch/$1-work" "$scratch/$1.git" "$2" "$3"; } # provider message branch
configmap() { configmap_yaml "$@"; }
{
	printf 'cluster: ci\nwebhooks:\n'
	for p in $providers; do printf '  %s: {secretFile: %s}\n' "$p" "$scratch/$p.secret"; done
	printf 'sources:\n'
	for p in $providers; do
		cat <<YAML
- name: $p-app
  repo: $scratch/$p.git
  ref: main
  namespace: berth-pr-$p
  interval: 1h
  prune: true
  previews: {forks: $([ "$p" = gitea ] && echo false || echo true)}
  status:
    provider: $p
    baseURL: $(forge "$p")
    repository: ${project[$p]}
    tokenFile: $scratch/$p.token
    preview: {comment: true}
YAML
	done
} >"$scratch/berth.yaml"

# The comments the forge holds on pull request N, as "id edits" lines.
comments() { # provider number
	curl -sf "$(forge "$1")/_forge/comments" |
		jq -r --argjson n "$2" '.[] | select(.number == $n) | "\(.id) \(.edits)"'
}
comment_body() { # provider number
	curl -sf "$(forge "$1")/_forge/comments" | jq -r --argjson n "$2" '.[] | select(.number == $n) | .body'
}
comment_holds() { comment_body "$1" "$2" | grep -qF "$3"; }
ms() { date +%s%3N; }
latency=()
# Send a pull request event and wait for its preview status: the time
# between them goes into `latency`.
preview() { # provider action number head want-status-line [fork-repo-id]
	local start code
	start=$(ms)
	code=$(hook "$1" "$(pull_event "$1" "$2" "$3" "$4" main "${6:-1}")")
	[ "$code" = 202 ] || fail "the $1 webhook of pull request $3: $code $(cat "$scratch/hook.out")"
	wait_until 60 "the preview status of $4 on $1" statuses_hold "$1" "$4" "$5"
	latency+=($(($(ms) - start)))
}
context() { echo "berth/ci/$1-app/preview"; }

note "the base branch, deployed by berth run"
for p in $providers; do
	{ configmap keep same; echo ---; configmap change old; } >"$scratch/$p-work/app.yaml"
	configmap gone 1 >"$scratch/$p-work/gone.yaml"
	commit "$p" base main >/dev/null
done
start_agent "$scratch/berth.yaml" "$scratch/agent.log" --log-level debug
for p in $providers; do
	applied() { grep -q "msg=applied source=$1-app " "$scratch/agent.log"; }
	wait_until 60 "$p's base applied" applied "$p"
done

note "a pull request: one object changed, one added, one removed; one comment"
for p in $providers; do
	git -C "$scratch/$p-work" checkout -q -b feature
	{ configmap keep same; echo ---; configmap change new; } >"$scratch/$p-work/app.yaml"
	configmap added '<b>hi</b>' >"$scratch/$p-work/added.yaml"
	git -C "$scratch/$p-work" rm -q gone.yaml
done
from=$(audit_mark previews-before)
declare -A head
for p in $providers; do
	head[$p]=$(commit "$p" feature feature)
	action=opened
	[ "$p" != gitlab ] || action=open
	preview "$p" $action 7 "${head[$p]}" \
		"$(context "$p") success would create 1, change 1, prune 1, unchanged 1"
	wait_until 30 "the comment on $p" comment_holds "$p" 7 "would create 1, change 1, prune 1, unchanged 1"
done
for p in $providers; do
	assert_eq "$(comments "$p" 7 | wc -l)" 1 "comments on $p's pull request"
	body=$(comment_body "$p" 7)
	assert_contains "$body" "<!-- berth-preview $(context "$p") -->" "the comment's marker on $p"
	assert_contains "$body" "<details><summary>ConfigMap berth-pr-$p/change: change</summary>" \
		"the folded diff on $p"
	assert_contains "$body" "| berth-pr-$p | gone | prune |" "the pruned object on $p"
	assert_contains "$body" "berth preview of ${head[$p]:0:12}" "the commit on $p"
done

note "a second push to the branch edits that same comment"
{ configmap keep same; echo ---; configmap change newer; } >"$scratch/github-work/app.yaml"
second=$(commit github second feature)
preview github synchronize 7 "$second" \
	"$(context github) success would create 1, change 1, prune 1, unchanged 1"
wait_until 30 "the comment edited" comment_holds github 7 "berth preview of ${second:0:12}"
assert_eq "$(comments github 7 | awk '{print $2}')" 1 "comments on the pull request, and its edits"
assert_contains "$(comment_body github 7)" '+  value: newer' "the edited diff"

note "a head that breaks a check: failure at the file and line"
printf 'apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: broken}\nspec:\n  serviceName: nowhere\n  selector: {matchLabels: {app: nowhere}}\n  template: {metadata: {labels: {app: x}}, spec: {containers: [{name: x, image: x}]}}\n' \
	>"$scratch/github-work/broken.yaml"
broken=$(commit github broken feature)
hook github "$(pull_event github synchronize 7 "$broken" main)" >/dev/null
wait_until 60 "the broken head's status" has_statuses github "$broken"
got=$(statuses github "$broken")
assert_contains "$got" "$(context github) failure broken.yaml:6:14: " "the broken head's status"
assert_contains "$got" "spec.selector.matchLabels: app=nowhere does not select the pods" "the reason"
wait_until 30 "the comment saying so" comment_holds github 7 "The commit is refused"
assert_eq "$(comments github 7 | wc -l)" 1 "comments after the broken head"
git -C "$scratch/github-work" rm -q broken.yaml

note "another base branch, a bad signature, a closed pull request: nothing"
other=$(commit github other feature)
assert_eq "$(hook github "$(pull_event github opened 8 "$other" dev)")" 202 "a pull request into dev"
assert_contains "$(cat "$scratch/hook.out")" "no source deploys dev" "the answer for dev"
event=$(pull_event github opened 9 "$other" main)
assert_eq "$(hook github "$event" "sha256=$(hmac wrong-secret "$event")")" 401 "a badly signed pull request"
assert_eq "$(hook github "$(pull_event github closed 11 "$other" main)")" 200 "a closed pull request"
# The sentinel: a good pull request after them is previewed; anything the
# three above had queued would have come before it.
{ configmap keep same; echo ---; configmap change sentinel; } >"$scratch/github-work/app.yaml"
sentinel=$(commit github sentinel feature)
preview github reopened 7 "$sentinel" \
	"$(context github) success would create 1, change 1, prune 1, unchanged 1"
assert_eq "$(statuses github "$other")" "" "statuses on the head of the refused pull requests"
for n in 8 9 11; do
	assert_eq "$(comments github $n)" "" "comments on pull request $n"
done
note "a head no branch reaches (a fork's): fetched through the pull request's own ref"
for p in github gitlab; do
	git -C "$scratch/$p-work" checkout -q --detach
	{ configmap keep same; echo ---; configmap change from-a-fork; } >"$scratch/$p-work/app.yaml"
	ref=refs/pull/10/head
	[ "$p" != gitlab ] || ref=refs/merge-requests/10/head
	git -C "$scratch/$p-work" -c user.name=berth -c user.email=berth@example.com \
		commit -q -am fork >&2
	fork=$(git -C "$scratch/$p-work" rev-parse HEAD)
	git -C "$scratch/$p-work" push -q "$scratch/$p.git" "HEAD:$ref"
	[ -z "$(git -C "$scratch/$p.git" branch --contains "$fork")" ] || fail "a branch reaches the fork's head"
	action=opened
	[ "$p" != gitlab ] || action=open
	preview "$p" $action 10 "$fork" "$(context "$p") success would create 1, change 1, prune 1, unchanged 1" 2
	git -C "$scratch/$p-work" checkout -q feature
done

note "a fork's pull request, for a source that did not opt in: not previewed"
git -C "$scratch/gitea-work" checkout -q --detach
{ configmap keep same; echo ---; configmap change from-a-fork; } >"$scratch/gitea-work/app.yaml"
git -C "$scratch/gitea-work" -c user.name=berth -c user.email=berth@example.com commit -q -am fork >&2
fork=$(git -C "$scratch/gitea-work" rev-parse HEAD)
git -C "$scratch/gitea-work" push -q "$scratch/gitea.git" "HEAD:refs/pull/10/head"
git -C "$scratch/gitea-work" checkout -q feature
assert_eq "$(hook gitea "$(pull_event gitea opened 10 "$fork" main 2)")" 202 "the fork's pull request"
assert_eq "$(cat "$scratch/hook.out")" \
	"previewing nothing; from a fork, not previewed for gitea-app (previews: {forks: true} opts in)" \
	"the answer to the fork's pull request"
# The same pull request from the repository itself is previewed: the
# sentinel after which a preview of the fork's would have been posted.
preview gitea synchronized 10 "$fork" \
	"$(context gitea) success would create 1, change 1, prune 1, unchanged 1"
assert_eq "$(statuses gitea "$fork")" "$(context gitea) success would create 1, change 1, prune 1, unchanged 1" \
	"the statuses of the fork's head: the sentinel's only"

to=$(audit_mark previews-after)
assert_eq "$(writes_between "$from" "$to")" "" "writes of the previews, dry runs included"

note "figures"
printf '%s\n' "${latency[@]}" | sort -n >"$scratch/latency"
n=$(wc -l <"$scratch/latency")
echo "figure: webhook to preview status, over $n pull request events: median $(sed -n "$(((n + 1) / 2))p" "$scratch/latency") ms, max $(tail -1 "$scratch/latency") ms"
stop_agent "previews"
assert_eq "$STATUS" 0 "the exit status on SIGTERM"

note "no token in any output"
for p in $providers; do
	assert_not_contains "$(cat "$scratch/agent.log")" "${token[$p]}" "the $p token"
	assert_not_contains "$(cat "$scratch/agent.log")" "$(cat "$scratch/$p.secret")" "the $p secret"
done
PASSED=1
echo PASS
