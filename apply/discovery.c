/* API discovery: the server's kinds, their resources, scopes and verbs. */
#include "discovery.h"

#include "../diff/base/alloc.h"
#include "../diff/base/berth_error.h"
#include "../diff/base/json_value.h"

#include <stdlib.h>
#include <ctype.h>
#include <string.h>

struct builder {
	struct discovery *d;
	size_t alloc;
	const char *const *only; /* the API versions whose groups are read; NULL: all */
	size_t nonly;
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

	if (!b->only)
		return true;
	for (i = 0; i < b->nonly; i++)
		if (api_version_is(b->only[i], group, version))
			return true;
	return false;
}

static struct api_resource *find(struct discovery *d, const char *group, const char *name)
{
	size_t i;

	for (i = 0; i < d->nresources; i++)
		if (!strcmp(d->resources[i].group, group) && !strcmp(d->resources[i].name, name))
			return &d->resources[i];
	return NULL;
}

static bool has_verb(struct json_object *verbs, const char *verb)
{
	size_t i;

	for (i = 0; i < json_value_array_len(verbs); i++)
		if (!strcmp(json_object_get_string(json_object_array_get_idx(verbs, i)), verb))
			return true;
	return false;
}

bool api_resource_serves(const struct api_resource *r, const char *version)
{
	size_t i;

	for (i = 0; i < r->nversions; i++)
		if (!strcmp(r->versions[i], version))
			return true;
	return false;
}

static void add_version(struct api_resource *r, const char *version)
{
	if (api_resource_serves(r, version))
		return;
	r->versions = xrealloc(r->versions, (r->nversions + 1) * sizeof(*r->versions));
	r->versions[r->nversions++] = xstrdup(version);
}

static void set_resource(struct api_resource *r, const char *group, const char *version,
                         struct json_object *res)
{
	const char *kind = json_value_get_string(res, "kind");
	struct json_object *v;

	free(r->group);
	free(r->version);
	free(r->name);
	free(r->kind);
	r->group = xstrdup(group);
	r->version = xstrdup(version);
	r->name = xstrdup(json_value_get_string(res, "name"));
	r->kind = xstrdup(kind ? kind : "");
	r->namespaced =
	    json_object_object_get_ex(res, "namespaced", &v) && json_object_get_boolean(v);
	r->has_verbs = json_object_object_get_ex(res, "verbs", &v) && json_value_array_len(v) > 0;
	r->prunable = has_verb(v, "list") && has_verb(v, "delete");
}

/* Add the resources of one group version; the preferred version overrides. */
static int add_group_version(struct builder *b, struct kube_client *c, const char *group,
                             const char *version, bool preferred)
{
	struct json_object *list = NULL, *resources;
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
	for (i = 0; i < n; i++) {
		struct json_object *res = json_object_array_get_idx(resources, i);
		const char *name = json_value_get_string(res, "name");
		struct api_resource *r;

		if (!name || strchr(name, '/'))
			continue; /* a subresource */
		r = find(b->d, group, name);
		if (r)
			add_version(r, version);
		if (r && !preferred)
			continue;
		if (!r) {
			b->d->resources =
			    xgrow(b->d->resources, sizeof(*r), b->d->nresources + 1, &b->alloc);
			r = &b->d->resources[b->d->nresources++];
			memset(r, 0, sizeof(*r));
			add_version(r, version);
		}
		set_resource(r, group, version, res);
	}
out:
	json_object_put(list);
	buf_release(&path);
	return error;
}

static int add_core(struct builder *b, struct kube_client *c)
{
	struct json_object *api = NULL, *versions;
	size_t i, n;
	int error;

	if ((error = kube_client_get_json(&api, c, "/api")) < 0)
		return error;
	if (wanted(b, "", NULL) && json_object_object_get_ex(api, "versions", &versions) &&
	    json_object_is_type(versions, json_type_array)) {
		n = json_value_array_len(versions);
		for (i = 0; i < n && !error; i++) {
			const char *v =
			    json_object_get_string(json_object_array_get_idx(versions, i));
			/* A filtered read: the first (preferred) and those named. */
			if (v && (i == 0 || wanted(b, "", v)))
				error = add_group_version(b, c, "", v, i == 0);
		}
		b->d->ngroups++;
	}
	json_object_put(api);
	return error;
}

static int add_groups(struct builder *b, struct kube_client *c)
{
	struct json_object *apis = NULL, *groups;
	size_t i, j, ngroups;
	int error;

	if ((error = kube_client_get_json(&apis, c, "/apis")) < 0)
		return error;
	if (!json_object_object_get_ex(apis, "groups", &groups) ||
	    !json_object_is_type(groups, json_type_array)) {
		error =
		    berth_error_set("%s/apis: no group list in the answer", kube_client_server(c));
		goto out;
	}
	ngroups = json_object_array_length(groups);
	for (i = 0; i < ngroups && !error; i++) {
		struct json_object *g = json_object_array_get_idx(groups, i), *versions, *pv;
		const char *name = json_value_get_string(g, "name"), *preferred = NULL;

		if (!name || !json_object_object_get_ex(g, "versions", &versions))
			continue;
		if (json_object_object_get_ex(g, "preferredVersion", &pv))
			preferred = json_value_get_string(pv, "version");
		if (!wanted(b, name, NULL)) {
			b->d->ngroups++;
			continue;
		}
		for (j = 0; j < json_value_array_len(versions) && !error; j++) {
			const char *v = json_value_get_string(
			    json_object_array_get_idx(versions, j), "version");
			/* A filtered read takes the preferred version and those named. */
			if (v && (!preferred || !strcmp(v, preferred) || wanted(b, name, v)))
				error = add_group_version(b, c, name, v,
				                          preferred && !strcmp(v, preferred));
		}
		b->d->ngroups++;
	}
out:
	json_object_put(apis);
	return error;
}

int discovery_fetch(struct discovery **out, struct kube_client *c, const char *const *api_versions,
                    size_t n)
{
	struct builder b = {xcalloc(1, sizeof(struct discovery)), 0, api_versions, n};
	int error;

	if ((error = add_core(&b, c)) < 0 || (error = add_groups(&b, c)) < 0) {
		discovery_free(b.d);
		berth_error_prefix(error, "discovery");
		return error;
	}
	*out = b.d;
	return 0;
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

void api_path_segment(struct buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	bool dots = !strcmp(s, ".") || !strcmp(s, "..");

	buf_addch(out, '/');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (!dots && (isalnum(c) || strchr("-._~:@", c)))
			buf_addch(out, (char)c);
		else
			buf_addf(out, "%%%c%c", hex[c >> 4], hex[c & 15]);
	}
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
