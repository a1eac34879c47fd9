#!/usr/bin/env bash
# deploy/, berth in a cluster, on the real apiserver:
#   - berth lint against the cluster is clean; kustomize and kubectl apply -f
#     see the same objects; berth sync -f deploy/ is accepted and waits for
#     the Deployment;
#   - the credentials filled in the cluster survive the next sync;
#   - as the pod would run it (in-cluster config, a TokenRequest token of the
#     ServiceAccount deploy/ makes, held to its ClusterRole), berth run
#     --once syncs every example from a Git remote, with no 403 in the audit
#     log, and berth diff then exits 0 on each;
#   - a kind outside the role is refused with the 403 before anything is
#     written (the audit log, between two marks);
#   - the Deployment's probes, port and mounts are what berth run serves and
#     reads: the pod's command, config and credentials, curled.
. "$(dirname "$0")/lib.sh"

deploy=$BERTH_SOURCE_DIR/deploy
sa_user=system:serviceaccount:berth-system:berth
agent=
cleanup() {
	[ -z "$agent" ] || kill "$agent" 2>/dev/null || :
	delete_examples
	kubectl delete -f "$deploy" --ignore-not-found --wait=true --timeout=120s >/dev/null 2>&1 || :
	rm -rf "$scratch"
}
delete_examples
kubectl delete -f "$deploy" --ignore-not-found --wait=true --timeout=120s >/dev/null 2>&1 || :
trap cleanup EXIT

note "berth lint against the cluster: deploy/ is clean"
run_berth lint --kubeconfig "$KUBECONFIG" "$deploy"
assert_eq "$STATUS" 0 "lint exit status ($ERR)"
assert_eq "$ERR" "10 objects, no problems" "lint's summary"

note "kustomize (deploy/Kustomization) and kubectl apply -f deploy/ name the same objects"
by_kustomize=$(kubectl kustomize "$deploy" | kubectl apply --dry-run=client -o name -f - | sort)
by_directory=$(kubectl apply --dry-run=client -o name -f "$deploy" | sort)
assert_eq "$by_kustomize" "$by_directory" "the objects"
echo "    $(wc -l <<<"$by_directory") objects"

note "berth sync -f deploy/: accepted, and the Deployment waited for"
run_berth sync -f "$deploy"
assert_eq "$STATUS" 0 "sync exit status ($ERR)"
assert_contains "$OUT" "waiting for deployment berth-system/berth" "the Deployment's wait"
assert_eq "$(kubectl -n berth-system get deployment berth -o jsonpath='{.status.readyReplicas}')" 1 \
	"the Deployment's ready replicas"

note "the credentials, filled in the cluster as credentials.yaml says, survive the next sync"
mkdir -p "$scratch/secrets"
for key in git-token forge-token github-webhook-secret report-token; do
	openssl rand -hex 20 >"$scratch/secrets/$key"
done
kubectl -n berth-system create secret generic berth-credentials \
	$(for f in "$scratch"/secrets/*; do echo "--from-file=$(basename "$f")=$f"; done) \
	--dry-run=client -o yaml | kubectl replace -f - >/dev/null
run_berth sync -f "$deploy"
assert_eq "$STATUS" 0 "second sync exit status ($ERR)"
assert_eq "$(kubectl -n berth-system get secret berth-credentials -o json | jq -r '.data | keys | join(" ")')" \
	"forge-token git-token github-webhook-secret report-token" "the Secret's keys"

note "least privilege: no Secret anywhere, no namespace deleted, no Lease written"
for denied in "get secrets -n default" "list secrets --all-namespaces" "watch secrets -n berth-system" \
	"delete namespaces" "update leases -n berth-system" "create leases -n berth-system" \
	"create clusterrolebindings" "update configmaps -n default"; do
	# shellcheck disable=SC2086
	assert_eq "$(kubectl auth can-i $denied --as "$sa_user" || [ $? = 1 ])" no "may $sa_user $denied"
done
for allowed in "patch configmaps -n default" "delete statefulsets.apps -n default" "patch namespaces" \
	"get configmaps/berth-state -n berth-system"; do
	# shellcheck disable=SC2086
	assert_eq "$(kubectl auth can-i $allowed --as "$sa_user")" yes "may $sa_user $allowed"
done

note "the pod's view: a TokenRequest token of berth-system/berth, the CA and the namespace"
kubectl create --raw /api/v1/namespaces/berth-system/serviceaccounts/berth/token -f - \
	<<<'{"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {"expirationSeconds": 3600}}' |
	jq -r .status.token >"$scratch/token"
[ -s "$scratch/token" ] || fail "no token from the TokenRequest API"
pod_view "$scratch/token" berth-system
# berth's cache, as the pod's emptyDir would be.
export XDG_CACHE_HOME=$scratch/cache
# The requests of the ServiceAccount in audit lines on stdin: "code verb URI".
sa_requests() {
	jq -r --arg u "$sa_user" 'select(.user.username == $u) | select(.stage == "ResponseComplete")
		| "\(.responseStatus.code) \(.verb) \(.requestURI)"'
}

note "in-cluster berth run --once syncs every example from a Git remote, held to the ClusterRole"
git init -q --bare "$scratch/remote.git"
git init -q "$scratch/work"
mkdir "$scratch/work/examples"
for f in $folders; do cp -r "$examples/$f" "$scratch/work/examples/"; done
git_commit "$scratch/work" "$scratch/remote.git" "every example" >/dev/null
{
	echo "stateNamespace: berth-system"
	echo "sources:"
	for f in $folders; do
		# The walkthrough names no namespace: the tutorial's is "default".
		ns=; [ "$f" != hostpath-walkthrough ] || ns=", namespace: default"
		echo "- {name: $f, repo: $scratch/remote.git, ref: main, path: examples/$f, prune: true$ns}"
	done
} >"$scratch/examples.yaml"
from=$(audit_mark deploy-examples-before)
status=0
"${in_cluster[@]}" "$BERTH" run --once --config "$scratch/examples.yaml" 2>"$scratch/examples.log" || status=$?
to=$(audit_mark deploy-examples-after)
[ $status = 0 ] || fail "berth run --once exited $status: $(cat "$scratch/examples.log")"
for f in $folders; do
	grep -q "msg=applied source=$f " "$scratch/examples.log" || fail "$f not applied: $(cat "$scratch/examples.log")"
done
assert_not_contains "$(cat "$scratch/examples.log")" "msg=warning" "warnings (prune's LISTs included)"
requests=$(audit_between "$from" "$to" | sa_requests)
[ -n "$requests" ] || fail "no request of $sa_user in the audit log"
echo "    $(wc -l <<<"$requests") requests as $sa_user"
# Prune LISTs every kind the server serves, to find what left Git; those
# outside the role answer 403 and are left out, quietly.
prune_lists='^403 list [^ ]*?labelSelector=app.kubernetes.io/managed-by%3Dberth&limit=500$'
assert_eq "$(grep '^403 ' <<<"$requests" | grep -v "$prune_lists" | sed -n 1,5p)" "" \
	"403s other than prune's LISTs of kinds outside the role"
echo "    $(grep -c "$prune_lists" <<<"$requests") of prune's LISTs refused (kinds outside the role), no other 403"
for f in $folders; do
	for sts in $(example_statefulsets "$f"); do
		ns=${sts%/*} name=${sts#*/}
		assert_eq "$(kubectl -n "$ns" get statefulset "$name" -o jsonpath='{.status.readyReplicas}')" \
			"$(kubectl -n "$ns" get statefulset "$name" -o jsonpath='{.spec.replicas}')" "$f: $sts ready"
	done
done

note "berth diff, in-cluster, exits 0 on every example"
for f in $folders; do
	ns=(); [ "$f" != hostpath-walkthrough ] || ns=(-n default)
	status=0
	out=$("${in_cluster[@]}" "$BERTH" diff --repo "$scratch/remote.git" --ref main --path "examples/$f" "${ns[@]}" 2>&1) || status=$?
	[ $status = 0 ] || fail "berth diff of $f exited $status: $out"
done
echo "    $(wc -w <<<"$folders") examples in sync"

note "a kind outside the role: refused with the 403, and nothing written"
cat >"$scratch/work/examples/simple-web/settings.yaml" <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: simple-web}
data: {mode: fast}
YAML
cat >"$scratch/work/examples/simple-web/binding.yaml" <<'YAML'
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: berth-deploy-test-escalation}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: ServiceAccount, name: berth, namespace: berth-system}]
YAML
sha=$(git_commit "$scratch/work" "$scratch/remote.git" "a ClusterRoleBinding")
printf 'stateNamespace: berth-system\nsources:\n- {name: simple-web, repo: %s, ref: main, path: examples/simple-web}\n' \
	"$scratch/remote.git" >"$scratch/simple-web.yaml"
from=$(audit_mark deploy-forbidden-before)
status=0
"${in_cluster[@]}" "$BERTH" run --once --config "$scratch/simple-web.yaml" 2>"$scratch/forbidden.log" || status=$?
to=$(audit_mark deploy-forbidden-after)
log=$(cat "$scratch/forbidden.log")
assert_eq "$status" 1 "berth run --once exit status ($log)"
assert_contains "$log" "commit=$sha" "the refused commit"
assert_contains "$log" "/examples/simple-web/binding.yaml:1:1: clusterrolebinding berth-deploy-test-escalation: cannot read live state" \
	"the object at its line"
assert_contains "$log" "403 Forbidden" "the status"
assert_contains "$log" "cannot list resource \\\"clusterrolebindings\\\"" "RBAC's reason"
writes=$(audit_between "$from" "$to" | sa_requests |
	awk '$2 ~ /create|update|patch|delete/ && $3 !~ /dryRun/')
assert_eq "$writes" "" "writes by $sa_user"
assert_eq "$(kubectl -n simple-web get configmap settings --ignore-not-found -o name)" "" "the ConfigMap"
echo "    refused: $(grep -o 'binding.yaml:1:1: .* 403 Forbidden' <<<"$log")"
git -C "$scratch/work" rm -q examples/simple-web/binding.yaml examples/simple-web/settings.yaml
git_commit "$scratch/work" "$scratch/remote.git" "no ClusterRoleBinding" >/dev/null

note "the Deployment's command, probes, port and mounts are what berth run serves and reads"
kubectl -n berth-system get deployment berth -o json >"$scratch/deployment.json"
pod='.spec.template.spec'
c="$pod.containers[0]"
q() { jq -r "$1" "$scratch/deployment.json"; }
assert_eq "$(q "$pod.securityContext.runAsNonRoot") $(q "$pod.securityContext.seccompProfile.type")" \
	"true RuntimeDefault" "the pod's securityContext"
assert_eq "$(q "$c.securityContext | [.readOnlyRootFilesystem, .allowPrivilegeEscalation, .capabilities.drop[]] | join(\" \")")" \
	"true false ALL" "the container's securityContext"
assert_eq "$(q "$c.resources | [.requests.memory, .limits.memory] | map(. != null) | join(\" \")")" \
	"true true" "memory request and limit"
# Each mount of the pod is a directory here, with what the kubelet puts in it.
mnt() { echo "$scratch/mnt$1"; }
config_dir=$(q "$c.volumeMounts[] | select(.name == \"config\") | .mountPath")
credentials_dir=$(q "$c.volumeMounts[] | select(.name == \"credentials\") | .mountPath")
cache_dir=$(q "$c.volumeMounts[] | select(.name == \"cache\") | .mountPath")
assert_eq "$(q "$c.env[] | select(.name == \"XDG_CACHE_HOME\") | .value")" "$cache_dir" "XDG_CACHE_HOME"
assert_eq "$(q "$pod.volumes[] | select(.name == \"cache\") | .emptyDir != null")" true "the cache is an emptyDir"
mkdir -p "$(mnt "$config_dir")" "$(mnt "$credentials_dir")" "$(mnt "$cache_dir")"
rewrite() { sed "s#$config_dir#$(mnt "$config_dir")#g; s#$credentials_dir#$(mnt "$credentials_dir")#g"; }
kubectl -n berth-system get configmap berth-config -o json | jq -r '.data["config.yaml"]' | rewrite \
	>"$(mnt "$config_dir")/config.yaml"
cp "$scratch"/secrets/* "$(mnt "$credentials_dir")/"
mapfile -t args < <(q "$c.args[]" | rewrite)
port=$(q "$c.ports[] | select(.name == \"http\") | .containerPort")
assert_eq "$(q "$c.livenessProbe.httpGet.port") $(q "$c.readinessProbe.httpGet.port")" "http http" "the probes' port"
listen=$(for ((i = 0; i < ${#args[@]}; i++)); do [ "${args[i]}" != --listen ] || echo "${args[i + 1]}"; done)
assert_eq "$listen" ":$port" "--listen and the container port"
assert_eq "$(kubectl -n berth-system get service berth -o jsonpath='{.spec.ports[0].targetPort} {.metadata.annotations.prometheus\.io/port}')" \
	"http $port" "the Service's port and scrape annotation"
echo "    berth ${args[*]}"
"${in_cluster[@]}" XDG_CACHE_HOME="$(mnt "$cache_dir")" "$BERTH" "${args[@]}" 2>"$scratch/pod.log" &
agent=$!
get() { curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port$1"; }
answers() { [ "$(get "$1")" = "$2" ]; }
wait_until 30 "berth run to answer $(q "$c.livenessProbe.httpGet.path") (log: $scratch/pod.log)" \
	answers "$(q "$c.livenessProbe.httpGet.path")" 200
# Ready once its source has reconciled once: here it cannot be fetched (no
# network), which counts too.
wait_until 60 "berth run to answer 200 on $(q "$c.readinessProbe.httpGet.path")" \
	answers "$(q "$c.readinessProbe.httpGet.path")" 200
metrics=$(kubectl -n berth-system get service berth -o jsonpath='{.metadata.annotations.prometheus\.io/path}')
assert_eq "$(get "$metrics")" 200 "GET $metrics"
# Beyond loopback, /report wants the bearer token of reportTokenFile.
assert_eq "$(get /report)" 401 "GET /report without the token"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(cat "$scratch/secrets/report-token")" \
	"http://127.0.0.1:$port/report")" 200 "GET /report with the token"
assert_not_contains "$(cat "$scratch/pod.log")" "bad config" "the ConfigMap's config"

echo "figure: peak RSS of berth run $(awk '/VmHWM/ { print int($2 / 1024) }' "/proc/$agent/status") MiB" \
	"(memory request $(q "$c.resources.requests.memory"), limit $(q "$c.resources.limits.memory"))"

note "SIGTERM: berth stops well within terminationGracePeriodSeconds"
grace=$(q "$pod.terminationGracePeriodSeconds")
start=$(date +%s%N)
kill -TERM "$agent"
wait_until 30 "berth run to stop after SIGTERM" agent_gone
wait "$agent" || fail "berth run exited $? after SIGTERM: $(tail -3 "$scratch/pod.log")"
ms=$((($(date +%s%N) - start) / 1000000))
agent=
echo "figure: berth run stopped $ms ms after SIGTERM (terminationGracePeriodSeconds: $grace; backstop 30 s)"
[ $ms -lt $((grace * 1000)) ] || fail "berth took $ms ms to stop, over the grace period of $grace s"
echo PASS
