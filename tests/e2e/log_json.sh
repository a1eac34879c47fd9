#!/usr/bin/env bash
# berth run --log-format json through every warning it can reach: a
# kubeconfig that turns TLS verification off, an exec plugin that talks on
# stderr, a damaged OpenAPI cache, and a check left out because the user may
# not read what it looks up. Every line berth writes must be one JSON object,
# and each warning must be among them.
. "$(dirname "$0")/lib.sh"

ns=berth-log-json
export XDG_CACHE_HOME=$scratch/cache
trap 'kubectl delete namespace "$ns" --ignore-not-found --wait=false >/dev/null; rm -rf "$scratch"' EXIT
fresh_namespaces "$ns"
# alice may keep the state and apply ConfigMaps and StatefulSets here, and
# may not read Services: the check of serviceName is left out.
kubectl create role log-json -n "$ns" --verb=get,list,create,patch,update \
	--resource=configmaps,statefulsets.apps >/dev/null
kubectl create rolebinding alice-log-json -n "$ns" --role=log-json --user=alice >/dev/null

# alice's token, from a plugin that also says something on stderr, over TLS
# that is not verified.
alice_token=$(kubectl config view --raw -o jsonpath='{.users[?(@.name=="alice")].user.token}')
[ -n "$alice_token" ] || fail "no token for alice in $KUBECONFIG"
cat >"$scratch/plugin" <<SH
#!/usr/bin/env bash
echo "berth-test-plugin: using the \"cached\" login" >&2
printf '{"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential", "status": {"token": "%s"}}\n' "$alice_token"
SH
chmod +x "$scratch/plugin"
cat >"$scratch/kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters: [{name: local, cluster: {server: '$(cat "$BERTH_CLUSTER_DIR/server")', insecure-skip-tls-verify: true}}]
users:
- name: alice
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: $scratch/plugin
      interactiveMode: Never
contexts: [{name: alice, context: {cluster: local, user: alice, namespace: $ns}}]
current-context: alice
KC

git init -q -b main "$scratch/repo"
cat >"$scratch/repo/app.yaml" <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {mode: fast}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec: {serviceName: db, replicas: 0, selector: {matchLabels: {app: db}},
  template: {metadata: {labels: {app: db}}, spec: {containers: [{name: db, image: postgres:13}]}}}
YAML
git -C "$scratch/repo" add -A
git -C "$scratch/repo" -c user.name=berth -c user.email=berth@example.com commit -q -m first
cat >"$scratch/berth.yaml" <<YAML
stateNamespace: $ns
sources:
- name: app
  repo: $scratch/repo
  namespace: $ns
YAML

# Every line on stderr is a JSON object; print the warnings' problems.
json_lines() { # log what
	local n=0 line
	while IFS= read -r line; do
		n=$((n + 1))
		jq -e 'type == "object"' <<<"$line" >/dev/null 2>&1 ||
			fail "$2: line $n is not a JSON object: $line"
	done <"$1"
	[ "$n" -gt 0 ] || fail "$2: berth wrote nothing"
}
warnings() { jq -r 'select(.level == "warn") | .problem' "$1"; }

note "the first run: insecure TLS, the plugin's stderr, a check left out"
"$BERTH" run --once --log-format json --kubeconfig "$scratch/kubeconfig" \
	--config "$scratch/berth.yaml" 2>"$scratch/first.log" || fail "berth run exited $?: $(cat "$scratch/first.log")"
json_lines "$scratch/first.log" "the first run"
first=$(warnings "$scratch/first.log")
assert_contains "$first" "TLS verification is off for https://" "the insecure kubeconfig's warning"
assert_contains "$first" 'berth-test-plugin: using the "cached" login' "the plugin's stderr"
assert_contains "$first" "spec.serviceName: not checked against the cluster, which could not be read" \
	"the check left out"
assert_eq "$(jq -r 'select(.msg == "applied") | .created' "$scratch/first.log")" 2 "objects created"
assert_eq "$(kubectl get configmap settings -n "$ns" -o jsonpath='{.data.mode}')" fast "the ConfigMap"

note "the second run: the OpenAPI cache is damaged, and fetched again"
cached=$(find "$XDG_CACHE_HOME/berth/openapi" -type f -print -quit)
[ -n "$cached" ] || fail "the first run cached no OpenAPI schema under $XDG_CACHE_HOME"
printf '{"swagger": "2.0", "paths": ' >"$cached"
# A new commit, so the run applies again and says its warnings.
sed -i 's/fast/slow/' "$scratch/repo/app.yaml"
git -C "$scratch/repo" -c user.name=berth -c user.email=berth@example.com commit -q -am second
"$BERTH" run --once --log-format json --kubeconfig "$scratch/kubeconfig" \
	--config "$scratch/berth.yaml" 2>"$scratch/second.log" || fail "berth run exited $?: $(cat "$scratch/second.log")"
json_lines "$scratch/second.log" "the second run"
assert_contains "$(warnings "$scratch/second.log")" "fetching the OpenAPI schema again" \
	"the damaged cache's warning"
assert_eq "$(kubectl get configmap settings -n "$ns" -o jsonpath='{.data.mode}')" slow "the ConfigMap"
assert_not_contains "$(cat "$scratch/first.log" "$scratch/second.log")" "$alice_token" "alice's token"
echo PASS
