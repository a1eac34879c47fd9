#ifndef BERTH_SYNC_INTERNAL_H
#define BERTH_SYNC_INTERNAL_H

/*
 * What the parts of a sync share (sync_plan.c, sync_check.c, sync_write.c,
 * sync_wait.c); not for other modules, which use sync.h.
 */
#include "sync.h"

#include <stdbool.h>
#include <stdint.h>

/* Objects per LIST page. A page is held as json-c trees: about 15 KB for a
 * StatefulSet without its managedFields, so a page is about 4 MB. */
#define LIST_PAGE 500
/* Writes retried after a 409, each after reading the object again. */
#define MAX_CONFLICTS 5
/* The bytes the server allows an object's annotations, keys and values in
 * all (Kubernetes' TotalAnnotationSizeLimitB). */
#define ANNOTATIONS_MAX (256 * 1024)

/* "statefulset default/web", in the item's own scope. */
void sync_describe(struct buf *out, const struct sync_item *item);

/* Put "file:line:column: kind ns/name[: doing]: " in front of the error. */
void sync_blame(const struct sync_item *item, const char *doing);

/* The URL of the item (with_name) or of its collection. */
void sync_item_path(struct buf *out, const struct sync_item *item, bool with_name);

/* The manifest as berth applies it, tracked, built when first needed; it
 * belongs to the item (item->desired). */
struct json_object *sync_item_desired(struct sync_item *item);

/* Give each item its phase (phase_of) and wave (manifest_wave), and sort
 * them into the order they are applied in: by wave, then by phase, then in
 * the order of their manifests in the set (items[i].m, which point into
 * one manifest_set). */
void sync_plan_order(struct sync_item *items, size_t n);

/* Are both read by the same LIST: one kind, in one version, in one
 * namespace? */
bool sync_same_list(const struct sync_item *a, const struct sync_item *b);

/* qsort() order of item pointers for reading live state: resource,
 * version, namespace, name. */
int sync_cmp_list(const void *a, const void *b);

/* Compare one item with its live object (NULL: missing), keeping only what
 * is needed to show or write it. */
int sync_compare(struct sync_item *item, struct json_object *live);

/* A LIST's items leave out the apiVersion and kind the list was asked in:
 * give `live` the manifest's. */
void sync_typed(struct json_object *live, const struct sync_item *item);

/* Field `field` of StorageClass `cls`: from Git, else from the live class.
 * A new reference, or NULL when neither has it. */
struct json_object *sync_class_field(struct kube_client *c, const struct sync_plan *plan,
                                     const char *cls, const char *field);

/* A line of progress on opts->progress, when there is one. */
void sync_progress(const struct sync_options *opts, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The URL of claim <tmpl>-<statefulset>-<ordinal>, which the StatefulSet
 * controller makes for each pod. */
void sync_claim_path(struct buf *out, const char *ns, const char *tmpl, const char *sts,
                     int64_t ordinal);

/* Is `m` a hook (HOOK_ANNOTATION): 1, and when it runs; 0 when not; -1
 * when its annotation is not one, or is on a kind that is not a Job or a
 * Pod (the problem added to `diags`). */
int sync_hook_of(enum hook_when *when, struct diagnostics *diags, const struct manifest *m);

/* Is `m` (resolved to `res`) a hook: kept apart in plan->hooks (true),
 * not applied; a problem with its annotation goes to `diags` (true). */
bool sync_plan_hook(struct sync_plan *plan, struct diagnostics *diags, const struct manifest *m,
                    const struct api_resource *res);

/*
 * Run the hooks of `plan` for `when`, one after the other (none without
 * opts->run_hooks; a dry run says each and runs none): each created as
 * <name>-<commit, 7 digits> (a commit's run is there already: not run
 * again), waited for until it succeeds, fails or the phase's time is up,
 * then deleted as HOOK_DELETE_ANNOTATION says, and the runs of the hook
 * beyond the newest 3 deleted. The first failure stops them, and is the
 * error: "hook pre-sync ns/migrate-0123abc failed: failed:
 * BackoffLimitExceeded (...)".
 */
int sync_hooks_run(struct kube_client *c, const struct sync_plan *plan, enum hook_when when,
                   const struct sync_options *opts);

/* Decide the item's health from `live` (NULL: missing, which is
 * Progressing until it is made), and whether it is ready. */
void sync_item_health(struct sync_item *item, struct json_object *live);

/*
 * Wait until every object of plan->items[from, to) is ready, within the
 * phase's time, polling with one LIST per kind and namespace. An object the
 * write's answer already showed ready is not waited on. Prints what each
 * waits for when it changes.
 */
int sync_wait_phase(struct kube_client *c, struct sync_plan *plan, size_t from, size_t to,
                    const struct sync_options *opts);

#endif
