/* Remembered dry-run verdicts: an open-addressing table of SHA-256 keys. */
#include "verdict.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "base/json_value.h"

#include <stdlib.h>
#include <string.h>

struct slot {
	uint8_t key[SHA256_SIZE];
	bool used, drifted;
};

struct verdicts {
	struct slot *slots;
	size_t cap, n, max; /* cap is 0 or a power of two, at least twice n */
};

void verdicts_new(struct verdicts **out, size_t max)
{
	struct verdicts *v = xcalloc(1, sizeof(*v));

	v->max = max ? max : 1;
	*out = v;
}

void verdicts_free(struct verdicts *v)
{
	if (!v)
		return;
	free(v->slots);
	free(v);
}

int verdict_key(uint8_t key[SHA256_SIZE], struct json_object *desired, struct json_object *live)
{
	struct json_object *copy = json_object_new_object(), *meta = json_object_new_object();
	struct buf text = BUF_INIT;
	int error;

	/* A shallow copy: the values are shared with `live`, not changed. */
	json_object_object_foreach(live, key_, value)
	{
		if (strcmp(key_, "metadata"))
			json_object_object_add(copy, key_, json_object_get(value));
	}
	if (json_object_is_type(json_value_get(live, "metadata"), json_type_object)) {
		json_object_object_foreach(json_value_get(live, "metadata"), mkey, mvalue)
		{
			if (strcmp(mkey, "resourceVersion") && strcmp(mkey, "managedFields"))
				json_object_object_add(meta, mkey, json_object_get(mvalue));
		}
	}
	json_object_object_add(copy, "metadata", meta);
	if ((error = json_value_write(&text, desired)) == 0) {
		buf_addch(&text, '\0');
		error = json_value_write(&text, copy);
	}
	if (!error)
		sha256(key, text.ptr, text.len);
	json_object_put(copy);
	buf_release(&text);
	return error;
}

static size_t slot_of(const struct slot *slots, size_t cap, const uint8_t key[SHA256_SIZE])
{
	size_t i;

	/* The key is a hash already: its first bytes spread as well as any. */
	memcpy(&i, key, sizeof(i));
	for (i &= cap - 1; slots[i].used && memcmp(slots[i].key, key, SHA256_SIZE);
	     i = (i + 1) & (cap - 1))
		;
	return i;
}

int verdicts_find(bool *drifted, const struct verdicts *v, const uint8_t key[SHA256_SIZE])
{
	size_t i;

	if (!v->cap)
		return 0;
	i = slot_of(v->slots, v->cap, key);
	if (!v->slots[i].used)
		return 0;
	*drifted = v->slots[i].drifted;
	return 1;
}

void verdicts_remember(struct verdicts *v, const uint8_t key[SHA256_SIZE], bool drifted)
{
	size_t i;

	if (v->cap && v->slots[(i = slot_of(v->slots, v->cap, key))].used) {
		v->slots[i].drifted = drifted;
		return;
	}
	if (v->n >= v->max) {
		/* Full: what was remembered of objects long changed goes too. */
		memset(v->slots, 0, v->cap * sizeof(*v->slots));
		v->n = 0;
	}
	if (2 * (v->n + 1) > v->cap) {
		size_t cap = v->cap ? 2 * v->cap : 64, j;
		struct slot *slots = xcalloc(cap, sizeof(*slots));

		for (j = 0; j < v->cap; j++)
			if (v->slots[j].used)
				slots[slot_of(slots, cap, v->slots[j].key)] = v->slots[j];
		free(v->slots);
		v->slots = slots;
		v->cap = cap;
	}
	i = slot_of(v->slots, v->cap, key);
	v->n++;
	memcpy(v->slots[i].key, key, SHA256_SIZE);
	v->slots[i].used = true;
	v->slots[i].drifted = drifted;
}
