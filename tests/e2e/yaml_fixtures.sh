#!/usr/bin/env bash
# Pin the YAML fixtures of tests/fixtures/yaml_doc/ against what the real API
# server stores. Each fixture is a Widget custom resource (its spec is kept
# as given); it is created with kubectl 1.20.2 and read back, and its spec
# must equal the fixture's NAME.spec.json. The unit test test_yaml checks
# berth's own parser against the same files, so both agree with Kubernetes.
#
# BERTH_RECORD_FIXTURES=1 writes the .spec.json files instead of comparing.
. "$(dirname "$0")/lib.sh"

fixtures=$BERTH_SOURCE_DIR/tests/fixtures/yaml_doc
ns=berth-fixtures

cleanup() {
	kubectl delete namespace $ns --ignore-not-found --wait=true >/dev/null
}
cleanup
trap 'cleanup; rm -rf "$scratch"' EXIT
kubectl create namespace $ns >/dev/null
install_widget_crd

count=0
for f in "$fixtures"/*.yaml "$fixtures"/*.json; do
	case $f in *.spec.json) continue ;; esac
	want=${f%.*}.spec.json
	kubectl create -f "$f" >/dev/null
	got=$(kubectl get -f "$f" -o json | jq -cS .spec)
	if [ "${BERTH_RECORD_FIXTURES:-}" = 1 ]; then
		printf '%s\n' "$got" >"$want"
	else
		[ -f "$want" ] || fail "$f: no $want (record it with BERTH_RECORD_FIXTURES=1)"
		assert_eq "$got" "$(jq -cS . "$want")" "$(basename "$f"): what the server stores"
	fi
	count=$((count + 1))
done
echo "$count fixtures agree with the API server"

note "what JSON cannot hold is refused, by kubectl and by berth"
printf 'apiVersion: berth.dev/v1\nkind: Widget\nmetadata: {name: inf, namespace: %s}\nspec: {v: .inf}\n' $ns >"$scratch/inf.yaml"
kubectl create -f "$scratch/inf.yaml" >/dev/null 2>&1 && fail "kubectl accepted .inf"
status=0
out=$("$BERTH" lint "$scratch/inf.yaml" 2>/dev/null) || status=$?
assert_eq "$status" 1 "berth lint exit status for .inf"
assert_contains "$out" "inf.yaml:4:11: widget.berth.dev berth-fixtures/inf: an infinity cannot be represented in JSON" "berth lint"
echo PASS
