/* Deleting what berth applied and that has since left Git. */
#include "prune.h"

#include "scope.h"

#include "../diff/base/alloc.h"
#include "../diff/base/berth_error.h"
#include "../diff/base/json_value.h"

#include <stdlib.h>
#include <string.h>

size_t prune_list_pruned(const struct prune_list *list)
{
	size_t i, n = 0;

	for (i = 0; i < list->n; i++)
		n += list->items[i].pruned;
	return n;
}

void prune_list_release(struct prune_list *list)
{
	size_t i;

	for (i = 0; i < list->n; i++) {
		object_id_release(&list->items[i].id);
		free(list->items[i].uid);
		json_object_put(list->items[i].live);
	}
	free(list->items);
	list->items = NULL;
	list->n = list->alloc = 0;
}

static bool in_plan(const struct sync_plan *plan, const char *uid)
{
	size_t i;

	for (i = 0; i < plan->n; i++)
		if (plan->items[i].uid && !strcmp(plan->items[i].uid, uid))
			return true;
	return false;
}

static bool listed(const struct prune_list *list, const char *uid)
{
	size_t i;

	for (i = 0; i < list->n; i++)
		if (!strcmp(list->items[i].uid, uid))
			return true;
	return false;
}

/* Claims, volumes and namespaces hold data: prune keeps them unless told. */
static bool protected_kind(const char *group, const char *kind)
{
	return !*group && (!strcmp(kind, "PersistentVolumeClaim") ||
	                   !strcmp(kind, "PersistentVolume") || !strcmp(kind, "Namespace"));
}

/* A kind being searched for what prune would delete. */
struct search {
	struct prune_list *out;
	const struct api_resource *res;
	const struct sync_plan *plan;
	const struct sync_options *opts;
};

/* Take the tracked objects of one LIST page that belong to this source and
 * left Git. */
static int take_page(struct json_object *page, void *ctx)
{
	const struct search *s = ctx;
	struct prune_list *out = s->out;
	const struct api_resource *res = s->res;
	const struct sync_plan *plan = s->plan;
	const struct sync_options *opts = s->opts;
	struct json_object *items = json_value_get(page, "items");
	size_t i;

	for (i = 0; i < json_value_array_len(items); i++) {
		struct json_object *obj = json_object_array_get_idx(items, i);
		struct json_object *meta = json_value_get(obj, "metadata");
		const char *uid = json_value_get_string(meta, "uid");
		const char *source =
		    json_value_get_string(json_value_get(meta, "annotations"), SOURCE_ANNOTATION);
		const char *allow =
		    json_value_get_string(json_value_get(meta, "annotations"), PRUNE_ANNOTATION);
		const char *ns = json_value_get_string(meta, "namespace");
		const char *name = json_value_get_string(meta, "name");
		struct prune_item *p;

		if (!ns || !res->namespaced)
			ns = "";
		if (!name)
			name = "";
		/* The same object may be served by two groups (a kind moved
		 * between groups): the uid says it is one. */
		if (!uid || !source || strcmp(source, opts->source) || in_plan(plan, uid) ||
		    listed(out, uid) || !scope_allows(NULL, opts, res, ns, name))
			continue;
		out->items = xgrow(out->items, sizeof(*p), out->n + 1, &out->alloc);
		p = &out->items[out->n++];
		memset(p, 0, sizeof(*p));
		p->id.group = xstrdup(res->group);
		p->id.version = xstrdup(res->version);
		p->id.kind = xstrdup(res->kind);
		p->id.namespace = xstrdup(ns);
		p->id.name = xstrdup(name);
		p->res = res;
		p->uid = xstrdup(uid);
		p->live = json_object_get(obj);
		/* A LIST's items name neither. */
		if (!json_value_get(obj, "kind")) {
			json_object_object_add(obj, "kind", json_object_new_string(res->kind));
			json_object_object_add(
			    obj, "apiVersion",
			    json_value_get(page, "apiVersion")
			        ? json_object_get(json_value_get(page, "apiVersion"))
			        : json_object_new_string(res->version));
		}
		p->protected_kind = protected_kind(res->group, res->kind);
		p->allowed = opts->prune_protected || (allow && !strcmp(allow, "true"));
		/* A wave not an integer deletes with wave 0. */
		object_wave(&p->wave, obj);
	}
	return 0;
}

/* Deletion order: the reverse of the apply order, waves then phases. */
static int cmp_reverse_phase(const void *a, const void *b)
{
	const struct prune_item *x = a, *y = b;
	enum phase px = phase_of(x->id.group, x->id.kind), py = phase_of(y->id.group, y->id.kind);

	if (x->wave != y->wave)
		return x->wave > y->wave ? -1 : 1;
	if (px != py)
		return px > py ? -1 : 1;
	return object_id_cmp(&x->id, &y->id);
}

/* LIST one kind (in one namespace) for what prune would delete. */
static int list_kind(struct kube_client *c, const char *path, struct search *search)
{
	const struct api_resource *res = search->res;
	int error = kube_client_list_ahead(c, path, take_page, search);

	/* A kind outside berth's role is one it does not manage (as Argo CD's
	 * respectRBAC leaves it out): it could not delete there. */
	if (error == BERTH_EFORBIDDEN)
		return 0;
	/* A kind gone since discovery (its CustomResourceDefinition deleted)
	 * holds nothing; discovery is read again next time. */
	if (error == BERTH_ENOTFOUND) {
		discovery_cache_forget(c);
		return 0;
	}
	if (error == BERTH_EHTTP) {
		sync_warn(search->opts, "prune cannot list %s%s%s: %s", res->name,
		          *res->group ? "." : "", res->group, berth_error_last());
		return 0;
	}
	return error;
}

/* What a search found, in the order of deletion, into `out`; or its error,
 * and nothing. */
static int found(struct prune_list *out, struct prune_list *list, int error)
{
	if (error < 0) {
		prune_list_release(list);
		return berth_error_prefix(error, "prune");
	}
	if (list->n)
		qsort(list->items, list->n, sizeof(*list->items), cmp_reverse_phase);
	*out = *list;
	return 0;
}

int prune_find(struct prune_list *out, struct kube_client *c, const struct discovery *d,
               const struct sync_plan *plan, const struct sync_options *opts)
{
	struct prune_list list = PRUNE_LIST_INIT;
	struct buf path = BUF_INIT;
	size_t i;
	int error = 0;

	if (!plan->n && !opts->allow_empty)
		return berth_error_set("the manifests hold no object, so prune would delete "
		                       "everything berth applied from '%s'; pass --allow-empty if "
		                       "that is what you want",
		                       opts->source);
	for (i = 0; i < d->nresources && !error; i++) {
		struct search search = {&list, &d->resources[i], plan, opts};
		const struct api_resource *res = &d->resources[i];
		const char *const *ns = res->namespaced && opts->namespaces && *opts->namespaces
		                            ? opts->namespaces
		                            : NULL;

		/* A confined source looks only where it may write: each of its
		 * namespaces, and the cluster-scoped kinds it lists. */
		if (!res->prunable || !scope_kind_allowed(opts, res))
			continue;
		do {
			buf_reset(&path);
			api_resource_path(&path, res, res->version, ns ? *ns : NULL, NULL);
			buf_addf(&path, "?labelSelector=%s%%3D%s&limit=500", TRACKING_LABEL,
			         TRACKING_VALUE);
			error = list_kind(c, path.ptr, &search);
		} while (!error && ns && *++ns);
	}
	buf_release(&path);
	return found(out, &list, error);
}

int prune_find_gone(struct prune_list *out, struct kube_client *c, const struct discovery *d,
                    const struct object_id *gone, size_t n, const struct sync_plan *plan,
                    const struct sync_options *opts)
{
	struct prune_list list = PRUNE_LIST_INIT;
	struct buf path = BUF_INIT;
	size_t i;
	int error = 0;

	if (!plan->n && !opts->allow_empty)
		return prune_find(out, c, d, plan, opts); /* which refuses */
	for (i = 0; i < n && !error; i++) {
		const struct api_resource *res =
		    discovery_find_kind(d, gone[i].group, gone[i].kind);
		struct json_object *obj = NULL, *page;
		struct search search = {&list, res, plan, opts};
		const char *managed;

		if (!res || !res->prunable || !scope_kind_allowed(opts, res))
			continue;
		buf_reset(&path);
		api_resource_path(&path, res, res->version, gone[i].namespace, gone[i].name);
		error = kube_client_get_json(&obj, c, path.ptr);
		if (error == BERTH_ENOTFOUND || error == BERTH_EFORBIDDEN) {
			error = 0; /* gone already, or not berth's to delete */
			continue;
		}
		if (error < 0)
			break;
		/* As one page of what a LIST of its kind would find. */
		page = json_object_new_object();
		json_object_object_add(page, "apiVersion",
		                       json_object_get(json_value_get(obj, "apiVersion")));
		json_object_object_add(page, "items", json_object_new_array());
		json_object_array_add(json_value_get(page, "items"), obj);
		managed = json_value_get_string(
		    json_value_get(json_value_get(obj, "metadata"), "labels"), TRACKING_LABEL);
		if (managed && !strcmp(managed, TRACKING_VALUE))
			error = take_page(page, &search);
		json_object_put(page);
	}
	buf_release(&path);
	return found(out, &list, error);
}

int prune_apply(struct prune_list *list, struct kube_client *c, const struct sync_options *opts)
{
	struct buf path = BUF_INIT, body = BUF_INIT, what = BUF_INIT;
	size_t i;
	int error = 0;

	for (i = 0; i < list->n && !error; i++) {
		struct prune_item *p = &list->items[i];

		buf_reset(&what);
		object_id_describe(&what, &p->id);
		if (p->protected_kind && !p->allowed) {
			if (opts->progress)
				fprintf(
				    opts->progress,
				    "%s kept: it left Git, but berth never prunes claims, volumes "
				    "or namespaces unless annotated %s: \"true\" or run with "
				    "--prune-protected\n",
				    what.ptr, PRUNE_ANNOTATION);
			continue;
		}
		buf_reset(&path);
		api_resource_path(&path, p->res, p->res->version, p->id.namespace, p->id.name);
		/* With a body, the server reads DeleteOptions from it alone and
		 * ignores the query: dryRun must be in the body. */
		buf_reset(&body);
		buf_addf(
		    &body,
		    "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\","
		    "\"propagationPolicy\":\"Background\",\"preconditions\":{\"uid\":\"%s\"}%s}",
		    p->uid, opts->dry_run ? ",\"dryRun\":[\"All\"]" : "");
		error = kube_client_call(NULL, c, "DELETE", path.ptr, "application/json", body.ptr);
		if (error == BERTH_ENOTFOUND)
			error = 0; /* gone already */
		if (error < 0) {
			berth_error_prefix(error, "prune %s", what.ptr);
			break;
		}
		p->pruned = true;
		if (opts->progress)
			fprintf(opts->progress, "%s pruned%s\n", what.ptr,
			        opts->dry_run ? " (server dry run)" : "");
	}
	buf_release(&path);
	buf_release(&body);
	buf_release(&what);
	return error;
}
