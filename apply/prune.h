#ifndef BERTH_PRUNE_H
#define BERTH_PRUNE_H

#include "sync.h"

/*
 * Prune: deleting what berth applied from a source and that has since left
 * Git, the objects of the plan aside, claims, volumes and namespaces kept
 * unless allowed.
 */

/* An object berth applied from this source that has since left Git. */
struct prune_item {
	struct object_id id;
	const struct api_resource *res;
	char *uid;
	struct json_object *live; /* as listed */
	bool protected_kind;      /* a claim, volume or namespace */
	bool allowed;             /* protected, but its annotation or the run allows it */
	bool pruned;
	long wave; /* its berth.io/wave, as applied (0: none) */
};

/* Embedded by value: PRUNE_LIST_INIT, then prune_list_release(). */
struct prune_list {
	struct prune_item *items; /* in reverse wave, then phase, order: the order of
	                           * deletion */
	size_t n, alloc;
};
#define PRUNE_LIST_INIT                                                                            \
	{                                                                                          \
		.items = NULL, .n = 0, .alloc = 0                                                  \
	}
void prune_list_release(struct prune_list *list);

/* How many items of `list` were pruned. */
size_t prune_list_pruned(const struct prune_list *list);

/*
 * Find what prune would delete: the objects labelled TRACKING_LABEL whose
 * SOURCE_ANNOTATION is opts->source and which the plan does not hold (by
 * uid), with one label-selected LIST per kind that can be listed and
 * deleted. An object without that annotation is never taken, whatever its
 * other annotations say. A confined source (scope.h) lists each of its
 * namespaces, and only the cluster-scoped kinds it may manage. A kind the
 * user may not list (403) is left out; another failure to list is a
 * warning (opts->warn).
 * Refuses, before anything is deleted, when the plan is empty and
 * opts->allow_empty is not set.
 */
int prune_find(struct prune_list *out, struct kube_client *c, const struct discovery *d,
               const struct sync_plan *plan, const struct sync_options *opts);

/*
 * prune_find() for the objects `gone` alone (those that left Git with a
 * commit whose other objects are known to be as they were): each is read
 * (one GET), and taken under the same rules. An object that is not there,
 * or that berth may not read, is not taken.
 */
int prune_find_gone(struct prune_list *out, struct kube_client *c, const struct discovery *d,
                    const struct object_id *gone, size_t n, const struct sync_plan *plan,
                    const struct sync_options *opts);

/*
 * Delete them, in reverse phase order, each with its uid as a precondition.
 * PersistentVolumeClaims, PersistentVolumes and Namespaces are kept unless
 * opts->prune_protected is set or the object is annotated PRUNE_ANNOTATION:
 * "true"; a kept one gets a progress line saying so.
 */
int prune_apply(struct prune_list *list, struct kube_client *c, const struct sync_options *opts);

/* Lets prune delete one protected object (a claim, volume or namespace). */
#define PRUNE_ANNOTATION "berth.io/prune"

#endif
