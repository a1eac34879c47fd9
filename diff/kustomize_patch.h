#ifndef BERTH_KUSTOMIZE_PATCH_H
#define BERTH_KUSTOMIZE_PATCH_H

#include "kustomize_resources.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * kustomize's patches (`patches`, `patchesStrategicMerge`,
 * `patchesJson6902`) on the resources of a build: a strategic merge patch
 * (diff/merge.h's, with the schema of built-in kinds; `$patch: delete` of a
 * whole object removes it) or a JSON 6902 op list (diff/json_patch.h), on
 * the objects a target selects. Arguments are borrowed. No I/O.
 */

/*
 * A patch's text, as kustomize tells the two apart: a YAML or JSON list of
 * ops is JSON 6902 (*ops set), anything else one or more strategic merge
 * patch documents (*smp set: an array of objects). `name` names the text in
 * errors. Exactly one of *ops and *smp is set on success; the caller owns it.
 * The text is read as it is (kustomize trims only an inline `patch`, which
 * its caller does); a blank one is refused.
 */
int kustomize_patch_parse(struct json_object **ops, struct json_object **smp, const char *name,
                          const char *text, size_t len);

/*
 * Does `target` (a patch's target: group, version, kind, name and namespace,
 * each a regular expression anchored at both ends, and labelSelector and
 * annotationSelector, Kubernetes selectors) select `r`? NULL selects every
 * object. Fails (-1) when a pattern or a selector cannot be read.
 */
int kustomize_target_match(bool *out, const struct json_object *target,
                           const struct kustomize_resource *r);

/*
 * Apply one patch to `rs`:
 *   - `ops` (JSON 6902) to every object `target` selects; a target is
 *     required;
 *   - or each document of `smp` to every object `target` selects, or without
 *     a target, to the object the document names (kind, name, namespace,
 *     matched against each object's current and former names, as kustomize
 *     does), which must exist.
 * `where` ("file:line" of the patch) goes into r->patch of each object it
 * changed. A target that selects nothing is not an error (kustomize's
 * `patches`); a strategic merge patch that names no object is.
 */
int kustomize_patch_apply(struct kustomize_resources *rs, struct json_object *ops,
                          struct json_object *smp, const struct json_object *target,
                          const char *where);

#endif
