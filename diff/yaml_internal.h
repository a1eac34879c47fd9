#ifndef BERTH_YAML_INTERNAL_H
#define BERTH_YAML_INTERNAL_H

/* What the parser (yaml_doc.c) and the emitter (yaml_emit.c) share. */
#include <json-c/json.h>
#include <stdbool.h>

/* A plain scalar resolved to a new json value, as go-yaml reads it (a
 * string, number or boolean); NULL, with *is_null set, only for null. */
struct json_object *yaml_resolve_plain(const char *s, bool *is_null);

#endif
