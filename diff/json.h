#ifndef BERTH_JSON_H
#define BERTH_JSON_H

#include <json-c/json.h>

/*
 * The string value of `key` in the json object `obj`, or NULL when obj is
 * not an object, has no such key, or the value is not a string. The string
 * belongs to obj.
 */
const char *json_get_string(struct json_object *obj, const char *key);

#endif
