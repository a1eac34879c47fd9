/* Drift: the three-way comparison of last-applied, desired and live, and
 * the patch that kubectl apply would send. */
#include "drift.h"

#include "base/alloc.h"
#include "base/base64.h"
#include "base/berth_error.h"
#include "base/json_value.h"
#include "merge.h"

#include <stdlib.h>
#include <string.h>

const char *drift_state_name(enum drift_state state)
{
	switch (state) {
	case DRIFT_IN_SYNC:
		return "in-sync";
	case DRIFT_DRIFTED:
		return "drifted";
	case DRIFT_MISSING:
		return "missing";
	case DRIFT_EXTRANEOUS:
		return "extraneous";
	case DRIFT_STATE_COUNT:
		break;
	}
	return "unknown";
}

static struct json_object *annotations_of(struct json_object *obj)
{
	return json_value_get(json_value_get(obj, "metadata"), "annotations");
}

/* A core v1 Secret, whose stringData the server folds into data. */
static bool is_secret(struct json_object *obj)
{
	const char *v = json_value_get_string(obj, "apiVersion"),
	           *k = json_value_get_string(obj, "kind");

	return v && k && !strcmp(v, "v1") && !strcmp(k, "Secret");
}

int drift_modified(struct json_object **out, struct json_object *desired)
{
	struct json_object *copy = json_value_copy(desired), *meta, *annotations;
	struct buf text = BUF_INIT;

	meta = json_value_get(copy, "metadata");
	if (!meta)
		json_object_object_add(copy, "metadata", (meta = json_object_new_object()));
	annotations = json_value_get(meta, "annotations");
	if (!json_object_is_type(meta, json_type_object) ||
	    (annotations && !json_object_is_type(annotations, json_type_object))) {
		json_object_put(copy);
		return berth_error_set("metadata and metadata.annotations must be maps");
	}
	/* kubectl (GetModifiedConfiguration) sets annotations to an empty map
	 * when there are none before it writes the object, so "annotations":{}
	 * is part of the text. */
	if (!annotations)
		json_object_object_add(meta, "annotations",
		                       (annotations = json_object_new_object()));
	json_object_object_del(annotations, LAST_APPLIED_ANNOTATION);
	if (json_value_write(&text, copy) < 0) {
		buf_release(&text);
		json_object_put(copy);
		return -1;
	}
	buf_addch(&text, '\n');
	json_object_object_add(annotations, LAST_APPLIED_ANNOTATION,
	                       json_object_new_string_len(text.ptr, (int)text.len));
	buf_release(&text);
	*out = copy;
	return 0;
}

int drift_original(struct json_object **out, struct json_object *live)
{
	const char *text = json_value_get_string(annotations_of(live), LAST_APPLIED_ANNOTATION);

	*out = NULL;
	if (!text || !*text)
		return 0;
	*out = json_value_parse(text, strlen(text));
	if (!*out)
		return berth_error_prefix(BERTH_ERROR, "the %s annotation is not valid JSON",
		                          LAST_APPLIED_ANNOTATION);
	return 0;
}

/* Secret stringData is write-only: the server folds it into base64 `data`.
 * Drop each stringData entry that live data already holds, so it is not
 * drift; entries that differ stay and are sent. */
static void fold_string_data(struct json_object *modified, struct json_object *live)
{
	struct json_object *sd = json_value_get(modified, "stringData"),
	                   *data = json_value_get(live, "data");
	struct json_object *same = json_object_new_array();
	size_t i;

	if (!is_secret(modified) || !json_object_is_type(sd, json_type_object)) {
		json_object_put(same);
		return;
	}
	json_object_object_foreach(sd, key, value)
	{
		const char *encoded = json_value_get_string(data, key);
		struct buf decoded = BUF_INIT;

		if (encoded && json_object_is_type(value, json_type_string) &&
		    base64_decode(&decoded, encoded, strlen(encoded)) == 0 &&
		    decoded.len == (size_t)json_object_get_string_len(value) &&
		    !memcmp(decoded.ptr, json_object_get_string(value), decoded.len))
			json_object_array_add(same, json_object_new_string(key));
		buf_release_secret(&decoded);
	}
	for (i = 0; i < json_object_array_length(same); i++)
		json_object_object_del(sd,
		                       json_object_get_string(json_object_array_get_idx(same, i)));
	if (!json_object_object_length(sd))
		json_object_object_del(modified, "stringData");
	json_object_put(same);
}

static void add_path(struct json_object *paths, const struct buf *path, struct json_object *live,
                     struct json_object *desired)
{
	struct json_object *entry = json_object_new_object();

	json_object_object_add(entry, "path", json_object_new_string(path->ptr));
	json_object_object_add(entry, "live", json_value_copy(live));
	json_object_object_add(entry, "desired", json_value_copy(desired));
	json_object_array_add(paths, entry);
}

/* Is the patch only the annotation update? */
static bool only_annotation(struct json_object *patch)
{
	struct json_object *meta, *annotations;

	if (json_object_object_length(patch) == 0)
		return true;
	if (json_object_object_length(patch) != 1 || !(meta = json_value_get(patch, "metadata")) ||
	    json_object_object_length(meta) != 1 ||
	    !(annotations = json_value_get(meta, "annotations")))
		return false;
	return json_object_object_length(annotations) == 1 &&
	       json_object_object_get_ex(annotations, LAST_APPLIED_ANNOTATION, NULL);
}

/*
 * `live` with the annotation of `modified`: what an annotation-only patch
 * leaves. Fields other than metadata are shared with `live` (read-only).
 */
static struct json_object *with_annotation(struct json_object *live, struct json_object *modified)
{
	struct json_object *out = json_object_new_object(), *meta, *annotations;

	json_object_object_foreach(live, key, value)
	{
		json_object_object_add(out, key,
		                       strcmp(key, "metadata") ? json_object_get(value)
		                                               : json_value_copy(value));
	}
	if (!json_object_is_type((meta = json_value_get(out, "metadata")), json_type_object))
		json_object_object_add(out, "metadata", (meta = json_object_new_object()));
	if (!json_object_is_type((annotations = json_value_get(meta, "annotations")),
	                         json_type_object))
		json_object_object_add(meta, "annotations",
		                       (annotations = json_object_new_object()));
	json_object_object_add(
	    annotations, LAST_APPLIED_ANNOTATION,
	    json_object_get(json_value_get(annotations_of(modified), LAST_APPLIED_ANNOTATION)));
	return out;
}

/* Not drift: status, which the server owns, and the annotation update. */
static bool ignored(const struct buf *path, const char *key)
{
	return (path->len == 0 && !strcmp(key, "status")) ||
	       (!strcmp(path->ptr, "metadata.annotations") &&
	        !strcmp(key, LAST_APPLIED_ANNOTATION));
}

/* Every place where `live` and `predicted` differ: maps key by key (a map on
 * one side only counts as empty), lists of the same length element by
 * element, anything else whole. */
static void diff_paths(struct json_object *paths, struct buf *path, struct json_object *live,
                       struct json_object *predicted)
{
	struct json_object *empty = NULL;
	size_t len = path->len;

	if (json_value_equal(live, predicted))
		return;
	if (json_object_is_type(live, json_type_object) && !predicted)
		predicted = empty = json_object_new_object();
	else if (json_object_is_type(predicted, json_type_object) && !live)
		live = empty = json_object_new_object();
	if (json_object_is_type(live, json_type_object) &&
	    json_object_is_type(predicted, json_type_object)) {
		json_object_object_foreach(live, lkey, lval)
		{
			if (ignored(path, lkey))
				continue;
			json_value_path_add_key(path, lkey);
			diff_paths(paths, path, lval, json_value_get(predicted, lkey));
			path->len = len;
			path->ptr[len] = '\0';
		}
		json_object_object_foreach(predicted, pkey, pval)
		{
			if (json_object_object_get_ex(live, pkey, NULL) || ignored(path, pkey))
				continue;
			json_value_path_add_key(path, pkey);
			diff_paths(paths, path, NULL, pval);
			path->len = len;
			path->ptr[len] = '\0';
		}
	} else if (json_object_is_type(live, json_type_array) &&
	           json_object_is_type(predicted, json_type_array) &&
	           json_object_array_length(live) == json_object_array_length(predicted)) {
		size_t i;
		for (i = 0; i < json_object_array_length(live); i++) {
			buf_addf(path, "[%zu]", i);
			diff_paths(paths, path, json_object_array_get_idx(live, i),
			           json_object_array_get_idx(predicted, i));
			path->len = len;
			path->ptr[len] = '\0';
		}
	} else {
		add_path(paths, path, live, predicted);
	}
	json_object_put(empty);
}

/* The server folds a Secret's stringData into base64 data; so does the
 * prediction. */
static void fold_predicted_secret(struct json_object *obj)
{
	struct json_object *sd = json_value_get(obj, "stringData"), *data;

	if (!is_secret(obj) || !json_object_is_type(sd, json_type_object))
		return;
	if (!json_object_is_type((data = json_value_get(obj, "data")), json_type_object))
		json_object_object_add(obj, "data", (data = json_object_new_object()));
	json_object_object_foreach(sd, key, value)
	{
		struct buf encoded = BUF_INIT;
		if (!json_object_is_type(value, json_type_string))
			continue;
		base64_encode(&encoded, json_object_get_string(value),
		              (size_t)json_object_get_string_len(value));
		json_object_object_add(data, key, json_object_new_string(encoded.ptr));
		buf_release_secret(&encoded);
	}
	json_object_object_del(obj, "stringData");
}

static void drop_zero(struct json_object *obj, const char *key)
{
	struct json_object *v = json_value_get(obj, key);

	if (json_object_is_type(v, json_type_int) && json_object_get_int64(v) == 0)
		json_object_object_del(obj, key);
}

/* A Service's node ports are allocated by the server when they are 0: a 0
 * there asks the server to choose, and sent in a patch it would make the
 * server choose again on every write. It is no value to apply. */
static void drop_chosen_zeros(struct json_object *obj)
{
	const char *v = json_value_get_string(obj, "apiVersion"),
	           *k = json_value_get_string(obj, "kind");
	struct json_object *spec = json_value_get(obj, "spec"),
	                   *ports = json_value_get(spec, "ports");
	size_t i;

	if (!v || !k || strcmp(v, "v1") || strcmp(k, "Service"))
		return;
	drop_zero(spec, "healthCheckNodePort");
	for (i = 0; i < json_value_array_len(ports); i++)
		drop_zero(json_object_array_get_idx(ports, i), "nodePort");
}

static bool same_annotation(struct json_object *a, struct json_object *b)
{
	struct json_object *x = json_value_get(annotations_of(a), LAST_APPLIED_ANNOTATION),
	                   *y = json_value_get(annotations_of(b), LAST_APPLIED_ANNOTATION);

	return json_object_is_type(x, json_type_string) &&
	       json_object_is_type(y, json_type_string) &&
	       json_object_get_string_len(x) == json_object_get_string_len(y) &&
	       !memcmp(json_object_get_string(x), json_object_get_string(y),
	               (size_t)json_object_get_string_len(x));
}

int drift_compute(struct drift *out, struct json_object *desired, struct json_object *live)
{
	return drift_compute_applied(out, desired, live, NULL);
}

int drift_compute_applied(struct drift *out, struct json_object *desired, struct json_object *live,
                          struct json_object *applied)
{
	struct json_object *modified = NULL, *original = NULL;
	const struct schema_type *schema;
	struct object_id id;
	struct buf path = BUF_INIT;
	int error;

	memset(out, 0, sizeof(*out));
	if (object_id_read(&id, NULL, desired, "") < 0)
		return -1;
	schema = schema_for_kind(id.group, id.kind);
	object_id_release(&id);
	out->patch_type =
	    schema ? "application/strategic-merge-patch+json" : "application/merge-patch+json";
	if ((error = drift_modified(&modified, desired)) < 0)
		goto out;
	if (!live) {
		out->state = DRIFT_MISSING;
		out->predicted = json_object_get(modified);
		out->paths = json_object_new_array();
		goto out;
	}
	/* The annotation berth would write is there already: what was applied
	 * is what is desired, with no text to parse. A Secret's stringData is
	 * folded into `modified` below, so its original is parsed apart. */
	if (!is_secret(modified) && same_annotation(live, modified))
		original = json_object_get(modified);
	else if ((error = drift_original(&original, live)) < 0)
		goto out;
	/* No annotation: what was applied server-side, if anything, says
	 * what Git had. */
	if (!original && applied)
		original = json_value_copy(applied);
	fold_string_data(modified, live);
	drop_chosen_zeros(modified);
	drop_chosen_zeros(original);
	if (original == modified && merge_unchanged(live, modified, schema)) {
		/* The commonest case, decided without a patch: what was applied
		 * is desired still, and live holds all of it. */
		out->state = DRIFT_IN_SYNC;
		out->patch = json_object_new_object();
		out->paths = json_object_new_array();
		out->predicted = json_object_get(live);
		goto out;
	}
	if ((error = merge3_patch(&out->patch, original, modified, live, schema)) < 0)
		goto out;
	out->paths = json_object_new_array();
	if (only_annotation(out->patch)) {
		/* Nothing but the annotation would change: the common case, decided
		 * without merging the whole object. */
		out->state = DRIFT_IN_SYNC;
		out->predicted = with_annotation(live, modified);
		goto out;
	}
	if ((error = merge_apply(&out->predicted, live, out->patch, schema)) < 0)
		goto out;
	fold_predicted_secret(out->predicted);
	/* Drifted when the patch would change the object: a patch that only
	 * updates the annotation, or only restates an order the object already
	 * has, changes nothing. */
	diff_paths(out->paths, &path, live, out->predicted);
	out->state = json_object_array_length(out->paths) ? DRIFT_DRIFTED : DRIFT_IN_SYNC;
out:
	if (error < 0)
		drift_release(out);
	buf_release(&path);
	json_object_put(modified);
	json_object_put(original);
	return error;
}

void drift_release(struct drift *d)
{
	json_object_put(d->patch);
	json_object_put(d->predicted);
	json_object_put(d->paths);
	free(d->unconfirmed);
	memset(d, 0, sizeof(*d));
}

void drift_settle(struct drift *d)
{
	json_object_put(d->patch);
	json_object_put(d->predicted);
	json_object_put(d->paths);
	free(d->unconfirmed);
	d->state = DRIFT_IN_SYNC;
	d->patch = d->predicted = NULL;
	d->paths = json_object_new_array();
	d->unconfirmed = NULL;
}

/* Keys whose values drift_answer_unchanged() does not compare as they are. */
static bool top_skipped(const char *key)
{
	return !strcmp(key, "status") || !strcmp(key, "metadata");
}

static bool metadata_skipped(const char *key)
{
	return !strcmp(key, "resourceVersion") || !strcmp(key, "managedFields") ||
	       !strcmp(key, "generation") || !strcmp(key, "annotations");
}

static bool annotation_skipped(const char *key)
{
	return !strcmp(key, LAST_APPLIED_ANNOTATION);
}

/* Maps (NULL or not a map: empty) equal but for the keys `skip` names; a
 * null value is an absent one. */
static bool equal_but(struct json_object *a, struct json_object *b, bool (*skip)(const char *))
{
	if (json_object_is_type(a, json_type_object)) {
		json_object_object_foreach(a, ka, va)
		{
			if (!skip(ka) && !json_value_equal(va, json_value_get(b, ka)))
				return false;
		}
	}
	if (json_object_is_type(b, json_type_object)) {
		json_object_object_foreach(b, kb, vb)
		{
			if (!skip(kb) && vb && !json_value_get(a, kb))
				return false;
		}
	}
	return true;
}

/* The last-applied annotations of two annotation maps mean the same. */
static bool same_last_applied(struct json_object *a, struct json_object *b)
{
	const char *ta = json_value_get_string(a, LAST_APPLIED_ANNOTATION);
	const char *tb = json_value_get_string(b, LAST_APPLIED_ANNOTATION);
	struct json_object *pa, *pb;
	bool same;

	if (!ta || !tb)
		return !ta == !tb;
	pa = json_value_parse(ta, strlen(ta));
	pb = json_value_parse(tb, strlen(tb));
	same = pa && pb ? json_value_equal(pa, pb) : !strcmp(ta, tb);
	json_object_put(pa);
	json_object_put(pb);
	return same;
}

bool drift_answer_unchanged(struct json_object *answer, struct json_object *live)
{
	struct json_object *ma = json_value_get(answer, "metadata"),
	                   *ml = json_value_get(live, "metadata");

	if (!json_object_is_type(answer, json_type_object) ||
	    !json_object_is_type(live, json_type_object))
		return false;
	return equal_but(answer, live, top_skipped) && equal_but(ma, ml, metadata_skipped) &&
	       equal_but(json_value_get(ma, "annotations"), json_value_get(ml, "annotations"),
	                 annotation_skipped) &&
	       same_last_applied(json_value_get(ma, "annotations"),
	                         json_value_get(ml, "annotations"));
}

void drift_take_answer(struct drift *d, struct json_object *live, struct json_object *answer)
{
	static const char *const kept[] = {"resourceVersion", "generation", "managedFields"};
	struct json_object *predicted = json_value_copy(answer),
	                   *meta = json_value_get(predicted, "metadata");
	struct json_object *live_meta = json_value_get(live, "metadata"), *v;
	struct buf path = BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(kept) / sizeof(*kept) && meta; i++) {
		json_object_object_del(meta, kept[i]);
		if (json_object_object_get_ex(live_meta, kept[i], &v))
			json_object_object_add(meta, kept[i], json_value_copy(v));
	}
	json_object_object_del(predicted, "status");
	if (json_object_object_get_ex(live, "status", &v))
		json_object_object_add(predicted, "status", json_value_copy(v));
	json_object_put(d->predicted);
	json_object_put(d->paths);
	d->predicted = predicted;
	d->paths = json_object_new_array();
	diff_paths(d->paths, &path, live, predicted);
	if (!json_object_array_length(d->paths)) {
		struct json_object *masked = json_object_new_string("***");

		buf_adds(&path, "metadata.annotations");
		json_value_path_add_key(&path, LAST_APPLIED_ANNOTATION);
		add_path(d->paths, &path, masked, masked);
		json_object_put(masked);
	}
	buf_release(&path);
}
