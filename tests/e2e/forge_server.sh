#!/usr/bin/env bash
# The forge test server (tests/helpers/forge_server.py) keeps the forges'
# rules, so that the tests built on it prove something: GitHub (plain HTTP,
# and under /api/v3), GitLab (over TLS, its certificate signed by a CA of
# this test's own) and Gitea, each checked with curl against a bare
# repository of two commits: auth and token rotation, unknown projects and
# shas, the 140-character description, GitHub's 1000 statuses per context
# and rate-limit headers, GitLab's state transitions, the faults and rate
# limits the control API injects, the record of requests, and a restart
# that keeps the state. Needs no cluster: python3, git, curl, jq, openssl.
. "$(dirname "$0")/assert.sh"

for tool in git curl jq openssl; do
	command -v "$tool" >/dev/null || fail "$tool is missing"
done
python=${BERTH_PYTHON3:-/usr/bin/python3} # Debian's, standard library only
server=$(cd "$(dirname "$0")/../helpers" && pwd)/forge_server.py
scratch=$(mktemp -d)
cleanup() {
	local f
	for f in "$scratch"/*/pid; do
		[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || :
	done
	rm -rf "$scratch"
}
trap cleanup EXIT

# Write a file whole, so that the server never reads half of it.
write_atomic() { # file (content on stdin)
	cat >"$1.tmp" && mv "$1.tmp" "$1"
}

# Start forge NAME playing PROVIDER, with CONFIG.json from stdin (unless it
# exists), on $PORT (a free port when unset), with TLS when $TLS is set; wait
# until it listens: sets url_NAME. Its files are in $scratch/NAME.
start_forge() { # name provider
	local dir=$scratch/$1 tls=() port
	mkdir -p "$dir"
	[ -f "$dir/config.json" ] || write_atomic "$dir/config.json"
	rm -f "$dir/port"
	[ -z "${TLS:-}" ] || tls=(--tls-cert "$scratch/tls/server.crt" --tls-key "$scratch/tls/server.key")
	"$python" "$server" --provider "$2" --config "$dir/config.json" --record "$dir/record.jsonl" \
		--state "$dir/state.json" --listen "127.0.0.1:${PORT:-0}" --port-file "$dir/port" \
		"${tls[@]}" >"$dir/stdout" 2>>"$dir/stderr" &
	echo $! >"$dir/pid"
	for _ in $(seq 100); do
		[ -s "$dir/port" ] && break
		kill -0 "$(cat "$dir/pid")" 2>/dev/null || fail "forge $1 died: $(cat "$dir/stderr")"
		sleep 0.1
	done
	port=$(cat "$dir/port") || fail "forge $1 wrote no port file"
	local scheme=http
	[ -z "${TLS:-}" ] || scheme=https
	for _ in $(seq 50); do
		grep -q "listening on $scheme://127.0.0.1:$port" "$dir/stdout" && break
		sleep 0.1
	done
	assert_eq "$(cat "$dir/stdout")" "listening on $scheme://127.0.0.1:$port" "forge $1's stdout"
	printf -v "url_$1" '%s://127.0.0.1:%s' "$scheme" "$port"
}

# SIGTERM forge NAME and wait for it: sets STATUS to its exit status.
stop_forge() { # name
	local pid
	pid=$(cat "$scratch/$1/pid")
	kill -TERM "$pid"
	STATUS=0
	wait "$pid" || STATUS=$?
	rm -f "$scratch/$1/pid"
}

# One request with curl: sets CODE (000 when no answer), BODY, CURL (curl's
# exit status); header NAME prints a header of the answer.
req() { # method url [curl options...]
	local method=$1 url=$2
	shift 2
	: >"$scratch/body"
	: >"$scratch/headers"
	CURL=0
	CODE=$(curl -sS -X "$method" -o "$scratch/body" -D "$scratch/headers" -w '%{http_code}' \
		"$@" "$url" 2>"$scratch/curl.err") || CURL=$?
	BODY=$(cat "$scratch/body")
}
header() { # name
	grep -i "^$1:" "$scratch/headers" | tail -1 | cut -d' ' -f2- | tr -d '\r'
}
body() { # jq filter
	jq -r "$1" <<<"$BODY"
}
expect() { # code what: the answer's code, else fail with the body
	[ "$CODE" = "$1" ] || fail "$2: got $CODE (curl $CURL), want $1: $BODY $(cat "$scratch/curl.err")"
}
control() { # name path [json]
	if [ $# -ge 3 ]; then
		req POST "$(url "$1")/_forge/$2" ${tls_opts[$1]:-} -H 'Content-Type: application/json' -d "$3"
	else
		req GET "$(url "$1")/_forge/$2" ${tls_opts[$1]:-}
	fi
	expect 200 "control $2"
}
url() { local v=url_$1; echo "${!v}"; }
declare -A tls_opts
# The statuses forge NAME holds, the last one without its time.
last_status() { # name
	control "$1" statuses
	body '.[-1] | del(.time) | tojson'
}

# --- a bare repository of two commits; the second is pushed later ---------
git init -q --bare -b main "$scratch/app.git"
git init -q --bare -b main "$scratch/other.git"
git init -q -b main "$scratch/work"
commit() { # message: prints the new commit's sha
	echo "$1" >"$scratch/work/file"
	git -C "$scratch/work" add -A
	git -C "$scratch/work" -c user.name=berth -c user.email=berth@example.com commit -q -m "$1"
	git -C "$scratch/work" rev-parse HEAD
}
sha1=$(commit one)
git -C "$scratch/work" push -q "$scratch/app.git" main
git -C "$scratch/work" push -q "$scratch/other.git" main
sha2=$(commit two) # in the work tree only, for now
unknown=0123456789abcdef0123456789abcdef01234567
d140=$(printf 'x%.0s' $(seq 140))
d141=${d140}y

projects='{"owner/repo": "'$scratch/app.git'", "group/sub/repo": "'$scratch/other.git'"}'

# --- GitHub ----------------------------------------------------------------
note "github"
start_forge gh github <<<'{"token": "gh-secret", "projects": '"$projects"'}'
gh=$url_gh
post_gh() { # sha json [token [base]]
	req POST "${4:-$gh}/repos/owner/repo/statuses/$1" -H "Authorization: Bearer ${3:-gh-secret}" \
		-H 'Accept: application/vnd.github+json' -H 'X-GitHub-Api-Version: 2022-11-28' \
		-H 'Content-Type: application/json' -d "$2"
}

post_gh "$sha1" '{"state": "success"}' wrong
expect 401 "github: wrong token"
assert_eq "$(body .message)" "Bad credentials" "github: wrong token's message"
req POST "$gh/repos/owner/repo/statuses/$sha1" -d '{"state": "success"}'
expect 401 "github: no token"
assert_eq "$(header x-ratelimit-resource)" core "github: rate-limit headers on a 401"
req POST "$gh/repos/owner/repo/statuses/$sha1" -H "Authorization: Bearer gh-secret" \
	-H 'X-GitHub-Api-Version: 2021-01-01' -d '{"state": "success"}'
expect 410 "github: a retired API version"
assert_contains "$(body .message)" "API version 2021-01-01 is not supported" "github: a retired version's message"

post_gh "$sha1" '{"state": "success", "context": "ci/berth", "description": "synced", "target_url": "https://example.com/x"}'
expect 201 "github: a good post"
assert_eq "$(body '[.state, .context, .description, .target_url] | join(" ")')" \
	"success ci/berth synced https://example.com/x" "github: the status answered"
assert_eq "$(body .url)" "$gh/repos/owner/repo/statuses/$sha1" "github: the status's url"
for h in limit remaining reset used resource; do
	[ -n "$(header "x-ratelimit-$h")" ] || fail "github: no x-ratelimit-$h header"
done
remaining=$(header x-ratelimit-remaining)
assert_eq "$(header x-ratelimit-limit)" 5000 "github: the hourly budget"
assert_eq "$(last_status gh)" \
	'{"project":"owner/repo","sha":"'$sha1'","context":"ci/berth","state":"success","description":"synced","target_url":"https://example.com/x"}' \
	"github: the status stored"
control gh statuses
body '.[-1].time | type' | grep -qx number || fail "github: the stored time is not a number"

post_gh "$sha1" '{"state": "pending"}' gh-secret "$gh/api/v3"
expect 201 "github: a post under /api/v3 (GitHub Enterprise)"
assert_eq "$(body .context)" default "github: the default context"
assert_eq "$(body .url)" "$gh/api/v3/repos/owner/repo/statuses/$sha1" "github: the Enterprise url"
assert_eq "$(header x-ratelimit-remaining)" $((remaining - 1)) "github: x-ratelimit-remaining counts down"
req POST "$gh/repos/owner/repo/statuses/$sha1" -H 'Authorization: token gh-secret' -d '{"state": "error"}'
expect 201 "github: Authorization: token"

req POST "$gh/repos/owner/nope/statuses/$sha1" -H 'Authorization: Bearer gh-secret' -d '{"state": "success"}'
expect 404 "github: an unknown project"
assert_eq "$(body .message)" "Not Found" "github: an unknown project's message"
for sha in "$unknown" "$sha2" main "${sha1:0:7}"; do
	post_gh "$sha" '{"state": "success"}'
	expect 422 "github: unknown sha $sha"
	assert_eq "$(body .message)" "No commit found for SHA: $sha" "github: unknown sha $sha"
done
git -C "$scratch/work" push -q "$scratch/app.git" main
post_gh "$sha2" '{"state": "success", "context": "ci/berth"}'
expect 201 "github: a sha known once pushed"

post_gh "$sha2" '{"state": "failure", "context": "ci/long", "description": "'$d140'"}'
expect 201 "github: a description of 140 characters"
post_gh "$sha2" '{"state": "failure", "context": "ci/long", "description": "'$d141'"}'
expect 422 "github: a description of 141 characters"
assert_eq "$(body '.message')" "Validation Failed" "github: 141 characters' message"
assert_eq "$(body '.errors[0] | "\(.resource) \(.field) \(.code) \(.message)"')" \
	"Status description custom description is too long (maximum is 140 characters)" "github: 141 characters' error"
for state in running failed "" '"'; do
	post_gh "$sha2" '{"state": "'"${state//\"/\\\"}"'"}'
	expect 422 "github: state '$state'"
	assert_eq "$(body '.errors[0] | "\(.field) \(.message)"')" "state state is not included in the list" \
		"github: state '$state'"
done
post_gh "$sha2" '{"state": "success", "description": 7}'
expect 422 "github: a description that is not a string"
req POST "$gh/repos/owner/repo/statuses/$sha2" -H 'Authorization: Bearer gh-secret' -d '{"state":'
expect 400 "github: a body that is not JSON"
assert_eq "$(body .message)" "Problems parsing JSON" "github: a body that is not JSON"

req GET "$gh/repos/owner/repo/commits/main/statuses" -H 'Authorization: Bearer gh-secret'
expect 200 "github: list by branch"
assert_eq "$(body '[.[].context] | join(",")')" "ci/long,ci/berth" "github: the list, newest first"
req GET "$gh/repos/owner/repo/commits/$sha1/statuses?per_page=2&page=2" -H 'Authorization: Bearer gh-secret'
assert_eq "$(body '[.[].state] | join(",")')" "success" "github: page 2 of 2 a page"
req GET "$gh/repos/owner/repo/commits/$sha1/status" -H 'Authorization: Bearer gh-secret'
expect 200 "github: the combined status"
assert_eq "$(body '"\(.state) \(.total_count)"')" "failure 2" "github: combined (an error among them)"

note "github: 1000 statuses per sha and context (contexts compare case-insensitively)"
for i in $(seq 1000); do
	context=ci/limit
	[ $((i % 2)) = 0 ] && context=CI/Limit
	printf 'url = "%s"\nrequest = "POST"\nheader = "Authorization: Bearer gh-secret"\n' \
		"$gh/repos/owner/repo/statuses/$sha2"
	printf 'data = "{\\"state\\": \\"pending\\", \\"context\\": \\"%s\\"}"\n' "$context"
	printf 'output = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n'
	[ "$i" = 1000 ] || echo next
done >"$scratch/limit.curl"
assert_eq "$(curl -sS -K "$scratch/limit.curl" | sort | uniq -c | sed 's/^ *//')" "1000 201" \
	"github: 1000 posts of one context"
post_gh "$sha2" '{"state": "success", "context": "ci/LIMIT"}'
expect 422 "github: the 1001st status of a context"
assert_eq "$(body '.errors[0].message')" "This SHA and context has reached the maximum number of statuses." \
	"github: the 1001st status's error"
post_gh "$sha2" '{"state": "success", "context": "ci/other"}'
expect 201 "github: another context of that sha"
post_gh "$sha1" '{"state": "success", "context": "ci/limit"}'
expect 201 "github: that context on another sha"

note "github: token rotated in CONFIG.json"
write_atomic "$scratch/gh/config.json" <<<'{"token": "gh-rotated", "projects": '"$projects"'}'
post_gh "$sha1" '{"state": "success"}'
expect 401 "github: the old token after rotation"
post_gh "$sha1" '{"state": "success"}' gh-rotated
expect 201 "github: the new token after rotation"

note "github: rate limits"
control gh ratelimit '{"code": 429, "seconds": 3, "retry_after": true}'
start=$(date +%s)
post_gh "$sha1" '{"state": "success"}' gh-rotated
expect 429 "github: a secondary rate limit"
assert_eq "$(header x-ratelimit-remaining)" 0 "github: 429's x-ratelimit-remaining"
reset=$(header x-ratelimit-reset)
[ "$reset" -ge "$start" ] && [ "$reset" -le $((start + 4)) ] || fail "github: 429's reset $reset is not the window's end"
case $(header retry-after) in 1 | 2 | 3) ;; *) fail "github: 429's retry-after '$(header retry-after)'" ;; esac
assert_contains "$(body .message)" "secondary rate limit" "github: 429's message"
control gh ratelimit '{"code": 403, "seconds": 1, "retry_after": false}'
req GET "$gh/repos/owner/repo/commits/main/statuses" -H 'Authorization: Bearer gh-rotated'
expect 403 "github: a primary rate limit"
assert_eq "$(header retry-after)" "" "github: 403's retry-after"
assert_eq "$(header x-ratelimit-remaining)" 0 "github: 403's x-ratelimit-remaining"
assert_contains "$(body .message)" "API rate limit exceeded for" "github: 403's message"
sleep 1.2
req GET "$gh/repos/owner/repo/commits/main/statuses" -H 'Authorization: Bearer gh-rotated'
expect 200 "github: once the rate-limit window is over"

note "github: faults"
control gh fault '{"mode": "error", "code": 502, "count": 2}'
for i in 1 2; do
	req GET "$gh/repos/owner/repo/commits/main/statuses" -H 'Authorization: Bearer gh-rotated'
	expect 502 "github: error fault, request $i"
done
req GET "$gh/repos/owner/repo/commits/main/statuses" -H 'Authorization: Bearer gh-rotated'
expect 200 "github: after the error fault's count"
control gh fault '{"mode": "error", "seconds": 1}'
post_gh "$sha1" '{"state": "success"}' gh-rotated
expect 503 "github: error fault, default code"
sleep 1.1
post_gh "$sha1" '{"state": "success"}' gh-rotated
expect 201 "github: after the error fault's seconds"
control gh fault '{"mode": "hang", "seconds": 60}'
req POST "$gh/repos/owner/repo/statuses/$sha1" -H 'Authorization: Bearer gh-rotated' --max-time 1 \
	-d '{"state": "success", "context": "ci/hung"}'
assert_eq "$CURL $CODE" "28 000" "github: hang fault (curl times out)"
control gh fault '{"mode": "none"}'
post_gh "$sha1" '{"state": "success"}' gh-rotated
expect 201 "github: after the hang fault is cleared"
control gh fault '{"mode": "reset", "count": 1}'
post_gh "$sha1" '{"state": "success", "context": "ci/reset"}' gh-rotated
case "$CURL $CODE" in "56 000" | "52 000") ;; *) fail "github: reset fault: curl $CURL, code $CODE" ;; esac
post_gh "$sha1" '{"state": "success"}' gh-rotated
expect 201 "github: after the reset fault"
control gh statuses
assert_eq "$(body '[.[] | select(.context == "ci/hung" or .context == "ci/reset")] | length')" 0 \
	"github: statuses stored by requests that got no answer"

note "github: the record"
record=$scratch/gh/record.jsonl
b='def b: if (.body | type) == "object" then .body else {} end; ' # a JSON object body, else {}
jq -e . "$record" >/dev/null || fail "github: a record line is not JSON"
assert_eq "$(jq -s 'map(keys == ["body","code","fault","headers","method","path","query","time"]) | all' "$record")" \
	true "github: every record line's keys"
assert_eq "$(jq -c "$b"'select(.code == 201 and b.description == "synced")
	| [.method, .path, .headers.authorization, .headers["x-github-api-version"], .body.state, (.time | type)]' "$record")" \
	'["POST","/repos/owner/repo/statuses/'$sha1'","Bearer gh-secret","2022-11-28","success","number"]' \
	"github: the good post's record"
assert_eq "$(jq -c "$b"'select(b.context == "ci/hung" or b.context == "ci/reset") | [.code, .fault.mode]' "$record" | tr '\n' ' ')" \
	'[null,"hang"] [null,"reset"] ' "github: the records of requests that got no answer"
assert_eq "$(jq -c 'select(.path == "/_forge/fault") | .body.mode' "$record" | tr '\n' ' ')" \
	'"error" "error" "hang" "none" "reset" ' "github: control requests are recorded"
assert_eq "$(jq -c 'select(.code == 422 and (.path | endswith("/main"))) | .body' "$record")" \
	'{"state":"success"}' "github: a JSON body is recorded parsed"
assert_eq "$(jq -c 'select(.code == 400) | .body' "$record")" '"{\"state\":"' \
	"github: a body that is not JSON is recorded raw"

note "github: stop (the forge down) and start again with the state kept"
post_gh "$sha1" '{"state": "success", "context": "ci/restart"}' gh-rotated
expect 201 "github: a post before the restart"
last_id=$(body .id)
[ -s "$scratch/gh/state.json" ] || fail "github: no STATE.json written"
control gh statuses
before=$(body 'length')
stop_forge gh
assert_eq "$STATUS" 0 "github: exit status after SIGTERM"
post_gh "$sha1" '{"state": "success"}' gh-rotated
assert_eq "$CURL $CODE" "7 000" "github: connection refused while down"
PORT=${gh##*:} start_forge gh github
assert_eq "$url_gh" "$gh" "github: the same address again"
control gh statuses
assert_eq "$(body 'length')" "$before" "github: statuses kept across the restart"
post_gh "$sha1" '{"state": "success"}' gh-rotated
expect 201 "github: a post after the restart"
assert_eq "$(body .id)" $((last_id + 1)) "github: ids go on after the restart"

note "github: the hourly budget runs out"
start_forge ghb github <<<'{"token": "t", "projects": '"$projects"', "rate_limit": 3}'
for want in 2 1 0; do
	req GET "$url_ghb/repos/owner/repo/commits/main/statuses" -H 'Authorization: Bearer t'
	expect 200 "github: within a budget of 3"
	assert_eq "$(header x-ratelimit-remaining)" "$want" "github: remaining within a budget of 3"
done
req GET "$url_ghb/repos/owner/repo/commits/main/statuses" -H 'Authorization: Bearer t'
expect 403 "github: the 4th request of a budget of 3"
assert_eq "$(header x-ratelimit-remaining) $(header x-ratelimit-used)" "0 3" "github: a spent budget's headers"
assert_contains "$(body .message)" "API rate limit exceeded" "github: a spent budget's message"

# --- GitLab, over TLS ------------------------------------------------------
note "gitlab (TLS)"
mkdir -p "$scratch/tls"
(
	cd "$scratch/tls"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=forge-test-ca \
		-keyout ca.key -out ca.crt 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout server.key -out server.csr 2>/dev/null
	echo "subjectAltName=IP:127.0.0.1,DNS:127.0.0.1" >ext
	openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
		-extfile ext -out server.crt 2>/dev/null
)
TLS=1 start_forge gl gitlab <<<'{"token": "gl-secret", "projects": '"$projects"'}'
gl=$url_gl/api/v4/projects
tls_opts[gl]="--cacert $scratch/tls/ca.crt"
ca=(--cacert "$scratch/tls/ca.crt")
post_gl() { # json [sha [project [token]]]
	req POST "$gl/${3:-group%2Fsub%2Frepo}/statuses/${2:-$sha1}" "${ca[@]}" \
		-H "PRIVATE-TOKEN: ${4:-gl-secret}" -H 'Content-Type: application/json' -d "$1"
}

req GET "$gl/group%2Fsub%2Frepo/repository/commits/$sha1/statuses" -H 'PRIVATE-TOKEN: gl-secret'
[ "$CURL" = 60 ] || fail "gitlab: curl without the CA trusted the server (curl $CURL)"
post_gl '{"state": "pending"}' "$sha1" group%2Fsub%2Frepo wrong
expect 401 "gitlab: wrong token"
assert_eq "$(body .message)" "401 Unauthorized" "gitlab: wrong token's message"
req POST "$gl/group%2Fsub%2Frepo/statuses/$sha1" "${ca[@]}" -d state=pending
expect 401 "gitlab: no token"
req POST "$gl/group/sub/repo/statuses/$sha1" "${ca[@]}" -H 'PRIVATE-TOKEN: gl-secret' -d state=pending
expect 404 "gitlab: the project path with raw slashes"
assert_eq "$(body .error)" "404 Not Found" "gitlab: raw slashes match no route"
post_gl '{"state": "pending"}' "$sha1" group%2Fnope
expect 404 "gitlab: an unknown project"
assert_eq "$(body .message)" "404 Project Not Found" "gitlab: an unknown project's message"
post_gl '{"state": "pending"}' "$unknown"
expect 404 "gitlab: an unknown sha"
assert_eq "$(body .message)" "404 Commit Not Found" "gitlab: an unknown sha's message"
post_gl '{"state": "failure"}'
expect 400 "gitlab: an invalid state"
assert_eq "$(body .error)" "state does not have a valid value" "gitlab: an invalid state's message"
post_gl '{"name": "berth/a"}'
expect 400 "gitlab: no state"
assert_eq "$(body .error)" "state is missing" "gitlab: no state's message"
post_gl '{"state": "pending", "name": "berth/a", "description": "'$d141'"}'
expect 422 "gitlab: a description of 141 characters"
assert_eq "$(body '.message.description[0]')" "is too long (maximum is 140 characters)" \
	"gitlab: 141 characters' message"

note "gitlab: state transitions of one name"
transition_message() { # event from
	echo "Cannot transition status via :$1 from :$2 (Reason(s): Status cannot transition via \"$1\")"
}
post_gl '{"state": "pending", "name": "berth/a", "description": "'$d140'"}'
expect 201 "gitlab: pending"
job=$(body .id)
assert_eq "$(body '"\(.status) \(.ref) \(.name)"')" "pending main berth/a" "gitlab: pending's job (ref: the branch)"
post_gl '{"state": "pending", "name": "berth/a"}'
expect 400 "gitlab: pending again"
assert_eq "$(body .message)" "$(transition_message enqueue pending)" "gitlab: pending again"
req POST "$gl/group%2Fsub%2Frepo/statuses/$sha1" "${ca[@]}" -H 'Authorization: Bearer gl-secret' \
	-d state=running -d name=berth/a
expect 201 "gitlab: running (form-encoded, Bearer)"
assert_eq "$(body '"\(.id) \(.status)"')" "$job running" "gitlab: running updates the pending job"
post_gl '{"state": "running", "context": "berth/a"}'
expect 400 "gitlab: running again (name given as context)"
assert_eq "$(body .message)" "$(transition_message run running)" "gitlab: running again"
post_gl '{"state": "pending", "name": "berth/a"}'
expect 400 "gitlab: pending after running"
assert_eq "$(body .message)" "$(transition_message enqueue running)" "gitlab: pending after running"
req POST "$gl/group%2Fsub%2Frepo/statuses/$sha1?state=success&name=berth%2Fa" "${ca[@]}" -H 'PRIVATE-TOKEN: gl-secret'
expect 201 "gitlab: success (query-string parameters)"
assert_eq "$(body '"\(.id) \(.status)"')" "$job success" "gitlab: success finishes the job"
[ "$(body .finished_at)" != null ] || fail "gitlab: a finished job without finished_at"
ids=$job
for state in success failed failed canceled canceled skipped pending; do
	post_gl '{"state": "'$state'", "name": "berth/a"}'
	expect 201 "gitlab: $state after a finished job"
	assert_eq "$(body .status)" "$state" "gitlab: $state after a finished job"
	case " $ids " in *" $(body .id) "*) fail "gitlab: $state after a finished job reused job $(body .id)" ;; esac
	ids="$ids $(body .id)"
done
assert_eq "$(last_status gl)" \
	'{"project":"group/sub/repo","sha":"'$sha1'","context":"berth/a","state":"pending","description":null,"target_url":null}' \
	"gitlab: the status stored"
req GET "$gl/group%2Fsub%2Frepo/repository/commits/$sha1/statuses?name=berth%2Fa" "${ca[@]}" -H 'PRIVATE-TOKEN: gl-secret'
expect 200 "gitlab: list"
assert_eq "$(body '[.[] | .status] | join(",")')" pending "gitlab: only the latest job of a name"
req GET "$gl/group%2Fsub%2Frepo/repository/commits/$sha1/statuses?name=berth%2Fa&all=true" "${ca[@]}" -H 'PRIVATE-TOKEN: gl-secret'
assert_eq "$(body '[.[] | .status] | join(",")')" "success,success,failed,failed,canceled,canceled,skipped,pending" \
	"gitlab: all jobs of a name"
req GET "$gl/group%2Fsub%2Frepo/repository/commits/$unknown/statuses" "${ca[@]}" -H 'PRIVATE-TOKEN: gl-secret'
expect 404 "gitlab: list of an unknown sha"

note "gitlab: a commit on no branch"
sha3=$(commit three)
git -C "$scratch/work" push -q "$scratch/other.git" HEAD:refs/tags/only
post_gl '{"state": "success", "name": "berth/b"}' "$sha3"
expect 404 "gitlab: a commit on no branch, no ref"
assert_eq "$(body .message)" "404 References for commit Not Found" "gitlab: a commit on no branch"
post_gl '{"state": "success", "name": "berth/b", "ref": "only"}' "$sha3"
expect 201 "gitlab: a commit on no branch, ref given"
post_gl '{"state": "success", "name": "berth/b", "pipeline_id": 99999}' "$sha3"
expect 404 "gitlab: an unknown pipeline_id"

# --- Gitea -----------------------------------------------------------------
note "gitea"
start_forge gt gitea <<<'{"token": "gt-secret", "projects": '"$projects"'}'
gt=$url_gt/api/v1/repos
post_gt() { # json [sha [project [auth]]]
	req POST "$gt/${3:-owner/repo}/statuses/${2:-$sha1}" -H "Authorization: ${4:-token gt-secret}" \
		-H 'Content-Type: application/json' -d "$1"
}
post_gt '{"state": "success", "context": " berth ", "description": "  padded  ", "target_url": "https://example.com/y"}'
expect 201 "gitea: a good post"
assert_eq "$(body '"\(.status) \(.context) \(.description)"')" "success berth padded" \
	"gitea: the status (state named status, text trimmed)"
assert_eq "$(last_status gt)" \
	'{"project":"owner/repo","sha":"'$sha1'","context":"berth","state":"success","description":"padded","target_url":"https://example.com/y"}' \
	"gitea: the status stored"
post_gt '{"state": "warning"}' "$sha1" owner/repo "Bearer gt-secret"
expect 201 "gitea: Authorization: Bearer"
assert_eq "$(body .context)" "" "gitea: no default context"
post_gt '{"state": "success"}' "$sha1" owner/repo "token wrong"
expect 401 "gitea: wrong token"
assert_eq "$(body .message)" "token is required" "gitea: wrong token's message"
req POST "$gt/owner/nope/statuses/$sha1" -d '{"state": "success"}'
expect 404 "gitea: no token, unknown repository (found before the token is asked for)"
req POST "$gt/owner/repo/statuses/$sha1" -d '{"state": "success"}'
expect 401 "gitea: no token"
post_gt '{"state": "success"}' "$sha1" owner/nope
expect 404 "gitea: an unknown repository"
post_gt '{"state": "success"}' "$unknown"
expect 500 "gitea: an unknown sha (Gitea answers 500)"
post_gt '{"state": "failed"}'
expect 422 "gitea: an invalid state"
post_gt '{"state": "failure", "context": "long", "description": "'$d141'"}'
expect 422 "gitea: a description of 141 characters"
assert_contains "$(body .message)" "maximum is 140" "gitea: 141 characters' message"
post_gt '{"state": "failure", "context": "long", "description": "'$d140'"}'
expect 201 "gitea: a description of 140 characters"
req GET "$gt/owner/repo/statuses/$sha1" -H 'Authorization: token gt-secret'
expect 200 "gitea: list by sha"
assert_eq "$(body '[.[].status] | join(",")')" "failure,warning,success" "gitea: the list, newest first"
assert_eq "$(header x-total-count)" 3 "gitea: X-Total-Count"
req GET "$gt/owner/repo/commits/$sha1/statuses?sort=oldest&limit=1" -H 'Authorization: token gt-secret'
expect 200 "gitea: list by ref"
assert_eq "$(body '[.[].status] | join(",")')" "success" "gitea: oldest first, a page of 1"
req GET "$gt/owner/repo/commits/nope/statuses" -H 'Authorization: token gt-secret'
expect 404 "gitea: list of an unknown ref"

# --- accounts and the comments' authors, on each forge ----------------------
note "accounts: GET /user, and each comment's author"
declare -A user_url=([gh]="$gh/user" [gl]="$url_gl/api/v4/user" [gt]="$url_gt/api/v1/user")
declare -A comments_url=([gh]="$gh/repos/owner/repo/issues/7/comments"
	[gl]="$gl/group%2Fsub%2Frepo/merge_requests/7/notes"
	[gt]="$gt/owner/repo/issues/7/comments")
declare -A edit_method=([gh]=PATCH [gl]=PUT [gt]=PATCH)
auth() { # forge token: its header
	case $1 in
	gh) echo "Authorization: Bearer $2" ;;
	gl) echo "PRIVATE-TOKEN: $2" ;;
	gt) echo "Authorization: token $2" ;;
	esac
}
as() { # forge token method url [json]: as the account of token
	local extra=(${tls_opts[$1]:-})
	[ $# -lt 5 ] || extra+=(-H 'Content-Type: application/json' -d "$5")
	req "$3" "$4" -H "$(auth "$1" "$2")" "${extra[@]}"
}
login() { body 'if .username then .username else .login end'; }
for f in gh gl gt; do
	token=$(jq -r .token "$scratch/$f/config.json")
	jq --arg u "alice-$f" '. + {users: {($u): "alice"}, installation_tokens: [$u + "-app"]}' \
		"$scratch/$f/config.json" | write_atomic "$scratch/$f/config.json"
	as "$f" "$token" GET "${user_url[$f]}"
	expect 200 "$f: GET /user"
	assert_eq "$(login)" berth-test "$f: the main token's account"
	as "$f" "alice-$f" GET "${user_url[$f]}"
	expect 200 "$f: GET /user as alice"
	assert_eq "$(login)" alice "$f: another token's account"
	alice_id=$(body .id)
	as "$f" wrong GET "${user_url[$f]}"
	expect 401 "$f: GET /user with a wrong token"

	as "$f" "alice-$f" POST "${comments_url[$f]}" '{"body": "<!-- berth-preview x --> mine"}'
	expect 201 "$f: alice's comment"
	theirs=$(body .id)
	assert_eq "$(body '(.user // .author) | .id')" "$alice_id" "$f: alice's comment's author"
	as "$f" "$token" POST "${comments_url[$f]}" '{"body": "berth'"'"'s"}'
	expect 201 "$f: berth-test's comment"
	as "$f" "$token" GET "${comments_url[$f]}"
	assert_eq "$(body '[.[] | (.user // .author) | (.login // .username)] | sort | join(",")')" \
		"alice,berth-test" "$f: each comment's author, listed"
	edit=${comments_url[$f]%/7/comments}/comments/$theirs
	[ "$f" != gl ] || edit=${comments_url[$f]}/$theirs
	as "$f" "$token" "${edit_method[$f]}" "$edit" '{"body": "taken over"}'
	if [ "$f" = gh ]; then
		# GitHub lets anyone who may write to the repository edit it.
		expect 200 "$f: berth-test edits alice's comment"
		control "$f" comments
		assert_eq "$(jq -r --argjson id "$theirs" \
			'.[] | select(.id == $id) | "\(.author) \(.editors | join(","))"' <<<"$BODY")" \
			"alice berth-test" "$f: the comment's author and editors, recorded"
	else
		expect 403 "$f: berth-test edits alice's comment (only its author may)"
	fi
done
jq '.users["alice-gh-app"] = "app"' "$scratch/gh/config.json" | write_atomic "$scratch/gh/config.json"
as gh alice-gh-app GET "$gh/user"
expect 403 "github: GET /user with a GitHub App installation's token"
jq '.users = {"t": "berth-test"}' "$scratch/gh/config.json" | write_atomic "$scratch/gh/config.json"
as gh gh-secret GET "$gh/user"
expect 500 "github: a second account named berth-test"
assert_contains "$(body .message)" '"users" must map tokens to logins other than "berth-test"' \
	"github: a bad users map's message"

echo PASS
