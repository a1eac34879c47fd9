#ifndef BERTH_KUSTOMIZE_LOAD_H
#define BERTH_KUSTOMIZE_LOAD_H

#include "tree.h"

#include "../../diff/kustomize.h"

/*
 * A kustomization on disk built into manifests (diff/kustomize.h does the
 * build; this reads its files): nothing is read outside the root, however
 * a path or a symlink leads, and each object keeps its origin. A build is
 * kept (kustomize_cache.h) and used again while its files answer the same.
 * Called by the tree walk (tree.c) for every folder holding a
 * kustomization, and by `berth build`.
 */

/* The folder a build of `dir` may read in, resolved, into `out`: `root`
 * when set (a Git checkout), else the top of the Git work tree that holds
 * `dir`, else "/" (the user's own files, as kubectl reads them). */
int kustomize_load_root(struct buf *out, const char *dir, const char *root);

/* Does the folder `dir` hold a kustomization file? */
bool kustomize_load_is_kustomization(const char *dir);

/* Build the kustomization in `dir` (read within `root`, resolved) into
 * `out`, with the limits of `opts` (files, bytes, objects, YAML). */
int kustomize_load_build(struct kustomize_resources *out, struct diagnostics *diags,
                         struct diagnostics *warnings, const char *dir, const char *root,
                         const struct tree_options *opts);

/* Build `dir` and add its objects to `set` (manifest_set_add_built, with
 * opts->manifest), and the build with its inputs (manifest_set_add_build):
 * `set` should hold no file of the build's names yet. Returns 0,
 * BERTH_ERROR, or MANIFEST_CUT past the limit of objects. */
int kustomize_load(struct manifest_set *set, struct diagnostics *diags,
                   struct diagnostics *warnings, const char *dir, const char *root,
                   const struct tree_options *opts);

/* The same, its files read by `reader` (a commit's tree), with no cache. */
int kustomize_load_with(struct manifest_set *set, struct diagnostics *diags,
                        struct diagnostics *warnings, const char *dir,
                        const struct kustomize_reader *reader, const struct tree_options *opts);

#endif
