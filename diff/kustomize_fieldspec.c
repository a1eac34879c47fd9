/* kustomize's field specs: the paths its built-in transformers change. */
#include "kustomize_fieldspec.h"

#include "base/berth_error.h"
#include "base/buf.h"
#include "base/json_value.h"

#include <string.h>

bool kustomize_fieldspec_matches(const struct kustomize_fieldspec *fs,
                                 const struct kustomize_resource *r)
{
	const char *api = json_value_get_string(r->obj, "apiVersion");
	const char *slash;
	const char *version;
	size_t group_len;

	if (fs->kind && strcmp(fs->kind, kustomize_resource_kind(r)))
		return false;
	api = api ? api : "";
	slash = strchr(api, '/');
	group_len = slash ? (size_t)(slash - api) : 0;
	version = slash ? slash + 1 : api;
	if (fs->group && (strlen(fs->group) != group_len || strncmp(fs->group, api, group_len)))
		return false;
	return !fs->version || !strcmp(fs->version, version);
}

struct walk {
	const struct kustomize_fieldspec *fs;
	const struct kustomize_resource *r;
	kustomize_fieldspec_fn *fn;
	void *arg;
};

static int walk(struct walk *w, struct json_object *node, const char *path);

/* kustomize walks a list on the way element by element, the path unchanged. */
static int walk_list(struct walk *w, struct json_object *list, const char *path)
{
	size_t i;

	for (i = 0; i < json_value_array_len(list); i++)
		if (walk(w, json_object_array_get_idx(list, i), path))
			return -1;
	return 0;
}

static int walk(struct walk *w, struct json_object *node, const char *path)
{
	const char *end = strchr(path, '/');
	size_t len = end ? (size_t)(end - path) : strlen(path);
	bool list = len >= 2 && !strncmp(path + len - 2, "[]", 2);
	struct buf key = BUF_INIT;
	struct json_object *child;
	int error = 0;

	if (json_object_is_type(node, json_type_array))
		return walk_list(w, node, path);
	if (!json_object_is_type(node, json_type_object))
		return berth_error_set("%s '%s': %s: '%.*s' is in a value that is not a map",
		                       kustomize_resource_kind(w->r), kustomize_resource_name(w->r),
		                       w->fs->path, (int)len, path);
	buf_add(&key, path, list ? len - 2 : len);
	child = json_value_get(node, key.ptr);
	if (!end) {
		/* A list at the end is never made: kustomize only makes maps and
		 * the values its transformers set. */
		if (child || (w->fs->create && !list))
			error = w->fn(node, key.ptr, w->arg);
		if (error)
			error =
			    berth_error_prefix(error, "%s '%s': %s", kustomize_resource_kind(w->r),
			                       kustomize_resource_name(w->r), w->fs->path);
		goto out;
	}
	if (!child) {
		/* A null on the way is made a map as a missing field is. */
		if (!w->fs->create || list)
			goto out;
		child = json_object_new_object();
		json_object_object_add(node, key.ptr, child);
	}
	error = walk(w, child, end + 1);
out:
	buf_release(&key);
	return error;
}

int kustomize_fieldspec_apply(const struct kustomize_fieldspec *fs, struct kustomize_resource *r,
                              kustomize_fieldspec_fn *fn, void *arg)
{
	struct walk w = {.fs = fs, .r = r, .fn = fn, .arg = arg};

	return walk(&w, r->obj, fs->path);
}

int kustomize_fieldspec_apply_all(const struct kustomize_fieldspec *specs,
                                  struct kustomize_resource *r, kustomize_fieldspec_fn *fn,
                                  void *arg)
{
	for (; specs->path; specs++)
		if (kustomize_fieldspec_matches(specs, r) &&
		    kustomize_fieldspec_apply(specs, r, fn, arg))
			return -1;
	return 0;
}

int kustomize_fieldspec_set_map(bool *changed, struct json_object *parent, const char *key,
                                struct json_object *map)
{
	struct json_object *to = json_value_get(parent, key);

	if (!to) {
		to = json_object_new_object();
		json_object_object_add(parent, key, to);
	}
	if (!json_object_is_type(to, json_type_object))
		return berth_error_set("not a map");
	json_object_object_foreach(map, k, v)
	{
		const char *was = json_value_get_string(to, k);

		if (!was || strcmp(was, json_object_get_string(v)))
			*changed = true;
		json_object_object_add(to, k, json_object_get(v));
	}
	return 0;
}

int kustomize_fieldspec_check_map(struct json_object *map, const char *what)
{
	if (!map)
		return 0;
	if (!json_object_is_type(map, json_type_object))
		return berth_error_set("%s: not a map", what);
	json_object_object_foreach(map, k, v)
	{
		if (!json_object_is_type(v, json_type_string))
			return berth_error_set("%s '%s': not a string", what, k);
	}
	return 0;
}
