/* Waves: reading berth.io/wave, and what a commit's waves may break. */
#include "wave.h"

#include "base/alloc.h"
#include "base/json_value.h"
#include "object.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The object of `m` as a tree (caller puts it), or NULL. */
static struct json_object *tree(const struct manifest *m)
{
	return json_value_parse(m->json, strlen(m->json));
}

int object_wave(long *out, struct json_object *obj)
{
	const char *text = json_value_get_string(
	    json_value_get(json_value_get(obj, "metadata"), "annotations"), WAVE_ANNOTATION);
	char *end;
	long w;

	*out = 0;
	if (!text)
		return 0;
	errno = 0;
	w = strtol(text, &end, 10);
	if (end == text || *end || errno || w < WAVE_MIN || w > WAVE_MAX)
		return -1;
	*out = w;
	return 0;
}

int manifest_wave(long *out, const struct manifest *m)
{
	struct json_object *obj;
	int error;

	*out = 0;
	/* The annotation's key, as compact JSON writes it. */
	if (!strstr(m->json, "\"" WAVE_ANNOTATION "\""))
		return 0;
	obj = tree(m);
	error = object_wave(out, obj);
	json_object_put(obj);
	return error;
}

/* Does `obj` (a claim, or a StatefulSet's claim templates) name class `cls`? */
static bool uses_class(struct json_object *obj, const char *kind, const char *cls)
{
	struct json_object *spec = json_value_get(obj, "spec"), *vcts;
	const char *named;
	size_t i;

	if (!strcmp(kind, "PersistentVolumeClaim"))
		return (named = json_value_get_string(spec, "storageClassName")) &&
		       !strcmp(named, cls);
	vcts = json_value_get(spec, "volumeClaimTemplates");
	for (i = 0; i < json_value_array_len(vcts); i++) {
		named = json_value_get_string(
		    json_value_get(json_object_array_get_idx(vcts, i), "spec"), "storageClassName");
		if (named && !strcmp(named, cls))
			return true;
	}
	return false;
}

/* Does object `m` need `f` (a Namespace, a CRD, a StorageClass; its tree
 * `ftree`) to be there first? */
static bool needs(const struct manifest *m, const struct manifest *f, struct json_object *ftree)
{
	const struct object_id *id = &m->id;
	struct json_object *spec = json_value_get(ftree, "spec"), *obj;
	const char *group, *kind;
	bool uses;

	if (!*f->id.group && !strcmp(f->id.kind, "Namespace"))
		return !strcmp(id->namespace, f->id.name);
	if (!strcmp(f->id.kind, "CustomResourceDefinition")) {
		group = json_value_get_string(spec, "group");
		kind = json_value_get_string(json_value_get(spec, "names"), "kind");
		return group && kind && !strcmp(id->group, group) && !strcmp(id->kind, kind);
	}
	if ((*id->group || strcmp(id->kind, "PersistentVolumeClaim")) &&
	    (strcmp(id->group, "apps") || strcmp(id->kind, "StatefulSet")))
		return false;
	obj = tree(m);
	uses = uses_class(obj, id->kind, f->id.name);
	json_object_put(obj);
	return uses;
}

/* Is `m` an object others may need first: a Namespace, a CRD, a
 * StorageClass? */
static bool foundation(const struct manifest *m)
{
	const struct object_id *id = &m->id;

	return (!*id->group && !strcmp(id->kind, "Namespace")) ||
	       (!strcmp(id->group, "apiextensions.k8s.io") &&
	        !strcmp(id->kind, "CustomResourceDefinition")) ||
	       (!strcmp(id->group, "storage.k8s.io") && !strcmp(id->kind, "StorageClass"));
}

/* "kind 'name'" of `m`, as the checks name an object. */
static void named(struct buf *out, const struct manifest *m)
{
	object_kind_lower(out, m->id.kind);
	buf_addf(out, " '%s'", m->id.name);
}

size_t waves_check(struct diagnostics *diags, struct diagnostics *warnings,
                   const struct manifest_set *set)
{
	long *waves = xcalloc(set->n + 1, sizeof(*waves));
	struct buf what = BUF_INIT, other = BUF_INIT;
	size_t i, j, found = 0, line, column;
	bool any = false;

	for (i = 0; i < set->n; i++) {
		const struct manifest *m = &set->items[i];

		if (manifest_wave(&waves[i], m) < 0) {
			buf_reset(&what);
			named(&what, m);
			manifest_locate(&line, &column, m, "metadata.annotations");
			diagnostics_add(
			    diags, m->file, line, column,
			    "%s: metadata.annotations." WAVE_ANNOTATION
			    ": must be an integer from %ld to %ld, as a string (\"-1\")",
			    what.ptr, WAVE_MIN, WAVE_MAX);
			found++;
		}
		any |= waves[i] != 0;
	}
	for (i = 0; i < set->n && any && warnings; i++) {
		const struct manifest *f = &set->items[i];
		struct json_object *ftree;

		if (!foundation(f))
			continue;
		ftree = tree(f);
		for (j = 0; j < set->n; j++) {
			if (waves[j] >= waves[i] || j == i || !needs(&set->items[j], f, ftree))
				continue;
			buf_reset(&what);
			buf_reset(&other);
			named(&what, f);
			named(&other, &set->items[j]);
			manifest_locate(&line, &column, f, "metadata.annotations");
			diagnostics_add(
			    warnings, f->file, line, column,
			    "warning: %s: " WAVE_ANNOTATION " %ld applies it after %s (wave "
			    "%ld), which needs it: that one is applied first, and fails "
			    "or waits",
			    what.ptr, waves[i], other.ptr, waves[j]);
			break;
		}
		json_object_put(ftree);
	}
	buf_release(&what);
	buf_release(&other);
	free(waves);
	return found;
}
