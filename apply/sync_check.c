/* The checks of a whole commit, with what only the cluster knows. */
#include "sync_internal.h"

#include "../diff/checks.h"

#include "../diff/base/alloc.h"
#include "../diff/base/berth_error.h"
#include "../diff/base/clock.h"
#include "../diff/base/json_value.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

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
	struct json_object *items = json_value_get(list, "items");
	size_t i;

	*out = NULL;
	if (readable(list) < 0)
		return -1;
	for (i = 0; i < json_value_array_len(items); i++) {
		struct json_object *o = json_object_array_get_idx(items, i);
		const char *n = json_value_get_string(json_value_get(o, "metadata"), "name");

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

		api_core_path(&path, ns, "services", NULL);
		lookup_read(&list, l->c, path.ptr);
		json_object_object_add(l->services, ns, list);
		buf_release(&path);
	}
	found = lookup_item(&svc, list, name);
	ip = json_value_get_string(json_value_get(svc, "spec"), "clusterIP");
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
	struct json_object *list = live_classes(ctx), *items = json_value_get(list, "items");
	size_t i;
	int n = 0;

	if (readable(list) < 0)
		return -1;
	for (i = 0; i < json_value_array_len(items); i++) {
		struct json_object *cls = json_object_array_get_idx(items, i);
		const char *name = json_value_get_string(json_value_get(cls, "metadata"), "name");

		if (name && checks_class_is_default(cls)) {
			buf_adds(names, name);
			buf_addch(names, '\0');
			n++;
		}
	}
	return n;
}

size_t sync_check(struct diagnostics *diags, struct diagnostics *warnings, struct kube_client *c,
                  const struct manifest_set *set, const struct checks_known *known)
{
	struct live_lookups lookups = {c, NULL, json_object_new_object()};
	struct checks_cluster cluster = {live_service, live_storage_class, live_default_classes,
	                                 &lookups};
	size_t n = checks_run(diags, warnings, set, &cluster, known);

	json_object_put(lookups.classes);
	json_object_put(lookups.services);
	return n;
}
