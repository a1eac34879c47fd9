/* Positions in an array found by name: an open-addressing hash table. */
#include "name_index.h"

#include "../../diff/base/alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* FNV-1a, 64 bits. */
static uint64_t hash(const char *s)
{
	uint64_t h = 14695981039346656037u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

void name_index_build(struct name_index *x, const void *array, size_t n,
                      name_index_name_fn *name_of)
{
	size_t cap = 16, i, at;

	while (cap < 2 * n)
		cap *= 2;
	if (cap != x->cap) {
		free(x->slots);
		x->slots = xcalloc(cap, sizeof(*x->slots));
		x->cap = cap;
	} else {
		memset(x->slots, 0, cap * sizeof(*x->slots));
	}
	for (i = 0; i < n; i++) {
		for (at = hash(name_of(array, i)) & (cap - 1); x->slots[at];
		     at = (at + 1) & (cap - 1))
			;
		x->slots[at] = i + 1;
	}
}

size_t name_index_find(const struct name_index *x, const void *array, size_t n,
                       name_index_name_fn *name_of, const char *name)
{
	size_t at;

	if (!name || !x->cap)
		return n;
	for (at = hash(name) & (x->cap - 1); x->slots[at]; at = (at + 1) & (x->cap - 1))
		if (x->slots[at] - 1 < n && !strcmp(name_of(array, x->slots[at] - 1), name))
			return x->slots[at] - 1;
	return n;
}

void name_index_release(struct name_index *x)
{
	free(x->slots);
	*x = (struct name_index)NAME_INDEX_INIT;
}
