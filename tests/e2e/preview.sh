#!/usr/bin/env bash
# The preview of a pull request's commit, one-shot: berth diff --repo --ref
# BRANCH --status-... on the real control plane, with the forge test server
# playing GitHub.
# - A branch that changes objects (a ConfigMap, a Secret, a StatefulSet's
#   claim template), adds one and removes one: the preview status under
#   {context}/preview with the counts, the Markdown report (a table per
#   kind, a folded diff per change, the Secret masked, the claim template's
#   growth spelled out), and not one write to the cluster in the audit log,
#   dry runs included.
# - A branch that breaks a check: failure with the file:line.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/forge_lib.sh"

ns=berth-preview
class=berth-preview-expand
cleanup() {
	forge_cleanup "$ns"
	kubectl delete storageclass "$class" --ignore-not-found >/dev/null
}
cleanup
trap 'cleanup; drop_identity; rm -rf "$scratch"' EXIT
own_identity preview
fresh_namespaces "$ns"
# Every write berth sent as this test's user between two marks, dry runs
# too, one "verb URI" line each.
writes_between() {
	audit_between "$1" "$2" | berth_requests | { grep -E '^(create|update|patch|delete) ' || [ $? = 1 ]; }
}

github_project preview

manifests() { # change-value storage secret [annotations]
	cat <<YAML
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: $class}
provisioner: kubernetes.io/no-provisioner
allowVolumeExpansion: true
---
apiVersion: v1
kind: ConfigMap
metadata: {name: keep}
data: {value: "same"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: change}
data: {value: "$1"}
---
apiVersion: v1
kind: Secret
metadata: {name: creds}
stringData: {password: "$3"}
---
apiVersion: v1
kind: Service
metadata: {name: db}
spec: {clusterIP: None, selector: {app: db}, ports: [{port: 5432}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
  annotations: {${4:-}}
spec:
  serviceName: db
  replicas: 0
  selector:
    matchLabels: {app: db}
  template:
    metadata:
      labels: {app: db}
    spec:
      containers:
      - name: db
        image: postgres:13
        volumeMounts: [{name: www, mountPath: /var/lib/postgresql/data}]
  volumeClaimTemplates:
  - metadata: {name: www}
    spec:
      accessModes: [ReadWriteOnce]
      storageClassName: $class
      resources: {requests: {storage: $2}}
YAML
}
commit() { git_commit "$scratch/work" "$scratch/app.git" "$1" "$2"; } # message branch

note "the base branch, deployed by berth sync"
manifests old 1Gi base-password-$RANDOM >"$scratch/work/app.yaml"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: gone}\ndata: {value: "1"}\n' \
	>"$scratch/work/gone.yaml"
base=$(commit base main)
run_berth sync --repo "$scratch/app.git" -n "$ns" --prune --timeout 60s
[ "$STATUS" = 0 ] || fail "berth sync of the base exited $STATUS: $ERR"

note "a pull request's branch: one object changed (and two more), one added, one removed"
git -C "$scratch/work" checkout -q -b feature
secret=feature-password-$RANDOM$RANDOM
manifests new 5Gi "$secret" 'berth.io/recreate: orphan' >"$scratch/work/app.yaml"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: added}\ndata: {value: "<b>hi</b>"}\n' \
	>"$scratch/work/added.yaml"
git -C "$scratch/work" rm -q gone.yaml
head=$(commit feature feature)
status_flags=(--status-provider github --status-base-url "$(forge github)"
	--status-repository octo/preview --status-token-file "$scratch/github.token")
audited preview run_berth diff --repo "$scratch/app.git" --ref feature -n "$ns" --prune \
	"${status_flags[@]}" --report-file "$scratch/preview.md"
assert_eq "$STATUS" 1 "the preview's exit status (changes: 1): $ERR"
context=berth/$identity/preview/preview
assert_eq "$(statuses github "$head")" \
	"$context success would create 1, change 3, prune 1, unchanged 3" "the preview status"
assert_eq "$(statuses github "$base")" "" "statuses on the base commit"
assert_eq "$(writes_between "$from" "$to")" "" "writes of the preview, dry runs included"
assert_contains "$ERR" "warning: recreates statefulset/$ns/db (orphan): pods and claims kept" \
	"the recreation on stderr"
assert_contains "$ERR" "warning: claim template www of statefulset/$ns/db grows 1Gi → 5Gi" \
	"the claim template's growth on stderr"

note "the Markdown report"
report=$(cat "$scratch/preview.md")
assert_contains "$report" "### berth preview" "the heading"
assert_contains "$report" "**would create 1, change 3, prune 1, unchanged 3**" "the summary line"
assert_contains "$report" "> **Warning:** recreates statefulset/$ns/db (orphan): pods and claims kept
>
> **Warning:** claim template www of statefulset/$ns/db grows 1Gi → 5Gi" "the warnings"
assert_contains "$report" "#### ConfigMap

| Namespace | Name | State | Changed |
|---|---|---|---|
| $ns | added | create |  |
| $ns | change | change | \`data.value\` |
| $ns | gone | prune |  |
| $ns | keep | unchanged |  |" "the ConfigMaps' table"
assert_contains "$(grep "^| $ns | db | change |" <<<"$report")" \
	"\`spec.volumeClaimTemplates[0].spec.resources.requests.storage\`" "the StatefulSet's row"
assert_contains "$report" "<details><summary>ConfigMap $ns/change: change</summary>

\`\`\`diff" "the folded diff of the change"
assert_contains "$report" '-  value: old
+  value: new' "the change's lines"
assert_contains "$report" "<details><summary>ConfigMap $ns/gone: prune</summary>" "the folded diff of the removal"
assert_contains "$report" "+  password: '*** (after)'" "the Secret's value, masked"
assert_not_contains "$report$OUT$ERR" "$secret" "the Secret's value"
assert_eq "$(grep -c '<details>' <<<"$report")" 5 "folded diffs: one per object not unchanged"

note "a pull request that breaks a check: failure at the file and line"
printf 'apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: broken}\nspec:\n  serviceName: nowhere\n  selector: {matchLabels: {app: nowhere}}\n  template: {metadata: {labels: {app: x}}, spec: {containers: [{name: x, image: x}]}}\n' \
	>"$scratch/work/broken.yaml"
broken=$(commit broken feature)
audited broken run_berth diff --repo "$scratch/app.git" --ref feature -n "$ns" --prune \
	"${status_flags[@]}"
assert_eq "$STATUS" 2 "the preview's exit status on a broken commit"
got=$(statuses github "$broken")
assert_contains "$got" "$context failure broken.yaml:6:14: " "the preview status of the broken commit"
assert_contains "$got" "spec.selector.matchLabels: app=nowhere does not select the pods" "the reason"
assert_eq "$(writes_between "$from" "$to")" "" "writes of the broken preview"

note "no token in any output"
assert_not_contains "$OUT$ERR" "$token" "the token"
PASSED=1
echo PASS
