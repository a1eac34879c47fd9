# Helpers for the e2e tests. Source it first; it fails the test at once when
# there is no control plane to test against (e2e tests never skip).
set -euo pipefail

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

note() {
	echo "--- $*"
}

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

assert_eq() { # actual expected what
	[ "$1" = "$2" ] || fail "$3: got '$1', want '$2'"
}

assert_contains() { # haystack needle what
	case $1 in
	*"$2"*) ;;
	*) fail "$3: '$2' not in: $1" ;;
	esac
}

assert_not_contains() { # haystack needle what
	case $1 in
	*"$2"*) fail "$3: '$2' must not appear in: $1" ;;
	*) ;;
	esac
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

# Wait up to $1 seconds for a command to succeed; say what on time-out.
# The cache the control plane's binaries are in, before a test moves
# XDG_CACHE_HOME for berth's own.
cluster_cache=${XDG_CACHE_HOME:-$HOME/.cache}
cluster() { # verb: the cluster.sh verb for the cluster under test
	XDG_CACHE_HOME=$cluster_cache BERTH_CLUSTERS=$(dirname "$BERTH_CLUSTER_DIR") \
		"$BERTH_SOURCE_DIR/deploy/local/cluster.sh" "$1" "$(basename "$BERTH_CLUSTER_DIR")"
}

wait_until() { # seconds what command...
	local limit=$1 what=$2 deadline=$((SECONDS + $1))
	shift 2
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $deadline ] || fail "timed out after ${limit}s waiting for $what"
		sleep 0.5
	done
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
# The writes berth made in audit lines on stdin, less dry runs, one
# "verb resource name" line each.
berth_writes() {
	jq -r 'select(.userAgent | startswith("berth/")) | select(.stage == "ResponseComplete")
	       | select(.verb | test("create|update|patch|delete"))
	       | select(.requestURI | contains("dryRun") | not)
	       | "\(.verb) \(.objectRef.resource) \(.objectRef.name)"'
}
# The dry runs berth sent in audit lines on stdin.
berth_dry_runs() {
	jq -r 'select(.userAgent | startswith("berth/")) | select(.stage == "ResponseComplete")
	       | select(.requestURI | contains("dryRun=All"))
	       | "\(.verb) \(.objectRef.resource) \(.objectRef.name)"'
}

# Remove what seed 004's walkthrough (examples/hostpath-walkthrough) makes,
# claims and volumes included.
delete_walkthrough() {
	kubectl delete statefulset web2 --ignore-not-found --wait=true >/dev/null
	kubectl delete service nginx2 --ignore-not-found >/dev/null
	kubectl delete pvc www-web2-0 www-web2-1 --ignore-not-found --wait=true >/dev/null
	kubectl delete pv nginx2-pv-volume nginx22-pv-volume --ignore-not-found --wait=true >/dev/null
	kubectl delete storageclass my-storage-class --ignore-not-found >/dev/null
}

# The Widget custom resource definition (berth.dev/v1, namespaced, its spec
# kept as given): a kind kubectl has no schema for.
install_widget_crd() {
	kubectl apply -f - >/dev/null <<'YAML'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.berth.dev}
spec:
  group: berth.dev
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, x-kubernetes-preserve-unknown-fields: true}
YAML
	wait_until 60 "CRD widgets.berth.dev Established" \
		kubectl wait --for condition=established --timeout=1s crd/widgets.berth.dev
}

# A scratch directory removed when the test ends.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# A manual 1Gi PersistentVolume NAME-pv (hostPath /tmp/NAME) and the claim
# "claim" in namespace NS that it can serve, as YAML.
volume_and_claim() { # name namespace
	cat <<YAML
apiVersion: v1
kind: PersistentVolume
metadata: {name: $1-pv}
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteOnce]
  storageClassName: manual
  hostPath: {path: /tmp/$1}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: claim, namespace: $2}
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: manual
  resources: {requests: {storage: 1Gi}}
YAML
}

# The Git servers: git daemon, smart HTTP behind nginx, sshd.
. "$BERTH_SOURCE_DIR/tests/helpers/git_servers.sh"
