/* The checks of a whole commit before anything is written: what breaks a
 * StatefulSet and its storage, which the API would not refuse. */
#include "checks.h"

#include "base/alloc.h"
#include "base/berth_error.h"
#include "base/json_value.h"
#include "quantity.h"
#include "wave.h"

#include <ctype.h>
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
	/* The default StorageClasses, found when first asked: in Git, and
	 * live but not in Git (Git's annotation wins for a class in both),
	 * each name followed by a NUL. */
	bool defaults_found;
	size_t ndefaults;
	struct buf defaults;
	char *defaults_unread; /* why the live ones could not be read; NULL: they could */
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
	manifest_add_patch_note(&msg, m);
	manifest_locate(&line, &column, m, path);
	diagnostics_add(warning ? r->warnings : r->diags, m->file, line, column, "%s", msg.ptr);
	buf_release(&msg);
	r->found += !warning;
}

#define problem(r, m, path, ...) problem_at(r, false, m, path, path, __VA_ARGS__)
#define warning(r, m, path, ...) problem_at(r, true, m, path, path, __VA_ARGS__)

/* The cluster could not be read for the check of the field at `path`:
 * `why` says why, or NULL for the current error. */
static void unread(struct run *r, const struct manifest *m, const char *path, const char *why)
{
	char *copy = xstrdup(why ? why : berth_error_last());

	warning(r, m, path, "not checked against the cluster, which could not be read: %s", copy);
	free(copy);
}

static bool is(const struct manifest *m, const char *group, const char *kind)
{
	return !strcmp(m->id.group, group) && !strcmp(m->id.kind, kind);
}

/* Kinds other objects' checks look up: their trees are kept for the run. */
static bool looked_up(const struct manifest *m)
{
	return is(m, "", "Service") || is(m, "", "PersistentVolume") ||
	       is(m, "storage.k8s.io", "StorageClass");
}

/* The tree of manifest i, parsed when first asked for. */
static struct json_object *obj(const struct run *r, size_t i)
{
	if (!r->objs[i])
		manifest_object(&r->objs[i], &r->set->items[i]);
	return r->objs[i];
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

	for (i = 0; i < json_value_array_len(list); i++) {
		const char *n = json_value_get_string(json_object_array_get_idx(list, i), field);
		if (n && !strcmp(n, name))
			return true;
	}
	return false;
}

static bool named_value_in(struct json_object *list, const char *value)
{
	size_t i;

	for (i = 0; i < json_value_array_len(list); i++) {
		const char *v = json_object_get_string(json_object_array_get_idx(list, i));
		if (v && !strcmp(v, value))
			return true;
	}
	return false;
}

static const char *template_name(struct json_object *vcts, size_t i)
{
	return json_value_get_string(json_value_get(json_object_array_get_idx(vcts, i), "metadata"),
	                             "name");
}

static bool named_in_templates(struct json_object *vcts, const char *name)
{
	size_t i;

	for (i = 0; i < json_value_array_len(vcts); i++)
		if (template_name(vcts, i) && !strcmp(template_name(vcts, i), name))
			return true;
	return false;
}

/* Where fields end up when a tutorial puts them one level off. Returns
 * whether it found any: then the mounts cannot be judged. */
static bool misplaced(struct run *r, const struct manifest *m, struct json_object *spec)
{
	struct json_object *pod = json_value_get(json_value_get(spec, "template"), "spec");
	size_t before = r->found;

	if (json_value_get(spec, "volumes"))
		problem(r, m, "spec.volumes",
		        "unknown field of StatefulSetSpec; volumes belongs in the pod template "
		        "(spec.template.spec.volumes)");
	if (json_value_get(pod, "volumeMounts"))
		problem(r, m, "spec.template.spec.volumeMounts",
		        "unknown field of PodSpec; volumeMounts belongs in each container "
		        "(spec.template.spec.containers[].volumeMounts)");
	return r->found > before;
}

/* The selector must select the pods the template makes. */
static void selector(struct run *r, const struct manifest *m, struct json_object *spec)
{
	struct json_object *match = json_value_get(json_value_get(spec, "selector"), "matchLabels");
	struct json_object *labels =
	    json_value_get(json_value_get(json_value_get(spec, "template"), "metadata"), "labels");

	if (!json_object_is_type(match, json_type_object))
		return;
	json_object_object_foreach(match, key, want)
	{
		const char *have = json_value_get_string(labels, key);
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
		struct json_object *containers = json_value_get(pod, container_lists[l]);
		for (i = 0; i < json_value_array_len(containers); i++)
			if (named_in(json_value_get(json_object_array_get_idx(containers, i),
			                            "volumeMounts"),
			             "name", name))
				return true;
	}
	return false;
}

/* Every mount names a volume (or a claim template), and every claim
 * template is mounted. */
static void mounts(struct run *r, const struct manifest *m, struct json_object *spec)
{
	struct json_object *pod = json_value_get(json_value_get(spec, "template"), "spec");
	struct json_object *volumes = json_value_get(pod, "volumes");
	struct json_object *vcts =
	    is(m, "apps", "StatefulSet") ? json_value_get(spec, "volumeClaimTemplates") : NULL;
	struct buf path = BUF_INIT, shown = BUF_INIT;
	size_t l, i, j;

	for (l = 0; l < ARRAY_SIZE(container_lists); l++) {
		struct json_object *containers = json_value_get(pod, container_lists[l]);
		for (i = 0; i < json_value_array_len(containers); i++) {
			struct json_object *vm = json_value_get(
			    json_object_array_get_idx(containers, i), "volumeMounts");
			for (j = 0; j < json_value_array_len(vm); j++) {
				const char *name =
				    json_value_get_string(json_object_array_get_idx(vm, j), "name");
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
	for (i = 0; i < json_value_array_len(vcts); i++) {
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

/* "web-0.web.default.svc": the DNS name the first pod of StatefulSet `m`
 * gets from a headless Service `svc`. */
static void pod_dns_name(struct buf *out, const struct manifest *m, const char *svc)
{
	buf_addf(out, "%s-0.%s.%s.svc", m->id.name, svc,
	         *m->id.namespace ? m->id.namespace : "default");
}

/*
 * serviceName names a headless Service, in Git or live. Kubernetes runs the
 * StatefulSet all the same when it does not (Argo CD's install names a
 * Service it does not hold; the RabbitMQ tutorial's is not headless): its
 * pods only lack their DNS names, so each is a warning.
 */
static void service(struct run *r, const struct manifest *m, struct json_object *spec)
{
	const char *name = json_value_get_string(spec, "serviceName");
	struct json_object *match = json_value_get(json_value_get(spec, "selector"), "matchLabels");
	struct buf dns = BUF_INIT, selects = BUF_INIT, which = BUF_INIT;
	size_t i;
	bool headless = false;
	int live = 0;

	if (!name || !*name)
		return;
	pod_dns_name(&dns, m, name);
	i = find(r, "", "Service", m->id.namespace, name);
	if (i != (size_t)-1) {
		const char *ip =
		    json_value_get_string(json_value_get(obj(r, i), "spec"), "clusterIP");

		headless = ip && !strcmp(ip, "None");
		buf_addf(&which, "Service '%s' (%s:%zu)", name, r->set->items[i].file,
		         r->set->items[i].line);
	} else if (r->cluster && (live = r->cluster->service(r->cluster->ctx, m->id.namespace, name,
	                                                     &headless)) < 0) {
		unread(r, m, "spec.serviceName", NULL);
		goto out;
	} else if (live) {
		buf_addf(&which, "Service '%s' in namespace '%s'", name, m->id.namespace);
	}
	if (which.len && !headless)
		warning(r, m, "spec.serviceName",
		        "%s is not headless; the pods get no stable DNS names of their own (%s, "
		        "...): that needs clusterIP: None, which a Service gets only when it is "
		        "created",
		        which.ptr, dns.ptr);
	if (which.len)
		goto out;
	/* The pods the Service must select, by the selector's first label. */
	if (json_object_is_type(match, json_type_object)) {
		json_object_object_foreach(match, key, value)
		{
			buf_addf(&selects, " (%s: %s)", key, json_object_get_string(value));
			break;
		}
	}
	warning(r, m, "spec.serviceName",
	        "no Service '%s' among the manifests%s; the pods get no stable DNS names of "
	        "their own (%s, ...) until a headless Service (clusterIP: None) of that name "
	        "selects them%s",
	        name, r->cluster ? " or in the cluster" : "", dns.ptr, selects.ptr);
out:
	buf_release(&dns);
	buf_release(&selects);
	buf_release(&which);
}

static const char *const default_class_keys[] = {
    "storageclass.kubernetes.io/is-default-class",
    "storageclass.beta.kubernetes.io/is-default-class",
};

bool checks_class_is_default(struct json_object *cls)
{
	struct json_object *annotations =
	    json_value_get(json_value_get(cls, "metadata"), "annotations");
	size_t i;

	for (i = 0; i < ARRAY_SIZE(default_class_keys); i++) {
		const char *v = json_value_get_string(annotations, default_class_keys[i]);
		if (v && !strcmp(v, "true"))
			return true;
	}
	return false;
}

static void add_default(struct run *r, const char *name)
{
	buf_adds(&r->defaults, name);
	buf_addch(&r->defaults, '\0');
	r->ndefaults++;
}

/* The default StorageClasses, in Git and live; how many. */
static size_t find_defaults(struct run *r)
{
	struct buf live = BUF_INIT;
	const char *name;
	size_t i;
	int n;

	if (r->defaults_found)
		return r->ndefaults;
	r->defaults_found = true;
	for (i = 0; i < r->set->n; i++)
		if (is(&r->set->items[i], "storage.k8s.io", "StorageClass") &&
		    checks_class_is_default(obj(r, i)))
			add_default(r, r->set->items[i].id.name);
	if (r->cluster && (n = r->cluster->default_classes(r->cluster->ctx, &live)) < 0)
		r->defaults_unread = xstrdup(berth_error_last());
	for (name = live.ptr; r->cluster && name < live.ptr + live.len; name += strlen(name) + 1)
		if (find(r, "storage.k8s.io", "StorageClass", "", name) == (size_t)-1)
			add_default(r, name);
	buf_release(&live);
	return r->ndefaults;
}

/* The default classes' names, "'a', 'b'". */
static void default_names(struct buf *out, const struct run *r)
{
	const char *name;

	for (name = r->defaults.ptr; name < r->defaults.ptr + r->defaults.len;
	     name += strlen(name) + 1)
		buf_addf(out, "%s'%s'", name == r->defaults.ptr ? "" : ", ", name);
}

/* The class a claim asking for `cls` (NULL: none named) gets: its own, else
 * the default one, else "" (it binds only volumes without a class); NULL
 * when that cannot be known (no cluster to ask, or it could not be read). */
static const char *claim_class(struct run *r, const char *cls)
{
	if (cls)
		return cls;
	if (find_defaults(r))
		return r->defaults.ptr;
	return r->cluster && !r->defaults_unread ? "" : NULL;
}

static bool volume_fits(struct json_object *pv, const char *cls, const struct quantity *size,
                        struct json_object *modes);

/* Can a volume without a class in Git serve the claim whose spec this is? */
static bool classless_volume_fits(const struct run *r, struct json_object *spec)
{
	const char *want = json_value_get_string(
	    json_value_get(json_value_get(spec, "resources"), "requests"), "storage");
	struct quantity size;
	size_t i;

	if (want && quantity_parse(&size, want) < 0)
		want = NULL;
	for (i = 0; i < r->set->n; i++)
		if (is(&r->set->items[i], "", "PersistentVolume") &&
		    volume_fits(obj(r, i), "", want ? &size : NULL,
		                json_value_get(spec, "accessModes")))
			return true;
	return false;
}

/*
 * The class of a claim (`spec` is its spec; `many` when it is a claim
 * template, whose claims are many): one that exists neither in Git nor
 * live, or none where no class is the default, lets the claims wait, as
 * Kubernetes lets them (a volume or a class may come later); two default
 * classes leave it ambiguous. Each is a warning.
 */
static void check_claim_class(struct run *r, const struct manifest *m, struct json_object *spec,
                              const char *path, bool many)
{
	const char *cls = json_value_get_string(spec, "storageClassName");
	const char *waits = many ? "the claims wait" : "the claim waits";
	struct buf names = BUF_INIT;
	int live;

	if (cls && *cls) {
		if (!r->cluster || find(r, "storage.k8s.io", "StorageClass", "", cls) != (size_t)-1)
			return;
		if ((live = r->cluster->storage_class(r->cluster->ctx, cls)) < 0)
			unread(r, m, path, NULL);
		else if (!live)
			warning(r, m, path,
			        "StorageClass '%s' is neither among the manifests nor in the "
			        "cluster; %s until it is created",
			        cls, waits);
		return;
	}
	if (cls)
		return; /* "": no class, on purpose */
	find_defaults(r);
	default_names(&names, r);
	if (r->ndefaults > 1)
		warning(r, m, path,
		        "unset, and %zu StorageClasses are marked default (%s): %s refused "
		        "(before Kubernetes 1.26) or %s the newest of them",
		        r->ndefaults, names.ptr, many ? "the claims are" : "the claim is",
		        many ? "get" : "gets");
	else if (!r->ndefaults && r->defaults_unread)
		unread(r, m, path, r->defaults_unread);
	else if (!r->ndefaults && r->cluster && !json_value_get(spec, "volumeName") &&
	         !classless_volume_fits(r, spec))
		warning(r, m, path,
		        "unset, and no StorageClass among the manifests or in the cluster is the "
		        "default; %s for a PersistentVolume without a class (or for a default "
		        "class)",
		        waits);
	buf_release(&names);
}

/* A claim with no class gets the default one written in, and then cannot
 * bind a PersistentVolume that has none: a problem when there is a default
 * class, a warning when there may be one. */
static void claim_without_class(struct run *r, const struct manifest *m, struct json_object *pvc)
{
	struct json_object *spec = json_value_get(pvc, "spec");
	const char *volume = json_value_get_string(spec, "volumeName");
	size_t i;

	if (json_value_get(spec, "storageClassName") || !volume)
		return;
	i = find(r, "", "PersistentVolume", "", volume);
	if (i == (size_t)-1 ||
	    json_value_get_string(json_value_get(obj(r, i), "spec"), "storageClassName"))
		return;
	if (find_defaults(r))
		problem(r, m, "spec.storageClassName",
		        "unset, so the default StorageClass '%s' is written in and the claim can "
		        "never bind to PersistentVolume '%s', which has no class; set "
		        "storageClassName: \"\" on the claim (or give both the same class)",
		        r->defaults.ptr, volume);
	else if (!r->cluster || r->defaults_unread)
		warning(
		    r, m, "spec.storageClassName",
		    "unset; where the cluster has a default StorageClass, it is written in and "
		    "the claim can never bind to PersistentVolume '%s', which has no class; set "
		    "storageClassName: \"\" on the claim (or give both the same class)",
		    volume);
}

/* Can PersistentVolume `pv` serve a claim of class `cls` (NULL: unset)
 * asking for `size` in each of `modes`? */
static bool volume_fits(struct json_object *pv, const char *cls, const struct quantity *size,
                        struct json_object *modes)
{
	struct json_object *spec = json_value_get(pv, "spec");
	const char *pv_cls = json_value_get_string(spec, "storageClassName");
	const char *cap = json_value_get_string(json_value_get(spec, "capacity"), "storage");
	struct quantity have;
	size_t i;

	if (cls && strcmp(cls, pv_cls ? pv_cls : ""))
		return false;
	if (size && (!cap || quantity_parse(&have, cap) < 0 || quantity_cmp(&have, size) < 0))
		return false;
	for (i = 0; i < json_value_array_len(modes); i++) {
		struct json_object *mode = json_object_array_get_idx(modes, i);

		if (json_object_is_type(mode, json_type_string) &&
		    !named_value_in(json_value_get(spec, "accessModes"),
		                    json_object_get_string(mode)))
			return false;
	}
	return true;
}

/* May StorageClass `cls` make volumes? Yes unless it is in Git naming
 * kubernetes.io/no-provisioner (a class not in Git is not looked up). */
static bool class_provisions(const struct run *r, const char *cls)
{
	size_t i = find(r, "storage.k8s.io", "StorageClass", "", cls);
	const char *p = i == (size_t)-1 ? NULL : json_value_get_string(obj(r, i), "provisioner");

	return !p || strcmp(p, "kubernetes.io/no-provisioner");
}

/*
 * When the PersistentVolumes are in Git, a claim (or claim template) at
 * `path` should fit one of them, unless its class provisions volumes. When
 * volumes of its class are in Git and none fits, and the class provisions
 * none, the claim can never bind to them: a problem. Otherwise a warning:
 * a volume may yet come from elsewhere.
 */
static void claim_fits(struct run *r, const struct manifest *m, struct json_object *spec,
                       const char *path)
{
	const char *named = json_value_get_string(spec, "storageClassName");
	const char *cls = claim_class(r, named);
	const char *want = json_value_get_string(
	    json_value_get(json_value_get(spec, "resources"), "requests"), "storage");
	struct json_object *modes = json_value_get(spec, "accessModes");
	struct quantity size;
	struct buf where = BUF_INIT, wanted = BUF_INIT;
	size_t i, volumes = 0, of_class = 0;

	if (want && quantity_parse(&size, want) < 0)
		want = NULL;
	for (i = 0; i < r->set->n; i++) {
		const char *pv_cls;

		if (!is(&r->set->items[i], "", "PersistentVolume"))
			continue;
		volumes++;
		pv_cls =
		    json_value_get_string(json_value_get(obj(r, i), "spec"), "storageClassName");
		of_class += cls && !strcmp(cls, pv_cls ? pv_cls : "");
		if (volume_fits(obj(r, i), cls, want ? &size : NULL, modes))
			return;
	}
	if (!volumes)
		return;
	if (cls && *cls && class_provisions(r, cls))
		return;
	buf_adds(&wanted, want ? want : "a volume");
	for (i = 0; i < json_value_array_len(modes); i++)
		buf_addf(&wanted, "%s%s", i ? "," : " ",
		         json_object_get_string(json_object_array_get_idx(modes, i)));
	if (cls)
		buf_addf(&wanted,
		         !*cls   ? " with no class"
		         : named ? " of class '%s'"
		                 : " of the default class '%s'",
		         cls);
	buf_addf(&where, "%s.resources.requests.storage", path);
	if (of_class)
		problem(r, m, where.ptr,
		        "asks for %s, which none of the %zu PersistentVolume%s of its class among "
		        "the manifests can give%s; the claim can never bind to one of them",
		        wanted.ptr, of_class, of_class == 1 ? "" : "s",
		        *cls ? ", and its class provisions none" : "");
	else
		warning(r, m, where.ptr,
		        "asks for %s, which none of the %zu PersistentVolume%s among the manifests "
		        "can give%s; the claim would stay Pending",
		        wanted.ptr, volumes, volumes == 1 ? "" : "s",
		        cls && *cls ? ", and its class provisions none" : "");
	buf_release(&where);
	buf_release(&wanted);
}

/* Standard base64 as the API server decodes a []byte (Go's StdEncoding):
 * its alphabet, padded to a multiple of four, CR and LF ignored. */
static bool is_base64(const char *s)
{
	size_t n = 0, pad = 0;

	for (; *s; s++) {
		if (*s == '\r' || *s == '\n')
			continue;
		if (*s == '=') {
			pad++;
		} else if (pad || !(isalnum((unsigned char)*s) || *s == '+' || *s == '/')) {
			return false;
		}
		n++;
	}
	return n % 4 == 0 && pad <= 2;
}

/* Each value of `map` (a Secret's data, a ConfigMap's binaryData) is
 * base64. A value that is not is never shown: it is likely a secret put
 * here in plain text. */
static void base64_values(struct run *r, const struct manifest *m, struct json_object *map,
                          const char *field)
{
	struct buf path = BUF_INIT;

	if (!json_object_is_type(map, json_type_object))
		return;
	json_object_object_foreach(map, key, value)
	{
		const char *v = json_object_get_string(value);

		if (!value || (json_object_is_type(value, json_type_string) && is_base64(v)))
			continue;
		buf_reset(&path);
		buf_adds(&path, field);
		json_value_path_add_key(&path, key);
		problem(r, m, path.ptr,
		        "not base64 (the value is not shown); the server refuses it%s",
		        !strcmp(field, "data") ? ": put plain text under stringData" : "");
	}
	buf_release(&path);
}

/* Do the checks of `m` read other objects (its Service, its classes, the
 * default class)? */
static bool looks_around(const struct manifest *m)
{
	return is(m, "apps", "StatefulSet") || is(m, "apps", "Deployment") ||
	       is(m, "apps", "DaemonSet") || is(m, "apps", "ReplicaSet") ||
	       is(m, "", "PersistentVolumeClaim") || is(m, "storage.k8s.io", "StorageClass");
}

size_t checks_run(struct diagnostics *diags, struct diagnostics *warnings,
                  const struct manifest_set *set, const struct checks_cluster *cluster,
                  const struct checks_known *known)
{
	struct run r = {.diags = diags,
	                .warnings = warnings,
	                .set = set,
	                .objs = xcalloc(set->n + 1, sizeof(struct json_object *)),
	                .cluster = cluster,
	                .defaults = BUF_INIT};
	struct buf path = BUF_INIT, class_path = BUF_INIT;
	size_t v;
	size_t i;

	for (i = 0; i < set->n; i++) {
		const struct manifest *m = &set->items[i];
		struct json_object *spec;

		if (known && !looks_around(m) && known->unchanged(known->ctx, m))
			continue;
		spec = json_value_get(obj(&r, i), "spec");

		if (is(m, "apps", "StatefulSet")) {
			/* In the order the fields usually come in. */
			service(&r, m, spec);
			selector(&r, m, spec);
			if (!misplaced(&r, m, spec))
				mounts(&r, m, spec);
			for (v = 0;
			     v < json_value_array_len(json_value_get(spec, "volumeClaimTemplates"));
			     v++) {
				struct json_object *cs = json_value_get(
				    json_object_array_get_idx(
				        json_value_get(spec, "volumeClaimTemplates"), v),
				    "spec");

				buf_reset(&path);
				buf_addf(&path, "spec.volumeClaimTemplates[%zu].spec", v);
				buf_adds(&class_path, path.ptr);
				buf_adds(&class_path, ".storageClassName");
				check_claim_class(&r, m, cs, class_path.ptr, true);
				buf_reset(&class_path);
				claim_fits(&r, m, cs, path.ptr);
			}
		} else if (is(m, "apps", "Deployment") || is(m, "apps", "DaemonSet") ||
		           is(m, "apps", "ReplicaSet")) {
			selector(&r, m, spec);
			mounts(&r, m, spec);
		} else if (is(m, "", "Secret")) {
			base64_values(&r, m, json_value_get(obj(&r, i), "data"), "data");
		} else if (is(m, "", "ConfigMap")) {
			base64_values(&r, m, json_value_get(obj(&r, i), "binaryData"),
			              "binaryData");
		} else if (is(m, "", "PersistentVolumeClaim")) {
			check_claim_class(&r, m, spec, "spec.storageClassName", false);
			claim_without_class(&r, m, obj(&r, i));
			claim_fits(&r, m, spec, "spec");
		} else if (is(m, "storage.k8s.io", "StorageClass") &&
		           checks_class_is_default(obj(&r, i)) && find_defaults(&r) > 1 &&
		           strcmp(r.defaults.ptr, m->id.name)) {
			buf_reset(&class_path);
			default_names(&class_path, &r);
			warning(
			    &r, m, "metadata.annotations",
			    "%zu StorageClasses are marked default (%s): a claim that names no "
			    "class is refused (before Kubernetes 1.26) or gets the newest of them",
			    r.ndefaults, class_path.ptr);
			buf_reset(&class_path);
		}
		/* A json-c tree is several times its text: keep few at a time. */
		if (!looked_up(m)) {
			json_object_put(r.objs[i]);
			r.objs[i] = NULL;
		}
	}
	r.found += waves_check(diags, warnings, set);
	buf_release(&path);
	buf_release(&class_path);
	buf_release(&r.defaults);
	free(r.defaults_unread);
	for (i = 0; i < set->n; i++)
		json_object_put(r.objs[i]);
	free(r.objs);
	return r.found;
}
