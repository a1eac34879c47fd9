#ifndef BERTH_KUSTOMIZE_NAMEREF_H
#define BERTH_KUSTOMIZE_NAMEREF_H

#include "kustomize_resources.h"

/*
 * Name references, as kustomize's NameReferenceTransformer fixes them at the
 * end of a build: when an object's name changed (prefix, suffix, namespace,
 * hash), every field that refers to it by a former name follows, as
 * kustomize v5.5's default nameReference configuration lists the referring
 * fields (a ConfigMap or Secret in volumes, projected sources, envFrom,
 * env.valueFrom and imagePullSecrets of every pod template; a StatefulSet's
 * serviceName and volumeClaimTemplates; a ServiceAccount in pods and
 * bindings' subjects; a Role or ClusterRole in a binding's roleRef; a
 * PersistentVolumeClaim in volumes; a Service in an Ingress; and so on).
 * A reference matches an object of the referred kind that had that name in
 * the referrer's namespace (or any, for cluster-scoped objects). No I/O.
 *
 * Fails (-1, berth_error_set) when a reference could mean two objects, as
 * kustomize does.
 */
int kustomize_name_references(struct kustomize_resources *rs);

/* Also for custom resources: the `crds` of a build add fields that refer to
 * ConfigMaps, Secrets and others by name (x-kubernetes-object-ref-kind in
 * the OpenAPI definitions). The build passes them as a list of
 * {"kind": referring kind, "path": "spec/x/y", "refKind": "ConfigMap"}. */
int kustomize_name_references_with(struct kustomize_resources *rs, struct json_object *extra);

#endif
