/* berth's on-disk cache under $XDG_CACHE_HOME/berth, written atomically. */
#include "cache.h"

#include "../diff/base/alloc.h"
#include "../diff/base/berth_error.h"

#include <errno.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

void cache_dir(struct buf *out, const char *what)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");

	/* The XDG spec ignores a relative XDG_CACHE_HOME. */
	if (xdg && *xdg == '/')
		buf_addf(out, "%s/berth/%s", xdg, what);
	else if (home && *home)
		buf_addf(out, "%s/.cache/berth/%s", home, what);
}

int cache_make_dirs(const char *dir)
{
	char *p = xstrdup(dir), *slash;
	int error = 0;

	for (slash = strchr(p + 1, '/');; slash = strchr(slash + 1, '/')) {
		if (slash)
			*slash = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST) {
			error = berth_error_set("'%s': %s", p, strerror(errno));
			break;
		}
		if (!slash)
			break;
		*slash = '/';
	}
	free(p);
	return error;
}

void cache_name(struct buf *out, const char *name, size_t len, const char *key)
{
	uint64_t h = 0xcbf29ce484222325u;
	size_t i;

	for (i = 0; i < len; i++) {
		char c = name[i];

		buf_addch(out, (c && strchr("+-._", c)) || (c >= '0' && c <= '9') ||
		                       (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		                   ? c
		                   : '_');
	}
	for (; *key; key++)
		h = (h ^ (unsigned char)*key) * 0x100000001b3u;
	buf_addf(out, "-%016llx", (unsigned long long)h);
}
