/* kustomize's legacy output order: by kind, then namespace and name. */
#include "kustomize_order.h"

#include "base/buf.h"
#include "base/json_value.h"

#include <stdlib.h>
#include <string.h>

/* kustomize's orderFirst and orderLast (kyaml/resid/gvk.go). */
static const char *const first[] = {"Namespace",
                                    "ResourceQuota",
                                    "StorageClass",
                                    "CustomResourceDefinition",
                                    "ServiceAccount",
                                    "PodSecurityPolicy",
                                    "Role",
                                    "ClusterRole",
                                    "RoleBinding",
                                    "ClusterRoleBinding",
                                    "ConfigMap",
                                    "Secret",
                                    "Endpoints",
                                    "Service",
                                    "LimitRange",
                                    "PriorityClass",
                                    "PersistentVolume",
                                    "PersistentVolumeClaim",
                                    "Deployment",
                                    "StatefulSet",
                                    "CronJob",
                                    "PodDisruptionBudget"};
static const char *const last[] = {"MutatingWebhookConfiguration",
                                   "ValidatingWebhookConfiguration"};

#define NFIRST (sizeof(first) / sizeof(*first))
#define NLAST  (sizeof(last) / sizeof(*last))

/* The kind's rank: the first kinds below 0, the last above, others 0. */
static int rank(const char *kind)
{
	size_t i;

	for (i = 0; i < NFIRST; i++)
		if (!strcmp(first[i], kind))
			return (int)i - (int)NFIRST;
	for (i = 0; i < NLAST; i++)
		if (!strcmp(last[i], kind))
			return (int)i + 1;
	return 0;
}

static const char *field(const struct json_object *o, const char *key)
{
	const char *s = json_value_get_string((struct json_object *)o, key);

	return s ? s : "";
}

static const char *meta(const struct json_object *o, const char *key)
{
	const char *s =
	    json_value_get_string(json_value_get((struct json_object *)o, "metadata"), key);

	return s ? s : "";
}

/* "group_version_kind", each empty part as kustomize's ~G, ~V, ~K. */
static void gvk_string(struct buf *out, const struct json_object *o)
{
	const char *api = field(o, "apiVersion"), *slash = strchr(api, '/');
	const char *kind = field(o, "kind");

	buf_reset(out);
	if (slash && slash > api)
		buf_add(out, api, (size_t)(slash - api));
	else
		buf_adds(out, "~G");
	buf_addch(out, '_');
	buf_adds(out, slash ? (slash[1] ? slash + 1 : "~V") : (*api ? api : "~V"));
	buf_addf(out, "_%s", *kind ? kind : "~K");
}

/* "namespace|name", each empty as kustomize's ~X, ~N. */
static void id_string(struct buf *out, const struct json_object *o)
{
	const char *ns = meta(o, "namespace"), *name = meta(o, "name");

	buf_reset(out);
	buf_addf(out, "%s|%s", *ns ? ns : "~X", *name ? name : "~N");
}

int kustomize_order_compare(const struct json_object *a, const struct json_object *b)
{
	struct buf x = BUF_INIT, y = BUF_INIT;
	const char *ka = field(a, "kind"), *kb = field(b, "kind");
	int ra = rank(ka), rb = rank(kb), c;

	if (ra != rb)
		return ra < rb ? -1 : 1;
	gvk_string(&x, a);
	gvk_string(&y, b);
	c = strcmp(x.ptr, y.ptr);
	/* Namespaces of the core group before those of others, as kustomize
	 * sorts them. */
	if (c && !strcmp(ka, "Namespace") && !strcmp(kb, "Namespace") &&
	    (!strncmp(x.ptr, "~G_", 3) || !strncmp(y.ptr, "~G_", 3)))
		c = -c;
	if (!c) {
		id_string(&x, a);
		id_string(&y, b);
		c = strcmp(x.ptr, y.ptr);
	}
	buf_release(&x);
	buf_release(&y);
	return c;
}

static int compare(const void *a, const void *b)
{
	return kustomize_order_compare(*(struct json_object *const *)a,
	                               *(struct json_object *const *)b);
}

void kustomize_order_sort(struct json_object **objects, size_t n)
{
	if (n > 1)
		qsort(objects, n, sizeof(*objects), compare);
}
