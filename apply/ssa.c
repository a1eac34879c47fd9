/* Server-side apply: field managers, conflicts, and the taking over of
 * fields kubectl applied client-side. */
#include "ssa.h"

#include "../diff/drift.h"

#include "../diff/base/alloc.h"
#include "../diff/base/json_value.h"

#include <stdbool.h>
#include <stdlib.h>
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

/* The JSON patch operation that removes the last-applied annotation. */
static struct json_object *remove_last_applied(void)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "op", json_object_new_string("remove"));
	/* The key's "/" is "~1" in a JSON pointer (RFC 6901). */
	json_object_object_add(
	    o, "path",
	    json_object_new_string(
	        "/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration"));
	return o;
}

void ssa_takeover_patch(struct json_object **out, struct json_object *live)
{
	struct json_object *meta = json_value_get(live, "metadata");
	struct json_object *entries = json_value_get(meta, "managedFields");
	const char *rv = json_value_get_string(meta, "resourceVersion");
	bool annotated =
	    json_value_get(json_value_get(meta, "annotations"), LAST_APPLIED_ANNOTATION) != NULL;
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
		if (annotated) {
			*out = json_object_new_array();
			json_object_array_add(*out, op("replace", "/metadata/resourceVersion",
			                               json_object_new_string(rv)));
			json_object_array_add(*out, remove_last_applied());
		}
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
	if (annotated)
		json_object_array_add(*out, remove_last_applied());
}

/* Does the field set (fieldsV1) name anything inside its field, not only
 * the field itself (".")? */
static bool names_inside(struct json_object *set)
{
	json_object_object_foreach(set, key, v)
	{
		(void)v;
		if (strcmp(key, "."))
			return true;
	}
	return false;
}

static struct json_object *select_fields(struct json_object *value, struct json_object *set);

/* Does list item `item` have the key fields `keys` ({"name": "web"})? */
static bool has_keys(struct json_object *item, struct json_object *keys)
{
	if (!json_object_is_type(item, json_type_object) ||
	    !json_object_is_type(keys, json_type_object))
		return false;
	json_object_object_foreach(keys, key, want)
	{
		if (!json_value_equal(json_value_get(item, key), want))
			return false;
	}
	return true;
}

/* The items of `list` the field set names: by their key fields
 * ("k:{...}"), by value ("v:..."), or by index ("i:N"); in the list's
 * order. Of a key, only the fields the set owns come out: one the server
 * defaulted (a port's protocol) was never applied. */
static struct json_object *select_items(struct json_object *list, struct json_object *set)
{
	size_t i, j, next = 0, n = json_object_array_length(list);
	struct json_object **sub = xcalloc(n + 1, sizeof(*sub));
	struct json_object *out = json_object_new_array();

	json_object_object_foreach(set, key, s)
	{
		struct json_object *v = NULL;
		char *end = NULL;
		unsigned long index = 0;

		if (!strncmp(key, "k:", 2) || !strncmp(key, "v:", 2))
			v = json_value_parse(key + 2, strlen(key + 2));
		else if (!strncmp(key, "i:", 2))
			index = strtoul(key + 2, &end, 10);
		/* The set names items in the list's order, as a rule: look
		 * from after the last one found. */
		for (j = 0; j < n; j++) {
			struct json_object *item =
			    json_object_array_get_idx(list, (i = (next + j) % n));

			if (!sub[i] &&
			    ((key[0] == 'k' && has_keys(item, v)) ||
			     (key[0] == 'v' && v && json_value_equal(item, v)) ||
			     (key[0] == 'i' && end && end != key + 2 && !*end && index == i))) {
				sub[i] = s;
				next = i + 1;
				break;
			}
		}
		json_object_put(v);
	}
	for (i = 0; i < n; i++)
		if (sub[i])
			json_object_array_add(
			    out, select_fields(json_object_array_get_idx(list, i), sub[i]));
	free(sub);
	return out;
}

/* The parts of `value` that the field set `set` names, as a new object. */
static struct json_object *select_fields(struct json_object *value, struct json_object *set)
{
	struct json_object *out, *v;

	/* Owned whole: a scalar or a list as it is; a map, or a list owned
	 * only as a container ("."), comes out empty, for what is in it may
	 * be another writer's or the server's. */
	if (!names_inside(set)) {
		if (json_object_is_type(value, json_type_object))
			return json_object_new_object();
		if (json_object_is_type(value, json_type_array) && json_value_get(set, "."))
			return json_object_new_array();
		return json_value_copy(value);
	}
	if (json_object_is_type(value, json_type_array))
		return select_items(value, set);
	if (!json_object_is_type(value, json_type_object))
		return json_value_copy(value);
	out = json_object_new_object();
	json_object_object_foreach(set, key, s)
	{
		if (!strncmp(key, "f:", 2) && json_object_object_get_ex(value, key + 2, &v))
			json_object_object_add(out, key + 2, select_fields(v, s));
	}
	return out;
}

void ssa_applied(struct json_object **out, struct json_object *live)
{
	struct json_object *entries =
	    json_value_get(json_value_get(live, "metadata"), "managedFields");
	const char *api = json_value_get_string(live, "apiVersion");
	size_t i;

	*out = NULL;
	for (i = 0; api && i < json_value_array_len(entries); i++) {
		struct json_object *e = json_object_array_get_idx(entries, i);
		const char *version = json_value_get_string(e, "apiVersion");
		struct json_object *fields = json_value_get(e, "fieldsV1");

		/* A field set is of its own version: another's paths may differ. */
		if (is(e, FIELD_MANAGER, "Apply") && version && !strcmp(version, api) &&
		    json_object_is_type(fields, json_type_object)) {
			*out = select_fields(live, fields);
			return;
		}
	}
}

void ssa_body(struct json_object **out, struct json_object *desired)
{
	struct json_object *annotations;

	*out = json_value_copy(desired);
	annotations = json_value_get(json_value_get(*out, "metadata"), "annotations");
	if (json_object_is_type(annotations, json_type_object))
		json_object_object_del(annotations, LAST_APPLIED_ANNOTATION);
	ssa_fill_keys(*out);
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
