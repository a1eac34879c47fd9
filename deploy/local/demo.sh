#!/usr/bin/env bash
# berth's whole mission in two minutes, on seed 004's walkthrough
# (examples/hostpath-walkthrough): pull from Git, apply in order with the
# waits, drift found and corrected, and the agent rolling out a new image
# partition by partition. Each step prints what a person would type.
#
#   deploy/local/demo.sh
#
# It installs what is missing (deploy/local/deps.sh), brings up the local
# control plane "demo" (building Kubernetes 1.20.2 from Debian's source the
# first time, about 5 minutes), builds berth into build/release, and leaves
# the cluster up. The walkthrough's objects in "default" are replaced.
#   BERTH_DEMO_CLUSTER  another cluster name (default: demo)
#   BERTH_DEMO_DIR      where the Git repository goes (default: /tmp/berth-demo)
#   BERTH               a berth binary to use instead of building one
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cluster=${BERTH_DEMO_CLUSTER:-demo}
work=${BERTH_DEMO_DIR:-/tmp/berth-demo}
example=$root/examples/hostpath-walkthrough
repo=$work/walkthrough.git

step() {
	if [ -t 1 ]; then printf '\n\033[1m== %s\033[0m\n' "$*"; else printf '\n== %s\n' "$*"; fi
}
# Print a command as a person would type it (berth and kubectl by name), then
# run it; its exit status goes to STATUS, and is printed when not 0.
run() {
	local arg shown=
	for arg in "$@"; do
		[[ $arg != *" "* ]] || arg="\"$arg\""
		shown+=" $arg"
	done
	shown=${shown//"$berth"/berth}
	shown=${shown//"$BERTH_KUBECTL"/kubectl}
	printf '$%s\n' "$shown"
	STATUS=0
	"$@" || STATUS=$?
	[ $STATUS = 0 ] || echo "(exit status $STATUS)"
}

step "1. the local control plane, and berth"
"$root/deploy/local/deps.sh"
"$root/deploy/local/cluster.sh" up "$cluster"
if [ -n "${BERTH:-}" ]; then
	berth=$BERTH
else
	cmake -S "$root" -B "$root/build/release" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF >/dev/null
	cmake --build "$root/build/release" -j"$(nproc)" >/dev/null
	berth=$root/build/release/berth
fi
eval "$("$root/deploy/local/cluster.sh" env "$cluster")"
start=$(date +%s)
# A fresh start: the walkthrough of an earlier run goes, claims and volumes too.
for kind in statefulset/web2 service/nginx2; do
	"$BERTH_KUBECTL" delete "$kind" --ignore-not-found --wait=true >/dev/null
done
"$BERTH_KUBECTL" delete pvc -l app=nginx2 --ignore-not-found --wait=true >/dev/null
"$BERTH_KUBECTL" delete -f "$example" --ignore-not-found --wait=true --timeout=60s >/dev/null

step "2. a Git repository of the walkthrough: StorageClass, two hostPath volumes, headless Service, StatefulSet web2"
rm -rf "$work"
mkdir -p "$work"
export GIT_AUTHOR_NAME=demo GIT_AUTHOR_EMAIL=demo@example.com
export GIT_COMMITTER_NAME=demo GIT_COMMITTER_EMAIL=demo@example.com
commit() { # message
	run git -C "$work/walkthrough" commit -q -am "$1"
	run git -C "$work/walkthrough" push -q "$repo" HEAD:refs/heads/main
}
run git init -q --bare "$repo"
run git init -q "$work/walkthrough"
run cp -r "$example"/. "$work/walkthrough/"
run git -C "$work/walkthrough" add .
commit "seed 004: the walkthrough"

step "3. berth sync: the whole commit checked, then applied phase by phase, each waited for"
run "$berth" sync --repo "$repo" --ref main

step "4. both claims Bound, as the walkthrough ends"
run "$BERTH_KUBECTL" get pv,pvc

step "5. a change by hand is drift: berth diff says what, and exits 1"
run "$BERTH_KUBECTL" scale statefulset web2 --replicas=1
run "$berth" diff --repo "$repo" --ref main

step "6. berth sync puts it back; berth diff exits 0"
run "$berth" sync --repo "$repo" --ref main
run "$berth" diff --repo "$repo" --ref main
echo "(exit status $STATUS)"

step "7. berth run follows the repository: a new image, rolled out above partition 1 only"
sed "s#^\(  repo: \).*#\1$repo#" "$root/examples/agent/berth-run.yaml" >"$work/berth-run.yaml"
printf '$ berth run --config examples/agent/berth-run.yaml --log-level debug &\n'
"$berth" run --config "$work/berth-run.yaml" --log-level debug --listen 127.0.0.1:0 2>"$work/agent.log" &
agent=$!
trap 'kill "$agent" 2>/dev/null || :' EXIT
# Its log, as it comes: what it applies, and each write and wait.
tail -n +1 -f "$work/agent.log" --pid "$agent" |
	grep --line-buffered -E 'msg=(started|applied|progress|stopped|"reconcile failed")' |
	sed -u 's/^time=[^ ]* //' &
logger=$!
applied() { grep -q "msg=applied source=walkthrough commit=$1" "$work/agent.log"; }
wait_for() { # what seconds command...
	local what=$1 deadline=$(($(date +%s) + $2))
	shift 2
	until "$@"; do
		kill -0 "$agent" 2>/dev/null || { echo "berth run stopped: see $work/agent.log" >&2; exit 1; }
		[ "$(date +%s)" -lt "$deadline" ] || { echo "timed out waiting for $what" >&2; exit 1; }
		sleep 0.2
	done
}
wait_for "the agent's first reconcile" 60 applied "$(git -C "$work/walkthrough" rev-parse HEAD)"
cat >>"$work/walkthrough/statefulset.yaml" <<'YAML'
  updateStrategy:
    type: RollingUpdate
    rollingUpdate:
      partition: 1
YAML
sed -i 's#image: k8s.gcr.io/nginx-slim:0.8#image: k8s.gcr.io/nginx-slim:0.9#' "$work/walkthrough/statefulset.yaml"
printf '$ (edit statefulset.yaml: image nginx-slim:0.9, updateStrategy partition 1)\n'
run git -C "$work/walkthrough" diff --stat
commit "web2: nginx-slim 0.9, a canary on ordinals 1 and up"
wait_for "the agent to apply the new commit" 90 applied "$(git -C "$work/walkthrough" rev-parse HEAD)"
kill -TERM "$agent"
wait "$agent" || :
trap - EXIT
wait "$logger" 2>/dev/null || :
run "$BERTH_KUBECTL" get pods -l app=nginx2 \
	-o custom-columns=POD:.metadata.name,IMAGE:.spec.containers[0].image,REVISION:.metadata.labels.controller-revision-hash
echo "web2-1 runs the new image; web2-0, below the partition, keeps the old one until it is lowered."

echo
echo "The demo took $(($(date +%s) - start)) s. The cluster is still up:"
echo "  eval \"\$(deploy/local/cluster.sh env $cluster)\""
echo "  $([ -n "${BERTH:-}" ] && echo "$berth" || echo build/release/berth) diff --repo $repo"
echo "  deploy/local/cluster.sh down $cluster      # to stop it"
