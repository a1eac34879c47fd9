#!/usr/bin/env bash
# Exec credential plugins against the real local control plane: a plugin
# (a bash script) prints an ExecCredential with a token (of this test's own
# user, see own_identity), or the admin client certificate and key, and
# counts its runs. berth must run
# it once per process while the credential is good, again when it expires or
# the server answers 401, name a failing plugin with its stderr, and never
# print what the plugin printed.
. "$(dirname "$0")/lib.sh"

server=$(cat "$BERTH_CLUSTER_DIR/server")
admin_token=$(cat "$BERTH_CLUSTER_DIR/admin.token")
admin_key=$(sed -n 2p "$BERTH_CLUSTER_DIR/pki/admin.key")
all_output=
trap 'drop_identity; rm -rf "$scratch"' EXIT
own_identity exec-credential
printf '%s' "$berth_token" >"$scratch/token"

plugin=$scratch/plugin/berth-test-plugin
mkdir -p "$scratch/plugin"
cat >"$plugin" <<'SH'
#!/usr/bin/env bash
# Answer with the ExecCredential version berth asked for. PLUGIN_DIR counts
# the runs and keeps each run's KUBERNETES_EXEC_INFO; PLUGIN_MODE picks the
# answer.
set -eu
n=$(($(cat "$PLUGIN_DIR/runs" 2>/dev/null || echo 0) + 1))
echo "$n" >"$PLUGIN_DIR/runs"
printf '%s\n' "$KUBERNETES_EXEC_INFO" >"$PLUGIN_DIR/info.$n"
[ -t 0 ] && echo "stdin is a terminal" >"$PLUGIN_DIR/tty.$n"
api=$(jq -r .apiVersion <<<"$KUBERNETES_EXEC_INFO")
token=$(cat "$PLUGIN_TOKEN_FILE")
status=$(jq -n --arg t "$token" '{token: $t}')
case $PLUGIN_MODE in
good) ;;
expires-soon) status=$(jq --arg e "$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)" '.expirationTimestamp = $e' <<<"$status") ;;
expired) status=$(jq '.expirationTimestamp = "2020-01-01T00:00:00Z"' <<<"$status") ;;
wrong-first) [ "$n" -gt 1 ] || status='{"token": "wrong-token-from-the-first-run"}' ;;
always-wrong) status='{"token": "wrong-token-from-every-run"}' ;;
cert) status=$(jq -n --rawfile c "$PLUGIN_CERT" --rawfile k "$PLUGIN_KEY" \
	'{clientCertificateData: $c, clientKeyData: $k}') ;;
fail)
	echo "berth-test-plugin: the identity provider refused the login" >&2
	exit 3
	;;
garbage)
	echo "this is not JSON but it holds the token $token"
	exit 0
	;;
other-version) api=client.authentication.k8s.io/v1alpha1 ;;
esac
jq -n --arg api "$api" --argjson s "$status" '{apiVersion: $api, kind: "ExecCredential", status: $s}'
SH
chmod +x "$plugin"

# A kubeconfig whose only user is the plugin: kubeconfig NAME API MODE [EXTRA]
# EXTRA is more YAML for the exec stanza, its lines after the first indented
# by six spaces.
kubeconfig() {
	local name=$1 api=$2 mode=$3 extra=${4:-}
	cat >"$scratch/$name.kubeconfig" <<KC
clusters: [{name: local, cluster: {server: '$server', certificate-authority: '$BERTH_CLUSTER_DIR/pki/ca.crt'}}]
users:
- name: plugged
  user:
    exec:
      apiVersion: client.authentication.k8s.io/$api
      command: $plugin
      args: [--for, berth]
      env:
      - {name: PLUGIN_DIR, value: '$scratch/$name'}
      - {name: PLUGIN_MODE, value: $mode}
      - {name: PLUGIN_TOKEN_FILE, value: '$scratch/token'}
      - {name: PLUGIN_CERT, value: '$BERTH_CLUSTER_DIR/pki/admin.crt'}
      - {name: PLUGIN_KEY, value: '$BERTH_CLUSTER_DIR/pki/admin.key'}
      installHint: 'install berth-test-plugin from the test suite'
      $extra
contexts: [{name: plugged, context: {cluster: local, user: plugged}}]
current-context: plugged
KC
	mkdir -p "$scratch/$name"
	echo "$scratch/$name.kubeconfig"
}

runs() {
	cat "$scratch/$1/runs" 2>/dev/null || echo 0
}
# cluster-info through a v1 plugin in MODE, with interactiveMode Never, its
# runs counted under NAME.
plugged_never() { # name mode
	run_berth cluster-info --kubeconfig "$(kubeconfig "$1" v1 "$2" "interactiveMode: Never")"
}
# cluster-info -o json through the plugin, its runs counted afresh (for
# with_api_resources_still, which may run it again).
plugged_cluster_info() { # name kubeconfig
	rm -rf "${scratch:?}/$1"
	mkdir -p "$scratch/$1"
	run_berth cluster-info --kubeconfig "$2" -o json </dev/null
}

from=$(audit_mark exec-credential-before)

for api in v1 v1beta1; do
	note "$api: one plugin run serves every request of cluster-info"
	kc=$(kubeconfig "$api" "$api" good "interactiveMode: IfAvailable")
	with_api_resources_still plugged_cluster_info "$api" "$kc"
	assert_eq "$STATUS" 0 "exit status: $ERR"
	assert_eq "$(jq -r .apiResources <<<"$OUT")" "$RESOURCES" "apiResources through the plugin"
	assert_eq "$(runs "$api")" 1 "plugin runs"
	info=$(cat "$scratch/$api/info.1")
	assert_eq "$(jq -r .apiVersion <<<"$info")" "client.authentication.k8s.io/$api" "KUBERNETES_EXEC_INFO apiVersion"
	assert_eq "$(jq -r .kind <<<"$info")" ExecCredential "KUBERNETES_EXEC_INFO kind"
	assert_eq "$(jq -c .spec <<<"$info")" '{"interactive":false}' "KUBERNETES_EXEC_INFO spec without provideClusterInfo"
	[ ! -e "$scratch/$api/tty.1" ] || fail "the plugin's stdin was a terminal"
	all_output+=$OUT$ERR
done

note "v1 needs interactiveMode"
kc=$(kubeconfig nomode v1 good)
run_berth cluster-info --kubeconfig "$kc"
assert_eq "$STATUS" 2 "exit status"
assert_contains "$ERR" "exec needs an interactiveMode" "error"
assert_eq "$(runs nomode)" 0 "plugin runs"

note "provideClusterInfo hands the plugin the server and the CA"
kc=$(kubeconfig info v1 good $'interactiveMode: Never\n      provideClusterInfo: true')
run_berth cluster-info --kubeconfig "$kc"
assert_eq "$STATUS" 0 "exit status: $ERR"
info=$(cat "$scratch/info/info.1")
assert_eq "$(jq -r .spec.cluster.server <<<"$info")" "$server" "spec.cluster.server"
assert_eq "$(jq -r '.spec.cluster["certificate-authority-data"]' <<<"$info" | base64 -d)" \
	"$(cat "$BERTH_CLUSTER_DIR/pki/ca.crt")" "spec.cluster.certificate-authority-data"
assert_eq "$(jq -r .spec.interactive <<<"$info")" false "spec.interactive"

note "one plugin run serves a whole berth diff (its connections share the cache)"
kc=$(kubeconfig diff v1 good "interactiveMode: Never")
mkdir -p "$scratch/manifests"
for i in 1 2 3 4 5 6; do
	cat >"$scratch/manifests/cm$i.yaml" <<YAML
apiVersion: v1
kind: ConfigMap
metadata: {name: exec-credential-$i, namespace: default}
data: {n: "$i"}
YAML
done
run_berth diff -f "$scratch/manifests" --kubeconfig "$kc"
case $STATUS in 0 | 1) ;; *) fail "diff exited $STATUS: $ERR" ;; esac
assert_contains "$OUT" exec-credential-6 "diff output"
assert_eq "$(runs diff)" 1 "plugin runs for one berth diff"
all_output+=$OUT$ERR

note "a credential that expires in an hour is cached; an expired one is not"
plugged_never soon expires-soon
assert_eq "$STATUS" 0 "exit status: $ERR"
assert_eq "$(runs soon)" 1 "plugin runs with a credential good for an hour"
plugged_never expired expired
assert_eq "$STATUS" 0 "exit status: $ERR"
# cluster-info sends a request per API group: each needs a new run.
[ "$(runs expired)" -gt 2 ] || fail "an expired credential was reused: $(runs expired) runs"
echo "    $(runs expired) runs for one cluster-info"
all_output+=$OUT$ERR

note "a 401 runs the plugin again, once, and the request goes through"
kc=$(kubeconfig 401 v1 wrong-first "interactiveMode: Never")
with_api_resources_still plugged_cluster_info 401 "$kc"
assert_eq "$STATUS" 0 "exit status: $ERR"
assert_eq "$(jq -r .apiResources <<<"$OUT")" "$RESOURCES" "apiResources after the re-run"
assert_eq "$(runs 401)" 2 "plugin runs"
all_output+=$OUT$ERR

note "a credential the server keeps refusing: one re-run, then the 401"
plugged_never refused always-wrong
assert_eq "$STATUS" 2 "exit status"
assert_contains "$ERR" "401 Unauthorized" "error"
assert_eq "$(runs refused)" 2 "plugin runs"
assert_not_contains "$ERR" "wrong-token-from-every-run" "the refused token"

note "a client certificate and key from the plugin"
kc=$(kubeconfig cert v1beta1 cert)
cert_from=$(audit_mark cert-before)
run_berth cluster-info --kubeconfig "$kc" -o json
cert_to=$(audit_mark cert-after)
assert_eq "$STATUS" 0 "exit status: $ERR"
assert_eq "$(runs cert)" 1 "plugin runs"
all_output+=$OUT$ERR

note "a failing plugin: named, with its exit status and stderr"
plugged_never fail fail
assert_eq "$STATUS" 2 "exit status"
assert_contains "$ERR" "user 'plugged': exec plugin '$plugin' exited with status 3" "error"
assert_contains "$ERR" "the identity provider refused the login" "the plugin's stderr"
echo "    $ERR"
all_output+=$OUT$ERR

note "a plugin that is not installed: the installHint"
kc=$(kubeconfig missing v1 good "interactiveMode: Never")
sed -i "s#command: .*#command: berth-no-such-plugin#" "$kc"
run_berth cluster-info --kubeconfig "$kc"
assert_eq "$STATUS" 2 "exit status"
assert_contains "$ERR" "exec plugin 'berth-no-such-plugin' not found" "error"
assert_contains "$ERR" "install berth-test-plugin from the test suite" "the installHint"

note "output that is not an ExecCredential is not echoed"
plugged_never garbage garbage
assert_eq "$STATUS" 2 "exit status"
assert_contains "$ERR" "the output is not an ExecCredential" "error"
all_output+=$OUT$ERR

note "an answer in another apiVersion"
plugged_never version other-version
assert_eq "$STATUS" 2 "exit status"
assert_contains "$ERR" "configured for client.authentication.k8s.io/v1 but answered with apiVersion 'client.authentication.k8s.io/v1alpha1'" "error"
all_output+=$OUT$ERR

note "interactiveMode Always without a terminal"
kc=$(kubeconfig always v1 good "interactiveMode: Always")
run_berth cluster-info --kubeconfig "$kc" </dev/null
assert_eq "$STATUS" 2 "exit status"
assert_contains "$ERR" "interactiveMode Always, but standard input is not a terminal" "error"
assert_eq "$(runs always)" 0 "plugin runs"

note "no token or key in anything berth printed"
assert_not_contains "$all_output" "$berth_token" "the token"
assert_not_contains "$all_output" "$admin_token" "the admin token"
assert_not_contains "$all_output" "$admin_key" "the admin key"

note "the audit log shows the plugin's identities"
to=$(audit_mark exec-credential-after)
audit=$(audit_between "$from" "$to" |
	jq -c 'select(.userAgent | startswith("berth/")) | [.requestURI, .user.username]')
assert_contains "$audit" "[\"/version\",\"$berth_user\"]" "audit entry for the token"
# admin-cert is a user other tests have too: its entry is the cert step's.
audit=$(audit_between "$cert_from" "$cert_to" |
	jq -c 'select(.userAgent | startswith("berth/")) | [.requestURI, .user.username]')
assert_contains "$audit" '["/version","admin-cert"]' "audit entry for the client certificate"
echo PASS
