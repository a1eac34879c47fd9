/* Strategic merge patch and JSON merge patch, computed and applied as
 * apimachinery does: the helpers both directions share, JSON merge patch
 * for kinds without a schema, and the entry points. */
#include "merge.h"
#include "merge_internal.h"

#include "base/alloc.h"
#include "base/berth_error.h"
#include "base/json_value.h"
#include "quantity.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Go compares types with reflect.TypeOf; json-c's int and double both come
 * from JSON numbers, so treat them as one type. */
bool merge_same_type(struct json_object *a, struct json_object *b)
{
	enum json_type ta = json_object_get_type(a), tb = json_object_get_type(b);

	if (ta == json_type_double)
		ta = json_type_int;
	if (tb == json_type_double)
		tb = json_type_int;
	return ta == tb;
}

/* Go's `==` on two interface values holding scalars. */
bool merge_scalar_equal(struct json_object *a, struct json_object *b)
{
	if (is_type(a, json_type_object) || is_type(a, json_type_array) ||
	    is_type(b, json_type_object) || is_type(b, json_type_array))
		return false;
	return json_value_equal(a, b);
}

/* Where `item` (or its merge key) is in `list`, or -1. */
int merge_index_in(struct json_object *list, struct json_object *item, const char *key)
{
	size_t i, n = json_object_array_length(list);
	struct json_object *want = key ? json_value_get(item, key) : item;

	for (i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(list, i);
		if (merge_scalar_equal(key ? json_value_get(e, key) : e, want))
			return (int)i;
	}
	return -1;
}

/* Is `item` a `$patch: delete` directive? */
static bool merge_is_delete_directive(struct json_object *item)
{
	const char *d = json_value_get_string(item, DIRECTIVE);

	return d && !strcmp(d, "delete");
}

/* A list's items in the order of their index in `order` (stable); with a
 * merge key, `$patch: delete` items go last (normalizeSliceOrder). */
struct json_object *merge_sort_by_order(struct json_object *items, struct json_object *order,
                                        const char *key)
{
	struct json_object *sorted = json_object_new_array(), *deletes = json_object_new_array();
	size_t i, j, n = json_object_array_length(items);

	for (i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(items, i);
		if (key && merge_is_delete_directive(e)) {
			json_object_array_add(deletes, json_object_get(e));
			continue;
		}
		/* Insertion sort keeps it stable. */
		json_object_array_add(sorted, json_object_get(e));
		for (j = json_object_array_length(sorted) - 1; j > 0; j--) {
			struct json_object *a = json_object_array_get_idx(sorted, j - 1);
			struct json_object *b = json_object_array_get_idx(sorted, j);
			int ia = merge_index_in(order, a, key), ib = merge_index_in(order, b, key);
			if (ia < 0 || ib < 0 || ia <= ib)
				break;
			json_object_get(a);
			json_object_get(b);
			json_object_array_put_idx(sorted, j - 1, b);
			json_object_array_put_idx(sorted, j, a);
		}
	}
	for (i = 0; i < json_object_array_length(deletes); i++)
		json_object_array_add(sorted,
		                      json_object_get(json_object_array_get_idx(deletes, i)));
	json_object_put(deletes);
	return sorted;
}

/* ---- JSON merge patch (RFC 7386), for kinds without a schema ------------- */

/* CreateMergePatch(a, b): what turns a into b; lists replaced whole. */
static struct json_object *merge_patch_diff(struct json_object *a, struct json_object *b)
{
	struct json_object *patch = json_object_new_object();

	json_object_object_foreach(b, key, bv)
	{
		struct json_object *av;
		if (!json_object_object_get_ex(a, key, &av)) {
			json_object_object_add(patch, key, json_value_copy(bv));
		} else if (is_type(av, json_type_object) && is_type(bv, json_type_object)) {
			struct json_object *sub = merge_patch_diff(av, bv);
			if (json_object_object_length(sub))
				json_object_object_add(patch, key, sub);
			else
				json_object_put(sub);
		} else if (!json_value_equal(av, bv)) {
			json_object_object_add(patch, key, json_value_copy(bv));
		}
	}
	json_object_object_foreach(a, akey, aval)
	{
		(void)aval;
		if (!json_object_object_get_ex(b, akey, NULL))
			json_object_object_add(patch, akey, NULL);
	}
	return patch;
}

/* keepOrDeleteNullInObj: keep only the nulls, or only the rest. */
static struct json_object *filter_nulls(struct json_object *m, bool keep_null)
{
	struct json_object *out = json_object_new_object();

	json_object_object_foreach(m, key, v)
	{
		if (!v) {
			if (keep_null)
				json_object_object_add(out, key, NULL);
		} else if (is_type(v, json_type_object) && json_object_object_length(v) == 0) {
			if (!keep_null)
				json_object_object_add(out, key, json_object_new_object());
		} else if (is_type(v, json_type_object)) {
			struct json_object *sub = filter_nulls(v, keep_null);
			if (json_object_object_length(sub))
				json_object_object_add(out, key, sub);
			else
				json_object_put(sub);
		} else if (!keep_null) {
			json_object_object_add(out, key, json_value_copy(v));
		}
	}
	return out;
}

/* RFC 7386: apply `patch` to `doc` (modified in place; returns it). */
static struct json_object *merge_patch_apply(struct json_object *doc, struct json_object *patch)
{
	if (!is_type(patch, json_type_object)) {
		json_object_put(doc);
		return json_value_copy(patch);
	}
	if (!is_type(doc, json_type_object)) {
		json_object_put(doc);
		doc = json_object_new_object();
	}
	json_object_object_foreach(patch, key, pv)
	{
		if (!pv) {
			json_object_object_del(doc, key);
		} else {
			struct json_object *cur = json_object_get(json_value_get(doc, key));
			json_object_object_add(doc, key, merge_patch_apply(cur, pv));
		}
	}
	return doc;
}

static int json_merge3(struct json_object **out, struct json_object *original,
                       struct json_object *modified, struct json_object *current)
{
	struct json_object *empty = json_object_new_object();
	struct json_object *add_raw = merge_patch_diff(current ? current : empty, modified);
	struct json_object *del_raw = merge_patch_diff(original ? original : empty, modified);
	struct json_object *add = filter_nulls(add_raw, false), *del = filter_nulls(del_raw, true);
	struct json_object *patch = merge_patch_apply(del, add);
	struct json_object *meta = json_value_get(patch, "metadata");
	int error = 0;

	/* kubectl refuses a patch that would change what names the object. */
	if (current && (json_object_object_get_ex(patch, "apiVersion", NULL) ||
	                json_object_object_get_ex(patch, "kind", NULL) ||
	                json_object_object_get_ex(meta, "name", NULL))) {
		error = berth_error_set("at least one of apiVersion, kind and name was changed");
		json_object_put(patch);
	} else {
		*out = patch;
	}
	json_object_put(add_raw);
	json_object_put(del_raw);
	json_object_put(add);
	json_object_put(empty);
	return error;
}

/* ---- the entry points ----------------------------------------------------- */

int merge3_patch(struct json_object **out, struct json_object *original,
                 struct json_object *modified, struct json_object *current,
                 const struct schema_type *schema)
{
	struct diff_opts delta_opts = {false, true, false}, deletion_opts = {true, false, false};
	struct merge_opts opts = {false, false};
	struct json_object *empty = json_object_new_object(), *delta = NULL, *deletions = NULL;
	int error;

	if (!schema) {
		json_object_put(empty);
		return json_merge3(out, original, modified, current);
	}
	if ((error = merge_diff_maps(&delta, current ? current : empty, modified, schema,
	                             delta_opts)) < 0 ||
	    (error = merge_diff_maps(&deletions, original ? original : empty, modified, schema,
	                             deletion_opts)) < 0)
		goto out;
	error = merge_map(out, json_object_get(deletions), delta, schema, opts);
out:
	json_object_put(delta);
	json_object_put(deletions);
	json_object_put(empty);
	if (error < 0)
		berth_error_prefix(error, "cannot compute the patch");
	return error;
}

int merge_apply(struct json_object **out, struct json_object *obj, struct json_object *patch,
                const struct schema_type *schema)
{
	struct merge_opts opts = {true, true};

	if (!schema) {
		*out = merge_patch_apply(json_value_copy(obj), patch);
		return 0;
	}
	return merge_map(out, json_value_copy(obj), patch, schema, opts);
}
