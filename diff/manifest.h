#ifndef BERTH_MANIFEST_H
#define BERTH_MANIFEST_H

#include "object.h"
#include "yaml_doc.h"

#include "base/diagnostics.h"

#include <json-c/json.h>
#include <stdatomic.h>
#include <stddef.h>

/*
 * Manifests: the objects that texts of YAML and JSON describe, each at its
 * place in its file. Reading files is the caller's (agent/source/tree.h walks a
 * tree of them); this module only parses what it is given.
 *
 * Each object is kept as compact JSON text rather than a json-c tree: json-c
 * spends several hundred bytes on every mapping, so ten thousand objects as
 * trees would take many times the size of the files. manifest_object()
 * builds the tree of one object when it is needed.
 */

/* A kustomization built into a set: its folder, and every path its build
 * asked the reader about (files read, found missing, folders resolved), so
 * that a change to none of them leaves the build as it was. Owned by the
 * set. */
struct manifest_build {
	char *dir;
	char **inputs; /* sorted, each once */
	size_t ninputs;
	struct diagnostics warnings; /* what the build warned of */
};

/* The text the objects of a set came from: to find a field's place again
 * (manifest_locate). Owned by the set. */
struct manifest_file {
	char *name;
	char *text; /* held, when the set was given no reader */
	size_t len;
	/* Else, how to read the text again (the file on disk). */
	int (*read)(struct buf *out, const char *name, void *ctx);
	void *read_ctx;
	const struct manifest_build *build; /* the build that made its objects; NULL: a file read */
};

struct manifest {
	struct object_id id;
	const char *file;                   /* its file's name: source->name */
	const struct manifest_file *source; /* the set's */
	size_t line, column;                /* where the object starts */
	char *json;                         /* the object (namespace filled in) as compact JSON */
	/* Built by a kustomization (manifest_set_add_built): the patch that
	 * last changed it ("file:line"), and where a kustomization's labels
	 * went into its selectors; else NULL. Owned. */
	char *patch;
	char *selector_labels;
};

/* The objects of a set of texts, in the order they were added. Embedded by
 * value: MANIFEST_SET_INIT, then manifest_set_release(). */
struct manifest_set {
	struct manifest *items;
	size_t n, alloc;
	struct manifest_file **files;
	size_t nfiles, files_alloc;
	struct manifest_build **builds;
	size_t nbuilds, builds_alloc;
	size_t dropped; /* objects manifest_set_finish() dropped as repeats */
};
#define MANIFEST_SET_INIT                                                                          \
	{                                                                                          \
		.items = NULL, .n = 0, .alloc = 0, .files = NULL, .nfiles = 0, .files_alloc = 0    \
	}

/* May a source whose namespaces are `allowed` (NULL-terminated; NULL: any)
 * write in namespace `ns`? When not, `why` gets the reason, as a refusal
 * says it: "namespace 'b' is not among the namespaces this source may
 * write to ('a')". */
bool manifest_namespace_allowed(struct buf *why, const char *const *allowed, const char *ns);

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
	struct yaml_limits yaml;
	/* No more is parsed once `*objects` (shared by the sets of one load;
	 * NULL: the set's own count) is past this. */
	size_t max_objects;
	atomic_size_t *objects;
	/* Asked as the parse goes: a reason to stop now ("SIGTERM"), or NULL
	 * to go on. NULL: never stops. */
	const char *(*stop)(void *ctx);
	void *stop_ctx;
	/* How the text can be read again (manifest_file.read); NULL: the set
	 * keeps a copy of it. */
	int (*read)(struct buf *out, const char *name, void *ctx);
	void *read_ctx;
};
#define MANIFEST_OPTIONS_INIT                                                                      \
	{                                                                                          \
		.default_namespace = "default", .yaml = YAML_LIMITS_INIT, .max_objects = 20000     \
	}

/* manifest_set_add() stopped before the end of the text: past
 * opts->max_objects, or told to stop. */
#define MANIFEST_CUT 1

/*
 * Add the objects of `text` (`len` bytes, the file `name`): every document,
 * parsed one at a time; empty ones are skipped and `kind: List` (and any
 * *List with items) is expanded into its objects. Each object's names are
 * checked as the API checks them (object_id_validate), and its namespace
 * against opts (explicit, target, allowed), each a problem at the field.
 * Every problem goes into `diags` with its file:line:column; the parse goes
 * on to find them all.
 *
 * Returns 0, BERTH_ERROR when a problem was added, or MANIFEST_CUT when it
 * stopped early (then nothing is said of why: the caller knows). `opts`
 * may be NULL.
 */
int manifest_set_add(struct manifest_set *set, struct diagnostics *diags, const char *name,
                     const char *text, size_t len, const struct manifest_options *opts);

/* Where an object a kustomize build made came from: the file and place of
 * the resource (or of the generator), and what changed it (each NULL when
 * nothing did). Borrowed. */
struct manifest_origin {
	const char *file;
	size_t line, column;
	const char *patch;
	const char *selector_labels;
};

/*
 * Add `obj` (borrowed; its namespace may be filled in, as a document's
 * is), an object a build made, as manifest_set_add() adds
 * a document's: its names checked and placed as opts say, each problem at
 * its origin. Its place in a field (manifest_locate) is looked up in the
 * origin's file, which opts->read reads again (or which has no text: then
 * the origin's place is all). Returns 0, BERTH_ERROR when a problem was
 * added, or MANIFEST_CUT past opts->max_objects.
 */
int manifest_set_add_built(struct manifest_set *set, struct diagnostics *diags,
                           struct json_object *obj, const struct manifest_origin *origin,
                           const struct manifest_options *opts);

/* " (changed by the patch at FILE:LINE)" when a kustomize patch changed the
 * object, else nothing: a problem with a built object names the patch as
 * well as the resource it came from. */
void manifest_add_patch_note(struct buf *out, const struct manifest *m);

/* Is `doc` a list of objects, as kubectl expands it: `kind: List`, or any
 * kind ending in "List", with an `items` array? */
bool manifest_is_list(struct json_object *doc);

/* Record the build of the kustomization in `dir`, with its `inputs` (taken,
 * as they are: sorted and deduplicated here), as the maker of the files of
 * `set` from its `from`-th on; its warnings are the caller's to add. */
struct manifest_build *manifest_set_add_build(struct manifest_set *set, size_t from,
                                              const char *dir, char **inputs, size_t ninputs);

/* Move the objects, files and builds of `from` to the end of `to`; `from`
 * is left empty. */
void manifest_set_take(struct manifest_set *to, struct manifest_set *from);

/*
 * Once every text is added: two documents naming the same object are a
 * problem that names both places, unless they are equal as parsed objects:
 * then the second is dropped, with a warning naming both places in
 * `warnings` (which may be NULL).
 */
void manifest_set_finish(struct manifest_set *set, struct diagnostics *diags,
                         struct diagnostics *warnings);

/* Remove each build `drop_build` names (NULL: none) with the files it made,
 * and each file read that `drop` names, with their objects. */
void manifest_set_drop(struct manifest_set *set, bool (*drop)(const char *file, void *ctx),
                       bool (*drop_build)(const struct manifest_build *b, void *ctx), void *ctx);

void manifest_set_release(struct manifest_set *set);

/*
 * Where the field at `path` of the manifest starts in its file: the
 * position of its key ("spec.template.spec.volumeMounts",
 * "spec.volumeClaimTemplates[0].metadata.name"). The text is parsed again
 * (and read again, when the set holds no copy), so use it for problems,
 * not on every object. Falls back to the deepest part of the path that
 * exists, then to the object's own start.
 */
void manifest_locate(size_t *line, size_t *column, const struct manifest *m, const char *path);

/* The object as a json-c tree; the caller owns *out (json_object_put). */
int manifest_object(struct json_object **out, const struct manifest *m);

#endif
