/*
 * Fuzz harness for the three-way merge (diff/merge.c) and drift
 * (diff/drift.c).
 *
 * The input is one byte choosing the schema, then three JSON documents
 * separated by "\n---\n" (which JSON text cannot contain):
 *
 *   K ORIGINAL \n---\n MODIFIED \n---\n CURRENT
 *
 * the last-applied manifest, the new manifest and the live object. ORIGINAL
 * and CURRENT may be empty (none); each document present must be a JSON
 * object, or the input is skipped. The harness runs merge3_patch(), applies
 * the patch with merge_apply(), and runs drift_compute() with MODIFIED as the
 * manifest (when it has what a manifest must: object_id_read()) and CURRENT
 * as the live object.
 *
 * One property must hold: with nothing changed (one object as original,
 * modified and current) the patch, applied to the object, gives the object
 * back, less metadata.annotations.
 *
 * Errors are fine; a broken property aborts, so the fuzzer keeps the input.
 *
 * Byte-level mutation rarely turns JSON into other valid JSON, so under
 * libFuzzer half the mutations are made on the parsed documents instead
 * (LLVMFuzzerCustomMutator): a node replaced by a value of another type or
 * by a copy of a node from any of the three documents, or removed.
 */
#include "fuzz.h"

#include "../../diff/base/alloc.h"
#include "../../diff/base/buf.h"
#include "../../diff/drift.h"
#include "../../diff/base/berth_error.h"
#include "../../diff/base/json_value.h"
#include "../../diff/merge.h"
#include "../../diff/object.h"
#include "../../diff/schema.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEPARATOR "\n---\n"

/* The schemas the first byte chooses from (modulo their number): list
 * merges, retainKeys, quantities, Go maps, and none (a custom resource, a
 * JSON merge patch). */
static const struct {
	const char *group, *kind;
} kinds[] = {
    {"apps", "StatefulSet"}, {"", "Service"},        {"", "Pod"},
    {"", "ConfigMap"},       {"apps", "Deployment"}, {NULL, NULL},
};

static _Noreturn void broken(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Say which property broke, then abort. */
static _Noreturn void broken(const char *fmt, ...)
{
	va_list ap;

	fputs("fuzz_merge: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/* Compact JSON for a message; the caller frees it. */
static char *to_text(struct json_object *v)
{
	struct buf b = BUF_INIT;

	if (json_value_write(&b, v) < 0) {
		buf_reset(&b);
		buf_adds(&b, json_object_to_json_string(v));
	}
	return buf_detach(&b, NULL);
}

/*
 * Cut the next document off the front of [*p, end): up to the separator,
 * or the rest when `last`. Returns false when a separator is missing.
 */
static bool next_document(const char **start, size_t *len, const char **p, const char *end,
                          bool last)
{
	const char *q = *p;

	*start = *p;
	if (last) {
		*len = (size_t)(end - *p);
		*p = end;
		return true;
	}
	for (; (size_t)(end - q) >= strlen(SEPARATOR); q++)
		if (!memcmp(q, SEPARATOR, strlen(SEPARATOR))) {
			*len = (size_t)(q - *p);
			*p = q + strlen(SEPARATOR);
			return true;
		}
	return false;
}

/* Parse one document: *out is NULL when it is empty and `optional`. Fails
 * when it is not a JSON object. */
static int parse_document(struct json_object **out, const char *text, size_t len, bool optional)
{
	*out = NULL;
	if (!len && optional)
		return 0;
	*out = json_value_parse(text, len);
	if (json_object_is_type(*out, json_type_object))
		return 0;
	json_object_put(*out);
	*out = NULL;
	return -1;
}

/* A copy of `obj` without metadata.annotations. */
static struct json_object *without_annotations(struct json_object *obj)
{
	struct json_object *copy = json_value_copy(obj), *meta = json_value_get(copy, "metadata");

	if (json_object_is_type(meta, json_type_object))
		json_object_object_del(meta, "annotations");
	return copy;
}

/*
 * Is every merge key of every merge list in `v` a scalar, as the API server's
 * validation makes it? With a map or a list for a key no element matches,
 * not even itself, so the patch for no change orders the list by keys that
 * match nothing and merge_apply() adds its elements a second time.
 */
static bool merge_keys_scalar(struct json_object *v, const struct schema_type *type)
{
	if (json_object_is_type(v, json_type_array)) {
		size_t i, n = json_object_array_length(v);
		for (i = 0; i < n; i++)
			if (!merge_keys_scalar(json_object_array_get_idx(v, i), type))
				return false;
		return true;
	}
	if (!json_object_is_type(v, json_type_object))
		return true;
	json_object_object_foreach(v, key, child)
	{
		const struct schema_field *f = schema_field(type, key);

		if (f && f->merge_key && json_object_is_type(child, json_type_array)) {
			size_t i, n = json_object_array_length(child);
			for (i = 0; i < n; i++) {
				struct json_object *k = json_value_get(
				    json_object_array_get_idx(child, i), f->merge_key);
				if (json_object_is_type(k, json_type_object) ||
				    json_object_is_type(k, json_type_array))
					return false;
			}
		}
		if (!merge_keys_scalar(child, f ? f->type : NULL))
			return false;
	}
	return true;
}

/*
 * Nothing changed, so the patch must change nothing. This holds for objects
 * the API server would store: json_value_equal() holds NaN unequal to itself, so
 * an object with NaN (or an infinity: what json_value_write() refuses) is left
 * out, and so is one with a merge key that is not a scalar.
 */
static void check_unchanged(struct json_object *obj, const struct schema_type *schema)
{
	struct json_object *patch = NULL, *after = NULL, *want = NULL, *got = NULL;
	struct buf text = BUF_INIT;

	if (!obj || json_value_write(&text, obj) < 0 || !merge_keys_scalar(obj, schema))
		goto out;
	if (merge3_patch(&patch, obj, obj, obj, schema) < 0)
		goto out;
	if (merge_apply(&after, obj, patch, schema) < 0)
		broken("%s: merge_apply fails on the patch for no change %s: %s",
		       schema ? schema->name : "no schema", to_text(patch), berth_error_last());
	want = without_annotations(obj);
	got = without_annotations(after);
	if (!json_value_equal(want, got))
		broken("%s: the patch for no change %s changes\n%s\ninto\n%s",
		       schema ? schema->name : "no schema", to_text(patch), to_text(obj),
		       to_text(after));
out:
	buf_release(&text);
	json_object_put(patch);
	json_object_put(after);
	json_object_put(want);
	json_object_put(got);
}

static void run_merge(struct json_object *original, struct json_object *modified,
                      struct json_object *current, const struct schema_type *schema)
{
	struct json_object *patch = NULL, *after = NULL;
	struct buf text = BUF_INIT;

	if (merge3_patch(&patch, original, modified, current, schema) < 0)
		return;
	if (!json_object_is_type(patch, json_type_object))
		broken("merge3_patch succeeds with a patch that is not an object");
	/* What would go over the wire. */
	json_value_write(&text, patch);
	if (merge_apply(&after, current, patch, schema) == 0)
		json_value_write(&text, after);
	buf_release(&text);
	json_object_put(patch);
	json_object_put(after);
}

/* drift_compute() takes a manifest: what object_id_read() accepts, as
 * manifest_set_add() makes sure. */
static void run_drift(struct json_object *desired, struct json_object *live)
{
	struct object_id id;
	struct drift d;

	if (object_id_read(&id, NULL, desired, "default") < 0)
		return;
	object_id_release(&id);
	if (drift_compute(&d, desired, live) < 0)
		return;
	if (d.state != DRIFT_MISSING && !json_object_is_type(d.patch, json_type_object))
		broken("drift_compute succeeds without a patch");
	drift_release(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data + 1, *end = (const char *)data + size;
	const char *text[3];
	size_t len[3], i;
	struct json_object *doc[3] = {NULL, NULL, NULL};
	const struct schema_type *schema = NULL;

	if (size < 1)
		return 0;
	i = data[0] % ARRAY_SIZE(kinds);
	if (kinds[i].kind)
		schema = schema_for_kind(kinds[i].group, kinds[i].kind);
	for (i = 0; i < 3; i++)
		if (!next_document(&text[i], &len[i], &p, end, i == 2))
			return 0;
	for (i = 0; i < 3; i++)
		if (parse_document(&doc[i], text[i], len[i], i != 1) < 0)
			goto out;

	run_merge(doc[0], doc[1], doc[2], schema);
	check_unchanged(doc[2], schema);
	check_unchanged(doc[1], schema);
	run_drift(doc[1], doc[2]);
out:
	for (i = 0; i < 3; i++)
		json_object_put(doc[i]);
	berth_error_clear();
	return 0;
}

#ifdef BERTH_LIBFUZZER
/* ---- structure-aware mutation ------------------------------------------- */

/* xorshift32: libFuzzer gives a seed, and the mutation must follow from it. */
static uint32_t next_random(uint32_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 17;
	*state ^= *state << 5;
	return *state;
}

/* A place a value sits: a key of an object or an index of an array. */
struct slot {
	struct json_object *parent, *value;
	const char *key; /* NULL in an array */
	size_t index;
};

struct slots {
	struct slot *items;
	size_t n, alloc;
};

static void slots_collect(struct slots *slots, struct json_object *v)
{
	if (json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, key, child)
		{
			slots->items =
			    xgrow(slots->items, sizeof(*slots->items), slots->n + 1, &slots->alloc);
			slots->items[slots->n++] = (struct slot){v, child, key, 0};
			slots_collect(slots, child);
		}
	} else if (json_object_is_type(v, json_type_array)) {
		size_t i, n = json_object_array_length(v);
		for (i = 0; i < n; i++) {
			struct json_object *child = json_object_array_get_idx(v, i);
			slots->items =
			    xgrow(slots->items, sizeof(*slots->items), slots->n + 1, &slots->alloc);
			slots->items[slots->n++] = (struct slot){v, child, NULL, i};
			slots_collect(slots, child);
		}
	}
}

/* A value of some other shape, to put where the code expects one. */
static struct json_object *random_value(uint32_t *state)
{
	static const char *const strings[] = {"", "x", "delete", "replace", "1Gi", "250m"};

	switch (next_random(state) % 8) {
	case 0:
		return NULL;
	case 1:
		return json_object_new_object();
	case 2:
		return json_object_new_array();
	case 3:
		return json_object_new_boolean(next_random(state) & 1);
	case 4:
		return json_object_new_int64((int64_t)(next_random(state) % 5) - 1);
	case 5:
		return json_object_new_double(0.5);
	default:
		return json_object_new_string(strings[next_random(state) % ARRAY_SIZE(strings)]);
	}
}

/* Change one node of one of the documents (never a document itself). */
static void mutate_documents(struct json_object **doc, uint32_t *state)
{
	struct slots slots = {NULL, 0, 0};
	struct slot *at, *from;
	struct json_object *value;
	size_t i;

	for (i = 0; i < 3; i++)
		slots_collect(&slots, doc[i]);
	if (!slots.n)
		goto out;
	at = &slots.items[next_random(state) % slots.n];
	from = &slots.items[next_random(state) % slots.n];
	switch (next_random(state) % 4) {
	case 0:
		value = json_value_copy(from->value);
		break;
	case 1:
		if (at->key)
			json_object_object_del(at->parent, at->key);
		else
			json_object_array_del_idx(at->parent, at->index, 1);
		goto out;
	default:
		value = random_value(state);
	}
	if (at->key)
		json_object_object_add(at->parent, at->key, value);
	else
		json_object_array_put_idx(at->parent, at->index, value);
out:
	free(slots.items);
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	const char *p = (const char *)data + 1, *end = (const char *)data + size;
	const char *text[3];
	size_t len[3], i;
	struct json_object *doc[3] = {NULL, NULL, NULL};
	struct buf out = BUF_INIT;
	uint32_t state = seed | 1;

	if (size < 1 || next_random(&state) & 1)
		return LLVMFuzzerMutate(data, size, max_size);
	for (i = 0; i < 3; i++)
		if (!next_document(&text[i], &len[i], &p, end, i == 2))
			return LLVMFuzzerMutate(data, size, max_size);
	for (i = 0; i < 3; i++)
		if (parse_document(&doc[i], text[i], len[i], i != 1) < 0)
			goto fallback;
	mutate_documents(doc, &state);
	buf_addch(&out, (char)data[0]);
	for (i = 0; i < 3; i++) {
		if (i)
			buf_adds(&out, SEPARATOR);
		if (doc[i])
			buf_adds(&out, json_object_to_json_string_ext(
			                   doc[i], JSON_C_TO_STRING_PLAIN |
			                               JSON_C_TO_STRING_NOSLASHESCAPE));
	}
	if (out.len > max_size)
		goto fallback;
	memcpy(data, out.ptr, out.len);
	size = out.len;
	goto done;
fallback:
	size = LLVMFuzzerMutate(data, size, max_size);
done:
	for (i = 0; i < 3; i++)
		json_object_put(doc[i]);
	buf_release(&out);
	return size;
}
#endif
