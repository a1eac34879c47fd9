#ifndef BERTH_KUSTOMIZATION_H
#define BERTH_KUSTOMIZATION_H

#include "yaml_doc.h"

#include "base/diagnostics.h"

#include <json-c/json.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * A kustomization file (kustomization.yaml, kustomization.yml or
 * Kustomization), read and checked as kustomize v5.5 reads it: its kind
 * and apiVersion (Kustomization, kustomize.config.k8s.io/v1beta1; Component,
 * .../v1alpha1), every field known and of its shape (kustomize refuses an
 * unknown field), `bases` read as more `resources`. What berth never does
 * is refused at its line, before anything else is read: a remote resource
 * or component (a URL, git@..., github.com/..., ?ref=), an absolute path,
 * Helm charts, and generator, transformer and validator plugins. Reading
 * the files it names, and the transformations, are the builder's. No I/O.
 */

/* A path a kustomization names, and where it names it. */
struct kustomization_path {
	char *path;
	size_t line, column;
};

struct kustomization {
	char *file;              /* as given, for messages */
	bool component;          /* kind: Component */
	struct json_object *doc; /* the document, the fields left for the transformers */
	struct yaml_marks marks; /* where its nodes are */
	/* resources (then bases), components and crds, in their order */
	struct kustomization_path *resources, *components, *crds;
	size_t nresources, ncomponents, ncrds;
};
#define KUSTOMIZATION_INIT                                                                         \
	{                                                                                          \
		.file = NULL, .component = false, .doc = NULL, .marks = YAML_MARKS_INIT(64),       \
		.resources = NULL, .components = NULL, .crds = NULL, .nresources = 0,              \
		.ncomponents = 0, .ncrds = 0                                                       \
	}

/* The names kustomize reads a kustomization from, in the order it looks for
 * them in a folder; NULL-terminated. */
extern const char *const kustomization_names[];

/*
 * Read the kustomization in `text` (`len` bytes; `file` names it in
 * problems) into `out`. Each problem is added to `diags` at its
 * file:line:column; any problem fails the read (BERTH_ERROR), and `out` is
 * then left empty.
 */
int kustomization_parse(struct kustomization *out, struct diagnostics *diags, const char *file,
                        const char *text, size_t len);
void kustomization_release(struct kustomization *k);

/* Where `node` of k->doc is (its key when it is a field's value), for a
 * problem of the builder; 0:0 when not known. */
void kustomization_locate(size_t *line, size_t *column, const struct kustomization *k,
                          const struct json_object *node);

/* Add a problem at `node` of k->doc (its first line when NULL or not
 * known) to `diags`. */
void kustomization_problem(struct diagnostics *diags, const struct kustomization *k,
                           const struct json_object *node, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void kustomization_vproblem(struct diagnostics *diags, const struct kustomization *k,
                            const struct json_object *node, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

#endif
