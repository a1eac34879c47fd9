#!/usr/bin/env bash
# berth run's drift report pages, on the real control plane, loaded in
# Debian's headless Chromium:
# - one drifted object (drift: report) shows under "drifted" with the path
#   that drifted; the commit links to its page on the forge;
# - a ConfigMap value (in Git and live) and an object's name (in a commit
#   refused for it: the page's last error) that hold <script>, an <img
#   onerror> and quotes are shown as text, and run nothing;
# - the JSON answer validates against the schema in the README;
# - beyond loopback, /report needs reportTokenFile's bearer token, and
#   answers 404 without one; /metrics and /healthz stay open.
# A screenshot of the page, at a phone's width, is left in
# $BERTH_TEST_OUTPUT (default: e2e-output/ in the working directory).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/forge_lib.sh"

ns=berth-report-page
output=${BERTH_TEST_OUTPUT:-$PWD/e2e-output}/report_page
command -v chromium >/dev/null || fail "chromium is missing (deploy/local/deps.sh installs it)"
forge_cleanup "$ns"
trap 'forge_cleanup "$ns"; [ "${PASSED:-}" ] || tail -5 "$scratch"/agent.log >&2; rm -rf "$scratch"' EXIT
fresh_namespaces "$ns"
mkdir -p "$output"

github_project page

commit() { git_commit "$scratch/work" "$scratch/app.git" "$1"; } # message
cat >"$scratch/work/app.yaml" <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: drifty}
data: {value: "1"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: escape}
data:
  value: "<script>document.title='pwned'</script> \"double\" 'single' & more"
YAML
sha=$(commit page)
config() { # file [reportTokenFile]
	{
		[ -z "${2:-}" ] || echo "reportTokenFile: $2"
		cat <<YAML
sources:
- name: page-app
  repo: $scratch/app.git
  namespace: $ns
  interval: 1s
  jitter: 0%
  drift: report
  status:
    provider: github
    baseURL: $(forge github)
    repository: octo/page
    tokenFile: $scratch/github.token
YAML
	} >"$1"
}
config "$scratch/berth.yaml"

note "one object drifted: the page shows it under 'drifted', with its path"
start_agent "$scratch/berth.yaml" "$scratch/agent.log"
applied() { grep -q "msg=applied source=page-app commit=$sha" "$scratch/agent.log"; }
wait_until 60 "the commit applied" applied
kubectl patch configmap drifty -n "$ns" --type merge -p '{"data":{"value":"2"}}' >/dev/null
kubectl patch configmap escape -n "$ns" --type merge \
	-p '{"data":{"value":"\"><img src=x onerror=\"document.title=42\">"}}' >/dev/null
reported() { grep -q 'msg="drift reported" source=page-app .* drifted=2 ' "$scratch/agent.log"; }
wait_until 30 "the drift reported" reported
url="http://$(agent_address)/report/page-app"

json=$(curl -sf -H 'Accept: application/json' "$url")
assert_eq "$(jq -r '[.commit, .result, (.summary | "\(.["in-sync"]) \(.drifted)")] | join(" ")' <<<"$json")" \
	"$sha drift-reported 0 2" "the JSON's commit, result and counts"
assert_eq "$(jq -c '[.objects[] | select(.name == "drifty") | {state, file, paths}]' <<<"$json")" \
	'[{"state":"drifted","file":"app.yaml","paths":[{"desired":"1","live":"2","path":"data.value"}]}]' \
	"the drifted object in the JSON"

note "the JSON validates against the README's schema"
sed -n '/^<!-- report-schema -->$/,/^```$/p' "$BERTH_SOURCE_DIR/README.md" | sed '1,2d;$d' \
	>"$scratch/schema.json"
jq -e '."$schema"' "$scratch/schema.json" >/dev/null || fail "no schema in the README"
printf '%s\n' "$json" >"$scratch/report.json"
/usr/bin/python3 - "$scratch/schema.json" "$scratch/report.json" <<'PY' || fail "the JSON does not validate"
import json, sys
import jsonschema
schema, doc = (json.load(open(p)) for p in sys.argv[1:3])
jsonschema.Draft202012Validator.check_schema(schema)
jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(doc)
PY
jq '.commit = "not a sha"' "$scratch/report.json" >"$scratch/bad.json"
if /usr/bin/python3 -c '
import json, sys, jsonschema
jsonschema.Draft202012Validator(json.load(open(sys.argv[1]))).validate(json.load(open(sys.argv[2])))
' "$scratch/schema.json" "$scratch/bad.json" 2>/dev/null; then
	fail "the schema accepts a commit that is not a sha"
fi
index=$(curl -sf -H 'Accept: application/json' "http://$(agent_address)/report")
assert_eq "$(jq -r '.sources[] | "\(.source) \(.result) \(.summary.drifted)"' <<<"$index")" \
	"page-app drift-reported 2" "the index's JSON"

note "a commit refused for an object's name: the page's last error, the objects kept"
hostile='x"><img src=x onerror="document.title=42">'
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n' "'${hostile//\'/\'\'}'" \
	>"$scratch/work/hostile.yaml"
refused=$(commit hostile)
failed() { grep -q "msg=\"reconcile failed\" source=page-app commit=$refused" "$scratch/agent.log"; }
wait_until 30 "the refusal" failed

note "the page in headless Chromium"
chrome() { # chromium's options...
	chromium --headless=new --no-sandbox --disable-gpu --no-first-run \
		--user-data-dir="$scratch/chromium" "$@" 2>>"$scratch/chromium.log"
}
chrome --dump-dom "$url" >"$scratch/dom.html" || fail "chromium could not load $url"
dom=$(cat "$scratch/dom.html")
drifted=$(sed -n '/<section id="drifted">/,/<\/section>/p' <<<"$dom")
assert_contains "$drifted" '<span class="kind">ConfigMap</span> berth-report-page/drifty' \
	"the drifted object, under drifted"
assert_contains "$drifted" '<code class="path">data.value</code>' "the drifted path"
assert_contains "$drifted" '<span class="del">-  value: "2"</span>' "the diff's live line"
assert_contains "$drifted" '<span class="add">+  value: "1"</span>' "the diff's desired line"
assert_contains "$drifted" "<span class=\"del\">-  value: '\"&gt;&lt;img src=x onerror=\"document.title=42\"&gt;'</span>" \
	"the live value, as text"
assert_contains "$drifted" "&lt;script&gt;document.title='pwned'&lt;/script&gt; \\\"double\\\" 'single' &amp; more" \
	"the value in Git, as text"
assert_contains "$dom" "<title>page-app</title>" "the title (a script would have changed it)"
assert_contains "$dom" "<a href=\"$(forge github)/octo/page/commit/$refused\">" "the link to the commit"
error=$(sed -n '/<section class="error" id="error">/,/<\/section>/p' <<<"$dom")
assert_contains "$error" "hostile.yaml:4:9: " "the last error, at its file:line"
assert_contains "$error" "x\"&gt;&lt;img src=x onerror=\"document.title=42\"&gt;" "the name in the error, as text"
assert_not_contains "$dom" "<img" "an element made of the object's name"
assert_not_contains "$dom" "<script" "a script element"
chrome --screenshot="$output/report.png" --window-size=412,1400 --hide-scrollbars "$url" >/dev/null ||
	fail "chromium could not take the screenshot"
[ -s "$output/report.png" ] || fail "no screenshot"
echo "    screenshot: $output/report.png"
echo "figure: the page is $(curl -sf "$url" | wc -c) bytes for 2 objects, 2 drifted"
stop_agent "the page"

note "beyond loopback: 404 without reportTokenFile, the bearer token with it"
start_beyond() { # config log
	agent_log=$2
	"$BERTH" run --listen :0 --config "$1" 2>"$agent_log" &
	agent=$!
	wait_until 30 "berth run to listen" agent_listening
	port=$(agent_address | sed 's/.*://')
}
start_beyond "$scratch/berth.yaml" "$scratch/open.log"
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
assert_eq "$(code "http://127.0.0.1:$port/report/page-app")" 404 "/report beyond loopback, without a token file"
assert_contains "$(grep 'msg="report closed"' "$scratch/open.log")" "gives no reportTokenFile" "the line saying why"
assert_eq "$(code "http://127.0.0.1:$port/metrics")" 200 "/metrics beyond loopback"
assert_eq "$(code "http://127.0.0.1:$port/healthz")" 200 "/healthz beyond loopback"
stop_agent "beyond loopback"
page_token=page-token-$RANDOM$RANDOM
printf '%s\n' "$page_token" >"$scratch/page.token"
config "$scratch/berth-token.yaml" "$scratch/page.token"
start_beyond "$scratch/berth-token.yaml" "$scratch/token.log"
wait_until 30 "the page of the first reconcile" \
	curl -sf -H "Authorization: Bearer $page_token" "http://127.0.0.1:$port/report/page-app"
assert_eq "$(code "http://127.0.0.1:$port/report/page-app")" 401 "/report without the token"
assert_eq "$(code -H "Authorization: Bearer wrong-$page_token" "http://127.0.0.1:$port/report/page-app")" 401 \
	"/report with a wrong token"
assert_eq "$(code -H "Authorization: Bearer $page_token" "http://127.0.0.1:$port/report")" 200 "/report with the token"
assert_eq "$(code "http://127.0.0.1:$port/metrics")" 200 "/metrics with a token file"
stop_agent "with a token file"

note "no token in any output"
for f in "$scratch"/*.log; do
	assert_not_contains "$(cat "$f")" "$token" "the forge token in $(basename "$f")"
	assert_not_contains "$(cat "$f")" "$page_token" "the page token in $(basename "$f")"
done
PASSED=1
echo PASS
