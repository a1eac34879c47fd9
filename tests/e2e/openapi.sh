#!/usr/bin/env bash
# The server's OpenAPI schema: `berth lint --kubeconfig` reports seed 002's
# pod-level volumeMounts as an unknown field of PodSpec, with its file:line
# and where it belongs; the schema is fetched once and then read from the
# compressed cache; a damaged cache is fetched again; a custom resource is
# checked against its CRD even when the cache predates it; sync refuses
# before any write; and every runnable example passes.
. "$(dirname "$0")/lib.sh"

export XDG_CACHE_HOME=$scratch/cache
cache_dir=$XDG_CACHE_HOME/berth/openapi

# A kind of its own, which the cache must not know yet (widgets.berth.dev
# may be there before this test, from the tests beside it).
cleanup() {
	kubectl delete crd sprockets.berth.dev --ignore-not-found >/dev/null
}
cleanup
trap 'cleanup; drop_identity; rm -rf "$scratch"' EXIT
# Its own user: the OpenAPI fetches counted are this test's alone.
own_identity openapi

# berth's requests between two marks, as "verb URI" lines.
requests_between() {
	audit_between "$1" "$2" | berth_requests
}

count_openapi() {
	grep -c '^get /openapi/v2$' <<<"$1" || [ $? = 1 ]
}

want="statefulset.yaml:22:7: statefulset 'web': spec.template.spec.volumeMounts: unknown field \"volumeMounts\" in io.k8s.api.core.v1.PodSpec; it belongs in each container (spec.template.spec.containers[].volumeMounts)"

note "lint --kubeconfig: the pod-level volumeMounts is an unknown field of PodSpec"
audited cold run_berth lint --kubeconfig "$KUBECONFIG" "$examples/broken/pod-level-volumemounts"
cold=$took
[ "$STATUS" = 1 ] || fail "lint exited $STATUS: $OUT $ERR"
assert_contains "$OUT" "$examples/broken/pod-level-volumemounts/$want" "the schema's error"
# The offline check finds the same field: said once, in the schema's words.
assert_not_contains "$OUT" "unknown field of PodSpec" "the offline check's repeat"
requests=$(requests_between "$from" "$to")
assert_eq "$(count_openapi "$requests")" 1 "GET /openapi/v2 on a cold cache"

note "the schema is cached, compressed, per server version"
files=$(ls "$cache_dir")
case $files in
v1.20.2-????????????????.json.gz) ;;
*) fail "cache files: '$files'" ;;
esac
cache=$cache_dir/$files
gzip -t "$cache" || fail "$cache is not gzip"
defs=$(gzip -dc "$cache" | jq '.definitions | length')
[ "$defs" -gt 500 ] || fail "the cache holds $defs definitions"
gzip -dc "$cache" | jq -e '.definitions["io.k8s.api.core.v1.PodSpec"].properties.containers' \
	>/dev/null || fail "PodSpec is not in the cache"
echo "    cache: $(stat -c %s "$cache") bytes for $defs definitions," \
	"$(gzip -dc "$cache" | wc -c) uncompressed"

note "a second run reads the cache: no GET /openapi/v2"
audited warm run_berth lint --kubeconfig "$KUBECONFIG" "$examples/broken/pod-level-volumemounts"
warm=$took
[ "$STATUS" = 1 ] || fail "second lint exited $STATUS: $OUT $ERR"
assert_contains "$OUT" "$want" "the schema's error, from the cache"
requests=$(requests_between "$from" "$to")
assert_eq "$(count_openapi "$requests")" 0 "GET /openapi/v2 with the cache warm"
assert_eq "$(grep -c '^get /version$' <<<"$requests" || [ $? = 1 ])" 1 "GET /version with the cache warm"
echo "    lint: ${cold} ms fetching the schema, ${warm} ms from the cache"

note "a damaged cache is fetched again"
head -c 2000 "$cache" >"$scratch/cut" && mv "$scratch/cut" "$cache"
audited damaged run_berth lint --kubeconfig "$KUBECONFIG" "$examples/broken/pod-level-volumemounts"
[ "$STATUS" = 1 ] || fail "lint on a damaged cache exited $STATUS: $OUT $ERR"
assert_contains "$OUT" "$want" "the schema's error, fetched again"
assert_contains "$ERR" "warning: '$cache': truncated or damaged; fetching the OpenAPI schema again" \
	"the warning"
requests=$(requests_between "$from" "$to")
assert_eq "$(count_openapi "$requests")" 1 "GET /openapi/v2 after damage"
gzip -t "$cache" || fail "the cache was not rewritten whole"

note "without --kubeconfig, lint stays offline whatever KUBECONFIG says"
from=$(audit_mark offline-before)
status=0
out=$(cd "$examples/broken/pod-level-volumemounts" && "$BERTH" lint . 2>/dev/null) || status=$?
to=$(audit_mark offline-after)
requests=$(requests_between "$from" "$to")
assert_eq "$requests" "" "requests of an offline lint"
assert_eq "$status" 1 "offline lint's exit status"
assert_eq "$(sed 's|^\./||' <<<"$out")" \
	"$(cat "$examples/broken/pod-level-volumemounts/expected-error.txt")" "offline lint"

note "a custom resource is checked against a CRD newer than the cache"
# The Widget holds the group berth.dev/v1 while the Sprocket comes and goes.
install_widget_crd
install_crd sprockets Sprocket
# The server publishes a new CRD's schema a moment after it is Established.
wait_until 60 "the Sprocket schema in /openapi/v2" \
	bash -c "'$BERTH_KUBECTL' get --raw /openapi/v2 | jq -e '.definitions[\"dev.berth.v1.Sprocket\"]'"
cat >"$scratch/sprocket.yaml" <<'YAML'
apiVersion: berth.dev/v1
kind: Sprocket
metadata: {name: w}
spec: {size: 3, parts: [a, b]}
colour: red
YAML
audited crd run_berth lint --kubeconfig "$KUBECONFIG" "$scratch/sprocket.yaml"
[ "$STATUS" = 1 ] || fail "lint of a Sprocket with an unknown field exited $STATUS: $OUT $ERR"
assert_eq "$OUT" "$scratch/sprocket.yaml:5:1: sprocket 'w': colour: unknown field \"colour\" in dev.berth.v1.Sprocket" \
	"the Sprocket's unknown field"
requests=$(requests_between "$from" "$to")
assert_eq "$(count_openapi "$requests")" 1 "GET /openapi/v2 for a new CRD"
sed -i '/^colour/d' "$scratch/sprocket.yaml"
audited cached run_berth lint --kubeconfig "$KUBECONFIG" "$scratch/sprocket.yaml"
[ "$STATUS" = 0 ] || fail "lint of a sound Sprocket exited $STATUS: $OUT $ERR"
requests=$(requests_between "$from" "$to")
assert_eq "$(count_openapi "$requests")" 0 "GET /openapi/v2, Sprocket cached"

note "sync refuses a schema error before any write"
audited refused run_berth sync -f "$examples/broken/volumes-outside-pod-template"
[ "$STATUS" = 1 ] || fail "sync exited $STATUS: $OUT $ERR"
assert_contains "$ERR" "statefulset.yaml:22:3: statefulset 'web-statefulset': spec.volumes: unknown field \"volumes\" in io.k8s.api.apps.v1.StatefulSetSpec; it belongs in spec.template.spec.volumes" \
	"sync's refusal"
assert_contains "$ERR" "nothing was changed" "sync's refusal"
requests=$(requests_between "$from" "$to")
[ -n "$requests" ] || fail "the refused sync made no request at all: it read nothing to refuse with"
writes=$(grep -Ev '^(get|list) ' <<<"$requests" || [ $? = 1 ])
assert_eq "$writes" "" "writes of a refused sync"
run_berth diff -f "$examples/broken/volumes-outside-pod-template"
[ "$STATUS" = 2 ] || fail "diff exited $STATUS: $OUT $ERR"
assert_contains "$ERR" "in io.k8s.api.apps.v1.StatefulSetSpec" "diff's refusal"

note "every runnable example passes the schema"
for f in $folders; do
	dir=$examples/$f
	run_berth lint --kubeconfig "$KUBECONFIG" "$dir"
	[ "$STATUS" = 0 ] || fail "berth lint --kubeconfig $dir exited $STATUS: $OUT $ERR"
done

echo "PASS"
