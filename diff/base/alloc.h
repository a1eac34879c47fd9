#ifndef BERTH_ALLOC_H
#define BERTH_ALLOC_H

#include <stddef.h>

/*
 * Allocation that never returns NULL: running out of memory is not an error
 * berth can recover from, so these abort with a message instead (git's
 * xmalloc). Everything they return is owned by the caller and freed with
 * free().
 */
void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* xstrdup(s), or NULL when `s` is NULL. */
char *xstrdup_or_null(const char *s);

/* Overwrite a secret string with zeros, then free it; NULL is a no-op. */
void free_secret(char *s);

/* Grow *array (of *alloc elements of elem_size) so it holds at least nr. */
void *xgrow(void *array, size_t elem_size, size_t nr, size_t *alloc);

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
