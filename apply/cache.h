#ifndef BERTH_CACHE_H
#define BERTH_CACHE_H

#include "../diff/buf.h"

#include <stdint.h>

/*
 * berth's cache on disk: what it can fetch again, kept between runs (the
 * servers' OpenAPI schemas, the Git repositories it follows).
 */

/* Append ${XDG_CACHE_HOME:-~/.cache}/berth/<what> to `out`; nothing when
 * neither variable is set. */
void cache_dir(struct buf *out, const char *what);

/* mkdir -p `dir` (mode 0700), the last component included. */
int cache_make_dirs(const char *dir);

/* A stable name for `s` (a server URL, a repository), not a secret: FNV-1a. */
uint64_t cache_key(const char *s);

#endif
