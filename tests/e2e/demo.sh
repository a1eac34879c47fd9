#!/usr/bin/env bash
# The README's first command, deploy/local/demo.sh, end to end on the cluster
# under test (with the berth under test, so it builds nothing): each of its
# seven steps shows what it says it shows, and the walkthrough is left as the
# demo says (checked, then deleted).
. "$(dirname "$0")/lib.sh"

delete_walkthrough
trap 'delete_walkthrough; rm -rf "$scratch"' EXIT

note "deploy/local/demo.sh"
start=$(date +%s%N)
status=0
XDG_CACHE_HOME=$cluster_cache BERTH_CLUSTERS=$(dirname "$BERTH_CLUSTER_DIR") \
	BERTH_DEMO_CLUSTER=$(basename "$BERTH_CLUSTER_DIR") BERTH_DEMO_DIR=$scratch/demo \
	"$BERTH_SOURCE_DIR/deploy/local/demo.sh" >"$scratch/demo.out" 2>&1 || status=$?
out=$(cat "$scratch/demo.out")
[ $status = 0 ] || fail "demo.sh exited $status: $out"
echo "figure: the demo took $((($(date +%s%N) - start) / 1000000)) ms (its control plane already up)"
mkdir -p "${BERTH_TEST_OUTPUT:-$scratch}/demo"
cp "$scratch/demo.out" "${BERTH_TEST_OUTPUT:-$scratch}/demo/demo.out"

# The lines of one step: from its heading to the next.
step() { awk -v n="$1." '/^== [0-9]+\. / { on = $2 == n } on && NF' <<<"$out"; }
note "each step shows the command and what it does"
assert_contains "$(step 2)" '$ git -C '"$scratch/demo/walkthrough"' commit -q -am "seed 004: the walkthrough"' "step 2: the commit"
# Step 3: the phases in their order, and the waits between them.
order=$(step 3 | sed -n 's/^\[[0-9]*\/5\] \([^ ]*\) created$/\1/p' | sed 's/\/.*//' | uniq | tr '\n' ' ')
assert_eq "$order" "storageclass.storage.k8s.io persistentvolume service statefulset.apps " "step 3: the phases"
assert_contains "$(step 3)" "statefulset default/web2 ready after" "step 3: the StatefulSet's wait"
assert_contains "$(step 3)" "5 objects: 5 created" "step 3: the summary"
[ "$(step 4 | grep -c 'persistentvolumeclaim/www-web2-[01] *Bound')" = 2 ] || fail "step 4: both claims Bound: $(step 4)"
assert_contains "$(step 5)" "-  replicas: 1" "step 5: the drift"
assert_contains "$(step 5)" "(exit status 1)" "step 5: berth diff's exit status"
assert_contains "$(step 6)" "[5/5] statefulset.apps/web2 configured" "step 6: the sync"
assert_eq "$(step 6 | tail -n 1)" "(exit status 0)" "step 6: berth diff's exit status"
sha=$(git -C "$scratch/demo/walkthrough" rev-parse HEAD)
assert_contains "$(step 7)" "msg=applied source=walkthrough commit=$sha " "step 7: the agent applies the push"
assert_contains "$(step 7)" "statefulset default/web2 ready after" "step 7: the rollout's wait"
assert_contains "$(step 7)" "1 of 1 pods updated, ordinals 1 and up (partition 1)" "step 7: the partition"
assert_contains "$out" "deploy/local/cluster.sh down $(basename "$BERTH_CLUSTER_DIR")" "the line saying how to stop"

note "the cluster is left as the demo ends: web2-1 on the new image, web2-0 on the old"
images=$(kubectl get pods -l app=nginx2 -o jsonpath='{range .items[*]}{.metadata.name}={.spec.containers[0].image} {end}')
assert_eq "$images" "web2-0=k8s.gcr.io/nginx-slim:0.8 web2-1=k8s.gcr.io/nginx-slim:0.9 " "the pods' images"
echo PASS
