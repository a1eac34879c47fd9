#ifndef BERTH_KUSTOMIZE_TRANSFORM_H
#define BERTH_KUSTOMIZE_TRANSFORM_H

#include "kustomize_resources.h"

#include <json-c/json.h>
#include <stdbool.h>

/*
 * kustomize's built-in transformers of a kustomization's plain fields, with
 * the field specs of kustomize v5.5's default configuration
 * (api/konfig/builtinpluginconsts): which fields of which kinds each one
 * changes. The build (kustomize.h) calls them in kustomize's order on the
 * resources gathered so far. Each returns 0, or -1 with berth_error_set()
 * naming the object and the reason; the build puts it at the field's line.
 * Arguments are borrowed. No I/O.
 */

/* `namespace`: every namespaced object into `ns` (cluster-scoped ones keep
 * none), and the subjects of RoleBindings and ClusterRoleBindings that name
 * a ServiceAccount (kind ServiceAccount, in the namespace the objects were
 * in, or named "default") follow, as kustomize's NamespaceTransformer does. */
int kustomize_namespace(struct kustomize_resources *rs, const char *ns);

/* `namePrefix` and `nameSuffix` (either NULL or ""), on every object's
 * metadata.name but the kinds kustomize leaves alone (CRDs, Namespaces, ...). */
int kustomize_prefix_suffix(struct kustomize_resources *rs, const char *prefix, const char *suffix);

/* `commonLabels` (selectors and templates true) and each `labels` entry:
 * the map `labels` (strings to strings) on metadata.labels, and with
 * `templates` on pod templates' (and volumeClaimTemplates') labels, with
 * `selectors` also on selectors. `where` ("file:line") is kept in
 * r->selector_labels of each object whose selectors it changed. */
int kustomize_labels(struct kustomize_resources *rs, struct json_object *labels, bool selectors,
                     bool templates, const char *where);

/* `commonAnnotations`: on metadata.annotations, and pod templates'. */
int kustomize_annotations(struct kustomize_resources *rs, struct json_object *annotations);

/* `images` (and `imageTags`): the list of {name, newName, newTag, digest}
 * entries, on every container and initContainer image of every kind (the
 * image fields kustomize's default config lists, and any `containers` /
 * `initContainers` list). Fails naming an entry without a name. */
int kustomize_images(struct kustomize_resources *rs, struct json_object *images);

/* `replicas`: the list of {name, count} entries, on spec.replicas of
 * Deployments, ReplicaSets, StatefulSets and ReplicationControllers (and
 * custom kinds that have one) of that name. Fails naming an entry without a
 * name or whose count is not an integer. */
int kustomize_replicas(struct kustomize_resources *rs, struct json_object *replicas);

#endif
