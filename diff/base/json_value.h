#ifndef BERTH_JSON_VALUE_H
#define BERTH_JSON_VALUE_H

#include "buf.h"

#include <json-c/json.h>
#include <stdbool.h>

/*
 * The string value of `key` in the json object `obj`, or NULL when obj is
 * not an object, has no such key, or the value is not a string. The string
 * belongs to obj.
 */
const char *json_value_get_string(struct json_object *obj, const char *key);

/* The length of `v` when it is an array, else 0 (json-c asserts). */
size_t json_value_array_len(struct json_object *v);

/*
 * Add `key` to a path: ".key" (no dot first), or ["key"] when the key holds
 * '.', '[', ']', '"' or '\\' or is empty, so that a path reads one way only:
 * data["tls.key"], where data.tls.key would name key "key" of "tls".
 */
void json_value_path_add_key(struct buf *path, const char *key);

/*
 * Follow one step of a path such as "spec.containers[0].name" from `at`: a
 * key (none when the step starts with '['), then any [index]es and
 * ["quoted keys"] (json_value_path_add_key). Advances
 * *path past the step and its dot. Returns the node reached, NULL when it
 * is absent or null; *present (when not NULL) tells a null value from a
 * missing one. A key needs a map and an index a list; else it is missing.
 */
struct json_object *json_value_path_step(struct json_object *at, const char **path, bool *present);

/* The value at `key` of an object, or NULL (absent, null, or not an object).
 * The value belongs to obj. */
struct json_object *json_value_get(struct json_object *obj, const char *key);

/*
 * Append `value` as compact JSON exactly as Go's encoding/json writes it, the
 * way kubectl writes the last-applied annotation: keys sorted, no spaces,
 * '<', '>', '&', U+2028 and U+2029 escaped as \uXXXX, backspace and form
 * feed as \b and \f (Go 1.22 and later), integral floats printed
 * as integers, other floats in Go's shortest form. Fails for NaN and
 * infinities, which JSON cannot hold.
 */
int json_value_write(struct buf *out, struct json_object *value);

/* Values equal as JSON data: numbers by value (1 equals 1.0), objects
 * regardless of key order, arrays element by element. NULL is JSON null. */
bool json_value_equal(struct json_object *a, struct json_object *b);

/* A deep copy of `value` (NULL for NULL); the caller owns it. */
struct json_object *json_value_copy(struct json_object *value);

/* Parse JSON text (nested up to 1024 deep); NULL when it is not valid, with
 * json-c's reason and the byte it stopped at as the error (never the text).
 * The caller owns the result. Like json-c, it clamps integers beyond int64. */
struct json_object *json_value_parse(const char *text, size_t len);

/*
 * Drop "metadata.managedFields" from the JSON text of an object, or of each
 * object in its "items" (a LIST): the server's record of who owns which
 * field, which is most of a live object's size. Only the entries of manager
 * `keep` (NULL: none) by operation Apply stay: what it applied server-side.
 * Whitespace outside strings goes too (but inside an entry kept). The text
 * is rewritten in place; returns its new length. Text that is not valid
 * JSON may come out differently invalid, never valid.
 */
size_t json_value_strip_managed_fields(char *text, size_t len, const char *keep);

/* The same for the JSON text of a watch event: the managedFields of its
 * "object", as of a LIST's items. */
size_t json_value_strip_event_managed_fields(char *text, size_t len, const char *keep);

/* Where the value of member `name` of the object that is `text` lies,
 * [*start, *end), found without parsing the rest: a LIST's "metadata",
 * before its items. False when the text is no object holding it (or
 * malformed before it). */
bool json_value_member_span(const char *text, size_t len, const char *name, size_t *start,
                            size_t *end);

#endif
