#ifndef BERTH_MERGE_H
#define BERTH_MERGE_H

#include "schema.h"

#include <json-c/json.h>

/*
 * kubectl's client-side apply patch (apimachinery's strategicpatch
 * CreateThreeWayMergePatch), computed the same way:
 *
 *   the changes and additions from `current` (the live object) to `modified`
 *   (the new manifest, carrying its new last-applied annotation), plus the
 *   deletions from `original` (the last-applied manifest) to `modified`.
 *
 * So a field present live but never applied (a server default, another
 * writer) is never touched, and a field dropped from the manifest is
 * removed. With a schema (a built-in kind) the result is a strategic merge
 * patch: merge lists by their key, `$patch: delete` for dropped elements,
 * `$setElementOrder`, `$retainKeys` and `$deleteFromPrimitiveList`. Without
 * one (schema NULL: a custom resource) it is a three-way JSON merge patch.
 *
 * Values equal in meaning are not a change: quantities by value where the
 * schema says a field is one, an empty or null value against an absent one,
 * and, in an atomic list of maps, elements whose every manifest field
 * matches. The server stores such values the same either way.
 *
 * `original` and `current` may be NULL. *out is a new object (`{}` when
 * there is nothing to change), owned by the caller. Fails when the inputs
 * cannot be merged (a merge list element without its key, or, for a JSON
 * merge patch, a changed apiVersion, kind or name).
 */
int merge3_patch(struct json_object **out, struct json_object *original,
                 struct json_object *modified, struct json_object *current,
                 const struct schema_type *schema);

/*
 * Would merge3_patch(out, modified, modified, current, schema) be `{}`?
 * Strictly: true only when current holds every field of modified as it is,
 * lists whole. Costs no allocation; false leaves it to merge3_patch().
 */
bool merge_unchanged(struct json_object *current, struct json_object *modified,
                     const struct schema_type *schema);

/*
 * Apply `patch` to a copy of `obj` as the API server does: a strategic merge
 * patch with a schema, an RFC 7386 JSON merge patch without. This predicts
 * the live object after the patch. *out is new and owned by the caller.
 */
int merge_apply(struct json_object **out, struct json_object *obj, struct json_object *patch,
                const struct schema_type *schema);

#endif
