#!/usr/bin/env bash
# A tenant's source (allowedNamespaces) cannot leave its namespaces, on the
# real control plane, with berth run --once:
# - a commit holding one object of every cluster-scoped kind the server
#   serves (from discovery: a custom kind too, which no list of berth's
#   knows) is refused whole, each at its file:line, with nothing written;
# - with clusterResources: [Namespace], its own Namespace is managed, but
#   not another tenant's, whatever berth.io/prune says;
# - an object another source manages is refused, naming that source;
# - prune deletes only what carries this source's berth.io/source in the
#   source's own namespaces and listed kinds: another tenant's Namespace
#   (annotated berth.io/prune: "true" by someone else) and an object forged
#   to look like this source's outside its namespaces are left alone.
. "$(dirname "$0")/lib.sh"

a=berth-confine-a
b=berth-confine-b
state=berth-confine-state
export XDG_CACHE_HOME=$scratch/cache
cleanup() {
	kubectl delete namespace "$a" "$b" "$state" --ignore-not-found --wait=false >/dev/null
	kubectl delete clusterrole berth-confine-reader --ignore-not-found >/dev/null
	kubectl delete crd bollards.confine.berth.dev --ignore-not-found >/dev/null
}
cleanup
trap 'cleanup; drop_identity; rm -rf "$scratch"' EXIT
own_identity confine
fresh_namespaces "$a" "$b" "$state"
# A cluster-scoped kind of a CustomResourceDefinition: cluster-scoped by
# discovery only.
kubectl apply -f - >/dev/null <<YAML
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: bollards.confine.berth.dev}
spec:
  group: confine.berth.dev
  scope: Cluster
  names: {plural: bollards, singular: bollard, kind: Bollard}
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
YAML
wait_until 60 "CRD bollards.confine.berth.dev Established" \
	kubectl wait --for condition=established --timeout=1s crd/bollards.confine.berth.dev

git init -q --bare -b main "$scratch/tenant.git"
git init -q -b main "$scratch/work"
source_id=$scratch/tenant.git//tenant
mkdir -p "$scratch/work/tenant" "$scratch/work/neighbor"
configmap_yaml neighbor-settings theirs >"$scratch/work/neighbor/settings.yaml"
config() { # clusterResources (a YAML list)
	cat >"$scratch/berth.yaml" <<YAML
stateNamespace: $state
sources:
- name: tenant
  repo: $scratch/tenant.git
  path: tenant
  namespace: $a
  allowedNamespaces: [$a]
  clusterResources: $1
  prune: true
  interval: 1h
- name: neighbor
  repo: $scratch/tenant.git
  path: neighbor
  namespace: $b
  interval: 1h
YAML
}
# berth run --once: its exit status in STATUS, its log in LOG.
once() {
	STATUS=0
	"$BERTH" run --once --config "$scratch/berth.yaml" 2>"$scratch/once.log" || STATUS=$?
	LOG=$(cat "$scratch/once.log")
}
# The writes of the tenant's source: those of its neighbor (its ConfigMap,
# and the state both record) left out.
writes_between() {
	audit_between "$1" "$2" | berth_writes | { grep -v -e ' neighbor-settings$' -e ' berth-state$' || [ $? = 1 ]; }
}

note "one object of every cluster-scoped kind, and a ConfigMap of its own: refused whole"
k=$scratch/work/tenant/kinds
mkdir -p "$k"
kind_file() { # file kind: the manifest on stdin goes to kinds/FILE
	cat >"$k/$1.yaml"
}
kind_file namespace <<<'{apiVersion: v1, kind: Namespace, metadata: {name: berth-confine-evil}}'
kind_file node <<<'{apiVersion: v1, kind: Node, metadata: {name: berth-confine-node}}'
kind_file persistentvolume <<<'{apiVersion: v1, kind: PersistentVolume, metadata: {name: berth-confine-pv},
  spec: {capacity: {storage: 1Gi}, accessModes: [ReadWriteOnce], hostPath: {path: /tmp/berth-confine}}}'
kind_file mutatingwebhookconfiguration <<<'{apiVersion: admissionregistration.k8s.io/v1,
  kind: MutatingWebhookConfiguration, metadata: {name: berth-confine}}'
kind_file validatingwebhookconfiguration <<<'{apiVersion: admissionregistration.k8s.io/v1,
  kind: ValidatingWebhookConfiguration, metadata: {name: berth-confine}}'
kind_file customresourcedefinition <<<'{apiVersion: apiextensions.k8s.io/v1, kind: CustomResourceDefinition,
  metadata: {name: sprockets.confine.berth.dev},
  spec: {group: confine.berth.dev, scope: Namespaced,
         names: {plural: sprockets, singular: sprocket, kind: Sprocket},
         versions: [{name: v1, served: true, storage: true,
                     schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}]}}'
kind_file apiservice <<<'{apiVersion: apiregistration.k8s.io/v1, kind: APIService,
  metadata: {name: v1.confine.berth.dev},
  spec: {group: confine.berth.dev, version: v1, groupPriorityMinimum: 100, versionPriority: 100}}'
kind_file certificatesigningrequest <<<'{apiVersion: certificates.k8s.io/v1, kind: CertificateSigningRequest,
  metadata: {name: berth-confine},
  spec: {request: aGVsbG8=, signerName: kubernetes.io/kube-apiserver-client, usages: [client auth]}}'
kind_file flowschema <<<'{apiVersion: flowcontrol.apiserver.k8s.io/v1beta1, kind: FlowSchema,
  metadata: {name: berth-confine},
  spec: {priorityLevelConfiguration: {name: global-default}, matchingPrecedence: 9000}}'
kind_file prioritylevelconfiguration <<<'{apiVersion: flowcontrol.apiserver.k8s.io/v1beta1,
  kind: PriorityLevelConfiguration, metadata: {name: berth-confine}, spec: {type: Exempt}}'
kind_file ingressclass <<<'{apiVersion: networking.k8s.io/v1, kind: IngressClass,
  metadata: {name: berth-confine}, spec: {controller: example.com/ingress}}'
kind_file runtimeclass <<<'{apiVersion: node.k8s.io/v1, kind: RuntimeClass, metadata: {name: berth-confine},
  handler: runc}'
kind_file podsecuritypolicy <<<'{apiVersion: policy/v1beta1, kind: PodSecurityPolicy, metadata: {name: berth-confine},
  spec: {seLinux: {rule: RunAsAny}, runAsUser: {rule: RunAsAny}, supplementalGroups: {rule: RunAsAny},
         fsGroup: {rule: RunAsAny}}}'
kind_file clusterrolebinding <<<'{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding,
  metadata: {name: berth-confine-admin},
  roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin},
  subjects: [{kind: ServiceAccount, name: default, namespace: berth-confine-a}]}'
kind_file clusterrole <<<'{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole,
  metadata: {name: berth-confine-reader}, rules: []}'
kind_file priorityclass <<<'{apiVersion: scheduling.k8s.io/v1, kind: PriorityClass,
  metadata: {name: berth-confine}, value: 1000}'
kind_file csidriver <<<'{apiVersion: storage.k8s.io/v1, kind: CSIDriver, metadata: {name: confine.berth.dev},
  spec: {}}'
kind_file csinode <<<'{apiVersion: storage.k8s.io/v1, kind: CSINode, metadata: {name: berth-confine-node},
  spec: {drivers: []}}'
kind_file storageclass <<<'{apiVersion: storage.k8s.io/v1, kind: StorageClass, metadata: {name: berth-confine},
  provisioner: example.com/none}'
kind_file volumeattachment <<<'{apiVersion: storage.k8s.io/v1, kind: VolumeAttachment,
  metadata: {name: berth-confine},
  spec: {attacher: example.com/none, nodeName: berth-confine-node, source: {persistentVolumeName: berth-confine-pv}}}'
kind_file bollard <<<'{apiVersion: confine.berth.dev/v1, kind: Bollard, metadata: {name: berth-confine}}'
configmap_yaml settings one >"$scratch/work/tenant/settings.yaml"
git_commit "$scratch/work" "$scratch/tenant.git" "every cluster-scoped kind" >/dev/null
config '[]'
audited kinds once
assert_eq "$STATUS" 1 "berth run --once exit status ($LOG)"
assert_contains "$LOG" "21 objects cannot be applied" "the refusal"
# Every cluster-scoped kind the server serves, built in or of a CRD this
# test made, that can be created and listed: each must be here, refused.
covered=0
for kind in $(kubectl api-resources --namespaced=false --verbs=create,list -o name |
	grep -E '^[a-z]+(\.(policy|[a-z0-9.-]*k8s\.io|confine\.berth\.dev))?$' | sed 's/\..*//'); do
	case $kind in
	*ies) file=${kind%ies}y.yaml ;;
	*sses) file=${kind%es}.yaml ;;
	*) file=${kind%s}.yaml ;;
	esac
	[ -f "$k/$file" ] || fail "the test has no manifest of cluster-scoped kind '$kind'"
	want_kind=$(sed -n 's/.*kind: \([A-Za-z]*\).*/\1/p' "$k/$file" | head -1)
	assert_contains "$LOG" "\\ntenant/kinds/$file:1:1: " "the refusal of $want_kind"
	assert_contains "$LOG" "$want_kind is cluster-scoped, and this source may not manage it (clusterResources: none)" \
		"the reason for $want_kind"
	covered=$((covered + 1))
done
echo "    $covered cluster-scoped kinds refused, each at its file"
[ "$covered" -ge 21 ] || fail "only $covered cluster-scoped kinds were listed by the server"
assert_eq "$(writes_between "$from" "$to")" "" "writes of the refused commit"
assert_eq "$(kubectl get configmap settings -n "$a" --ignore-not-found -o name)" "" \
	"the ConfigMap of the refused commit"

note "clusterResources: [Namespace]: its own Namespace, not another tenant's"
rm -r "$k"
printf 'apiVersion: v1\nkind: Namespace\nmetadata: {name: %s}\n' "$a" >"$scratch/work/tenant/own.yaml"
printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n  annotations: {berth.io/prune: "true"}\n' \
	"$b" >"$scratch/work/tenant/theirs.yaml"
git_commit "$scratch/work" "$scratch/tenant.git" "another tenant's namespace" >/dev/null
config '[Namespace]'
audited namespace once
assert_eq "$STATUS" 1 "berth run --once exit status ($LOG)"
assert_contains "$LOG" "tenant/theirs.yaml:1:1: namespace $b: namespace '$b' is not among the namespaces this source may write to ('$a')" \
	"the refusal of the other tenant's Namespace"
assert_not_contains "$LOG" "own.yaml" "its own Namespace"
assert_eq "$(writes_between "$from" "$to")" "" "writes of the refused commit"

note "an object another source of the agent manages, or any other source: refused, naming it"
rm "$scratch/work/tenant/theirs.yaml"
owned() { # name source
	kubectl apply -n "$a" -f - >/dev/null <<YAML
apiVersion: v1
kind: ConfigMap
metadata:
  name: $1
  labels: {app.kubernetes.io/managed-by: berth}
  annotations: {berth.io/source: "$2"}
data: {owner: other}
YAML
}
owned shared "$scratch/tenant.git//neighbor"
owned applied-by-hand "/home/someone/manifests"
configmap_yaml shared mine >"$scratch/work/tenant/shared.yaml"
configmap_yaml applied-by-hand mine >"$scratch/work/tenant/by-hand.yaml"
git_commit "$scratch/work" "$scratch/tenant.git" "another source's object" >/dev/null
audited takeover once
assert_eq "$STATUS" 1 "berth run --once exit status ($LOG)"
assert_contains "$LOG" "tenant/shared.yaml:1:1: configmap $a/shared is managed by source 'neighbor' (its berth.io/source is '$scratch/tenant.git//neighbor'): a source may not take over another's object" \
	"the refusal of the takeover from the agent's other source"
assert_contains "$LOG" "tenant/by-hand.yaml:1:1: configmap $a/applied-by-hand is managed by source '/home/someone/manifests' (its berth.io/source): a confined source may not take over another's object" \
	"the refusal of the takeover from a source the agent does not know"
assert_eq "$(writes_between "$from" "$to" | grep " configmaps \(shared\|applied-by-hand\|settings\)$" || [ $? = 1 ])" "" \
	"writes of the tenant's refused commit"
assert_eq "$(kubectl get configmap shared -n "$a" -o jsonpath='{.data.owner}')" other "the other source's object"
rm "$scratch/work/tenant/shared.yaml" "$scratch/work/tenant/by-hand.yaml"

note "prune: only this source's objects, in its namespaces and kinds"
printf 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: berth-confine-reader}\nrules: []\n' \
	>"$scratch/work/tenant/reader.yaml"
git_commit "$scratch/work" "$scratch/tenant.git" "a cluster role it may manage" >/dev/null
config '[Namespace, ClusterRole.rbac.authorization.k8s.io]'
once
assert_eq "$STATUS" 0 "berth run --once exit status ($LOG)"
assert_eq "$(kubectl get clusterrole berth-confine-reader -o name)" clusterrole.rbac.authorization.k8s.io/berth-confine-reader \
	"the ClusterRole it manages"
# Another tenant's Namespace, marked as another source's and prunable; and
# a ConfigMap outside the tenant's namespaces forged to look like its own.
kubectl label namespace "$b" app.kubernetes.io/managed-by=berth >/dev/null
kubectl annotate namespace "$b" berth.io/source=https://git.example.com/other.git berth.io/prune=true >/dev/null
kubectl apply -n "$b" -f - >/dev/null <<YAML
apiVersion: v1
kind: ConfigMap
metadata:
  name: forged
  labels: {app.kubernetes.io/managed-by: berth}
  annotations: {berth.io/source: "$source_id", berth.io/prune: "true"}
YAML
rm "$scratch/work/tenant/reader.yaml"
git_commit "$scratch/work" "$scratch/tenant.git" "the cluster role left" >/dev/null
audited prune once
assert_eq "$STATUS" 0 "berth run --once exit status ($LOG)"
assert_eq "$(writes_between "$from" "$to" | grep '^delete ' || [ $? = 1 ])" \
	"delete clusterroles berth-confine-reader" "what prune deleted"
assert_eq "$(kubectl get namespace "$b" -o jsonpath='{.status.phase}')" Active "the other tenant's Namespace"
assert_eq "$(kubectl get configmap forged -n "$b" -o name)" configmap/forged "the forged ConfigMap outside"
# Confined, prune looks only where the source may write.
lists=$(audit_between "$from" "$to" | berth_requests | grep -E '^list .*labelSelector' || [ $? = 1 ])
assert_not_contains "$lists" "/namespaces/$b/" "prune's LISTs"
assert_not_contains "$lists" "clusterrolebindings" "prune's LISTs"
assert_contains "$lists" "/api/v1/namespaces/$a/configmaps?" "prune's LISTs"
echo PASS
