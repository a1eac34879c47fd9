#include "cache.h"

#include "../diff/alloc.h"
#include "../diff/error.h"

#include <errno.h>
#include <stdlib.h>
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

uint64_t cache_key(const char *s)
{
	uint64_t h = 0xcbf29ce484222325u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3u;
	return h;
}
