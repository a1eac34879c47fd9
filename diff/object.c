/* Object identity: group, version, kind, namespace and name, read from an
 * object, validated as the API names them, and compared. */
#include "object.h"

#include "base/alloc.h"
#include "base/berth_error.h"
#include "base/json_value.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *group, *kind;
} cluster_scoped[] = {
    {"", "ComponentStatus"},
    {"", "Namespace"},
    {"", "Node"},
    {"", "PersistentVolume"},
    {"admissionregistration.k8s.io", "MutatingWebhookConfiguration"},
    {"admissionregistration.k8s.io", "ValidatingWebhookConfiguration"},
    {"apiextensions.k8s.io", "CustomResourceDefinition"},
    {"apiregistration.k8s.io", "APIService"},
    {"certificates.k8s.io", "CertificateSigningRequest"},
    {"flowcontrol.apiserver.k8s.io", "FlowSchema"},
    {"flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"},
    {"networking.k8s.io", "IngressClass"},
    {"node.k8s.io", "RuntimeClass"},
    {"policy", "PodSecurityPolicy"},
    {"rbac.authorization.k8s.io", "ClusterRole"},
    {"rbac.authorization.k8s.io", "ClusterRoleBinding"},
    {"scheduling.k8s.io", "PriorityClass"},
    {"storage.k8s.io", "CSIDriver"},
    {"storage.k8s.io", "CSINode"},
    {"storage.k8s.io", "StorageClass"},
    {"storage.k8s.io", "VolumeAttachment"},
};

bool object_kind_is_cluster_scoped(const char *group, const char *kind)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cluster_scoped); i++)
		if (!strcmp(cluster_scoped[i].group, group) &&
		    !strcmp(cluster_scoped[i].kind, kind))
			return true;
	return false;
}

/* A required string field: present, a string, not empty. *bad is where the
 * problem is: the value, or `obj` when it is missing. */
static int required(const char **out, struct json_object **bad, struct json_object *obj,
                    const char *key, const char *path)
{
	struct json_object *v = json_value_get(obj, key);

	*bad = v ? v : obj;
	if (!v)
		return berth_error_set("%s is missing", path);
	if (!json_object_is_type(v, json_type_string))
		return berth_error_set("%s must be a string, not %s", path,
		                       json_type_to_name(json_object_get_type(v)));
	if (!json_object_get_string_len(v))
		return berth_error_set("%s is empty", path);
	*out = json_object_get_string(v);
	return 0;
}

int object_id_read(struct object_id *out, struct json_object **bad, struct json_object *obj,
                   const char *default_namespace)
{
	const char *api_version, *kind, *name, *ns = NULL, *slash;
	struct json_object *metadata, *nsv, *at = obj;

	if (!bad)
		bad = &at;
	*bad = obj;
	if (!json_object_is_type(obj, json_type_object))
		return berth_error_set("a manifest must be a mapping, not %s",
		                       json_type_to_name(json_object_get_type(obj)));
	if (required(&api_version, bad, obj, "apiVersion", "apiVersion") < 0 ||
	    required(&kind, bad, obj, "kind", "kind") < 0)
		return -1;
	metadata = json_value_get(obj, "metadata");
	*bad = metadata ? metadata : obj;
	if (!json_object_is_type(metadata, json_type_object))
		return berth_error_set(metadata ? "metadata must be a mapping"
		                                : "metadata is missing");
	if (required(&name, bad, metadata, "name", "metadata.name") < 0)
		return -1;
	nsv = json_value_get(metadata, "namespace");
	*bad = nsv;
	if (nsv && !json_object_is_type(nsv, json_type_string))
		return berth_error_set("metadata.namespace must be a string");
	if (nsv)
		ns = json_object_get_string(nsv);

	memset(out, 0, sizeof(*out));
	slash = strchr(api_version, '/');
	out->group = slash ? xstrndup(api_version, (size_t)(slash - api_version)) : xstrdup("");
	out->version = xstrdup(slash ? slash + 1 : api_version);
	out->kind = xstrdup(kind);
	out->name = xstrdup(name);
	if (object_kind_is_cluster_scoped(out->group, kind))
		out->namespace = xstrdup("");
	else
		out->namespace = xstrdup(ns && *ns ? ns : default_namespace);
	return 0;
}

/* A DNS-1123 label: at most 63 of [a-z0-9-], alphanumeric at both ends;
 * with `letter`, starting with a letter (DNS-1035). */
static bool dns_label(const char *s, size_t n, bool letter)
{
	size_t i;

	if (!n || n > 63 || s[0] == '-' || s[n - 1] == '-' ||
	    (letter && !isalpha((unsigned char)s[0])))
		return false;
	for (i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '-'))
			return false;
	return true;
}

/* A DNS-1123 subdomain: labels joined by '.', at most 253 in all. */
static bool dns_subdomain(const char *s)
{
	size_t n = strlen(s), len;

	if (!n || n > 253)
		return false;
	for (; *s; s += len + (s[len] == '.')) {
		len = strcspn(s, ".");
		if (!dns_label(s, len, false) || (s[len] == '.' && !s[len + 1]))
			return false;
	}
	return true;
}

static bool path_segment(const char *s)
{
	return *s && strcmp(s, ".") && strcmp(s, "..") && !strpbrk(s, "/%");
}

int object_id_validate(const char **field, const struct object_id *id)
{
	bool rbac = !strcmp(id->group, "rbac.authorization.k8s.io");
	size_t i;

	*field = "apiVersion";
	for (i = 0; id->version[i]; i++)
		if (!islower((unsigned char)id->version[i]) &&
		    !isdigit((unsigned char)id->version[i]))
			return berth_error_set("apiVersion '%s%s%s': the version must be lowercase "
			                       "letters and digits",
			                       id->group, *id->group ? "/" : "", id->version);
	if (!*id->version || (*id->group && !dns_subdomain(id->group)))
		return berth_error_set("apiVersion '%s%s%s' is not a group/version", id->group,
		                       *id->group ? "/" : "", id->version);
	*field = "metadata.namespace";
	if (*id->namespace && !dns_label(id->namespace, strlen(id->namespace), false))
		return berth_error_set(
		    "metadata.namespace '%s' is not a namespace name (a DNS label: "
		    "lowercase letters, digits and '-', at most 63)",
		    id->namespace);
	*field = "metadata.name";
	if (rbac ? !path_segment(id->name)
	    : !*id->group && !strcmp(id->kind, "Service")
	        ? !dns_label(id->name, strlen(id->name), true)
	    : !*id->group && !strcmp(id->kind, "Namespace")
	        ? !dns_label(id->name, strlen(id->name), false)
	        : !dns_subdomain(id->name))
		return berth_error_set(
		    "metadata.name '%s' is not a valid name for a %s (%s)", id->name, id->kind,
		    rbac ? "no '/' or '%', not '.' or '..'"
		    : !*id->group && !strcmp(id->kind, "Service")
		        ? "a DNS label that starts with a letter: lowercase letters, digits and "
		          "'-', at "
		          "most 63"
		    : !*id->group && !strcmp(id->kind, "Namespace")
		        ? "a DNS label: lowercase letters, digits and '-', at most 63"
		        : "a DNS subdomain: lowercase letters, digits, '-' and '.', at most 253");
	return 0;
}

void object_id_release(struct object_id *id)
{
	free(id->group);
	free(id->version);
	free(id->kind);
	free(id->namespace);
	free(id->name);
	memset(id, 0, sizeof(*id));
}

int object_id_cmp(const struct object_id *a, const struct object_id *b)
{
	int c;

	if ((c = strcmp(a->group, b->group)) || (c = strcmp(a->kind, b->kind)) ||
	    (c = strcmp(a->namespace, b->namespace)))
		return c;
	return strcmp(a->name, b->name);
}

bool object_id_equal(const struct object_id *a, const struct object_id *b)
{
	return object_id_cmp(a, b) == 0;
}

void object_kind_lower(struct buf *out, const char *kind)
{
	for (; *kind; kind++)
		buf_addch(out, (char)tolower((unsigned char)*kind));
}

void object_id_describe(struct buf *out, const struct object_id *id)
{
	object_kind_lower(out, id->kind);
	if (*id->group && strcmp(id->group, "apps") && !strstr(id->group, ".k8s.io")) {
		buf_addch(out, '.');
		buf_adds(out, id->group);
	}
	buf_addch(out, ' ');
	if (*id->namespace)
		buf_addf(out, "%s/", id->namespace);
	buf_adds(out, id->name);
}
