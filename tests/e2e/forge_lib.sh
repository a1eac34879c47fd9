# The forge test server (tests/helpers/forge_server.py) for the e2e tests
# that post commit statuses; source it after lib.sh. Each provider P has
# its files in $scratch: P.json (the server's config, which the test
# writes), P.jsonl (the record of requests), P.state, P.port, P.err.
# Sourcing it also gives berth a cache of the test's own ($scratch/cache),
# and sets `agent`, berth run's pid (start_agent's), empty.
declare -A forge_pid
export XDG_CACHE_HOME=$scratch/cache
agent=

# One forge server per provider; `forge_start P [port]` (again on the same
# port after forge_stop: the forge back from an outage, with its statuses).
forge_start() { # provider [port]
	local p=$1
	rm -f "$scratch/$p.port"
	python3 "$BERTH_SOURCE_DIR/tests/helpers/forge_server.py" --provider "$p" \
		--config "$scratch/$p.json" --record "$scratch/$p.jsonl" --state "$scratch/$p.state" \
		--listen "127.0.0.1:${2:-0}" --port-file "$scratch/$p.port" \
		>/dev/null 2>>"$scratch/$p.err" &
	forge_pid[$p]=$!
	wait_until 10 "the $p forge to listen" test -s "$scratch/$p.port"
}
forge_stop() { # provider
	kill "${forge_pid[$1]}"
	wait "${forge_pid[$1]}" || :
	unset "forge_pid[$1]"
}
forge() { # provider: its address
	echo "http://127.0.0.1:$(cat "$scratch/$1.port")"
}
base_url() { # provider: berth's baseURL (GitHub Enterprise's form for GitHub)
	if [ "$1" = github ]; then echo "$(forge "$1")/api/v3"; else forge "$1"; fi
}
# The statuses the forge holds on SHA, in the order posted, as "context
# state description" lines.
statuses() { # provider sha
	curl -sf "$(forge "$1")/_forge/statuses" |
		jq -r --arg sha "$2" '.[] | select(.sha == $sha) | "\(.context) \(.state) \(.description)"'
}
statuses_are() { # provider sha want
	[ "$(statuses "$1" "$2")" = "$3" ]
}
statuses_hold() { # provider sha line
	statuses "$1" "$2" | grep -qxF "$3"
}
has_statuses() { # provider sha
	[ -n "$(statuses "$1" "$2")" ]
}
# The forge's word for failure.
failed() { if [ "$1" = gitlab ]; then echo failed; else echo failure; fi; }
# Stop every forge still running (for the test's EXIT trap).
forge_stop_all() {
	local p
	for p in "${forge_pid[@]}"; do kill "$p" 2>/dev/null || :; done
}
# A forge test's cleanup, before it starts and at its exit: kill berth run,
# stop every forge, and delete the test's NAMESPACES without waiting.
forge_cleanup() { # namespace...
	[ -z "$agent" ] || kill -9 "$agent" 2>/dev/null || :
	forge_stop_all
	kubectl delete namespace "$@" --ignore-not-found --wait=false >/dev/null
}
# Provider P's side of a test of several forges: a bare repository
# $scratch/P.git and a work tree for it, $scratch/P-work; a token of its
# own, in token[P] (an associative array) and $scratch/P.token; a webhook
# secret in $scratch/P.secret. The caller writes P.json and starts the forge.
forge_repo() { # provider
	declare -gA token
	git init -q --bare -b main "$scratch/$1.git"
	git init -q -b main "$scratch/$1-work"
	token[$1]=forge-token-$1-$RANDOM$RANDOM
	printf '%s\n' "${token[$1]}" >"$scratch/$1.token"
	printf 'webhook-secret-of-%s-%s\n' "$1" "$RANDOM$RANDOM" >"$scratch/$1.secret"
}
# One GitHub project, octo/NAME, for a test of one repository: a bare
# repository $scratch/app.git and a work tree for it, $scratch/work; a token
# of its own, in `token` and $scratch/github.token; and the forge, serving
# the project with that token.
github_project() { # name
	token=forge-token-$1-$RANDOM$RANDOM
	printf '%s\n' "$token" >"$scratch/github.token"
	git init -q --bare -b main "$scratch/app.git"
	git init -q -b main "$scratch/work"
	jq -n --arg t "$token" --arg p "octo/$1" --arg r "$scratch/app.git" '{token: $t, projects: {($p): $r}}' \
		>"$scratch/github.json"
	forge_start github
}

# A pull request event of each forge, as the forge sends it: into BASE,
# whose head is in the repository itself (repository id 1) or, with FORK,
# in the repository of that id; UPDATED is its updated_at (default: now).
# The repository is $scratch/PROVIDER.git, or pull_repo[PROVIDER].
declare -A pull_repo
pull_event() { # provider action number head base [fork-repo-id [updated]]
	local from=${6:-1} updated=${7:-$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)}
	local repo=${pull_repo[$1]:-$scratch/$1.git}
	case $1 in
	gitlab)
		jq -nc --arg a "$2" --argjson n "$3" --arg h "$4" --arg b "$5" --arg r "$repo" \
			--argjson f "$from" --arg u "$updated" \
			'{object_kind: "merge_request", event_type: "merge_request",
			  project: {git_http_url: $r, default_branch: "main"},
			  object_attributes: {iid: $n, action: $a, target_branch: $b, source_branch: "feature",
			                      source_project_id: $f, target_project_id: 1, updated_at: $u,
			                      last_commit: {id: $h}}}' ;;
	gitea)
		jq -nc --arg a "$2" --argjson n "$3" --arg h "$4" --arg b "$5" --arg r "$repo" \
			--argjson f "$from" --arg u "$updated" \
			'{action: $a, number: $n,
			  pull_request: {number: $n, updated_at: $u, head: {sha: $h, ref: "feature", repo_id: $f},
			                 base: {ref: $b, repo_id: 1}},
			  repository: {clone_url: $r, default_branch: "main"}}' ;;
	*)
		jq -nc --arg a "$2" --argjson n "$3" --arg h "$4" --arg b "$5" --arg r "$repo" \
			--argjson f "$from" --arg u "$updated" \
			'{action: $a, number: $n,
			  pull_request: {number: $n, updated_at: $u, head: {sha: $h, ref: "feature", repo: {id: $f}},
			                 base: {ref: $b, repo: {id: 1}}},
			  repository: {clone_url: $r, default_branch: "main"}}' ;;
	esac
}
# The forge's word for a pull request that moved to a new head.
synchronize() { # provider
	case $1 in gitlab) echo update ;; gitea) echo synchronized ;; *) echo synchronize ;; esac
}
hmac() { printf '%s' "$2" | openssl dgst -sha256 -hmac "$1" | sed 's/.*= //'; }
# Deliver BODY, a pull request event, to berth run's /hooks/PROVIDER, signed
# with $scratch/PROVIDER.secret (or as SIGNATURE says), under a delivery id
# of its own: the HTTP code; the answer's body goes to $scratch/hook.out.
hook() { # provider body [signature]
	local secret sig
	secret=$(cat "$scratch/$1.secret")
	case $1 in
	github) sig=(-H 'X-GitHub-Event: pull_request' -H "X-GitHub-Delivery: $RANDOM$RANDOM"
		-H "X-Hub-Signature-256: ${3:-sha256=$(hmac "$secret" "$2")}") ;;
	gitlab) sig=(-H 'X-Gitlab-Event: Merge Request Hook' -H "X-Gitlab-Event-UUID: $RANDOM$RANDOM"
		-H "X-Gitlab-Token: ${3:-$secret}") ;;
	gitea) sig=(-H 'X-Gitea-Event: pull_request' -H "X-Gitea-Delivery: $RANDOM$RANDOM"
		-H "X-Gitea-Signature: ${3:-$(hmac "$secret" "$2")}") ;;
	esac
	curl -s -o "$scratch/hook.out" -w '%{http_code}' -X POST "${sig[@]}" \
		-H 'Content-Type: application/json' --data-binary "$2" "http://$(agent_address)/hooks/$1"
}
