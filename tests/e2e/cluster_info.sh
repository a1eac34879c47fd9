#!/usr/bin/env bash
# berth cluster-info against the real local control plane: every way of
# authenticating the kubeconfig allows, the resource count kubectl sees, and
# the errors for a wrong token and an unreachable server.
. "$(dirname "$0")/lib.sh"

server=$(cat "$BERTH_CLUSTER_DIR/server")
admin_token=$(cat "$BERTH_CLUSTER_DIR/admin.token")
user_token=$(cat "$BERTH_CLUSTER_DIR/user.token")
all_output=
trap 'drop_identity; rm -rf "$scratch"' EXIT
# The token in the kubeconfig is a user of this test's own, whose requests
# the audit log tells from those of the tests beside it.
own_identity cluster-info
# berth's /version as USER, answered 200, between two marks.
asked_as() { # from to user
	audit_between "$1" "$2" | jq -c 'select(.userAgent | startswith("berth/"))
		| [.requestURI, .user.username, .responseStatus.code]' |
		grep -xF "[\"/version\",\"$3\",200]" >/dev/null
}

note "text output with the token in the kubeconfig"
from=$(audit_mark cluster-info-before)
run_berth cluster-info
token_to=$(audit_mark token-after)
assert_eq "$STATUS" 0 "exit status"
assert_contains "$OUT" "Kubernetes control plane is running at $server" "text output"
assert_contains "$OUT" "server version:  v1.20.2" "text output"
all_output+=$OUT$ERR

note "-o json agrees with kubectl api-resources"
with_api_resources_still run_berth cluster-info --kubeconfig "$KUBECONFIG" -o json
assert_eq "$STATUS" 0 "exit status"
assert_eq "$(jq -r .serverVersion.gitVersion <<<"$OUT")" v1.20.2 "serverVersion"
assert_eq "$(jq -r .server <<<"$OUT")" "$server" "server"
assert_eq "$(jq -r .apiResources <<<"$OUT")" "$RESOURCES" "apiResources (kubectl api-resources counts $RESOURCES)"
assert_eq "$(jq -r .apiGroups <<<"$OUT")" "$API_GROUPS" "apiGroups"
all_output+=$OUT$ERR

note "-o yaml"
with_api_resources_still run_berth cluster-info -o yaml
assert_eq "$STATUS" 0 "exit status"
assert_contains "$OUT" "gitVersion: v1.20.2" "yaml output"
assert_contains "$OUT" "apiResources: $RESOURCES" "yaml output"

note "a client certificate (--context admin-cert)"
cert_from=$(audit_mark admin-cert-before)
run_berth cluster-info --context admin-cert -o json
cert_to=$(audit_mark admin-cert-after)
assert_eq "$STATUS" 0 "exit status: $ERR"
assert_eq "$(jq -r .context <<<"$OUT")" admin-cert "context"

note "a plain user's token (--context alice)"
alice_from=$(audit_mark alice-before)
with_api_resources_still run_berth cluster-info --context alice -o json
alice_to=$(audit_mark alice-after)
assert_eq "$STATUS" 0 "exit status: $ERR"
assert_eq "$(jq -r .apiResources <<<"$OUT")" "$RESOURCES" "apiResources as alice"

note "credentials given inline as *-data"
b64() { base64 -w0 <"$BERTH_CLUSTER_DIR/pki/$1"; }
cat >"$scratch/inline" <<KC
clusters: [{name: c, cluster: {server: '$server', certificate-authority-data: '$(b64 ca.crt)'}}]
users: [{name: u, user: {client-certificate-data: '$(b64 admin.crt)', client-key-data: '$(b64 admin.key)'}}]
contexts: [{name: inline, context: {cluster: c, user: u}}]
current-context: inline
KC
run_berth cluster-info --kubeconfig "$scratch/inline" -o json
assert_eq "$STATUS" 0 "exit status: $ERR"
assert_eq "$(jq -r .context <<<"$OUT")" inline "context"

note "KUBECONFIG lists two files; the first to set current-context wins"
printf 'current-context: admin-cert\n' >"$scratch/first"
OUT=$(KUBECONFIG="$scratch/first:$KUBECONFIG" "$BERTH" cluster-info -o json)
assert_eq "$(jq -r .context <<<"$OUT")" admin-cert "context from the merged KUBECONFIG"

note "a wrong token: 401, naming the server, without the token"
wrong=not-the-token-$RANDOM$RANDOM
sed "s/$berth_token/$wrong/" "$KUBECONFIG" >"$scratch/wrong"
run_berth cluster-info --kubeconfig "$scratch/wrong"
assert_eq "$STATUS" 2 "exit status for a wrong token"
assert_contains "$ERR" "$server" "the error names the server"
assert_contains "$ERR" "401 Unauthorized" "the error says 401"
assert_not_contains "$OUT$ERR" "$wrong" "the wrong token"
echo "    $ERR"

note "an unreachable server: named, exit 2"
closed=$(( (RANDOM % 1000) + 1 ))
sed "s#server: .*#server: https://127.0.0.1:$closed#" "$scratch/wrong" >"$scratch/closed"
run_berth cluster-info --kubeconfig "$scratch/closed"
assert_eq "$STATUS" 2 "exit status for an unreachable server"
assert_contains "$ERR" "https://127.0.0.1:$closed/version: cannot reach the server" "error"
echo "    $ERR"

note "diff against it: the same error, exit 2"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: unreached}\n' >"$scratch/cm.yaml"
run_berth diff --kubeconfig "$scratch/closed" -n default -f "$scratch/cm.yaml"
assert_eq "$STATUS" 2 "exit status of diff for an unreachable server"
assert_contains "$ERR" "https://127.0.0.1:$closed/version: cannot reach the server" "error"

note "a broken manifest, and a server that takes connections but never answers:"
note "the manifest's error at once, the server not waited for"
# The client connects while the manifests load; their error cuts it.
python3 -c 'import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)
print(s.getsockname()[1], flush=True); time.sleep(300)' >"$scratch/silent.port" &
silent=$!
wait_until 10 "the silent server to listen" test -s "$scratch/silent.port"
sed "s#server: .*#server: https://127.0.0.1:$(cat "$scratch/silent.port")#" "$scratch/wrong" \
	>"$scratch/silent"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: broken\n' >"$scratch/broken.yaml"
t0=$EPOCHREALTIME
STATUS=0
ERR=$(timeout 30 "$BERTH" diff --kubeconfig "$scratch/silent" -f "$scratch/broken.yaml" 2>&1 \
	>/dev/null) || STATUS=$?
kill $silent
assert_eq "$STATUS" 2 "exit status for a broken manifest (124: still waiting for the server)"
assert_contains "$ERR" "broken.yaml:4:1:" "the manifest's error, at its line"
echo "    said after $(awk "BEGIN { printf \"%.3f\", $EPOCHREALTIME - $t0 }") s"

note "a missing kubeconfig and an unknown context"
run_berth cluster-info --kubeconfig "$scratch/none"
assert_eq "$STATUS" 2 "exit status"
assert_contains "$ERR" "$scratch/none" "names the file"
run_berth cluster-info --context nope
assert_eq "$STATUS" 2 "exit status"
assert_contains "$ERR" "context 'nope' not found" "unknown context"

note "inside a pod: the in-cluster config (service account token, CA, namespace)"
pod_view "$BERTH_CLUSTER_DIR/admin.token" kube-system
status=0
in_cluster_from=$(audit_mark in-cluster-before)
out=$("${in_cluster[@]}" "$BERTH" cluster-info -o json 2>&1) || status=$?
in_cluster_to=$(audit_mark in-cluster-after)
[ $status = 0 ] || fail "in-cluster cluster-info exited $status: $out"
assert_eq "$(jq -r .context <<<"$out")" in-cluster "in-cluster context"
assert_eq "$(jq -r .server <<<"$out")" "https://$pod_hostport" "in-cluster server"
all_output+=$out

note "no secret in anything berth printed"
for secret in "$admin_token" "$user_token" "$berth_token"; do
	assert_not_contains "$all_output" "$secret" "a token"
done

note "the audit log shows berth's requests, each as the user it authenticated as"
# Each between the marks of its own step: admin-cert, alice and admin are
# users other tests have too.
to=$(audit_mark cluster-info-after)
asked_as "$from" "$token_to" "$berth_user" || fail "no audit log entry for the kubeconfig's token ($berth_user)"
asked_as "$cert_from" "$cert_to" admin-cert || fail "no audit log entry for admin-cert"
asked_as "$alice_from" "$alice_to" alice || fail "no audit log entry for alice"
asked_as "$in_cluster_from" "$in_cluster_to" admin || fail "no audit log entry for admin (in-cluster)"
audit_between "$from" "$to" | jq -c --arg u "$berth_user" 'select(.userAgent | startswith("berth/"))
	| select(.user.username == $u) | [.requestURI, .responseStatus.code]' | grep -xF '["/apis",200]' >/dev/null ||
	fail "no audit log entry for discovery"
echo PASS
