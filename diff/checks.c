#include "checks.h"

#include "alloc.h"
#include "error.h"
#include "json.h"
#include "quantity.h"

#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

/* What the checks look at: the manifests as trees, for the length of a run. */
struct run {
	struct diagnostics *diags, *warnings;
	const struct manifest_set *set;
	struct json_object **objs;
	const struct checks_cluster *cluster;
	size_t found;
};

static void problem_at(struct run *r, bool warning, const struct manifest *m, const char *path,
                       const char *shown, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* "statefulset 'web': SHOWN: message" at the place of the field at `path`;
 * a warning says so first, goes to r->warnings and is not counted. */
static void problem_at(struct run *r, bool warning, const struct manifest *m, const char *path,
                       const char *shown, const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	size_t line, column;
	va_list ap;

	if (warning && !r->warnings)
		return;
	if (warning)
		buf_adds(&msg, "warning: ");
	object_kind_lower(&msg, m->id.kind);
	buf_addf(&msg, " '%s': %s: ", m->id.name, shown);
	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	manifest_locate(&line, &column, m, path);
	diagnostics_add(warning ? r->warnings : r->diags, m->file, line, column, "%s", msg.ptr);
	buf_release(&msg);
	r->found += !warning;
}

#define problem(r, m, path, ...) problem_at(r, false, m, path, path, __VA_ARGS__)
#define warning(r, m, path, ...) problem_at(r, true, m, path, path, __VA_ARGS__)

/* The cluster could not be read for the check of the field at `path`. */
static void unread(struct run *r, const struct manifest *m, const char *path)
{
	char *why = xstrdup(berth_error_last());

	warning(r, m, path, "not checked against the cluster, which could not be read: %s", why);
	free(why);
}

static bool is(const struct manifest *m, const char *group, const char *kind)
{
	return !strcmp(m->id.group, group) && !strcmp(m->id.kind, kind);
}

/* The manifest of kind `kind` named `name` in `ns` ("" for cluster-scoped). */
static size_t find(const struct run *r, const char *group, const char *kind, const char *ns,
                   const char *name)
{
	size_t i;

	for (i = 0; i < r->set->n; i++)
		if (is(&r->set->items[i], group, kind) && !strcmp(r->set->items[i].id.name, name) &&
		    !strcmp(r->set->items[i].id.namespace, ns))
			return i;
	return (size_t)-1;
}

static bool named_in(struct json_object *list, const char *field, const char *name)
{
	size_t i;

	for (i = 0; i < json_array_len(list); i++) {
		const char *n = json_get_string(json_object_array_get_idx(list, i), field);
		if (n && !strcmp(n, name))
			return true;
	}
	return false;
}

static bool named_value_in(struct json_object *list, const char *value)
{
	size_t i;

	for (i = 0; i < json_array_len(list); i++) {
		const char *v = json_object_get_string(json_object_array_get_idx(list, i));
		if (v && !strcmp(v, value))
			return true;
	}
	return false;
}

static const char *template_name(struct json_object *vcts, size_t i)
{
	return json_get_string(json_get(json_object_array_get_idx(vcts, i), "metadata"), "name");
}

static bool named_in_templates(struct json_object *vcts, const char *name)
{
	size_t i;

	for (i = 0; i < json_array_len(vcts); i++)
		if (template_name(vcts, i) && !strcmp(template_name(vcts, i), name))
			return true;
	return false;
}

/* Where fields end up when a tutorial puts them one level off. Returns
 * whether it found any: then the mounts cannot be judged. */
static bool misplaced(struct run *r, const struct manifest *m, struct json_object *spec)
{
	struct json_object *pod = json_get(json_get(spec, "template"), "spec");
	size_t before = r->found;

	if (json_get(spec, "volumes"))
		problem(r, m, "spec.volumes",
		        "unknown field of StatefulSetSpec; volumes belongs in the pod template "
		        "(spec.template.spec.volumes)");
	if (json_get(pod, "volumeMounts"))
		problem(r, m, "spec.template.spec.volumeMounts",
		        "unknown field of PodSpec; volumeMounts belongs in each container "
		        "(spec.template.spec.containers[].volumeMounts)");
	return r->found > before;
}

/* The selector must select the pods the template makes. */
static void selector(struct run *r, const struct manifest *m, struct json_object *spec)
{
	struct json_object *match = json_get(json_get(spec, "selector"), "matchLabels");
	struct json_object *labels =
	    json_get(json_get(json_get(spec, "template"), "metadata"), "labels");

	if (!json_object_is_type(match, json_type_object))
		return;
	json_object_object_foreach(match, key, want)
	{
		const char *have = json_get_string(labels, key);
		if (!have || !json_object_is_type(want, json_type_string) ||
		    strcmp(have, json_object_get_string(want))) {
			problem(r, m, "spec.selector.matchLabels",
			        "%s=%s does not select the pods: the template's labels "
			        "(spec.template.metadata.labels) have %s%s%s",
			        key, json_object_get_string(want), key, have ? "=" : " unset",
			        have ? have : "");
			return;
		}
	}
}

/* The pod spec's lists of containers, whose mounts the checks read. */
static const char *const container_lists[] = {"initContainers", "containers"};

/* Does any container of the pod mount `name`? */
static bool mounted(struct json_object *pod, const char *name)
{
	size_t l, i;

	for (l = 0; l < ARRAY_SIZE(container_lists); l++) {
		struct json_object *containers = json_get(pod, container_lists[l]);
		for (i = 0; i < json_array_len(containers); i++)
			if (named_in(
			        json_get(json_object_array_get_idx(containers, i), "volumeMounts"),
			        "name", name))
				return true;
	}
	return false;
}

/* Every mount names a volume (or a claim template), and every claim
 * template is mounted. */
static void mounts(struct run *r, const struct manifest *m, struct json_object *spec)
{
	struct json_object *pod = json_get(json_get(spec, "template"), "spec");
	struct json_object *volumes = json_get(pod, "volumes");
	struct json_object *vcts =
	    is(m, "apps", "StatefulSet") ? json_get(spec, "volumeClaimTemplates") : NULL;
	struct buf path = BUF_INIT, shown = BUF_INIT;
	size_t l, i, j;

	for (l = 0; l < ARRAY_SIZE(container_lists); l++) {
		struct json_object *containers = json_get(pod, container_lists[l]);
		for (i = 0; i < json_array_len(containers); i++) {
			struct json_object *vm =
			    json_get(json_object_array_get_idx(containers, i), "volumeMounts");
			for (j = 0; j < json_array_len(vm); j++) {
				const char *name =
				    json_get_string(json_object_array_get_idx(vm, j), "name");
				if (!name || named_in(volumes, "name", name) ||
				    named_in_templates(vcts, name))
					continue;
				buf_reset(&path);
				buf_addf(&path, "spec.template.spec.%s[%zu].volumeMounts[%zu].name",
				         container_lists[l], i, j);
				problem(r, m, path.ptr,
				        "'%s' names no volume of the pod "
				        "(spec.template.spec.volumes)%s",
				        name,
				        is(m, "apps", "StatefulSet") ? " and no volumeClaimTemplate"
				                                     : "");
			}
		}
	}
	for (i = 0; i < json_array_len(vcts); i++) {
		const char *name = template_name(vcts, i);
		if (!name || mounted(pod, name))
			continue;
		buf_reset(&path);
		buf_addf(&path, "spec.volumeClaimTemplates[%zu].metadata.name", i);
		buf_reset(&shown);
		buf_addf(&shown, "spec.volumeClaimTemplates[%zu] '%s'", i, name);
		problem_at(r, false, m, path.ptr, shown.ptr,
		           "mounted by no container; every pod gets a claim it never uses "
		           "(mount it in spec.template.spec.containers[].volumeMounts)");
	}
	buf_release(&path);
	buf_release(&shown);
}

/* serviceName names a headless Service, in Git or live. */
static void service(struct run *r, const struct manifest *m, struct json_object *spec)
{
	const char *name = json_get_string(spec, "serviceName");
	const char *app = NULL;
	size_t i;
	bool headless = false;
	int live;

	if (!name)
		return;
	i = find(r, "", "Service", m->id.namespace, name);
	if (i != (size_t)-1) {
		const char *ip = json_get_string(json_get(r->objs[i], "spec"), "clusterIP");
		if (!ip || strcmp(ip, "None"))
			problem(
			    r, m, "spec.serviceName",
			    "Service '%s' (%s:%zu) is not headless; a StatefulSet's Service needs "
			    "clusterIP: None, which can only be set when the Service is created",
			    name, r->set->items[i].file, r->set->items[i].line);
		return;
	}
	live =
	    r->cluster ? r->cluster->service(r->cluster->ctx, m->id.namespace, name, &headless) : 0;
	if (live < 0) {
		unread(r, m, "spec.serviceName");
		return;
	}
	if (live) {
		if (!headless)
			problem(r, m, "spec.serviceName",
			        "Service '%s' in namespace '%s' is not headless (clusterIP: None)",
			        name, m->id.namespace);
		return;
	}
	app = json_object_get_string(
	    json_get(json_get(json_get(spec, "selector"), "matchLabels"), "app"));
	problem(r, m, "spec.serviceName",
	        "no Service '%s' among the manifests%s; a StatefulSet needs a headless Service "
	        "(clusterIP: None) of that name, selecting its pods%s%s%s, created before it",
	        name, r->cluster ? " or in the cluster" : "", app ? " (app: " : "", app ? app : "",
	        app ? ")" : "");
}

/* A claim template's class exists in Git or live, or there is a default. */
static void claim_classes(struct run *r, const struct manifest *m, struct json_object *spec)
{
	struct json_object *vcts = json_get(spec, "volumeClaimTemplates");
	struct buf path = BUF_INIT;
	size_t v;

	if (!r->cluster)
		return;
	for (v = 0; v < json_array_len(vcts); v++) {
		struct json_object *cs = json_get(json_object_array_get_idx(vcts, v), "spec");
		const char *cls = json_get_string(cs, "storageClassName");

		int live = 1;

		buf_reset(&path);
		buf_addf(&path, "spec.volumeClaimTemplates[%zu].spec.storageClassName", v);
		if (cls && *cls && find(r, "storage.k8s.io", "StorageClass", "", cls) == (size_t)-1)
			live = r->cluster->storage_class(r->cluster->ctx, cls);
		else if (!cls)
			live = r->cluster->default_class(r->cluster->ctx);
		if (live < 0)
			unread(r, m, path.ptr);
		else if (!live && cls)
			problem(
			    r, m, path.ptr,
			    "StorageClass '%s' is neither among the manifests nor in the cluster; "
			    "the claims would stay Pending",
			    cls);
		else if (!live)
			problem(
			    r, m, path.ptr,
			    "unset, and the cluster has no default StorageClass; the claims would "
			    "stay Pending (name a class)");
	}
	buf_release(&path);
}

/* A claim with no class gets the default one written in, and then cannot
 * bind a PersistentVolume that has none. */
static void claim_without_class(struct run *r, const struct manifest *m, struct json_object *pvc)
{
	struct json_object *spec = json_get(pvc, "spec");
	const char *volume = json_get_string(spec, "volumeName");
	size_t i;

	if (json_get(spec, "storageClassName") || !volume)
		return;
	i = find(r, "", "PersistentVolume", "", volume);
	if (i == (size_t)-1 || json_get_string(json_get(r->objs[i], "spec"), "storageClassName"))
		return;
	problem(r, m, "spec.storageClassName",
	        "unset, so the cluster's default StorageClass is written in and the claim can "
	        "never bind to PersistentVolume '%s', which has no class; set storageClassName: "
	        "\"\" on the claim (or give both the same class)",
	        volume);
}

/* Can PersistentVolume `pv` serve a claim of class `cls` (NULL: unset)
 * asking for `size` in each of `modes`? */
static bool volume_fits(struct json_object *pv, const char *cls, const struct quantity *size,
                        struct json_object *modes)
{
	struct json_object *spec = json_get(pv, "spec");
	const char *pv_cls = json_get_string(spec, "storageClassName");
	const char *cap = json_get_string(json_get(spec, "capacity"), "storage");
	struct quantity have;
	size_t i;

	if (cls && strcmp(cls, pv_cls ? pv_cls : ""))
		return false;
	if (size && (!cap || quantity_parse(&have, cap) < 0 || quantity_cmp(&have, size) < 0))
		return false;
	for (i = 0; i < json_array_len(modes); i++) {
		struct json_object *mode = json_object_array_get_idx(modes, i);

		if (json_object_is_type(mode, json_type_string) &&
		    !named_value_in(json_get(spec, "accessModes"), json_object_get_string(mode)))
			return false;
	}
	return true;
}

/* May StorageClass `cls` make volumes? Yes unless it is in Git naming
 * kubernetes.io/no-provisioner (a class not in Git is not looked up). */
static bool class_provisions(const struct run *r, const char *cls)
{
	size_t i = find(r, "storage.k8s.io", "StorageClass", "", cls);
	const char *p = i == (size_t)-1 ? NULL : json_get_string(r->objs[i], "provisioner");

	return !p || strcmp(p, "kubernetes.io/no-provisioner");
}

/*
 * When the PersistentVolumes are in Git, a claim (or claim template) at
 * `path` should fit one of them, unless its class provisions volumes. A
 * warning: a volume may yet come from elsewhere.
 */
static void claim_fits(struct run *r, const struct manifest *m, struct json_object *spec,
                       const char *path)
{
	const char *cls = json_get_string(spec, "storageClassName");
	const char *want =
	    json_get_string(json_get(json_get(spec, "resources"), "requests"), "storage");
	struct json_object *modes = json_get(spec, "accessModes");
	struct quantity size;
	struct buf where = BUF_INIT, wanted = BUF_INIT;
	size_t i, volumes = 0;

	if (want && quantity_parse(&size, want) < 0)
		want = NULL;
	for (i = 0; i < r->set->n; i++) {
		if (!is(&r->set->items[i], "", "PersistentVolume"))
			continue;
		volumes++;
		if (volume_fits(r->objs[i], cls, want ? &size : NULL, modes))
			return;
	}
	if (!volumes)
		return;
	if (cls && *cls && class_provisions(r, cls))
		return;
	buf_adds(&wanted, want ? want : "a volume");
	for (i = 0; i < json_array_len(modes); i++)
		buf_addf(&wanted, "%s%s", i ? "," : " ",
		         json_object_get_string(json_object_array_get_idx(modes, i)));
	if (cls)
		buf_addf(&wanted, *cls ? " of class '%s'" : " with no class", cls);
	buf_addf(&where, "%s.resources.requests.storage", path);
	warning(r, m, where.ptr,
	        "asks for %s, which none of the %zu PersistentVolume%s among the manifests can "
	        "give%s; the claim would stay Pending",
	        wanted.ptr, volumes, volumes == 1 ? "" : "s",
	        cls && *cls ? ", and its class provisions none" : "");
	buf_release(&where);
	buf_release(&wanted);
}

size_t checks_run(struct diagnostics *diags, struct diagnostics *warnings,
                  const struct manifest_set *set, const struct checks_cluster *cluster)
{
	struct run r = {diags,   warnings, set, calloc(set->n + 1, sizeof(struct json_object *)),
	                cluster, 0};
	struct buf path = BUF_INIT;
	size_t v;
	size_t i;

	for (i = 0; i < set->n; i++)
		manifest_object(&r.objs[i], &set->items[i]);
	for (i = 0; i < set->n; i++) {
		const struct manifest *m = &set->items[i];
		struct json_object *spec = json_get(r.objs[i], "spec");

		if (is(m, "apps", "StatefulSet")) {
			/* In the order the fields usually come in. */
			service(&r, m, spec);
			selector(&r, m, spec);
			if (!misplaced(&r, m, spec))
				mounts(&r, m, spec);
			claim_classes(&r, m, spec);
			for (v = 0; v < json_array_len(json_get(spec, "volumeClaimTemplates"));
			     v++) {
				buf_reset(&path);
				buf_addf(&path, "spec.volumeClaimTemplates[%zu].spec", v);
				claim_fits(&r, m,
				           json_get(json_object_array_get_idx(
				                        json_get(spec, "volumeClaimTemplates"), v),
				                    "spec"),
				           path.ptr);
			}
		} else if (is(m, "apps", "Deployment") || is(m, "apps", "DaemonSet") ||
		           is(m, "apps", "ReplicaSet")) {
			selector(&r, m, spec);
			mounts(&r, m, spec);
		} else if (is(m, "", "PersistentVolumeClaim")) {
			claim_without_class(&r, m, r.objs[i]);
			claim_fits(&r, m, spec, "spec");
		}
	}
	buf_release(&path);
	for (i = 0; i < set->n; i++)
		json_object_put(r.objs[i]);
	free(r.objs);
	return r.found;
}
