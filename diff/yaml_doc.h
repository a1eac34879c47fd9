#ifndef BERTH_YAML_DOC_H
#define BERTH_YAML_DOC_H

#include "base/buf.h"

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
		.max_depth = 256, .max_aliased = 100000                                            \
	}

/* Where a node starts in the text (1-based), and where its key does when it
 * is the value of a mapping (0 when it is not). */
struct yaml_mark {
	const struct json_object *node;
	size_t line, column;
	size_t key_line, key_column;
};

/*
 * Positions recorded while parsing: every node no deeper than max_depth
 * (0: document roots only), sorted by node once yaml_parse() returns so
 * yaml_marks_find() is a binary search. Embedded by value: YAML_MARKS_INIT,
 * then yaml_marks_release(). The nodes are borrowed from the parsed documents.
 */
struct yaml_marks {
	struct yaml_mark *items;
	size_t n, alloc;
	size_t max_depth;
};
#define YAML_MARKS_INIT(depth)                                                                     \
	{                                                                                          \
		.items = NULL, .n = 0, .alloc = 0, .max_depth = (depth)                            \
	}
void yaml_marks_release(struct yaml_marks *marks);

/* Find where `node` starts; fails (BERTH_ENOTFOUND) for a node with no mark. */
int yaml_marks_find(size_t *line, size_t *column, const struct yaml_marks *marks,
                    const struct json_object *node);

/* Find where the field whose value is `node` starts: its key, or the node
 * itself when it is not a mapping value. */
int yaml_marks_find_field(size_t *line, size_t *column, const struct yaml_marks *marks,
                          const struct json_object *node);

/*
 * Parse every document in `data`. `name` names the input in errors, which
 * read "name:line:column: reason". On success *out is a new json array with
 * one element per document (an empty document is a NULL element); the
 * caller owns it and releases it with json_object_put(). `limits` may be
 * NULL for the defaults; `marks`, when not NULL, receives node positions.
 *
 * Mapping keys become strings as Kubernetes turns them into JSON: a plain
 * key that resolves to a boolean or a number is written as "true", "false"
 * or its decimal form; a null key is an error.
 */
int yaml_parse(struct json_object **out, const char *name, const char *data, size_t len,
               const struct yaml_limits *limits, struct yaml_marks *marks);

/* Called with each document in turn (NULL for an empty one), which the
 * parser frees when it returns: take a reference to keep it. Nonzero stops
 * the parse, which returns it. */
typedef int yaml_document_fn(struct json_object *doc, size_t index, void *ctx);

/*
 * yaml_parse(), a document at a time, so that a stream of many documents
 * is never held whole: `fn` gets each one as soon as it is parsed. `marks`,
 * when not NULL, holds the positions of that document's nodes only while
 * `fn` runs (sorted, as after yaml_parse()). Returns what `fn` returned to
 * stop, or an error.
 */
int yaml_parse_each(const char *name, const char *data, size_t len,
                    const struct yaml_limits *limits, struct yaml_marks *marks,
                    yaml_document_fn *fn, void *ctx);

/*
 * Append `value` to `out` as one YAML document in block style, keys sorted,
 * strings quoted wherever a plain scalar would read back as something else
 * (as `kubectl -o yaml` prints). Does not take a reference on `value`.
 */
int yaml_emit(struct buf *out, struct json_object *value);

#endif
