/* namespace, namePrefix/nameSuffix, images and replicas, as kustomize v5.5 applies them. */
#include "kustomize_transform.h"

#include "kustomize_fieldspec.h"
#include "object.h"

#include "base/berth_error.h"
#include "base/buf.h"
#include "base/json_value.h"

#include <string.h>

/* builtinpluginconsts/namespace.go, but metadata/namespace, metadata/name
 * of a Namespace and the subjects of role bindings, which kustomize's
 * namespace filter does by hand (and so does kustomize_namespace). */
static const struct kustomize_fieldspec namespace_specs[] = {
    {"apiregistration.k8s.io", NULL, "APIService", "spec/service/namespace", true, false},
    {"apiextensions.k8s.io", NULL, "CustomResourceDefinition",
     "spec/conversion/webhook/clientConfig/service/namespace", false, false},
    {NULL, NULL, NULL, NULL, false, false},
};

static int set_string(struct json_object *parent, const char *key, void *arg)
{
	json_object_object_add(parent, key, json_object_new_string(arg));
	return 0;
}

/* kustomize's default (defaultOnly): a subject named "default", of any
 * kind, takes the namespace; the others keep theirs. Those that name a
 * ServiceAccount of the build follow it through the name references. */
static void namespace_subjects(struct kustomize_resource *r, const char *ns)
{
	struct json_object *subjects = json_value_get(r->obj, "subjects");
	size_t i;

	for (i = 0; i < json_value_array_len(subjects); i++) {
		struct json_object *s = json_object_array_get_idx(subjects, i);
		const char *name = json_value_get_string(s, "name");

		if (name && !strcmp(name, "default"))
			json_object_object_add(s, "namespace", json_object_new_string(ns));
	}
}

int kustomize_namespace(struct kustomize_resources *rs, const char *ns)
{
	struct buf group = BUF_INIT;
	int error = 0;
	size_t i;

	if (!ns || !*ns)
		return 0;
	for (i = 0; i < rs->n && !error; i++) {
		struct kustomize_resource *r = &rs->items[i];
		const char *kind = kustomize_resource_kind(r);
		const char *api = json_value_get_string(r->obj, "apiVersion");

		buf_reset(&group);
		kustomize_resource_group(&group, r);
		if (!object_kind_is_cluster_scoped(group.ptr, kind))
			kustomize_resource_rename(r, NULL, ns);
		/* Only a v1 Namespace: a custom kind of that name keeps its own. */
		if (!strcmp(kind, "Namespace") && api && !strcmp(api, "v1"))
			kustomize_resource_rename(r, ns, NULL);
		if (!strcmp(kind, "RoleBinding") || !strcmp(kind, "ClusterRoleBinding"))
			namespace_subjects(r, ns);
		error = kustomize_fieldspec_apply_all(namespace_specs, r, set_string, (void *)ns);
	}
	buf_release(&group);
	return error;
}

/* The kinds kustomize's PrefixSuffixTransformer leaves alone. */
static bool keeps_its_name(const struct kustomize_resource *r)
{
	const char *kind = kustomize_resource_kind(r);
	struct buf group = BUF_INIT;
	bool keep;

	if (!strcmp(kind, "CustomResourceDefinition") || !strcmp(kind, "Namespace"))
		return true;
	kustomize_resource_group(&group, r);
	keep = !strcmp(kind, "APIService") && !strcmp(group.ptr, "apiregistration.k8s.io");
	buf_release(&group);
	return keep;
}

int kustomize_prefix_suffix(struct kustomize_resources *rs, const char *prefix, const char *suffix)
{
	struct buf name = BUF_INIT;
	size_t i;

	prefix = prefix ? prefix : "";
	suffix = suffix ? suffix : "";
	if (!*prefix && !*suffix)
		return 0;
	for (i = 0; i < rs->n; i++) {
		struct kustomize_resource *r = &rs->items[i];

		if (keeps_its_name(r))
			continue;
		buf_reset(&name);
		buf_addf(&name, "%s%s%s", prefix, kustomize_resource_name(r), suffix);
		kustomize_resource_rename(r, name.ptr, NULL);
	}
	buf_release(&name);
	return 0;
}

/* One entry of `images`: "" where it has no such field. */
struct image {
	const char *name, *new_name, *new_tag, *digest;
};

static int image_field(const char **out, struct json_object *entry, const char *key, size_t i)
{
	struct json_object *v = json_value_get(entry, key);

	*out = "";
	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return berth_error_set("images entry %zu: %s is not a string", i + 1, key);
	*out = json_object_get_string(v);
	return 0;
}

static int image_read(struct image *out, struct json_object *entry, size_t i)
{
	if (!json_object_is_type(entry, json_type_object))
		return berth_error_set("images entry %zu: not a map", i + 1);
	if (image_field(&out->name, entry, "name", i) ||
	    image_field(&out->new_name, entry, "newName", i) ||
	    image_field(&out->new_tag, entry, "newTag", i) ||
	    image_field(&out->digest, entry, "digest", i))
		return -1;
	if (!*out->name)
		return berth_error_set("images entry %zu: no name", i + 1);
	return 0;
}

/* What kustomize allows in a tag: [a-zA-Z0-9_.{}-]. */
static const char *skip_tag(const char *s)
{
	while ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
	       (*s && strchr("_.{}-", *s)))
		s++;
	return s;
}

/* kustomize's IsImageMatched: the name, then maybe ":tag", then maybe
 * "@sha256:digest". kustomize reads the name as a regular expression; berth
 * takes it literally, which only differs for names no registry allows. */
static bool image_matches(const char *image, const char *name)
{
	size_t n = strlen(name);

	if (strncmp(image, name, n))
		return false;
	image += n;
	if (*image == ':')
		image = skip_tag(image + 1);
	if (!strncmp(image, "@sha256:", 8))
		image = skip_tag(image + 8);
	return !*image;
}

/* kustomize's image.Split: name, tag and digest, a ':' before the first '/'
 * being a registry's port. */
static void image_split(struct buf *name, struct buf *tag, struct buf *digest, const char *image)
{
	const char *slash = strchr(image, '/');
	const char *search = slash && slash > image ? slash : image;
	const char *at = strchr(search, '@');
	const char *colon = strchr(search, ':');

	if (at && (!colon || at < colon)) {
		buf_add(name, image, (size_t)(at - image));
		buf_addf(digest, "%s", at + 1);
	} else if (colon) {
		buf_add(name, image, (size_t)(colon - image));
		if (at)
			buf_add(tag, colon + 1, (size_t)(at - colon - 1));
		else
			buf_addf(tag, "%s", colon + 1);
		if (at)
			buf_addf(digest, "%s", at + 1);
	} else {
		buf_addf(name, "%s", image);
	}
}

/* kustomize's imageTagUpdater on the image of a container. */
static void image_update(struct json_object *obj, const struct image *im)
{
	struct buf name = BUF_INIT, tag = BUF_INIT, digest = BUF_INIT;
	const char *image = json_value_get_string(obj, "image");

	if (!image || !image_matches(image, im->name))
		return;
	image_split(&name, &tag, &digest, image);
	if (*im->new_name) {
		buf_reset(&name);
		buf_addf(&name, "%s", im->new_name);
	}
	/* A new tag or digest replaces both. */
	if (*im->new_tag || *im->digest) {
		buf_reset(&tag);
		buf_reset(&digest);
		buf_addf(&tag, "%s", im->new_tag);
		buf_addf(&digest, "%s", im->digest);
	}
	if (tag.len)
		buf_addf(&name, ":%s", tag.ptr);
	if (digest.len)
		buf_addf(&name, "@%s", digest.ptr);
	json_object_object_add(obj, "image", json_object_new_string(name.ptr));
	buf_release(&name);
	buf_release(&tag);
	buf_release(&digest);
}

/* kustomize's LegacyFilter: every element of every list called containers
 * or initContainers, at any depth. */
static void images_walk(struct json_object *node, const struct image *im)
{
	size_t i;

	if (json_object_is_type(node, json_type_array)) {
		for (i = 0; i < json_value_array_len(node); i++)
			images_walk(json_object_array_get_idx(node, i), im);
		return;
	}
	if (!json_object_is_type(node, json_type_object))
		return;
	json_object_object_foreach(node, key, value)
	{
		images_walk(value, im);
		if (strcmp(key, "containers") && strcmp(key, "initContainers"))
			continue;
		for (i = 0; i < json_value_array_len(value); i++)
			image_update(json_object_array_get_idx(value, i), im);
	}
}

int kustomize_images(struct kustomize_resources *rs, struct json_object *images)
{
	struct image im;
	size_t i, j;

	/* Each entry is a transformer of its own, in order: a later one sees
	 * what an earlier one made. */
	for (i = 0; i < json_value_array_len(images); i++) {
		if (image_read(&im, json_object_array_get_idx(images, i), i))
			return -1;
		for (j = 0; j < rs->n; j++)
			if (strcmp(kustomize_resource_kind(&rs->items[j]),
			           "CustomResourceDefinition"))
				images_walk(rs->items[j].obj, &im);
	}
	return 0;
}

/* builtinpluginconsts/replicas.go */
static const struct kustomize_fieldspec replica_specs[] = {
    {NULL, NULL, "Deployment", "spec/replicas", true, false},
    {NULL, NULL, "ReplicationController", "spec/replicas", true, false},
    {NULL, NULL, "ReplicaSet", "spec/replicas", true, false},
    {NULL, NULL, "StatefulSet", "spec/replicas", true, false},
    {NULL, NULL, NULL, NULL, false, false},
};

static int set_count(struct json_object *parent, const char *key, void *arg)
{
	json_object_object_add(parent, key, json_object_new_int64(*(int64_t *)arg));
	return 0;
}

/* One entry: on every object of a kind above that has, or had, its name. */
static int replicas_one(struct kustomize_resources *rs, struct json_object *entry, size_t i)
{
	const char *name = json_value_get_string(entry, "name");
	struct json_object *count = json_value_get(entry, "count");
	const struct kustomize_fieldspec *fs;
	bool found = false;
	int64_t n = 0;
	size_t j;

	if (!name || !*name)
		return berth_error_set("replicas entry %zu: no name", i + 1);
	/* kustomize takes a missing count as 0. */
	if (count && !json_object_is_type(count, json_type_int))
		return berth_error_set("replicas '%s': count is not an integer", name);
	if (count)
		n = json_object_get_int64(count);
	for (j = 0; j < rs->n; j++) {
		struct kustomize_resource *r = &rs->items[j];

		if (!kustomize_resource_was(r, name, NULL))
			continue;
		for (fs = replica_specs; fs->path; fs++) {
			if (!kustomize_fieldspec_matches(fs, r))
				continue;
			found = true;
			if (kustomize_fieldspec_apply(fs, r, set_count, &n))
				return -1;
		}
	}
	if (!found)
		return berth_error_set("replicas '%s': no Deployment, ReplicationController, "
		                       "ReplicaSet or StatefulSet of that name",
		                       name);
	return 0;
}

int kustomize_replicas(struct kustomize_resources *rs, struct json_object *replicas)
{
	size_t i;

	for (i = 0; i < json_value_array_len(replicas); i++)
		if (replicas_one(rs, json_object_array_get_idx(replicas, i), i))
			return -1;
	return 0;
}
