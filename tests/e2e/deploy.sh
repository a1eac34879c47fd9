#!/usr/bin/env bash
# deploy/, berth in a cluster, on the real apiserver:
#   - berth lint against the cluster is clean; kustomize and kubectl apply -f
#     see the same objects; berth sync -f deploy/ is accepted and waits for
#     the Deployment's two replicas;
#   - the credentials filled in the cluster survive the next sync;
#   - as the pod would run it (in-cluster config, a TokenRequest token of the
#     ServiceAccount deploy/ makes, held to its ClusterRole), berth run
#     --once syncs every example from a Git remote, with no 403 in the audit
#     log, and berth diff then exits 0 on each;
#   - a kind outside the role is refused with the 403 before anything is
#     written (the audit log, between two marks);
#   - the Role lets berth hold (and delete) Leases in berth-system only;
#   - the Deployment's probes, port and mounts are what berth run serves and
#     reads: the pod's command, config and credentials, curled;
#   - lease mode as the two pods run it (their names from the downward API,
#     the ServiceAccount's token): each holds its member Lease and the one
#     source goes to one of them, with no 403; on SIGTERM the holder gives
#     its Leases up and the other takes the source at once, not after they
#     expire; stopped, neither holds a Lease any more.
. "$(dirname "$0")/lib.sh"

deploy=$BERTH_SOURCE_DIR/deploy
sa_user=system:serviceaccount:berth-system:berth
agent=
agents=()
cleanup() {
	[ -z "$agent" ] || kill "$agent" 2>/dev/null || :
	[ ${#agents[@]} = 0 ] || kill "${agents[@]}" 2>/dev/null || :
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

note "berth sync -f deploy/: accepted, and the Deployment's two replicas waited for"
run_berth sync -f "$deploy"
assert_eq "$STATUS" 0 "sync exit status ($ERR)"
assert_contains "$OUT" "waiting for deployment berth-system/berth" "the Deployment's wait"
assert_eq "$(kubectl -n berth-system get deployment berth -o jsonpath='{.status.readyReplicas}')" 2 \
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

note "least privilege: no Secret anywhere, no namespace deleted, Leases in berth-system only"
for denied in "get secrets -n default" "list secrets --all-namespaces" "watch secrets -n berth-system" \
	"delete namespaces" "create leases -n default" "update leases -n kube-system" \
	"list leases --all-namespaces" "delete leases -n default" "patch leases -n berth-system" \
	"create clusterrolebindings" "update configmaps -n default"; do
	# shellcheck disable=SC2086
	assert_eq "$(kubectl auth can-i $denied --as "$sa_user" || [ $? = 1 ])" no "may $sa_user $denied"
done
for allowed in "patch configmaps -n default" "delete statefulsets.apps -n default" "patch namespaces" \
	"get configmaps/berth-state -n berth-system" "get leases -n berth-system" "list leases -n berth-system" \
	"watch leases -n berth-system" "create leases -n berth-system" "update leases -n berth-system" \
	"delete leases -n berth-system"; do
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

note "the Deployment: two replicas in lease mode, each named by its pod, replaced one at a time"
kubectl -n berth-system get deployment berth -o json >"$scratch/deployment.json"
pod='.spec.template.spec'
c="$pod.containers[0]"
q() { jq -r "$1" "$scratch/deployment.json"; }
assert_eq "$(q '[.spec.replicas, .spec.strategy.type, .spec.strategy.rollingUpdate.maxUnavailable,
	.spec.strategy.rollingUpdate.maxSurge] | map(tostring) | join(" ")')" "2 RollingUpdate 1 0" \
	"replicas, strategy, maxUnavailable, maxSurge"
# berth takes its replica id from $POD_NAME: the downward API must set it.
id_env=$(q "$c.env[] | select(.valueFrom.fieldRef.fieldPath == \"metadata.name\") | .name")
assert_eq "$id_env" POD_NAME "the variable the downward API sets to the pod's name"
read -ra pods <<<"$(kubectl -n berth-system get pods -l app.kubernetes.io/name=berth \
	-o jsonpath='{.items[*].metadata.name}')"
assert_eq "${#pods[@]}" 2 "the Deployment's pods"

note "the Deployment's command, probes, port and mounts are what berth run serves and reads"
assert_eq "$(q "$pod.securityContext.runAsNonRoot") $(q "$pod.securityContext.seccompProfile.type")" \
	"true RuntimeDefault" "the pod's securityContext"
assert_eq "$(q "$c.securityContext | [.readOnlyRootFilesystem, .allowPrivilegeEscalation, .capabilities.drop[]] | join(\" \")")" \
	"true false ALL" "the container's securityContext"
assert_eq "$(q "$c.resources | [.requests.memory, .limits.memory] | map(. != null) | join(\" \")")" \
	"true true" "memory request and limit"
# Each mount of the pod is a directory here, with what the kubelet puts in
# it; the cache, an emptyDir, is each pod's own.
mnt() { echo "$scratch/mnt$1"; }
config_dir=$(q "$c.volumeMounts[] | select(.name == \"config\") | .mountPath")
credentials_dir=$(q "$c.volumeMounts[] | select(.name == \"credentials\") | .mountPath")
cache_dir=$(q "$c.volumeMounts[] | select(.name == \"cache\") | .mountPath")
assert_eq "$(q "$c.env[] | select(.name == \"XDG_CACHE_HOME\") | .value")" "$cache_dir" "XDG_CACHE_HOME"
assert_eq "$(q "$pod.volumes[] | select(.name == \"cache\") | .emptyDir != null")" true "the cache is an emptyDir"
mkdir -p "$(mnt "$config_dir")" "$(mnt "$credentials_dir")"
rewrite() { sed "s#$config_dir#$(mnt "$config_dir")#g; s#$credentials_dir#$(mnt "$credentials_dir")#g"; }
kubectl -n berth-system get configmap berth-config -o json | jq -r '.data["config.yaml"]' | rewrite \
	>"$(mnt "$config_dir")/config.yaml"
cp "$scratch"/secrets/* "$(mnt "$credentials_dir")/"
mapfile -t args < <(q "$c.args[]" | rewrite)
arg() { # option: its value in the container's args
	local i
	for ((i = 0; i < ${#args[@]}; i++)); do [ "${args[i]}" != "$1" ] || echo "${args[i + 1]}"; done
}
port=$(q "$c.ports[] | select(.name == \"http\") | .containerPort")
assert_eq "$(q "$c.livenessProbe.httpGet.port") $(q "$c.readinessProbe.httpGet.port")" "http http" "the probes' port"
assert_eq "$(arg --listen)" ":$port" "--listen and the container port"
assert_eq "$(arg --replicas-mode)" lease "--replicas-mode"
assert_eq "$(kubectl -n berth-system get service berth -o jsonpath='{.spec.ports[0].targetPort} {.metadata.annotations.prometheus\.io/port}')" \
	"http $port" "the Service's port and scrape annotation"
liveness=$(q "$c.livenessProbe.httpGet.path")
readiness=$(q "$c.readinessProbe.httpGet.path")
metrics=$(kubectl -n berth-system get service berth -o jsonpath='{.metadata.annotations.prometheus\.io/path}')
echo "    berth ${args[*]}"

# Replica I runs as pod ${pods[I]} would: its name in $POD_NAME, its own
# cache. The second listens on a port of its own: here both share one host.
start_replica() { # index listen
	local a=("${args[@]}") k
	for ((k = 0; k < ${#a[@]}; k++)); do [ "${a[k]}" != --listen ] || a[k + 1]=$2; done
	mkdir -p "$scratch/pod$1$cache_dir"
	"${in_cluster[@]}" XDG_CACHE_HOME="$scratch/pod$1$cache_dir" "$id_env=${pods[$1]}" "$BERTH" "${a[@]}" \
		2>"$scratch/pod$1.log" &
	agents[$1]=$!
}
# The address replica I listens on, from its log (JSON, as --log-format says).
replica_address() { # index
	jq -Rr 'fromjson? | select(.msg == "started") | .listen' "$scratch/pod$1.log"
}
replica_listening() { [ -n "$(replica_address "$1")" ]; }
get() { curl -s -o /dev/null -w '%{http_code}' "http://$1$2"; } # address path
answers() { [ "$(get "$1" "$2")" = "$3" ]; } # address path code
# The log lines of replica I with message MSG, as JSON.
logged() { # index msg
	jq -Rc --arg m "$2" 'fromjson? | select(.msg == $m)' "$scratch/pod$1.log"
}
# A Lease's holder ("" for none), and the Leases' holders, "name=holder" words.
# (its replica's id: the holderIdentity is "<id>_<process>")
holder() { kubectl -n berth-system get lease "$1" -o json | jq -r '.spec.holderIdentity // "" | sub("_[0-9a-f]{8}$"; "")'; }
holder_is() { [ "$(holder "$1")" = "$2" ]; }
holders() {
	kubectl -n berth-system get leases -l berth.io/lease -o json |
		jq -r '[.items[] | "\(.metadata.name)=\(.spec.holderIdentity // "" | sub("_[0-9a-f]{8}$"; ""))"] | sort | join(" ")'
}
# berth_owned_sources on replica I's /metrics.
owned() { # index
	curl -s "http://${addr[$1]}$metrics" | awk '$1 == "berth_owned_sources" { print $2 }'
}

from=$(audit_mark deploy-replicas-before)
start_replica 0 ":$port"
start_replica 1 127.0.0.1:0
wait_until 30 "the second replica to listen (log: $scratch/pod1.log)" replica_listening 1
addr=("127.0.0.1:$port" "$(replica_address 1)")
wait_until 30 "berth run to answer $liveness (log: $scratch/pod0.log)" answers "${addr[0]}" "$liveness" 200
# Lease mode: ready once joined, whether it holds a source or not.
for i in 0 1; do
	wait_until 30 "${pods[i]} to answer 200 on $readiness (log: $scratch/pod$i.log)" \
		answers "${addr[i]}" "$readiness" 200
	assert_eq "$(kubectl -n berth-system get lease "berth-member-${pods[i]}" -o json |
		jq -r '[(.spec.holderIdentity | sub("_[0-9a-f]{8}$"; "")), .metadata.labels["berth.io/lease"],
			.metadata.labels["app.kubernetes.io/managed-by"]] | join(" ")')" \
		"${pods[i]} member berth" "the member Lease of ${pods[i]}: its holder and labels"
done
assert_eq "$(get "${addr[0]}" "$metrics")" 200 "GET $metrics"
# Beyond loopback, /report wants the bearer token of reportTokenFile.
assert_eq "$(get "${addr[0]}" /report)" 401 "GET /report without the token"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(cat "$scratch/secrets/report-token")" \
	"http://${addr[0]}/report")" 200 "GET /report with the token"
for i in 0 1; do
	assert_not_contains "$(cat "$scratch/pod$i.log")" "bad config" "${pods[i]}: the ConfigMap's config"
done

note "the one source is one replica's: it holds berth-source-apps, the other owns nothing"
# The first replica up takes the source, and hands it to the second if it
# goes there: settled once one holder kept it 3 s (a move waits only for
# the reconcile under way, which fails at once here, with no network).
last='' since=0
settled() {
	local h
	h=$(holder berth-source-apps)
	if [ -z "$h" ] || [ "$h" != "$last" ]; then
		last=$h since=$SECONDS
		return 1
	fi
	[ $((SECONDS - since)) -ge 3 ]
}
wait_until 30 "berth-source-apps to be held by one replica, 3 s on end" settled
if [ "$last" = "${pods[0]}" ]; then h=0 o=1; else h=1 o=0; fi
assert_eq "$last" "${pods[h]}" "the holder of berth-source-apps, a pod of the Deployment"
assert_eq "$(owned "$h") $(owned "$o")" "1 0" "berth_owned_sources of ${pods[h]} and ${pods[o]}"
assert_eq "$(kubectl -n berth-system get lease berth-source-apps -o jsonpath='{.metadata.labels.berth\.io/lease}')" \
	source "the source Lease's label"
echo "    berth-source-apps held by ${pods[h]}; ${pods[o]} owns none"

echo "figure: peak RSS of berth run $(awk '/VmHWM/ { print int($2 / 1024) }' "/proc/${agents[0]}/status") MiB" \
	"(memory request $(q "$c.resources.requests.memory"), limit $(q "$c.resources.limits.memory"))"

note "SIGTERM: berth stops well within terminationGracePeriodSeconds, and gives its Leases up at once"
grace=$(q "$pod.terminationGracePeriodSeconds")
# SIGTERM replica I and wait for it to exit 0, within the grace period;
# sets `start` to when it was signalled.
stop_replica() { # index
	local ms
	start=$(date +%s%N)
	agent=${agents[$1]}
	kill -TERM "$agent"
	wait_until 30 "${pods[$1]} to stop after SIGTERM" agent_gone
	wait "$agent" || fail "${pods[$1]} exited $? after SIGTERM: $(tail -3 "$scratch/pod$1.log")"
	ms=$((($(date +%s%N) - start) / 1000000))
	agent=
	unset "agents[$1]"
	echo "figure: berth run (${pods[$1]}) stopped $ms ms after SIGTERM (terminationGracePeriodSeconds: $grace; backstop 30 s)"
	[ "$ms" -lt $((grace * 1000)) ] || fail "berth took $ms ms to stop, over the grace period of $grace s"
}
stop_replica "$h"
# Had they expired instead, the other would wait 15 s for the member Lease
# (leaseDuration), and 40 to 60 s for the source's (sourceLeaseDuration).
wait_until 5 "${pods[o]} to take berth-source-apps" holder_is berth-source-apps "${pods[o]}"
echo "figure: ${pods[o]} held berth-source-apps $((($(date +%s%N) - start) / 1000000)) ms after the SIGTERM of ${pods[h]}" \
	"(expired instead: 40 to 60 s)"
# A member's Lease names a pod that is going: deleted, not left behind.
assert_eq "$(kubectl -n berth-system get lease "berth-member-${pods[h]}" -o name --ignore-not-found)" "" \
	"berth-member-${pods[h]}, stopped"
assert_contains "$(logged "$h" "lease given up")" '"source":"apps","change":"released","reason":"berth is stopping"' \
	"${pods[h]}'s log"
assert_eq "$(get "${addr[o]}" "$readiness") $(owned "$o")" "200 1" "${pods[o]}: $readiness, berth_owned_sources"

stop_replica "$o"
assert_eq "$(holders)" "berth-source-apps=" "the Leases' holders, both replicas stopped"
to=$(audit_mark deploy-replicas-after)

note "the replicas' requests on Leases: in berth-system, as their pods, none refused"
lease_requests=$(audit_between "$from" "$to" | jq -r --arg u "$sa_user" '
	select(.user.username == $u) | select(.stage == "ResponseComplete")
	| select(.objectRef.resource == "leases")
	| "\(.responseStatus.code) \(.verb) \(.objectRef.namespace) \(.userAgent | sub(".* "; ""))"')
[ -n "$lease_requests" ] || fail "no request on Leases by $sa_user in the audit log"
assert_eq "$(awk '$1 == 403' <<<"$lease_requests" | sed -n 1,5p)" "" "Lease requests refused"
assert_eq "$(awk '{ print $3 }' <<<"$lease_requests" | sort -u)" berth-system "the Leases' namespaces"
assert_eq "$(awk '$2 ~ /^(create|update|delete|list|watch)$/ { print $2 }' <<<"$lease_requests" | sort -u | paste -sd ' ')" \
	"create delete list update watch" "the verbs berth used on Leases"
assert_eq "$(awk '{ print $4 }' <<<"$lease_requests" | sort -u | paste -sd ' ')" \
	"$(printf 'replica/%s\n' "${pods[@]}" | sort | paste -sd ' ')" "the replicas, by their User-Agent"
assert_eq "$(audit_between "$from" "$to" | sa_requests | awk '$1 == 403' | sed -n 1,5p)" "" \
	"any request of $sa_user refused"
echo "    $(wc -l <<<"$lease_requests") requests on Leases:" \
	"$(awk '{ print $2 }' <<<"$lease_requests" | sort | uniq -c | awk '{ print $1 " " $2 }' | paste -sd ,)"
echo PASS
