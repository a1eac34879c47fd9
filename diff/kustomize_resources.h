#ifndef BERTH_KUSTOMIZE_RESOURCES_H
#define BERTH_KUSTOMIZE_RESOURCES_H

#include "base/buf.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * The objects of a kustomize build while it is under way: each with where it
 * came from, what changed it, and the names it had before (kustomize keeps
 * those as its internal.config.kubernetes.io annotations; berth keeps them
 * beside the object, so nothing internal can reach the output). The build
 * (kustomize.h) fills them; the transformers (kustomize_transform.h,
 * kustomize_patch.h, kustomize_nameref.h) change them. No I/O.
 */

/* A name and namespace an object had ("" for none). */
struct kustomize_id {
	char *name;
	char *namespace;
};

struct kustomize_resource {
	struct json_object *obj; /* owned */
	/* Where it came from: a resource file, or the kustomization of the
	 * generator that made it; line 0 when not known. */
	char *file;
	size_t line, column;
	/* The last patch that changed it ("file:line"), or NULL. */
	char *patch;
	/* Where a kustomization's labels went into its selectors ("file:line"),
	 * or NULL: those are immutable on some kinds. */
	char *selector_labels;
	/* The names it had before a namespace, prefix, suffix or hash changed
	 * them, oldest first: name references follow them. */
	struct kustomize_id *prev;
	size_t nprev;
	/* A generated ConfigMap or Secret whose name takes the hash suffix
	 * at the end of the build. */
	bool needs_hash;
};

/* A list of them. Embedded by value: KUSTOMIZE_RESOURCES_INIT, then
 * kustomize_resources_release(). Owns its resources. */
struct kustomize_resources {
	struct kustomize_resource *items;
	size_t n, alloc;
};
#define KUSTOMIZE_RESOURCES_INIT                                                                   \
	{                                                                                          \
		.items = NULL, .n = 0, .alloc = 0                                                  \
	}

/* Append a resource holding `obj` (the reference is taken) from `file`
 * (copied; may be NULL) at line:column; returns it. */
struct kustomize_resource *kustomize_resources_add(struct kustomize_resources *rs,
                                                   struct json_object *obj, const char *file,
                                                   size_t line, size_t column);

/* Remove item `i`, releasing it; the ones after it move down. */
void kustomize_resources_remove(struct kustomize_resources *rs, size_t i);

/* Move every resource of `from` to the end of `to`; `from` is left empty. */
void kustomize_resources_take(struct kustomize_resources *to, struct kustomize_resources *from);

void kustomize_resources_release(struct kustomize_resources *rs);

/* Is `obj` an object kustomize takes: a mapping with a kind (a string, not
 * "") and a metadata.name (a scalar, not null or "")? kustomize refuses any
 * other, as read and after each patch. */
bool kustomize_object_has_identity(struct json_object *obj);

/* The object's kind, metadata.name and metadata.namespace ("" when absent). */
const char *kustomize_resource_kind(const struct kustomize_resource *r);
const char *kustomize_resource_name(const struct kustomize_resource *r);
const char *kustomize_resource_namespace(const struct kustomize_resource *r);

/* The group of its apiVersion ("" for the core group), into `out`. */
void kustomize_resource_group(struct buf *out, const struct kustomize_resource *r);

/*
 * Give the object a new name and namespace (either NULL: unchanged; a ""
 * namespace removes it), first keeping the ones it has in r->prev, as
 * kustomize does before each change of name. Nothing is kept when nothing
 * changes.
 */
void kustomize_resource_rename(struct kustomize_resource *r, const char *name,
                               const char *namespace);

/* Did the object ever have name `name` (now or before)? Namespace `ns`
 * (NULL: any) must be the one it had with that name. */
bool kustomize_resource_was(const struct kustomize_resource *r, const char *name, const char *ns);

/* The name it was first given (before any change), borrowed. */
const char *kustomize_resource_first_name(const struct kustomize_resource *r);
const char *kustomize_resource_first_namespace(const struct kustomize_resource *r);

#endif
