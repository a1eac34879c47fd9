#ifndef BERTH_KUSTOMIZE_CACHE_H
#define BERTH_KUSTOMIZE_CACHE_H

#include "../../diff/kustomize.h"

#include <json-c/json.h>

/*
 * Builds remembered on disk (${XDG_CACHE_HOME:-~/.cache}/berth/kustomize),
 * so that a folder built again costs what checking it costs. A build is a
 * function of what its reader answered: a cached build holds every answer
 * (each file's SHA-256, each "not there", each folder and each resolved
 * path), and is used only when the reader, asked the same questions again,
 * answers each the same. Only builds without problems are kept; a cache
 * file that cannot be read or checked is a miss, never an error. The files
 * are the user's own (0600 in a 0700 folder), like the checkouts beside
 * them. Called by kustomize_load.c.
 */

/* A reader that passes each question to `inner` and notes its answer. */
struct kustomize_record {
	struct kustomize_reader reader; /* give this one to the build */
	struct kustomize_reader inner;  /* the reader asked, copied */
	struct json_object *answers;    /* owned */
};
void kustomize_record_init(struct kustomize_record *r, const struct kustomize_reader *inner);
void kustomize_record_release(struct kustomize_record *r);

/* The cache file of the build of `dir` within `root` with `opts`, into
 * `out` (nothing when there is no cache folder). The working directory is
 * part of the key: origins name files as the build named them. */
void kustomize_cache_path(struct buf *out, const char *dir, const char *root,
                          const struct kustomize_build_options *opts);

/* One object of a cached build, with its origin; the object is freed when
 * the function returns (take a reference to keep it). Nonzero stops. */
typedef int kustomize_cache_fn(struct json_object *obj, const struct kustomize_resource *origin,
                               void *ctx);

/* The build cached at `path`, when `reader` still answers as it did: each
 * object to `fn`, one at a time (never all held at once), its warnings to
 * `warnings` (may be NULL), and returns 1; else 0 (a cache file damaged
 * halfway may have given `fn` some objects: drop them). `cap` bounds the
 * file. */
int kustomize_cache_each(struct diagnostics *warnings, const char *path,
                         const struct kustomize_reader *reader, size_t cap, kustomize_cache_fn *fn,
                         void *ctx);

/* Keep the build `rs` (with `warnings`, may be NULL) and the answers it
 * had at `path`, written whole or not at all. Failures are ignored. */
void kustomize_cache_put(const char *path, const struct kustomize_record *record,
                         const struct kustomize_resources *rs, const struct diagnostics *warnings);

#endif
