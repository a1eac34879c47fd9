#ifndef BERTH_MANIFEST_H
#define BERTH_MANIFEST_H

#include "object.h"
#include "yaml.h"

#include <json-c/json.h>
#include <stddef.h>

/*
 * Manifests: the objects a tree of YAML and JSON files describes.
 *
 * Each object is kept as compact JSON text rather than a json-c tree: json-c
 * spends several hundred bytes on every mapping, so ten thousand objects as
 * trees would take many times the size of the files. manifest_object()
 * builds the tree of one object when it is needed.
 */
struct manifest {
	struct object_id id;
	char *file;          /* the path it was read from */
	size_t line, column; /* where the object starts */
	char *json;          /* the object (namespace filled in) as compact JSON */
};

/* A problem with the input, at a place in a file. */
struct diagnostic {
	char *file;
	size_t line, column; /* 0 when the problem is the file as a whole */
	char *message;
};

/* Problems, in the order found. Embedded by value: DIAGNOSTICS_INIT, then
 * diagnostics_release(). */
struct diagnostics {
	struct diagnostic *items;
	size_t n, alloc;
};
#define DIAGNOSTICS_INIT                                                                           \
	{                                                                                          \
		NULL, 0, 0                                                                         \
	}
void diagnostics_add(struct diagnostics *d, const char *file, size_t line, size_t column,
                     const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Append "file:line:column: message" lines, one per problem, the first
 * DIAGNOSTICS_SHOWN of them, then "... and N more". */
#define DIAGNOSTICS_SHOWN 100
void diagnostics_format(struct buf *out, const struct diagnostics *d);
void diagnostics_release(struct diagnostics *d);

/* The objects of a set of paths, in the order the files were read. */
struct manifest_set {
	struct manifest *items;
	size_t n, alloc;
};
#define MANIFEST_SET_INIT                                                                          \
	{                                                                                          \
		NULL, 0, 0                                                                         \
	}

struct manifest_options {
	const char *default_namespace; /* for namespaced objects that name none */
	/* The default namespace was named (kubectl's -n): an object naming
	 * another is an error, as kubectl makes it. */
	bool explicit_namespace;
	/* Every namespaced object goes here, whatever it names (Flux's
	 * targetNamespace); NULL: where it says. */
	const char *target_namespace;
	/* The namespaces objects may be in, NULL-terminated; NULL: any. */
	const char *const *allowed_namespaces;
	/* Nothing outside this directory (resolved, as realpath() gives it) is
	 * read, however a path or a symlink in it leads: a Git checkout. NULL:
	 * each directory named is its own. */
	const char *root;
	size_t max_file_size;  /* a larger file is an error */
	size_t max_files;      /* more files is an error: the rest is not read */
	size_t max_total_size; /* so are more bytes in all */
	size_t max_objects;    /* and more objects */
	struct yaml_limits yaml;
	unsigned threads; /* files read at once; 0: one per CPU */
	/* Asked as the load goes: a reason to stop now ("SIGTERM"), which is
	 * then an error, or NULL to go on. NULL: never stops. */
	const char *(*stop)(void *ctx);
	void *stop_ctx;
};
#define MANIFEST_OPTIONS_INIT                                                                      \
	{                                                                                          \
		.default_namespace = "default", .max_file_size = 8u << 20, .max_files = 10000,     \
		.max_total_size = 64u << 20, .max_objects = 20000, .yaml = YAML_LIMITS_INIT        \
	}

/*
 * Load every manifest under `paths`: files, or directories walked
 * recursively in sorted order, reading .yaml, .yml and .json and skipping
 * hidden entries. A path, or a symlink at any depth, that leads out of the
 * root (opts->root, else the directory named) is an error naming the link
 * and where it points, and is not followed. Each directory is walked once,
 * however many links lead to it; a link back to one being walked is a loop,
 * an error at the link. Past opts->max_files, max_total_size or
 * max_objects, or when opts->stop says so, nothing more is read and that is
 * an error: the load is bounded whatever the tree. Documents are parsed one
 * at a time. Each object's names are checked as the API checks them
 * (object_id_validate), and its namespace against opts (explicit, target,
 * allowed), each an error at the field. Empty documents are skipped; `kind: List` (and any *List
 * with items) is expanded into its objects. Every problem goes into `diags`
 * with its file:line:column; loading goes on to find them all. Two
 * documents naming the same object are an error that names both places,
 * unless they are equal as parsed objects: then the second is dropped, with
 * a warning naming both places in `warnings` (which may be NULL).
 *
 * Returns 0 when there was no problem, BERTH_ERROR when there was at least
 * one (the set then holds what did load). `opts` may be NULL.
 */
int manifest_set_load(struct manifest_set *set, struct diagnostics *diags,
                      struct diagnostics *warnings, const char *const *paths, size_t npaths,
                      const struct manifest_options *opts);
void manifest_set_release(struct manifest_set *set);

/*
 * Where the field at `path` of the manifest starts in its file: the
 * position of its key ("spec.template.spec.volumeMounts",
 * "spec.volumeClaimTemplates[0].metadata.name"). The file is read again, so
 * use it for problems, not on every object. Falls back to the deepest part
 * of the path that exists, then to the object's own start.
 */
void manifest_locate(size_t *line, size_t *column, const struct manifest *m, const char *path);

/* The object as a json-c tree; the caller owns *out (json_object_put). */
int manifest_object(struct json_object **out, const struct manifest *m);

#endif
