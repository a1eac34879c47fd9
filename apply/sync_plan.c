/* The plan of a sync: each manifest resolved, read live and compared;
 * what the server would refuse, found before anything is written. */
#include "sync_internal.h"

#include "ready.h"
#include "scope.h"
#include "ssa.h"

#include "../diff/immutable.h"
#include "../diff/quantity.h"

#include "../diff/base/alloc.h"
#include "../diff/base/berth_error.h"
#include "../diff/base/clock.h"
#include "../diff/base/json_value.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void sync_item_name(struct buf *out, const struct sync_item *item)
{
	object_kind_lower(out, item->m->id.kind);
	if (*item->m->id.group)
		buf_addf(out, ".%s", item->m->id.group);
	buf_addf(out, "/%s", item->m->id.name);
}

void sync_plan_count(size_t counts[SYNC_ACTION_COUNT], const struct sync_plan *plan)
{
	size_t i;

	memset(counts, 0, SYNC_ACTION_COUNT * sizeof(*counts));
	for (i = 0; i < plan->n; i++)
		counts[plan->items[i].action]++;
}

struct object_id sync_item_id(const struct sync_item *item)
{
	static char none[] = "";
	struct object_id id = item->m->id;

	if (!item->res->namespaced)
		id.namespace = none;
	return id;
}

void sync_describe(struct buf *out, const struct sync_item *item)
{
	struct object_id id = sync_item_id(item);

	object_id_describe(out, &id);
}

/* Put "file:line:column: kind ns/name[: doing]: " in front of the error. */
void sync_blame(const struct sync_item *item, const char *doing)
{
	struct buf what = BUF_INIT, file = BUF_INIT;

	sync_describe(&what, item);
	manifest_add_patch_note(&what, item->m);
	buf_add_printable(&file, item->m->file, NULL);
	berth_error_prefix(BERTH_ERROR, "%s:%zu:%zu: %s%s%s", file.ptr, item->m->line,
	                   item->m->column, what.ptr, doing ? ": " : "", doing ? doing : "");
	buf_release(&what);
	buf_release(&file);
}

/* The URL of the item (name) or of its collection (no name). */
void sync_item_path(struct buf *out, const struct sync_item *item, bool with_name)
{
	api_resource_path(out, item->res, item->m->id.version, item->m->id.namespace,
	                  with_name ? item->m->id.name : NULL);
}

static struct json_object *map_at(struct json_object *parent, const char *key)
{
	struct json_object *v = json_value_get(parent, key);

	if (!json_object_is_type(v, json_type_object))
		json_object_object_add(parent, key, (v = json_object_new_object()));
	return v;
}

/* The manifest as berth applies it: tracked, and in the scope the server
 * gives its kind. Built when first needed. */
struct json_object *sync_item_desired(struct sync_item *item)
{
	struct json_object *meta;

	if (item->desired)
		return item->desired;
	manifest_object(&item->desired, item->m);
	meta = map_at(item->desired, "metadata");
	json_object_object_add(map_at(meta, "labels"), TRACKING_LABEL,
	                       json_object_new_string(TRACKING_VALUE));
	json_object_object_add(map_at(meta, "annotations"), SOURCE_ANNOTATION,
	                       json_object_new_string(item->source));
	if (!item->res->namespaced)
		json_object_object_del(meta, "namespace");
	return item->desired;
}

/* Order: phase, then the order of the manifests. */
/* Are both read by the same LIST: one kind, in one version, in one
 * namespace? */
bool sync_same_list(const struct sync_item *a, const struct sync_item *b)
{
	return a->res == b->res && !strcmp(a->m->id.version, b->m->id.version) &&
	       !strcmp(a->m->id.namespace, b->m->id.namespace);
}

/* Order for reading live state: resource, version, namespace, name. */
int sync_cmp_list(const void *a, const void *b)
{
	const struct sync_item *x = *(const struct sync_item *const *)a;
	const struct sync_item *y = *(const struct sync_item *const *)b;
	int c;

	if (x->res != y->res)
		return x->res < y->res ? -1 : 1;
	if ((c = strcmp(x->m->id.version, y->m->id.version)))
		return c;
	if ((c = strcmp(x->m->id.namespace, y->m->id.namespace)))
		return c;
	return strcmp(x->m->id.name, y->m->id.name);
}

static int cmp_name(const void *key, const void *elem)
{
	return strcmp(key, (*(const struct sync_item *const *)elem)->m->id.name);
}

bool sync_item_foreign(const struct sync_item *item)
{
	return item->uid && (!item->owner || strcmp(item->owner, item->source));
}

struct json_object *sync_item_predicted(struct sync_item *item)
{
	if (!item->drift.predicted && item->drift.state == DRIFT_MISSING) {
		drift_modified(&item->drift.predicted, sync_item_desired(item));
		json_object_put(item->desired);
		item->desired = NULL;
	}
	return item->drift.predicted;
}

static bool has_last_applied(struct json_object *live)
{
	return json_value_get(json_value_get(json_value_get(live, "metadata"), "annotations"),
	                      LAST_APPLIED_ANNOTATION) != NULL;
}

/* Server-side apply keeps no last-applied annotation: an object that still
 * has one is to be written, which removes it (ssa_takeover_patch). */
static void migrate(struct sync_item *item, struct json_object *live)
{
	struct json_object *entry;
	struct buf path = BUF_INIT;

	item->migrate = item->server_side && live && has_last_applied(live);
	if (!item->migrate || item->drift.state != DRIFT_IN_SYNC)
		return;
	item->drift.state = DRIFT_DRIFTED;
	buf_adds(&path, "metadata.annotations");
	json_value_path_add_key(&path, LAST_APPLIED_ANNOTATION);
	entry = json_object_new_object();
	json_object_object_add(entry, "path", json_object_new_string(path.ptr));
	json_object_object_add(entry, "live", json_object_new_string("***"));
	json_object_object_add(entry, "desired", NULL);
	json_object_array_add(item->drift.paths, entry);
	buf_release(&path);
}

/* Compare one item with its live object (NULL: missing). Keeps the live
 * object only when there is something to show or do, and drops the desired
 * one: a json-c tree costs several hundred bytes a mapping. */
int sync_compare(struct sync_item *item, struct json_object *live)
{
	struct json_object *applied = NULL, *desired = sync_item_desired(item);
	int error;

	/* Without the annotation, what berth applied server-side says what Git
	 * had (its managedFields entry, the only one the client keeps: gone
	 * once read), as berth applied it, keys filled in. */
	if (live && !has_last_applied(live))
		ssa_applied(&applied, live);
	if (json_object_is_type(json_value_get(live, "metadata"), json_type_object))
		json_object_object_del(json_value_get(live, "metadata"), "managedFields");
	if (applied)
		ssa_fill_keys(desired);
	error = drift_compute_applied(&item->drift, desired, live, applied);
	json_object_put(applied);
	if (error < 0)
		return -1;
	migrate(item, live);
	json_object_put(item->live);
	item->live = NULL;
	free(item->uid);
	free(item->owner);
	free(item->read_rv);
	item->uid = item->owner = item->read_rv = NULL;
	sync_item_health(item, live);
	if (live) {
		struct json_object *meta = json_value_get(live, "metadata");

		item->uid = xstrdup_or_null(json_value_get_string(meta, "uid"));
		item->owner = xstrdup_or_null(
		    json_value_get_string(json_value_get(meta, "annotations"), SOURCE_ANNOTATION));
		item->read_rv = xstrdup_or_null(json_value_get_string(meta, "resourceVersion"));
	}
	if (item->drift.state != DRIFT_IN_SYNC)
		item->live = json_object_get(live);
	/* Drift found locally may be a value the server never stores: the key
	 * lets a verdict on it be remembered (sync_plan_confirm). */
	item->confirmed = item->dry_run_ok = false;
	item->keyed = item->drift.state == DRIFT_DRIFTED &&
	              verdict_key(item->key, sync_item_desired(item), live) == 0;
	/* Nothing to predict, or an object to create: built when written or
	 * shown (sync_item_predicted). */
	if (item->drift.state == DRIFT_IN_SYNC || item->drift.state == DRIFT_MISSING) {
		json_object_put(item->drift.predicted);
		item->drift.predicted = NULL;
	}
	/* What is written is in the drift (the patch, or the object to create). */
	json_object_put(item->desired);
	item->desired = NULL;
	return 0;
}

/* One kind in one namespace being read: its items, sorted by name. */
struct group {
	struct sync_item **items;
	size_t n;
	bool *seen;
	bool blamed; /* the error names its object already */
};

/* A LIST's items leave out the apiVersion and kind the list was asked in:
 * give `live` the manifest's. */
void sync_typed(struct json_object *live, const struct sync_item *item)
{
	const struct object_id *id = &item->m->id;
	struct buf api = BUF_INIT;

	buf_addf(&api, "%s%s%s", id->group, *id->group ? "/" : "", id->version);
	json_object_object_add(live, "apiVersion", json_object_new_string(api.ptr));
	json_object_object_add(live, "kind", json_object_new_string(id->kind));
	buf_release(&api);
}

/* Compare the items of one LIST page with the group's manifests. */
static int compare_page(struct json_object *page, void *ctx)
{
	struct group *g = ctx;
	struct json_object *items = json_value_get(page, "items");
	size_t i;

	for (i = 0; i < json_value_array_len(items); i++) {
		struct json_object *live = json_object_array_get_idx(items, i);
		const char *name = json_value_get_string(json_value_get(live, "metadata"), "name");
		struct sync_item **hit =
		    name ? bsearch(name, g->items, g->n, sizeof(*g->items), cmp_name) : NULL;

		if (!hit)
			continue;
		sync_typed(live, *hit);
		g->seen[hit - g->items] = true;
		if (sync_compare(*hit, live) < 0) {
			sync_blame(*hit, NULL);
			g->blamed = true;
			return -1;
		}
	}
	return 0;
}

/* LIST one kind in one namespace, page by page (or read it where
 * opts->live keeps it), and compare the items group[0..n) (sorted by
 * name) with what it finds. */
static int read_group(struct kube_client *c, struct sync_item **items, size_t n,
                      const struct sync_options *opts)
{
	struct group g = {items, n, xcalloc(n, sizeof(bool)), false};
	const char **names = xcalloc(n + 1, sizeof(*names));
	struct buf path = BUF_INIT;
	size_t i;
	int error = BERTH_ENOTFOUND;

	sync_item_path(&path, items[0], false);
	for (i = 0; i < n; i++)
		names[i] = items[i]->m->id.name;
	if (opts->live)
		error = opts->live(opts->live_ctx, path.ptr, names, n, compare_page, &g);
	free(names);
	if (error == BERTH_ENOTFOUND) {
		buf_addf(&path, "?limit=%d", LIST_PAGE);
		error = kube_client_list_ahead(c, path.ptr, compare_page, &g);
	}
	if (error < 0 && !g.blamed)
		sync_blame(items[0], "cannot read live state");
	for (i = 0; i < n && !error; i++)
		if (!g.seen[i] && (error = sync_compare(items[i], NULL)) < 0)
			sync_blame(items[i], NULL);
	free(g.seen);
	buf_release(&path);
	return error;
}

/* Field `field` of StorageClass `cls`: from Git, else from the live class.
 * A new reference, or NULL when neither has it. */
struct json_object *sync_class_field(struct kube_client *c, const struct sync_plan *plan,
                                     const char *cls, const char *field)
{
	struct json_object *live = NULL, *git = NULL, *v = NULL;
	struct buf path = BUF_INIT;
	size_t i;

	for (i = 0; i < plan->n && !git; i++)
		if (!strcmp(plan->items[i].m->id.kind, "StorageClass") &&
		    !strcmp(plan->items[i].m->id.name, cls))
			manifest_object(&git, plan->items[i].m);
	v = json_object_get(json_value_get(git, field));
	json_object_put(git);
	if (!v) {
		buf_adds(&path, "/apis/storage.k8s.io/v1/storageclasses");
		api_path_segment(&path, cls);
		if (kube_client_get_json(&live, c, path.ptr) == 0)
			v = json_object_get(json_value_get(live, field));
	}
	json_object_put(live);
	buf_release(&path);
	return v;
}

/* Does the StorageClass named by a claim template allow expansion? */
static bool class_expands(struct kube_client *c, const struct sync_plan *plan, const char *cls)
{
	struct json_object *v = sync_class_field(c, plan, cls, "allowVolumeExpansion");
	bool yes = json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v);

	json_object_put(v);
	return yes;
}

/* A claim template's storage request changes from `live` to `desired`:
 * growth is recorded in item->grow (if the class allows it); shrinking is
 * a problem. Returns a message, or NULL when it is fine. */
static const char *claim_growth(struct buf *why, struct kube_client *c,
                                const struct sync_plan *plan, struct sync_item *item, size_t index,
                                const char *live, const char *desired)
{
	struct json_object *vct = json_object_array_get_idx(
	    json_value_get(json_value_get(sync_item_desired(item), "spec"), "volumeClaimTemplates"),
	    index);
	const char *name = json_value_get_string(json_value_get(vct, "metadata"), "name");
	const char *cls = json_value_get_string(json_value_get(vct, "spec"), "storageClassName");
	struct quantity from, to;
	struct json_object *g;

	if (!name || quantity_parse(&from, live) < 0 || quantity_parse(&to, desired) < 0)
		return NULL;
	if (quantity_cmp(&to, &from) < 0) {
		buf_addf(why, "a claim cannot shrink (from %s to %s)", live, desired);
		return why->ptr;
	}
	if (!cls || !class_expands(c, plan, cls)) {
		buf_addf(why,
		         "growing the claims from %s to %s needs a StorageClass with "
		         "allowVolumeExpansion: true, and '%s' does not allow it",
		         live, desired, cls ? cls : "(none)");
		return why->ptr;
	}
	if (!item->grow)
		item->grow = json_object_new_array();
	g = json_object_new_object();
	json_object_object_add(g, "template", json_object_new_string(name));
	json_object_object_add(g, "from", json_object_new_string(live));
	json_object_object_add(g, "storage", json_object_new_string(desired));
	json_object_array_add(item->grow, g);
	return NULL;
}

/*
 * A kustomization's labels (commonLabels, or labels with includeSelectors)
 * that change a live StatefulSet's selector or its volumeClaimTemplates'
 * labels, which cannot change: kustomize does not see it. The problem is at
 * the kustomization's line, where the labels are. False when that is not
 * the cause.
 */
static bool labels_hazard(struct diagnostics *diags, const struct sync_item *item, const char *path,
                          const struct buf *what, struct json_object *p)
{
	const char *where = item->m->selector_labels, *colon;
	struct buf file = BUF_INIT;
	size_t line = 0, index;
	int used = 0;

	if (!where || !(colon = strrchr(where, ':')) ||
	    !(!strncmp(path, "spec.selector", 13) ||
	      (sscanf(path, "spec.volumeClaimTemplates[%zu]%n", &index, &used) == 1 &&
	       !strncmp(path + used, ".metadata.labels", 16))))
		return false;
	buf_add(&file, where, (size_t)(colon - where));
	sscanf(colon + 1, "%zu", &line);
	diagnostics_add(
	    diags, file.ptr, line, 1,
	    "%s: these labels go into %s (live %s, desired %s), which cannot change "
	    "on a live StatefulSet: the server would refuse the patch, and kustomize "
	    "does not see it. To recreate the StatefulSet and keep its pods and "
	    "claims, annotate it " RECREATE_ANNOTATION ": orphan (or pass "
	    "--recreate-orphan); or keep these labels out of selectors "
	    "(labels: with includeSelectors: false)",
	    what->ptr, path,
	    json_object_to_json_string_ext(json_value_get(p, "live"), JSON_C_TO_STRING_PLAIN),
	    json_object_to_json_string_ext(json_value_get(p, "desired"), JSON_C_TO_STRING_PLAIN));
	buf_release(&file);
	return true;
}

/* A drifted object whose patch would change an immutable field: a problem,
 * unless it is a StatefulSet opted in to be recreated. */
static void check_immutable(struct diagnostics *diags, struct kube_client *c,
                            const struct sync_plan *plan, struct sync_item *item,
                            const struct sync_options *opts)
{
	const char *optin = json_value_get_string(
	    json_value_get(json_value_get(sync_item_desired(item), "metadata"), "annotations"),
	    RECREATE_ANNOTATION);
	bool sts = !strcmp(item->m->id.group, "apps") && !strcmp(item->m->id.kind, "StatefulSet");
	bool recreate = sts && (opts->recreate_orphan || (optin && !strcmp(optin, "orphan")));
	size_t i, line, column, index;

	for (i = 0; i < json_value_array_len(item->drift.paths); i++) {
		struct json_object *p = json_object_array_get_idx(item->drift.paths, i);
		const char *path = json_value_get_string(p, "path"), *problem = NULL;
		struct buf what = BUF_INIT, why = BUF_INIT;
		int used = 0;

		if (!path || !immutable_field(&item->m->id, path) ||
		    (!json_value_get(p, "desired") &&
		     !immutable_patch_removes(item->drift.patch, path)))
			continue;
		if (recreate &&
		    sscanf(path, "spec.volumeClaimTemplates[%zu]%n", &index, &used) == 1 &&
		    !strcmp(path + used, ".spec.resources.requests.storage") &&
		    json_value_get_string(p, "live") && json_value_get_string(p, "desired"))
			problem = claim_growth(&why, c, plan, item, index,
			                       json_value_get_string(p, "live"),
			                       json_value_get_string(p, "desired"));
		if (recreate && !problem) {
			item->recreate = true;
			buf_release(&why);
			continue;
		}
		sync_describe(&what, item);
		manifest_add_patch_note(&what, item->m);
		manifest_locate(&line, &column, item->m, path);
		if (sts && !problem && labels_hazard(diags, item, path, &what, p))
			;
		else if (opts->hide_foreign && sync_item_foreign(item))
			diagnostics_add(diags, item->m->file, line, column,
			                "%s: %s cannot change, and the object exists: the server "
			                "refuses the patch (its live value is not shown: this "
			                "source does not manage it)",
			                what.ptr, path);
		else if (problem)
			diagnostics_add(diags, item->m->file, line, column, "%s: %s: %s", what.ptr,
			                path, problem);
		else
			diagnostics_add(
			    diags, item->m->file, line, column,
			    "%s: %s cannot change: live %s, desired %s; the server refuses the "
			    "patch%s",
			    what.ptr, path,
			    json_object_to_json_string_ext(json_value_get(p, "live"),
			                                   JSON_C_TO_STRING_PLAIN),
			    json_object_to_json_string_ext(json_value_get(p, "desired"),
			                                   JSON_C_TO_STRING_PLAIN),
			    sts ? ". To recreate the StatefulSet and keep its pods and claims, "
			          "annotate it " RECREATE_ANNOTATION ": orphan (or pass "
			          "--recreate-orphan)"
			        : ", and changing it means deleting and re-creating the object");
		buf_release(&what);
		buf_release(&why);
	}
}

/* Does CustomResourceDefinition `crd` (apiextensions.k8s.io v1 or v1beta1)
 * serve `id`'s kind in its version? */
static bool crd_serves(struct json_object *crd, const struct object_id *id)
{
	struct json_object *spec = json_value_get(crd, "spec"),
	                   *versions = json_value_get(spec, "versions");
	const char *group = json_value_get_string(spec, "group"),
	           *kind = json_value_get_string(json_value_get(spec, "names"), "kind"),
	           *version = json_value_get_string(spec, "version"); /* v1beta1's one version */
	size_t i;

	if (!group || !kind || strcmp(group, id->group) || strcmp(kind, id->kind))
		return false;
	for (i = 0; i < json_value_array_len(versions); i++) {
		struct json_object *v = json_object_array_get_idx(versions, i), *served;
		const char *name = json_value_get_string(v, "name");

		served = json_value_get(v, "served");
		if (name && !strcmp(name, id->version) &&
		    (!served || json_object_get_boolean(served)))
			return true;
	}
	return version && !strcmp(version, id->version);
}

/* The resource a CustomResourceDefinition of the commit will serve `m`
 * as, added to plan->defined; NULL when none defines its kind. */
static const struct api_resource *
defined_kind(struct sync_plan *plan, const struct manifest_set *set, const struct manifest *m)
{
	struct api_resource *r = NULL;
	size_t i;

	for (i = 0; i < plan->ndefined; i++)
		if (!strcmp(plan->defined[i].group, m->id.group) &&
		    !strcmp(plan->defined[i].kind, m->id.kind) &&
		    !strcmp(plan->defined[i].version, m->id.version))
			return &plan->defined[i];
	for (i = 0; i < set->n && !r; i++) {
		struct json_object *crd = NULL, *spec;

		if (strcmp(set->items[i].id.group, "apiextensions.k8s.io") ||
		    strcmp(set->items[i].id.kind, "CustomResourceDefinition") ||
		    manifest_object(&crd, &set->items[i]) < 0 || !crd_serves(crd, &m->id) ||
		    !json_value_get_string(
		        json_value_get((spec = json_value_get(crd, "spec")), "names"), "plural")) {
			json_object_put(crd);
			continue;
		}
		r = &plan->defined[plan->ndefined++];
		r->group = xstrdup(m->id.group);
		r->version = xstrdup(m->id.version);
		r->name = xstrdup(json_value_get_string(json_value_get(spec, "names"), "plural"));
		r->kind = xstrdup(m->id.kind);
		r->namespaced = !json_value_get_string(spec, "scope") ||
		                !strcmp(json_value_get_string(spec, "scope"), "Namespaced");
		r->has_verbs = r->prunable = true;
		json_object_put(crd);
	}
	return r;
}

/* A manifest of a kind, or in a place, the source may not manage: a
 * problem at its line. */
static bool in_scope(struct diagnostics *diags, const struct manifest *m,
                     const struct api_resource *res, const struct sync_options *opts)
{
	struct buf why = BUF_INIT, what = BUF_INIT;
	struct object_id id = m->id;
	bool ok;

	if (!res->namespaced)
		id.namespace = "";
	ok = scope_allows(&why, opts, res, id.namespace, id.name);
	if (!ok) {
		object_id_describe(&what, &id);
		diagnostics_add(diags, m->file, m->line, m->column, "%s: %s", what.ptr, why.ptr);
	}
	buf_release(&why);
	buf_release(&what);
	return ok;
}

/* The name of the agent's source whose tracking annotation is `owner`, or
 * NULL. */
static const char *other_source(const struct sync_options *opts, const char *owner)
{
	size_t i;

	for (i = 0; i < opts->nothers; i++)
		if (!strcmp(opts->others[i].source, owner))
			return opts->others[i].name;
	return NULL;
}

/* An object that exists and that another source manages: taking it over
 * is a problem for a confined source and from another source of the
 * agent; else a warning. In a preview, nothing names the other source. */
static void check_owner(struct diagnostics *diags, const struct sync_item *item,
                        const struct sync_options *opts)
{
	struct buf what = BUF_INIT, file = BUF_INIT;
	const char *other;

	if (!item->owner || !sync_item_foreign(item))
		return;
	other = other_source(opts, item->owner);
	sync_describe(&what, item);
	if ((other || scope_confined(opts)) && opts->hide_foreign)
		diagnostics_add(diags, item->m->file, item->m->line, item->m->column,
		                "%s exists, and this source does not manage it: it would be "
		                "refused",
		                what.ptr);
	else if (other)
		diagnostics_add(diags, item->m->file, item->m->line, item->m->column,
		                "%s is managed by source '%s' (its " SOURCE_ANNOTATION
		                " is '%s'): a source may not take over another's object; remove "
		                "it from one of the two",
		                what.ptr, other, item->owner);
	else if (scope_confined(opts))
		diagnostics_add(diags, item->m->file, item->m->line, item->m->column,
		                "%s is managed by source '%s' (its " SOURCE_ANNOTATION
		                "): a confined source may not take over another's object",
		                what.ptr, item->owner);
	else if (!opts->hide_foreign) {
		buf_add_printable(&file, item->m->file, NULL);
		sync_warn(opts,
		          "%s:%zu:%zu: %s: takes it over from source '%s' (its " SOURCE_ANNOTATION
		          ")",
		          file.ptr, item->m->line, item->m->column, what.ptr, item->owner);
	}
	buf_release(&what);
	buf_release(&file);
}

/* "policy/v1beta1" or "v1": each version `r` is served in, for a message. */
static void served_versions(struct buf *out, const struct api_resource *r)
{
	size_t i;

	for (i = 0; i < r->nversions; i++)
		buf_addf(out, "%s%s%s%s",
		         i == 0                  ? ""
		         : i + 1 == r->nversions ? " and "
		                                 : ", ",
		         r->group, *r->group ? "/" : "", r->versions[i]);
}

/*
 * The resource manifest `m` is read and written as: the server's, in m's
 * own version, or the one a CustomResourceDefinition of the commit defines
 * (*awaits_crd). NULL, with a problem at m's place in `diags`, when neither
 * serves its kind in that version.
 */
static const struct api_resource *resolve(bool *awaits_crd, struct diagnostics *diags,
                                          struct sync_plan *plan, struct kube_client *c,
                                          const struct discovery *d, const struct manifest_set *set,
                                          const struct manifest *m)
{
	const struct api_resource *res = discovery_find_kind(d, m->id.group, m->id.kind), *def;
	struct buf has = BUF_INIT;

	*awaits_crd = false;
	if (res && api_resource_serves(res, m->id.version))
		return res;
	if ((def = defined_kind(plan, set, m))) {
		*awaits_crd = true;
		return def;
	}
	if (res)
		served_versions(&has, res);
	diagnostics_add(diags, m->file, m->line, m->column,
	                res ? "kind '%s' of apiVersion '%s%s%s' is not served (the server has %s)"
	                    : "kind '%s' of apiVersion '%s%s%s' is not served by %s",
	                m->id.kind, m->id.group, *m->id.group ? "/" : "", m->id.version,
	                res ? has.ptr : kube_client_server(c));
	buf_release(&has);
	return NULL;
}

size_t sync_check_served(struct diagnostics *diags, struct kube_client *c,
                         const struct discovery *d, const struct manifest_set *set)
{
	struct sync_plan plan = {
	    NULL, 0, NULL, 0, xcalloc(set->n + 1, sizeof(struct api_resource)), 0, NULL};
	size_t i, before = diags->n;
	bool awaits_crd;

	for (i = 0; i < set->n; i++)
		resolve(&awaits_crd, diags, &plan, c, d, set, &set->items[i]);
	sync_plan_release(&plan);
	return diags->n - before;
}

/* sync_options.known, asked only of kinds a wait never needs to read. */
static bool known(const struct sync_item *item, const struct sync_options *opts)
{
	return opts->known && !item->awaits_crd &&
	       !ready_has_rule(item->m->id.group, item->m->id.kind) &&
	       opts->known(opts->known_ctx, item->m);
}

int sync_plan_build(struct sync_plan *out, struct diagnostics *diags, struct kube_client *c,
                    const struct discovery *d, const struct manifest_set *set,
                    const struct sync_options *opts)
{
	struct sync_plan plan = {xcalloc(set->n + 1, sizeof(struct sync_item)),
	                         0,
	                         xcalloc(set->n + 1, sizeof(struct sync_hook)),
	                         0,
	                         xcalloc(set->n + 1, sizeof(struct api_resource)),
	                         0,
	                         NULL};
	struct sync_item **order = NULL;
	size_t i, j, n, before = diags->n;
	int error = 0;

	for (i = 0; i < set->n; i++) {
		const struct manifest *m = &set->items[i];
		struct sync_item *item = &plan.items[plan.n];
		const struct api_resource *res =
		    resolve(&item->awaits_crd, diags, &plan, c, d, set, m);

		if (!res)
			continue;
		if (!in_scope(diags, m, res, opts) || sync_plan_hook(&plan, diags, m, res))
			continue;
		item->m = m;
		item->res = res;
		item->source = opts->source;
		item->server_side = opts->server_side;
		plan.n++;
	}
	if (diags->n > before) {
		error = berth_error_set("%zu object%s cannot be applied; nothing was changed",
		                        diags->n - before, diags->n - before == 1 ? "" : "s");
		goto out;
	}
	sync_plan_order(plan.items, plan.n);

	/* Read what exists; a kind not served yet has nothing live. */
	order = xcalloc(plan.n + 1, sizeof(*order));
	for (i = n = 0; i < plan.n && !error; i++)
		if (known(&plan.items[i], opts))
			plan.items[i].ready = true;
		else if (!plan.items[i].awaits_crd)
			order[n++] = &plan.items[i];
		else if ((error = sync_compare(&plan.items[i], NULL)) < 0)
			sync_blame(&plan.items[i], NULL);
	qsort(order, n, sizeof(*order), sync_cmp_list);
	for (i = 0; i < n && !error; i = j) {
		for (j = i + 1; j < n && sync_same_list(order[j], order[i]); j++)
			;
		error = read_group(c, order + i, j - i, opts);
	}
	for (i = 0; i < plan.n && !error; i++) {
		check_owner(diags, &plan.items[i], opts);
		if (plan.items[i].drift.state == DRIFT_DRIFTED)
			check_immutable(diags, c, &plan, &plan.items[i], opts);
	}
	if (!error && diags->n > before)
		error = berth_error_set("%zu problem%s found before the first write; nothing was "
		                        "changed",
		                        diags->n - before, diags->n - before == 1 ? "" : "s");
out:
	free(order);
	if (error < 0)
		sync_plan_release(&plan);
	else
		*out = plan;
	return error;
}

void sync_plan_release(struct sync_plan *plan)
{
	size_t i;

	for (i = 0; i < plan->n; i++) {
		json_object_put(plan->items[i].desired);
		json_object_put(plan->items[i].live);
		free(plan->items[i].uid);
		buf_release(&plan->items[i].written);
		json_object_put(plan->items[i].grow);
		free(plan->items[i].owner);
		free(plan->items[i].read_rv);
		free(plan->items[i].health_why);
		free(plan->items[i].recovered);
		drift_release(&plan->items[i].drift);
	}
	for (i = 0; i < plan->ndefined; i++) {
		free(plan->defined[i].group);
		free(plan->defined[i].version);
		free(plan->defined[i].name);
		free(plan->defined[i].kind);
	}
	free(plan->items);
	free(plan->hooks);
	free(plan->hook_failed);
	free(plan->defined);
	*plan = (struct sync_plan)SYNC_PLAN_INIT;
}
