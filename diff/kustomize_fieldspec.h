#ifndef BERTH_KUSTOMIZE_FIELDSPEC_H
#define BERTH_KUSTOMIZE_FIELDSPEC_H

#include "kustomize_resources.h"

#include <json-c/json.h>
#include <stdbool.h>

/*
 * kustomize's field specs (api/filters/fieldspec): a path in the objects of
 * some kinds, which kustomize's built-in transformers change. Private to
 * kustomize_transform.c and kustomize_labels.c. No I/O.
 */

struct kustomize_fieldspec {
	const char *group, *version, *kind; /* NULL: any */
	/* '/' between fields; "[]" after a field that is a list. A field that
	 * holds a list is walked element by element with or without it. */
	const char *path;
	/* Make the maps on the way, and the last field, when missing. */
	bool create;
	/* The object's own selector (spec.selector and the like) or its
	 * volumeClaimTemplates' labels: fields most kinds do not let change
	 * once the object exists. */
	bool selector;
};

/* Called at the last field of a path: `key` of the map `parent`, which holds
 * it (maybe null), or lacks it when the spec creates. 0, or -1 with the
 * error set. */
typedef int kustomize_fieldspec_fn(struct json_object *parent, const char *key, void *arg);

/* Does `fs` apply to the object of `r` (its kind, group and version)? */
bool kustomize_fieldspec_matches(const struct kustomize_fieldspec *fs,
                                 const struct kustomize_resource *r);

/* Follow fs->path in r's object (which fs must match), calling `fn` at each
 * place it leads to. Fails, naming the object, where a field on the way is
 * neither a map nor a list, as kustomize does. */
int kustomize_fieldspec_apply(const struct kustomize_fieldspec *fs, struct kustomize_resource *r,
                              kustomize_fieldspec_fn *fn, void *arg);

/* `fn` on every spec of `specs` (ended by one with a NULL path) that matches. */
int kustomize_fieldspec_apply_all(const struct kustomize_fieldspec *specs,
                                  struct kustomize_resource *r, kustomize_fieldspec_fn *fn,
                                  void *arg);

/* The string map `map` (an argument of a transformer, `what` naming it in
 * errors) set into the map at `key` of `parent`, made when missing or null.
 * Sets *changed when a value was added or differed. */
int kustomize_fieldspec_set_map(bool *changed, struct json_object *parent, const char *key,
                                struct json_object *map);

/* Fails naming `what` unless `map` is NULL or a map of strings. */
int kustomize_fieldspec_check_map(struct json_object *map, const char *what);

#endif
