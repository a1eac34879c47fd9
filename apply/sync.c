#include "sync.h"

#include "clock.h"
#include "ready.h"
#include "ssa.h"

#include "../diff/alloc.h"
#include "../diff/checks.h"
#include "../diff/error.h"
#include "../diff/json.h"
#include "../diff/parallel.h"
#include "../diff/quantity.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* Objects per LIST page. A page is held as json-c trees: about 15 KB for a
 * StatefulSet without its managedFields, so a page is about 4 MB. */
#define LIST_PAGE     250
#define MAX_CONFLICTS 5

void sync_item_name(struct buf *out, const struct sync_item *item)
{
	object_kind_lower(out, item->m->id.kind);
	if (*item->m->id.group)
		buf_addf(out, ".%s", item->m->id.group);
	buf_addf(out, "/%s", item->m->id.name);
}

struct object_id sync_item_id(const struct sync_item *item)
{
	static char none[] = "";
	struct object_id id = item->m->id;

	if (!item->res->namespaced)
		id.namespace = none;
	return id;
}

static void describe(struct buf *out, const struct sync_item *item)
{
	struct object_id id = sync_item_id(item);

	object_id_describe(out, &id);
}

/* Put "file:line:column: kind ns/name[: doing]: " in front of the error. */
static void blame(const struct sync_item *item, const char *doing)
{
	struct buf what = BUF_INIT;

	describe(&what, item);
	berth_error_prefix("%s:%zu:%zu: %s%s%s", item->m->file, item->m->line, item->m->column,
	                   what.ptr, doing ? ": " : "", doing ? doing : "");
	buf_release(&what);
}

/* The URL of the item (name) or of its collection (no name). */
static void item_path(struct buf *out, const struct sync_item *item, bool with_name)
{
	api_resource_path(out, item->res, item->m->id.version, item->m->id.namespace,
	                  with_name ? item->m->id.name : NULL);
}

static struct json_object *map_at(struct json_object *parent, const char *key)
{
	struct json_object *v = json_get(parent, key);

	if (!json_object_is_type(v, json_type_object))
		json_object_object_add(parent, key, (v = json_object_new_object()));
	return v;
}

/* The manifest as berth applies it: tracked, and in the scope the server
 * gives its kind. Built when first needed. */
static struct json_object *item_desired(struct sync_item *item)
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
static int cmp_phase(const void *a, const void *b)
{
	const struct sync_item *x = a, *y = b;

	if (x->phase != y->phase)
		return x->phase < y->phase ? -1 : 1;
	return x->m < y->m ? -1 : x->m > y->m;
}

/* Are both read by the same LIST: one kind in one namespace? */
static bool same_list(const struct sync_item *a, const struct sync_item *b)
{
	return a->res == b->res && !strcmp(a->m->id.namespace, b->m->id.namespace);
}

/* Order for reading live state: resource, namespace, name. */
static int cmp_list(const void *a, const void *b)
{
	const struct sync_item *x = *(const struct sync_item *const *)a;
	const struct sync_item *y = *(const struct sync_item *const *)b;
	int c;

	if (x->res != y->res)
		return x->res < y->res ? -1 : 1;
	if ((c = strcmp(x->m->id.namespace, y->m->id.namespace)))
		return c;
	return strcmp(x->m->id.name, y->m->id.name);
}

static int cmp_name(const void *key, const void *elem)
{
	return strcmp(key, (*(const struct sync_item *const *)elem)->m->id.name);
}

struct json_object *sync_item_predicted(struct sync_item *item)
{
	if (!item->drift.predicted && item->drift.state == DRIFT_MISSING) {
		drift_modified(&item->drift.predicted, item_desired(item));
		json_object_put(item->desired);
		item->desired = NULL;
	}
	return item->drift.predicted;
}

/* Compare one item with its live object (NULL: missing). Keeps the live
 * object only when there is something to show or do, and drops the desired
 * one: a json-c tree costs several hundred bytes a mapping. */
static int compare(struct sync_item *item, struct json_object *live)
{
	if (drift_compute(&item->drift, item_desired(item), live) < 0)
		return -1;
	json_object_put(item->live);
	item->live = NULL;
	free(item->uid);
	item->uid = NULL;
	if (live) {
		const char *uid = json_get_string(json_get(live, "metadata"), "uid");
		struct buf why = BUF_INIT;

		item->uid = uid ? xstrdup(uid) : NULL;
		item->ready = ready_check(&why, live, false) == READINESS_READY;
		buf_release(&why);
	}
	if (item->drift.state != DRIFT_IN_SYNC)
		item->live = json_object_get(live);
	/* Drift found locally may be a value the server never stores: the key
	 * lets a verdict on it be remembered (sync_plan_confirm). */
	item->confirmed = item->dry_run_ok = false;
	item->keyed = item->drift.state == DRIFT_DRIFTED &&
	              verdict_key(item->key, item_desired(item), live) == 0;
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
static void typed(struct json_object *live, const struct sync_item *item)
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
	struct json_object *items = json_get(page, "items");
	size_t i;

	for (i = 0; i < json_array_len(items); i++) {
		struct json_object *live = json_object_array_get_idx(items, i);
		const char *name = json_get_string(json_get(live, "metadata"), "name");
		struct sync_item **hit =
		    name ? bsearch(name, g->items, g->n, sizeof(*g->items), cmp_name) : NULL;

		if (!hit)
			continue;
		typed(live, *hit);
		g->seen[hit - g->items] = true;
		if (compare(*hit, live) < 0) {
			blame(*hit, NULL);
			g->blamed = true;
			return -1;
		}
	}
	return 0;
}

/* LIST one kind in one namespace, page by page, and compare the items
 * group[0..n) (sorted by name) with what it finds. */
static int read_group(struct kube_client *c, struct sync_item **items, size_t n)
{
	struct group g = {items, n, xcalloc(n, sizeof(bool)), false};
	struct buf path = BUF_INIT;
	size_t i;
	int error;

	item_path(&path, items[0], false);
	buf_addf(&path, "?limit=%d", LIST_PAGE);
	if ((error = kube_client_list(c, path.ptr, compare_page, &g)) < 0 && !g.blamed)
		blame(items[0], "cannot read live state");
	for (i = 0; i < n && !error; i++)
		if (!g.seen[i] && (error = compare(items[i], NULL)) < 0)
			blame(items[i], NULL);
	free(g.seen);
	buf_release(&path);
	return error;
}

/* Fields the server never changes once set, by kind: a path is immutable
 * when it starts with one of `fixed` and with none of `except`. */
static const struct {
	const char *group, *kind;
	const char *fixed[4];
	const char *except[8];
} immutable[] = {
    {"apps",
     "StatefulSet",
     {"spec."},
     {"spec.replicas", "spec.template", "spec.updateStrategy", "spec.minReadySeconds",
      "spec.persistentVolumeClaimRetentionPolicy", "spec.ordinals", "spec.revisionHistoryLimit"}},
    {"", "Service", {"spec.clusterIP"}, {NULL}},
    {"", "PersistentVolumeClaim", {"spec."}, {"spec.resources.requests"}},
    {"storage.k8s.io",
     "StorageClass",
     {"provisioner", "parameters", "reclaimPolicy", "volumeBindingMode"},
     {NULL}},
};

static bool starts(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	return !strncmp(path, prefix, n) &&
	       (prefix[n - 1] == '.' || path[n] == '\0' || path[n] == '.' || path[n] == '[');
}

static bool is_immutable(const struct object_id *id, const char *path)
{
	size_t i, j;
	bool fixed = false;

	for (i = 0; i < ARRAY_SIZE(immutable); i++) {
		if (strcmp(immutable[i].group, id->group) || strcmp(immutable[i].kind, id->kind))
			continue;
		for (j = 0; j < ARRAY_SIZE(immutable[i].fixed) && immutable[i].fixed[j]; j++)
			fixed |= starts(path, immutable[i].fixed[j]);
		for (j = 0; j < ARRAY_SIZE(immutable[i].except) && immutable[i].except[j]; j++)
			if (starts(path, immutable[i].except[j]))
				return false;
	}
	return fixed;
}

/* Does the patch remove the field at `path` ("a.b[2].c") with a null? A
 * path the patch only leaves out is a server default the prediction lacks,
 * not a change. */
static bool patch_removes(struct json_object *patch, const char *path)
{
	struct json_object *at = patch;
	bool present;

	while (*path && at) {
		at = json_path_step(at, &path, &present);
		if (!present)
			return false;
		if (!at)
			return !*path;
	}
	return false;
}

/* Field `field` of StorageClass `cls`: from Git, else from the live class.
 * A new reference, or NULL when neither has it. */
static struct json_object *class_field(struct kube_client *c, const struct sync_plan *plan,
                                       const char *cls, const char *field)
{
	struct json_object *live = NULL, *git = NULL, *v = NULL;
	struct buf path = BUF_INIT;
	size_t i;

	for (i = 0; i < plan->n && !git; i++)
		if (!strcmp(plan->items[i].m->id.kind, "StorageClass") &&
		    !strcmp(plan->items[i].m->id.name, cls))
			manifest_object(&git, plan->items[i].m);
	v = json_object_get(json_get(git, field));
	json_object_put(git);
	if (!v) {
		buf_adds(&path, "/apis/storage.k8s.io/v1/storageclasses");
		api_path_segment(&path, cls);
		if (kube_client_get_json(&live, c, path.ptr) == 0)
			v = json_object_get(json_get(live, field));
	}
	json_object_put(live);
	buf_release(&path);
	return v;
}

/* Does the StorageClass named by a claim template allow expansion? */
static bool class_expands(struct kube_client *c, const struct sync_plan *plan, const char *cls)
{
	struct json_object *v = class_field(c, plan, cls, "allowVolumeExpansion");
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
	    json_get(json_get(item_desired(item), "spec"), "volumeClaimTemplates"), index);
	const char *name = json_get_string(json_get(vct, "metadata"), "name");
	const char *cls = json_get_string(json_get(vct, "spec"), "storageClassName");
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
	json_object_object_add(g, "storage", json_object_new_string(desired));
	json_object_array_add(item->grow, g);
	return NULL;
}

/* A drifted object whose patch would change an immutable field: a problem,
 * unless it is a StatefulSet opted in to be recreated. */
static void check_immutable(struct diagnostics *diags, struct kube_client *c,
                            const struct sync_plan *plan, struct sync_item *item,
                            const struct sync_options *opts)
{
	const char *optin = json_get_string(
	    json_get(json_get(item_desired(item), "metadata"), "annotations"), RECREATE_ANNOTATION);
	bool sts = !strcmp(item->m->id.group, "apps") && !strcmp(item->m->id.kind, "StatefulSet");
	bool recreate = sts && (opts->recreate_orphan || (optin && !strcmp(optin, "orphan")));
	size_t i, line, column, index;

	for (i = 0; i < json_array_len(item->drift.paths); i++) {
		struct json_object *p = json_object_array_get_idx(item->drift.paths, i);
		const char *path = json_get_string(p, "path"), *problem = NULL;
		struct buf what = BUF_INIT, why = BUF_INIT;
		int used = 0;

		if (!path || !is_immutable(&item->m->id, path) ||
		    (!json_get(p, "desired") && !patch_removes(item->drift.patch, path)))
			continue;
		if (recreate &&
		    sscanf(path, "spec.volumeClaimTemplates[%zu]%n", &index, &used) == 1 &&
		    !strcmp(path + used, ".spec.resources.requests.storage") &&
		    json_get_string(p, "live") && json_get_string(p, "desired"))
			problem =
			    claim_growth(&why, c, plan, item, index, json_get_string(p, "live"),
			                 json_get_string(p, "desired"));
		if (recreate && !problem) {
			item->recreate = true;
			buf_release(&why);
			continue;
		}
		describe(&what, item);
		manifest_locate(&line, &column, item->m, path);
		if (problem)
			diagnostics_add(diags, item->m->file, line, column, "%s: %s: %s", what.ptr,
			                path, problem);
		else
			diagnostics_add(
			    diags, item->m->file, line, column,
			    "%s: %s cannot change: live %s, desired %s; the server refuses the "
			    "patch%s",
			    what.ptr, path,
			    json_object_to_json_string_ext(json_get(p, "live"),
			                                   JSON_C_TO_STRING_PLAIN),
			    json_object_to_json_string_ext(json_get(p, "desired"),
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
	struct json_object *spec = json_get(crd, "spec"), *versions = json_get(spec, "versions");
	const char *group = json_get_string(spec, "group"),
	           *kind = json_get_string(json_get(spec, "names"), "kind"),
	           *version = json_get_string(spec, "version"); /* v1beta1's one version */
	size_t i;

	if (!group || !kind || strcmp(group, id->group) || strcmp(kind, id->kind))
		return false;
	for (i = 0; i < json_array_len(versions); i++) {
		struct json_object *v = json_object_array_get_idx(versions, i), *served;
		const char *name = json_get_string(v, "name");

		served = json_get(v, "served");
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
		    !json_get_string(json_get((spec = json_get(crd, "spec")), "names"), "plural")) {
			json_object_put(crd);
			continue;
		}
		r = &plan->defined[plan->ndefined++];
		r->group = xstrdup(m->id.group);
		r->version = xstrdup(m->id.version);
		r->name = xstrdup(json_get_string(json_get(spec, "names"), "plural"));
		r->kind = xstrdup(m->id.kind);
		r->namespaced = !json_get_string(spec, "scope") ||
		                !strcmp(json_get_string(spec, "scope"), "Namespaced");
		r->has_verbs = r->prunable = true;
		json_object_put(crd);
	}
	return r;
}

int sync_plan_build(struct sync_plan *out, struct diagnostics *diags, struct kube_client *c,
                    const struct discovery *d, const struct manifest_set *set,
                    const struct sync_options *opts)
{
	struct sync_plan plan = {xcalloc(set->n + 1, sizeof(struct sync_item)), 0,
	                         xcalloc(set->n + 1, sizeof(struct api_resource)), 0};
	struct sync_item **order = NULL;
	size_t i, j, n, before = diags->n;
	int error = 0;

	for (i = 0; i < set->n; i++) {
		const struct manifest *m = &set->items[i];
		const struct api_resource *res = discovery_find_kind(d, m->id.group, m->id.kind);
		struct sync_item *item = &plan.items[plan.n];

		if (!res && (res = defined_kind(&plan, set, m)))
			item->awaits_crd = true;
		if (!res) {
			diagnostics_add(diags, m->file, m->line, m->column,
			                "kind '%s' of apiVersion '%s%s%s' is not served by %s",
			                m->id.kind, m->id.group, *m->id.group ? "/" : "",
			                m->id.version, kube_client_server(c));
			continue;
		}
		item->m = m;
		item->res = res;
		item->phase = phase_of(m->id.group, m->id.kind);
		item->source = opts->source;
		plan.n++;
	}
	if (diags->n > before) {
		error = berth_error_set("%zu object%s cannot be applied", diags->n - before,
		                        diags->n - before == 1 ? "" : "s");
		goto out;
	}
	qsort(plan.items, plan.n, sizeof(*plan.items), cmp_phase);

	/* Read what exists; a kind not served yet has nothing live. */
	order = xcalloc(plan.n + 1, sizeof(*order));
	for (i = n = 0; i < plan.n && !error; i++)
		if (!plan.items[i].awaits_crd)
			order[n++] = &plan.items[i];
		else if ((error = compare(&plan.items[i], NULL)) < 0)
			blame(&plan.items[i], NULL);
	qsort(order, n, sizeof(*order), cmp_list);
	for (i = 0; i < n && !error; i = j) {
		for (j = i + 1; j < n && same_list(order[j], order[i]); j++)
			;
		error = read_group(c, order + i, j - i);
	}
	for (i = 0; i < plan.n && !error; i++)
		if (plan.items[i].drift.state == DRIFT_DRIFTED)
			check_immutable(diags, c, &plan, &plan.items[i], opts);
	if (!error && diags->n > before)
		error = berth_error_set("%zu change%s the server would refuse; nothing was changed",
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
		json_object_put(plan->items[i].grow);
		drift_release(&plan->items[i].drift);
	}
	for (i = 0; i < plan->ndefined; i++) {
		free(plan->defined[i].group);
		free(plan->defined[i].version);
		free(plan->defined[i].name);
		free(plan->defined[i].kind);
	}
	free(plan->items);
	free(plan->defined);
	*plan = (struct sync_plan)SYNC_PLAN_INIT;
}

/* ---- checking the commit with what the cluster knows ----------------------- */

/* What the checks ask the cluster, each collection read once per run: the
 * StorageClasses, and the Services of each namespace asked about. A list
 * that could not be read is kept as the message saying why. */
struct live_lookups {
	struct kube_client *c;
	struct json_object *classes;  /* NULL until read */
	struct json_object *services; /* namespace -> the list */
};

/* Read the list at `path` into *list, or the reason it could not be. */
static void lookup_read(struct json_object **list, struct kube_client *c, const char *path)
{
	if (kube_client_get_json(list, c, path) < 0)
		*list = json_object_new_string(berth_error_last());
}

/* -1, with the reason, when `list` could not be read; else 0. */
static int readable(struct json_object *list)
{
	if (json_object_is_type(list, json_type_string))
		return berth_error_set("%s", json_object_get_string(list));
	return 0;
}

/* 1 when `list` holds `name`, else 0; -1 when the list could not be read. */
static int lookup_item(struct json_object **out, struct json_object *list, const char *name)
{
	struct json_object *items = json_get(list, "items");
	size_t i;

	*out = NULL;
	if (readable(list) < 0)
		return -1;
	for (i = 0; i < json_array_len(items); i++) {
		struct json_object *o = json_object_array_get_idx(items, i);
		const char *n = json_get_string(json_get(o, "metadata"), "name");

		if (n && !strcmp(n, name)) {
			*out = o;
			return 1;
		}
	}
	return 0;
}

static int live_service(void *ctx, const char *ns, const char *name, bool *headless)
{
	struct live_lookups *l = ctx;
	struct json_object *list = NULL, *svc;
	const char *ip;
	int found;

	if (!json_object_object_get_ex(l->services, ns, &list)) {
		struct buf path = BUF_INIT;

		buf_adds(&path, "/api/v1/namespaces");
		api_path_segment(&path, ns);
		buf_adds(&path, "/services");
		lookup_read(&list, l->c, path.ptr);
		json_object_object_add(l->services, ns, list);
		buf_release(&path);
	}
	found = lookup_item(&svc, list, name);
	ip = json_get_string(json_get(svc, "spec"), "clusterIP");
	*headless = ip && !strcmp(ip, "None");
	return found;
}

static struct json_object *live_classes(struct live_lookups *l)
{
	if (!l->classes)
		lookup_read(&l->classes, l->c, "/apis/storage.k8s.io/v1/storageclasses");
	return l->classes;
}

static int live_storage_class(void *ctx, const char *name)
{
	struct json_object *cls;

	return lookup_item(&cls, live_classes(ctx), name);
}

static int live_default_classes(void *ctx, struct buf *names)
{
	struct json_object *list = live_classes(ctx), *items = json_get(list, "items");
	size_t i;
	int n = 0;

	if (readable(list) < 0)
		return -1;
	for (i = 0; i < json_array_len(items); i++) {
		struct json_object *cls = json_object_array_get_idx(items, i);
		const char *name = json_get_string(json_get(cls, "metadata"), "name");

		if (name && checks_class_is_default(cls)) {
			buf_adds(names, name);
			buf_addch(names, '\0');
			n++;
		}
	}
	return n;
}

size_t sync_check(struct diagnostics *diags, struct diagnostics *warnings, struct kube_client *c,
                  const struct manifest_set *set)
{
	struct live_lookups lookups = {c, NULL, json_object_new_object()};
	struct checks_cluster cluster = {live_service, live_storage_class, live_default_classes,
	                                 &lookups};
	size_t n = checks_run(diags, warnings, set, &cluster);

	json_object_put(lookups.classes);
	json_object_put(lookups.services);
	return n;
}

/* ---- writing ------------------------------------------------------------- */

static void progress(const struct sync_options *opts, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void progress(const struct sync_options *opts, const char *fmt, ...)
{
	va_list ap;

	if (!opts->progress)
		return;
	va_start(ap, fmt);
	vfprintf(opts->progress, fmt, ap);
	va_end(ap);
	fflush(opts->progress);
}

/*
 * The clients of the threads that write in parallel, one per thread: a
 * client serves one thread at a time. The caller's own is one of them; the
 * copies connect when first used.
 */
struct pool {
	pthread_mutex_t lock;
	struct kube_client *orig;
	struct kube_client **idle; /* the clients no thread holds */
	size_t nidle;
};

static int pool_init(struct pool *p, struct kube_client *c, unsigned threads)
{
	int error = 0;

	pthread_mutex_init(&p->lock, NULL);
	p->orig = c;
	p->idle = xcalloc(threads, sizeof(*p->idle));
	for (p->nidle = 0; p->nidle + 1 < threads && !error; p->nidle++)
		error = kube_client_dup(&p->idle[p->nidle], c);
	p->idle[p->nidle++] = c; /* taken first */
	return error;
}

static struct kube_client *pool_take(struct pool *p)
{
	struct kube_client *c;

	pthread_mutex_lock(&p->lock);
	BERTH_ASSERT(p->nidle > 0);
	c = p->idle[--p->nidle];
	pthread_mutex_unlock(&p->lock);
	return c;
}

static void pool_give(struct pool *p, struct kube_client *c)
{
	pthread_mutex_lock(&p->lock);
	p->idle[p->nidle++] = c;
	pthread_mutex_unlock(&p->lock);
}

static void pool_release(struct pool *p)
{
	size_t i;

	for (i = 0; i < p->nidle; i++)
		if (p->idle[i] != p->orig)
			kube_client_free(p->idle[i]);
	free(p->idle);
	pthread_mutex_destroy(&p->lock);
}

/* One step of the sync, done to a range of items in parallel. */
struct step {
	struct sync_plan *plan;
	const struct sync_options *opts;
	struct pool pool;
	int (*fn)(struct kube_client *c, struct sync_item *item, struct step *s);
	bool keep_going;    /* try every item, even after one failed */
	atomic_size_t done; /* objects written, for the [n/N] count */
	/* The range being run, and what failed in it. */
	size_t from;
	char **errors; /* a message per item that failed */
	int *codes;
	atomic_bool failed_any;
	size_t failed;
};

static bool stopped(const struct sync_options *opts)
{
	return opts->stop && *opts->stop;
}

static void step_one(size_t i, void *ctx)
{
	struct step *s = ctx;
	struct kube_client *c;
	int error;

	/* Not started: the first failure, or a stop, ends the sync. */
	if ((!s->keep_going && atomic_load(&s->failed_any)) || stopped(s->opts))
		return;
	c = pool_take(&s->pool);
	if ((error = s->fn(c, &s->plan->items[s->from + i], s)) < 0) {
		s->errors[i] = xstrdup(berth_error_last());
		s->codes[i] = error;
		atomic_store(&s->failed_any, true);
	}
	pool_give(&s->pool, c);
}

/* Run s->fn on items [from, to), opts->parallel at a time. On failure the
 * message holds each failed item's, in plan order, and the first one's
 * code is returned; s->failed counts them. */
static int step_run(struct step *s, size_t from, size_t to)
{
	struct buf all = BUF_INIT;
	size_t i;
	int error = 0;

	s->from = from;
	s->errors = xcalloc(to - from + 1, sizeof(*s->errors));
	s->codes = xcalloc(to - from + 1, sizeof(*s->codes));
	s->failed = 0;
	atomic_store(&s->failed_any, false);
	parallel_for(to - from, s->opts->parallel, step_one, s);
	for (i = 0; i < to - from; i++) {
		if (!s->errors[i])
			continue;
		buf_addf(&all, "%s%s", s->failed++ ? "\n" : "", s->errors[i]);
		if (!error)
			error = s->codes[i];
		free(s->errors[i]);
	}
	if (error)
		berth_error_set("%s", all.ptr);
	else if (stopped(s->opts))
		error = berth_error_set("stopped: the objects being written were finished, no "
		                        "other was started");
	free(s->errors);
	free(s->codes);
	buf_release(&all);
	return error;
}

/* Hand the fields client-side apply wrote to berth's server-side apply
 * (ssa_takeover_patch), so that the apply that follows owns them. */
static int take_over(struct kube_client *c, const struct sync_item *item)
{
	struct buf path = BUF_INIT;
	struct json_object *live = NULL, *patch = NULL;
	int error;

	item_path(&path, item, true);
	if ((error = kube_client_get_owned(&live, c, path.ptr)) == 0)
		ssa_takeover_patch(&patch, live);
	if (patch)
		error =
		    kube_client_call(NULL, c, "PATCH", path.ptr, "application/json-patch+json",
		                     json_object_to_json_string_ext(patch, JSON_C_TO_STRING_PLAIN));
	json_object_put(patch);
	json_object_put(live);
	buf_release(&path);
	return error;
}

/* Is namespace `ns` created by this plan (so it does not exist yet)? */
static bool created_namespace(const struct sync_plan *plan, const char *ns)
{
	size_t i;

	for (i = 0; i < plan->n; i++)
		if (!*plan->items[i].m->id.group &&
		    !strcmp(plan->items[i].m->id.kind, "Namespace") &&
		    !strcmp(plan->items[i].m->id.name, ns) &&
		    plan->items[i].drift.state == DRIFT_MISSING)
			return true;
	return false;
}

/* Why the server cannot check the item's write before the commit's earlier
 * phases are written; NULL when it can. */
static const char *unverifiable(const struct sync_plan *plan, const struct sync_item *item)
{
	if (item->awaits_crd)
		return "its CustomResourceDefinition is created by this commit";
	if (item->res->namespaced && created_namespace(plan, item->m->id.namespace))
		return "its namespace is created by this commit";
	return NULL;
}

/* The server says the item's patch changes nothing: it is in sync, and its
 * live object is not needed any more. */
static void settle(struct sync_item *item)
{
	drift_settle(&item->drift);
	json_object_put(item->live);
	item->live = NULL;
}

/* Send the item's create or patch once: with server-side apply, the whole
 * manifest as berth's applied configuration. The server's answer tells
 * whether the object is ready already. */
static int write_once(struct kube_client *c, struct sync_item *item,
                      const struct sync_options *opts)
{
	struct buf path = BUF_INIT, why = BUF_INIT;
	struct json_object *body = NULL, *written = NULL;
	const char *method, *type;
	int error = 0;

	if (opts->server_side) {
		method = "PATCH";
		type = "application/apply-patch+yaml";
		if ((error = drift_modified(&body, item_desired(item))) == 0)
			ssa_fill_keys(body);
		json_object_put(item->desired);
		item->desired = NULL;
		item_path(&path, item, true);
		buf_adds(&path, "?fieldManager=" FIELD_MANAGER "&force=true");
		if (!error && !opts->dry_run && item->drift.state != DRIFT_MISSING)
			error = take_over(c, item);
	} else if (item->drift.state == DRIFT_MISSING) {
		method = "POST";
		type = "application/json";
		body = json_object_get(sync_item_predicted(item));
		item_path(&path, item, false);
	} else {
		method = "PATCH";
		type = item->drift.patch_type;
		body = json_object_get(item->drift.patch);
		item_path(&path, item, true);
	}
	if (opts->dry_run)
		buf_adds(&path, strchr(path.ptr, '?') ? "&dryRun=All" : "?dryRun=All");
	/* JSON is YAML, as long as "/" is not escaped: YAML has no "\/". */
	if (!error)
		error = kube_client_call(
		    &written, c, method, path.ptr, type,
		    json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN |
		                                             JSON_C_TO_STRING_NOSLASHESCAPE));
	item->ready = error == 0 && ready_check(&why, written, false) == READINESS_READY;
	/* A dry run's answer is what the write would leave: when it is the
	 * live object, the drift was only local, and there is nothing to
	 * write. */
	if (error == 0 && opts->dry_run) {
		item->dry_run_ok = item->confirmed = true;
		if (item->drift.state == DRIFT_DRIFTED &&
		    drift_answer_unchanged(written, item->live))
			settle(item);
		else if (item->drift.state == DRIFT_DRIFTED && written)
			drift_take_answer(&item->drift, item->live, written);
	}
	json_object_put(written);
	json_object_put(body);
	buf_release(&path);
	buf_release(&why);
	return error;
}

/* The URL of claim <tmpl>-<statefulset>-<ordinal>, which the StatefulSet
 * controller makes for each pod. */
static void claim_path(struct buf *out, const char *ns, const char *tmpl, const char *sts,
                       int64_t ordinal)
{
	struct buf name = BUF_INIT;

	buf_addf(&name, "%s-%s-%lld", tmpl, sts, (long long)ordinal);
	buf_adds(out, "/api/v1/namespaces");
	api_path_segment(out, ns);
	buf_adds(out, "/persistentvolumeclaims");
	api_path_segment(out, name.ptr);
	buf_release(&name);
}

/* Patch each existing claim of the StatefulSet made from `tmpl` to `size`:
 * <template>-<statefulset>-<ordinal>, for every pod and any left beyond. */
static int grow_claims(struct kube_client *c, const struct sync_item *item, const char *tmpl,
                       const char *size, const struct sync_options *opts)
{
	struct json_object *replicas = json_get(json_get(item->live, "spec"), "replicas");
	int64_t want =
	    json_object_is_type(replicas, json_type_int) ? json_object_get_int64(replicas) : 1;
	struct buf path = BUF_INIT, body = BUF_INIT;
	int64_t n;
	int error = 0;

	buf_addf(&body, "{\"spec\":{\"resources\":{\"requests\":{\"storage\":\"%s\"}}}}", size);
	for (n = 0;; n++) {
		buf_reset(&path);
		claim_path(&path, item->m->id.namespace, tmpl, item->m->id.name, n);
		if (opts->dry_run)
			buf_adds(&path, "?dryRun=All");
		error = kube_client_call(NULL, c, "PATCH", path.ptr, "application/merge-patch+json",
		                         body.ptr);
		if (error == BERTH_ENOTFOUND && n >= want) {
			error = 0;
			break;
		}
		if (error == BERTH_ENOTFOUND)
			continue;
		if (error < 0)
			break;
		progress(opts, "persistentvolumeclaim %s/%s-%s-%lld resized to %s%s\n",
		         item->m->id.namespace, tmpl, item->m->id.name, (long long)n, size,
		         opts->dry_run ? " (server dry run)" : "");
	}
	buf_release(&path);
	buf_release(&body);
	return error;
}

/* Change a StatefulSet's immutable fields without losing a pod's data: grow
 * its claims if asked, delete it with its pods and claims orphaned, wait
 * until it is gone, and create it again; it adopts the running pods. */
static int recreate(struct kube_client *c, struct sync_item *item, const struct sync_options *opts)
{
	struct buf path = BUF_INIT, body = BUF_INIT;
	double deadline = clock_now_ms() + (double)opts->timeout_ms;
	size_t i;
	int error = 0;

	for (i = 0; i < json_array_len(item->grow) && !error; i++) {
		struct json_object *g = json_object_array_get_idx(item->grow, i);
		error = grow_claims(c, item, json_get_string(g, "template"),
		                    json_get_string(g, "storage"), opts);
	}
	if (error < 0)
		goto out;
	item_path(&path, item, true);
	buf_addf(&body,
	         "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\",\"propagationPolicy\":"
	         "\"Orphan\",\"preconditions\":{\"uid\":\"%s\"}%s}",
	         item->uid, opts->dry_run ? ",\"dryRun\":[\"All\"]" : "");
	if ((error = kube_client_call(NULL, c, "DELETE", path.ptr, "application/json", body.ptr)) <
	        0 ||
	    opts->dry_run)
		goto out;
	while ((error = kube_client_get_json(NULL, c, path.ptr)) == 0) {
		if (clock_now_ms() >= deadline) {
			berth_error_set("timed out after %ld s waiting for it to be deleted",
			                opts->timeout_ms / 1000);
			error = BERTH_ETIMEOUT;
			goto out;
		}
		clock_sleep_ms(opts->poll_ms);
	}
	if (error != BERTH_ENOTFOUND)
		goto out;
	drift_release(&item->drift);
	if ((error = compare(item, NULL)) == 0)
		error = write_once(c, item, opts);
out:
	buf_release(&path);
	buf_release(&body);
	return error;
}

/* Create or patch; on a conflict, read the object again, compare again and
 * retry, a bounded number of times. Prints "[n/total] kind/name created",
 * n counting the objects written so far. A create whose answer was lost
 * (the server went away after storing it) comes back 409 AlreadyExists
 * when the client retries it; the object read back is then Git's, and it
 * counts as created, not unchanged. */
static int write_item(struct kube_client *c, struct sync_item *item, struct step *s)
{
	const struct sync_options *opts = s->opts;
	struct buf path = BUF_INIT, name = BUF_INIT;
	enum drift_state state = item->drift.state, planned = state;
	/* A dry run cannot write what needs the commit's earlier phases. */
	const char *unchecked = opts->dry_run ? unverifiable(s->plan, item) : NULL;
	unsigned tries;
	int error = 0;

	for (tries = 0; state != DRIFT_IN_SYNC && !unchecked; tries++) {
		struct json_object *live = NULL;

		if (item->recreate) {
			error = recreate(c, item, opts);
			break;
		}
		if ((error = write_once(c, item, opts)) != BERTH_ECONFLICT ||
		    tries >= MAX_CONFLICTS)
			break;
		buf_reset(&path);
		item_path(&path, item, true);
		error = kube_client_get_json(&live, c, path.ptr);
		if (error < 0 && error != BERTH_ENOTFOUND)
			break;
		drift_release(&item->drift);
		error = compare(item, error == BERTH_ENOTFOUND ? NULL : live);
		json_object_put(live);
		if (error < 0)
			break;
		state = item->drift.state;
	}
	/* A dry run that changes nothing settled it (write_once). */
	if (!error && item->drift.state == DRIFT_IN_SYNC)
		state = DRIFT_IN_SYNC;
	sync_item_name(&name, item);
	if (error < 0) {
		item->action = SYNC_FAILED;
		blame(item, NULL);
	} else {
		bool answer_lost = planned == DRIFT_MISSING && state == DRIFT_IN_SYNC;

		item->action = item->recreate                          ? SYNC_RECREATED
		               : state == DRIFT_MISSING || answer_lost ? SYNC_CREATED
		               : state == DRIFT_IN_SYNC                ? SYNC_UNCHANGED
		                                                       : SYNC_CONFIGURED;
		progress(opts, "[%zu/%zu] %s %s%s%s%s\n", atomic_fetch_add(&s->done, 1) + 1,
		         s->plan->n, name.ptr,
		         item->action == SYNC_UNCHANGED   ? "unchanged"
		         : item->action == SYNC_CREATED   ? "created"
		         : item->action == SYNC_RECREATED ? "recreated (pods and claims kept)"
		                                          : "configured",
		         !opts->dry_run || item->action == SYNC_UNCHANGED ? ""
		         : unchecked ? " (dry run; the server cannot check it: "
		                     : " (server dry run)",
		         unchecked ? unchecked : "", unchecked ? ")" : "");
		/* Written: what was read and predicted is not needed any more. */
		json_object_put(item->drift.predicted);
		item->drift.predicted = NULL;
		json_object_put(item->live);
		item->live = NULL;
	}
	buf_release(&path);
	buf_release(&name);
	return error;
}

/* ---- waiting ------------------------------------------------------------- */

/* Does the claim's StorageClass bind on first consumer? From Git, else live. */
static bool binds_on_first_consumer(struct kube_client *c, const struct sync_plan *plan,
                                    struct json_object *claim)
{
	const char *cls = json_get_string(json_get(claim, "spec"), "storageClassName");
	struct json_object *mode = cls ? class_field(c, plan, cls, "volumeBindingMode") : NULL;
	bool wffc = json_object_is_type(mode, json_type_string) &&
	            !strcmp(json_object_get_string(mode), "WaitForFirstConsumer");

	json_object_put(mode);
	return wffc;
}

/* One object of a phase being waited on. */
struct wait {
	struct sync_item *item;
	enum readiness state;
	struct buf why, said; /* what it waits for, and what was last printed */
	int wffc;             /* its class binds on first consumer; -1: not yet asked */
	/* Why its claim is Pending (explain), asked of the cluster at most
	 * every EXPLAIN_MS: when it was last asked, and the answer. */
	double explained_at;
	struct buf explained;
};

#define EXPLAIN_MS 5000.0

/* Why `claim` is Pending, as far as its class and volume tell: nothing
 * when it is not Pending. */
static void claim_waits_for(struct buf *out, struct kube_client *c, const struct sync_plan *plan,
                            struct json_object *claim)
{
	struct json_object *spec = json_get(claim, "spec"), *provisioner;
	const char *cls = json_get_string(spec, "storageClassName");
	const char *volume = json_get_string(spec, "volumeName");
	const char *phase = json_get_string(json_get(claim, "status"), "phase");
	const char *p;

	if (phase && strcmp(phase, "Pending"))
		return;
	if (volume) {
		buf_addf(out, "waiting to bind PersistentVolume '%s'", volume);
		return;
	}
	if (!cls || !*cls) {
		buf_adds(out, "no PersistentVolume without a class is available");
		return;
	}
	/* Bound once its pod is scheduled: the pod waits, not the claim. */
	if (binds_on_first_consumer(c, plan, claim))
		return;
	provisioner = class_field(c, plan, cls, "provisioner");
	p = json_object_get_string(provisioner);
	if (!provisioner)
		buf_addf(out, "StorageClass '%s' does not exist", cls);
	else if (!strcmp(p, "kubernetes.io/no-provisioner"))
		buf_addf(out, "no PersistentVolume of class '%s' is available", cls);
	else
		buf_addf(out, "waiting for provisioner '%s' to make a volume of class '%s'", p,
		         cls);
	json_object_put(provisioner);
}

/* Why a StatefulSet's next pod cannot be ready when that is its claim:
 * "claim ns/www-web-1 Pending: ...", for the first Pending claim of the
 * first pod not ready. */
static void statefulset_claim_waits(struct buf *out, struct kube_client *c,
                                    const struct sync_plan *plan, struct json_object *sts)
{
	struct json_object *spec = json_get(sts, "spec"), *v;
	struct json_object *templates = json_get(spec, "volumeClaimTemplates");
	int64_t replicas = 1, ready = 0;
	const char *ns = json_get_string(json_get(sts, "metadata"), "namespace");
	const char *name = json_get_string(json_get(sts, "metadata"), "name");
	struct buf path = BUF_INIT, why = BUF_INIT;
	size_t i;

	if (json_object_is_type((v = json_get(spec, "replicas")), json_type_int))
		replicas = json_object_get_int64(v);
	if (json_object_is_type((v = json_get(json_get(sts, "status"), "readyReplicas")),
	                        json_type_int))
		ready = json_object_get_int64(v);
	for (i = 0; ns && name && ready < replicas && i < json_array_len(templates) && !out->len;
	     i++) {
		const char *tmpl = json_get_string(
		    json_get(json_object_array_get_idx(templates, i), "metadata"), "name");
		struct json_object *claim = NULL;

		buf_reset(&path);
		buf_reset(&why);
		claim_path(&path, ns, tmpl ? tmpl : "", name, ready);
		if (tmpl && kube_client_get_json(&claim, c, path.ptr) == 0)
			claim_waits_for(&why, c, plan, claim);
		if (why.len)
			buf_addf(out, "claim %s/%s-%s-%lld Pending: %s", ns, tmpl, name,
			         (long long)ready, why.ptr);
		json_object_put(claim);
	}
	buf_release(&path);
	buf_release(&why);
}

/* What the first object a phase waits for, when it is a claim or a
 * StatefulSet, waits for beyond its own status: read again and asked of the
 * cluster at most every EXPLAIN_MS, into w->explained. */
static void explain(struct kube_client *c, const struct sync_plan *plan, struct wait *w)
{
	const struct object_id *id = &w->item->m->id;
	bool claim = !*id->group && !strcmp(id->kind, "PersistentVolumeClaim");
	bool sts = !strcmp(id->group, "apps") && !strcmp(id->kind, "StatefulSet");
	struct json_object *live = NULL;
	struct buf path = BUF_INIT, why = BUF_INIT;

	if ((!claim && !sts) || clock_now_ms() - w->explained_at < EXPLAIN_MS)
		return;
	w->explained_at = clock_now_ms();
	buf_reset(&w->explained);
	item_path(&path, w->item, true);
	if (kube_client_get_json(&live, c, path.ptr) == 0 && claim)
		claim_waits_for(&why, c, plan, live);
	else if (live)
		statefulset_claim_waits(&why, c, plan, live);
	/* "phase Pending: ..."; "0 of 1 pods ready; claim ..." */
	if (why.len)
		buf_addf(&w->explained, "%s%s", claim ? ": " : "; ", why.ptr);
	json_object_put(live);
	buf_release(&path);
	buf_release(&why);
}

struct wait_group {
	struct kube_client *c;
	const struct sync_plan *plan;
	struct wait **waits; /* sorted by name */
	size_t n;
};

static int cmp_wait_name(const void *key, const void *elem)
{
	return strcmp(key, (*(struct wait *const *)elem)->item->m->id.name);
}

/* Decide each waited-on object that a LIST page holds. */
static int wait_page(struct json_object *page, void *ctx)
{
	struct wait_group *g = ctx;
	struct json_object *items = json_get(page, "items");
	size_t i;

	for (i = 0; i < json_array_len(items); i++) {
		struct json_object *live = json_object_array_get_idx(items, i);
		const char *name = json_get_string(json_get(live, "metadata"), "name");
		struct wait **hit =
		    name ? bsearch(name, g->waits, g->n, sizeof(*g->waits), cmp_wait_name) : NULL;

		if (!hit)
			continue;
		typed(live, (*hit)->item);
		/* The class of a claim cannot change: ask once. */
		if ((*hit)->wffc < 0)
			(*hit)->wffc = !strcmp((*hit)->item->m->id.kind, "PersistentVolumeClaim") &&
			               binds_on_first_consumer(g->c, g->plan, live);
		buf_reset(&(*hit)->why);
		(*hit)->state = ready_check(&(*hit)->why, live, (*hit)->wffc > 0);
	}
	return 0;
}

static int cmp_wait_list(const void *a, const void *b)
{
	return cmp_list(&(*(struct wait *const *)a)->item, &(*(struct wait *const *)b)->item);
}

/* Read every waited-on object once: one LIST per kind and namespace. */
static int wait_poll(struct kube_client *c, const struct sync_plan *plan, struct wait **waits,
                     size_t n)
{
	struct buf path = BUF_INIT;
	size_t i, j, k;
	int error = 0;

	for (i = 0; i < n && !error; i = j) {
		struct wait_group g = {c, plan, waits + i, 0};

		for (j = i + 1; j < n && same_list(waits[j]->item, waits[i]->item); j++)
			;
		g.n = j - i;
		for (k = i; k < j; k++) {
			buf_reset(&waits[k]->why);
			buf_adds(&waits[k]->why, "it does not exist");
			waits[k]->state = READINESS_WAITING;
		}
		buf_reset(&path);
		item_path(&path, waits[i]->item, false);
		buf_addf(&path, "?limit=%d", LIST_PAGE);
		if ((error = kube_client_list(c, path.ptr, wait_page, &g)) < 0)
			blame(waits[i]->item, "cannot read it back");
	}
	buf_release(&path);
	return error;
}

/*
 * Wait until every object of one phase is ready, within the phase's time,
 * polling with one LIST per kind and namespace. An object the write's
 * answer already showed ready is not waited on. Prints what each waits for
 * when it changes.
 */
static int wait_phase(struct kube_client *c, struct sync_plan *plan, size_t from, size_t to,
                      const struct sync_options *opts)
{
	double start = clock_now_ms(), deadline = start + (double)opts->timeout_ms;
	struct wait *all = xcalloc(to - from + 1, sizeof(*all));
	struct wait **waits = xcalloc(to - from + 1, sizeof(*waits));
	struct buf what = BUF_INIT;
	size_t i, n = 0, pending;
	int error = 0;

	for (i = from; i < to; i++)
		if (!plan->items[i].ready) {
			struct wait *w = &all[n];

			w->item = &plan->items[i];
			w->wffc = -1;
			buf_init(&w->why);
			buf_init(&w->said);
			buf_init(&w->explained);
			waits[n++] = w;
		}
	qsort(waits, n, sizeof(*waits), cmp_wait_list);
	while (n && (error = wait_poll(c, plan, waits, n)) == 0) {
		struct wait *first = NULL;

		for (i = 0; i < n && !first; i++)
			if (all[i].state != READINESS_READY) /* in plan order */
				first = &all[i];
		/* What holds up a phase that is slow: asked of the cluster for the
		 * first object only, and not before it has waited a while. */
		if (first && clock_now_ms() - start >= EXPLAIN_MS)
			explain(c, plan, first);
		for (i = pending = 0; i < n; i++) {
			struct wait *w = &all[i];

			if (w->state == READINESS_READY)
				continue;
			buf_reset(&what);
			describe(&what, w->item);
			if (w->state == READINESS_FAILED) {
				error = berth_error_set("%s: %s", what.ptr, w->why.ptr);
				goto out;
			}
			pending++;
			buf_adds(&w->why, w->explained.ptr);
			if (strcmp(w->said.ptr, w->why.ptr)) {
				progress(opts, "waiting for %s: %s\n", what.ptr, w->why.ptr);
				buf_reset(&w->said);
				buf_adds(&w->said, w->why.ptr);
			}
		}
		if (!pending)
			break;
		if (stopped(opts)) {
			error = berth_error_set("stopped while waiting for %s", first->why.ptr);
			break;
		}
		if (clock_now_ms() >= deadline) {
			buf_reset(&what);
			describe(&what, first->item);
			buf_addf(&what, ": %s", first->why.ptr);
			if (pending > 1)
				buf_addf(&what, " (and %zu more objects not ready)", pending - 1);
			berth_error_set("timed out after %ld s: %s", opts->timeout_ms / 1000,
			                what.ptr);
			error = BERTH_ETIMEOUT;
			break;
		}
		clock_sleep_ms(opts->poll_ms);
	}
out:
	for (i = 0; i < n; i++) {
		buf_release(&all[i].why);
		buf_release(&all[i].said);
		buf_release(&all[i].explained);
	}
	free(all);
	free(waits);
	buf_release(&what);
	return error;
}

/*
 * Let the server check every write of the commit (dryRun=All) before the
 * first real one: a manifest it rejects (422, 403, ...) then changes
 * nothing. Writes into a namespace the commit creates cannot be checked
 * this way (the namespace does not exist yet) and are left to the write.
 * Every rejection is reported, each naming its file and object.
 */
static int dry_run_one(struct kube_client *c, struct sync_item *item, struct step *s)
{
	struct sync_options dry = *s->opts;
	int error;

	dry.dry_run = true;
	if (item->drift.state == DRIFT_IN_SYNC || item->recreate || item->dry_run_ok ||
	    unverifiable(s->plan, item))
		return 0;
	error = write_once(c, item, &dry);
	/* An object to create is predicted again when written, not held until then. */
	if (item->drift.state == DRIFT_MISSING) {
		json_object_put(item->drift.predicted);
		item->drift.predicted = NULL;
	}
	if (error < 0) {
		item->action = SYNC_FAILED;
		blame(item, NULL);
	}
	return error;
}

/* Ask the server about one object's local drift: a dry run of its write.
 * A refusal is not an error here: the local verdict stands, saying why. */
static int confirm_one(struct kube_client *c, struct sync_item *item, struct step *s)
{
	struct sync_options dry = *s->opts;

	dry.dry_run = true;
	if (item->drift.state != DRIFT_DRIFTED || item->recreate || item->confirmed)
		return 0;
	atomic_fetch_add(&s->done, 1);
	if (write_once(c, item, &dry) < 0) {
		struct buf why = BUF_INIT;

		buf_addf(&why, "the server did not confirm it: %s", berth_error_last());
		free(item->drift.unconfirmed);
		item->drift.unconfirmed = buf_detach(&why, NULL);
	}
	return 0;
}

size_t sync_plan_confirm(struct sync_plan *plan, struct kube_client *c,
                         const struct sync_options *opts)
{
	struct step s = {.plan = plan, .opts = opts, .fn = confirm_one, .keep_going = true};
	size_t i, n = 0;
	bool drifted;

	for (i = 0; i < plan->n; i++) {
		struct sync_item *item = &plan->items[i];

		if (item->drift.state != DRIFT_DRIFTED || item->recreate || item->confirmed)
			continue;
		if (item->keyed && opts->verdicts &&
		    verdicts_find(&drifted, opts->verdicts, item->key)) {
			item->confirmed = true;
			if (!drifted)
				settle(item);
			continue;
		}
		n++;
	}
	if (!n)
		return 0;
	if (pool_init(&s.pool, c, opts->parallel ? opts->parallel : 1) == 0)
		step_run(&s, 0, plan->n);
	pool_release(&s.pool);
	for (i = 0; i < plan->n && opts->verdicts; i++) {
		struct sync_item *item = &plan->items[i];

		if (item->keyed && item->dry_run_ok)
			verdicts_remember(opts->verdicts, item->key,
			                  item->drift.state == DRIFT_DRIFTED);
	}
	return atomic_load(&s.done);
}

int sync_plan_apply(struct sync_plan *plan, struct kube_client *c, const struct sync_options *opts)
{
	struct step s = {.plan = plan, .opts = opts};
	size_t i, j;
	int error;

	if ((error = pool_init(&s.pool, c, opts->parallel ? opts->parallel : 1)) < 0) {
		pool_release(&s.pool);
		return error;
	}
	if (!opts->dry_run) {
		s.fn = dry_run_one;
		s.keep_going = true;
		if ((error = step_run(&s, 0, plan->n)) < 0) {
			char *all = xstrdup(berth_error_last());

			berth_error_set("%s\n%zu object%s the server refuses; nothing was changed",
			                all, s.failed, s.failed == 1 ? "" : "s");
			free(all);
		}
		s.keep_going = false;
	}
	for (i = 0; i < plan->n && !error; i = j) {
		for (j = i; j < plan->n && plan->items[j].phase == plan->items[i].phase; j++)
			;
		s.fn = write_item;
		/* Custom resources of a CRD in the commit need it Established. */
		if ((error = step_run(&s, i, j)) == 0 && !opts->dry_run &&
		    (opts->wait || (plan->items[i].phase == PHASE_CRD && plan->ndefined)))
			error = wait_phase(c, plan, i, j, opts);
	}
	pool_release(&s.pool);
	return error;
}
