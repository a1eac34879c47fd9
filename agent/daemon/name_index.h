#ifndef BERTH_NAME_INDEX_H
#define BERTH_NAME_INDEX_H

#include <stddef.h>

/*
 * Where in an array each name is: a hash table of positions (open
 * addressing, at most half full), built whole from the array and built
 * again when the array changes. Finding a name costs one hash and, most of
 * the time, one string compare, however long the array (a watch follows
 * thousands of objects, and looks one up for each event).
 */
struct name_index {
	size_t *slots; /* a position + 1; 0: empty */
	size_t cap;    /* a power of two */
};
#define NAME_INDEX_INIT                                                                            \
	{                                                                                          \
		NULL, 0                                                                            \
	}

/* The name of the array's element i. */
typedef const char *name_index_name_fn(const void *array, size_t i);

/* Index the n elements of `array`, each by name_of(array, i); names are
 * distinct. */
void name_index_build(struct name_index *x, const void *array, size_t n,
                      name_index_name_fn *name_of);

/* The position of `name` in the array last indexed, or n when none has it
 * (n: its length then). */
size_t name_index_find(const struct name_index *x, const void *array, size_t n,
                       name_index_name_fn *name_of, const char *name);

void name_index_release(struct name_index *x);

#endif
