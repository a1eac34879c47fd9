/* Allocation that cannot fail: berth stops, saying so, when memory is out. */
#include "alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die_oom(size_t size)
{
	fprintf(stderr, "fatal: out of memory allocating %zu bytes\n", size);
	abort();
}

void *xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);
	if (!p)
		die_oom(size);
	return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
	if (!p)
		die_oom(nmemb * size);
	return p;
}

void *xrealloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size ? size : 1);
	if (!p)
		die_oom(size);
	return p;
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

void free_secret(char *s)
{
	volatile char *v = s;

	if (!s)
		return;
	while (*v)
		*v++ = '\0';
	free(s);
}

void *xgrow(void *array, size_t elem_size, size_t nr, size_t *alloc)
{
	size_t n;

	if (nr <= *alloc)
		return array;
	n = *alloc ? *alloc : 8;
	while (n < nr) {
		if (n > ((size_t)-1) / 2 / elem_size)
			die_oom(nr * elem_size);
		n *= 2;
	}
	*alloc = n;
	return xrealloc(array, n * elem_size);
}

char *xstrdup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}
