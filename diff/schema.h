#ifndef BERTH_SCHEMA_H
#define BERTH_SCHEMA_H

#include <stdbool.h>

/*
 * How the fields of built-in kinds merge, as the `patchStrategy` and
 * `patchMergeKey` tags of the Kubernetes API types say (and /openapi/v2
 * publishes as x-kubernetes-patch-strategy and -merge-key). A field that is
 * not in the table merges as a map when it is a map and is replaced whole
 * (atomic) when it is a list.
 */
enum {
	SCHEMA_MERGE = 1 << 0,       /* a list merged element by element */
	SCHEMA_RETAIN_KEYS = 1 << 1, /* keys the patch does not list are cleared */
};

struct schema_type;

struct schema_field {
	const char *name;
	const struct schema_type *type; /* of the value, or of each list element */
	unsigned strategy;
	const char *merge_key; /* for merge lists of maps; NULL for lists of scalars */
	bool quantity;         /* the value is a resource quantity ("1Gi") */
};

struct schema_type {
	const char *name;
	const struct schema_field *fields; /* ends with a field whose name is NULL */
	bool quantity_values;              /* a map whose values are quantities */
	bool go_map; /* a Go map: the server omits it when empty, so {} equals absent */
};

/* The schema of a built-in kind, or NULL for a kind berth does not know
 * (a custom resource): those get a JSON merge patch, lists replaced whole. */
const struct schema_type *schema_for_kind(const char *group, const char *kind);

/* The field `name` of `type`, or NULL when it merges by default. `type` may
 * be NULL (a map of unknown shape). */
const struct schema_field *schema_field(const struct schema_type *type, const char *name);

#endif
