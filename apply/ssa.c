/* Server-side apply: field managers, conflicts, and the taking over of
 * fields kubectl applied client-side. */
#include "ssa.h"

#include "../diff/base/json_value.h"

#include <stdbool.h>
#include <string.h>

/* Managers whose Update entries are client-side apply's. */
static const char *const client_side[] = {"kubectl-client-side-apply", FIELD_MANAGER,
                                          "before-first-apply"};

static bool is(struct json_object *entry, const char *manager, const char *operation)
{
	const char *m = json_value_get_string(entry, "manager"),
	           *op = json_value_get_string(entry, "operation");

	return m && op && !strcmp(m, manager) && !strcmp(op, operation);
}

static bool client_side_apply(struct json_object *entry)
{
	size_t i;

	for (i = 0; i < sizeof(client_side) / sizeof(*client_side); i++)
		if (is(entry, client_side[i], "Update"))
			return true;
	return false;
}

/* Add the field set `from` (fieldsV1: nested maps of "f:name", "k:{..}",
 * "v:..", ".") to `into`. */
static void fields_union(struct json_object *into, struct json_object *from)
{
	json_object_object_foreach(from, key, v)
	{
		struct json_object *have = json_value_get(into, key);

		if (json_object_is_type(have, json_type_object) &&
		    json_object_is_type(v, json_type_object))
			fields_union(have, v);
		else if (!have)
			json_object_object_add(into, key, json_value_copy(v));
	}
}

static struct json_object *op(const char *name, const char *path, struct json_object *value)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "op", json_object_new_string(name));
	json_object_object_add(o, "path", json_object_new_string(path));
	json_object_object_add(o, "value", value);
	return o;
}

void ssa_takeover_patch(struct json_object **out, struct json_object *live)
{
	struct json_object *meta = json_value_get(live, "metadata");
	struct json_object *entries = json_value_get(meta, "managedFields");
	const char *rv = json_value_get_string(meta, "resourceVersion");
	struct json_object *kept, *apply = NULL, *first = NULL, *fields;
	size_t i;

	*out = NULL;
	if (!rv)
		return;
	kept = json_object_new_array();
	for (i = 0; i < json_value_array_len(entries); i++) {
		struct json_object *e = json_object_array_get_idx(entries, i);

		if (client_side_apply(e))
			first = first ? first : e;
		else if (is(e, FIELD_MANAGER, "Apply") && !apply)
			apply = json_value_copy(e);
		else
			json_object_array_add(kept, json_value_copy(e));
	}
	if (!first) {
		json_object_put(kept);
		json_object_put(apply);
		return;
	}
	if (!apply) {
		apply = json_object_new_object();
		json_object_object_add(apply, "manager", json_object_new_string(FIELD_MANAGER));
		json_object_object_add(apply, "operation", json_object_new_string("Apply"));
		json_object_object_add(apply, "apiVersion",
		                       json_value_copy(json_value_get(first, "apiVersion")));
		json_object_object_add(apply, "time",
		                       json_value_copy(json_value_get(first, "time")));
		json_object_object_add(apply, "fieldsType", json_object_new_string("FieldsV1"));
	}
	if (!json_object_is_type((fields = json_value_get(apply, "fieldsV1")), json_type_object))
		json_object_object_add(apply, "fieldsV1", (fields = json_object_new_object()));
	for (i = 0; i < json_value_array_len(entries); i++) {
		struct json_object *e = json_object_array_get_idx(entries, i);

		if (client_side_apply(e) &&
		    json_object_is_type(json_value_get(e, "fieldsV1"), json_type_object))
			fields_union(fields, json_value_get(e, "fieldsV1"));
	}
	json_object_array_add(kept, apply);
	*out = json_object_new_array();
	/* Replacing the resourceVersion with the one read makes the server
	 * refuse the patch if the object changed since. */
	json_object_array_add(
	    *out, op("replace", "/metadata/resourceVersion", json_object_new_string(rv)));
	json_object_array_add(*out, op("replace", "/metadata/managedFields", kept));
}

void ssa_fill_keys(struct json_object *obj)
{
	const char *api = json_value_get_string(obj, "apiVersion"),
	           *kind = json_value_get_string(obj, "kind");
	struct json_object *ports = json_value_get(json_value_get(obj, "spec"), "ports");
	size_t i;

	if (!api || !kind || strcmp(api, "v1") || strcmp(kind, "Service"))
		return;
	for (i = 0; i < json_value_array_len(ports); i++) {
		struct json_object *port = json_object_array_get_idx(ports, i);

		if (json_object_is_type(port, json_type_object) &&
		    !json_value_get(port, "protocol"))
			json_object_object_add(port, "protocol", json_object_new_string("TCP"));
	}
}
