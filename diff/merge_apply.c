/* A strategic merge patch applied, as apimachinery's StrategicMergePatch
 * applies it (mergeMap and friends). */
#include "merge.h"
#include "merge_internal.h"

#include "base/alloc.h"
#include "base/berth_error.h"
#include "base/json_value.h"
#include "quantity.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static bool has_prefix(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* ---- merge (mergeMap and friends) ------------------------------------------ */

int merge_map(struct json_object **out, struct json_object *o, struct json_object *patch,
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
			if (merge_scalar_equal(json_object_array_get_idx(list, i),
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
		struct json_object *v = json_value_get(json_object_array_get_idx(list, i), key);
		if (v && merge_scalar_equal(v, value))
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
			int li =
			    merge_index_in(server_order, json_object_array_get_idx(left, i), key);
			int ri =
			    merge_index_in(server_order, json_object_array_get_idx(right, j), key);
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
		bool present = key ? find_by_key(order, key, json_value_get(e, key)) >= 0
		                   : merge_index_in(order, e, NULL) >= 0;
		json_object_array_add(present ? in : server_only, json_object_get(e));
	}
	a = merge_sort_by_order(in, order, key);
	b = merge_sort_by_order(server_only, server_order, key);
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
	struct json_object *orig = json_value_copy(original), *rest, *merged;
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
				if (merge_index_in(patch, e, NULL) < 0)
					json_object_array_add(merged, json_object_get(e));
			}
			json_object_put(orig);
			*out = merged;
			return 0;
		}
		merged = json_value_copy(orig);
		for (i = 0; i < json_object_array_length(patch); i++)
			json_object_array_add(merged,
			                      json_value_copy(json_object_array_get_idx(patch, i)));
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
		const char *d = json_value_get_string(e, DIRECTIVE);
		if (!d) {
			json_object_array_add(rest, json_object_get(e));
		} else if (!strcmp(d, "delete")) {
			int at;
			if (!json_value_get(e, f->merge_key)) {
				json_object_put(rest);
				json_object_put(orig);
				return berth_error_set(
				    "a delete directive without its merge key '%s'", f->merge_key);
			}
			while ((at = find_by_key(orig, f->merge_key,
			                         json_value_get(e, f->merge_key))) >= 0)
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
	merged = json_value_copy(orig);
	for (i = 0; i < json_object_array_length(rest); i++) {
		struct json_object *e = json_object_array_get_idx(rest, i), *m = NULL;
		struct json_object *kv = json_value_get(e, f->merge_key);
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
			json_object_array_add(merged, json_value_copy(e));
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
		struct json_object *order = json_object_get(json_value_get(patch, key));
		struct json_object *ol = json_value_get(original, field),
		                   *pl = json_value_get(patch, field);
		struct json_object *merged = NULL;

		if (!is_type(order, json_type_array) || (ol && !is_type(ol, json_type_array)) ||
		    (pl && !is_type(pl, json_type_array))) {
			json_object_put(order);
			error = berth_error_set("'%s' and '%s' must be lists", key, field);
			break;
		}
		if (!opts.parallel_lists && !json_value_get(original, key))
			json_object_object_add(original, key, json_value_copy(order));
		json_object_object_del(patch, key);
		if (ol && pl)
			error =
			    merge_slice(&merged, ol, pl,
			                f && (f->strategy & SCHEMA_MERGE) ? f : NULL, opts, false);
		else if (ol || pl)
			merged = json_value_copy(ol ? ol : pl);
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
int merge_map(struct json_object **out, struct json_object *o, struct json_object *patch,
              const struct schema_type *type, struct merge_opts opts)
{
	struct json_object *p = json_value_copy(patch), *retain;
	const char *directive = json_value_get_string(p, DIRECTIVE);
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
	if ((retain = json_value_get(p, RETAIN_KEYS)) && !is_type(retain, json_type_array)) {
		error = berth_error_set("$retainKeys must be a list");
		goto out;
	}
	if ((retain = json_object_get(retain))) {
		json_object_object_del(p, RETAIN_KEYS);
		if (!opts.parallel_lists) {
			struct json_object *have = json_value_get(o, RETAIN_KEYS);
			if (have && !json_value_equal(have, retain))
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
				if (merge_index_in(retain, name, NULL) < 0)
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
				json_object_object_add(o, key, json_value_copy(pv));
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
		if (!json_object_object_get_ex(o, k, &ov) || !ov || !merge_same_type(ov, pv)) {
			if (!delete_list)
				json_object_object_add(o, k, json_value_copy(pv));
			continue;
		}
		if (is_type(ov, json_type_object))
			error =
			    merge_map(&merged, json_object_get(ov), pv, f ? f->type : NULL, opts);
		else if (is_type(ov, json_type_array) && f && (f->strategy & SCHEMA_MERGE))
			error = merge_slice(&merged, ov, pv, f, opts, delete_list);
		else
			merged = json_value_copy(pv);
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
