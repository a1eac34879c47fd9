#!/usr/bin/env bash
# berth's three-way patch against kubectl 1.20.2's, on the real API server.
#
# Each directory in merge-cases/ is one case: applied.yaml (created with
# `kubectl apply`, so it carries the last-applied annotation, or with
# `kubectl create` when the case has a no-annotation file), an optional
# live-patch.json (a merge patch standing for another writer), and
# desired.yaml (the new manifest). For each case:
#   kubectl apply --dry-run=server -o json -f desired.yaml        -> A
#   berth's patch for (annotation, desired, live), sent dryRun=All -> B
# A and B must be identical less resourceVersion and managedFields, and
# berth's drift state must be the one in the case's `expect` file.
. "$(dirname "$0")/lib.sh"

: "${BERTH_MERGE_TOOL:?BERTH_MERGE_TOOL must name the merge tool of tests/helpers (ctest sets it)}"
cases=$(dirname "$0")/merge-cases
ns=berth-merge

cleanup() {
	# Finalizers set by the cases would hold the objects forever.
	for f in $(kubectl -n $ns get configmaps -o name 2>/dev/null); do
		kubectl -n $ns patch "$f" --type merge -p '{"metadata":{"finalizers":null}}' >/dev/null 2>&1 || true
	done
	kubectl delete namespace $ns --ignore-not-found --wait=true >/dev/null
	kubectl delete pv,storageclass -l berth-merge-case --ignore-not-found >/dev/null
	# widgets.berth.dev stays (see install_widget_crd); its Widgets went with
	# the namespace.
}
cleanup
trap 'cleanup; rm -rf "$scratch"' EXIT
kubectl create namespace $ns >/dev/null
install_widget_crd

# What may differ between two dry runs of the same change.
normalize='del(.metadata.resourceVersion, .metadata.managedFields, .status)'
# Does $a have every field of $b, with the same value?
holds='def holds($a; $b):
  if ($b|type) == "object" then ($a|type) == "object" and ([$b|keys[] as $k | holds($a[$k]; $b[$k])] | all)
  elif ($b|type) == "array" then ($a|type) == "array" and ($a|length) == ($b|length)
    and ([range(0; $b|length) as $i | holds($a[$i]; $b[$i])] | all)
  else $a == $b end;'
# Does the server's answer to berth's patch ($a) leave the live object ($l)
# as it was? As berth decides it (drift_answer_unchanged): less what every
# write changes, the last-applied annotations by meaning; `objects_same`
# leaves the annotation out.
same='def norm: del(.metadata.resourceVersion, .metadata.managedFields, .metadata.generation, .status);
  def la: .metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"];
  def with_la: if la then .metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"] |= (fromjson? // .) else . end;
  def without_la: del(.metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"])
    | if .metadata.annotations == {} then del(.metadata.annotations) else . end;'
passed=0 failed=0 asked=0 flipped=0
for dir in "$cases"/*/; do
	name=$(basename "$dir")
	out=$scratch/$name
	mkdir -p "$out"
	if [ -f "$dir/no-annotation" ]; then
		kubectl create -f "$dir/applied.yaml" >/dev/null
	else
		kubectl apply -f "$dir/applied.yaml" >/dev/null
	fi
	# Cluster-scoped objects are labelled so cleanup finds them.
	kubectl label -f "$dir/applied.yaml" berth-merge-case=1 --overwrite >/dev/null 2>&1 || true
	if [ -f "$dir/live-patch.json" ]; then
		kubectl patch -f "$dir/applied.yaml" --type merge -p "$(cat "$dir/live-patch.json")" >/dev/null
	fi
	kubectl get -f "$dir/applied.yaml" -o json >"$out/live.json"

	kubectl apply --dry-run=server -o json -f "$dir/desired.yaml" >"$out/kubectl.json"
	"$BERTH_MERGE_TOOL" "$dir/desired.yaml" "$out/live.json" >"$out/berth.json"
	case $(jq -r .contentType "$out/berth.json") in
	application/strategic-merge-patch+json) type=strategic ;;
	*) type=merge ;;
	esac
	kubectl patch -f "$dir/desired.yaml" --type $type -p "$(jq -c .patch "$out/berth.json")" \
		--dry-run=server -o json >"$out/berth-result.json"

	problem=
	if ! diff -u <(jq -S "$normalize" "$out/kubectl.json") \
		<(jq -S "$normalize" "$out/berth-result.json") >"$out/diff"; then
		problem="result differs from kubectl's"
	fi
	state=$(jq -r .state "$out/berth.json")
	if [ "$state" != "$(cat "$dir/expect")" ]; then
		problem="${problem:+$problem; }state $state, want $(cat "$dir/expect")"
	fi
	# Local drift is confirmed with one dry run of the patch; a local "in
	# sync" asks nothing, so the server must agree that nothing changes.
	if [ "$state" = drifted ]; then
		asked=$((asked + 1))
		if jq -e -n --slurpfile a "$out/berth-result.json" --slurpfile l "$out/live.json" \
			"$same"' ($a[0] | norm | with_la) == ($l[0] | norm | with_la)' >/dev/null; then
			flipped=$((flipped + 1))
			echo "  $name: drifted locally, in sync by the server's word"
		fi
	elif ! jq -e -n --slurpfile a "$out/berth-result.json" --slurpfile l "$out/live.json" \
		"$same"' ($a[0] | norm | without_la) == ($l[0] | norm | without_la)' >/dev/null; then
		problem="${problem:+$problem; }in sync locally, but the server's answer changes the object"
	fi
	# berth's own prediction must hold every field it predicts as the server
	# stores it (a new element gets server defaults the prediction lacks).
	if ! jq -e -n --slurpfile p <(jq .predicted "$out/berth.json") \
		--slurpfile s "$out/berth-result.json" "$holds"' holds($s[0]; $p[0] | del(.status, .metadata.resourceVersion, .metadata.generation, .metadata.managedFields))' \
		>/dev/null; then
		problem="${problem:+$problem; }the server result does not hold berth's prediction"
		jq -S '.predicted | del(.status)' "$out/berth.json" >"$out/predicted.json"
		diff <(jq -S 'del(.status)' "$out/predicted.json") <(jq -S 'del(.status)' "$out/berth-result.json") >"$out/predict-diff" || true
	fi
	if [ -n "$problem" ]; then
		failed=$((failed + 1))
		echo "not ok $name: $problem"
		echo "  patch: $(jq -c .patch "$out/berth.json")"
		sed -n '1,40s/^/  /p' "$out/diff"
		[ -f "$out/predict-diff" ] && sed -n '1,20s/^/  predicted: /p' "$out/predict-diff"
	else
		passed=$((passed + 1))
		echo "ok $name ($state)"
	fi
	kubectl -n $ns patch -f "$dir/applied.yaml" --type merge -p '{"metadata":{"finalizers":null}}' >/dev/null 2>&1 || true
	kubectl delete -f "$dir/applied.yaml" --wait=false >/dev/null
done
echo "$passed passed, $failed failed"
echo "figure: dry-run confirmations: $asked of $((passed + failed)) cases drift locally and would" \
	"cost one each; $flipped of them are in sync by the server's word; the in-sync cases cost none"
[ "$failed" -eq 0 ] && [ "$passed" -ge 60 ] || fail "berth and kubectl disagree on $failed of $((passed + failed)) cases"
echo PASS
