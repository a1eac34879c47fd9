#ifndef BERTH_YAML_H
#define BERTH_YAML_H

#include "buf.h"

#include <json-c/json.h>
#include <stddef.h>

/*
 * YAML <-> json-c. JSON is YAML, so JSON input goes through the same path.
 *
 * Plain scalars resolve as Kubernetes' YAML decoder (go-yaml v2, YAML 1.1)
 * resolves them: null as null/~/empty, booleans y/yes/on/true and
 * n/no/off/false in their capitalised forms, decimal/hex/octal/binary
 * integers, floats including .inf and .nan. Quoted scalars and !!str stay
 * strings. Anchors, aliases and the `<<` merge key work.
 */

struct yaml_limits {
	size_t max_depth;   /* nesting of mappings and sequences */
	size_t max_aliased; /* nodes copied in by alias expansion, per stream */
};
#define YAML_LIMITS_INIT                                                                           \
	{                                                                                          \
		256, 100000                                                                        \
	}

/*
 * Parse every document in `data`. `name` names the input in errors, which
 * read "name:line:column: reason". On success *out is a new json array with
 * one element per document (an empty document is a NULL element); the
 * caller owns it and releases it with json_object_put(). `limits` may be
 * NULL for the defaults.
 */
int yaml_parse(struct json_object **out, const char *name, const char *data, size_t len,
               const struct yaml_limits *limits);

/*
 * Append `value` to `out` as one YAML document in block style, keys sorted,
 * strings quoted wherever a plain scalar would read back as something else
 * (as `kubectl -o yaml` prints). Does not take a reference on `value`.
 */
int yaml_emit(struct buf *out, struct json_object *value);

#endif
