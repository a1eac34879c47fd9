#ifndef BERTH_CACHE_H
#define BERTH_CACHE_H

#include "../diff/base/buf.h"

#include <stddef.h>

/*
 * berth's cache on disk: what it can fetch again, kept between runs (the
 * servers' OpenAPI schemas, the Git repositories it follows).
 */

/* Append ${XDG_CACHE_HOME:-~/.cache}/berth/<what> to `out`; nothing when
 * neither variable is set. */
void cache_dir(struct buf *out, const char *what);

/* mkdir -p `dir` (mode 0700), the last component included. */
int cache_make_dirs(const char *dir);

/*
 * Append a file name for one thing cached: the `len` bytes of `name`, each
 * one but a letter, a digit and "+-._" made '_', then '-' and a key that
 * tells apart the things `key` names (a server URL, a repository): FNV-1a,
 * stable, not a secret.
 */
void cache_name(struct buf *out, const char *name, size_t len, const char *key);

#endif
