#ifndef BERTH_KUSTOMIZE_H
#define BERTH_KUSTOMIZE_H

#include "kustomize_resources.h"
#include "yaml_doc.h"

#include "base/buf.h"
#include "base/diagnostics.h"

#include <stddef.h>

/*
 * A kustomization built, as kustomize v5.5.0 (kubectl 1.32's `kubectl
 * kustomize`) builds it: its resources (files, and folders holding
 * kustomizations, built first), the `crds` name references, its generators
 * (with their behaviors over what the resources made), its components, then
 * the transformers in kustomize's order (patchesStrategicMerge, patches,
 * namespace, prefix and suffix, labels, annotations, patchesJson6902,
 * replicas, images). At the top only, generated names take their hash, then
 * name references follow every name that changed, and objects annotated
 * config.kubernetes.io/local-config: "true" are dropped.
 *
 * Files are read only through `reader` (the caller's confinement: the
 * repository, symlinks); a file a kustomization names must lie in or below
 * that kustomization's folder, as kustomize's default load restrictions
 * require, while a folder of resources may be anywhere the reader allows.
 * Every problem is a diagnostic at the kustomization's file:line:column
 * that caused it. No I/O of its own.
 */

/* `rel` joined to `dir` and cleaned, as Go's filepath.Join cleans it:
 * "a/b" and "../c" give "a/c". */
void kustomize_path_join(struct buf *out, const char *dir, const char *rel);

/* Is the cleaned `path` in or below the cleaned `dir`? */
bool kustomize_path_beneath(const char *path, const char *dir);

/* What kustomize_reader.read found a directory at `path`. */
#define KUSTOMIZE_DIRECTORY 1

struct kustomize_reader {
	/*
	 * Read the file at `path` (as the build names it: the kustomization's
	 * folder joined with the relative path, cleaned) into `out`, at most
	 * `cap` bytes. The file must resolve in or below the folder `within`
	 * (NULL: anywhere the reader allows). Returns 0;
	 * KUSTOMIZE_DIRECTORY when `path` is a directory (nothing read);
	 * BERTH_ENOTFOUND when nothing is there; or -1 with berth_error_set():
	 * outside, a symlink leading out, larger than `cap`.
	 */
	int (*read)(struct buf *out, const char *path, const char *within, size_t cap, void *ctx);
	/* The directory `path` resolved (symlinks followed), into `out`: two
	 * names of one folder are one folder to the cycle check. */
	int (*resolve)(struct buf *out, const char *path, void *ctx);
	void *ctx;
};

struct kustomize_build_options {
	struct kustomize_reader reader;
	struct yaml_limits yaml;
	size_t max_file_size;  /* a larger file is an error */
	size_t max_files;      /* files read, kustomizations included */
	size_t max_total_size; /* bytes read in all */
	size_t max_objects;    /* objects made, at any step */
};
#define KUSTOMIZE_BUILD_OPTIONS_INIT                                                               \
	{                                                                                          \
		.yaml = YAML_LIMITS_INIT, .max_file_size = 8u << 20, .max_files = 10000,           \
		.max_total_size = 64u << 20, .max_objects = 20000                                  \
	}

/*
 * Build the kustomization in directory `dir` into `out` (appended; each
 * object with its origin), in the order kustomize accumulates them (not
 * yet sorted: kustomize_order.h sorts for printing). Problems go into
 * `diags`, deprecations (`bases`, `commonLabels`, `patchesStrategicMerge`,
 * `patchesJson6902`, `vars`) into `warnings` (may be NULL). Returns 0, or
 * BERTH_ERROR when there was a problem (`out` is then left as it was).
 */
int kustomize_build(struct kustomize_resources *out, struct diagnostics *diags,
                    struct diagnostics *warnings, const char *dir,
                    const struct kustomize_build_options *opts);

#endif
