# Helpers for the e2e tests. Source it first; it fails the test at once when
# there is no control plane to test against (e2e tests never skip).
. "$(dirname "${BASH_SOURCE[0]}")/assert.sh"

: "${BERTH:?BERTH must name the berth binary (ctest sets it)}"
: "${BERTH_SOURCE_DIR:?BERTH_SOURCE_DIR must name the source tree (ctest sets it)}"
if [ -z "${KUBECONFIG:-}" ] || [ -z "${BERTH_KUBECTL:-}" ] || [ -z "${BERTH_CLUSTER_DIR:-}" ]; then
	fail "no control plane: KUBECONFIG, BERTH_KUBECTL and BERTH_CLUSTER_DIR are not set." \
		"Run tests/run.sh, or: deploy/local/cluster.sh up test && eval \"\$(deploy/local/cluster.sh env test)\""
fi
[ "$("$BERTH_KUBECTL" get --raw /readyz 2>&1)" = ok ] ||
	fail "no control plane: the cluster in $KUBECONFIG does not answer /readyz"

kubectl() {
	"$BERTH_KUBECTL" "$@"
}

# Run berth, keeping stdout, stderr and the exit status in OUT, ERR, STATUS.
run_berth() {
	local o e
	o=$(mktemp)
	e=$(mktemp)
	STATUS=0
	"$BERTH" "$@" >"$o" 2>"$e" || STATUS=$?
	OUT=$(cat "$o")
	ERR=$(cat "$e")
	rm -f "$o" "$e"
}

# Commit everything in the work tree WORK and force-push it to BRANCH
# (default main) of REMOTE; prints the commit.
git_commit() { # work remote message [branch]
	git -C "$1" add -A
	git -C "$1" -c user.name=berth -c user.email=berth@example.com commit -q -m "$3" >&2
	git -C "$1" push -q -f "$2" "HEAD:refs/heads/${4:-main}" 2>/dev/null
	git -C "$1" rev-parse HEAD
}
# A ConfigMap NAME whose data.value is VALUE, as YAML.
configmap_yaml() { # name value
	printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s}\ndata: {value: "%s"}\n' "$1" "$2"
}

# The cache the control plane's binaries are in, before a test moves
# XDG_CACHE_HOME for berth's own.
cluster_cache=${XDG_CACHE_HOME:-$HOME/.cache}
cluster() { # verb: the cluster.sh verb for the cluster under test
	XDG_CACHE_HOME=$cluster_cache BERTH_CLUSTERS=$(dirname "$BERTH_CLUSTER_DIR") \
		"$BERTH_SOURCE_DIR/deploy/local/cluster.sh" "$1" "$(basename "$BERTH_CLUSTER_DIR")"
}

# Start berth run on a free loopback port with CONFIG, its log in LOG, and
# wait until it listens: sets `agent` (its pid; the caller stops it);
# agent_address prints where it listens.
start_agent() { # config log [berth run's options...]
	local config=$1
	agent_log=$2
	shift 2
	"$BERTH" run --listen 127.0.0.1:0 --config "$config" "$@" 2>"$agent_log" &
	agent=$!
	wait_until 30 "berth run to listen" agent_listening
}
# SIGTERM the agent and wait for it to exit, with a 30 s backstop: sets
# STATUS to its exit status and prints how long it took, as a figure.
stop_agent() { # what
	local start
	start=$(date +%s%N)
	kill -TERM "$agent"
	wait_until 30 "berth to stop after SIGTERM ($1)" agent_gone
	STATUS=0
	wait "$agent" || STATUS=$?
	agent=
	echo "figure: $1: berth stopped $((($(date +%s%N) - start) / 1000000)) ms after SIGTERM (backstop 30 s)"
}
agent_gone() { ! kill -0 "$agent" 2>/dev/null; }
agent_address() { sed -n 's/.*msg=started .*listen=\([^ ]*\).*/\1/p' "$agent_log"; }
agent_listening() { [ -n "$(agent_address)" ]; }

# Audit sentinels. "Nothing happened" is proven between two markers: a
# request only this test makes, waited for until the audit log holds it.
# audit_mark prints the line number of its marker; audit_between FROM TO
# prints the audit lines between two marks.
audit_mark() { # name
	local id="berth-mark-$1-$$-$RANDOM"
	kubectl get --raw "/api/v1/namespaces/default/configmaps/$id" >/dev/null 2>&1 ||
		: # a 404, which the log holds like any other request
	wait_until 30 "the audit log to hold marker $id" grep -qF "$id" "$BERTH_CLUSTER_DIR/audit.log"
	grep -nF "$id" "$BERTH_CLUSTER_DIR/audit.log" | tail -1 | cut -d: -f1
}
audit_between() { # from to
	sed -n "$(($1 + 1)),$(($2 - 1))p" "$BERTH_CLUSTER_DIR/audit.log"
}
# Run COMMAND (run_berth ..., most often) between two marks, NAME-before and
# NAME-after: sets `from` and `to` (for audit_between), and `took`, the
# milliseconds COMMAND took.
audited() { # name command...
	local name=$1 start
	shift
	from=$(audit_mark "$name-before")
	start=$(date +%s%N)
	"$@"
	took=$((($(date +%s%N) - start) / 1000000))
	to=$(audit_mark "$name-after")
}
# The audit lines after a mark, so far (for wait_until: the last one may be
# half written).
audit_after() { # from
	tail -n +"$(($1 + 1))" "$BERTH_CLUSTER_DIR/audit.log"
}
# The writes berth made as this test's user (own_identity) in audit lines
# on stdin, less dry runs, one "verb resource name" line each.
berth_writes() {
	jq -r --arg u "${berth_user:?berth_writes counts the requests of the user own_identity makes}" '
		select(.userAgent | startswith("berth/")) | select(.user.username == $u)
		| select(.stage == "ResponseComplete")
		| select(.verb | test("create|update|patch|delete"))
		| select(.requestURI | contains("dryRun") | not)
		| "\(.verb) \(.objectRef.resource) \(.objectRef.name)"'
}
# The dry runs berth sent as this test's user in audit lines on stdin.
berth_dry_runs() {
	jq -r --arg u "${berth_user:?berth_dry_runs counts the requests of the user own_identity makes}" '
		select(.userAgent | startswith("berth/")) | select(.user.username == $u)
		| select(.stage == "ResponseComplete")
		| select(.requestURI | contains("dryRun=All"))
		| "\(.verb) \(.objectRef.resource) \(.objectRef.name)"'
}
# Every request berth sent as this test's user in audit lines on stdin, one
# "verb URI" line each.
berth_requests() {
	jq -r --arg u "${berth_user:?berth_requests counts the requests of the user own_identity makes}" '
		select(.userAgent | startswith("berth/")) | select(.user.username == $u)
		| "\(.verb) \(.requestURI)"'
}

# A user of the test's own, so that the audit log tells its requests from
# those of the tests running beside it: a ServiceAccount bound to
# cluster-admin, its token (berth_token) in a copy of the cluster's
# kubeconfig whose current context is that user. KUBECONFIG moves to the
# copy; its other contexts (alice, admin-cert) stay. Sets berth_user, which
# berth_writes, berth_dry_runs and berth_requests count; drop_identity, in
# the test's EXIT trap, removes it.
own_identity() { # name
	identity=berth-id-$1
	cluster_kubeconfig=$KUBECONFIG
	kubectl delete clusterrolebinding "$identity" --ignore-not-found >/dev/null
	fresh_namespaces "$identity"
	kubectl create serviceaccount berth -n "$identity" >/dev/null
	kubectl create clusterrolebinding "$identity" --clusterrole=cluster-admin \
		--serviceaccount="$identity:berth" >/dev/null
	wait_until 30 "the token of $identity" identity_secret
	berth_token=$(kubectl get secret "$(identity_secret)" -n "$identity" -o jsonpath='{.data.token}' |
		base64 -d)
	[ -n "$berth_token" ] || fail "no token in the secret of $identity"
	berth_user=system:serviceaccount:$identity:berth
	# Paths in the cluster's kubeconfig are relative to it.
	sed "s#: pki/#: $BERTH_CLUSTER_DIR/pki/#" "$cluster_kubeconfig" >"$scratch/kubeconfig"
	export KUBECONFIG=$scratch/kubeconfig
	kubectl config set-credentials "$identity" --token="$berth_token" >/dev/null
	kubectl config set-context "$identity" --cluster=local --user="$identity" >/dev/null
	kubectl config use-context "$identity" >/dev/null
	# RBAC takes the new binding in a moment after it is written.
	wait_until 30 "$berth_user to be cluster-admin" kubectl get namespaces
}
identity_secret() {
	local s
	s=$(kubectl get serviceaccount berth -n "$identity" -o jsonpath='{.secrets[0].name}')
	[ -n "$s" ] && echo "$s"
}
drop_identity() {
	[ -n "${identity:-}" ] || return 0
	KUBECONFIG=$cluster_kubeconfig kubectl delete clusterrolebinding "$identity" --ignore-not-found >/dev/null || :
	KUBECONFIG=$cluster_kubeconfig kubectl delete namespace "$identity" --ignore-not-found --wait=false >/dev/null || :
}

# Make each namespace NAME anew: delete it, wait until it is gone, create it.
fresh_namespaces() { # name...
	local n
	for n; do
		kubectl delete namespace "$n" --ignore-not-found --wait=true >/dev/null
		kubectl create namespace "$n" >/dev/null
	done
}

# Count what `kubectl api-resources` and /apis count, and run a command that
# counts them too (berth cluster-info), between two audit marks; again, up
# to 5 times, while a test beside this one changes a
# CustomResourceDefinition in between (which changes the counts). Sets
# RESOURCES and API_GROUPS (with the core group).
with_api_resources_still() { # command...
	local try from to changed
	for try in 1 2 3 4 5; do
		from=$(audit_mark resources-before)
		RESOURCES=$(kubectl api-resources --no-headers | wc -l)
		API_GROUPS=$(($(kubectl get --raw /apis | jq '.groups | length') + 1))
		"$@"
		to=$(audit_mark resources-after)
		changed=$(audit_between "$from" "$to" |
			jq -r 'select(.objectRef.resource == "customresourcedefinitions")
			       | select(.verb | test("create|update|patch|delete")) | .verb')
		[ -n "$changed" ] || return 0
		note "a CustomResourceDefinition changed while the API resources were counted; again ($try)"
	done
	fail "CustomResourceDefinitions kept changing: no quiet moment to count the API resources in"
}

# Remove what seed 004's walkthrough (examples/hostpath-walkthrough) makes,
# claims and volumes included.
delete_walkthrough() {
	kubectl delete statefulset web2 --ignore-not-found --wait=true >/dev/null
	kubectl delete service nginx2 --ignore-not-found >/dev/null
	kubectl delete pvc www-web2-0 www-web2-1 --ignore-not-found --wait=true >/dev/null
	# And any other claim of web2's (no_false_drift scales it to 3 and back):
	# left behind, it would take a volume of the next walkthrough.
	kubectl delete pvc -l app=nginx2 --ignore-not-found --wait=true >/dev/null
	kubectl delete pv nginx2-pv-volume nginx22-pv-volume --ignore-not-found --wait=true >/dev/null
	kubectl delete storageclass my-storage-class --ignore-not-found >/dev/null
}

# A pod's view of the cluster: pod_view writes the files the kubelet mounts
# for a ServiceAccount (TOKEN's file, the CA, NAMESPACE) under
# $scratch/serviceaccount, and sets pod_hostport (the apiserver's host:port)
# and in_cluster, the env command that runs a command as in that pod: no
# kubeconfig, HOME a directory of its own, KUBERNETES_SERVICE_HOST/PORT and
# BERTH_SERVICEACCOUNT_DIR set ("${in_cluster[@]}" "$BERTH" ...; a command,
# not a function, so that it can be exec'd).
pod_view() { # token-file namespace
	mkdir -p "$scratch/serviceaccount" "$scratch/home"
	cp "$1" "$scratch/serviceaccount/token"
	cp "$BERTH_CLUSTER_DIR/pki/ca.crt" "$scratch/serviceaccount/ca.crt"
	echo "$2" >"$scratch/serviceaccount/namespace"
	pod_hostport=$(kubectl config view --minify -o jsonpath='{.clusters[0].cluster.server}' | sed 's|https://||')
	in_cluster=(env -u KUBECONFIG HOME="$scratch/home" BERTH_SERVICEACCOUNT_DIR="$scratch/serviceaccount"
		KUBERNETES_SERVICE_HOST="${pod_hostport%:*}" KUBERNETES_SERVICE_PORT="${pod_hostport##*:}")
}

# The runnable examples (every folder of examples/ but broken/), and
# delete_examples: delete every one and wait until it is gone (a namespace
# being terminated refuses new objects).
examples=$BERTH_SOURCE_DIR/examples
folders=$(cd "$examples" && ls -d */ | grep -vx -e broken/ -e agent/ | tr -d /)
# The StatefulSets of example FOLDER, as NAMESPACE/NAME words.
example_statefulsets() { # folder
	kubectl get -f "$examples/$1" \
		-o jsonpath='{range .items[?(@.kind=="StatefulSet")]}{.metadata.namespace}/{.metadata.name}{" "}{end}'
}
delete_examples() {
	local f
	# The walkthrough lives in "default": its claims, which its StatefulSet
	# made, go too, or its volumes would wait for them.
	delete_walkthrough
	for f in $folders; do
		kubectl delete -f "$examples/$f" --ignore-not-found --wait=true --timeout=180s \
			>/dev/null 2>&1 || :
	done
}

# A headless Service NAME and the StatefulSet NAME it governs, of REPLICAS
# pods running IMAGE, their template annotated ANNOTATIONS (flow style), as
# YAML.
statefulset_yaml() { # name replicas image [annotations]
	cat <<YAML
apiVersion: v1
kind: Service
metadata: {name: $1}
spec: {clusterIP: None, selector: {app: $1}, ports: [{port: 80}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: $1}
spec:
  serviceName: $1
  replicas: $2
  selector: {matchLabels: {app: $1}}
  template:
    metadata: {labels: {app: $1}${4:+, annotations: $4}}
    spec:
      containers: [{name: $1, image: "$3"}]
YAML
}

# A CustomResourceDefinition in berth.dev/v1 as YAML: PLURAL, of KIND, in
# SCOPE (Namespaced or Cluster), its openAPIV3Schema SCHEMA in flow style
# (default: any spec, kept as given).
crd_yaml() { # plural kind scope [schema]
	local schema=${4:-'{type: object, properties: {spec: {type: object, x-kubernetes-preserve-unknown-fields: true}}}'}
	cat <<YAML
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: $1.berth.dev}
spec:
  group: berth.dev
  scope: $3
  names: {plural: $1, singular: $(tr A-Z a-z <<<"$2"), kind: $2}
  versions:
  - {name: v1, served: true, storage: true, schema: {openAPIV3Schema: $schema}}
YAML
}
# A custom resource definition in berth.dev/v1 (namespaced, its spec kept
# as given): a kind kubectl has no schema for. install_widget_crd: the
# Widget, which the merge cases and the YAML fixtures name. No test deletes
# widgets.berth.dev: it keeps the group berth.dev/v1 served while the other
# kinds of the group come and go, for a group that vanishes in the middle of
# a berth's discovery (a test beside this one deleting its last kind) fails
# that berth with a 404 on /apis/berth.dev/v1.
install_crd() { # plural kind
	crd_yaml "$1" "$2" Namespaced | kubectl apply -f - >/dev/null
	wait_until 60 "CRD $1.berth.dev Established" \
		kubectl wait --for condition=established --timeout=1s "crd/$1.berth.dev"
}
install_widget_crd() {
	install_crd widgets Widget
}

# A scratch directory removed when the test ends.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# A manual 1Gi PersistentVolume NAME-pv (hostPath /tmp/NAME) and the claim
# "claim" in namespace NS that it can serve, as YAML. Their class, NAME-manual,
# is theirs alone: no claim of a test running beside this one binds the
# volume.
volume_and_claim() { # name namespace
	cat <<YAML
apiVersion: v1
kind: PersistentVolume
metadata: {name: $1-pv}
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteOnce]
  storageClassName: $1-manual
  hostPath: {path: /tmp/$1}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: claim, namespace: $2}
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: $1-manual
  resources: {requests: {storage: 1Gi}}
YAML
}

# The Git servers: git daemon, smart HTTP behind nginx, sshd.
. "$BERTH_SOURCE_DIR/tests/helpers/git_servers.sh"
