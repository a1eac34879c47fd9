#!/usr/bin/env bash
# berth cluster-info against the real local control plane: every way of
# authenticating the kubeconfig allows, the resource count kubectl sees, and
# the errors for a wrong token and an unreachable server.
. "$(dirname "$0")/lib.sh"

server=$(cat "$BERTH_CLUSTER_DIR/server")
admin_token=$(cat "$BERTH_CLUSTER_DIR/admin.token")
user_token=$(cat "$BERTH_CLUSTER_DIR/user.token")
all_output=

note "text output with the token in the kubeconfig"
run_berth cluster-info
assert_eq "$STATUS" 0 "exit status"
assert_contains "$OUT" "Kubernetes control plane is running at $server" "text output"
assert_contains "$OUT" "server version:  v1.20.2" "text output"
all_output+=$OUT$ERR

note "-o json agrees with kubectl api-resources"
run_berth cluster-info --kubeconfig "$KUBECONFIG" -o json
assert_eq "$STATUS" 0 "exit status"
assert_eq "$(jq -r .serverVersion.gitVersion <<<"$OUT")" v1.20.2 "serverVersion"
assert_eq "$(jq -r .server <<<"$OUT")" "$server" "server"
want=$(kubectl api-resources --no-headers | wc -l)
assert_eq "$(jq -r .apiResources <<<"$OUT")" "$want" "apiResources (kubectl api-resources counts $want)"
want_groups=$(($(kubectl get --raw /apis | jq '.groups | length') + 1))
assert_eq "$(jq -r .apiGroups <<<"$OUT")" "$want_groups" "apiGroups"
all_output+=$OUT$ERR

note "-o yaml"
run_berth cluster-info -o yaml
assert_eq "$STATUS" 0 "exit status"
assert_contains "$OUT" "gitVersion: v1.20.2" "yaml output"
assert_contains "$OUT" "apiResources: $want" "yaml output"

note "a client certificate (--context admin-cert)"
run_berth cluster-info --context admin-cert -o json
assert_eq "$STATUS" 0 "exit status: $ERR"
assert_eq "$(jq -r .context <<<"$OUT")" admin-cert "context"

note "a plain user's token (--context alice)"
run_berth cluster-info --context alice -o json
assert_eq "$STATUS" 0 "exit status: $ERR"
assert_eq "$(jq -r .apiResources <<<"$OUT")" "$want" "apiResources as alice"

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
sed "s/$admin_token/$wrong/" "$KUBECONFIG" | sed "s#certificate-authority: pki/#certificate-authority: $BERTH_CLUSTER_DIR/pki/#" >"$scratch/wrong"
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

note "a missing kubeconfig and an unknown context"
run_berth cluster-info --kubeconfig "$scratch/none"
assert_eq "$STATUS" 2 "exit status"
assert_contains "$ERR" "$scratch/none" "names the file"
run_berth cluster-info --context nope
assert_eq "$STATUS" 2 "exit status"
assert_contains "$ERR" "context 'nope' not found" "unknown context"

note "inside a pod: the in-cluster config (service account token, CA, namespace)"
sa=$scratch/serviceaccount
mkdir -p "$sa" "$scratch/home"
cp "$BERTH_CLUSTER_DIR/pki/ca.crt" "$sa/ca.crt"
cp "$BERTH_CLUSTER_DIR/admin.token" "$sa/token"
echo kube-system >"$sa/namespace"
hostport=$(kubectl config view --minify -o jsonpath='{.clusters[0].cluster.server}' | sed 's|https://||')
status=0
out=$(env -u KUBECONFIG HOME="$scratch/home" BERTH_SERVICEACCOUNT_DIR="$sa" \
	KUBERNETES_SERVICE_HOST="${hostport%:*}" KUBERNETES_SERVICE_PORT="${hostport##*:}" \
	"$BERTH" cluster-info -o json 2>&1) || status=$?
[ $status = 0 ] || fail "in-cluster cluster-info exited $status: $out"
assert_eq "$(jq -r .context <<<"$out")" in-cluster "in-cluster context"
assert_eq "$(jq -r .server <<<"$out")" "https://$hostport" "in-cluster server"
all_output+=$out

note "no secret in anything berth printed"
for secret in "$admin_token" "$user_token"; do
	assert_not_contains "$all_output" "$secret" "a token"
done

note "the audit log shows berth's requests, each as the user it authenticated as"
audit=$(jq -c 'select(.userAgent | startswith("berth/"))
	| [.requestURI, .user.username, .responseStatus.code]' "$BERTH_CLUSTER_DIR/audit.log")
for who in admin admin-cert alice; do
	assert_contains "$audit" "[\"/version\",\"$who\",200]" "audit log entry for $who"
done
assert_contains "$audit" '["/apis","admin",200]' "audit log entry for discovery"
echo PASS
