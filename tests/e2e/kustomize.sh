#!/usr/bin/env bash
# Kustomize folders, built by berth, against the real control plane (issue 25):
#   - where kubectl 1.32 (kustomize v5.5.0) is on PATH, the golden corpus is
#     rendered again and must not be stale (the unit test compares berth's
#     builds with it object for object);
#   - berth sync of the corpus's base and two overlays (one sets namespace,
#     namePrefix, an image and a replica count; one patches the
#     volumeClaimTemplates' storage and the container's resources): every
#     object in place, berth diff exits 0, a second sync writes nothing;
#   - commonLabels that would change a live StatefulSet's selector: refused at
#     the kustomization's line, naming berth.io/recreate: orphan, nothing
#     written;
#   - each refused kustomization of the corpus is refused at its line and
#     sends no request at all;
#   - a problem in a built object names its resource's line and the patch.
. "$(dirname "$0")/lib.sh"

corpus=$BERTH_SOURCE_DIR/tests/fixtures/kustomize
base_ns=berth-kz-base
cleanup() {
	kubectl delete namespace "$base_ns" berth-staging berth-storage --ignore-not-found \
		--wait=true >/dev/null
}
cleanup
trap 'cleanup; drop_identity; rm -rf "$scratch"' EXIT
own_identity kustomize
fresh_namespaces "$base_ns" berth-staging berth-storage

note "the golden files against the reference, when it is on PATH"
if command kubectl version --client 2>/dev/null | grep -q '^Kustomize Version: v5.5.0$'; then
	"$corpus/regen.sh" --check || fail "the golden corpus is stale against kubectl kustomize"
else
	echo "    kubectl with kustomize v5.5.0 is not on PATH: golden files not rendered again"
fi

note "berth build prints what sync applies, in kustomize's order"
run_berth build "$corpus/overlays/staging"
[ "$STATUS" = 0 ] || fail "build exited $STATUS: $ERR"
assert_eq "$(printf '%s\n' "$OUT" | sed -n 's/^kind: //p' | tr '\n' ' ')" \
	"ServiceAccount ConfigMap Service StatefulSet " "kinds in kustomize's order"
assert_contains "$OUT" "name: staging-db-settings-hbh7t99kc4" "generated name with its hash"

note "sync the base and two overlays"
audited sync-base run_berth sync -n "$base_ns" -f "$corpus/overlays/base" --timeout 120s
[ "$STATUS" = 0 ] || fail "sync of the base exited $STATUS: $ERR"
assert_contains "$OUT" "4 objects: 4 created" "base summary"
for overlay in staging big-storage; do
	run_berth sync -f "$corpus/overlays/$overlay" --timeout 120s
	[ "$STATUS" = 0 ] || fail "sync of $overlay exited $STATUS: $ERR"
	assert_contains "$OUT" "4 objects: 4 created" "$overlay summary"
done

note "every object in place"
assert_eq "$(kubectl get statefulset db -n "$base_ns" -o jsonpath='{.spec.template.spec.containers[0].envFrom[0].configMapRef.name}')" \
	db-settings-hbh7t99kc4 "base: the ConfigMap reference follows the hash"
assert_eq "$(kubectl get configmap db-settings-hbh7t99kc4 -n "$base_ns" -o jsonpath='{.data.POSTGRES_DB}')" \
	orders "base: the generated ConfigMap"
assert_eq "$(kubectl get statefulset staging-db -n berth-staging -o jsonpath='{.spec.replicas} {.spec.serviceName} {.spec.template.spec.containers[0].image} {.spec.template.spec.serviceAccountName}')" \
	"2 staging-db postgres:16.4 staging-db" "staging: replicas, serviceName, image and ServiceAccount"
assert_eq "$(kubectl get statefulset db -n berth-storage -o jsonpath='{.spec.volumeClaimTemplates[0].spec.resources.requests.storage} {.spec.template.spec.containers[0].resources.requests.memory}')" \
	"10Gi 1Gi" "big-storage: the claim template's storage and the container's memory"
assert_eq "$(kubectl get statefulset staging-db -n berth-staging -o jsonpath='{.status.readyReplicas}')" \
	2 "staging: both pods ready when sync returned"

note "diff exits 0 for each, and a second sync writes nothing"
run_berth diff -n "$base_ns" -f "$corpus/overlays/base"
[ "$STATUS" = 0 ] || fail "diff of the base exited $STATUS: $OUT$ERR"
for overlay in staging big-storage; do
	run_berth diff -f "$corpus/overlays/$overlay"
	[ "$STATUS" = 0 ] || fail "diff of $overlay exited $STATUS: $OUT$ERR"
done
audited again run_berth sync -f "$corpus/overlays/staging"
[ "$STATUS" = 0 ] || fail "second sync exited $STATUS: $ERR"
assert_contains "$OUT" "4 objects: 0 created, 0 configured, 0 recreated, 4 unchanged" "no-op sync"
assert_eq "$(audit_between "$from" "$to" | berth_writes)" "" "writes of the second sync"

note "labels that would change a live StatefulSet's selector are refused at their line"
mkdir -p "$scratch/repo"
cp -r "$corpus/overlays/base" "$scratch/repo/base"
git -C "$scratch/repo" init -q
mkdir "$scratch/repo/labelled"
cat >"$scratch/repo/labelled/kustomization.yaml" <<YAML
namespace: $base_ns
resources:
  - ../base
commonLabels:
  tier: database
YAML
audited labels run_berth sync -f "$scratch/repo/labelled"
[ "$STATUS" = 1 ] || fail "sync with selector labels exited $STATUS: $ERR"
assert_contains "$ERR" "labelled/kustomization.yaml:4:1: statefulset $base_ns/db" "the kustomization's line"
assert_contains "$ERR" "spec.selector.matchLabels.tier" "the selector named"
assert_contains "$ERR" "annotate it berth.io/recreate: orphan" "the way through"
echo "$ERR"
assert_eq "$(audit_between "$from" "$to" | berth_writes)" "" "writes of the refused sync"

note "each refused kustomization is refused at its line, before any request"
from=$(audit_mark refused-before)
for case in $(find "$corpus/refused" -name expected-error.txt | sort); do
	case=${case%/expected-error.txt}
	grep -q '^kubectl accepts this' "$case/expected-error.txt" && continue
	run_berth sync -f "$case"
	[ "$STATUS" = 1 ] || fail "sync of refused/${case#"$corpus"/refused/} exited $STATUS: $ERR"
	grep -q "^[^ ]*kustomization.yaml:[0-9]*:[0-9]*: " <<<"$ERR" ||
		fail "refused/${case#"$corpus"/refused/}: no kustomization file:line in: $ERR"
	echo "    refused/${case#"$corpus"/refused/}: ${ERR%%$'\n'*}"
done
to=$(audit_mark refused-after)
assert_eq "$(audit_between "$from" "$to" | berth_requests)" "" "requests of the refused syncs"

note "a problem in a built object names its resource and the patch"
mkdir "$scratch/repo/broken"
cat >"$scratch/repo/broken/kustomization.yaml" <<'YAML'
resources:
  - ../base
patches:
  - target: {kind: StatefulSet}
    patch: |
      - {op: replace, path: /spec/serviceName, value: nowhere}
YAML
run_berth lint "$scratch/repo/broken"
[ "$STATUS" = 0 ] || fail "lint of a patch to a missing Service exited $STATUS: $OUT$ERR"
assert_contains "$OUT" "base/statefulset.yaml:6:3: warning: statefulset 'db': spec.serviceName: no Service 'nowhere'" \
	"the resource's file and line"
assert_contains "$OUT" "(changed by the patch at $scratch/repo/broken/kustomization.yaml:5)" "the patch"
note "berth run follows a kustomize path of a Git source"
mkdir "$scratch/repo/run"
cat >"$scratch/repo/run/kustomization.yaml" <<'YAML'
namePrefix: run-
resources:
  - ../base
YAML
rm -rf "$scratch/repo/broken" "$scratch/repo/labelled"
git -C "$scratch/repo" add -A
git -C "$scratch/repo" -c user.name=t -c user.email=t@example.com commit -qm overlays
cat >"$scratch/berth.yaml" <<YAML
sources:
- name: kustomized
  repo: $scratch/repo
  path: run
  namespace: $base_ns
YAML
run_berth run --config "$scratch/berth.yaml" --once
[ "$STATUS" = 0 ] || fail "run --once exited $STATUS: $ERR"
assert_eq "$(kubectl get statefulset run-db -n "$base_ns" -o jsonpath='{.spec.serviceName} {.spec.template.spec.containers[0].envFrom[0].configMapRef.name}')" \
	"run-db run-db-settings-hbh7t99kc4" "the overlay applied by berth run"
run_berth diff --repo "$scratch/repo" --path run -n "$base_ns"
[ "$STATUS" = 0 ] || fail "diff --repo of the overlay exited $STATUS: $OUT$ERR"
echo PASS
