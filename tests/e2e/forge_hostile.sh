#!/usr/bin/env bash
# What another account, a hostile repository and a token file can make
# berth run do through a forge, on the real control plane, with the forge
# test server playing GitHub, GitLab and Gitea:
# - another account's comment holding berth's marker is never edited:
#   berth posts its own, and edits only that one after;
# - a directory named with a line break, backticks, a heading, a mention,
#   an image, CR, ESC, DEL and a C1 CSI: a manifest in it that is refused
#   keeps the preview comment's fence whole (everything after the opening
#   fence up to its closing fence is the refusal; no heading, mention or
#   image outside), the status is one line, and berth's log holds no
#   control character, for the refusal nor for a warning at that file
#   (logfmt and JSON lines);
# - a token file rewritten with CR LF and a header of its own: the forge
#   never receives the header, berth says why it does not post, and posts
#   again once the token is whole;
# - a token the forge does not name (GitHub's GET /user refuses a GitHub
#   App's installation): berth edits only the comments it posted itself.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/forge_lib.sh"

providers="github gitlab gitea"
namespaces=$(printf 'berth-hostile-%s ' $providers json)
forge_cleanup $namespaces
trap 'forge_cleanup $namespaces; [ "${PASSED:-}" ] || tail -20 "$scratch/agent.log" >&2; drop_identity; rm -rf "$scratch"' EXIT
own_identity forge-hostile
fresh_namespaces $namespaces

declare -A project=([github]=octo/hostile [gitlab]=group/sub/hostile [gitea]=octo/hostile)
declare -A alice
for p in $providers; do
	forge_repo "$p"
	alice[$p]=alice-token-$p-$RANDOM$RANDOM
	jq -n --arg t "${token[$p]}" --arg a "${alice[$p]}" --arg p "${project[$p]}" \
		--arg r "$scratch/$p.git" \
		'{token: $t, users: {($a): "alice"}, projects: {($p): $r}, pulls: {($p): [7, 8, 9]}}' \
		>"$scratch/$p.json"
	forge_start "$p"
done

commit() { git_commit "$scratch/$1-work" "$scratch/$1.git" "$2" "$3"; } # provider message branch
{
	printf 'cluster: ci\nwebhooks:\n'
	for p in $providers; do printf '  %s: {secretFile: %s}\n' "$p" "$scratch/$p.secret"; done
	printf 'sources:\n'
	for p in $providers; do
		cat <<YAML
- name: $p-app
  repo: $scratch/$p.git
  ref: main
  namespace: berth-hostile-$p
  interval: 1h
  status:
    provider: $p
    baseURL: $(forge "$p")
    repository: ${project[$p]}
    tokenFile: $scratch/$p.token
    preview: {comment: true}
YAML
	done
} >"$scratch/berth.yaml"

preview() { # provider number head
	local code
	code=$(hook "$1" "$(pull_event "$1" "$(synchronize "$1")" "$2" "$3" main)")
	[ "$code" = 202 ] || fail "the $1 webhook of $3: $code $(cat "$scratch/hook.out")"
}
context() { echo "berth/ci/$1-app/preview"; }
marker() { echo "<!-- berth-preview $(context "$1") -->"; }
# The comments the forge holds, as JSON, each with its author.
comments_json() { curl -sf "$(forge "$1")/_forge/comments"; }
# The comments on pull request N as "author edits" lines, oldest first.
comments() { # provider number
	comments_json "$1" | jq -r --argjson n "$2" '.[] | select(.number == $n) | "\(.author) \(.edits)"'
}
body_of() { # provider number author
	comments_json "$1" |
		jq -r --argjson n "$2" --arg a "$3" '[.[] | select(.number == $n and .author == $a)][0].body'
}
berth_comment_holds() { body_of "$1" "$2" berth-test | grep -qF "$3"; } # provider number text
# Add a comment on pull request N as account alice, holding berth's marker.
alice_comments() { # provider number
	local url auth
	case $1 in
	github) url=$(forge github)/repos/octo/hostile/issues/$2/comments
		auth="Authorization: Bearer ${alice[github]}" ;;
	gitlab) url=$(forge gitlab)/api/v4/projects/group%2Fsub%2Fhostile/merge_requests/$2/notes
		auth="PRIVATE-TOKEN: ${alice[gitlab]}" ;;
	gitea) url=$(forge gitea)/api/v1/repos/octo/hostile/issues/$2/comments
		auth="Authorization: token ${alice[gitea]}" ;;
	esac
	curl -sf -X POST -H "$auth" -H 'Content-Type: application/json' \
		-d "$(jq -nc --arg b "$(marker "$1")
alice's own words" '{body: $b}')" "$url" >/dev/null || fail "alice's comment on $1"
}

# The directory: a line break, a fence, a heading, a mention, an image
# (its URL's slashes make it three directories), CR, ESC, DEL, a C1 CSI.
hostile=$'x\n```\n# heading\n@admin ![x](http:\r\x1b[2J\x7f\xc2\x9b2J//evil/)'

note "the base branch; a warning at a file in the hostile directory"
for p in $providers; do
	configmap_yaml settings old >"$scratch/$p-work/app.yaml"
done
mkdir -p "$scratch/github-work/$hostile"
cat >"$scratch/github-work/$hostile/db.yaml" <<YAML
apiVersion: v1
kind: Service
metadata: {name: db}
spec: {clusterIP: None, selector: {app: db}, ports: [{port: 5432}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 0
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers:
      - {name: db, image: postgres:13, volumeMounts: [{name: data, mountPath: /data}]}
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      storageClassName: berth-hostile-no-such-class
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
YAML
for p in $providers; do commit "$p" base main >/dev/null; done
start_agent "$scratch/berth.yaml" "$scratch/agent.log"
for p in $providers; do
	applied() { grep -q "msg=applied source=$1-app " "$scratch/agent.log"; }
	wait_until 60 "$p's base applied" applied "$p"
done
warning=$(grep 'msg=warning source=github-app ' "$scratch/agent.log") ||
	fail "no warning at the claim template in the hostile directory"
assert_contains "$warning" \
	'file="x\n```\n# heading\n@admin ![x](http:\r\x1b[2J\x7f\xc2\x9b2J/evil/)/db.yaml"' \
	"the warning's file, escaped"

note "the same warning in JSON lines"
printf 'sources:\n- {name: json-app, repo: %s, ref: main, namespace: berth-hostile-json}\n' \
	"$scratch/github.git" >"$scratch/once.yaml"
"$BERTH" run --once --log-format json --config "$scratch/once.yaml" 2>"$scratch/json.log" ||
	fail "berth run --once exited $?: $(cat -v "$scratch/json.log")"
if LC_ALL=C grep -n $'[\x01-\x09\x0b-\x1f\x7f]\|\xc2[\x80-\x9f]' "$scratch/json.log" >"$scratch/raw"; then
	fail "control characters in berth's JSON lines: $(head -3 "$scratch/raw" | cat -v)"
fi
jq -se --arg f "${hostile/\/\//\/}/db.yaml" 'map(select(.msg == "warning") | .file | endswith($f)) | any' \
	"$scratch/json.log" >/dev/null || fail "the warning's file in JSON: $(cat -v "$scratch/json.log")"

note "a refusal in the hostile directory: the comment's fence holds"
git -C "$scratch/github-work" checkout -q -b feature
printf 'apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: broken}\nspec:\n  serviceName: nowhere\n  selector: {matchLabels: {app: nowhere}}\n  template: {metadata: {labels: {app: x}}, spec: {containers: [{name: x, image: x}]}}\n' \
	>"$scratch/github-work/$hostile/broken.yaml"
broken=$(commit github broken feature)
preview github 7 "$broken"
wait_until 60 "the refusal in berth's comment" berth_comment_holds github 7 "berth preview of ${broken:0:12}"
body_of github 7 berth-test >"$scratch/comment.md"
want='x\n```\n# heading\n@admin ![x](http:\r\x1b[2J\x7f\xc2\x9b2J/evil/)/broken.yaml:6:14: '
python3 - "$scratch/comment.md" "$want" <<'PY' || fail "the comment's fence: $(cat "$scratch/comment.md")"
import re, sys
# Fenced blocks as CommonMark reads them: an opening fence of 3 backticks or
# tildes or more (up to 3 spaces before), closed by a line of the same
# character, at least as long, and nothing else.
text, want = open(sys.argv[1], encoding="utf-8").read(), sys.argv[2]
outside, blocks, fence, block = [], [], None, []
for line in text.split("\n"):
    m = re.match(r" {0,3}(`{3,}|~{3,})", line)
    if fence is None and m:
        fence, block = m[1], []
    elif fence is not None and re.fullmatch(r" {0,3}" + re.escape(fence[0]) + "{%d,} *" % len(fence), line):
        blocks.append("\n".join(block))
        fence = None
    elif fence is not None:
        block.append(line)
    else:
        outside.append(line)
assert fence is None, "a fence is left open"
refused = [b for b in blocks if "broken.yaml:6:14: " in b]
assert len(refused) == 1, f"blocks holding the refusal: {refused}"
assert refused[0].startswith("app/" + want) or refused[0].startswith(want), refused[0]
assert "\n" not in refused[0], f"the refusal is more than one line: {refused[0]!r}"
text = "\n".join(outside)
heads = [l for l in outside if l.startswith("#")]
assert heads == ["### berth preview"], f"headings: {heads}"
assert "@admin" not in text, "a mention outside the fence"
assert "![x]" not in text, "an image outside the fence"
assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f\x80-\x9f]", text), "a control character outside"
PY
wait_until 60 "the refusal's status" has_statuses github "$broken"
got=$(curl -sf "$(forge github)/_forge/statuses" |
	jq -r --arg sha "$broken" '.[] | select(.sha == $sha) | .description')
assert_eq "$(wc -l <<<"$got")" 1 "the refusal's status: one line"
assert_contains "$got" 'x\n```\n# heading\n@admin' "the refusal's status, escaped"
note "no control character in berth's log"
if LC_ALL=C grep -n $'[\x01-\x09\x0b-\x1f\x7f]\|\xc2[\x80-\x9f]' "$scratch/agent.log" >"$scratch/raw"; then
	fail "control characters in berth's log: $(head -3 "$scratch/raw" | cat -v)"
fi
assert_contains "$(cat "$scratch/agent.log")" 'x\n```\n# heading\n@admin ![x](http:\r\x1b[2J' \
	"the refusal in the log, escaped"

note "another account's comment holding berth's marker is never edited"
rm "$scratch/github-work/$hostile/broken.yaml"
for p in $providers; do
	alice_comments "$p" 8
	[ "$p" = github ] || git -C "$scratch/$p-work" checkout -q -b feature
	configmap_yaml settings new >"$scratch/$p-work/app.yaml"
	head=$(commit "$p" feature feature)
	preview "$p" 8 "$head"
	wait_until 60 "berth's own comment on $p" berth_comment_holds "$p" 8 "berth preview of ${head:0:12}"
	assert_eq "$(comments "$p" 8)" "alice 0
berth-test 0" "the comments on $p: alice's untouched, berth's own added"
	assert_eq "$(body_of "$p" 8 alice)" "$(marker "$p")
alice's own words" "alice's comment on $p"
	configmap_yaml settings newer >"$scratch/$p-work/app.yaml"
	second=$(commit "$p" second feature)
	preview "$p" 8 "$second"
	wait_until 60 "berth's comment on $p edited" berth_comment_holds "$p" 8 "berth preview of ${second:0:12}"
	assert_eq "$(comments "$p" 8)" "alice 0
berth-test 1" "the comments on $p: only berth's own edited"
done

note "a token file rewritten with CR LF and a header of its own"
sent() { wc -l <"$scratch/github.jsonl"; }
before=$(sent)
printf '%s\r\nX-Injected: yes\n' "${token[github]}" >"$scratch/github.token"
configmap_yaml settings newest >"$scratch/github-work/app.yaml"
injected=$(commit github injected feature)
preview github 8 "$injected"
says_why() { grep -q "error=\"'$scratch/github.token': the token holds a control character" "$scratch/agent.log"; }
wait_until 60 "berth to say why it does not post" says_why
assert_eq "$(sent)" "$before" "requests the forge received after the token was rewritten"
printf '%s\n' "${token[github]}" >"$scratch/github.token"
wait_until 60 "the status once the token is whole" has_statuses github "$injected"
assert_eq "$(jq -c 'select(.headers["x-injected"])' "$scratch/github.jsonl")" "" \
	"requests with the injected header"
assert_not_contains "$(cat "$scratch/agent.log")" "${token[github]}" "the token in the log"

note "a token the forge does not name (a GitHub App's): only the comments berth posted"
jq --arg t "${token[github]}" '.installation_tokens = [$t]' "$scratch/github.json" >"$scratch/github.json.new"
mv "$scratch/github.json.new" "$scratch/github.json"
# A token read again is asked about again.
printf '%s\n\n' "${token[github]}" >"$scratch/github.token"
alice_comments github 9
configmap_yaml settings app >"$scratch/github-work/app.yaml"
head=$(commit github app feature)
preview github 9 "$head"
wait_until 60 "berth's own comment on pull request 9" berth_comment_holds github 9 "berth preview of ${head:0:12}"
assert_contains "$(cat "$scratch/agent.log")" \
	'msg="forge account unknown" provider=github' "berth says the forge does not name its account"
configmap_yaml settings app2 >"$scratch/github-work/app.yaml"
second=$(commit github app2 feature)
preview github 9 "$second"
wait_until 60 "berth's comment on pull request 9 edited" \
	berth_comment_holds github 9 "berth preview of ${second:0:12}"
assert_eq "$(comments github 9)" "alice 0
berth-test 1" "the comments on pull request 9: only the one berth posted edited"

stop_agent "hostile"
PASSED=1
echo PASS
