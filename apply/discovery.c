/* API discovery: the server's kinds, their resources, scopes and verbs,
 * read once per server and kept for the process. */
#include "discovery.h"

#include "../diff/base/alloc.h"
#include "../diff/base/berth_error.h"
#include "../diff/base/clock.h"
#include "../diff/base/json_value.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* One resource of a group version, as the server listed it. */
struct listed {
	char *name, *kind;
	bool namespaced, has_verbs, prunable;
};

/* What GET /api/VERSION or /apis/GROUP/VERSION answered. */
struct group_version {
	char *group, *version;
	struct listed *res;
	size_t n;
	unsigned long call; /* the call that read it (server.calls) */
};

/* The core group of /api (name ""), or a group of /apis. */
struct group {
	char *name;
	char *preferred; /* NULL: none named; the core group's first version */
	char **versions;
	size_t nversions;
};

/* What was read of one server by one identity. */
struct server {
	char *identity;       /* kube_client_identity() */
	char *url;            /* kube_client_server(), for discovery_cache_forget() */
	pthread_mutex_t lock; /* held while reading or copying out what follows */
	bool read;            /* /api and /apis were read ... */
	double read_at;       /* ... then, by the cache's clock */
	struct group core;    /* /api's */
	bool core_listed;     /* /api listed versions */
	struct group *groups; /* /apis' */
	size_t ngroups;
	struct group_version *gvs;
	size_t ngvs;
	unsigned long calls; /* discovery_fetch calls */
};

/* Every server read; an entry lives as long as the process. */
static struct {
	pthread_mutex_t lock; /* the list; each server's lock guards the rest */
	struct server **servers;
	size_t n;
	double (*now_ms)(void);
} cache = {PTHREAD_MUTEX_INITIALIZER, NULL, 0, NULL};

struct builder {
	struct discovery *d;
	size_t alloc;
	const struct discovery_want *want; /* the API versions whose groups are read */
	size_t nwant;
	bool all; /* ... or all of them */
};

/* Is API version `api` ("v1", "apps/v1") of `group`, and `version` when
 * not NULL? */
static bool api_version_is(const char *api, const char *group, const char *version)
{
	const char *slash = strchr(api, '/');
	size_t n = slash ? (size_t)(slash - api) : 0;

	if (strlen(group) != n || strncmp(api, group, n))
		return false;
	return !version || !strcmp(slash ? slash + 1 : api, version);
}

/* Is `group` one to read, and with `version` not NULL, that version of it? */
static bool wanted(const struct builder *b, const char *group, const char *version)
{
	size_t i;

	if (b->all)
		return true;
	for (i = 0; i < b->nwant; i++)
		if (api_version_is(b->want[i].api_version, group, version))
			return true;
	return false;
}

static bool has_verb(struct json_object *verbs, const char *verb)
{
	size_t i;

	for (i = 0; i < json_value_array_len(verbs); i++)
		if (!strcmp(json_object_get_string(json_object_array_get_idx(verbs, i)), verb))
			return true;
	return false;
}

static bool has_string(char *const *list, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(list[i], s))
			return true;
	return false;
}

static void free_strings(char **list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

static void add_string(char ***list, size_t *n, const char *s)
{
	*list = xrealloc(*list, (*n + 1) * sizeof(**list));
	(*list)[(*n)++] = xstrdup(s);
}

static void group_version_release(struct group_version *gv)
{
	size_t i;

	for (i = 0; i < gv->n; i++) {
		free(gv->res[i].name);
		free(gv->res[i].kind);
	}
	free(gv->res);
	free(gv->group);
	free(gv->version);
}

static void group_release(struct group *g)
{
	free(g->name);
	free(g->preferred);
	free_strings(g->versions, g->nversions);
	memset(g, 0, sizeof(*g));
}

static void groups_free(struct group *groups, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		group_release(&groups[i]);
	free(groups);
}

/* Forget what was read of `s`, keeping who it is. */
static void server_clear(struct server *s)
{
	size_t i;

	group_release(&s->core);
	groups_free(s->groups, s->ngroups);
	for (i = 0; i < s->ngvs; i++)
		group_version_release(&s->gvs[i]);
	free(s->gvs);
	s->groups = NULL;
	s->gvs = NULL;
	s->ngroups = s->ngvs = 0;
	s->core_listed = s->read = false;
}

/* Read one group version's resources, leaving out subresources. */
static int read_group_version(struct group_version *out, struct kube_client *c, const char *group,
                              const char *version)
{
	struct json_object *list = NULL, *resources, *v;
	struct group_version gv = {xstrdup(group), xstrdup(version), NULL, 0, 0};
	struct buf path = BUF_INIT;
	size_t i, n;
	int error;

	if (*group)
		buf_addf(&path, "/apis/%s/%s", group, version);
	else
		buf_addf(&path, "/api/%s", version);
	if ((error = kube_client_get_json(&list, c, path.ptr)) < 0)
		goto out;
	if (!json_object_object_get_ex(list, "resources", &resources) ||
	    !json_object_is_type(resources, json_type_array)) {
		error = berth_error_set("%s%s: no resource list in the answer",
		                        kube_client_server(c), path.ptr);
		goto out;
	}
	n = json_object_array_length(resources);
	gv.res = xcalloc(n + 1, sizeof(*gv.res));
	for (i = 0; i < n; i++) {
		struct json_object *res = json_object_array_get_idx(resources, i);
		const char *name = json_value_get_string(res, "name");
		const char *kind = json_value_get_string(res, "kind");
		struct listed *r = &gv.res[gv.n];

		if (!name || strchr(name, '/'))
			continue; /* a subresource */
		r->name = xstrdup(name);
		r->kind = xstrdup(kind ? kind : "");
		r->namespaced =
		    json_object_object_get_ex(res, "namespaced", &v) && json_object_get_boolean(v);
		r->has_verbs =
		    json_object_object_get_ex(res, "verbs", &v) && json_value_array_len(v) > 0;
		r->prunable = has_verb(v, "list") && has_verb(v, "delete");
		gv.n++;
	}
	*out = gv;
	memset(&gv, 0, sizeof(gv));
out:
	group_version_release(&gv);
	json_object_put(list);
	buf_release(&path);
	return error;
}

/* Read /api: the core group's versions, the first preferred. */
static int read_core(struct server *s, struct kube_client *c)
{
	struct json_object *api = NULL, *versions;
	struct group g = {xstrdup(""), NULL, NULL, 0};
	bool listed;
	size_t i;
	int error;

	if ((error = kube_client_get_json(&api, c, "/api")) < 0)
		goto out;
	listed = json_object_object_get_ex(api, "versions", &versions) &&
	         json_object_is_type(versions, json_type_array);
	for (i = 0; listed && i < json_value_array_len(versions); i++) {
		const char *v = json_object_get_string(json_object_array_get_idx(versions, i));

		if (v && !has_string(g.versions, g.nversions, v))
			add_string(&g.versions, &g.nversions, v);
	}
	if (g.nversions)
		g.preferred = xstrdup(g.versions[0]);
	group_release(&s->core);
	s->core = g;
	s->core_listed = listed;
	memset(&g, 0, sizeof(g));
out:
	group_release(&g);
	json_object_put(api);
	return error;
}

/* Read /apis: each group's versions and preferred version. */
static int read_groups(struct server *s, struct kube_client *c)
{
	struct json_object *apis = NULL, *list;
	struct group *groups = NULL;
	size_t i, j, n = 0;
	int error;

	if ((error = kube_client_get_json(&apis, c, "/apis")) < 0)
		return error;
	if (!json_object_object_get_ex(apis, "groups", &list) ||
	    !json_object_is_type(list, json_type_array)) {
		error =
		    berth_error_set("%s/apis: no group list in the answer", kube_client_server(c));
		goto out;
	}
	groups = xcalloc(json_object_array_length(list) + 1, sizeof(*groups));
	for (i = 0; i < json_object_array_length(list); i++) {
		struct json_object *g = json_object_array_get_idx(list, i), *versions, *pv;
		const char *name = json_value_get_string(g, "name"), *preferred = NULL;

		if (!name || !json_object_object_get_ex(g, "versions", &versions))
			continue;
		if (json_object_object_get_ex(g, "preferredVersion", &pv))
			preferred = json_value_get_string(pv, "version");
		groups[n].name = xstrdup(name);
		groups[n].preferred = xstrdup_or_null(preferred);
		for (j = 0; j < json_value_array_len(versions); j++) {
			const char *v = json_value_get_string(
			    json_object_array_get_idx(versions, j), "version");

			if (v)
				add_string(&groups[n].versions, &groups[n].nversions, v);
		}
		n++;
	}
	groups_free(s->groups, s->ngroups);
	s->groups = groups;
	s->ngroups = n;
out:
	json_object_put(apis);
	return error;
}

static struct group_version *find_group_version(struct server *s, const char *group,
                                                const char *version)
{
	size_t i;

	for (i = 0; i < s->ngvs; i++)
		if (!strcmp(s->gvs[i].group, group) && !strcmp(s->gvs[i].version, version))
			return &s->gvs[i];
	return NULL;
}

typedef int visit_fn(void *ctx, const char *group, const char *version, bool preferred);

/* Visit each version of `g` that a read filtered by `b` takes: the
 * preferred and those named (all of them when none is preferred). */
static int walk_group(const struct builder *b, const struct group *g, visit_fn *fn, void *ctx)
{
	size_t i;
	int error = 0;

	for (i = 0; i < g->nversions && !error; i++) {
		const char *v = g->versions[i];
		bool preferred = g->preferred && !strcmp(v, g->preferred);

		if (!g->preferred || preferred || wanted(b, g->name, v))
			error = fn(ctx, g->name, v, preferred);
	}
	return error;
}

/* Visit the group versions a read filtered by `b` takes, in discovery's
 * order: the core group's, then each group's of /apis. */
static int walk(const struct server *s, const struct builder *b, visit_fn *fn, void *ctx)
{
	size_t i;
	int error = 0;

	if (s->core_listed && wanted(b, "", NULL))
		error = walk_group(b, &s->core, fn, ctx);
	for (i = 0; i < s->ngroups && !error; i++)
		if (wanted(b, s->groups[i].name, NULL))
			error = walk_group(b, &s->groups[i], fn, ctx);
	return error;
}

/* Does `b` name a version of the core group (`core`), or a group of /apis
 * or a version of one, that the server did not advertise? */
static bool names_unknown(const struct server *s, const struct builder *b, bool core)
{
	size_t i, j;

	for (i = 0; i < b->nwant; i++) {
		const char *api = b->want[i].api_version, *slash = strchr(api, '/');
		const struct group *g = core && s->core_listed ? &s->core : NULL;

		if (core != !slash)
			continue;
		for (j = 0; !core && j < s->ngroups && !g; j++)
			if (api_version_is(api, s->groups[j].name, NULL))
				g = &s->groups[j];
		if (!g || !has_string(g->versions, g->nversions, slash ? slash + 1 : api))
			return true;
	}
	return false;
}

/* Does `b` name a kind of `gv`'s group and version that it did not list? */
static bool lacks_kind(const struct group_version *gv, const struct builder *b)
{
	size_t i, j;

	for (i = 0; i < b->nwant; i++) {
		if (!b->want[i].kind ||
		    !api_version_is(b->want[i].api_version, gv->group, gv->version))
			continue;
		for (j = 0; j < gv->n && strcmp(gv->res[j].kind, b->want[i].kind); j++)
			;
		if (j == gv->n)
			return true;
	}
	return false;
}

struct reading {
	struct server *s;
	struct kube_client *c;
	const struct builder *b;
};

/* Read a group version the filter takes when it was not read, or when it
 * lacks a kind named and was not read by this call. */
static int need(void *ctx, const char *group, const char *version, bool preferred)
{
	struct reading *r = ctx;
	struct group_version *gv = find_group_version(r->s, group, version), fresh;
	int error;

	(void)preferred;
	if (gv && (gv->call == r->s->calls || !lacks_kind(gv, r->b)))
		return 0;
	if ((error = read_group_version(&fresh, r->c, group, version)) < 0)
		return error;
	fresh.call = r->s->calls;
	if (gv) {
		group_version_release(gv);
		*gv = fresh;
		return 0;
	}
	r->s->gvs = xrealloc(r->s->gvs, (r->s->ngvs + 1) * sizeof(*r->s->gvs));
	r->s->gvs[r->s->ngvs++] = fresh;
	return 0;
}

static double now_ms(void)
{
	return cache.now_ms ? cache.now_ms() : clock_now_ms();
}

/* Bring what `s` holds up to what `b` asks for. */
static int refresh(struct server *s, struct kube_client *c, const struct builder *b)
{
	struct reading r = {s, c, b};
	double now = now_ms();
	bool fresh = false;
	int error;

	s->calls++;
	if (s->read && now - s->read_at >= DISCOVERY_MAX_AGE_MS)
		server_clear(s);
	if (!s->read) {
		if ((error = read_core(s, c)) < 0 || (error = read_groups(s, c)) < 0)
			return error;
		s->read = fresh = true;
		s->read_at = now;
	}
	/* Named but not advertised: its definition may be a second old. */
	if (!fresh && names_unknown(s, b, true) && (error = read_core(s, c)) < 0)
		return error;
	if (!fresh && names_unknown(s, b, false) && (error = read_groups(s, c)) < 0)
		return error;
	error = walk(s, b, need, &r);
	if (error == BERTH_ENOTFOUND && !fresh) {
		/* Advertised when the index was read, gone since (a
		 * definition deleted): read the index again. */
		if ((error = read_core(s, c)) == 0 && (error = read_groups(s, c)) == 0)
			error = walk(s, b, need, &r);
	}
	return error;
}

static struct api_resource *find(struct discovery *d, const char *group, const char *name)
{
	size_t i;

	for (i = 0; i < d->nresources; i++)
		if (!strcmp(d->resources[i].group, group) && !strcmp(d->resources[i].name, name))
			return &d->resources[i];
	return NULL;
}

bool api_resource_serves(const struct api_resource *r, const char *version)
{
	return has_string(r->versions, r->nversions, version);
}

static void add_version(struct api_resource *r, const char *version)
{
	if (!api_resource_serves(r, version))
		add_string(&r->versions, &r->nversions, version);
}

static void set_resource(struct api_resource *r, const char *group, const char *version,
                         const struct listed *l)
{
	free(r->group);
	free(r->version);
	free(r->name);
	free(r->kind);
	r->group = xstrdup(group);
	r->version = xstrdup(version);
	r->name = xstrdup(l->name);
	r->kind = xstrdup(l->kind);
	r->namespaced = l->namespaced;
	r->has_verbs = l->has_verbs;
	r->prunable = l->prunable;
}

struct copying {
	struct server *s;
	struct builder *b;
};

/* Add the resources of one group version; the preferred version overrides. */
static int add_group_version(void *ctx, const char *group, const char *version, bool preferred)
{
	struct copying *cp = ctx;
	struct discovery *d = cp->b->d;
	const struct group_version *gv = find_group_version(cp->s, group, version);
	size_t i;

	BERTH_ASSERT(gv);
	for (i = 0; i < gv->n; i++) {
		struct api_resource *r = find(d, group, gv->res[i].name);

		if (r)
			add_version(r, version);
		if (r && !preferred)
			continue;
		if (!r) {
			d->resources =
			    xgrow(d->resources, sizeof(*r), d->nresources + 1, &cp->b->alloc);
			r = &d->resources[d->nresources++];
			memset(r, 0, sizeof(*r));
			add_version(r, version);
		}
		set_resource(r, group, version, &gv->res[i]);
	}
	return 0;
}

/* The server `c` talks to, as `c` sees it: found, or added. */
static struct server *server_of(struct kube_client *c)
{
	const char *identity = kube_client_identity(c);
	struct server *s = NULL;
	size_t i;

	pthread_mutex_lock(&cache.lock);
	for (i = 0; i < cache.n && !s; i++)
		if (!strcmp(cache.servers[i]->identity, identity))
			s = cache.servers[i];
	if (!s) {
		s = xcalloc(1, sizeof(*s));
		s->identity = xstrdup(identity);
		s->url = xstrdup(kube_client_server(c));
		pthread_mutex_init(&s->lock, NULL);
		cache.servers = xrealloc(cache.servers, (cache.n + 1) * sizeof(*cache.servers));
		cache.servers[cache.n++] = s;
	}
	pthread_mutex_unlock(&cache.lock);
	return s;
}

int discovery_fetch(struct discovery **out, struct kube_client *c,
                    const struct discovery_want *want, size_t n, bool all)
{
	struct server *s = server_of(c);
	struct builder b = {NULL, 0, want, n, all};
	struct copying cp = {s, &b};
	int error;

	pthread_mutex_lock(&s->lock);
	if ((error = refresh(s, c, &b)) == 0) {
		b.d = xcalloc(1, sizeof(*b.d));
		walk(s, &b, add_group_version, &cp);
		b.d->ngroups = (s->core_listed && wanted(&b, "", NULL)) + s->ngroups;
	}
	pthread_mutex_unlock(&s->lock);
	if (error < 0)
		return berth_error_prefix(error, "discovery");
	*out = b.d;
	return 0;
}

void discovery_cache_forget(const struct kube_client *c)
{
	struct server **found;
	size_t i, n = 0;

	/* Each server's lock is taken apart from the list's: a read under
	 * way holds it as long as the server takes to answer. */
	pthread_mutex_lock(&cache.lock);
	found = xcalloc(cache.n + 1, sizeof(*found));
	for (i = 0; i < cache.n; i++)
		if (!strcmp(cache.servers[i]->url, kube_client_server(c)))
			found[n++] = cache.servers[i];
	pthread_mutex_unlock(&cache.lock);
	for (i = 0; i < n; i++) {
		pthread_mutex_lock(&found[i]->lock);
		server_clear(found[i]);
		pthread_mutex_unlock(&found[i]->lock);
	}
	free(found);
}

void discovery_cache_reset(double (*now)(void))
{
	size_t i;

	pthread_mutex_lock(&cache.lock);
	for (i = 0; i < cache.n; i++) {
		server_clear(cache.servers[i]);
		pthread_mutex_destroy(&cache.servers[i]->lock);
		free(cache.servers[i]->identity);
		free(cache.servers[i]->url);
		free(cache.servers[i]);
	}
	free(cache.servers);
	cache.servers = NULL;
	cache.n = 0;
	cache.now_ms = now;
	pthread_mutex_unlock(&cache.lock);
}

void discovery_free(struct discovery *d)
{
	size_t i, j;

	if (!d)
		return;
	for (i = 0; i < d->nresources; i++) {
		free(d->resources[i].group);
		free(d->resources[i].version);
		free(d->resources[i].name);
		free(d->resources[i].kind);
		for (j = 0; j < d->resources[i].nversions; j++)
			free(d->resources[i].versions[j]);
		free(d->resources[i].versions);
	}
	free(d->resources);
	free(d);
}

size_t discovery_count_usable(const struct discovery *d)
{
	size_t i, n = 0;

	for (i = 0; i < d->nresources; i++)
		n += d->resources[i].has_verbs;
	return n;
}

const struct api_resource *discovery_find_kind(const struct discovery *d, const char *group,
                                               const char *kind)
{
	size_t i;

	for (i = 0; i < d->nresources; i++)
		if (d->resources[i].has_verbs && !strcmp(d->resources[i].group, group) &&
		    !strcmp(d->resources[i].kind, kind))
			return &d->resources[i];
	return NULL;
}

/* Append `s` percent-encoded but for letters, digits and "-._~:@" (all
 * of it, with `all`). */
static void add_escaped(struct buf *out, const char *s, bool all)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (!all && (isalnum(c) || strchr("-._~:@", c)))
			buf_addch(out, (char)c);
		else
			buf_addf(out, "%%%c%c", hex[c >> 4], hex[c & 15]);
	}
}

void api_path_segment(struct buf *out, const char *s)
{
	buf_addch(out, '/');
	add_escaped(out, s, !strcmp(s, ".") || !strcmp(s, ".."));
}

void api_query_value(struct buf *out, const char *s)
{
	add_escaped(out, s, false);
}

void api_core_path(struct buf *out, const char *ns, const char *resource, const char *name)
{
	buf_adds(out, "/api/v1/namespaces");
	api_path_segment(out, ns);
	api_path_segment(out, resource);
	if (name)
		api_path_segment(out, name);
}

void api_resource_path(struct buf *out, const struct api_resource *r, const char *version,
                       const char *namespace, const char *name)
{
	buf_adds(out, *r->group ? "/apis" : "/api");
	if (*r->group)
		api_path_segment(out, r->group);
	api_path_segment(out, version);
	if (r->namespaced && namespace && *namespace) {
		buf_adds(out, "/namespaces");
		api_path_segment(out, namespace);
	}
	api_path_segment(out, r->name);
	if (name)
		api_path_segment(out, name);
}
