/* The objects of a kustomize build under way, with their origins and former names. */
#include "kustomize_resources.h"

#include "base/alloc.h"
#include "base/json_value.h"

#include <stdlib.h>
#include <string.h>

struct kustomize_resource *kustomize_resources_add(struct kustomize_resources *rs,
                                                   struct json_object *obj, const char *file,
                                                   size_t line, size_t column)
{
	struct kustomize_resource *r;

	rs->items = xgrow(rs->items, sizeof(*rs->items), rs->n + 1, &rs->alloc);
	r = &rs->items[rs->n++];
	memset(r, 0, sizeof(*r));
	r->obj = obj;
	r->file = xstrdup_or_null(file);
	r->line = line;
	r->column = column;
	return r;
}

static void resource_release(struct kustomize_resource *r)
{
	size_t i;

	json_object_put(r->obj);
	free(r->file);
	free(r->patch);
	free(r->selector_labels);
	for (i = 0; i < r->nprev; i++) {
		free(r->prev[i].name);
		free(r->prev[i].namespace);
	}
	free(r->prev);
}

void kustomize_resources_remove(struct kustomize_resources *rs, size_t i)
{
	resource_release(&rs->items[i]);
	memmove(rs->items + i, rs->items + i + 1, (rs->n - i - 1) * sizeof(*rs->items));
	rs->n--;
}

void kustomize_resources_take(struct kustomize_resources *to, struct kustomize_resources *from)
{
	if (from->n) {
		to->items = xgrow(to->items, sizeof(*to->items), to->n + from->n, &to->alloc);
		memcpy(to->items + to->n, from->items, from->n * sizeof(*from->items));
		to->n += from->n;
	}
	free(from->items);
	*from = (struct kustomize_resources)KUSTOMIZE_RESOURCES_INIT;
}

void kustomize_resources_release(struct kustomize_resources *rs)
{
	size_t i;

	for (i = 0; i < rs->n; i++)
		resource_release(&rs->items[i]);
	free(rs->items);
	*rs = (struct kustomize_resources)KUSTOMIZE_RESOURCES_INIT;
}

static const char *string_or_empty(const char *s)
{
	return s ? s : "";
}

bool kustomize_object_has_identity(struct json_object *obj)
{
	const char *kind = json_value_get_string(obj, "kind");
	struct json_object *name = json_value_get(json_value_get(obj, "metadata"), "name");

	if (!json_object_is_type(obj, json_type_object) || !kind || !*kind)
		return false;
	if (json_object_is_type(name, json_type_string))
		return *json_object_get_string(name) != '\0';
	return json_object_is_type(name, json_type_int) ||
	       json_object_is_type(name, json_type_double) ||
	       json_object_is_type(name, json_type_boolean);
}

const char *kustomize_resource_kind(const struct kustomize_resource *r)
{
	return string_or_empty(json_value_get_string(r->obj, "kind"));
}

const char *kustomize_resource_name(const struct kustomize_resource *r)
{
	return string_or_empty(json_value_get_string(json_value_get(r->obj, "metadata"), "name"));
}

const char *kustomize_resource_namespace(const struct kustomize_resource *r)
{
	return string_or_empty(
	    json_value_get_string(json_value_get(r->obj, "metadata"), "namespace"));
}

void kustomize_resource_group(struct buf *out, const struct kustomize_resource *r)
{
	const char *v = string_or_empty(json_value_get_string(r->obj, "apiVersion"));
	const char *slash = strchr(v, '/');

	if (slash)
		buf_add(out, v, (size_t)(slash - v));
}

/* metadata, made when missing. */
static struct json_object *metadata(struct json_object *obj)
{
	struct json_object *meta = json_value_get(obj, "metadata");

	if (!json_object_is_type(meta, json_type_object)) {
		meta = json_object_new_object();
		json_object_object_add(obj, "metadata", meta);
	}
	return meta;
}

void kustomize_resource_rename(struct kustomize_resource *r, const char *name,
                               const char *namespace)
{
	const char *was_name = kustomize_resource_name(r);
	const char *was_ns = kustomize_resource_namespace(r);
	struct kustomize_id *id;

	if ((!name || !strcmp(name, was_name)) && (!namespace || !strcmp(namespace, was_ns)))
		return;
	r->prev = xrealloc(r->prev, (r->nprev + 1) * sizeof(*r->prev));
	id = &r->prev[r->nprev++];
	id->name = xstrdup(was_name);
	id->namespace = xstrdup(was_ns);
	if (name)
		json_object_object_add(metadata(r->obj), "name", json_object_new_string(name));
	if (namespace && *namespace)
		json_object_object_add(metadata(r->obj), "namespace",
		                       json_object_new_string(namespace));
	else if (namespace)
		json_object_object_del(metadata(r->obj), "namespace");
}

bool kustomize_resource_was(const struct kustomize_resource *r, const char *name, const char *ns)
{
	size_t i;

	if (!strcmp(kustomize_resource_name(r), name) &&
	    (!ns || !strcmp(kustomize_resource_namespace(r), ns)))
		return true;
	for (i = 0; i < r->nprev; i++)
		if (!strcmp(r->prev[i].name, name) && (!ns || !strcmp(r->prev[i].namespace, ns)))
			return true;
	return false;
}

const char *kustomize_resource_first_name(const struct kustomize_resource *r)
{
	return r->nprev ? r->prev[0].name : kustomize_resource_name(r);
}

const char *kustomize_resource_first_namespace(const struct kustomize_resource *r)
{
	return r->nprev ? r->prev[0].namespace : kustomize_resource_namespace(r);
}
