#ifndef BERTH_OPENAPI_H
#define BERTH_OPENAPI_H

#include "base/buf.h"
#include "manifest.h"

#include <json-c/json.h>
#include <stdbool.h>

/*
 * The server's OpenAPI schema (/openapi/v2) and the check `kubectl
 * --validate` makes with it: every field of a manifest must be one its kind
 * has, of the type the schema gives, with the required fields present. A
 * 1.20 server drops unknown fields without a word, so only a client can
 * catch them.
 *
 * Only the definitions are kept, without their descriptions: about a
 * sixteenth of what the server sends. They are kept as text, and each is
 * parsed the first time a manifest needs it, so a check costs the memory
 * of the definitions it uses, not of all of them. A schema is for one
 * thread at a time (openapi_validate fills it in as it goes).
 */
struct openapi;

/*
 * Read the document /openapi/v2 returns. Takes the caller's reference to
 * `doc` (it is put even on failure). Fails when there are no definitions.
 * *out is owned by the caller (openapi_free).
 */
int openapi_new(struct openapi **out, struct json_object *doc);

/* Read what openapi_write() wrote (the text is copied). Fails when it is
 * not a JSON object with definitions. *out is owned by the caller. */
int openapi_parse(struct openapi **out, const char *text, size_t len);

void openapi_free(struct openapi *api);

/* Append the schema as compact JSON: {"definitions": {...}}. */
void openapi_write(struct buf *out, const struct openapi *api);

/*
 * Check each manifest against the definition of its group, version and
 * kind (x-kubernetes-group-version-kind), as kubectl 1.20 does:
 *
 * - a field its definition does not have is an error, unless the schema
 *   keeps unknown fields (x-kubernetes-preserve-unknown-fields); when the
 *   field is one of a definition a few levels down, or its name is a
 *   near-miss of one, the message says where it belongs;
 * - a value of the wrong type (string, integer, number, boolean, object,
 *   array) is an error. Stricter than kubectl, a number or a boolean where
 *   the schema wants a string is one too, since the server refuses it:
 *   only an int-or-string field and a quantity take both;
 * - a required field that is missing (or null) is an error;
 * - null values are not checked, and kinds with no definition (custom
 *   resources the server has no schema for) are skipped.
 *
 * Each problem goes into `diags` at the file:line:column of the field.
 * *unsure is set when another copy of the schema could answer differently:
 * a kind had no definition, or a custom resource (whose definition changes
 * with its CustomResourceDefinition) had a problem. Returns the number of
 * problems added.
 */
size_t openapi_validate(struct diagnostics *diags, bool *unsure, const struct openapi *api,
                        const struct manifest_set *set);

#endif
