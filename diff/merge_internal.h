#ifndef BERTH_MERGE_INTERNAL_H
#define BERTH_MERGE_INTERNAL_H

/*
 * What merge.c (the shared helpers, JSON merge patch and the entry points),
 * merge_diff.c (CreateThreeWayMergePatch) and merge_apply.c
 * (StrategicMergePatch) share. Private to them.
 */
#include "schema.h"

#include <json-c/json.h>
#include <stdbool.h>

#define DIRECTIVE               "$patch"
#define RETAIN_KEYS             "$retainKeys"
#define SET_ORDER_PREFIX        "$setElementOrder/"
#define DELETE_PRIMITIVE_PREFIX "$deleteFromPrimitiveList/"

/* DiffOptions and MergeOptions of strategicpatch. */
struct diff_opts {
	bool ignore_changes;   /* IgnoreChangesAndAdditions */
	bool ignore_deletions; /* IgnoreDeletions */
	bool retain_keys;      /* BuildRetainKeysDirective */
};

struct merge_opts {
	bool parallel_lists;         /* MergeParallelList: apply the parallel directive lists */
	bool ignore_unmatched_nulls; /* IgnoreUnmatchedNulls */
};

static inline bool is_type(struct json_object *v, enum json_type t)
{
	return json_object_is_type(v, t);
}

/* Go compares types with reflect.TypeOf; json-c's int and double both come
 * from JSON numbers, so they are one type here. */
bool merge_same_type(struct json_object *a, struct json_object *b);

/* Go's `==` on two interface values holding scalars. */
bool merge_scalar_equal(struct json_object *a, struct json_object *b);

/* Where `item` (or its merge key) is in `list`, or -1. */
int merge_index_in(struct json_object *list, struct json_object *item, const char *key);

/* A list's items in the order of their index in `order` (stable); with a
 * merge key, `$patch: delete` items go last (normalizeSliceOrder). New
 * reference. */
struct json_object *merge_sort_by_order(struct json_object *items, struct json_object *order,
                                        const char *key);

/* diffMaps: what turns `original` into `modified`, under `type`. */
int merge_diff_maps(struct json_object **out, struct json_object *original,
                    struct json_object *modified, const struct schema_type *type,
                    struct diff_opts opts);

/* mergeMap: `patch` applied to `o` (taken), under `type`. */
int merge_map(struct json_object **out, struct json_object *o, struct json_object *patch,
              const struct schema_type *type, struct merge_opts opts);

#endif
