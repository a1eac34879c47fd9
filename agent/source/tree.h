#ifndef BERTH_TREE_H
#define BERTH_TREE_H

#include "../../diff/manifest.h"

#include <stddef.h>

/*
 * The manifests of files and directories on disk: the walk of a tree, each
 * file read and parsed (diff/manifest.h), in parallel, within limits.
 */
struct tree_options {
	struct manifest_options manifest; /* how each file is parsed; its stop stops the walk too */
	/* Nothing outside this directory (resolved, as realpath() gives it) is
	 * read, however a path or a symlink in it leads: a Git checkout. NULL:
	 * each directory named is its own. */
	const char *root;
	size_t max_file_size;  /* a larger file is an error */
	size_t max_files;      /* more files is an error: the rest is not read */
	size_t max_total_size; /* so are more bytes in all */
	unsigned threads;      /* files read at once; 0: one per CPU */
};
/* The default limits of a file, and of all files. */
#define TREE_MAX_FILE_SIZE  (8u << 20)
#define TREE_MAX_TOTAL_SIZE (64u << 20)
#define TREE_OPTIONS_INIT                                                                          \
	{                                                                                          \
		.manifest = MANIFEST_OPTIONS_INIT, .max_file_size = TREE_MAX_FILE_SIZE,            \
		.max_files = 10000, .max_total_size = TREE_MAX_TOTAL_SIZE                          \
	}

/*
 * Load every manifest under `paths` into `set`: files, or directories
 * walked recursively in sorted order, reading .yaml, .yml and .json and
 * skipping hidden entries. A path, or a symlink at any depth, that leads
 * out of the root (opts->root, else the directory named) is an error naming
 * the link and where it points, and is not followed; a symlink to nowhere
 * is one where it has a manifest's name. Each directory is walked once,
 * however many links lead to it; a link back to one being walked is a
 * loop, an error at the link. Past opts->max_files, max_total_size or
 * manifest.max_objects, or when manifest.stop says so, nothing more is read
 * and that is an error: the load is bounded whatever the tree. The files
 * are read in parallel; the outcome does not depend on timing. Then
 * manifest_set_finish(): an object defined twice.
 *
 * Returns 0 when there was no problem, BERTH_ERROR when there was at least
 * one (the set then holds what did load). `opts` may be NULL.
 */
int tree_load(struct manifest_set *set, struct diagnostics *diags, struct diagnostics *warnings,
              const char *const *paths, size_t npaths, const struct tree_options *opts);

/* Is `name` (of a file) one the walk reads: .yaml, .yml or .json? */
bool tree_manifest_name(const char *name);

/* Is `real` (a resolved path) the directory `root` (also resolved) or
 * beneath it? */
bool tree_is_beneath(const char *real, const char *root);

/* The first component of `path` (as given) that is a symlink leading out of
 * `root` (resolved), or to nowhere: its path into `link` and its text into
 * `target`. False when there is none. */
bool tree_link_out(struct buf *link, struct buf *target, const char *path, const char *root);

#endif
