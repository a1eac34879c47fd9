#include "merge.h"

#include "alloc.h"
#include "error.h"
#include "json.h"
#include "quantity.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define DIRECTIVE               "$patch"
#define RETAIN_KEYS             "$retainKeys"
#define SET_ORDER_PREFIX        "$setElementOrder/"
#define DELETE_PRIMITIVE_PREFIX "$deleteFromPrimitiveList/"

/* DiffOptions and MergeOptions of strategicpatch. */
struct diff_opts {
	bool ignore_changes;   /* IgnoreChangesAndAdditions */
	bool ignore_deletions; /* IgnoreDeletions */
	bool retain_keys;      /* BuildRetainKeysDirective */
};

struct merge_opts {
	bool parallel_lists;         /* MergeParallelList: apply the parallel directive lists */
	bool ignore_unmatched_nulls; /* IgnoreUnmatchedNulls */
};

static bool has_prefix(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

static bool is_type(struct json_object *v, enum json_type t)
{
	return json_object_is_type(v, t);
}

/* Go compares types with reflect.TypeOf; json-c's int and double both come
 * from JSON numbers, so treat them as one type. */
static bool same_type(struct json_object *a, struct json_object *b)
{
	enum json_type ta = json_object_get_type(a), tb = json_object_get_type(b);

	if (ta == json_type_double)
		ta = json_type_int;
	if (tb == json_type_double)
		tb = json_type_int;
	return ta == tb;
}

/* fmt.Sprintf("%v", v) for a scalar, as Go sorts and matches merge keys. */
static void scalar_string(struct buf *out, struct json_object *v)
{
	if (is_type(v, json_type_string))
		buf_adds(out, json_object_get_string(v));
	else if (!v)
		buf_adds(out, "<nil>");
	else
		json_write(out, v);
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

/* Go's `==` on two interface values holding scalars. */
static bool scalar_equal(struct json_object *a, struct json_object *b)
{
	if (is_type(a, json_type_object) || is_type(a, json_type_array) ||
	    is_type(b, json_type_object) || is_type(b, json_type_array))
		return false;
	return json_equal(a, b);
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
		return json_equal(a, b);
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
		return json_copy(v);
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
			struct json_object *lv = json_get(live, key);
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
	return json_equal(live, want);
}

/* ---- diff (CreateThreeWayMergePatch's diffMaps and friends) ------------ */

static int diff_maps(struct json_object **out, struct json_object *original,
                     struct json_object *modified, const struct schema_type *type,
                     struct diff_opts opts);

static int cmp_strings(const void *a, const void *b)
{
	return strcmp(json_object_get_string(*(struct json_object *const *)a),
	              json_object_get_string(*(struct json_object *const *)b));
}

/* Where `item` (or its merge key) is in `list`, or -1. */
static int index_in(struct json_object *list, struct json_object *item, const char *key)
{
	size_t i, n = json_object_array_length(list);
	struct json_object *want = key ? json_get(item, key) : item;

	for (i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(list, i);
		if (scalar_equal(key ? json_get(e, key) : e, want))
			return (int)i;
	}
	return -1;
}

static bool is_delete_directive(struct json_object *item)
{
	const char *d = json_get_string(item, DIRECTIVE);

	return d && !strcmp(d, "delete");
}

/* A list's items in the order of their index in `order` (stable); with a
 * merge key, `$patch: delete` items go last (normalizeSliceOrder). */
static struct json_object *sort_by_order(struct json_object *items, struct json_object *order,
                                         const char *key)
{
	struct json_object *sorted = json_object_new_array(), *deletes = json_object_new_array();
	size_t i, j, n = json_object_array_length(items);

	for (i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(items, i);
		if (key && is_delete_directive(e)) {
			json_object_array_add(deletes, json_object_get(e));
			continue;
		}
		/* Insertion sort keeps it stable. */
		json_object_array_add(sorted, json_object_get(e));
		for (j = json_object_array_length(sorted) - 1; j > 0; j--) {
			struct json_object *a = json_object_array_get_idx(sorted, j - 1);
			struct json_object *b = json_object_array_get_idx(sorted, j);
			int ia = index_in(order, a, key), ib = index_in(order, b, key);
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
			if (cmp_scalar_strings(key ? json_get(a, key) : a,
			                       key ? json_get(b, key) : b) <= 0)
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
		if (!is_type(o[i], json_type_object) || !is_scalar(json_get(o[i], key)))
			goto no_key;
	for (j = 0; j < nm; j++)
		if (!is_type(m[j], json_type_object) || !is_scalar(json_get(m[j], key)))
			goto no_key;
	i = j = 0;
	while (i < no || j < nm) {
		int c = i < no && j < nm
		            ? cmp_scalar_strings(json_get(o[i], key), json_get(m[j], key))
		            : (i < no ? -1 : 1);
		if (c == 0) {
			struct json_object *sub = NULL;
			if ((error = diff_maps(&sub, o[i], m[j], type, opts)) < 0)
				goto out;
			if (json_object_object_length(sub) > 0) {
				json_object_object_add(sub, key,
				                       json_object_get(json_get(m[j], key)));
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
				                       json_object_get(json_get(o[i], key)));
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
				seen |= scalar_equal(json_object_array_get_idx(deletes, k), o[i]);
			if (!opts.ignore_deletions && !seen)
				json_object_array_add(deletes, json_copy(o[i]));
			i++;
		} else {
			if (!opts.ignore_changes)
				json_object_array_add(adds, json_copy(m[j]));
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
		if (!scalar_equal(json_get(json_object_array_get_idx(original, i), key),
		                  json_get(json_object_array_get_idx(modified, i), key)))
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
			*patch = json_copy(modified);
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
		sorted = sort_by_order(p, modified, f->merge_key);
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
				    json_object_get(json_get(json_object_array_get_idx(modified, i),
				                             f->merge_key)));
				json_object_array_add(*order, e);
			}
		}
	} else {
		struct json_object *sorted;
		diff_lists_of_scalars(p, d, original, modified, opts);
		sorted = sort_by_order(p, modified, NULL);
		json_object_put(p);
		p = sorted;
		if ((!opts.ignore_deletions && json_object_array_length(d) > 0) ||
		    (!opts.ignore_changes && !json_equal(original, modified)))
			*order = json_copy(modified);
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

static int diff_maps(struct json_object **out, struct json_object *original,
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
			if (!json_equal(ov, mv))
				json_object_object_add(patch, key, json_copy(mv));
			continue;
		}
		if (quantity && is_scalar(ov) && is_scalar(mv)) {
			if (!opts.ignore_changes && !values_equal(ov, mv, true))
				json_object_object_add(patch, key, json_copy(mv));
			continue;
		}
		if (!same_type(ov, mv)) {
			if (!opts.ignore_changes &&
			    !(stores_nothing(mv, f) && stores_nothing(ov, f)))
				json_object_object_add(patch, key, json_copy(mv));
			continue;
		}
		if (is_type(ov, json_type_object)) {
			struct json_object *sub = NULL;
			struct diff_opts sub_opts = opts;

			sub_opts.retain_keys = f && (f->strategy & SCHEMA_RETAIN_KEYS);
			if ((error = diff_maps(&sub, ov, mv, f ? f->type : NULL, sub_opts)) < 0)
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
				json_object_object_add(patch, key, json_copy(mv));
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

/* ---- merge (mergeMap and friends) ------------------------------------------ */

static int merge_map(struct json_object **out, struct json_object *o, struct json_object *patch,
                     const struct schema_type *type, struct merge_opts opts);

/* Go's deduplicateScalars, order quirks included: a duplicate is replaced by
 * the last element. */
static void dedupe_scalars(struct json_object *list)
{
	size_t i, j, len = json_object_array_length(list);

	if (!len)
		return;
	len--;
	for (i = 0; i < len; i++)
		for (j = i + 1; j <= len; j++)
			if (scalar_equal(json_object_array_get_idx(list, i),
			                 json_object_array_get_idx(list, j))) {
				json_object_array_put_idx(
				    list, j, json_object_get(json_object_array_get_idx(list, len)));
				json_object_array_del_idx(list, len, 1);
				len--;
				j--;
			}
}

static int find_by_key(struct json_object *list, const char *key, struct json_object *value)
{
	size_t i, n = json_object_array_length(list);

	for (i = 0; i < n; i++) {
		struct json_object *v = json_get(json_object_array_get_idx(list, i), key);
		if (v && scalar_equal(v, value))
			return (int)i;
	}
	return -1;
}

/* mergeSortedSlice: put each server-only item into the patch items, keeping
 * both relative orders, using the live order to decide. */
static struct json_object *merge_sorted(struct json_object *left, struct json_object *right,
                                        struct json_object *server_order, const char *key)
{
	struct json_object *s = json_object_new_array();
	size_t i = 0, j = 0, nl = json_object_array_length(left),
	       nr = json_object_array_length(right);

	while (i < nl || j < nr) {
		if (i >= nl) {
			json_object_array_add(
			    s, json_object_get(json_object_array_get_idx(right, j++)));
		} else if (j >= nr) {
			json_object_array_add(
			    s, json_object_get(json_object_array_get_idx(left, i++)));
		} else {
			int li = index_in(server_order, json_object_array_get_idx(left, i), key);
			int ri = index_in(server_order, json_object_array_get_idx(right, j), key);
			if (li >= 0 && ri >= 0 && li < ri)
				json_object_array_add(
				    s, json_object_get(json_object_array_get_idx(left, i++)));
			else
				json_object_array_add(
				    s, json_object_get(json_object_array_get_idx(right, j++)));
		}
	}
	return s;
}

/* normalizeElementOrder after partitioning `merged` by presence in `order`. */
static struct json_object *order_merged(struct json_object *merged, struct json_object *order,
                                        struct json_object *server_order, const char *key)
{
	struct json_object *in = json_object_new_array(), *server_only = json_object_new_array();
	struct json_object *a, *b, *all;
	size_t i, n = json_object_array_length(merged);

	for (i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(merged, i);
		bool present = key ? find_by_key(order, key, json_get(e, key)) >= 0
		                   : index_in(order, e, NULL) >= 0;
		json_object_array_add(present ? in : server_only, json_object_get(e));
	}
	a = sort_by_order(in, order, key);
	b = sort_by_order(server_only, server_order, key);
	all = merge_sorted(b, a, server_order, key);
	json_object_put(in);
	json_object_put(server_only);
	json_object_put(a);
	json_object_put(b);
	return all;
}

static int merge_slice(struct json_object **out, struct json_object *original,
                       struct json_object *patch, const struct schema_field *f,
                       struct merge_opts opts, bool delete_list)
{
	size_t i, n;
	struct json_object *orig = json_copy(original), *rest, *merged;
	bool replace = false;
	bool maps = (json_object_array_length(original) &&
	             is_type(json_object_array_get_idx(original, 0), json_type_object)) ||
	            (json_object_array_length(patch) &&
	             is_type(json_object_array_get_idx(patch, 0), json_type_object));

	if (!json_object_array_length(original) && !json_object_array_length(patch)) {
		*out = orig;
		return 0;
	}
	if (!maps) {
		if (opts.parallel_lists && delete_list) {
			merged = json_object_new_array();
			for (i = 0; i < json_object_array_length(orig); i++) {
				struct json_object *e = json_object_array_get_idx(orig, i);
				if (index_in(patch, e, NULL) < 0)
					json_object_array_add(merged, json_object_get(e));
			}
			json_object_put(orig);
			*out = merged;
			return 0;
		}
		merged = json_copy(orig);
		for (i = 0; i < json_object_array_length(patch); i++)
			json_object_array_add(merged,
			                      json_copy(json_object_array_get_idx(patch, i)));
		dedupe_scalars(merged);
		*out = order_merged(merged, patch, orig, NULL);
		json_object_put(merged);
		json_object_put(orig);
		return 0;
	}
	if (!f || !f->merge_key) {
		json_object_put(orig);
		return berth_error_set("cannot merge a list of maps without a merge key");
	}
	/* mergeSliceWithSpecialElements */
	rest = json_object_new_array();
	n = json_object_array_length(patch);
	for (i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(patch, i);
		const char *d = json_get_string(e, DIRECTIVE);
		if (!d) {
			json_object_array_add(rest, json_object_get(e));
		} else if (!strcmp(d, "delete")) {
			int at;
			if (!json_get(e, f->merge_key)) {
				json_object_put(rest);
				json_object_put(orig);
				return berth_error_set(
				    "a delete directive without its merge key '%s'", f->merge_key);
			}
			while ((at = find_by_key(orig, f->merge_key, json_get(e, f->merge_key))) >=
			       0)
				json_object_array_del_idx(orig, (size_t)at, 1);
		} else if (!strcmp(d, "replace")) {
			/* The list becomes the other elements of the patch; later
			 * deletes still go through, as upstream's do. */
			replace = true;
		} else {
			json_object_put(rest);
			json_object_put(orig);
			return berth_error_set("unknown list directive '%s'", d);
		}
	}
	if (replace) {
		json_object_put(orig);
		*out = rest;
		return 0;
	}
	/* mergeSliceWithoutSpecialElements */
	merged = json_copy(orig);
	for (i = 0; i < json_object_array_length(rest); i++) {
		struct json_object *e = json_object_array_get_idx(rest, i), *m = NULL;
		struct json_object *kv = json_get(e, f->merge_key);
		int at;
		if (!kv) {
			json_object_put(rest);
			json_object_put(orig);
			json_object_put(merged);
			return berth_error_set("a list element without its merge key '%s'",
			                       f->merge_key);
		}
		at = find_by_key(merged, f->merge_key, kv);
		if (at < 0) {
			json_object_array_add(merged, json_copy(e));
			continue;
		}
		if (merge_map(&m, json_object_get(json_object_array_get_idx(merged, (size_t)at)), e,
		              f->type, opts) < 0) {
			json_object_put(rest);
			json_object_put(orig);
			json_object_put(merged);
			return -1;
		}
		json_object_array_put_idx(merged, (size_t)at, m);
	}
	*out = order_merged(merged, rest, orig, f->merge_key);
	json_object_put(merged);
	json_object_put(rest);
	json_object_put(orig);
	return 0;
}

/* mergePatchIntoOriginal: the $setElementOrder lists. */
static int merge_ordered_lists(struct json_object *original, struct json_object *patch,
                               const struct schema_type *type, struct merge_opts opts)
{
	struct json_object *keys = json_object_new_array();
	size_t i;
	int error = 0;

	json_object_object_foreach(patch, pkey, value)
	{
		(void)value;
		if (has_prefix(pkey, SET_ORDER_PREFIX))
			json_object_array_add(keys, json_object_new_string(pkey));
	}
	for (i = 0; i < json_object_array_length(keys) && !error; i++) {
		const char *key = json_object_get_string(json_object_array_get_idx(keys, i));
		const char *field = key + strlen(SET_ORDER_PREFIX);
		const struct schema_field *f = schema_field(type, field);
		struct json_object *order = json_object_get(json_get(patch, key));
		struct json_object *ol = json_get(original, field), *pl = json_get(patch, field);
		struct json_object *merged = NULL;

		if (!is_type(order, json_type_array) || (ol && !is_type(ol, json_type_array)) ||
		    (pl && !is_type(pl, json_type_array))) {
			json_object_put(order);
			error = berth_error_set("'%s' and '%s' must be lists", key, field);
			break;
		}
		if (!opts.parallel_lists && !json_get(original, key))
			json_object_object_add(original, key, json_copy(order));
		json_object_object_del(patch, key);
		if (ol && pl)
			error =
			    merge_slice(&merged, ol, pl,
			                f && (f->strategy & SCHEMA_MERGE) ? f : NULL, opts, false);
		else if (ol || pl)
			merged = json_copy(ol ? ol : pl);
		if (!error && merged) {
			struct json_object *server =
			    ol ? json_object_get(ol) : json_object_new_array();
			struct json_object *all =
			    order_merged(merged, order, server, f ? f->merge_key : NULL);
			json_object_put(server);
			json_object_object_add(original, field, all);
			json_object_object_del(patch, field);
		}
		json_object_put(merged);
		json_object_put(order);
	}
	json_object_put(keys);
	return error;
}

/*
 * mergeMap: merge `patch` into `o`, which the caller hands over: it is changed
 * in place and returned in *out, or freed on failure. `patch` is only read.
 */
static int merge_map(struct json_object **out, struct json_object *o, struct json_object *patch,
                     const struct schema_type *type, struct merge_opts opts)
{
	struct json_object *p = json_copy(patch), *retain;
	const char *directive = json_get_string(p, DIRECTIVE);
	int error = 0;

	if (!is_type(o, json_type_object)) {
		json_object_put(o);
		o = json_object_new_object();
	}

	if (directive) {
		json_object_put(o);
		if (!strcmp(directive, "replace")) {
			json_object_object_del(p, DIRECTIVE);
			*out = p;
			return 0;
		}
		if (!strcmp(directive, "delete")) {
			json_object_put(p);
			*out = json_object_new_object();
			return 0;
		}
		error = berth_error_set("unknown map directive '%s'", directive);
		json_object_put(p);
		return error;
	}
	/* applyRetainKeysDirective */
	if ((retain = json_get(p, RETAIN_KEYS)) && !is_type(retain, json_type_array)) {
		error = berth_error_set("$retainKeys must be a list");
		goto out;
	}
	if ((retain = json_object_get(retain))) {
		json_object_object_del(p, RETAIN_KEYS);
		if (!opts.parallel_lists) {
			struct json_object *have = json_get(o, RETAIN_KEYS);
			if (have && !json_equal(have, retain))
				error = berth_error_set("conflicting $retainKeys lists");
			else if (!have)
				json_object_object_add(o, RETAIN_KEYS, json_object_get(retain));
		} else {
			struct json_object *drop = json_object_new_array();
			size_t i;
			json_object_object_foreach(o, okey, oval)
			{
				struct json_object *name = json_object_new_string(okey);
				(void)oval;
				if (index_in(retain, name, NULL) < 0)
					json_object_array_add(drop, json_object_get(name));
				json_object_put(name);
			}
			for (i = 0; i < json_object_array_length(drop); i++)
				json_object_object_del(
				    o, json_object_get_string(json_object_array_get_idx(drop, i)));
			json_object_put(drop);
		}
		json_object_put(retain);
		if (error)
			goto out;
	}
	if ((error = merge_ordered_lists(o, p, type, opts)) < 0)
		goto out;

	json_object_object_foreach(p, key, pv)
	{
		const char *k = key;
		const struct schema_field *f;
		struct json_object *ov, *merged = NULL;
		bool delete_list = false;

		if (has_prefix(key, DELETE_PRIMITIVE_PREFIX)) {
			if (!opts.parallel_lists) {
				json_object_object_add(o, key, json_copy(pv));
				continue;
			}
			k = key + strlen(DELETE_PRIMITIVE_PREFIX);
			delete_list = true;
		}
		if (!pv) {
			json_object_object_del(o, k);
			if (!opts.ignore_unmatched_nulls)
				json_object_object_add(o, k, NULL);
			continue;
		}
		f = schema_field(type, k);
		if (!json_object_object_get_ex(o, k, &ov) || !ov || !same_type(ov, pv)) {
			if (!delete_list)
				json_object_object_add(o, k, json_copy(pv));
			continue;
		}
		if (is_type(ov, json_type_object))
			error =
			    merge_map(&merged, json_object_get(ov), pv, f ? f->type : NULL, opts);
		else if (is_type(ov, json_type_array) && f && (f->strategy & SCHEMA_MERGE))
			error = merge_slice(&merged, ov, pv, f, opts, delete_list);
		else
			merged = json_copy(pv);
		if (error < 0)
			goto out;
		json_object_object_add(o, k, merged);
	}
	*out = o;
	o = NULL;
out:
	json_object_put(o);
	json_object_put(p);
	return error;
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
			json_object_object_add(patch, key, json_copy(bv));
		} else if (is_type(av, json_type_object) && is_type(bv, json_type_object)) {
			struct json_object *sub = merge_patch_diff(av, bv);
			if (json_object_object_length(sub))
				json_object_object_add(patch, key, sub);
			else
				json_object_put(sub);
		} else if (!json_equal(av, bv)) {
			json_object_object_add(patch, key, json_copy(bv));
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
			json_object_object_add(out, key, json_copy(v));
		}
	}
	return out;
}

/* RFC 7386: apply `patch` to `doc` (modified in place; returns it). */
static struct json_object *merge_patch_apply(struct json_object *doc, struct json_object *patch)
{
	if (!is_type(patch, json_type_object)) {
		json_object_put(doc);
		return json_copy(patch);
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
			struct json_object *cur = json_object_get(json_get(doc, key));
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
	struct json_object *meta = json_get(patch, "metadata");
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
	if ((error = diff_maps(&delta, current ? current : empty, modified, schema, delta_opts)) <
	        0 ||
	    (error = diff_maps(&deletions, original ? original : empty, modified, schema,
	                       deletion_opts)) < 0)
		goto out;
	error = merge_map(out, json_object_get(deletions), delta, schema, opts);
out:
	json_object_put(delta);
	json_object_put(deletions);
	json_object_put(empty);
	if (error < 0)
		berth_error_prefix("cannot compute the patch");
	return error;
}

int merge_apply(struct json_object **out, struct json_object *obj, struct json_object *patch,
                const struct schema_type *schema)
{
	struct merge_opts opts = {true, true};

	if (!schema) {
		*out = merge_patch_apply(json_copy(obj), patch);
		return 0;
	}
	return merge_map(out, json_copy(obj), patch, schema, opts);
}
