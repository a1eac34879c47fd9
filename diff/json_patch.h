#ifndef BERTH_JSON_PATCH_H
#define BERTH_JSON_PATCH_H

#include <json-c/json.h>
#include <stddef.h>

/*
 * RFC 6902 JSON Patch (add, remove, replace, move, copy, test) with RFC 6901
 * JSON Pointers, applied as kustomize's `patches` and `patchesJson6902`
 * apply an op list (github.com/evanphx/json-patch, v4):
 *
 *   - `add` to an existing object member replaces it; at an array index it
 *     inserts, at index == length or "-" it appends;
 *   - `remove` and `replace` of a missing member or index fail;
 *   - `move` from == path changes nothing; `move` into its own child fails;
 *   - `copy` copies deeply;
 *   - `test` compares JSON values deeply (1 equals 1.0, key order aside);
 *     as in evanphx, testing a missing object member against null passes;
 *   - the root "" may be tested, replaced or added (the whole document).
 *
 * Pointers are RFC 6901's: "" or starting with '/', '~' only as "~0" ('~')
 * or "~1" ('/'). Array indexes are read as kubectl kustomize v5.5.0 reads
 * them (evanphx v4): decimal, leading zeros allowed, a negative one
 * counting from the end (-1: the last element; for an add, the end).
 * Unknown fields in an op are ignored, as evanphx does.
 *
 * Pure data: no I/O, no globals.
 */

#define JSON_PATCH_MAX_OPS    10000   /* ops in one patch */
#define JSON_PATCH_MAX_DEPTH  128     /* reference tokens in one pointer */
#define JSON_PATCH_MAX_COPIED 1000000 /* values copied in by one apply */

/*
 * Parse an op list: JSON when its first non-blank byte is '[', else one YAML
 * document (kustomize accepts both). `name` names the text in errors. Each
 * op is checked as json_patch_check() does. On success *ops is a new json
 * array, owned by the caller (json_object_put()).
 */
int json_patch_parse(struct json_object **ops, const char *name, const char *text, size_t len);

/*
 * Check that `ops` is an array of at most JSON_PATCH_MAX_OPS ops, each an
 * object with a known "op", a valid "path", a "value" for add, replace and
 * test, and a valid "from" for move and copy. Errors name the op's index:
 * "op 2 (move /a): 'from' is missing". `ops` is not changed.
 */
int json_patch_check(struct json_object *ops);

/*
 * Apply `ops` to a deep copy of `doc`, all or nothing. On success *out is
 * the patched document, a new reference owned by the caller; `doc` and
 * `ops` are never changed and share no node with *out (values are copied
 * in). On failure *out is untouched and the error names the op:
 * "op 2 (remove /spec/x): no such member 'x'". Fails too when the values
 * the ops copy in (of add, replace and copy) exceed JSON_PATCH_MAX_COPIED.
 */
int json_patch_apply(struct json_object **out, struct json_object *doc, struct json_object *ops);

#endif
