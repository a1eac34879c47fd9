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
 * theirs), a v1 Namespace renamed `ns`, and the service namespace of an
 * APIService and of a CRD's conversion webhook, as kustomize's
 * NamespaceTransformer does. Of the subjects of RoleBindings and
 * ClusterRoleBindings only those named "default" take `ns` here (kustomize's
 * defaultOnly); those naming a ServiceAccount of the build follow it
 * through the name references (kustomize_nameref.h). */
int kustomize_namespace(struct kustomize_resources *rs, const char *ns);

/* `namePrefix` and `nameSuffix` (either NULL or ""), on every object's
 * metadata.name but the kinds kustomize leaves alone (CRDs, Namespaces, ...). */
int kustomize_prefix_suffix(struct kustomize_resources *rs, const char *prefix, const char *suffix);

/* `commonLabels` (selectors and templates true) and each `labels` entry:
 * the map `labels` (strings to strings) on metadata.labels, and with
 * `templates` on pod templates' (and volumeClaimTemplates') labels, with
 * `selectors` also on selectors (and templates: kustomize's
 * includeSelectors takes them). `where` ("file:line"; may be NULL) is kept
 * in r->selector_labels of each object whose own selector or
 * volumeClaimTemplates' labels it changed. */
int kustomize_labels(struct kustomize_resources *rs, struct json_object *labels, bool selectors,
                     bool templates, const char *where);

/* `commonAnnotations`: on metadata.annotations, and pod templates'. */
int kustomize_annotations(struct kustomize_resources *rs, struct json_object *annotations);

/* `images` (and `imageTags`): the list of {name, newName, newTag, digest}
 * entries, each in turn, on the image of every element of every
 * `containers` and `initContainers` list at any depth of every object but
 * CRDs, as kustomize v5.5 does (an image volume's reference it leaves).
 * Fails naming an entry without a name or with a field not a string. */
int kustomize_images(struct kustomize_resources *rs, struct json_object *images);

/* `replicas`: the list of {name, count} entries, on spec.replicas of
 * Deployments, ReplicaSets, StatefulSets and ReplicationControllers that
 * have or had that name (a missing count is 0, as in kustomize). Fails
 * naming an entry without a name, whose count is not an integer, or that
 * names no such object (kustomize fails too; custom kinds are never
 * matched). */
int kustomize_replicas(struct kustomize_resources *rs, struct json_object *replicas);

#endif
