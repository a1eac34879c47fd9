/* Name references (api/filters/nameref/nameref.go with kustomize v5.5's
 * default nameReference configuration, builtinpluginconsts/namereference.go). */
#include "kustomize_nameref.h"

#include "base/alloc.h"
#include "base/berth_error.h"
#include "base/buf.h"
#include "base/json_value.h"
#include "object.h"

#include <stdlib.h>
#include <string.h>

#define NAMEREF_MAX_DEPTH 32 /* steps in one field path */

/* A referring field: objects of kind (group, version: "" for any) `kind`
 * refer at `path` to objects of kind `ref` (ref_group, ref_version). */
struct nameref_spec {
	const char *ref, *ref_group, *ref_version;
	const char *kind, *group, *version;
	const char *path;
};

/* Where each workload kind keeps its pod spec, as the default
 * configuration repeats it for every referring field of a pod. */
static const struct {
	const char *kind, *version, *spec;
} pod_specs[] = {
    {"Pod", "v1", "spec"},
    {"PodTemplate", "", "template/spec"},
    {"Deployment", "", "spec/template/spec"},
    {"ReplicaSet", "", "spec/template/spec"},
    {"DaemonSet", "", "spec/template/spec"},
    {"StatefulSet", "", "spec/template/spec"},
    {"Job", "", "spec/template/spec"},
    {"CronJob", "", "spec/jobTemplate/spec/template/spec"},
};

/* The fields of a pod spec that name a ConfigMap or a Secret. */
static const struct {
	const char *ref, *path;
} pod_refs[] = {
    {"ConfigMap", "volumes/configMap/name"},
    {"ConfigMap", "containers/env/valueFrom/configMapKeyRef/name"},
    {"ConfigMap", "initContainers/env/valueFrom/configMapKeyRef/name"},
    {"ConfigMap", "containers/envFrom/configMapRef/name"},
    {"ConfigMap", "initContainers/envFrom/configMapRef/name"},
    {"ConfigMap", "volumes/projected/sources/configMap/name"},
    {"Secret", "volumes/secret/secretName"},
    {"Secret", "containers/env/valueFrom/secretKeyRef/name"},
    {"Secret", "initContainers/env/valueFrom/secretKeyRef/name"},
    {"Secret", "containers/envFrom/secretRef/name"},
    {"Secret", "initContainers/envFrom/secretRef/name"},
    {"Secret", "imagePullSecrets/name"},
    {"Secret", "volumes/projected/sources/secret/name"},
};

/* The rest of the default configuration, as it lists it. */
static const struct nameref_spec specs[] = {
    {"Deployment", "", "", "HorizontalPodAutoscaler", "", "", "spec/scaleTargetRef/name"},
    {"ReplicationController", "", "", "HorizontalPodAutoscaler", "", "",
     "spec/scaleTargetRef/name"},
    {"ReplicaSet", "", "", "HorizontalPodAutoscaler", "", "", "spec/scaleTargetRef/name"},
    {"StatefulSet", "", "", "HorizontalPodAutoscaler", "", "", "spec/scaleTargetRef/name"},
    {"ConfigMap", "", "v1", "Node", "", "", "spec/configSource/configMap"},
    {"ConfigMap", "", "v1", "Role", "", "", "rules/resourceNames"},
    {"ConfigMap", "", "v1", "ClusterRole", "", "", "rules/resourceNames"},
    {"ConfigMap", "", "v1", "Ingress", "", "",
     "metadata/annotations/nginx.ingress.kubernetes.io\\/fastcgi-params-configmap"},
    {"Secret", "", "v1", "Ingress", "", "", "spec/tls/secretName"},
    {"Secret", "", "v1", "Ingress", "", "",
     "metadata/annotations/ingress.kubernetes.io\\/auth-secret"},
    {"Secret", "", "v1", "Ingress", "", "",
     "metadata/annotations/nginx.ingress.kubernetes.io\\/auth-secret"},
    {"Secret", "", "v1", "Ingress", "", "",
     "metadata/annotations/nginx.ingress.kubernetes.io\\/auth-tls-secret"},
    {"Secret", "", "v1", "ServiceAccount", "", "", "imagePullSecrets/name"},
    {"Secret", "", "v1", "StorageClass", "", "", "parameters/secretName"},
    {"Secret", "", "v1", "StorageClass", "", "", "parameters/adminSecretName"},
    {"Secret", "", "v1", "StorageClass", "", "", "parameters/userSecretName"},
    {"Secret", "", "v1", "StorageClass", "", "", "parameters/secretRef"},
    {"Secret", "", "v1", "Role", "", "", "rules/resourceNames"},
    {"Secret", "", "v1", "ClusterRole", "", "", "rules/resourceNames"},
    {"Secret", "", "v1", "Service", "serving.knative.dev", "v1",
     "spec/template/spec/containers/env/valueFrom/secretKeyRef/name"},
    {"Secret", "", "v1", "PersistentVolume", "", "", "spec/azureFile/secretName"},
    {"Service", "", "v1", "StatefulSet", "apps", "", "spec/serviceName"},
    {"Service", "", "v1", "Ingress", "", "", "spec/rules/http/paths/backend/serviceName"},
    {"Service", "", "v1", "Ingress", "", "", "spec/backend/serviceName"},
    {"Service", "", "v1", "Ingress", "", "", "spec/rules/http/paths/backend/service/name"},
    {"Service", "", "v1", "Ingress", "", "", "spec/defaultBackend/service/name"},
    {"Service", "", "v1", "APIService", "apiregistration.k8s.io", "", "spec/service/name"},
    {"Service", "", "v1", "ValidatingWebhookConfiguration", "admissionregistration.k8s.io", "",
     "webhooks/clientConfig/service"},
    {"Service", "", "v1", "MutatingWebhookConfiguration", "admissionregistration.k8s.io", "",
     "webhooks/clientConfig/service"},
    {"Service", "", "v1", "HTTPRoute", "", "", "spec/rules/backendRefs/name"},
    {"Role", "rbac.authorization.k8s.io", "", "RoleBinding", "rbac.authorization.k8s.io", "",
     "roleRef/name"},
    {"ClusterRole", "rbac.authorization.k8s.io", "", "RoleBinding", "rbac.authorization.k8s.io", "",
     "roleRef/name"},
    {"ClusterRole", "rbac.authorization.k8s.io", "", "ClusterRoleBinding",
     "rbac.authorization.k8s.io", "", "roleRef/name"},
    {"ServiceAccount", "", "v1", "RoleBinding", "rbac.authorization.k8s.io", "", "subjects"},
    {"ServiceAccount", "", "v1", "ClusterRoleBinding", "rbac.authorization.k8s.io", "", "subjects"},
    {"ServiceAccount", "", "v1", "Pod", "", "", "spec/serviceAccountName"},
    {"ServiceAccount", "", "v1", "StatefulSet", "", "", "spec/template/spec/serviceAccountName"},
    {"ServiceAccount", "", "v1", "Deployment", "", "", "spec/template/spec/serviceAccountName"},
    {"ServiceAccount", "", "v1", "ReplicationController", "", "",
     "spec/template/spec/serviceAccountName"},
    {"ServiceAccount", "", "v1", "CronJob", "", "",
     "spec/jobTemplate/spec/template/spec/serviceAccountName"},
    {"ServiceAccount", "", "v1", "Job", "", "", "spec/template/spec/serviceAccountName"},
    {"ServiceAccount", "", "v1", "DaemonSet", "", "", "spec/template/spec/serviceAccountName"},
    {"PersistentVolumeClaim", "", "v1", "Pod", "", "",
     "spec/volumes/persistentVolumeClaim/claimName"},
    {"PersistentVolumeClaim", "", "v1", "StatefulSet", "", "",
     "spec/template/spec/volumes/persistentVolumeClaim/claimName"},
    {"PersistentVolumeClaim", "", "v1", "Deployment", "", "",
     "spec/template/spec/volumes/persistentVolumeClaim/claimName"},
    {"PersistentVolumeClaim", "", "v1", "ReplicationController", "", "",
     "spec/template/spec/volumes/persistentVolumeClaim/claimName"},
    {"PersistentVolumeClaim", "", "v1", "CronJob", "", "",
     "spec/jobTemplate/spec/template/spec/volumes/persistentVolumeClaim/claimName"},
    {"PersistentVolumeClaim", "", "v1", "Job", "", "",
     "spec/template/spec/volumes/persistentVolumeClaim/claimName"},
    {"PersistentVolumeClaim", "", "v1", "DaemonSet", "", "",
     "spec/template/spec/volumes/persistentVolumeClaim/claimName"},
    {"PersistentVolume", "", "v1", "PersistentVolumeClaim", "", "", "spec/volumeName"},
    {"PersistentVolume", "", "v1", "ClusterRole", "", "", "rules/resourceNames"},
    {"StorageClass", "storage.k8s.io", "v1", "PersistentVolume", "", "", "spec/storageClassName"},
    {"StorageClass", "storage.k8s.io", "v1", "PersistentVolumeClaim", "", "",
     "spec/storageClassName"},
    {"StorageClass", "storage.k8s.io", "v1", "StatefulSet", "", "",
     "spec/volumeClaimTemplates/spec/storageClassName"},
    {"PriorityClass", "scheduling.k8s.io", "v1", "Pod", "", "", "spec/priorityClassName"},
    {"PriorityClass", "scheduling.k8s.io", "v1", "StatefulSet", "", "",
     "spec/template/spec/priorityClassName"},
    {"PriorityClass", "scheduling.k8s.io", "v1", "Deployment", "", "",
     "spec/template/spec/priorityClassName"},
    {"PriorityClass", "scheduling.k8s.io", "v1", "ReplicationController", "", "",
     "spec/template/spec/priorityClassName"},
    {"PriorityClass", "scheduling.k8s.io", "v1", "CronJob", "", "",
     "spec/jobTemplate/spec/template/spec/priorityClassName"},
    {"PriorityClass", "scheduling.k8s.io", "v1", "Job", "", "",
     "spec/template/spec/priorityClassName"},
    {"PriorityClass", "scheduling.k8s.io", "v1", "DaemonSet", "", "",
     "spec/template/spec/priorityClassName"},
    /* Sic: kustomize's group for IngressClass has the version in it, so
     * this entry selects nothing. */
    {"IngressClass", "networking.k8s.io/v1", "v1", "Ingress", "", "", "spec/ingressClassName"},
};

/* Is an object of apiVersion `api` and kind `kind` selected by (group,
 * version, kind), "" selecting any? resid's IsSelected. */
static bool gvk_selected(const char *api, const char *kind, const char *group, const char *version,
                         const char *want_kind)
{
	const char *slash = strchr(api, '/');
	size_t glen = slash ? (size_t)(slash - api) : 0;
	const char *v = slash ? slash + 1 : api;

	if (*group && (strlen(group) != glen || strncmp(group, api, glen)))
		return false;
	if (*version && strcmp(version, v))
		return false;
	return !*want_kind || !strcmp(want_kind, kind);
}

static const char *api_of(const struct kustomize_resource *r)
{
	const char *api = json_value_get_string(r->obj, "apiVersion");

	return api ? api : "";
}

static bool cluster_scoped(const struct kustomize_resource *r)
{
	struct buf group = BUF_INIT;
	bool yes;

	kustomize_resource_group(&group, r);
	yes = object_kind_is_cluster_scoped(group.ptr, kustomize_resource_kind(r));
	buf_release(&group);
	return yes;
}

static bool ns_equal(const char *a, const char *b)
{
	return !strcmp(*a ? a : "default", *b ? b : "default");
}

/* SubsetThatCouldBeReferencedByResource: may `referrer` refer to `c`? */
static bool reachable(const struct kustomize_resource *referrer, const struct kustomize_resource *c)
{
	struct json_object *subjects;
	size_t i;

	if (cluster_scoped(referrer) || cluster_scoped(c) ||
	    ns_equal(kustomize_resource_namespace(referrer), kustomize_resource_namespace(c)))
		return true;
	if (strcmp(kustomize_resource_kind(referrer), "RoleBinding"))
		return false;
	subjects = json_value_get(referrer->obj, "subjects");
	for (i = 0; i < json_value_array_len(subjects); i++) {
		struct json_object *s = json_object_array_get_idx(subjects, i);
		const char *ns = json_value_get_string(s, "namespace");
		const char *kind = json_value_get_string(s, "kind");

		if (ns && kind && !strcmp(kind, "ServiceAccount") &&
		    ns_equal(ns, kustomize_resource_namespace(c)))
			return true;
	}
	return false;
}

/* A name an object had before its last change, and the object's index:
 * sorted, so the objects that had a name are found without a scan. */
struct had {
	const char *name;
	size_t at;
};

struct ref {
	struct kustomize_resources *rs;
	struct kustomize_resource *referrer;
	const char *kind, *group, *version, *path;
	const struct had *had; /* sorted by name, then index */
	size_t nhad;
};

static int had_order(const void *a, const void *b)
{
	const struct had *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->at > y->at) - (x->at < y->at);
}

/* The first entry of `had` for `name`, or `n` when none. */
static size_t had_first(const struct had *had, size_t n, const char *name)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(had[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && !strcmp(had[lo].name, name) ? lo : n;
}

/* Did `c` have `name` before its last change of name? (kustomize's PrevIds
 * leave out the current one.) */
static bool had_name(const struct kustomize_resource *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nprev; i++)
		if (!strcmp(c->prev[i].name, name))
			return true;
	return false;
}

/* selectReferral's sieves on one candidate. */
static bool candidate(const struct ref *ref, const struct kustomize_resource *c, const char *name)
{
	if (!had_name(c, name) || !gvk_selected(api_of(c), kustomize_resource_kind(c), ref->group,
	                                        ref->version, ref->kind))
		return false;
	if (strlen(ref->path) >= 12 &&
	    !strcmp(ref->path + strlen(ref->path) - 12, "roleRef/name")) {
		struct json_object *role = json_value_get(ref->referrer->obj, "roleRef");
		const char *group = json_value_get_string(role, "apiGroup");
		const char *kind = json_value_get_string(role, "kind");
		struct buf g = BUF_INIT;
		bool same;

		kustomize_resource_group(&g, c);
		same = !group || !kind ||
		       (!strcmp(group, g.ptr) && !strcmp(kind, kustomize_resource_kind(c)));
		buf_release(&g);
		if (!same)
			return false;
	}
	return cluster_scoped(ref->referrer) || cluster_scoped(c) ||
	       !strcmp(kustomize_resource_kind(c), "ServiceAccount") ||
	       ns_equal(kustomize_resource_namespace(ref->referrer),
	                kustomize_resource_namespace(c));
}

/* The object `name` refers to, or NULL; `ns` (NULL: none) is the namespace
 * a {name, namespace} map gives, which picks the candidates by their first
 * namespace, or else their current one. */
static int referral(struct kustomize_resource **out, const struct ref *ref, const char *name,
                    const char *ns)
{
	struct kustomize_resource *found = NULL;
	size_t i, n = 0;
	int pass;

	*out = NULL;
	for (pass = 0; pass < 2; pass++) {
		bool any = false;
		/* A string reference looks only at the objects that had the
		 * name; a {name, namespace} one at all (for `any`). */
		size_t h = ns ? 0 : had_first(ref->had, ref->nhad, name);

		for (i = 0; ns ? i < ref->rs->n : h < ref->nhad; i++) {
			struct kustomize_resource *c;
			const char *have;

			if (!ns) {
				if (strcmp(ref->had[h].name, name))
					break;
				if (h && !strcmp(ref->had[h - 1].name, name) &&
				    ref->had[h - 1].at == ref->had[h].at) {
					h++;
					continue;
				}
				c = &ref->rs->items[ref->had[h++].at];
			} else {
				c = &ref->rs->items[i];
			}
			have = pass ? kustomize_resource_namespace(c)
			            : kustomize_resource_first_namespace(c);
			if (!reachable(ref->referrer, c) || (ns && !ns_equal(have, ns)))
				continue;
			any = true;
			if (!candidate(ref, c, name))
				continue;
			if (found &&
			    (strcmp(kustomize_resource_name(found), kustomize_resource_name(c)) ||
			     (ns && !ns_equal(kustomize_resource_namespace(found),
			                      kustomize_resource_namespace(c)))))
				return berth_error_set(
				    "%s '%s': '%s' at %s could be %s '%s' or '%s'",
				    kustomize_resource_kind(ref->referrer),
				    kustomize_resource_name(ref->referrer), name, ref->path,
				    ref->kind, kustomize_resource_name(found),
				    kustomize_resource_name(c));
			if (!found)
				found = c;
			n++;
		}
		if (!ns || any)
			break;
	}
	*out = found;
	return 0;
}

static int set_value(const struct ref *ref, struct json_object *parent, const char *key, size_t idx,
                     struct json_object *v)
{
	struct kustomize_resource *to;
	int error;

	if (json_object_is_type(v, json_type_string)) {
		if ((error = referral(&to, ref, json_object_get_string(v), NULL)) < 0 || !to ||
		    !strcmp(kustomize_resource_name(to), json_object_get_string(v)))
			return error;
		if (key)
			json_object_object_add(parent, key,
			                       json_object_new_string(kustomize_resource_name(to)));
		else
			json_object_array_put_idx(
			    parent, idx, json_object_new_string(kustomize_resource_name(to)));
		return 0;
	}
	if (json_object_is_type(v, json_type_object)) {
		const char *name = json_value_get_string(v, "name");
		const char *ns = json_value_get_string(v, "namespace");

		if (!name)
			return 0;
		if ((error = referral(&to, ref, name, ns)) < 0 || !to)
			return error;
		json_object_object_add(v, "name",
		                       json_object_new_string(kustomize_resource_name(to)));
		if (*kustomize_resource_namespace(to))
			json_object_object_add(
			    v, "namespace",
			    json_object_new_string(kustomize_resource_namespace(to)));
		return 0;
	}
	if (json_object_is_type(v, json_type_array) && !key) {
		return 0;
	}
	if (json_object_is_type(v, json_type_array)) {
		size_t i;

		for (i = 0; i < json_object_array_length(v); i++)
			if ((error = set_value(ref, v, NULL, i, json_object_array_get_idx(v, i))) <
			    0)
				return error;
	}
	return 0;
}

/* Walk `path` ('/'-separated, "\/" a slash in a key) from `at`, through
 * every element of the lists on the way. */
static int walk(const struct ref *ref, struct json_object *at, const char *path, size_t depth)
{
	struct buf key = BUF_INIT;
	struct json_object *v;
	const char *p = path;
	size_t i;
	int error = 0;

	if (depth > NAMEREF_MAX_DEPTH)
		return 0;
	if (json_object_is_type(at, json_type_array)) {
		for (i = 0; i < json_object_array_length(at) && !error; i++)
			error = walk(ref, json_object_array_get_idx(at, i), path, depth + 1);
		return error;
	}
	for (; *p && *p != '/'; p++) {
		if (*p == '\\' && p[1] == '/')
			p++;
		buf_addch(&key, *p);
	}
	v = json_value_get(at, key.ptr);
	if (v && *p == '/')
		error = walk(ref, v, p + 1, depth + 1);
	else if (v)
		error = set_value(ref, at, key.ptr, 0, v);
	buf_release(&key);
	return error;
}

static int apply_spec(struct kustomize_resources *rs, struct kustomize_resource *referrer,
                      const struct nameref_spec *s, const struct had *had, size_t nhad)
{
	struct ref ref = {rs, referrer, s->ref, s->ref_group, s->ref_version, s->path, had, nhad};

	if (!gvk_selected(api_of(referrer), kustomize_resource_kind(referrer), s->group, s->version,
	                  s->kind))
		return 0;
	return walk(&ref, referrer->obj, s->path, 0);
}

int kustomize_name_references_with(struct kustomize_resources *rs, struct json_object *extra)
{
	struct buf path = BUF_INIT;
	struct had *had = NULL;
	size_t i, j, k, nhad = 0, alloc = 0;
	int error = 0;

	for (i = 0; i < rs->n; i++)
		for (j = 0; j < rs->items[i].nprev; j++) {
			had = xgrow(had, sizeof(*had), nhad + 1, &alloc);
			had[nhad].name = rs->items[i].prev[j].name;
			had[nhad++].at = i;
		}
	if (nhad)
		qsort(had, nhad, sizeof(*had), had_order);
	for (i = 0; i < rs->n && !error; i++) {
		struct kustomize_resource *r = &rs->items[i];

		for (j = 0; j < sizeof(pod_specs) / sizeof(*pod_specs) && !error; j++) {
			if (strcmp(kustomize_resource_kind(r), pod_specs[j].kind))
				continue;
			for (k = 0; k < sizeof(pod_refs) / sizeof(*pod_refs) && !error; k++) {
				struct nameref_spec s = {
				    pod_refs[k].ref,      "",  "v1", pod_specs[j].kind, "",
				    pod_specs[j].version, NULL};

				buf_reset(&path);
				buf_addf(&path, "%s/%s", pod_specs[j].spec, pod_refs[k].path);
				s.path = path.ptr;
				error = apply_spec(rs, r, &s, had, nhad);
			}
		}
		for (j = 0; j < sizeof(specs) / sizeof(*specs) && !error; j++)
			error = apply_spec(rs, r, &specs[j], had, nhad);
		for (j = 0; j < json_value_array_len(extra) && !error; j++) {
			struct json_object *e = json_object_array_get_idx(extra, j);
			struct nameref_spec s = {json_value_get_string(e, "refKind"), "", "",
			                         json_value_get_string(e, "kind"),    "", "",
			                         json_value_get_string(e, "path")};

			if (s.ref && s.kind && s.path)
				error = apply_spec(rs, r, &s, had, nhad);
		}
	}
	free(had);
	buf_release(&path);
	return error;
}

int kustomize_name_references(struct kustomize_resources *rs)
{
	return kustomize_name_references_with(rs, NULL);
}
