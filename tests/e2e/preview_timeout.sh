#!/usr/bin/env bash
# A preview ends at its time limit (previews.timeout), on the real control
# plane, with the forge test server playing GitHub: berth run reaches the
# apiserver through tests/helpers/stall_proxy.py, which stops answering new
# connections when told. A pull request previewed while it is stalled gets a
# failure status saying the preview stopped at its limit (the request under
# way given up), within a 30 s backstop whose measured time is printed;
# once the cluster answers again, the next head is previewed as usual, and
# berth run stops at SIGTERM.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/forge_lib.sh"

ns=berth-preview-timeout
proxy=
cleanup() {
	forge_cleanup "$ns"
	[ -z "$proxy" ] || kill "$proxy" 2>/dev/null || :
}
cleanup
trap 'cleanup; [ "${PASSED:-}" ] || tail -20 "$scratch/agent.log" >&2; drop_identity; rm -rf "$scratch"' EXIT
own_identity preview-timeout
fresh_namespaces "$ns"

note "berth run reaching the apiserver through a proxy that can stall"
server=$(kubectl config view --minify -o jsonpath='{.clusters[0].cluster.server}')
python3 "$BERTH_SOURCE_DIR/tests/helpers/stall_proxy.py" --to "${server#https://}" \
	--port-file "$scratch/proxy.port" --stall-file "$scratch/stall" 2>"$scratch/proxy.err" &
proxy=$!
wait_until 10 "the proxy to listen" test -s "$scratch/proxy.port"
cp "$KUBECONFIG" "$scratch/proxied"
cluster_name=$(kubectl config view --minify -o jsonpath='{.clusters[0].name}')
kubectl --kubeconfig "$scratch/proxied" config set-cluster "$cluster_name" \
	--server="https://127.0.0.1:$(cat "$scratch/proxy.port")" >/dev/null

github_project timeout
printf 'webhook-secret-of-the-timeout-%s\n' "$RANDOM$RANDOM" >"$scratch/github.secret"
configmap_yaml settings base >"$scratch/work/settings.yaml"
git_commit "$scratch/work" "$scratch/app.git" base >/dev/null
cat >"$scratch/berth.yaml" <<YAML
cluster: ci
webhooks: {github: {secretFile: $scratch/github.secret}}
sources:
- name: app
  repo: $scratch/app.git
  ref: main
  namespace: $ns
  interval: 1h
  previews: {timeout: 2s}
  status:
    provider: github
    baseURL: $(forge github)/api/v3
    repository: octo/timeout
    tokenFile: $scratch/github.token
YAML
start_agent "$scratch/berth.yaml" "$scratch/agent.log" --kubeconfig "$scratch/proxied"
applied() { grep -q "msg=applied source=app " "$scratch/agent.log"; }
wait_until 60 "main applied" applied

pull_repo[github]=$scratch/app.git
pull() { hook github "$(pull_event github synchronize "$1" "$2" main)"; } # number head
context=berth/ci/app/preview

note "the cluster stops answering: the preview stops at its limit of 2 s"
git -C "$scratch/work" checkout -q -b feature
configmap_yaml settings stalled >"$scratch/work/settings.yaml"
stalled=$(git_commit "$scratch/work" "$scratch/app.git" stalled feature)
touch "$scratch/stall"
start=$(date +%s%N)
assert_eq "$(pull 1 "$stalled")" 202 "the webhook ($(cat "$scratch/hook.out"))"
wait_until 30 "the stalled preview's status" has_statuses github "$stalled"
echo "figure: from the webhook to the stalled preview's status: $((($(date +%s%N) - start) / 1000000)) ms (limit 2 s, backstop 30 s)"
assert_eq "$(statuses github "$stalled")" \
	"$context failure the preview stopped: it took longer than its limit of 2 s (previews.timeout)" \
	"the stalled preview's status"

note "the cluster answers again: the next head is previewed"
rm "$scratch/stall"
configmap_yaml settings answered >"$scratch/work/settings.yaml"
answered=$(git_commit "$scratch/work" "$scratch/app.git" answered feature)
assert_eq "$(pull 1 "$answered")" 202 "the webhook ($(cat "$scratch/hook.out"))"
wait_until 60 "the next preview's status" has_statuses github "$answered"
assert_eq "$(statuses github "$answered")" "$context success would create 0, change 1, prune 0, unchanged 0" \
	"the next preview's status"
stop_agent "after the previews"
assert_eq "$STATUS" 0 "the exit status on SIGTERM"
PASSED=1
echo PASS
