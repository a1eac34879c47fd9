/* The three-way strategic merge patch, as apimachinery's
 * CreateThreeWayMergePatch computes it (diffMaps and friends). */
#include "merge.h"
#include "merge_internal.h"

#include "base/alloc.h"
#include "base/berth_error.h"
#include "base/json_value.h"
#include "quantity.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* fmt.Sprintf("%v", v) for a scalar, as Go sorts and matches merge keys. */
static void scalar_string(struct buf *out, struct json_object *v)
{
	if (is_type(v, json_type_string))
		buf_adds(out, json_object_get_string(v));
	else if (!v)
		buf_adds(out, "<nil>");
	else
		json_value_write(out, v);
}

static int cmp_scalar_strings(struct json_object *a, struct json_object *b)
{
	struct buf x = BUF_INIT, y = BUF_INIT;
	int c;

	if (is_type(a, json_type_string) && is_type(b, json_type_string))
		return strcmp(json_object_get_string(a), json_object_get_string(b));

	scalar_string(&x, a);
	scalar_string(&y, b);
	c = strcmp(x.ptr, y.ptr);
	buf_release(&x);
	buf_release(&y);
	return c;
}

/* ---- semantic equality ---------------------------------------------------- */

/* Would the server store nothing for this value? null and an empty list
 * always; an empty map only where the field is a Go map, which it omits
 * (an empty struct such as `emptyDir: {}` is kept). */
static bool stores_nothing(struct json_object *v, const struct schema_field *f)
{
	return !v || (is_type(v, json_type_array) && json_object_array_length(v) == 0) ||
	       (is_type(v, json_type_object) && json_object_object_length(v) == 0 && f && f->type &&
	        f->type->go_map);
}

static bool is_scalar(struct json_object *v)
{
	return v && !is_type(v, json_type_object) && !is_type(v, json_type_array);
}

static bool values_equal(struct json_object *a, struct json_object *b, bool quantity)
{
	struct buf x = BUF_INIT, y = BUF_INIT;
	bool equal;

	if (!quantity || !is_scalar(a) || !is_scalar(b))
		return json_value_equal(a, b);
	/* A quantity may be a string ("250m") or a number (0.25). */
	scalar_string(&x, a);
	scalar_string(&y, b);
	equal = !strcmp(x.ptr, y.ptr) || quantity_equal_strings(x.ptr, y.ptr);
	buf_release(&x);
	buf_release(&y);
	return equal;
}

/* A copy of a value being added whole, less what the server would not
 * store anywhere inside it (stores_nothing), so it predicts the same. */
static struct json_object *stored_copy(struct json_object *v, const struct schema_type *type)
{
	struct json_object *copy;

	if (is_type(v, json_type_array)) {
		size_t i, n = json_object_array_length(v);
		copy = json_object_new_array();
		for (i = 0; i < n; i++)
			json_object_array_add(copy,
			                      stored_copy(json_object_array_get_idx(v, i), type));
		return copy;
	}
	if (!is_type(v, json_type_object))
		return json_value_copy(v);
	copy = json_object_new_object();
	json_object_object_foreach(v, key, child)
	{
		const struct schema_field *f = schema_field(type, key);
		if (!stores_nothing(child, f))
			json_object_object_add(copy, key, stored_copy(child, f ? f->type : NULL));
	}
	return copy;
}

/* Does `live` hold every field `want` has, with the same value? Maps may
 * have more keys live; lists must match element by element. */
static bool holds(struct json_object *live, struct json_object *want,
                  const struct schema_type *type)
{
	if (is_type(want, json_type_object)) {
		if (!is_type(live, json_type_object))
			return false;
		json_object_object_foreach(want, key, wv)
		{
			const struct schema_field *f = schema_field(type, key);
			struct json_object *lv = json_value_get(live, key);
			bool quantity = (f && f->quantity) || (type && type->quantity_values);

			if (!lv && stores_nothing(wv, f))
				continue;
			if (!lv ||
			    (!holds(lv, wv, f ? f->type : NULL) && !values_equal(lv, wv, quantity)))
				return false;
		}
		return true;
	}
	if (is_type(want, json_type_array)) {
		size_t i, n = json_object_array_length(want);
		if (!is_type(live, json_type_array) || json_object_array_length(live) != n)
			return false;
		for (i = 0; i < n; i++)
			if (!holds(json_object_array_get_idx(live, i),
			           json_object_array_get_idx(want, i), type))
				return false;
		return true;
	}
	return json_value_equal(live, want);
}

/* Would merge3_patch() from `current` to `modified`, with `modified` as
 * the original too, be empty? Decided without building the patch, and
 * strictly: every key of modified's maps is in current's, lists and scalars
 * are equal as they are, and a map under a retainKeys field has no key
 * current holds alone (which would ask for the directive). When it says
 * false the patch may still be empty: merge3_patch() decides. */
bool merge_unchanged(struct json_object *current, struct json_object *modified,
                     const struct schema_type *type)
{
	if (!is_type(modified, json_type_object) || !is_type(current, json_type_object))
		return json_value_equal(current, modified);
	json_object_object_foreach(modified, key, mv)
	{
		const struct schema_field *f = schema_field(type, key);
		struct json_object *cv;

		if (!json_object_object_get_ex(current, key, &cv) ||
		    !merge_unchanged(cv, mv, f ? f->type : NULL) ||
		    (f && (f->strategy & SCHEMA_RETAIN_KEYS) && is_type(mv, json_type_object) &&
		     json_object_object_length(cv) != json_object_object_length(mv)))
			return false;
	}
	return true;
}

/* ---- diff (CreateThreeWayMergePatch's diffMaps and friends) ------------ */

int merge_diff_maps(struct json_object **out, struct json_object *original,
                    struct json_object *modified, const struct schema_type *type,
                    struct diff_opts opts);

static int cmp_strings(const void *a, const void *b)
{
	return strcmp(json_object_get_string(*(struct json_object *const *)a),
	              json_object_get_string(*(struct json_object *const *)b));
}

/* A shallow copy of a list sorted by fmt %v of the merge key (or item). */
static struct json_object **sorted_items(struct json_object *list, const char *key, size_t *n)
{
	struct json_object **items;
	size_t i, j;

	*n = json_object_array_length(list);
	items = xcalloc(*n, sizeof(*items));
	for (i = 0; i < *n; i++) {
		items[i] = json_object_array_get_idx(list, i);
		/* Stable insertion sort: Go sorts merge lists with sort.Sort, which
		 * only matters for equal keys, which a merge list has not. */
		for (j = i; j > 0; j--) {
			struct json_object *a = items[j - 1], *b = items[j];
			if (cmp_scalar_strings(key ? json_value_get(a, key) : a,
			                       key ? json_value_get(b, key) : b) <= 0)
				break;
			items[j - 1] = b;
			items[j] = a;
		}
	}
	return items;
}

static int diff_lists_of_maps(struct json_object *patch, struct json_object *deletes,
                              struct json_object *original, struct json_object *modified,
                              const struct schema_type *type, const char *key,
                              struct diff_opts opts)
{
	size_t no, nm, i = 0, j = 0;
	struct json_object **o = sorted_items(original, key, &no);
	struct json_object **m = sorted_items(modified, key, &nm);
	int error = 0;

	for (i = 0; i < no; i++)
		if (!is_type(o[i], json_type_object) || !is_scalar(json_value_get(o[i], key)))
			goto no_key;
	for (j = 0; j < nm; j++)
		if (!is_type(m[j], json_type_object) || !is_scalar(json_value_get(m[j], key)))
			goto no_key;
	i = j = 0;
	while (i < no || j < nm) {
		int c = i < no && j < nm ? cmp_scalar_strings(json_value_get(o[i], key),
		                                              json_value_get(m[j], key))
		                         : (i < no ? -1 : 1);
		if (c == 0) {
			struct json_object *sub = NULL;
			if ((error = merge_diff_maps(&sub, o[i], m[j], type, opts)) < 0)
				goto out;
			if (json_object_object_length(sub) > 0) {
				json_object_object_add(sub, key,
				                       json_object_get(json_value_get(m[j], key)));
				json_object_array_add(patch, sub);
			} else {
				json_object_put(sub);
			}
			i++, j++;
		} else if (c > 0) {
			if (!opts.ignore_changes)
				json_object_array_add(patch, stored_copy(m[j], type));
			j++;
		} else {
			if (!opts.ignore_deletions) {
				struct json_object *d = json_object_new_object();
				json_object_object_add(d, key,
				                       json_object_get(json_value_get(o[i], key)));
				json_object_object_add(d, DIRECTIVE,
				                       json_object_new_string("delete"));
				json_object_array_add(deletes, d);
			}
			i++;
		}
	}
	goto out;
no_key:
	error = berth_error_set("a list merged by '%s' has an element without it as a scalar", key);
out:
	free(o);
	free(m);
	return error;
}

static void diff_lists_of_scalars(struct json_object *adds, struct json_object *deletes,
                                  struct json_object *original, struct json_object *modified,
                                  struct diff_opts opts)
{
	size_t no, nm, i = 0, j = 0, k;
	struct json_object **o = sorted_items(original, NULL, &no);
	struct json_object **m = sorted_items(modified, NULL, &nm);

	while (i < no || j < nm) {
		int c = i < no && j < nm ? cmp_scalar_strings(o[i], m[j]) : (i < no ? -1 : 1);
		if (c == 0) {
			i++, j++;
		} else if (c < 0) {
			bool seen = false;
			for (k = 0; k < json_object_array_length(deletes); k++)
				seen |=
				    merge_scalar_equal(json_object_array_get_idx(deletes, k), o[i]);
			if (!opts.ignore_deletions && !seen)
				json_object_array_add(deletes, json_value_copy(o[i]));
			i++;
		} else {
			if (!opts.ignore_changes)
				json_object_array_add(adds, json_value_copy(m[j]));
			j++;
		}
	}
	free(o);
	free(m);
}

static bool order_same(struct json_object *original, struct json_object *modified, const char *key)
{
	size_t i, n = json_object_array_length(modified);

	if (json_object_array_length(original) != n)
		return false;
	for (i = 0; i < n; i++)
		if (!merge_scalar_equal(
		        json_value_get(json_object_array_get_idx(original, i), key),
		        json_value_get(json_object_array_get_idx(modified, i), key)))
			return false;
	return true;
}

/* diffLists: the patch list, the primitive deletion list and the order list. */
static int diff_lists(struct json_object **patch, struct json_object **deletes,
                      struct json_object **order, struct json_object *original,
                      struct json_object *modified, const struct schema_field *f,
                      struct diff_opts opts)
{
	size_t i, n = json_object_array_length(modified);
	struct json_object *p = json_object_new_array(), *d = json_object_new_array();
	bool maps;

	*patch = *deletes = *order = NULL;
	if (json_object_array_length(original) == 0) {
		if (n && !opts.ignore_changes)
			*patch = json_value_copy(modified);
		json_object_put(p);
		json_object_put(d);
		return 0;
	}
	maps = is_type(json_object_array_get_idx(original, 0), json_type_object);
	if (maps) {
		struct json_object *sorted;
		if (!f->merge_key) {
			json_object_put(p);
			json_object_put(d);
			return berth_error_set("a list of maps merged without a merge key");
		}
		if (diff_lists_of_maps(p, d, original, modified, f->type, f->merge_key, opts) < 0) {
			json_object_put(p);
			json_object_put(d);
			return -1;
		}
		sorted = merge_sort_by_order(p, modified, f->merge_key);
		json_object_put(p);
		p = sorted;
		for (i = 0; i < json_object_array_length(d); i++)
			json_object_array_add(p, json_object_get(json_object_array_get_idx(d, i)));
		json_object_put(d);
		d = json_object_new_array();
		if ((!opts.ignore_changes && (json_object_array_length(p) > 0 ||
		                              !order_same(original, modified, f->merge_key))) ||
		    (!opts.ignore_deletions && json_object_array_length(p) > 0)) {
			*order = json_object_new_array();
			for (i = 0; i < n; i++) {
				struct json_object *e = json_object_new_object();
				json_object_object_add(
				    e, f->merge_key,
				    json_object_get(json_value_get(
				        json_object_array_get_idx(modified, i), f->merge_key)));
				json_object_array_add(*order, e);
			}
		}
	} else {
		struct json_object *sorted;
		diff_lists_of_scalars(p, d, original, modified, opts);
		sorted = merge_sort_by_order(p, modified, NULL);
		json_object_put(p);
		p = sorted;
		if ((!opts.ignore_deletions && json_object_array_length(d) > 0) ||
		    (!opts.ignore_changes && !json_value_equal(original, modified)))
			*order = json_value_copy(modified);
	}
	if (json_object_array_length(p))
		*patch = p;
	else
		json_object_put(p);
	if (json_object_array_length(d))
		*deletes = d;
	else
		json_object_put(d);
	return 0;
}

static void add_key(struct json_object *patch, const char *prefix, const char *key,
                    struct json_object *value)
{
	struct buf name = BUF_INIT;

	buf_addf(&name, "%s%s", prefix, key);
	json_object_object_add(patch, name.ptr, value);
	buf_release(&name);
}

int merge_diff_maps(struct json_object **out, struct json_object *original,
                    struct json_object *modified, const struct schema_type *type,
                    struct diff_opts opts)
{
	struct json_object *patch = json_object_new_object();
	struct json_object *retain = opts.retain_keys ? json_object_new_array() : NULL;
	int error = 0;

	json_object_object_foreach(modified, key, mv)
	{
		const struct schema_field *f = schema_field(type, key);
		bool quantity = (f && f->quantity) || (type && type->quantity_values);
		struct json_object *ov;

		if (retain && mv)
			json_object_array_add(retain, json_object_new_string(key));
		if (!json_object_object_get_ex(original, key, &ov)) {
			/* A value the server would not store equals an absent one. */
			if (!opts.ignore_changes && !stores_nothing(mv, f))
				json_object_object_add(patch, key,
				                       stored_copy(mv, f ? f->type : NULL));
			continue;
		}
		if (!strcmp(key, DIRECTIVE)) {
			if (!json_value_equal(ov, mv))
				json_object_object_add(patch, key, json_value_copy(mv));
			continue;
		}
		if (quantity && is_scalar(ov) && is_scalar(mv)) {
			if (!opts.ignore_changes && !values_equal(ov, mv, true))
				json_object_object_add(patch, key, json_value_copy(mv));
			continue;
		}
		if (!merge_same_type(ov, mv)) {
			if (!opts.ignore_changes &&
			    !(stores_nothing(mv, f) && stores_nothing(ov, f)))
				json_object_object_add(patch, key, json_value_copy(mv));
			continue;
		}
		if (is_type(ov, json_type_object)) {
			struct json_object *sub = NULL;
			struct diff_opts sub_opts = opts;

			sub_opts.retain_keys = f && (f->strategy & SCHEMA_RETAIN_KEYS);
			if ((error = merge_diff_maps(&sub, ov, mv, f ? f->type : NULL, sub_opts)) <
			    0)
				goto out;
			if (json_object_object_length(sub) > 0)
				json_object_object_add(patch, key, sub);
			else
				json_object_put(sub);
		} else if (is_type(ov, json_type_array) && f && (f->strategy & SCHEMA_MERGE)) {
			struct json_object *add, *del, *order;
			struct diff_opts list_opts = opts;

			list_opts.retain_keys = f->strategy & SCHEMA_RETAIN_KEYS;
			if ((error = diff_lists(&add, &del, &order, ov, mv, f, list_opts)) < 0)
				goto out;
			if (add)
				json_object_object_add(patch, key, add);
			if (del)
				add_key(patch, DELETE_PRIMITIVE_PREFIX, key, del);
			if (order)
				add_key(patch, SET_ORDER_PREFIX, key, order);
		} else if (!opts.ignore_changes) {
			/* Atomic: the whole value, unless the live one holds it all. */
			bool same = is_type(ov, json_type_array) ? holds(ov, mv, f ? f->type : NULL)
			                                         : values_equal(ov, mv, quantity);
			if (!same)
				json_object_object_add(patch, key, json_value_copy(mv));
		}
	}
	if (!opts.ignore_deletions) {
		json_object_object_foreach(original, okey, oval)
		{
			(void)oval;
			if (!json_object_object_get_ex(modified, okey, NULL))
				json_object_object_add(patch, okey, NULL);
		}
	}
	if (retain && json_object_array_length(retain) > 0) {
		bool extra = false;
		json_object_object_foreach(original, okey, oval)
		{
			if (oval && !json_object_object_get_ex(modified, okey, NULL))
				extra = true;
		}
		if (json_object_object_length(patch) > 0 || extra) {
			json_object_array_sort(retain, cmp_strings);
			json_object_object_add(patch, RETAIN_KEYS, json_object_get(retain));
		}
	}
	*out = patch;
	patch = NULL;
out:
	json_object_put(retain);
	json_object_put(patch);
	return error;
}
